// Hostile names (tests/corpus/malformed/valid_nasty_strings.prof): HTML,
// quotes, NUL, RTL overrides, SQL and format-string bait, a 100,000-character
// name. They must reach the page as text only: no new <script> element, no
// dialog, and the text itself visible where names are shown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, waitIdle, nodes, viewState, assertNoProblems, NASTY,
} from './harness.mjs';

const SCRIPT = '<script>alert(1)</script>';

const suite = browserSuite();

const scriptCount = (page) => page.evaluate(() => document.querySelectorAll('script').length);

test('hostile names are text in the table, the chart, the tooltip and the details panel', async () => {
  const page = await suite.newPage();
  // Upload through the page, as a user would.
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', NASTY);
  await page.waitForURL(/\/p\/[0-9a-f]{32}/);
  await waitIdle(page);
  const scripts = await scriptCount(page);
  assert.equal(scripts, 1, 'the viewer has one script: its module');

  // The chart: the script-named entry point is a node, drawn as text on the canvas.
  const list = await nodes(page);
  const sNode = list.find((n) => n.name === SCRIPT);
  assert.ok(sNode, 'the <script> function is a node of the chart');
  await page.mouse.move(sNode.x + 20, sNode.y + sNode.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  assert.equal(await page.$eval('#tooltip .tip-name', (e) => e.textContent), SCRIPT);
  assert.equal(await page.$$eval('#tooltip *', (els) => els.filter((e) => e.tagName === 'SCRIPT').length), 0);

  // The table, sorted by name: every hostile name is a row of text.
  await page.click('#view-switch button[data-view="table"]');
  await page.click('#table-head .th[data-sort="file"]');
  await page.waitForSelector('#table-rows .tr[data-fid]');
  await page.waitForFunction(() => window.__pstatsviz.idle());
  const labels = await page.$$eval('#table-rows .tr[data-fid]', (els) => els.filter((e) => !e.hidden).map((e) => e.querySelector('.label').textContent));
  assert.equal(labels.length, 16);
  assert.ok(labels.includes(`:0(${SCRIPT})`), 'the <script> label is text: ' + JSON.stringify(labels));
  assert.ok(labels.includes('/tmp/a b/c.py:3(quote"\'`back\\slash)'), 'quotes and backslashes as text');
  assert.ok(labels.includes("<string>:12('; DROP TABLE functions; --)"), 'SQL bait as text');
  assert.ok(labels.includes('~:11(%s%n%d{}{0})'), 'format-string bait as text');
  assert.ok(labels.includes('~:1(name\\x00with\\x00nul)'), 'NUL shown escaped, as Python repr does');
  assert.ok(labels.includes('C:\\Users\\x\\y.py:4(\\u202eevil\\u202c rtl)'), 'the RTL override is visible, not obeyed');
  assert.ok(labels.some((l) => l.length >= 400 && l.endsWith('…')), 'the 100,000-character name is cut');

  // The details panel for the script function.
  const row = await page.$(`#table-rows .tr[data-fid] >> text=${SCRIPT}`);
  await row.dblclick(); // opens it in the chart (a click only selects it)
  await waitIdle(page);
  await page.waitForFunction((s) => document.querySelector('.fn-name') && document.querySelector('.fn-name').textContent === s, SCRIPT);
  assert.equal((await viewState(page)).view, 'icicle');

  // A search with & and quotes round-trips through the URL as text.
  await page.fill('#search', 'a&b="\'<x>');
  await page.waitForFunction(() => /q=/.test(location.search));
  assert.equal((await viewState(page)).q, 'a&b="\'<x>');
  await page.reload();
  await waitIdle(page);
  assert.equal(await page.inputValue('#search'), 'a&b="\'<x>');

  // The long name in the details panel: cut, and the page still lays out.
  await page.goto(page.url().replace(/\?.*/, '?view=table&sort=name&order=desc'));
  await page.waitForSelector('#table-rows .tr[data-fid]');

  assert.equal(await scriptCount(page), scripts, 'no <script> element was added');
  assert.deepEqual(page.dialogs, [], 'no dialog opened');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('hostile names in the sunburst and with every filter', async () => {
  const page = await suite.newPage();
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', NASTY);
  await page.waitForURL(/\/p\/[0-9a-f]{32}/);
  const url = page.url().replace(/\?.*/, '');
  for (const q of ['?view=sunburst&cutoff=0&depth=64', '?hide=builtins,stdlib,site-packages&cutoff=0', '?view=icicle&cutoff=0&depth=64']) {
    await page.goto(url + q);
    await waitIdle(page);
    assert.ok((await nodes(page)).length > 0);
  }
  assert.equal(await scriptCount(page), 1);
  assertNoProblems(page, assert);
  await page.context().close();
});
