// Long paths are cut in the middle where room is short (issue 14, point
// 10): the file name and line stay whole, directories go first, in the
// table, the details panel and the tooltip, at 800x600.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSuite, waitIdle, findNode, uploadApi, assertNoProblems, screenshot } from './harness.mjs';

const DIR = '/home/someone/projects/assistant/.venv/lib/python3.8/site-packages/rasa/core/policies';
const FILE = DIR + '/rule_policy.py';
let prof;
const suite = browserSuite({
  async setup({ base }) {
    // a profile whose hot function lives deep in site-packages, as in the blog post's rasa
    const path = join(mkdtempSync(join(tmpdir(), 'pstatsviz-labels-')), 'long.prof');
    execFileSync('python3', ['-c', `import marshal, sys
main = ("/home/someone/projects/assistant/main.py", 1, "main")
lam = (${JSON.stringify(FILE)}, 895, "<lambda>")
stats = {main: (1, 1, 0.5, 1.0, {}), lam: (10, 10, 0.2, 0.5, {main: (10, 10, 0.2, 0.5)})}
with open(sys.argv[1], "wb") as f:
    marshal.dump(stats, f)`, path]);
    prof = await uploadApi(base, path);
  },
});

const fits = (el) => el.scrollWidth <= el.clientWidth + 1;

test('at 800x600 the table, the details panel and the tooltip cut paths in the middle', async () => {
  const page = await suite.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(`${suite.base}/p/${prof.id}?view=table`);
  await page.waitForSelector('#table-rows .tr[data-fid]');
  const row = page.locator('#table-rows .tr[data-fid]', { hasText: '<lambda>' });
  const label = await row.locator('.label').textContent();
  assert.match(label, /^…\/.*\/rule_policy\.py:895\(<lambda>\)$/, `the table's label: ${label}`);
  assert.ok(label.length < FILE.length, 'directories went');
  assert.ok(await row.locator('.label').evaluate(fits), 'the cut label fits its cell');
  assert.ok(await row.locator('.base').evaluate(fits), 'file name, line and function whole');

  await row.click();
  await page.waitForFunction(() => document.querySelector('#fn-location')?.textContent.includes('rule_policy.py:895'));
  const loc = page.locator('#fn-location');
  const text = await loc.textContent();
  assert.match(text, /^…\/.*rule_policy\.py:895$/, `details: ${text}`);
  assert.ok(await loc.evaluate(fits), 'the location fits the panel on one line');
  assert.equal(await loc.getAttribute('title'), FILE + ':895', 'the whole path on hover');
  await screenshot(page, 'labels-table-800');

  await page.goto(`${suite.base}/p/${prof.id}`);
  await waitIdle(page);
  const node = await findNode(page, '<lambda>');
  await page.mouse.move(node.x + Math.min(node.w / 2, 30), node.y + node.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tip = await page.textContent('#tooltip .tip-loc');
  assert.match(tip, /^…\/.*\/rule_policy\.py:895$/, `tooltip: ${tip}`);
  assert.ok(await page.locator('#tooltip .tip-loc').evaluate(fits), 'the tooltip\'s path fits it');
  await screenshot(page, 'labels-tooltip-800');
  assertNoProblems(page, assert);
  await page.context().close();
});
