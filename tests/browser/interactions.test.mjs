// Search (count and share), table sorting against pstats, hide filters and
// their chips, back/forward through the zoom history, and the keyboard.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserSuite, waitIdle, findNode, clickNode, crumbs, viewState, nodes, screenshot,
  uploadApi, getJson, pstatsTop, assertNoProblems, RASA_SAMPLE, RASA_5000, SYNTHETIC_10K,
} from './harness.mjs';
import { fmtSeconds } from '../../web/js/model/format.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let rasa; // upload answers
let rasa5000;

const suite = browserSuite({
  async setup({ base }) {
    rasa = await uploadApi(base, RASA_SAMPLE);
    rasa5000 = await uploadApi(base, RASA_5000);
  },
});

test('search: / focuses it, matches are highlighted and kept in the URL, text that is not a regex still searches', async () => {
  // The count, share and Enter: tests/browser/search.test.mjs.
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?depth=12`);
  await waitIdle(page);
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search', '/ focuses the search box');
  await page.keyboard.type('rule_policy');
  await page.waitForFunction(() => /match/.test(document.querySelector('#search-info').textContent));
  await waitIdle(page);
  const marked = (await nodes(page)).filter((n) => n.match);
  assert.ok(marked.length > 5 && marked.every((n) => n.fid !== null));
  assert.match(page.url(), /[?&]q=rule_policy(&|$)/, 'the search is in the URL');

  // A query that is not a valid regular expression is searched as text.
  await page.fill('#search', '(problem_function');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => /^1 match/.test(document.querySelector('#search-info').textContent));
  assertNoProblems(page, assert);
  await page.context().close();
});

for (const [label, prof, up] of [['project sample', RASA_SAMPLE, () => rasa], ['maxsize=5000 sample', RASA_5000, () => rasa5000]]) {
  test(`table: top 10 by tottime and by cumtime in pstats' order (${label})`, async () => {
    const page = await suite.newPage();
    await page.goto(`${suite.base}/p/${up().id}?view=table`);
    await page.waitForSelector('#table-rows .tr[data-fid]');
    const top10 = () => page.$$eval('#table-rows .tr[data-fid]', (els) => els
      .filter((e) => !e.hidden)
      .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
      .slice(0, 10)
      // the whole label (the text may be cut in the middle)
      .map((e) => e.querySelector('.td.name').getAttribute('aria-label')));
    // The rows of a new order arrive after the header shows it: wait (up
    // to 5 s) for the rows to settle on the expected labels, then assert,
    // so a wrong order still fails with the difference.
    const settle = (want) => page.waitForFunction((w) => {
      const got = [...document.querySelectorAll('#table-rows .tr[data-fid]')]
        .filter((e) => !e.hidden)
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .slice(0, 10)
        .map((e) => e.querySelector('.td.name').getAttribute('aria-label'));
      return JSON.stringify(got) === JSON.stringify(w);
    }, want, { timeout: 5000 }).catch(() => {});
    // cumtime is the default sort
    assert.deepEqual(await top10(), pstatsTop(prof, 'cumulative'), 'cumtime order');
    await page.click('#table-head .th[data-sort="tottime"]');
    await page.waitForFunction(() => document.querySelector('#table-head .th.sorted').dataset.sort === 'tottime');
    await page.waitForFunction(() => document.querySelector('#table-rows .tr[data-fid]') && window.__pstatsviz.idle());
    await settle(pstatsTop(prof, 'tottime'));
    assert.deepEqual(await top10(), pstatsTop(prof, 'tottime'), 'tottime order');
    assert.match(page.url(), /sort=tottime/);
    // clicking again reverses the order
    await page.click('#table-head .th[data-sort="tottime"]');
    await page.waitForFunction(() => /order=asc/.test(location.search));
    // and back to cumtime
    await page.click('#table-head .th[data-sort="cumtime"]');
    await page.waitForFunction(() => !/sort=/.test(location.search));
    await page.waitForFunction(() => window.__pstatsviz.idle());
    await settle(pstatsTop(prof, 'cumulative'));
    assert.deepEqual(await top10(), pstatsTop(prof, 'cumulative'), 'cumtime order again');
    assertNoProblems(page, assert);
    await page.context().close();
  });
}

test('bars carry their time, as snakeviz prints them: "name · 345 ms" where it fits', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  const shown = (await nodes(page)).filter((n) => !n.other && n.name && n.text);
  const timed = shown.filter((n) => n.text.includes(' \u00b7 '));
  const pf = shown.find((n) => n.name === 'problem_function');
  assert.ok(pf, 'problem_function is labelled');
  assert.equal(pf.text, `problem_function \u00b7 ${fmtSeconds(pf.value)}`);
  assert.ok(timed.length >= 5, `${timed.length} bars show their time`);
  for (const n of timed) assert.ok(n.text.endsWith(` \u00b7 ${fmtSeconds(n.value)}`), `${n.text} is the bar's own time`);
  // Where the time does not fit, the name still does (cut if need be).
  const narrow = shown.filter((n) => !n.text.includes(' \u00b7 '));
  assert.ok(narrow.length > 0, 'some bars are too narrow for a time');
  for (const n of narrow) assert.ok(n.w < 8 * (n.name.length + 12), `${n.text}: ${n.w}px wide, room for the time`);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('"Show all its calls in the chart" is hidden while the chart does just that', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?depth=12`);
  await waitIdle(page);
  await clickNode(page, await findNode(page, '_rule_key_to_state'));
  await page.waitForSelector('#show-all-calls');
  assert.equal(await page.isVisible('#show-all-calls'), true, 'shown for a function selected in the tree');
  const fid = (await viewState(page)).sel;
  await page.click('#show-all-calls');
  await waitIdle(page);
  const st = await viewState(page);
  assert.equal(st.root, fid, 'the chart shows every call of the function');
  assert.equal(await page.isVisible('#show-all-calls'), false, 'hidden: the chart does that already');
  // A click in root mode roots the chart at that function: hidden again.
  await clickNode(page, await findNode(page, 'loads'));
  await page.waitForFunction((f) => window.__pstatsviz.state().sel !== f, fid);
  await waitIdle(page);
  const loads = await viewState(page);
  assert.equal(loads.root, loads.sel, 'rooted at loads');
  await page.waitForFunction(() => document.querySelector('.fn-name')?.textContent === 'loads');
  assert.equal(await page.isVisible('#show-all-calls'), false, 'hidden for loads, rooted at loads');
  // Back to the tree: the button is there again.
  await page.goBack();
  await page.goBack();
  await waitIdle(page);
  assert.equal((await viewState(page)).root, null, 'the tree again');
  await page.waitForSelector('#show-all-calls', { state: 'visible' });
  assertNoProblems(page, assert);
  await page.context().close();
});

test('a notice pushes the chart and the table down instead of covering them', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  const top = () => page.evaluate(() => document.querySelector('#viewer').getBoundingClientRect().top);
  const before = await top();
  await page.keyboard.press('/');
  await page.keyboard.type('no_such_function_anywhere');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.notice');
  await waitIdle(page);
  const box = await page.evaluate(() => {
    const r = document.querySelector('.notice').getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, text: document.querySelector('.notice').textContent };
  });
  assert.match(box.text, /No function matches/);
  const after = await top();
  assert.ok(after >= box.bottom, `the chart starts below the notice (${after} >= ${box.bottom})`);
  assert.ok(after > before, 'and moved down for it');
  const root = (await nodes(page)).find((n) => n.depth === 0);
  assert.ok(root && root.y >= box.bottom, `the top row is not covered (${root && root.y} >= ${box.bottom})`);
  // The table's header likewise.
  await page.click('[data-view="table"]');
  await waitIdle(page);
  const head = await page.evaluate(() => document.querySelector('#table-pane, .table-pane').getBoundingClientRect().top);
  assert.ok(head >= box.bottom, `the table starts below the notice (${head} >= ${box.bottom})`);
  await page.click('.notice-x');
  assert.ok(Math.abs((await top()) - before) < 1, 'dismissed: the content moves back up');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('numbers in the details panel are never cut, nor broken inside themselves', async () => {
  // A run with billions of calls: the counts are the widest numbers.
  const file = join(mkdtempSync(join(tmpdir(), 'pstatsviz-numbers-')), 'many_calls.prof');
  execFileSync('python3', ['-c', `import marshal, sys
main = ("/srv/app/main.py", 1, "main")
f = ("/srv/app/work.py", 10, "f")
marshal.dump({main: (1, 1, 0.5, 1234.5, {}),
              f: (3995089312, 3995089312, 1234.0, 1234.0, {main: (3995089312, 3995089312, 1234.0, 1234.0)})},
             open(sys.argv[1], "wb"))`, file]);
  const up = await uploadApi(suite.base, file);
  for (const [width, height] of [[1400, 900], [800, 600]]) {
    const page = await suite.newPage({ viewport: { width, height } });
    await page.goto(`${suite.base}/p/${up.id}`);
    await waitIdle(page);
    await page.waitForSelector('.details .stat dd');
    const cells = await page.$$eval('.details .stat', (els) => els.map((e) => {
      const dd = e.querySelector('dd');
      const r = dd.getBoundingClientRect();
      const box = e.getBoundingClientRect();
      return { k: e.querySelector('dt').textContent, v: dd.textContent, fits: dd.scrollWidth <= dd.clientWidth + 1 && r.right <= box.right + 0.5, lines: Math.round(r.height / parseFloat(getComputedStyle(dd).lineHeight || '16')) };
    }));
    const calls = cells.find((c) => /^calls$/i.test(c.k));
    assert.equal(calls && calls.v, '3,995,089,313', `${width}x${height}: the call count whole`);
    for (const c of cells) {
      assert.ok(c.fits, `${width}x${height}: ${c.k} = ${c.v} fits its cell`);
      assert.ok(!c.v.includes('…'), `${width}x${height}: ${c.k} = ${c.v} is not cut`);
    }
    assertNoProblems(page, assert);
    await page.context().close();
  }
});

test('"Source not available" says why', async () => {
  // This suite's server has no --source-root (the HTTP tests check the
  // other reasons: not found under it, outside it).
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  await clickNode(page, await findNode(page, 'problem_function'));
  await page.waitForSelector('.source-missing');
  assert.equal(await page.textContent('.source-missing'), 'Source not available: the server was started without --source-root.');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('small windows: the panel stacks below and collapses, crumbs fold into a menu, names keep room', async () => {
  const tree = await getJson(suite.base, `/api/profiles/${rasa.id}/tree?depth=12`);
  const path = [];
  const walk = (n, trail) => {
    if (n.name === '_rule_key_to_state') { path.push(...trail); return true; }
    return (n.children || []).some((c) => c.fid !== null && c.fid !== undefined && walk(c, [...trail, c.fid]));
  };
  walk(tree.root, []);
  assert.ok(path.length >= 8, 'a deep path: ' + path.length);
  const url = `${suite.base}/p/${rasa.id}?path=${path.join(',')}&sel=${path.at(-1)}`;
  for (const [width, height, name] of [[800, 600, 'small-800x600'], [390, 844, 'phone-390x844']]) {
    const page = await suite.newPage({ viewport: { width, height } });
    await page.goto(url);
    await waitIdle(page);
    await page.waitForSelector('.details .fn-name');
    const box = (sel) => page.$eval(sel, (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
    const chart = await box('#chart-pane');
    const details = await box('#details');
    assert.ok(details.y >= chart.y + chart.h - 1 && chart.w >= width - 1, `${name}: the panel below a full-width chart`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${name}: nothing wider than the window`);
    // Crumbs: whole, the middle folded into "…", whose menu leads there.
    const cut = await page.$$eval('#crumbs .crumb', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    assert.deepEqual(cut, [], `${name}: no crumb is cut`);
    assert.ok(await page.$('#crumb-more'), `${name}: the middle crumbs are folded`);
    const all = await crumbs(page);
    assert.equal(all.length, path.length + 1, `${name}: every level is reachable`);
    assert.equal(all.at(-1), '_rule_key_to_state');
    await screenshot(page, name);
    await page.click('#crumb-more');
    await page.click('#crumb-menu .crumb-item >> nth=1');
    await waitIdle(page);
    assert.deepEqual((await viewState(page)).path, path.slice(0, 2), `${name}: a folded crumb jumps to its level`);
    // The panel hides, and stays hidden on the next visit.
    await page.click('#details-toggle');
    assert.equal(await page.isVisible('#details'), false, `${name}: the panel hides`);
    await page.waitForFunction(() => document.querySelector('#chart-pane').getBoundingClientRect().height > window.innerHeight * 0.6);
    await page.reload();
    await waitIdle(page);
    assert.equal(await page.isVisible('#details'), false, `${name}: still hidden after a reload`);
    await page.click('#details-toggle');
    assert.equal(await page.isVisible('#details'), true);
    // The table's function column keeps room.
    await page.click('[data-view="table"]');
    await waitIdle(page);
    await page.waitForSelector('#table-rows .tr[data-fid]');
    const nameW = await page.$eval('#table-rows .tr[data-fid] .td.name', (e) => e.getBoundingClientRect().width);
    assert.ok(nameW >= Math.min(400, width * 0.45), `${name}: the function column is ${nameW}px wide`);
    assertNoProblems(page, assert);
    await page.context().close();
  }
});

test('table: filter, scroll far, a click selects a row, a double-click opens it in the chart', async () => {
  const big = await uploadApi(suite.base, SYNTHETIC_10K);
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${big.id}?view=table`);
  await page.waitForSelector('#table-rows .tr[data-fid]');
  assert.match(await page.textContent('#table-foot'), /^10,000 functions/);
  // Only the rows in view exist.
  assert.ok((await page.$$('#table-rows .tr')).length < 120);
  await page.$eval('#table-scroll', (e) => { e.scrollTop = 7000 * 22; });
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#table-rows .tr[data-fid]')].filter((e) => !e.hidden);
    return rows.some((e) => Math.abs(parseFloat(e.style.top) - 7000 * 22) < 1);
  }, null, { timeout: 10000 });
  assert.match(await page.textContent('#table-foot'), /rows 6,9\d\d–/);

  await page.fill('#search', 'store_graph|fetch_user');
  await page.waitForFunction(() => /matching/.test(document.querySelector('#table-foot').textContent));
  await page.waitForSelector('#table-rows .tr[data-fid]');
  const first = await page.$('#table-rows .tr[data-fid]');
  const fid = Number(await first.getAttribute('data-fid'));
  await first.click();
  await page.waitForFunction((f) => window.__pstatsviz.state().sel === f, fid);
  await waitIdle(page);
  assert.equal((await viewState(page)).view, 'table', 'a click stays in the table');
  await page.waitForFunction((f) => (document.querySelector('.details .fn-name') || {}).textContent && document.querySelector('.details-kicker').textContent.includes('fid ' + f), fid);
  assert.equal(await first.getAttribute('aria-selected'), 'true', 'the row is selected');
  // The keyboard: the table has the focus; ArrowDown selects the next row,
  // ArrowUp the one before, Enter opens it.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'table-scroll');
  const second = Number(await page.$$eval('#table-rows .tr[data-fid]', (els) => {
    const vis = els.filter((e) => !e.hidden).sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return vis[1].dataset.fid;
  }));
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((f) => window.__pstatsviz.state().sel === f, second);
  await page.keyboard.press('ArrowUp');
  await page.waitForFunction((f) => window.__pstatsviz.state().sel === f, fid);
  assert.equal((await viewState(page)).view, 'table', 'still the table');
  await page.keyboard.press('Enter');
  await waitIdle(page);
  let st = await viewState(page);
  assert.equal(st.view, 'icicle', 'Enter opens the chart');
  assert.equal(st.root, fid);
  await page.goBack();
  await waitIdle(page);
  assert.equal((await viewState(page)).view, 'table', 'back returns to the table');
  await (await page.$(`#table-rows .tr[data-fid="${fid}"]`)).dblclick();
  await waitIdle(page);
  st = await viewState(page);
  assert.equal(st.view, 'icicle', 'a double-click opens the chart');
  assert.equal(st.root, fid, 'rooted at the function, over all its callers');
  assert.equal(st.sel, fid);
  assert.equal((await nodes(page)).find((n) => n.depth === 0).fid, fid);
  await page.goBack();
  await waitIdle(page);
  assert.equal((await viewState(page)).view, 'table', 'back returns to the table');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('filters: hiding built-ins removes them from the chart, the chip brings them back', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  const builtins = (list) => list.filter((n) => n.kind === 'builtin' || /^<(built-in|method) /.test(n.name || ''));
  assert.ok(builtins(await nodes(page)).length > 0, 'built-ins shown at first');
  await page.selectOption('#hide-add', 'builtins');
  await waitIdle(page);
  assert.deepEqual(builtins(await nodes(page)), [], 'no built-in node left');
  assert.match(page.url(), /hide=builtins/);
  const chip = await page.$('#chips .chip[data-hide="builtins"]');
  assert.ok(chip, 'the active filter is a chip');
  assert.match(await chip.textContent(), /built-ins/);
  // The chart's top is now <module>, not exec.
  assert.ok((await nodes(page)).some((n) => n.depth === 1 && n.name === '<module>'));
  await chip.click();
  await waitIdle(page);
  assert.ok(builtins(await nodes(page)).length > 0, 'built-ins back');
  assert.equal(await page.$('#chips .chip'), null);
  assert.doesNotMatch(page.url(), /hide=/);
  // stdlib and site-packages too, as two chips
  await page.selectOption('#hide-add', 'stdlib');
  await waitIdle(page);
  await page.selectOption('#hide-add', 'site-packages');
  await waitIdle(page);
  assert.equal((await page.$$('#chips .chip')).length, 2);
  assert.deepEqual((await nodes(page)).filter((n) => n.kind === 'stdlib'), []);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('back and forward walk the zoom history; breadcrumbs go up', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  await clickNode(page, await findNode(page, 'problem_function'));
  await waitIdle(page);
  const first = await viewState(page);
  await clickNode(page, await findNode(page, 'predict_action_probabilities', 1));
  await waitIdle(page);
  const second = await viewState(page);
  assert.equal(second.path.length, first.path.length + 1);

  await page.goBack();
  await waitIdle(page);
  assert.deepEqual((await viewState(page)).path, first.path, 'back: the previous root');
  assert.equal((await nodes(page)).find((n) => n.depth === 0).name, 'problem_function');
  await page.goForward();
  await waitIdle(page);
  assert.deepEqual((await viewState(page)).path, second.path, 'forward: the deeper root again');
  assert.equal((await nodes(page)).find((n) => n.depth === 0).name, 'predict_action_probabilities');

  // A breadcrumb jumps up to its level.
  const c = await crumbs(page);
  const i = c.indexOf('<module>');
  await page.click(`#crumbs .crumb >> nth=${i}`);
  await waitIdle(page);
  assert.equal((await nodes(page)).find((n) => n.depth === 0).name, '<module>');
  // and 'all' to the top
  await page.click('#crumbs .crumb >> nth=0');
  await waitIdle(page);
  assert.deepEqual((await viewState(page)).path, []);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('keyboard: arrows move, Enter zooms in, Backspace and Escape go up', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  await page.focus('#overlay');
  await page.keyboard.press('ArrowDown'); // focus starts on the root
  await page.keyboard.press('ArrowDown'); // exec
  await page.keyboard.press('ArrowDown'); // <module>
  await page.keyboard.press('Enter');
  await waitIdle(page);
  let root = (await nodes(page)).find((n) => n.depth === 0);
  assert.equal(root.name, '<module>');
  // The focus is on the new root: ArrowDown goes to its first child.
  await page.keyboard.press('ArrowDown'); // problem_function (the biggest child first)
  // The canvas says nothing to a screen reader: a live region does.
  assert.equal(await page.getAttribute('#chart-live', 'aria-live'), 'polite');
  const said = await page.textContent('#chart-live');
  const pf = (await nodes(page)).find((n) => n.name === 'problem_function');
  assert.ok(said.startsWith(`problem_function \u00b7 ${fmtSeconds(pf.value)} \u00b7 `) && /% of all · level 2/.test(said), said);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Enter');
  await waitIdle(page);
  root = (await nodes(page)).find((n) => n.depth === 0);
  assert.equal(root.name, 'problem_function');
  await page.keyboard.press('Backspace');
  await waitIdle(page);
  assert.equal((await nodes(page)).find((n) => n.depth === 0).name, '<module>');
  await page.keyboard.press('Escape');
  await waitIdle(page);
  assert.equal((await nodes(page)).find((n) => n.depth === 0).name, '<built-in method builtins.exec>');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('a bad link falls back with a notice; an unknown profile says so', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?v=1&view=treemap&depth=999&path=1,2,3`);
  await waitIdle(page);
  const st = await viewState(page);
  assert.equal(st.view, 'icicle');
  assert.equal(st.depth, null, 'the server\'s default depth');
  assert.equal(await page.inputValue('#depth'), 'auto');
  assert.deepEqual(st.path, [], 'a path that is not in this profile falls back to the top');
  const notices = await page.$$eval('#notices .notice', (els) => els.map((e) => e.textContent));
  assert.ok(notices.some((t) => /view=treemap/.test(t)));
  assert.ok(notices.some((t) => /depth=999/.test(t)));
  assert.ok(notices.some((t) => /does not exist in this profile/.test(t)));

  await page.goto(`${suite.base}/p/${'0'.repeat(32)}`);
  await page.waitForSelector('#fatal:not([hidden])');
  assert.equal(await page.textContent('#fatal-title'), 'This profile does not exist or was deleted');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('HiDPI and resizing: the canvas follows devicePixelRatio and the window', async () => {
  const page = await suite.newPage({ deviceScaleFactor: 2 });
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  const size = () => page.$eval('#chart', (c) => ({ w: c.width, h: c.height, cssW: parseFloat(c.style.width), wrap: c.parentElement.clientWidth }));
  let s = await size();
  assert.equal(s.w, s.cssW * 2, 'backing store at 2x');
  assert.equal(s.cssW, s.wrap, 'the chart fills its pane');
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.waitForFunction((old) => document.querySelector('#chart').parentElement.clientWidth !== old, s.wrap);
  await waitIdle(page);
  s = await size();
  assert.equal(s.cssW, s.wrap);
  const root = (await nodes(page)).find((n) => n.depth === 0);
  assert.ok(Math.abs(root.w - s.wrap) < 1, 'the root is as wide as the new pane');
  await page.click('#view-switch button[data-view="sunburst"]');
  await waitIdle(page);
  s = await size();
  assert.equal(s.w, s.cssW * 2);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('a slow answer shows the spinner, a fast one does not', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  assert.equal(await page.isHidden('#spinner'), true);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 600, downloadThroughput: -1, uploadThroughput: -1 });
  await clickNode(page, await findNode(page, 'problem_function'));
  await page.waitForSelector('#spinner:not([hidden])', { timeout: 2000 });
  await waitIdle(page);
  assert.equal(await page.isHidden('#spinner'), true, 'hidden again when the answer is in');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assertNoProblems(page, assert);
  await page.context().close();
});
