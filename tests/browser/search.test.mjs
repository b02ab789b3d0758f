// The search box sees the whole profile (issue 14, point 1): the count and
// share come from every function, nested matches counted once, the line
// says how many matches the chart does not draw, and Enter opens the
// largest along its heaviest path. Checked against pstats.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, waitIdle, nodes, viewState, crumbs, uploadApi, pstats, assertNoProblems, RASA_SAMPLE,
} from './harness.mjs';

let rasa;
const suite = browserSuite({ async setup({ base }) { rasa = await uploadApi(base, RASA_SAMPLE); } });

/** [label, ct] of the functions whose pstats label matches re, and pstats' total. */
function pstatsMatches(re) {
  return pstats(RASA_SAMPLE, `import re
print(json.dumps({"total": s.total_tt, "rows": [[pstats.func_std_string(k), v[3]] for k, v in s.stats.items()
                  if re.search(${JSON.stringify(re)}, pstats.func_std_string(k), re.I)]}))`);
}

async function search(page, q) {
  await page.fill('#search', q);
  await page.waitForFunction(() => /match/.test(document.querySelector('#search-info').textContent));
  await waitIdle(page);
  return { text: await page.textContent('#search-info'), title: await page.getAttribute('#search-info', 'title') };
}

const INFO = /^([\d,]+) match(?:es)? · ([\d.]+)% of all(?: · ([\d,]+) (below the drawn depth|outside this view))?$/;

test('search "loads" finds json.loads below the drawn depth, with its share; Enter opens it', async () => {
  const page = await suite.newPage();
  // depth 10: the view, one level above json.loads
  await page.goto(`${suite.base}/p/${rasa.id}?depth=10`);
  await waitIdle(page);
  const want = pstatsMatches('loads');
  assert.equal(want.rows.length, 2, 'json.loads and marshal.loads');
  const info = await search(page, 'loads');
  const m = INFO.exec(info.text);
  assert.ok(m, 'search info reads "N matches · X% of all · M below the drawn depth": ' + info.text);
  assert.equal(Number(m[1]), 2);
  // the two are not nested: their cumtimes add up
  const share = (100 * want.rows.reduce((s, r) => s + r[1], 0)) / want.total;
  assert.ok(Math.abs(Number(m[2]) - share) < 0.05, `share ${m[2]} vs pstats ${share}`);
  const drawn = new Set((await nodes(page)).filter((n) => n.match).map((n) => n.fid));
  assert.ok(drawn.size < 2, 'json.loads is not drawn at depth 10');
  assert.equal(Number(m[3] || 0), 2 - drawn.size, 'matches not drawn');
  assert.equal(m[4], 'below the drawn depth');
  const loads = want.rows.find((r) => r[0].endsWith('json/__init__.py:299(loads)'));
  assert.match(info.title, new RegExp(`Enter opens the largest: loads \\(${(100 * loads[1] / want.total).toFixed(1)}% of all\\)`));

  await page.focus('#search');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__pstatsviz.state().path.length > 0);
  await waitIdle(page);
  const root = (await nodes(page)).find((n) => n.depth === 0);
  assert.equal(root.name, 'loads', 'Enter opened json.loads');
  const st = await viewState(page);
  assert.equal(st.path.at(-1), root.fid, 'along a path, whose last step is json.loads');
  assert.equal(st.sel, root.fid);
  const names = await crumbs(page);
  for (const n of ['problem_function', '_rule_key_to_state', 'loads']) assert.ok(names.includes(n), `${n} in the crumbs ${names}`);
  assert.match(await page.textContent('#search-info'), /^2 matches · [\d.]+% of all · 1 outside this view$/);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('search "json" counts every json function, json.loads included, nested ones once', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?depth=10`);
  await waitIdle(page);
  const want = pstatsMatches('json');
  const cts = want.rows.map((r) => r[1]).sort((a, b) => b - a);
  const ct = (suffix) => want.rows.find((r) => r[0].endsWith(suffix))[1];
  const info = await search(page, 'json');
  const m = INFO.exec(info.text);
  assert.ok(m, info.text);
  assert.equal(Number(m[1]), want.rows.length);
  const share = Number(m[2]);
  // at least json.loads and json.dumps, which are apart; less than the sum
  // of all cumtimes, which counts decode under loads and so on again
  const apart = (100 * (ct('json/__init__.py:299(loads)') + ct('json/__init__.py:183(dumps)'))) / want.total;
  const summed = (100 * cts.reduce((s, x) => s + x, 0)) / want.total;
  assert.ok(share >= apart - 0.05 && share < summed - 20, `share ${share}: at least ${apart}, well under ${summed}`);
  assert.ok(share <= 100);
  assert.match(info.title, /Enter opens the largest: loads /);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('the search line gives way in the header: the profile name and every button stay in the window', async () => {
  for (const width of [1400, 1000]) {
    const page = await suite.newPage({ viewport: { width, height: 900 } });
    await page.goto(`${suite.base}/p/${rasa.id}?depth=10`);
    await waitIdle(page);
    await search(page, 'json');
    const boxes = await page.evaluate(() => Object.fromEntries(
      ['#profile-name', '#compare-with', '#copy-link', '#details-toggle', '#search-info'].map((sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return [sel, { left: r.left, right: r.right, width: r.width }];
      })));
    for (const sel of ['#compare-with', '#copy-link', '#details-toggle']) {
      assert.ok(boxes[sel].right <= width, `${width} px: ${sel} ends at ${boxes[sel].right}`);
    }
    assert.ok(boxes['#profile-name'].width > 40, `${width} px: the profile name shows (${boxes['#profile-name'].width} px)`);
    assert.ok(boxes['#search-info'].width > 0, `${width} px: the search line shows, cut if it must be`);
    await page.context().close();
  }
});

test('while a search is typed, its line takes the place of the profile\'s counts: whole at 1400 px', async () => {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  assert.ok(await page.$eval('#profile-meta', (e) => e.getBoundingClientRect().width > 0), 'the counts show before a search');
  const info = await search(page, 'loads');
  assert.match(info.text, /^2 matches · [\d.]+% of all$/);
  const fit = await page.$eval('#search-info', (e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
  assert.ok(fit.scroll <= fit.client, `the line is whole (${fit.scroll} px of text in ${fit.client} px)`);
  assert.equal(await page.$eval('#profile-meta', (e) => e.getBoundingClientRect().width), 0, 'the counts make room');
  await page.fill('#search', '');
  await waitIdle(page);
  assert.ok(await page.$eval('#profile-meta', (e) => e.getBoundingClientRect().width > 0), 'and come back when the search is cleared');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('a search that matches nothing says so, and Enter leaves the view', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  await page.fill('#search', 'no_such_function_anywhere');
  await page.waitForFunction(() => document.querySelector('#search-info').textContent === 'no match');
  await page.focus('#search');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.notice');
  assert.deepEqual((await viewState(page)).path, []);
  await page.context().close();
});
