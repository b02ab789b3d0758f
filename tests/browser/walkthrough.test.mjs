// The rasa walkthrough: upload through the page, click down the icicle from
// problem_function to the <lambda> at rule_policy.py:895, check the
// breadcrumbs and the details panel against pstats, switch to the sunburst
// and back, then share the link with a fresh browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, waitIdle, findNode, clickNode, crumbs, viewState, nodes,
  pstats, getJson, assertNoProblems, RASA_5000, RASA_SAMPLE, REPO,
} from './harness.mjs';
import { join } from 'node:path';

const CHAIN = ['problem_function', 'predict_action_probabilities', '_predict', '_find_action_from_rules', '_get_possible_keys', '<lambda>'];

const suite = browserSuite({ serverArgs: ['--source-root', join(REPO, 'data', 'rasa_sample')] });

/** The lambda's cumtime as pstats has it, to 3 decimals (pstats' print format). */
function lambdaCumtime(file) {
  return pstats(file, `
for (f, l, n), v in s.stats.items():
    if l == 895 and n == '<lambda>':
        print(json.dumps(v[3]))`);
}

async function uploadThroughPage(page, file) {
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', file);
  await page.waitForURL(/\/p\/[0-9a-f]{32}\?/, { timeout: 15000 });
  await waitIdle(page);
  return /\/p\/([0-9a-f]{32})/.exec(page.url())[1];
}

async function walkDown(page) {
  for (let i = 0; i < CHAIN.length; i++) {
    const name = CHAIN[i];
    // problem_function is a few levels below the top; each next one is a
    // child of the current root.
    const node = await findNode(page, name, i === 0 ? undefined : 1);
    assert.ok(node, `${name} is visible in the icicle (step ${i})`);
    await clickNode(page, node);
    await waitIdle(page);
    const st = await viewState(page);
    assert.equal(st.path[st.path.length - 1], node.fid, `the path ends with ${name}`);
    assert.equal(st.sel, node.fid, `${name} is selected`);
    const root = (await nodes(page)).find((n) => n.depth === 0);
    assert.equal(root.name, name, `${name} fills the chart as its root`);
    assert.ok(Math.abs(root.w - (await page.$eval('#chart-wrap', (e) => e.clientWidth))) < 1, 'the root fills the width');
  }
}

async function checkCrumbs(page) {
  const c = await crumbs(page);
  assert.equal(c[0], 'all');
  assert.deepEqual(c.slice(-CHAIN.length), CHAIN, 'breadcrumbs end with the path clicked');
}

async function checkDetails(page, file, id) {
  await page.waitForFunction(() => {
    const el = document.querySelector('#fn-location');
    return el && el.textContent.includes('rule_policy.py:895');
  }, null, { timeout: 10000 });
  assert.equal(await page.$eval('.fn-name', (e) => e.textContent), '<lambda>');
  const loc = await page.$eval('#fn-location', (e) => e.textContent);
  assert.match(loc, /rule_policy\.py:895$/);
  const ct = lambdaCumtime(file);
  // The same figure from the API, as a cross-check of what the page shows.
  const api = await getJson(suite.base, `/api/profiles/${id}/functions?q=${encodeURIComponent('rule_policy\\.py:895\\(<lambda>\\)')}`);
  assert.equal(api.rows.length, 1);
  assert.ok(Math.abs(api.rows[0].ct - ct) < 1e-9, `API cumtime ${api.rows[0].ct} = pstats ${ct}`);
  const stats = await page.$$eval('.fn-stats .stat', (els) => Object.fromEntries(els.map((e) => [e.querySelector('dt').textContent, e.querySelector('dd').textContent])));
  assert.equal(stats.cumtime, ct.toFixed(3) + ' s', 'cumtime as pstats prints it');
}

async function sunburstAndBack(page) {
  const before = await viewState(page);
  const crumbsBefore = await crumbs(page);
  await page.click('#view-switch button[data-view="sunburst"]');
  await waitIdle(page);
  let st = await viewState(page);
  assert.equal(st.view, 'sunburst');
  assert.deepEqual(st.path, before.path, 'the sunburst keeps the root');
  let root = (await nodes(page)).find((n) => n.depth === 0);
  assert.equal(root.name, '<lambda>', 'the lambda is in the centre');
  assert.deepEqual(await crumbs(page), crumbsBefore);
  await page.click('#view-switch button[data-view="icicle"]');
  await waitIdle(page);
  st = await viewState(page);
  assert.equal(st.view, 'icicle');
  assert.deepEqual(st.path, before.path, 'back on the icicle, same root');
  root = (await nodes(page)).find((n) => n.depth === 0);
  assert.equal(root.name, '<lambda>');
}

for (const [label, file] of [['data/rasa_maxsize5000.prof', RASA_5000], ['project sample data/rasa_maxsize1000.prof', RASA_SAMPLE]]) {
  test(`rasa walkthrough: ${label}`, async () => {
    const page = await suite.newPage();
    const id = await uploadThroughPage(page, file);
    await walkDown(page);
    await checkCrumbs(page);
    await checkDetails(page, file, id);
    // This server has --source-root data/rasa_sample: the lambda's line is
    // shown, highlighted. (The files name /workspaces/rasa-sample/rule_policy.py,
    // where they were made; the server finds it by its last path components
    // under the root.)
    await page.waitForSelector('.src-line.hl', { timeout: 10000 });
    assert.equal((await page.$eval('.src-line.hl .ln', (e) => e.textContent)).trim(), '895');
    assert.match(await page.$eval('.src-line.hl .code', (e) => e.textContent), /lambda/);
    // Whole, however narrow the panel: the line wraps instead of being cut.
    const cut = await page.$eval('.src-line.hl .code', (e) => {
      const pane = e.closest('.src').getBoundingClientRect();
      const r = e.getBoundingClientRect();
      return { right: r.right, paneRight: pane.right, scroll: e.scrollWidth - e.clientWidth };
    });
    assert.ok(cut.right <= cut.paneRight + 0.5 && cut.scroll <= 1, 'the highlighted line fits the panel: ' + JSON.stringify(cut));
    await sunburstAndBack(page);
    assertNoProblems(page, assert);
    await page.context().close();
  });
}

test('share: a copied link opens the same view in a fresh browser', async () => {
  const page = await suite.newPage({ permissions: ['clipboard-read', 'clipboard-write'] });
  await uploadThroughPage(page, RASA_SAMPLE);
  await walkDown(page);
  await page.click('#view-switch button[data-view="sunburst"]');
  await waitIdle(page);
  await page.click('#copy-link');
  await page.waitForFunction(() => document.querySelector('#copy-link').textContent === 'Copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  assert.match(link, /[?&]v=1&/);
  const st = await viewState(page);
  const c = await crumbs(page);

  const fresh = await suite.newPage(); // a new context: no storage, no history
  await fresh.goto(link);
  await waitIdle(fresh);
  const st2 = await viewState(fresh);
  assert.deepEqual(st2, st, 'same view state');
  assert.deepEqual(await crumbs(fresh), c, 'same breadcrumbs');
  const root = (await nodes(fresh)).find((n) => n.depth === 0);
  assert.equal(root.name, '<lambda>');
  assert.equal(await fresh.$eval('#view-switch button[aria-pressed="true"]', (e) => e.dataset.view), 'sunburst');
  await fresh.waitForFunction(() => document.querySelector('.fn-name') && document.querySelector('.fn-name').textContent === '<lambda>');
  assertNoProblems(page, assert);
  assertNoProblems(fresh, assert);
  await page.context().close();
  await fresh.context().close();
});
