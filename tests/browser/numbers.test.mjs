// The chart's numbers against pstats on the bundled sample: the tooltip
// names both of a node's numbers, "this path" and "function total (pstats
// cumtime)"; problem_function's node, its tooltip and the details panel
// agree; and the chain below it is drawn exact, not hatched.  And time no
// recorded call accounts for: a grey "(not recorded)" node, no share over
// 100%.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, waitIdle, findNode, clickNode, nodes, pstats, uploadApi, assertNoProblems,
  RASA_SAMPLE, screenshot,
} from './harness.mjs';
import { fmtSeconds } from '../../web/js/model/format.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

// The gap profile of tests/http/check_tree_numbers.py: code under test
// switched the profiler off inside paused(), whose ct holds 0.5 s that no
// tt does; exec's ct, 1.7 s, exceeds pstats' total, 1.2 s.
const GAP_STATS = `{
    ("~", 0, "<built-in method builtins.exec>"): (1, 1, 0.0, 1.7, {}),
    ("run.py", 1, "<module>"): (1, 1, 0.0, 1.7, {("~", 0, "<built-in method builtins.exec>"): (1, 1, 0.0, 1.7)}),
    ("run.py", 10, "main"): (1, 1, 0.01, 1.7, {("run.py", 1, "<module>"): (1, 1, 0.01, 1.7)}),
    ("run.py", 20, "work"): (1, 1, 1.0, 1.0, {("run.py", 10, "main"): (1, 1, 1.0, 1.0)}),
    ("run.py", 30, "paused"): (1, 1, 0.04, 0.69, {("run.py", 10, "main"): (1, 1, 0.04, 0.69)}),
    ("run.py", 40, "busy"): (1, 1, 0.15, 0.15, {("run.py", 30, "paused"): (1, 1, 0.15, 0.15)}),
}`;

/** The gap profile written to a fresh file: {file, total, top}. */
function gapProfile() {
  const dir = mkdtempSync(join(tmpdir(), 'pstatsviz-gap-'));
  const file = join(dir, 'gap.prof');
  execFileSync('python3', ['-c', `import marshal, sys\nmarshal.dump(${GAP_STATS}, open(sys.argv[1], "wb"))`, file]);
  const { total, top } = pstats(file, 'print(json.dumps({"total": s.total_tt, "top": max(v[3] for v in s.stats.values())}))');
  assert.ok(top - total > 0.4, `the top call ${top} exceeds pstats' total ${total}`);
  return { file, total, top };
}

test('numbers: time no recorded call accounts for is a grey "(not recorded)" node, and no share is over 100%', async () => {
  const { file, total, top } = gapProfile();
  const up = await uploadApi(suite.base, file, 'gap.prof');
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${up.id}`);
  await waitIdle(page);
  const shown = await nodes(page);
  const gap = shown.filter((n) => n.unrecorded);
  assert.equal(gap.length, 1, 'one (not recorded) node');
  assert.equal(gap[0].name, '(not recorded)');
  assert.ok(Math.abs(gap[0].value - (top - total)) < 1e-9, `it holds the gap: ${gap[0].value}`);
  const parent = shown.find((n) => n.name === 'paused');
  assert.equal(gap[0].depth, parent.depth + 1, 'under paused, where the time went');
  assert.match(gap[0].text || '', /^\(not recorded\)/, 'labelled on the chart: ' + gap[0].text);
  const colour = await page.evaluate(({ x, y }) => {
    const c = document.querySelector('#chart');
    const r = c.getBoundingClientRect();
    const k = c.width / r.width;
    return Array.from(c.getContext('2d').getImageData((x - r.left) * k, (y - r.top) * k, 1, 1).data);
  }, { x: gap[0].x + gap[0].w - 3, y: gap[0].y + gap[0].h / 2 });
  assert.ok(Math.abs(colour[0] - colour[1]) < 4 && Math.abs(colour[1] - colour[2]) < 4, 'drawn grey: ' + colour);

  const tip = async (node) => {
    await page.mouse.move(node.x + node.w / 2, node.y + node.h / 2);
    await page.waitForSelector('#tooltip:not([hidden])');
    await page.waitForFunction(() => !document.querySelector('#tooltip').textContent.includes('loading totals'));
    return page.$eval('#tooltip', (e) => e.textContent);
  };
  const text = await tip(gap[0]);
  assert.match(text, /\(not recorded\)/);
  assert.match(text, /500 ms · 29\.4% of all/, 'its share is of the top call\'s 1.7 s: ' + text);
  await screenshot(page, 'numbers-not-recorded');
  for (const n of shown.filter((s) => !s.unrecorded)) {
    const t = await tip(n);
    for (const m of t.matchAll(/([\d.]+)% of all/g)) assert.ok(Number(m[1]) <= 100, `${n.name}: ${m[0]}`);
  }
  assert.match(await tip(shown.find((n) => n.name === '<built-in method builtins.exec>')), /this path1\.70 s · 100\.0% of all/);
  assertNoProblems(page, assert);
  await page.context().close();
});

// The details panel, the table and the search give their shares of what
// the chart's are of (the top call's 1.7 s here), not of pstats' total
// (1.2 s): exec read "cum % 141.7%" in the details panel beside a chart
// that says 100%.
test('numbers: on the gap profile the details panel, the table and the search share the chart\'s whole, never over 100%', async () => {
  const { file } = gapProfile();
  const up = await uploadApi(suite.base, file, 'gap.prof');
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${up.id}`);
  await waitIdle(page);
  const shown = await nodes(page);
  const cumPct = async (name) => {
    await clickNode(page, shown.find((n) => n.name === name));
    await waitIdle(page);
    await page.waitForFunction((want) => document.querySelector('.fn-name')?.textContent === want, name);
    return page.$$eval('.fn-stats .stat', (els) => Object.fromEntries(els.map((e) => [e.querySelector('dt').textContent, e.querySelector('dd').textContent]))['cum %']);
  };
  assert.equal(await cumPct('<built-in method builtins.exec>'), '100.0%', 'exec, the top call, is all of it');
  await screenshot(page, 'numbers-gap-details');
  // work: 1.0 s of 1.7 s, as its node's tooltip says.
  await page.goto(`${suite.base}/p/${up.id}`);
  await waitIdle(page);
  const work = (await nodes(page)).find((n) => n.name === 'work');
  await page.mouse.move(work.x + work.w / 2, work.y + work.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tipShare = /· ([\d.]+%) of all/.exec(await page.$eval('#tooltip', (e) => e.textContent))[1];
  assert.equal(tipShare, '58.8%');
  assert.equal(await cumPct('work'), tipShare, 'the details panel and the tooltip agree');

  await page.goto(`${suite.base}/p/${up.id}?view=table`);
  await waitIdle(page);
  const titles = await page.$$eval('#table-rows .tr[data-fid]', (rows) => rows.map((r) => r.title));
  assert.equal(titles.length, 6);
  for (const t of titles) {
    const m = /cumtime ([\d.]+)% of all/.exec(t);
    assert.ok(m && Number(m[1]) <= 100, 'a row\'s share: ' + t);
  }
  assert.ok(titles.some((t) => t.includes('(<built-in method builtins.exec>)') || t.includes('{built-in method builtins.exec}')) &&
    titles.some((t) => /builtins\.exec[^\n]*\ncumtime 100\.0% of all/.test(t)), 'exec\'s row: 100.0%: ' + titles.join(' | '));
  const bars = await page.$$eval('#table-rows .tr[data-fid] .share', (els) => els.map((e) => e.getBoundingClientRect().width));
  assert.ok(bars.length === 6 && bars.some((w) => w > 0), 'share bars are drawn');

  await page.goto(`${suite.base}/p/${up.id}?q=${encodeURIComponent('\\(work\\)')}`);
  await waitIdle(page);
  await page.waitForFunction(() => /match/.test(document.querySelector('#search-info')?.textContent || ''));
  assert.match(await page.textContent('#search-info'), /1 match · 58\.8% of all/, 'the search\'s share is of the same whole');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('depth "auto" by default: the sample opens with raw_decode under json.loads; the control and the link', async () => {
  const page = await suite.newPage();
  const trees = [];
  page.on('request', (r) => { if (r.url().includes('/tree')) trees.push(new URL(r.url())); });
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  const under = async () => {
    const shown = await nodes(page);
    const raw = shown.find((n) => n.name === 'raw_decode');
    const loads = shown.find((n) => n.name === 'loads');
    return raw && loads && raw.depth === loads.depth + 2 ? raw : null;
  };
  assert.ok(await under(), 'raw_decode is drawn, two levels under json.loads');
  assert.equal(trees.at(-1).searchParams.has('depth'), false, 'no depth sent: the server\'s default');
  assert.equal(await page.inputValue('#depth'), 'auto', 'the depth control says auto');
  assert.doesNotMatch(page.url(), /depth=/);
  assert.equal((await page.evaluate(() => window.__pstatsviz.state())).depth, null);
  await screenshot(page, 'numbers-depth-auto');

  await page.fill('#depth', '5');
  await page.press('#depth', 'Tab');
  await waitIdle(page);
  assert.match(page.url(), /[?&]depth=5(&|$)/);
  assert.equal(await under(), null, 'at depth 5 raw_decode is not drawn');
  assert.ok((await nodes(page)).every((n) => n.depth <= 5));

  await page.fill('#depth', 'auto');
  await page.press('#depth', 'Tab');
  await waitIdle(page);
  assert.doesNotMatch(page.url(), /depth=/, 'auto, the default, is left out of the link');
  assert.equal(await page.inputValue('#depth'), 'auto');
  assert.ok(await under(), 'back to auto: raw_decode again');

  await page.goto(`${suite.base}/p/${rasa.id}?depth=auto`);
  await waitIdle(page);
  assert.equal(trees.at(-1).searchParams.get('depth'), 'auto', 'a link\'s depth=auto is sent');
  assert.ok(await under());
  assert.equal(await page.inputValue('#depth'), 'auto');
  assertNoProblems(page, assert);
  await page.context().close();
});
