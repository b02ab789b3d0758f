// Memory data beside time (issue 15), as a user meets it: the sample run
// gets an mprof recording and a memory_profiler line report through the
// viewer's "Add memory data…" button; the Memory view draws the recording,
// the details panel shows the decorated function's lines, the table sorts
// by "Mem +", and the comparison of the two runs reads calls, time and
// memory. The memory files are real ones, made at test time by
// memory_profiler (Debian's python3-memory-profiler) on a stand-in for
// rasa_sample/rule_policy.py whose _rule_key_to_state sits on line 845, as
// in the profile, and allocates known amounts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSuite, uploadApi, getJson, waitIdle, viewState, screenshot, assertNoProblems, RASA_SAMPLE, RASA_5000, REPO, readMprof } from './harness.mjs';
import { fmtMiB, fmtMiBDelta } from '../../web/js/model/memory.js';

// The interpreter that has memory_profiler: Debian's, when python3 on the
// PATH is another one (pyenv).
function memoryPython() {
  for (const py of [process.env.MEMORY_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    try {
      execFileSync(py, ['-c', 'import memory_profiler, mprof'], { stdio: 'ignore' });
      return py;
    } catch { /* next */ }
  }
  throw new Error('memory_profiler is not installed for any python3: apt-get install python3-memory-profiler (scripts/install-deps.sh test)');
}

// _rule_key_to_state on line 845 (@profile on 844), as rule_policy.py has it.
// mib MiB of keys, then twice that of states: the largest increment is line 847.
function standIn(dir) {
  const body = `@profile
def _rule_key_to_state(mib):
    keys = [0] * (mib * 131072)
    states = [1] * (2 * mib * 131072)
    del keys
    return len(states)


if __name__ == "__main__":
    import sys
    import time
    for _ in range(3):
        _rule_key_to_state(int(sys.argv[1]))
        time.sleep(0.05)
`;
  const head = ['# A stand-in for rasa_sample/rule_policy.py (tests/browser/memory.test.mjs).'];
  while (head.length < 843) head.push('');
  const path = join(dir, 'rule_policy.py');
  writeFileSync(path, head.join('\n') + '\n' + body);
  return path;
}

const files = {};
const ids = {};
let work = null;

const suite = browserSuite({
  setup: async (s) => {
    ids.a = (await uploadApi(s.base, RASA_SAMPLE)).id;
    ids.b = (await uploadApi(s.base, RASA_5000)).id;
    work = mkdtempSync(join(tmpdir(), 'pstatsviz-memory-'));
    const py = memoryPython();
    standIn(work);
    // Run as users run it, from the script's folder: the report says
    // "Filename: rule_policy.py", which the profile's
    // /workspaces/rasa-sample/rule_policy.py ends with.
    for (const [key, mib] of [['reportA', 20], ['reportB', 60], ['reportC', 5]]) {
      files[key] = join(work, `report_${mib}.txt`);
      writeFileSync(files[key], execFileSync(py, ['-m', 'memory_profiler', 'rule_policy.py', String(mib)], { cwd: work, encoding: 'utf8' }));
    }
    files.mprof = join(work, 'mprofile_rasa.dat');
    execFileSync(py, ['-m', 'mprof', 'run', '--python', '-o', files.mprof, 'rule_policy.py', '20'], { cwd: work, stdio: 'ignore' });
  },
});

test.after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** Line 847's increment (MiB) in a memory_profiler report: the largest. */
function reportIncrement(path, line) {
  const row = readFileSync(path, 'utf8').split('\n').find((l) => new RegExp(`^\\s*${line}\\s`).test(l));
  return Number(/^\s*\d+\s+[\d.]+ MiB\s+(-?[\d.]+) MiB/.exec(row)[1]);
}

async function attachThroughButton(page, file) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#add-memory')]);
  await chooser.setFiles(file);
  await page.waitForFunction(() => !document.querySelector('#add-memory').disabled && window.__pstatsviz.state().mem, null, { timeout: 15000 });
}

test('memory: an mprof recording attached through the viewer draws as a chart, with its peak and @profile bands', async () => {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${suite.base}/p/${ids.a}`);
  await waitIdle(page);
  assert.equal(await page.$eval('#view-memory', (b) => b.hidden), true, 'no Memory view before memory data');

  await attachThroughButton(page, files.mprof);
  await waitIdle(page);
  const st = await viewState(page);
  assert.equal(st.view, 'memory');
  assert.match(st.mem, /^[0-9a-f]{32}$/);
  ids.mprof = st.mem;
  assert.equal(await page.$eval('#view-memory', (b) => b.hidden), false);
  assert.match(page.url(), new RegExp(`[?&]view=memory(&|$)`));
  assert.match(page.url(), new RegExp(`[?&]mem=${st.mem}(&|$)`));

  const want = readMprof(files.mprof);
  const rec = await getJson(suite.base, `/api/memory/${st.mem}`);
  assert.deepEqual(rec.attached_to, [ids.a]);
  assert.equal(rec.peak.mib, want.peak);
  const chart = await page.evaluate(() => window.__pstatsviz.memory());
  assert.equal(chart.kind, 'mprof');
  assert.equal(chart.whole, true);
  assert.equal(chart.peak.mib, want.peak, 'the peak marked is the largest sample, exactly');
  assert.ok(chart.columns > 0);
  assert.equal(chart.width, Math.round(chart.plot.w), 'one bucket per plot pixel');
  assert.deepEqual(chart.bands.map((b) => b.name), want.funcs);
  assert.ok(chart.bands.some((b) => b.text && b.text.startsWith('__main__.')), 'a band is labelled');
  // The peak lies inside the plot, and the y axis reaches above it.
  assert.ok(chart.peak.y >= chart.plot.y && chart.peak.y <= chart.plot.y + chart.plot.h);
  assert.ok(chart.yMax >= want.peak);

  // Hover: time, memory, the function running.
  const band = chart.bands[1];
  await page.mouse.move(band.x + band.w / 2, chart.plot.y + chart.plot.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tip = await page.$eval('#tooltip', (e) => e.textContent);
  assert.match(tip, /from the start/);
  assert.match(tip, /MiB/);
  assert.match(tip, /__main__\._rule_key_to_state/);
  await screenshot(page, 'memory-view-1400');

  // The wheel zooms around the pointer and asks for the new range's samples.
  await page.mouse.wheel(0, -400);
  await page.waitForFunction(() => !window.__pstatsviz.memory().whole && window.__pstatsviz.idle(), null, { timeout: 15000 });
  const zoomed = await page.evaluate(() => window.__pstatsviz.memory());
  assert.ok(zoomed.t1 - zoomed.t0 < chart.t1 - chart.t0);
  assert.ok(zoomed.t0 >= chart.t0 && zoomed.t1 <= chart.t1);
  assert.equal(await page.$eval('#mem-whole', (b) => b.hidden), false);
  // A drag zooms further; a double-click shows the whole recording.
  const y = zoomed.plot.y + zoomed.plot.h / 2;
  await page.mouse.move(zoomed.plot.x + zoomed.plot.w * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(zoomed.plot.x + zoomed.plot.w * 0.6, y, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((span) => { const m = window.__pstatsviz.memory(); return m.t1 - m.t0 < span * 0.5 && window.__pstatsviz.idle(); }, zoomed.t1 - zoomed.t0, { timeout: 15000 });
  await page.mouse.dblclick(zoomed.plot.x + 20, y);
  await page.waitForFunction(() => window.__pstatsviz.memory().whole && window.__pstatsviz.idle(), null, { timeout: 15000 });

  // The link keeps the view: reloading it shows the same chart.
  await page.reload();
  await waitIdle(page);
  assert.equal((await viewState(page)).view, 'memory');
  assert.equal((await page.evaluate(() => window.__pstatsviz.memory())).peak.mib, want.peak);
  assertNoProblems(page, assert);
});

/**
 * POSTs body raw. The server closes a kept-alive connection after 10 idle
 * seconds (docs/API.md, "Connections"), and the setup's memory_profiler
 * runs take longer, so node's fetch may first try the connection it
 * closed: once, on a new one.
 */
async function post(url, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
    } catch (e) {
      if (attempt > 0 || e.cause?.code !== 'UND_ERR_SOCKET') throw e;
    }
  }
}

/** The range in a page's link, [t0, t1], or null. */
function linkRange(page) {
  const v = new URL(page.url()).searchParams.get('range');
  return v === null ? null : v.split(',').map(Number);
}

/**
 * The zoom in the link, as the viewer's Memory view and the memory page
 * both keep it: url opens rec's chart whole; a drag and the wheel each go
 * into the link as one history step (range=t0,t1 from the start); the link
 * reloaded or opened afresh shows the same range; back and forward go
 * through the zooms; a double-click takes the range out; a bad range shows
 * the whole recording with a notice. state: the page has the viewer's
 * state() to agree with the link. Screenshots are named after shots.
 */
async function zoomLinkRoundTrip(url, rec, { state = false, shots }) {
  const shown = (page) => page.evaluate(() => window.__pstatsviz.memory());
  const near = (a, b) => Math.abs(a - b) <= 2e-6;

  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await waitIdle(page);
  const whole = await shown(page);
  assert.equal(whole.whole, true);
  assert.equal(linkRange(page), null, 'the whole recording: no range in the link');

  // A drag: into the link, as seconds from the start, once it settles.
  const y = whole.plot.y + whole.plot.h / 2;
  await page.mouse.move(whole.plot.x + whole.plot.w * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(whole.plot.x + whole.plot.w * 0.6, y, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => !window.__pstatsviz.memory().whole && window.__pstatsviz.idle(), null, { timeout: 15000 });
  const dragged = await shown(page);
  const first = linkRange(page);
  assert.ok(first, 'the zoom is in the link: ' + page.url());
  assert.ok(near(first[0], dragged.t0 - rec.start_t) && near(first[1], dragged.t1 - rec.start_t), `range=${first} is what the chart shows`);
  if (state) assert.deepEqual((await viewState(page)).range, first);

  // The wheel: one more step, however many notches. The notches are sent
  // in one go: three page.mouse.wheel() calls can be more than the settling
  // time apart on a loaded machine, and then make two steps.
  await page.mouse.move(dragged.plot.x + dragged.plot.w / 2, y);
  await page.$eval('#mem-overlay', (el, at) => {
    for (let i = 0; i < 3; i++) el.dispatchEvent(new WheelEvent('wheel', { deltaY: -200, clientX: at.x, clientY: at.y, bubbles: true, cancelable: true }));
  }, { x: dragged.plot.x + dragged.plot.w / 2, y });
  await page.waitForFunction((span) => { const m = window.__pstatsviz.memory(); return m.t1 - m.t0 < span && window.__pstatsviz.idle(); }, dragged.t1 - dragged.t0, { timeout: 15000 });
  const wheeled = await shown(page);
  const second = linkRange(page);
  assert.ok(near(second[0], wheeled.t0 - rec.start_t) && near(second[1], wheeled.t1 - rec.start_t), `range=${second} after the wheel`);

  // The link, opened afresh, shows the same range.
  const fresh = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await fresh.goto(page.url());
  await waitIdle(fresh);
  const again = await shown(fresh);
  assert.equal(again.whole, false);
  assert.ok(near(again.t0, wheeled.t0) && near(again.t1, wheeled.t1), `the copied link's range: ${again.t0}-${again.t1}, was ${wheeled.t0}-${wheeled.t1}`);
  assert.equal(await fresh.$eval('#mem-whole', (b) => b.hidden), false);
  assert.equal(linkRange(fresh).join(), second.join(), 'opening it leaves the link as it was');
  await screenshot(fresh, shots + '-link-1400');
  assertNoProblems(fresh, assert);
  await fresh.context().close();

  // Reloaded, the page keeps it too.
  await page.reload();
  await waitIdle(page);
  let m = await shown(page);
  assert.ok(!m.whole && near(m.t0, wheeled.t0) && near(m.t1, wheeled.t1), 'reloaded: the same range');

  // Back: the drag's range, then the whole recording; forward: the drag's again.
  await page.goBack();
  await waitIdle(page);
  assert.deepEqual(linkRange(page), first);
  m = await shown(page);
  assert.ok(near(m.t0 - rec.start_t, first[0]) && near(m.t1 - rec.start_t, first[1]), 'back: the drag\'s range');
  await page.goBack();
  await waitIdle(page);
  assert.equal(linkRange(page), null);
  assert.equal((await shown(page)).whole, true, 'back again: the whole recording');
  await page.goForward();
  await waitIdle(page);
  m = await shown(page);
  assert.ok(!m.whole && near(m.t0 - rec.start_t, first[0]), 'forward: the drag\'s range');
  // A double-click shows the whole recording, and takes the range out of the link.
  await page.mouse.dblclick(m.plot.x + 20, y);
  await page.waitForFunction(() => window.__pstatsviz.memory().whole && window.__pstatsviz.idle(), null, { timeout: 15000 });
  assert.equal(linkRange(page), null);
  assertNoProblems(page, assert);

  // Bad ranges in a link: the whole recording, with a notice.
  const span = rec.end_t - rec.start_t;
  const sep = url.includes('?') ? '&' : '?';
  for (const [bad, why] of [['1.5,0.25', /ends before it starts/], ['soon,later', /two times/], [`${Math.ceil(span) + 10},${Math.ceil(span) + 20}`, /recording is .* long/]]) {
    const p = await suite.newPage({ viewport: { width: 1400, height: 900 } });
    await p.goto(`${url}${sep}range=${bad}`);
    await waitIdle(p);
    await p.waitForSelector('#notices .notice');
    const text = await p.textContent('#notices');
    assert.match(text, why, `range=${bad}: ${text}`);
    assert.match(text, /whole recording/);
    assert.equal((await shown(p)).whole, true, `range=${bad}: the whole recording`);
    await p.waitForFunction(() => !new URL(location.href).searchParams.has('range'));
    if (why.source.includes('long')) await screenshot(p, shots + '-bad-range-1400');
    await p.context().close();
  }
  return page;
}

// The zoom was not in the link: a link copied while zoomed opened the
// whole recording, and back did not undo a zoom.
test('memory: the Memory view\'s zoom is kept in the link (range=t0,t1), restored on open and on back/forward; a bad range shows the whole recording', async () => {
  const up = await post(`${suite.base}/api/profiles?name=zoom.prof`, readFileSync(join(REPO, 'tests', 'corpus', 'real', 'betterjsonstorage_default_init.prof')));
  assert.ok(up.status === 200 || up.status === 201, 'uploaded: ' + up.status);
  const prof = await up.json();
  const r = await post(`${suite.base}/api/profiles?attach=${prof.id}&name=zoom.dat`, readFileSync(files.mprof));
  assert.ok(r.status === 200 || r.status === 201, 'attached: ' + r.status);
  const mem = (await r.json()).id;
  const rec = await getJson(suite.base, `/api/memory/${mem}`);
  const page = await zoomLinkRoundTrip(`${suite.base}/p/${prof.id}?view=memory&mem=${mem}`, rec, { state: true, shots: 'memory-zoom' });
  await page.context().close();
});

// The memory page kept its zoom to itself, as the viewer did before: a
// copied link or a reload showed the whole recording, and back left the page.
test('memory: the memory page /m/<id> keeps its zoom in the link as the viewer does; an @profile call picked is a step too', async () => {
  const up = await post(`${suite.base}/api/profiles?name=zoom-page.dat`, readFileSync(files.mprof));
  assert.ok(up.status === 200 || up.status === 201, 'uploaded: ' + up.status);
  const mem = (await up.json()).id;
  const rec = await getJson(suite.base, `/api/memory/${mem}`);
  const url = `${suite.base}/m/${mem}`;
  const page = await zoomLinkRoundTrip(url, rec, { shots: 'memory-page-zoom' });
  assert.equal(page.url(), url, 'the whole recording: the bare link');

  // A row of the @profile calls zooms to that call, as a step of its own.
  const call = rec.funcs[1];
  await page.click('.mem-funcs tbody tr:nth-child(2)');
  await page.waitForFunction(() => new URL(location.href).searchParams.has('range') && window.__pstatsviz.idle(), null, { timeout: 15000 });
  const [t0, t1] = linkRange(page);
  assert.ok(Math.abs(t0 - (call.start_t - rec.start_t)) <= 2e-6 && Math.abs(t1 - (call.end_t - rec.start_t)) <= 2e-6, `range=${t0},${t1} is the call's`);
  await screenshot(page, 'memory-page-zoom-call-1400');
  await page.goBack();
  await waitIdle(page);
  assert.equal(page.url(), url, 'back: the whole recording');
  assert.equal((await page.evaluate(() => window.__pstatsviz.memory())).whole, true);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('memory: the recording on its own page, /m/<id>, at 800×600', async () => {
  assert.ok(ids.mprof, 'the test before attached the recording');
  const page = await suite.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(`${suite.base}/m/${ids.mprof}`);
  await page.waitForFunction(() => window.__pstatsviz && window.__pstatsviz.idle(), null, { timeout: 15000 });
  const m = await page.evaluate(() => window.__pstatsviz.memory());
  assert.equal(m.peak.mib, readMprof(files.mprof).peak);
  assert.match(await page.$eval('#mem-meta', (e) => e.textContent), /^mprof · \d+ samples/);
  assert.equal(await page.$$eval('.mem-funcs tbody tr', (r) => r.length), 3);
  // the function column is the widest, and the names fit whole (it was 58 px: "rule_…")
  const cut = await page.$$eval('.mem-funcs td.fn', (tds) => tds.filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent));
  assert.deepEqual(cut, [], 'function names cut in the @profile calls table');
  assert.ok(await page.$(`.mem-attached a[href^="/p/${ids.a}"]`), 'links the profile it is attached to');
  await screenshot(page, 'memory-page-800');
  assertNoProblems(page, assert);
});

test('memory: a memory file uploaded on the start page opens its own page, and its row links there', async () => {
  const page = await suite.newPage();
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', files.reportC);
  await page.waitForURL(/\/m\/[0-9a-f]{32}$/);
  await page.waitForFunction(() => window.__pstatsviz && window.__pstatsviz.idle(), null, { timeout: 15000 });
  assert.equal((await page.evaluate(() => window.__pstatsviz.record())).kind, 'lines');
  assert.equal(await page.$eval('.mem-fn tr.top', (t) => t.dataset.line), '847');
  const id = new URL(page.url()).pathname.slice(3);
  await page.goto(suite.base + '/');
  assert.equal(await page.$eval(`#recent-body tr[data-id="${id}"] a`, (a) => a.getAttribute('href')), '/m/' + id);
  assertNoProblems(page, assert);
});

test('memory: a line report shows _rule_key_to_state\'s lines in the details panel, and the table sorts by Mem +', async () => {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${suite.base}/p/${ids.a}?v=1&view=table`);
  await waitIdle(page);
  assert.equal(await page.$eval('#table-head .th[data-sort="mem_inc"]', (b) => getComputedStyle(b).display), 'none', 'no Mem + column before line data');
  await attachThroughButton(page, files.reportA);
  await waitIdle(page);
  ids.reportA = (await viewState(page)).mem;
  assert.notEqual(await page.$eval('#table-head .th[data-sort="mem_inc"]', (b) => getComputedStyle(b).display), 'none');

  // Sorted by Mem +: the one function with line data comes first.
  await page.click('#table-head .th[data-sort="mem_inc"]');
  await page.waitForFunction(() => window.__pstatsviz.state().sort === 'mem_inc' && window.__pstatsviz.idle());
  await page.waitForSelector('#table-rows .tr[data-fid]');
  const first = await page.$eval('#table-rows .tr[data-fid]', (r) => ({ label: r.textContent, mem: r.querySelector('.td.mem').textContent }));
  assert.match(first.label, /rule_policy\.py:845\(_rule_key_to_state\)/);
  const fn = (await getJson(suite.base, `/api/memory/${ids.reportA}`)).functions[0];
  // The entry row (844: the memory in use at entry) is not growth.
  const total = fn.lines.slice(1).reduce((s, l) => s + (l.inc ?? 0), 0);
  assert.equal(first.mem, fmtMiBDelta(total));

  // Its details: every line with memory beside it, the largest increment marked.
  await page.click('#table-rows .tr[data-fid]');
  await page.waitForSelector('#memory-lines tr.top');
  const rows = await page.$$eval('#memory-lines tbody tr', (trs) => trs.map((t) => [...t.children].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => Number(r[0])), [844, 845, 846, 847, 848, 849]);
  assert.match(rows[1][4], /def _rule_key_to_state\(mib\):/);
  const top = await page.$eval('#memory-lines tr.top', (t) => Number(t.dataset.line));
  assert.equal(top, 847);
  const inc847 = reportIncrement(files.reportA, 847);
  assert.equal(rows[3][2], fmtMiBDelta(inc847).replace(/ MiB$/, ''));
  assert.equal(await page.$eval('#memory-lines tr.hl', (t) => Number(t.dataset.line)), 845, 'the profile\'s line of the function');
  await screenshot(page, 'memory-details-1400');

  // The same at 800×600: the panel goes below, the table keeps its Mem + column.
  await page.setViewportSize({ width: 800, height: 600 });
  await waitIdle(page);
  assert.notEqual(await page.$eval('#table-head .th[data-sort="mem_inc"]', (b) => getComputedStyle(b).display), 'none');
  await page.$eval('#memory-lines', (e) => e.scrollIntoView());
  await screenshot(page, 'memory-details-800');
  assertNoProblems(page, assert);
});

test('memory: the comparison reads calls, time and memory, and shows the lines side by side', async () => {
  assert.ok(ids.reportA, 'the test before attached report A');
  const attached = await fetch(`${suite.base}/api/profiles?name=report_60.txt&attach=${ids.b}`, {
    method: 'POST', body: readFileSync(files.reportB), headers: { 'Content-Type': 'application/octet-stream' },
  });
  assert.equal(attached.status, 201);
  const diff = await getJson(suite.base, `/api/diff?a=${ids.a}&b=${ids.b}&limit=1`);
  assert.ok(diff.memory, '/api/diff has memory');
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
  await page.waitForFunction(() => window.__pstatsviz && window.__pstatsviz.idle(), null, { timeout: 15000 });
  const summary = await page.$eval('#summary', (e) => e.textContent);
  assert.ok(summary.includes(`${fmtMiB(diff.memory.a.peak_mib)} → ${fmtMiB(diff.memory.b.peak_mib)}`), summary);
  const verdict = await page.$eval('#verdict', (e) => e.textContent);
  // "B: 11% fewer calls, 33% less time, 2.9× the memory." (the numbers from the runs)
  assert.match(verdict, /^B: \d+% fewer calls, \d+% less time, (\d+(\.\d)?× the memory|\d+(\.\d)?% more memory)\.$/);
  const rows = await page.$$eval('#diff-mem tbody tr', (trs) => trs.map((t) => [...t.children].map((c) => c.textContent)));
  const r847 = rows.find((r) => r[0] === '847');
  assert.ok(r847, 'line 847 paired in both runs');
  assert.equal(r847[1], fmtMiBDelta(reportIncrement(files.reportA, 847)).replace(/ MiB$/, ''));
  assert.equal(r847[3], fmtMiBDelta(reportIncrement(files.reportB, 847)).replace(/ MiB$/, ''));
  await page.$eval('#diff-mem', (e) => e.scrollIntoView());
  await screenshot(page, 'memory-diff-1400');
  await page.setViewportSize({ width: 800, height: 600 });
  await page.waitForTimeout(100);
  await screenshot(page, 'memory-diff-800');
  assertNoProblems(page, assert);
});
