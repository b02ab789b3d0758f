// model/memory.js: the memory chart's numbers (scales, ticks, buckets,
// lanes, hit-testing, zoom) and the line tables and verdict, on answers
// shaped like GET /api/memory/<id> and its /samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fmtMiB, fmtMiBDelta, fmtElapsed, fmtTick, linearScale, niceTicks, mibDomain, columnsFromSamples, rebucket, downsample,
  funcLanes, layoutMemory, hitMemory, nearestColumn, edgesFromSamples, edgesWithin, extendToEdges, zoomAround, clampRange, isWhole, MIN_SPAN_S, lineRows, totalIncrement,
  pairLines, changeClause, verdict,
} from '../../web/js/model/memory.js';

const MIB = [[0, '0 MiB'], [0.5, '0.500 MiB'], [1.234, '1.23 MiB'], [45.67, '45.7 MiB'], [789.4, '789 MiB'],
  [1234.5, '1,235 MiB'], [null, '–'], [NaN, '–'], [-12.34, '-12.3 MiB']];
for (const [v, want] of MIB) test(`fmtMiB(${v}) is ${want}`, () => assert.equal(fmtMiB(v), want));

test('fmtMiBDelta signs the change with a true minus', () => {
  assert.equal(fmtMiBDelta(12.3), '+12.3 MiB');
  assert.equal(fmtMiBDelta(-0.5), '\u22120.500 MiB');
  assert.equal(fmtMiBDelta(0), '±0 MiB');
  assert.equal(fmtMiBDelta(undefined), '–');
});

test('fmtElapsed reads seconds from the start', () => {
  assert.equal(fmtElapsed(0), '0 s');
  assert.equal(fmtElapsed(0.25), '250 ms');
  assert.equal(fmtElapsed(1.5), '1.50 s');
  assert.equal(fmtElapsed(42.25), '42.3 s');
  assert.equal(fmtElapsed(125), '2 min 5 s');
});

test('fmtTick gives a tick as many decimals as its step needs', () => {
  assert.equal(fmtTick(50, 50, 'MiB'), '50 MiB');
  assert.equal(fmtTick(1.5, 0.5, 's'), '1.5 s');
  assert.equal(fmtTick(1, 0.5, 's'), '1.0 s');
  assert.equal(fmtTick(0.02, 0.01, 's'), '0.02 s');
  assert.equal(fmtTick(2000, 1000, 'MiB'), '2,000 MiB');
  const L = layoutMemory(record(), answer(), 400, 300);
  assert.ok(L.yTicks.every((t) => /^\d+ MiB$/.test(t.text)), L.yTicks.map((t) => t.text).join());
});

test('linearScale maps both ways, and widens a flat domain', () => {
  const s = linearScale(10, 20, 0, 100);
  assert.equal(s.toPx(15), 50);
  assert.equal(s.fromPx(25), 12.5);
  const y = linearScale(0, 200, 300, 0); // y grows upwards
  assert.equal(y.toPx(200), 0);
  assert.equal(y.toPx(0), 300);
  const flat = linearScale(50, 50, 0, 100);
  assert.equal(flat.toPx(50), 50);
});

test('niceTicks gives round steps within the range, without drift', () => {
  assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0.05, 0.35, 3), [0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0, 0.7, 7), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  assert.deepEqual(niceTicks(5, 5, 4), []);
  assert.deepEqual(niceTicks(3, 1, 4), []);
  const t = niceTicks(1.7e9, 1.7e9 + 30, 4);
  assert.ok(t.length >= 3 && t.length <= 8);
  for (const v of t) assert.ok(v >= 1.7e9 && v <= 1.7e9 + 30);
});

function answer() {
  return {
    t0: 100, t1: 104, width: 4,
    main: [[100, 10, 12], null, [102, 20, 30], [103, 25, 26]],
    children: [[100, 1, 2], null, null, [103, 5, 8]],
  };
}

test('columnsFromSamples stacks children on the main process and keeps gaps', () => {
  const c = columnsFromSamples(answer());
  assert.equal(c.length, 4);
  assert.deepEqual(c[0], { t: 100, min: 10, max: 12, childMin: 1, childMax: 2, hasMain: true, top: 14 });
  assert.equal(c[1], null);
  assert.equal(c[2].top, 30);
  assert.equal(c[3].top, 34);
});

test('columnsFromSamples reads malformed buckets as empty, and no children as none', () => {
  const c = columnsFromSamples({ t0: 0, t1: 1, width: 3, main: [[0, 'x', 1], [0.3, 1, 2], 7], children: null });
  assert.equal(c[0], null);
  assert.equal(c[1].childMax, 0);
  assert.equal(c[2], null);
  assert.deepEqual(columnsFromSamples(null), []);
});

test('mibDomain starts at 0 and ends at a round value above the top', () => {
  const [lo, hi] = mibDomain(columnsFromSamples(answer()), 0);
  assert.equal(lo, 0);
  assert.ok(hi >= 34 && hi <= 40, String(hi));
  assert.ok(mibDomain([], 250)[1] >= 250);
  assert.deepEqual(mibDomain([], 0), [0, 1]);
});

test('downsample keeps each bucket\'s min and max, and rebucket merges buckets the same way', () => {
  const samples = [];
  for (let i = 0; i < 1000; i++) samples.push([100 + Math.sin(i / 10) * 50 + (i === 777 ? 500 : 0), i * 0.01]);
  const fine = downsample(samples, 0, 10, 100);
  const coarse = downsample(samples, 0, 10, 10);
  assert.equal(fine.length, 100);
  // The spike survives any downsampling: a min/max per pixel never loses a peak.
  const spike = samples[777][0];
  assert.ok(spike > 500);
  assert.equal(Math.max(...coarse.map((b) => b[2])), spike);
  const merged = rebucket(columnsFromSamples({ main: fine }), 0, 10, 0, 10, 10);
  for (let j = 0; j < 10; j++) {
    assert.equal(merged[j].min, coarse[j][1], 'min of bucket ' + j);
    assert.equal(merged[j].max, coarse[j][2], 'max of bucket ' + j);
  }
});

test('rebucket to a zoomed range drops what is outside and leaves empty pixels null', () => {
  const cols = columnsFromSamples(answer()); // buckets of 1 s over 100..104
  const z = rebucket(cols, 100, 104, 101.5, 103.5, 4); // pixels of 0.5 s
  assert.equal(z.length, 4);
  // Old buckets land by their middles: 101.5 (empty) in pixel 0, 102.5 in
  // pixel 2; 100.5 and 103.5 are outside [101.5, 103.5).
  assert.deepEqual(z.map((c) => (c ? c.max : null)), [null, null, 30, null]);
  assert.equal(z[2].t, 102.5);
});

test('funcLanes puts nested brackets in lanes below', () => {
  const lanes = funcLanes([
    { name: 'outer', start_t: 0, end_t: 10, start_mib: 1, end_mib: 2 },
    { name: 'inner', start_t: 2, end_t: 4, start_mib: 1, end_mib: 2 },
    { name: 'later', start_t: 11, end_t: 12, start_mib: 1, end_mib: 2 },
    { name: 'inner2', start_t: 5, end_t: 6, start_mib: 1, end_mib: 2 },
  ]);
  const lane = Object.fromEntries(lanes.map((f) => [f.name, f.lane]));
  assert.deepEqual(lane, { outer: 0, inner: 1, inner2: 1, later: 0 });
  assert.equal(lanes.find((f) => f.name === 'inner2').index, 3);
});

function record() {
  return {
    kind: 'mprof', start_t: 100, end_t: 104, peak: { mib: 30, t: 102.5 },
    funcs: [{ name: 'mod.build', start_t: 101, end_t: 103, start_mib: 12, end_mib: 26 }],
  };
}

test('layoutMemory: one column per plot pixel, the peak at its place, bands under the plot', () => {
  const L = layoutMemory(record(), answer(), 400, 300);
  assert.equal(L.columns.length, Math.round(L.plot.w));
  assert.ok(L.peak);
  assert.ok(Math.abs(L.peak.x - L.x.toPx(102.5)) < 1e-9);
  assert.ok(L.peak.y >= L.plot.y && L.peak.y <= L.plot.y + L.plot.h);
  assert.equal(L.bands.length, 1);
  assert.ok(L.bands[0].y > L.plot.y + L.plot.h);
  assert.equal(L.xTicks[0].value, 0); // seconds from the start
  assert.ok(L.yTicks.some((t) => t.value === 0));
});

test('layoutMemory leaves the peak out when zoomed away from it', () => {
  const zoomed = { t0: 100, t1: 101, width: 2, main: [[100, 10, 12], [100.5, 11, 12]], children: null };
  assert.equal(layoutMemory(record(), zoomed, 400, 300).peak, null);
});

test('hitMemory tells the time, the sample and the function running', () => {
  const L = layoutMemory(record(), answer(), 400, 300);
  const px = L.x.toPx(102.2);
  const hit = hitMemory(L, px, L.plot.y + 10);
  assert.ok(Math.abs(hit.t - 102.2) < 0.02);
  assert.ok(Math.abs(hit.elapsed - 2.2) < 0.02);
  // No sample at 102.2: the line's value there, between the samples at
  // 100..101 (10-12 MiB, drawn at 11, placed at 100.5) and 102..103
  // (20-30, at 25, placed at 102.5); the nearest sample is the latter.
  assert.equal(hit.column.interpolated, true);
  assert.ok(Math.abs(hit.column.max - (11 + (14 * 1.7) / 2)) < 0.2, String(hit.column.max));
  assert.equal(hit.sample.max, 30);
  assert.ok(Math.abs(hit.sample.t - 102.5) < 0.02 && !hit.sample.exact);
  const own = hitMemory(L, L.x.toPx(102.5) + 0.1, L.plot.y + 10);
  assert.equal(own.column.max, 30, 'a pixel with a sample shows its own');
  assert.equal(own.column.interpolated, undefined);
  assert.deepEqual(hit.funcs.map((f) => f.name), ['mod.build']);
  const band = L.bands[0];
  assert.equal(hitMemory(L, band.x + 2, band.y + 2).band.name, 'mod.build');
  assert.equal(hitMemory(L, 2, 2), null);
});

// A sparse recording: a sample every 2 s, 10 MiB at 1000, 20 at 1002, 30
// at 1004, 12 at 1006; the children 2 MiB at 1000 and 4 at 1002.
function sparseRecord() {
  return { kind: 'mprof', start_t: 1000, end_t: 1006, peak: { mib: 30, t: 1004 }, funcs: [] };
}
const PX = 400 - 64 - 16; // the plot's width at 400 px: one bucket a pixel

/** /samples of [t0, t1] of the sparse recording, the buckets given by index. */
function sparseAnswer(t0, t1, buckets = {}, edges = {}) {
  const main = new Array(PX).fill(null);
  for (const [i, b] of Object.entries(buckets)) main[i] = b;
  return Object.assign({ t0, t1, width: PX, main, before: null, after: null, children: null, children_before: null, children_after: null }, edges);
}

function colT(L, i) {
  return L.t0 + ((i + 0.5) * (L.t1 - L.t0)) / L.columns.length;
}

test('edgesFromSamples reads the samples outside the window, a malformed one as none', () => {
  assert.deepEqual(edgesFromSamples({ before: [1, 2], after: null, children_before: [1, 'x'], children_after: [3, 4] }),
    { before: { t: 1, mib: 2 }, after: null, childBefore: null, childAfter: { t: 3, mib: 4 } });
  assert.deepEqual(edgesFromSamples(null), { before: null, after: null, childBefore: null, childAfter: null });
});

// A window between two samples drew nothing: every bucket empty.
test('layoutMemory between two samples carries the line across the plot, from the sample before to the one after', () => {
  const L = layoutMemory(sparseRecord(), sparseAnswer(1000.5, 1001.5, {}, { before: [1000, 10], after: [1002, 20] }), 400, 300);
  assert.equal(L.columns.length, PX);
  const drawn = L.columns.map((c, i) => [c, i]).filter(([c]) => c);
  assert.deepEqual(drawn.map(([, i]) => i), [0, PX - 1], 'the first and last pixels carry the line');
  for (const [c, i] of drawn) {
    assert.equal(c.interpolated, true);
    assert.equal(c.hasMain, true);
    assert.ok(Math.abs(c.max - (10 + (10 * (colT(L, i) - 1000)) / 2)) < 1e-9, `pixel ${i}: ${c.max}`);
  }
  // The y axis holds the line: 12.5 to 17.5 MiB, not a default 0..1.
  assert.ok(L.y.d1 >= 17.5 && L.y.d0 === 0, `${L.y.d0}..${L.y.d1}`);
  // No edges (the whole recording): nothing made up.
  const bare = layoutMemory(sparseRecord(), sparseAnswer(1000.5, 1001.5), 400, 300);
  assert.equal(bare.columns.filter(Boolean).length, 0);
});

test('layoutMemory with one sample in the window goes from the sample before, through it, to the one after', () => {
  const mid = Math.floor(PX / 2); // 1002 in [1001, 1003]
  const L = layoutMemory(sparseRecord(), sparseAnswer(1001, 1003, { [mid]: [1002, 20, 20] }, { before: [1000, 10], after: [1004, 30] }), 400, 300);
  const first = L.columns[0];
  const last = L.columns[PX - 1];
  const midT = colT(L, mid);
  assert.ok(Math.abs(first.max - (10 + ((20 - 10) * (colT(L, 0) - 1000)) / (midT - 1000))) < 1e-9, String(first.max));
  assert.ok(Math.abs(last.max - (20 + ((30 - 20) * (colT(L, PX - 1) - midT)) / (1004 - midT))) < 1e-9, String(last.max));
  assert.equal(L.columns[mid].max, 20);
  assert.equal(L.columns[mid].interpolated, undefined);
  // A sample in the first pixel: nothing added on that side.
  const edge = layoutMemory(sparseRecord(), sparseAnswer(1002, 1003, { 0: [1002, 20, 20] }, { before: [1000, 10], after: [1004, 30] }), 400, 300);
  assert.equal(edge.columns[0].interpolated, undefined);
  assert.equal(edge.columns[PX - 1].interpolated, true);
});

test('extendToEdges stacks the children\'s line as well, and leaves the columns given alone', () => {
  const cols = new Array(10).fill(null);
  const out = extendToEdges(cols, 1000.5, 1001.5, { before: { t: 1000, mib: 10 }, after: { t: 1002, mib: 20 }, childBefore: { t: 1000, mib: 2 }, childAfter: { t: 1002, mib: 4 } });
  assert.ok(Math.abs(out[0].childMax - (2 + (2 * 0.55) / 2)) < 1e-9, String(out[0].childMax)); // at 1000.55
  assert.ok(Math.abs(out[0].top - out[0].max - out[0].childMax) < 1e-12);
  assert.ok(Math.abs(out[9].childMax - (2 + (2 * 1.45) / 2)) < 1e-9);
  assert.equal(cols[0], null);
  assert.equal(extendToEdges(cols, 1000.5, 1001.5, { before: { t: 1000, mib: 10 }, after: null }).filter(Boolean).length, 0, 'one end alone is no line');
});

test('hitMemory between two samples reads the line\'s value, and the nearest sample with its own time', () => {
  const L = layoutMemory(sparseRecord(), sparseAnswer(1000.5, 1001.5, {}, { before: [1000, 10], after: [1002, 20] }), 400, 300);
  const hit = hitMemory(L, L.x.toPx(1001.25), L.plot.y + 10);
  assert.equal(hit.column.interpolated, true);
  assert.ok(Math.abs(hit.column.max - 16.25) < 0.05, String(hit.column.max));
  assert.deepEqual(hit.sample, { t: 1002, min: 20, max: 20, exact: true, elapsed: 2 });
  assert.deepEqual(hitMemory(L, L.x.toPx(1000.6), L.plot.y + 10).sample.t, 1000, 'nearer the sample before');
});

test('edgesWithin gives a zoom shown from the buckets on screen the samples around its window', () => {
  // [1000, 1006] in 6 buckets of 1 s: samples at 1000, 1002, 1004 (middles 1000.5, 1002.5, 1004.5).
  const a = { t0: 1000, t1: 1006, width: 6, main: [[1000, 10, 10], null, [1002, 20, 20], null, [1004, 28, 32], null],
    children: [[1000, 2, 2], null, [1002, 4, 4], null, null, null], before: null, after: [1006.5, 12] };
  assert.deepEqual(edgesWithin(a, 1001, 1002), { before: [1000.5, 10], after: [1002.5, 20], children_before: [1000.5, 2], children_after: [1002.5, 4] });
  assert.deepEqual(edgesWithin(a, 1004.8, 1005.5), { before: [1004.5, 30], after: [1006.5, 12], children_before: [1002.5, 4], children_after: null });
});

test('nearestColumn finds the closest sample when a pixel has none', () => {
  const cols = [null, { max: 1 }, null, null, null, { max: 2 }, null];
  assert.equal(nearestColumn(cols, 1).max, 1);
  assert.equal(nearestColumn(cols, 2).max, 1);
  assert.equal(nearestColumn(cols, 4).max, 2);
  assert.equal(nearestColumn(cols, 6).max, 2);
  assert.equal(nearestColumn([null, null], 0), null);
  assert.equal(nearestColumn([{ max: 5, interpolated: true }, null, { max: 3 }], 0).max, 3, 'a sample, not the line\'s value at an edge');
});

test('zoomAround keeps the time under the pointer, within the recording', () => {
  const [a, b] = zoomAround(0, 100, 0.25, 0.5, 0, 100);
  assert.equal(a, 12.5);
  assert.equal(b, 62.5);
  assert.deepEqual(zoomAround(0, 100, 0.5, 4, 0, 100), [0, 100]);
  const [c, d] = zoomAround(0, 1, 0.5, 1e-9, 0, 100);
  assert.ok(Math.abs(d - c - MIN_SPAN_S) < 1e-12);
  assert.deepEqual(clampRange(90, 120, 0, 100), [70, 100]);
  assert.deepEqual(clampRange(30, 10, 0, 100), [10, 30]);
  assert.ok(isWhole(0, 100, 0, 100));
  assert.ok(!isWhole(0, 99, 0, 100));
});

const FN = {
  file: '/app/x.py', name: 'build', first_line: 10, last_line: 14, max_inc_line: null,
  lines: [
    { line: 10, mem: 40.1, inc: 40.1, occ: 1, text: '@profile' },
    { line: 11, mem: 40.1, inc: 0, occ: 1, text: 'def build():' },
    { line: 12, mem: 80.5, inc: 40.4, occ: 1, text: '    a = [0] * 5_000_000' },
    { line: 13, mem: 120.7, inc: 40.2, occ: 1, text: '    b = [1] * 5_000_000' },
    { line: 14, mem: null, inc: null, occ: null, text: '' },
  ],
};

test('lineRows marks the largest increment after the entry row, whatever max_inc_line says', () => {
  const rows = lineRows(FN);
  assert.deepEqual(rows.filter((r) => r.top).map((r) => r.line), [12]);
  // The entry row's 90 MiB is the memory in use at entry, not growth.
  const entryHeavy = Object.assign({}, FN, { max_inc_line: 10, lines: [Object.assign({}, FN.lines[0], { inc: 90 }), ...FN.lines.slice(1)] });
  assert.deepEqual(lineRows(entryHeavy).filter((r) => r.top).map((r) => r.line), [12]);
  assert.equal(rows[4].mem, null);
  const noGrowth = { lines: [{ line: 1, inc: 5, mem: 1, occ: 1, text: 'def f():' }, { line: 2, inc: -3, mem: 1, occ: 1, text: 'x' }] };
  assert.equal(lineRows(noGrowth).some((r) => r.top), false);
});

test('totalIncrement sums the increments but the entry row\'s, as mem_inc does', () => {
  assert.ok(Math.abs(totalIncrement(FN) - 80.6) < 1e-9);
  assert.equal(totalIncrement({ lines: [] }), 0);
});

test('pairLines pairs a moved function by offset from its first line', () => {
  const moved = Object.assign({}, FN, {
    first_line: 20,
    lines: FN.lines.map((l) => Object.assign({}, l, { line: l.line + 10, inc: l.inc === null ? null : l.inc * 2 })),
  });
  const p = pairLines(FN, moved);
  assert.equal(p.length, 5);
  assert.equal(p[2].a.line, 12);
  assert.equal(p[2].b.line, 22);
  assert.ok(Math.abs(p[2].delta - 40.4) < 1e-9);
  assert.equal(p[4].delta, null);
  const one = pairLines(FN, { first_line: 10, lines: [{ line: 15, mem: 1, inc: 1, occ: 1, text: 'new' }] });
  assert.equal(one.length, 6);
  assert.equal(one[5].a, null);
  assert.equal(one[5].delta, 1);
});

test('changeClause and verdict read like the workflow\'s verdict', () => {
  assert.equal(changeClause(100, 50, 'calls', { less: 'fewer' }), '50% fewer calls');
  assert.equal(changeClause(5.29, 3.8, 'time'), '28% less time');
  assert.equal(changeClause(100, 470, 'memory'), '4.7× the memory');
  assert.equal(changeClause(100, 120, 'memory'), '20% more memory');
  assert.equal(changeClause(100, 100.1, 'time'), 'the same time');
  assert.equal(changeClause(0, 5, 'time'), null);
  const d = {
    a: { total_calls: 1000, total_time: 5.29 }, b: { total_calls: 500, total_time: 3.8 },
    memory: { a: { peak_mib: 100 }, b: { peak_mib: 470 } },
  };
  assert.equal(verdict(d), '50% fewer calls, 28% less time, 4.7× the memory');
  assert.equal(verdict(Object.assign({}, d, { memory: null })), '50% fewer calls, 28% less time');
});
