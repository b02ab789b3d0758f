// The chart's numbers against pstats on the bundled sample: the tooltip
// names both of a node's numbers, "this path" and "function total (pstats
// cumtime)"; problem_function's node, its tooltip and the details panel
// agree; and the chain below it is drawn exact, not hatched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, waitIdle, findNode, clickNode, nodes, pstats, uploadApi, assertNoProblems,
  RASA_SAMPLE, screenshot,
} from './harness.mjs';
import { fmtSeconds } from '../../web/js/model/format.js';

const CHAIN = ['problem_function', 'predict_action_probabilities', '_predict', '_find_action_from_rules',
  '_get_possible_keys', '<lambda>', '_is_rule_applicable', '_rule_key_to_state'];

let rasa;
const suite = browserSuite({
  async setup({ base }) {
    rasa = await uploadApi(base, RASA_SAMPLE);
  },
});

/** pstats' cumtime of each function of CHAIN (names are unique there but
 * for <lambda>, which is rule_policy.py's line 895). */
function chainCumtimes(file) {
  return pstats(file, `
want = ${JSON.stringify(CHAIN)}
out = {}
for (f, l, n), v in s.stats.items():
    if n in want and (n != '<lambda>' or l == 895):
        out[n] = v[3]
print(json.dumps(out))`);
}

/** The tooltip's rows, label -> value, once the function's totals came. */
async function hoverRows(page, node) {
  await page.mouse.move(node.x + node.w / 2, node.y + node.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  await page.waitForFunction(() => !document.querySelector('#tooltip').textContent.includes('loading totals'));
  return page.$$eval('#tooltip .tip-row', (rows) => Object.fromEntries(rows.map((r) => [r.querySelector('.tip-k').textContent, r.querySelector('.tip-v').textContent])));
}

test('numbers: problem_function down to _rule_key_to_state carry pstats\' cumtime, exact; tooltip and details agree', async () => {
  const cts = chainCumtimes(RASA_SAMPLE);
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?depth=12`);
  await waitIdle(page);
  const shown = await nodes(page);
  for (const name of CHAIN) {
    const n = shown.find((s) => s.name === name);
    assert.ok(n, `${name} is drawn`);
    assert.ok(Math.abs(n.value - cts[name]) <= 1e-9 * cts[name], `${name}: ${n.value} is pstats' cumtime ${cts[name]}`);
    assert.equal(n.exact, true, `${name} is exact, not hatched`);
  }

  const pf = await findNode(page, 'problem_function');
  const rows = await hoverRows(page, pf);
  assert.ok('this path' in rows && 'function total (pstats cumtime)' in rows, 'both numbers, labelled: ' + JSON.stringify(rows));
  const secs = (text) => text.split(' · ')[0];
  assert.equal(secs(rows['this path']), fmtSeconds(cts.problem_function));
  assert.equal(secs(rows['function total (pstats cumtime)']), secs(rows['this path']), 'the two numbers agree for a function with one path');
  const share = (text) => text.split(' · ')[1];
  assert.equal(share(rows['function total (pstats cumtime)']), share(rows['this path']));
  await screenshot(page, 'numbers-tooltip');

  await clickNode(page, pf);
  await waitIdle(page);
  await page.waitForFunction(() => document.querySelector('.fn-name') && document.querySelector('.fn-name').textContent === 'problem_function');
  const stats = await page.$$eval('.fn-stats .stat', (els) => Object.fromEntries(els.map((e) => [e.querySelector('dt').textContent, e.querySelector('dd').textContent])));
  assert.equal(stats.cumtime, cts.problem_function.toFixed(3) + ' s', 'details give pstats\' cumtime');
  const root = (await nodes(page)).find((n) => n.depth === 0);
  assert.equal(root.name, 'problem_function');
  assert.equal(root.value.toFixed(3) + ' s', stats.cumtime, 'the node and the details agree');
  assertNoProblems(page, assert);
  await page.context().close();
});
