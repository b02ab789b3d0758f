// Every page names, with <link rel="modulepreload">, every module its entry
// module imports, directly or not.  Without it the browser finds the
// modules one level of imports at a time, a round trip per level before
// the first request for data can start (on the compare page: colors.js and
// tree.js came 100 ms after the rest, at a load average of 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** The modules file imports, as paths under web/ ("/js/..."), transitively. */
function importsOf(path, seen = new Set()) {
  const text = readFileSync(join(WEB, path), 'utf8');
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
    const dep = '/' + relative(WEB, normalize(join(WEB, dirname(path), m[1])));
    if (!seen.has(dep)) {
      seen.add(dep);
      importsOf(dep, seen);
    }
  }
  return seen;
}

for (const page of readdirSync(WEB).filter((f) => f.endsWith('.html'))) {
  test(`${page}: every module its entry imports is preloaded`, () => {
    const html = readFileSync(join(WEB, page), 'utf8');
    const entries = [...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(entries.length > 0, 'an entry module');
    const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]));
    const missing = [];
    for (const entry of entries) {
      for (const dep of importsOf(entry)) if (!preloaded.has(dep)) missing.push(dep);
    }
    assert.deepEqual(missing, []);
  });
}
