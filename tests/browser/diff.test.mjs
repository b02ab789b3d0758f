// Comparing two runs, as a user does it: from the start page's list to the
// compare page, against the numbers pstats reads from the two files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, uploadApi, getJson, pstats, waitIdle, nodes, viewState, crumbs, screenshot, assertNoProblems,
  RASA_SAMPLE, RASA_5000, REPO,
} from './harness.mjs';
import { join } from 'node:path';
import { fmtSeconds, fmtCount } from '../../web/js/model/format.js';

const ids = {};
const suite = browserSuite({
  serverArgs: ['--list'],
  setup: async (s) => {
    ids.a = (await uploadApi(s.base, RASA_SAMPLE)).id;
    ids.b = (await uploadApi(s.base, RASA_5000)).id;
    // A name that is markup must stay text on the start page.
    ids.evil = (await uploadApi(s.base, join(REPO, 'tests', 'corpus', 'real', 'betterjsonstorage_default_init.prof'), '<img src=x onerror=alert(1)>.prof')).id;
  },
});

// pstats' own totals for a file: total time, calls, primitive calls, and
// json.loads' calls and cumtime.
function pstatsFacts(file) {
  return pstats(file, `loads = [v for k, v in s.stats.items() if k[2] == 'loads' and k[0].endswith('json/__init__.py')][0]
print(json.dumps({"tt": s.total_tt, "calls": s.total_calls, "prim": s.prim_calls, "loads_nc": loads[1], "loads_ct": loads[3]}))`);
}

function summaryText(page) {
  return page.$eval('#summary', (e) => e.textContent);
}

async function nodeByName(page, name) {
  const list = await nodes(page);
  return list.filter((n) => n.name === name).sort((x, y) => y.w - x.w)[0] || null;
}

const minus = (s) => s.replace('-', '−');

test('compare: the start page lists both runs; picking them opens the comparison, as pstats reads them', async () => {
  const A = pstatsFacts(RASA_SAMPLE);
  const B = pstatsFacts(RASA_5000);
  const api = await getJson(suite.base, `/api/diff?a=${ids.a}&b=${ids.b}&limit=1`);
  assert.equal(api.a.total_time, A.tt);
  assert.equal(api.b.total_time, B.tt);

  const page = await suite.newPage({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  await page.goto(suite.base + '/');
  await page.waitForSelector(`#list-body tr[data-id="${ids.a}"]`);
  // Newest first: the evil name was uploaded last; it is text, not an image.
  const order = await page.$$eval('#list-body tr', (trs) => trs.map((t) => t.dataset.id));
  assert.deepEqual(order, [ids.evil, ids.b, ids.a]);
  assert.equal(await page.$$eval('#server-list img', (x) => x.length), 0);
  assert.equal(await page.$eval(`#list-body tr[data-id="${ids.evil}"] td.name`, (e) => e.textContent), '<img src=x onerror=alert(1)>.prof');
  // Searchable by name.
  await page.fill('#list-q', 'MAXSIZE1000');
  await page.waitForFunction(() => document.querySelectorAll('#list-body tr').length === 1);
  assert.equal(await page.$eval('#list-body tr', (t) => t.dataset.id), ids.a);
  await page.fill('#list-q', '');
  await page.waitForFunction(() => document.querySelectorAll('#list-body tr').length === 3);
  await screenshot(page, 'start-list-1400');

  assert.equal(await page.$eval('#compare', (b) => b.disabled), true);
  await page.click(`#list-body tr[data-id="${ids.a}"] button`);
  await page.click(`#list-body tr[data-id="${ids.b}"] button`);
  assert.equal(await page.$eval(`#list-body tr[data-id="${ids.a}"] .pick-badge`, (e) => e.textContent), 'A');
  assert.equal(await page.$eval(`#list-body tr[data-id="${ids.b}"] .pick-badge`, (e) => e.textContent), 'B');
  await page.click('#compare');
  await page.waitForURL(`**/diff/${ids.a}/${ids.b}`);
  await waitIdle(page);

  // The summary: total time A → B, the change in seconds and %, and calls.
  const sum = await summaryText(page);
  assert.ok(sum.includes(`${fmtSeconds(A.tt)} → ${fmtSeconds(B.tt)}`), sum);
  const pctText = Math.abs((B.tt - A.tt) / A.tt * 100).toFixed(0) + '%';
  assert.ok(sum.includes(`${minus('-' + fmtSeconds(A.tt - B.tt))} (−${pctText})`), sum);
  assert.ok(sum.includes(`${fmtCount(A.calls)} → ${fmtCount(B.calls)}`), sum);
  assert.ok(sum.includes(`${fmtCount(A.prim)} → ${fmtCount(B.prim)}`), sum);
  await screenshot(page, 'diff-1400');

  // The table by the change of calls: loads is among the largest drops,
  // with pstats' counts, and marked faster.
  await page.click('#dt-head th:has-text("Δ calls")');
  await waitIdle(page);
  assert.equal((await viewState(page)).sort, 'calls');
  const top = await page.$$eval('#dt-body tr', (trs) => trs.slice(0, 5).map((t) => ({
    name: t.dataset.name, change: t.dataset.change, calls: t.children[5].textContent, dcalls: t.children[6].textContent,
  })));
  const loads = top.find((r) => r.name === 'loads');
  assert.ok(loads, 'loads among the 5 largest changes of calls: ' + JSON.stringify(top));
  assert.equal(loads.calls, `${fmtCount(A.loads_nc)} → ${fmtCount(B.loads_nc)}`);
  assert.equal(loads.dcalls, '−' + fmtCount(A.loads_nc - B.loads_nc));
  assert.equal(loads.change, 'faster');
  for (const r of top) assert.ok(r.dcalls.startsWith('−'), 'the largest changes of calls are drops');

  // Drill down to where loads is called; its node is coloured faster, and
  // the tooltip has both runs' values and calls.
  const parent = await nodeByName(page, '_rule_key_to_state');
  assert.ok(parent, 'the icicle shows _rule_key_to_state');
  await page.mouse.click(parent.x + parent.w / 2, parent.y + parent.h / 2);
  await waitIdle(page);
  assert.deepEqual((await crumbs(page)).at(-1), '_rule_key_to_state');
  const node = await nodeByName(page, 'loads');
  assert.ok(node, 'loads in the chart below _rule_key_to_state');
  assert.equal(node.change, 'faster');
  assert.ok(node.value_b < node.value_a);
  await page.mouse.move(node.x + node.w / 2, node.y + node.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tip = await page.$eval('#tooltip', (e) => e.textContent);
  assert.ok(tip.includes(fmtSeconds(node.value_a)) && tip.includes(fmtSeconds(node.value_b)), tip);
  assert.ok(tip.includes(`${fmtCount(A.loads_nc)} calls`) && tip.includes(`${fmtCount(B.loads_nc)} calls`), tip);
  assert.ok(tip.includes('faster in B'), tip);
  await page.mouse.move(1, 1);

  // Search and a hide chip go into the URL too.
  await page.fill('#search', 'loads');
  await page.waitForFunction(() => window.__pstatsviz.state().q === 'loads');
  await waitIdle(page);
  assert.match(await page.$eval('#search-info', (e) => e.textContent), /[1-9]\d* in the chart/);

  // Copy link: the same view in a fresh context.
  await page.click('#copy-link');
  await page.waitForFunction(() => document.querySelector('#copy-link').textContent === 'Copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  const st = await viewState(page);
  const fresh = await suite.newPage({ viewport: { width: 800, height: 600 } });
  await fresh.goto(link);
  await waitIdle(fresh);
  assert.deepEqual(await viewState(fresh), st);
  assert.deepEqual(await crumbs(fresh), await crumbs(page));
  assert.equal(await summaryText(fresh), await summaryText(page));
  assert.equal((await nodeByName(fresh, 'loads')).change, 'faster');
  await screenshot(fresh, 'diff-800');
  assertNoProblems(fresh, assert);
  await fresh.context().close();

  // One click swaps A and B: the same place, the other way round.
  await page.click('#swap');
  await page.waitForURL(`**/diff/${ids.b}/${ids.a}**`);
  await waitIdle(page);
  const swapped = await summaryText(page);
  assert.ok(swapped.includes(`${fmtSeconds(B.tt)} → ${fmtSeconds(A.tt)}`), swapped);
  assert.deepEqual((await crumbs(page)).at(-1), '_rule_key_to_state');
  const back = await nodeByName(page, 'loads');
  assert.equal(back.change, 'slower');
  assert.equal(back.value_a, node.value_b);
  assert.equal(back.value_b, node.value_a);
  assert.equal((await viewState(page)).q, 'loads');

  // The sunburst, on the same scale and colours.
  await page.click('#view-switch button[data-view="sunburst"]');
  await waitIdle(page);
  assert.equal((await viewState(page)).view, 'sunburst');
  assert.ok((await nodes(page)).some((n) => n.name === 'loads' && n.change === 'slower'));
  await screenshot(page, 'diff-sunburst-1400');
  assertNoProblems(page, assert);
  await page.context().close();
});

// The diff tree's default depth is the tree's, auto; the page kept its own
// 10, which stopped one level above json.loads' raw_decode.
test('compare: depth is auto by default, as in the viewer; a number or auto in the field, and in the link', async () => {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  const trees = [];
  page.on('request', (r) => { if (r.url().includes('/api/diff/tree')) trees.push(new URL(r.url())); });
  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
  await waitIdle(page);
  const deepest = async () => Math.max(...(await nodes(page)).map((n) => n.depth));
  assert.equal(trees.at(-1).searchParams.has('depth'), false, 'no depth sent: the server\'s default');
  assert.equal(await page.inputValue('#depth'), 'auto', 'the field says auto');
  assert.equal((await viewState(page)).depth, null);
  assert.doesNotMatch(page.url(), /depth=/);
  assert.ok(await deepest() > 10, 'deeper than the old fixed 10 levels: ' + await deepest());
  assert.ok(await nodeByName(page, 'raw_decode'), 'raw_decode under json.loads is drawn');
  await screenshot(page, 'diff-depth-auto-1400');

  await page.fill('#depth', '5');
  await page.press('#depth', 'Tab');
  await waitIdle(page);
  assert.match(page.url(), /[?&]depth=5(&|$)/);
  assert.equal(trees.at(-1).searchParams.get('depth'), '5');
  assert.ok(await deepest() <= 5);

  await page.goBack();
  await waitIdle(page);
  assert.doesNotMatch(page.url(), /depth=/, 'back: the default again');
  assert.equal(await page.inputValue('#depth'), 'auto');
  assert.ok(await deepest() > 10);

  await page.fill('#depth', '7');
  await page.press('#depth', 'Enter');
  await waitIdle(page);
  assert.equal((await viewState(page)).depth, 7);
  await page.fill('#depth', 'ninety');
  await page.press('#depth', 'Enter');
  await page.waitForSelector('#notices .notice');
  assert.match(await page.textContent('#notices'), /1 to 64, or auto/);
  assert.equal(await page.inputValue('#depth'), '7', 'a bad depth leaves the field as it was');
  assert.equal((await viewState(page)).depth, 7);
  await page.fill('#depth', 'auto');
  await page.press('#depth', 'Enter');
  await waitIdle(page);
  assert.doesNotMatch(page.url(), /depth=/, 'auto, the default, is left out of the link');
  assert.equal(await page.inputValue('#depth'), 'auto');

  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}?depth=auto&view=sunburst`);
  await waitIdle(page);
  assert.equal(trees.at(-1).searchParams.get('depth'), 'auto', 'a link\'s depth=auto is sent');
  assert.equal(await page.inputValue('#depth'), 'auto');
  assert.ok(await deepest() > 10, 'the sunburst draws the whole tree too');
  await screenshot(page, 'diff-depth-auto-sunburst-1400');
  assertNoProblems(page, assert);
  await page.context().close();
});

// The page sent its own cutoff (0.001) with every tree request; now it
// sends none until one is chosen, and shows the one the answer used.
test('compare: the cutoff is the server\'s until chosen: shown from the answer, left out of the request and the link', async () => {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  const trees = [];
  page.on('request', (r) => { if (r.url().includes('/api/diff/tree')) trees.push(new URL(r.url())); });
  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
  await waitIdle(page);
  assert.equal(trees.at(-1).searchParams.has('cutoff'), false, 'no cutoff sent: the server\'s default');
  const used = await page.evaluate(async (u) => (await (await fetch(u)).json()).params.cutoff, trees.at(-1).href);
  assert.equal(await page.inputValue('#cutoff'), String(used), 'the select shows the cutoff the answer used');
  assert.doesNotMatch(page.url(), /cutoff=/);
  await page.selectOption('#cutoff', '0.01');
  await waitIdle(page);
  assert.equal(trees.at(-1).searchParams.get('cutoff'), '0.01');
  assert.match(page.url(), /[?&]cutoff=0\.01(&|$)/);
  await page.goBack();
  await waitIdle(page);
  assert.doesNotMatch(page.url(), /cutoff=/, 'back: the default again');
  assert.equal(await page.inputValue('#cutoff'), String(used));
  await page.selectOption('#cutoff', '0.05');
  await waitIdle(page);
  assert.match(page.url(), /[?&]cutoff=0\.05(&|$)/);
  await page.selectOption('#cutoff', String(used));
  await waitIdle(page);
  assert.doesNotMatch(page.url(), /cutoff=/, 'the default chosen again is left out of the link');
  assert.equal(trees.at(-1).searchParams.has('cutoff'), false);
  assertNoProblems(page, assert);
  await page.context().close();
});

// The page kept its own depth range (1 to 64) beside the server's; now it
// reads the tree answer's limits, as the viewer does.
test('compare: the depth field\'s range is the tree answer\'s limits; 65 is refused with a notice', async () => {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  const trees = [];
  page.on('request', (r) => { if (r.url().includes('/api/diff/tree')) trees.push(new URL(r.url())); });
  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
  await waitIdle(page);
  const answer = await getJson(suite.base, `/api/diff/tree?a=${ids.a}&b=${ids.b}`);
  assert.deepEqual(answer.limits.depth, { min: 1, max: 64, default: 'auto' }, 'the server\'s range');
  assert.match(await page.getAttribute('#depth', 'title'), /\(1 to 64\), or auto/);
  const sent = trees.length;
  await page.fill('#depth', '65');
  await page.press('#depth', 'Enter');
  await page.waitForSelector('#notices .notice');
  assert.match(await page.textContent('#notices'), /whole number of levels from 1 to 64, or auto/);
  assert.equal(await page.inputValue('#depth'), 'auto', 'the field is put back');
  assert.equal((await viewState(page)).depth, null);
  assert.doesNotMatch(page.url(), /depth=/);
  assert.equal(trees.length, sent, 'no tree asked for with depth 65');
  await screenshot(page, 'diff-depth-65-1400');
  await page.fill('#depth', '64');
  await page.press('#depth', 'Enter');
  await waitIdle(page);
  assert.equal(trees.at(-1).searchParams.get('depth'), '64', 'the largest depth the server allows is sent');
  assertNoProblems(page, assert);
  await page.context().close();

  // A server with a narrower range: the page follows its answer, not a copy.
  const narrow = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await narrow.route('**/api/diff/tree?**', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    if (body.limits) body.limits.depth = { min: 2, max: 20, default: 'auto' };
    await route.fulfill({ response: res, json: body });
  });
  await narrow.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
  await waitIdle(narrow);
  assert.match(await narrow.getAttribute('#depth', 'title'), /\(2 to 20\)/);
  await narrow.fill('#depth', '30');
  await narrow.press('#depth', 'Enter');
  await narrow.waitForSelector('#notices .notice');
  assert.match(await narrow.textContent('#notices'), /from 2 to 20, or auto/);
  assert.equal((await viewState(narrow)).depth, null, '30 is outside this answer\'s range');
  await narrow.fill('#depth', '20');
  await narrow.press('#depth', 'Enter');
  await waitIdle(narrow);
  assert.equal((await viewState(narrow)).depth, 20);
  await narrow.context().close();
});

// The table's numbers are never cut: "17,279 → 17,2…" was the calls
// column at 1400×900. The function's name takes the width they leave, at
// least its minimum, and shows whole on hover; "calls A → B" may break at
// its arrow, never inside a number.
test('compare: the table shows every number whole, from 1400×900 down to a 390×844 phone, where the name stays in view', async () => {
  for (const [width, height] of [[1400, 900], [1100, 800], [800, 600], [390, 844]]) {
    const page = await suite.newPage({ viewport: { width, height } });
    await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
    await waitIdle(page);
    await page.waitForSelector('#dt-body tr');
    const cut = await page.$$eval('#dt-head th.num, #dt-body td.num', (cells) =>
      cells.filter((c) => c.scrollWidth > c.clientWidth + 1 || c.textContent.includes('…')).map((c) => c.textContent));
    assert.deepEqual(cut, [], `${width}×${height}: numbers cut`);
    const broken = await page.$$eval('#dt-body td.calls .nowrap', (spans) =>
      spans.filter((e) => e.getClientRects().length !== 1).map((e) => e.textContent));
    assert.deepEqual(broken, [], `${width}×${height}: call counts broken`);
    // The page never scrolls sideways; the table's pane only on a phone.
    const doc = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(doc <= width, `${width}×${height}: the page is ${doc} px wide`);
    if (width >= 800) {
      const pane = await page.$eval('#table-pane', (e) => ({ client: e.clientWidth, scroll: e.scrollWidth }));
      assert.ok(pane.scroll <= pane.client, `${width}×${height}: the table is wider than its pane (${pane.scroll} > ${pane.client})`);
      const name = await page.$eval('#dt-body td.fn', (c) => c.getBoundingClientRect().width);
      assert.ok(name >= (width > 1200 ? 200 : 84), `${width}×${height}: the name column is ${name} px wide`);
    }
    if (width < 600) {
      // The pane scrolls sideways; the name stays at its left edge, readable.
      const fn = await page.$eval('#table-pane', (p) => {
        p.scrollLeft = p.scrollWidth;
        const c = document.querySelector('#dt-body td.fn').getBoundingClientRect();
        return { scrolled: p.scrollLeft, left: c.left - p.getBoundingClientRect().left, width: c.width };
      });
      assert.ok(fn.scrolled > 0 && Math.abs(fn.left) <= 1 && fn.width >= 140,
        `${width}×${height}: scrolled ${fn.scrolled} px, the name cell is at ${fn.left} px, ${fn.width} px wide`);
    }
    assert.ok((await page.$eval('#dt-body tr', (r) => r.title)).length > 0, 'a row names its function whole on hover');
    await screenshot(page, `diff-table-${width}`);
    assertNoProblems(page, assert);
    await page.context().close();
  }
});

test('compare: the noise threshold turns changes grey', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}?noise=1000`);
  await waitIdle(page);
  const list = await nodes(page);
  assert.ok(list.length > 5);
  assert.ok(list.every((n) => n.change === 'neutral'), 'a 1000% threshold leaves every change within the noise');
  await page.fill('#noise', '5');
  await page.press('#noise', 'Enter');
  await page.waitForFunction(() => window.__pstatsviz.state().noise === 5);
  assert.ok((await nodes(page)).some((n) => n.change === 'faster'));
  assertNoProblems(page, assert);
  await page.context().close();
});

test('viewer: Compare with… lists the other runs and takes a pasted link', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${ids.a}`);
  await waitIdle(page);
  await page.click('#compare-with');
  await page.waitForSelector(`#compare-server button[data-id="${ids.b}"]`);
  assert.equal(await page.$$eval(`#compare-server button[data-id="${ids.a}"]`, (x) => x.length), 0, 'not itself');
  await screenshot(page, 'viewer-compare-with');
  await page.click(`#compare-server button[data-id="${ids.b}"]`);
  await page.waitForURL(`**/diff/${ids.a}/${ids.b}`);
  await waitIdle(page);

  await page.goto(`${suite.base}/p/${ids.b}`);
  await waitIdle(page);
  await page.click('#compare-with');
  await page.fill('#compare-paste', `${suite.base}/p/${ids.a}?v=1&view=table`);
  await page.press('#compare-paste', 'Enter');
  await page.waitForURL(`**/diff/${ids.b}/${ids.a}`);
  await waitIdle(page);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('compare: an unknown run says so', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/diff/${ids.a}/${'0'.repeat(32)}`);
  await page.waitForSelector('#fatal:not([hidden])');
  assert.match(await page.$eval('#fatal-title', (e) => e.textContent), /Run B: no such profile/);
  await page.context().close();
});
