// Nothing in web/ can turn text into markup or code: no module uses a
// markup sink (innerHTML and the like), eval, or an event handler given as
// text. Elements are made by dom.js h(), whose allowlist tests/web/dom.test.mjs
// checks, or set through textContent. This reads every page and script
// shipped in web/ (comments aside, which may name the sinks they avoid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../../web', import.meta.url));

const SINKS = [
  ['innerHTML', /\binnerHTML\b/],
  ['outerHTML', /\bouterHTML\b/],
  ['insertAdjacentHTML', /\binsertAdjacentHTML\b/],
  ['document.write', /\bdocument\s*\.\s*write(ln)?\b/],
  ['srcdoc', /\bsrcdoc\b/i],
  ['createContextualFragment', /\bcreateContextualFragment\b/],
  ['DOMParser', /\bDOMParser\b/],
  ['eval', /(^|[^.\w])eval\s*\(/],
  ['new Function', /\bnew\s+Function\s*\(/],
  ['a timer given text', /\bset(Timeout|Interval)\s*\(\s*['"`]/],
  ['an on* attribute set by name', /setAttribute\s*\(\s*['"`]on/i],
  ['an on* property given text', /\.on[a-z]+\s*=\s*['"`]/],
  ['an inline handler in a page', /<[a-z][^>]*\son[a-z]+\s*=/i],
  ['an inline script in a page', /<script(?![^>]*\bsrc=)[^>]*>/i],
];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(js|mjs|html)$/.test(name) ? [p] : [];
  });
}

/** The text without comments: /* *\/ and <!-- -->, and // after a space or a line start. */
function code(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1');
}

const all = files(WEB);

test('web/ has pages and scripts to read', () => {
  assert.ok(all.some((f) => f.endsWith('viewer.html')));
  assert.ok(all.some((f) => f.endsWith('dom.js')));
  assert.ok(all.length >= 20, `${all.length} files`);
});

for (const file of all) {
  test(`no markup or code sink in ${relative(WEB, file)}`, () => {
    const lines = code(readFileSync(file, 'utf8')).split('\n');
    const found = [];
    lines.forEach((line, i) => {
      for (const [name, re] of SINKS) if (re.test(line)) found.push(`${i + 1}: ${name}: ${line.trim().slice(0, 120)}`);
    });
    assert.deepEqual(found, []);
  });
}

test('the sink patterns find what they are for', () => {
  const bad = [
    'el.innerHTML = s;', 'x.outerHTML=s', 'el.insertAdjacentHTML("beforeend", s)', 'document.write(s)',
    'f.srcdoc = s', 'r.createContextualFragment(s)', 'new DOMParser()', 'eval(s)', 'new Function(s)',
    "setTimeout('go()', 1)", "el.setAttribute('onclick', s)", "el.onclick = 'go()'",
    '<div onclick="go()">', '<script>go()</script>',
  ];
  for (const line of bad) assert.ok(SINKS.some(([, re]) => re.test(code(line))), line);
  const fine = ['el.textContent = s;', 'x.evaluate(s)', 'setTimeout(() => go(), 1)', '<script type="module" src="/js/ui/viewer.js"></script>',
    "el.addEventListener('click', fn)", 'const url = "https://example.org/x"; // innerHTML is not used'];
  for (const line of fine) assert.ok(!SINKS.some(([, re]) => re.test(code(line))), line);
});
