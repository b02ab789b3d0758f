// Issue 14, points 13 and 11: "Callers of this function" opens the
// inverted tree of json.loads (who calls it, with pstats' caller edge
// times), the Inverted toggle and the URL carry it, and a fresh browser
// given the link sees the same; the details panel's VS Code link opens a
// relative path (main.py, as cProfile records the script it ran) through
// the file the server found under --source-root.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  browserSuite, waitIdle, nodes, viewState, crumbs, clickNode, pstats, uploadApi, getJson,
  screenshot, assertNoProblems, RASA_SAMPLE,
} from './harness.mjs';

// A project with a relative script path, as `python -m cProfile main.py` records it.
const PROJ = mkdtempSync(join(tmpdir(), 'pstatsviz-rel-'));
mkdirSync(join(PROJ, 'src'));
writeFileSync(join(PROJ, 'src', 'main.py'), 'import json\n\n\ndef main():\n    return json.loads("1")\n');
const REL_PROF = join(PROJ, 'rel.prof');
execFileSync('python3', ['-c', `
import marshal, sys
main = ('main.py', 4, 'main')
loads = ('/usr/lib/python3/json/__init__.py', 299, 'loads')
d = {main: (1, 1, 0.5, 2.0, {}), loads: (1, 1, 1.5, 1.5, {main: (1, 1, 1.5, 1.5)})}
with open(sys.argv[1], 'wb') as f:
    marshal.dump(d, f)
`, REL_PROF]);

const suite = browserSuite({ serverArgs: ['--source-root', join(PROJ, 'src')] });

test.after(() => rmSync(PROJ, { recursive: true, force: true }));

/** json.loads' fid, and its callers' edge cumtimes as pstats has them, by name. */
async function loadsOf(id) {
  const rows = (await getJson(suite.base, `/api/profiles/${id}/functions?q=json/__init__&limit=10`)).rows;
  const loads = rows.find((r) => r.name === 'loads');
  const callers = pstats(RASA_SAMPLE, `
for k, v in s.stats.items():
    if k[2] == 'loads' and k[0].endswith('json/__init__.py'):
        print(json.dumps({c[2]: e[3] for c, e in v[4].items()}))`);
  return { fid: loads.fid, callers };
}

test('Callers of this function opens the inverted tree of json.loads, and the link reproduces it', async () => {
  const { id } = await uploadApi(suite.base, RASA_SAMPLE, 'rasa.prof');
  const loads = await loadsOf(id);
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${suite.base}/p/${id}?v=1&view=icicle&sel=${loads.fid}`);
  await waitIdle(page);
  assert.equal(await page.$eval('#invert', (b) => b.getAttribute('aria-pressed')), 'false');
  await page.click('#show-callers');
  await waitIdle(page);

  const st = await viewState(page);
  assert.equal(st.root, loads.fid, 'rooted at json.loads');
  assert.equal(st.invert, true, 'inverted');
  assert.match(page.url(), new RegExp(`root=${loads.fid}&invert=1`), 'the URL carries it');
  const list = await nodes(page);
  const root = list.find((n) => n.depth === 0);
  assert.equal(root.name, 'loads');
  const first = list.filter((n) => n.depth === 1);
  assert.deepEqual(first.map((n) => n.name), Object.keys(loads.callers), 'level 1 is pstats\' callers');
  for (const n of first) {
    assert.ok(Math.abs(n.value - loads.callers[n.name]) < 1e-9, `${n.name}: the caller edge's cumtime`);
    assert.equal(n.exact, true, `${n.name} is exact`);
  }
  const up = list.filter((n) => n.depth > 1).map((n) => n.name);
  for (const name of ['_is_rule_applicable', 'problem_function']) assert.ok(up.includes(name), `${name} is among the callers above`);
  const c = await crumbs(page);
  assert.deepEqual(c, ['all', 'loads']);
  assert.equal(await page.$eval('.crumb-mode', (e) => e.textContent), ' · its callers');
  assert.equal(await page.$eval('#invert', (b) => b.getAttribute('aria-pressed')), 'true');
  assert.equal(await page.$eval('#show-callers', (b) => b.hidden), true, 'the button for what is shown is hidden');
  assert.equal(await page.$eval('#show-all-calls', (b) => b.hidden), false);
  await screenshot(page, 'invert-json-loads');

  // The link, in a fresh browser context, shows the same.
  const fresh = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await fresh.goto(page.url());
  await waitIdle(fresh);
  const again = (await nodes(fresh)).map((n) => [n.name, n.depth, n.value]);
  assert.deepEqual(again, list.map((n) => [n.name, n.depth, n.value]), 'Copy link reproduces the view');
  assertNoProblems(fresh, assert);
  await fresh.context().close();

  // A caller's click shows its own callers, still inverted.
  const rk = first.find((n) => n.name === '_rule_key_to_state');
  await clickNode(page, rk);
  await waitIdle(page);
  const st2 = await viewState(page);
  assert.equal(st2.root, rk.fid);
  assert.equal(st2.invert, true);

  // The toggle goes back to the callees of the function in view.
  await page.click('#invert');
  await waitIdle(page);
  const st3 = await viewState(page);
  assert.equal(st3.root, rk.fid);
  assert.equal(st3.invert, false);
  assert.doesNotMatch(page.url(), /invert/);
  const kids = (await nodes(page)).filter((n) => n.depth === 1).map((n) => n.name);
  assert.ok(kids.includes('loads'), 'the callees again: json.loads below _rule_key_to_state');
  // ... and Back returns to the callers.
  await page.goBack();
  await waitIdle(page);
  assert.equal((await viewState(page)).invert, true);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('the VS Code link of a relative main.py opens the file found under --source-root', async () => {
  const { id } = await uploadApi(suite.base, REL_PROF, 'rel.prof');
  const rows = (await getJson(suite.base, `/api/profiles/${id}/functions?q=main`)).rows;
  const main = rows.find((r) => r.name === 'main');
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${id}?v=1&view=icicle&sel=${main.fid}`);
  await waitIdle(page);
  await page.waitForSelector('#source .src-line');
  const href = await page.$eval('#open-vscode', (a) => a.getAttribute('href'));
  assert.equal(href, 'vscode://file' + encodeURI(realpathSync(join(PROJ, 'src', 'main.py'))) + ':4');
  assertNoProblems(page, assert);
  await page.context().close();
});
