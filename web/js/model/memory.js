// Memory data (issue 15), pure: the numbers of an mprof recording and of a
// memory_profiler line report as the charts and tables show them. Scales
// and axis ticks, the sample buckets of GET /api/memory/<id>/samples made
// into drawable columns (and re-bucketed to the canvas's pixels), FUNC
// brackets laid out in lanes, hit-testing, zoom ranges, per-line tables
// and the comparison's verdict. No DOM: render/memory.js draws what these
// return, ui/ wires them to the page, tests/web/memory.test.mjs tests them.
//
// Shapes read (docs/API.md, "Memory"): a samples answer
//   {t0, t1, width, main: [[t_start, min_mib, max_mib] | null, ...], children: [...] | null,
//    before, after, children_before, children_after: [t, mib] | null}
// a record's funcs [{name, start_mib, start_t, end_mib, end_t}], and a line
// report's functions [{file, name, first_line, last_line, max_inc_line, lines: [{line, mem, inc, occ, text}]}].

/* ---------- numbers ---------- */

/** MiB with 3 significant digits and the unit: 1.23 MiB, 45.6 MiB, 789 MiB, 1,234 MiB. */
export function fmtMiB(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  let s;
  if (a === 0) s = '0';
  else if (a >= 1000) s = groupThousands(x.toFixed(0));
  else if (a >= 100) s = x.toFixed(0);
  else if (a >= 10) s = x.toFixed(1);
  else if (a >= 1) s = x.toFixed(2);
  else s = x.toFixed(3);
  return s + ' MiB';
}

/** A change in MiB with its sign: +12.3 MiB, −0.500 MiB, ±0 MiB. */
export function fmtMiBDelta(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '±0 MiB';
  return (x > 0 ? '+' : '\u2212') + fmtMiB(Math.abs(x));
}

function groupThousands(digits) {
  const neg = digits.startsWith('-');
  const d = neg ? digits.slice(1) : digits;
  let out = '';
  for (let i = 0; i < d.length; i++) {
    if (i > 0 && (d.length - i) % 3 === 0) out += ',';
    out += d[i];
  }
  return (neg ? '-' : '') + out;
}

/** Seconds from the start of a recording, for the time axis and the hover: 0 s, 1.5 s, 2 min 5 s. */
export function fmtElapsed(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  const a = Math.abs(s);
  if (a >= 120) {
    const m = Math.floor(a / 60);
    const r = a - m * 60;
    return (s < 0 ? '-' : '') + `${m} min ${r.toFixed(0)} s`;
  }
  if (a === 0) return '0 s';
  if (a >= 10) return s.toFixed(1) + ' s';
  if (a >= 1) return s.toFixed(2) + ' s';
  if (a >= 0.01) return (s * 1e3).toFixed(0) + ' ms';
  return (s * 1e3).toFixed(2) + ' ms';
}

/**
 * A tick's label: as many decimals as the step between ticks needs, so an
 * axis reads 0, 50, 100 MiB or 0.5, 1.0, 1.5 s, never 50.0 beside 100.
 */
export function fmtTick(v, step, unit) {
  const decimals = step > 0 ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))) : 0;
  const s = Math.abs(v) >= 1000 && decimals === 0 ? groupThousands(v.toFixed(0)) : v.toFixed(decimals);
  return s + ' ' + unit;
}

/* ---------- scales and ticks ---------- */

/**
 * A linear map from the domain [d0, d1] to the range [r0, r1] (pixels) and
 * back. A domain of zero width is widened around its value, so a flat
 * recording still draws as a line in the middle.
 */
export function linearScale(d0, d1, r0, r1) {
  if (!(d1 > d0)) {
    const pad = Math.abs(d0) > 0 ? Math.abs(d0) * 0.5 : 1;
    d0 -= pad;
    d1 += pad;
  }
  const k = (r1 - r0) / (d1 - d0);
  return {
    d0, d1, r0, r1,
    toPx: (v) => r0 + (v - d0) * k,
    fromPx: (p) => d0 + (p - r0) / k,
  };
}

/**
 * About `count` round tick values between lo and hi (1, 2 or 5 times a
 * power of ten apart), each inside [lo, hi]. [] for an empty or reversed
 * range.
 */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo) || count < 1) return [];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const out = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let i = first; i * step <= hi + step * 1e-9; i++) {
    // i * step, not a running sum: 0.1 + 0.2 would drift from 0.3.
    const v = Number((i * step).toPrecision(12));
    out.push(v);
    if (out.length > 1000) break;
  }
  return out;
}

/**
 * The MiB range the y axis shows: from 0 (memory is read against nothing
 * used) to a round value above the highest point, main and children stacked.
 */
export function mibDomain(columns, peakMib = 0) {
  let hi = Number.isFinite(peakMib) ? peakMib : 0;
  for (const c of columns) if (c && c.top > hi) hi = c.top;
  if (!(hi > 0)) return [0, 1];
  const ticks = niceTicks(0, hi * 1.08, 5);
  const last = ticks[ticks.length - 1];
  return [0, last >= hi * 1.02 ? last : hi * 1.08];
}

/* ---------- sample buckets ---------- */

/**
 * A samples answer as drawable columns, one per bucket:
 *   {t, min, max, childMin, childMax, top} or null for an empty bucket,
 * where top is the highest point drawn (max + childMax: children are
 * stacked on the main process). Buckets of a malformed answer (not
 * [number, number, number]) count as empty. Cannot fail.
 */
export function columnsFromSamples(answer) {
  const main = answer && Array.isArray(answer.main) ? answer.main : [];
  const kids = answer && Array.isArray(answer.children) ? answer.children : null;
  const n = Math.max(main.length, kids ? kids.length : 0);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const m = bucket(main[i]);
    const c = kids ? bucket(kids[i]) : null;
    if (!m && !c) { out[i] = null; continue; }
    const min = m ? m[1] : 0;
    const max = m ? m[2] : 0;
    out[i] = {
      t: m ? m[0] : c[0],
      min, max,
      childMin: c ? c[1] : 0,
      childMax: c ? c[2] : 0,
      hasMain: !!m,
      top: max + (c ? c[2] : 0),
    };
  }
  return out;
}

function bucket(b) {
  return Array.isArray(b) && b.length >= 3 && Number.isFinite(b[0]) && Number.isFinite(b[1]) && Number.isFinite(b[2]) ? b : null;
}

/**
 * Merges columns over [t0, t1] (their answer's span, width buckets) into
 * `width` new ones over [n0, n1]: each new column is the min of the mins
 * and the max of the maxes of the old ones whose start falls in it. Used to
 * show a zoom or a resize at once, from what is on screen, while the
 * server's answer for the new range is on its way. Columns outside
 * [n0, n1] are dropped; new columns that no old one falls in are null.
 */
export function rebucket(columns, t0, t1, n0, n1, width) {
  width = Math.max(1, Math.floor(width));
  const out = new Array(width).fill(null);
  if (!(n1 > n0) || !(t1 > t0)) return out;
  const k = width / (n1 - n0);
  const step = (t1 - t0) / Math.max(1, columns.length);
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    if (!c) continue;
    // The old column covers [t, t + step): it lands where its middle falls.
    const mid = t0 + (i + 0.5) * step;
    if (mid < n0 || mid >= n1) continue;
    const j = Math.min(width - 1, Math.floor((mid - n0) * k));
    const o = out[j];
    if (!o) {
      out[j] = Object.assign({}, c, { t: n0 + j / k });
    } else {
      o.min = Math.min(o.min, c.min);
      o.max = Math.max(o.max, c.max);
      o.childMin = Math.min(o.childMin, c.childMin);
      o.childMax = Math.max(o.childMax, c.childMax);
      o.hasMain = o.hasMain || c.hasMain;
      o.top = Math.max(o.top, c.top);
    }
  }
  return out;
}

/**
 * Min/max per bucket straight from raw samples [[mib, t], ...] sorted by
 * t: the same buckets the server returns ([t_start, min, max] or null),
 * for width buckets over [t0, t1]. One pass, no allocation per sample; the
 * bench and the tests use it to check the server's answer.
 */
export function downsample(samples, t0, t1, width) {
  width = Math.max(1, Math.floor(width));
  const out = new Array(width).fill(null);
  if (!(t1 > t0)) return out;
  const k = width / (t1 - t0);
  for (const [mib, t] of samples) {
    if (t < t0 || t > t1) continue;
    const j = Math.min(width - 1, Math.floor((t - t0) * k));
    const b = out[j];
    if (!b) out[j] = [t0 + j / k, mib, mib];
    else {
      if (mib < b[1]) b[1] = mib;
      if (mib > b[2]) b[2] = mib;
    }
  }
  return out;
}

/* ---------- the line outside the window ---------- */

function point(p) {
  return Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]) ? { t: p[0], mib: p[1] } : null;
}

/**
 * A samples answer's nearest samples outside its window:
 * {before, after, childBefore, childAfter}, each {t, mib} or null (absent
 * or malformed). Cannot fail.
 */
export function edgesFromSamples(answer) {
  const a = answer || {};
  return {
    before: point(a.before), after: point(a.after),
    childBefore: point(a.children_before), childAfter: point(a.children_after),
  };
}

/**
 * The nearest samples outside [n0, n1] as a samples answer over [t0, t1]
 * holds them (its fields before, after, children_before, children_after,
 * for a zoom shown before its own answer comes): its buckets' points (at
 * the bucket's middle, as rebucket places them, main at the middle of
 * min and max as the line is drawn) and its own edges, whichever is
 * nearest to the new window.
 */
export function edgesWithin(answer, n0, n1) {
  const e = edgesFromSamples(answer);
  const main = answer && Array.isArray(answer.main) ? answer.main : [];
  const kids = answer && Array.isArray(answer.children) ? answer.children : [];
  const t0 = answer && answer.t0;
  const t1 = answer && answer.t1;
  const out = { before: e.before, after: e.after, childBefore: e.childBefore, childAfter: e.childAfter };
  const scan = (buckets, value, beforeKey, afterKey) => {
    const step = (t1 - t0) / Math.max(1, buckets.length);
    for (let i = 0; i < buckets.length; i++) {
      const b = bucket(buckets[i]);
      if (!b) continue;
      const t = t0 + (i + 0.5) * step;
      const p = { t, mib: value(b) };
      if (t < n0 && (!out[beforeKey] || t >= out[beforeKey].t)) out[beforeKey] = p;
      if (t > n1 && (!out[afterKey] || t < out[afterKey].t)) out[afterKey] = p;
    }
  };
  if (Number.isFinite(t0) && Number.isFinite(t1) && t1 > t0) {
    scan(main, (b) => (b[1] + b[2]) / 2, 'before', 'after');
    scan(kids, (b) => b[2], 'childBefore', 'childAfter');
  }
  const arr = (p) => (p ? [p.t, p.mib] : null);
  return { before: arr(out.before), after: arr(out.after), children_before: arr(out.childBefore), children_after: arr(out.childAfter) };
}

/** The main process's line through a column: where strokes go (render/memory.js). */
function mainMid(c) {
  return (c.min + c.max) / 2;
}

function lerp(a, b, t) {
  return b.t === a.t ? b.mib : a.mib + ((b.mib - a.mib) * (t - a.t)) / (b.t - a.t);
}

/**
 * Columns (one per pixel over [t0, t1]) with the line carried on to the
 * plot's edges: the first and last column, when no sample falls in them,
 * get the value the line has there on its way from edges.before to the
 * first sample in the window, and from the last one to edges.after (from
 * before to after when the window holds none): straight from sample to
 * sample, as the line is drawn inside the window, and so clipped to the
 * plot. The children likewise, from childBefore and to childAfter. Such
 * columns are marked interpolated. A new array; columns is not changed.
 */
export function extendToEdges(columns, t0, t1, edges) {
  const n = columns.length;
  const out = columns.slice();
  if (!n || !(t1 > t0) || !edges) return out;
  const colT = (i) => t0 + ((i + 0.5) * (t1 - t0)) / n;
  const find = (from, step, has) => {
    for (let i = from; i >= 0 && i < n; i += step) if (columns[i] && has(columns[i])) return i;
    return -1;
  };
  // The point the line goes to from an edge: the nearest column with a
  // value in the window, or the sample beyond the other edge.
  const inner = (from, step, has, value, far) => {
    const j = find(from, step, has);
    return j >= 0 ? { t: colT(j), mib: value(columns[j]) } : far;
  };
  const edgeColumn = (i, near, step, farMain, farChild) => {
    const own = columns[i];
    if ((own && own.hasMain) || !near) return;
    const to = inner(i, step, (c) => c.hasMain, mainMid, farMain);
    if (!to) return;
    const v = lerp(near, to, colT(i));
    // A column of children only (their CHLD lines come a little after
    // the tick's MEM line) keeps its own children.
    let child = own ? own.childMax : 0;
    const nearChild = step > 0 ? edges.childBefore : edges.childAfter;
    if (!own && nearChild) {
      const toChild = inner(i, step, (c) => c.childMax > 0, (c) => c.childMax, farChild);
      if (toChild) child = Math.max(0, lerp(nearChild, toChild, colT(i)));
    }
    out[i] = {
      t: t0 + (i * (t1 - t0)) / n, min: v, max: v, childMin: own ? own.childMin : child, childMax: child,
      hasMain: true, top: v + child, interpolated: true,
    };
  };
  edgeColumn(0, edges.before, 1, edges.after, edges.childAfter);
  if (n > 1) edgeColumn(n - 1, edges.after, -1, edges.before, edges.childBefore);
  return out;
}

/* ---------- the chart's layout ---------- */

export const CHART_PAD = Object.freeze({ left: 64, right: 16, top: 22, bottom: 30 });
export const LANE_H = 16;
const MAX_LANES = 6;

/**
 * FUNC brackets in lanes: a bracket that starts before the one above it
 * ends goes one lane down (a decorated function called from another), so
 * no two bands of a lane overlap. Brackets beyond MAX_LANES share the last
 * lane. Returns [{name, start_t, end_t, start_mib, end_mib, lane, index}],
 * sorted by start; index is the bracket's place in the file.
 */
export function funcLanes(funcs) {
  const list = (Array.isArray(funcs) ? funcs : [])
    .map((f, index) => Object.assign({}, f, { index }))
    .filter((f) => Number.isFinite(f.start_t) && Number.isFinite(f.end_t))
    .sort((a, b) => a.start_t - b.start_t || b.end_t - a.end_t);
  const laneEnds = [];
  for (const f of list) {
    let lane = laneEnds.findIndex((end) => end <= f.start_t);
    if (lane < 0) lane = laneEnds.length < MAX_LANES ? laneEnds.length : MAX_LANES - 1;
    laneEnds[lane] = Math.max(laneEnds[lane] ?? -Infinity, f.end_t);
    f.lane = lane;
  }
  return list;
}

function tickStep(ticks) {
  return ticks.length > 1 ? ticks[1] - ticks[0] : 1;
}

/**
 * Everything the chart draws, in CSS pixels of a width × height canvas:
 *   {plot: {x, y, w, h}, x (time scale, unix seconds), y (MiB scale),
 *    start_t (the recording's start, 0 on the axis), columns, edges,
 *    bands, peak: {t, mib, x, y} | null, xTicks, yTicks, t0, t1, lanes}
 * rec: the record (GET /api/memory/<id>): start_t, peak, funcs.
 * samples: the samples answer for [t0, t1]. columns, when given, are
 * drawn instead of the answer's (a zoom shown before its answer came).
 * columns carry the line to the plot's edges (extendToEdges) from the
 * answer's edges (edgesFromSamples), which the layout keeps for the hover.
 */
export function layoutMemory(rec, samples, width, height, columns = null) {
  const lanesOf = funcLanes(rec && rec.funcs);
  const lanes = lanesOf.reduce((m, f) => Math.max(m, f.lane + 1), 0);
  const pad = CHART_PAD;
  const bandsH = lanes * LANE_H;
  const plot = {
    x: pad.left,
    y: pad.top,
    w: Math.max(10, width - pad.left - pad.right),
    h: Math.max(10, height - pad.top - pad.bottom - bandsH - (lanes ? 6 : 0)),
  };
  const t0 = samples && Number.isFinite(samples.t0) ? samples.t0 : rec.start_t;
  const t1 = samples && Number.isFinite(samples.t1) ? samples.t1 : rec.end_t;
  if (!columns) columns = columnsFromSamples(samples);
  // One column per pixel: an answer for another width (a resize, a zoom in
  // flight) is merged into the plot's pixels.
  const px = Math.max(1, Math.round(plot.w));
  if (columns.length !== px) columns = rebucket(columns, t0, t1, t0, t1, px);
  // Zoomed between samples, the line comes in from the sample before the
  // window and goes on to the one after it.
  const edges = edgesFromSamples(samples);
  columns = extendToEdges(columns, t0, t1, edges);
  const peak = rec && rec.peak && Number.isFinite(rec.peak.mib) ? rec.peak : null;
  const peakInView = peak && peak.t >= t0 && peak.t <= t1;
  const [ylo, yhi] = mibDomain(columns, peakInView ? peak.mib : 0);
  const x = linearScale(t0, t1, plot.x, plot.x + plot.w);
  const y = linearScale(ylo, yhi, plot.y + plot.h, plot.y);
  const start = Number.isFinite(rec && rec.start_t) ? rec.start_t : t0;
  const xTicks = niceTicks(t0 - start, t1 - start, Math.max(2, Math.floor(plot.w / 90)))
    .map((s, i, all) => ({ value: s, px: x.toPx(start + s), text: fmtTick(s, tickStep(all), 's') }));
  const yTicks = niceTicks(ylo, yhi, Math.max(2, Math.floor(plot.h / 45)))
    .map((v, i, all) => ({ value: v, px: y.toPx(v), text: fmtTick(v, tickStep(all), 'MiB') }));
  const bandTop = plot.y + plot.h + 6;
  const bands = [];
  for (const f of lanesOf) {
    if (f.end_t < t0 || f.start_t > t1) continue;
    const bx0 = Math.max(plot.x, x.toPx(f.start_t));
    const bx1 = Math.min(plot.x + plot.w, x.toPx(f.end_t));
    bands.push(Object.assign(f, { x: bx0, w: Math.max(1, bx1 - bx0), y: bandTop + f.lane * LANE_H, h: LANE_H - 2 }));
  }
  return {
    plot, x, y, start_t: start, t0, t1, columns, edges, bands, lanes,
    peak: peakInView ? { t: peak.t, mib: peak.mib, x: x.toPx(peak.t), y: y.toPx(peak.mib) } : null,
    xTicks, yTicks,
  };
}

/**
 * What is under a point of the chart: null outside the plot and the bands,
 * else {t (unix s), elapsed (s from start), column, sample, funcs (the
 * brackets running at t, outermost first), band (the band under the
 * point, if any)}. column is the pixel's own when a sample falls in it;
 * else the line's value at the point, interpolated from the samples on
 * either side as the line is drawn (a column marked interpolated); else,
 * beyond the line's ends, the nearest column with samples (or null).
 * sample is the nearest sample, {t, elapsed, min, max, exact}, from the
 * columns (t: its bucket's start, within a pixel of the sample's) or the
 * samples just outside the window (exact: their own time); or null.
 */
export function hitMemory(layout, px, py) {
  if (!layout) return null;
  const { plot, x, columns, bands } = layout;
  if (px < plot.x || px > plot.x + plot.w) return null;
  const band = bands.find((b) => px >= b.x && px <= b.x + b.w && py >= b.y && py <= b.y + b.h) || null;
  const inPlot = py >= plot.y && py <= plot.y + plot.h;
  if (!inPlot && !band) return null;
  const t = x.fromPx(px);
  const i = Math.min(columns.length - 1, Math.max(0, Math.floor(((px - plot.x) / plot.w) * columns.length)));
  const funcs = bands.filter((b) => b.start_t <= t && b.end_t >= t).sort((a, b) => a.lane - b.lane);
  const own = columns[i];
  const column = own && own.hasMain ? own : lineAt(layout, px, i, t) || nearestColumn(columns, i);
  return { t, elapsed: t - layout.start_t, column, sample: nearestSample(layout, t, i), funcs, band };
}

/** The x of column i's middle, as render/memory.js draws it. */
function columnX(layout, i) {
  return layout.plot.x + ((i + 0.5) * layout.plot.w) / layout.columns.length;
}

/**
 * The line's value at px (column i, time t), between the nearest columns
 * with a value on either side, as an interpolated column; null outside
 * the line's ends.
 */
function lineAt(layout, px, i, t) {
  const { columns } = layout;
  const around = (has) => {
    let a = i;
    while (a >= 0 && !(columns[a] && has(columns[a]))) a--;
    let b = i;
    while (b < columns.length && !(columns[b] && has(columns[b]))) b++;
    return a >= 0 && b < columns.length ? [a, b] : null;
  };
  const at = ([a, b], value) => {
    if (a === b) return value(columns[a]);
    const xa = columnX(layout, a);
    const f = Math.min(1, Math.max(0, (px - xa) / (columnX(layout, b) - xa)));
    return value(columns[a]) + (value(columns[b]) - value(columns[a])) * f;
  };
  const m = around((c) => c.hasMain);
  if (!m) return null;
  const v = at(m, mainMid);
  const k = around((c) => c.childMax > 0);
  const child = k ? at(k, (c) => c.childMax) : 0;
  return { t, min: v, max: v, childMin: child, childMax: child, hasMain: true, top: v + child, interpolated: true };
}

/** The sample nearest to t: see hitMemory. */
function nearestSample(layout, t, i) {
  const c = nearestColumn(layout.columns, i);
  const found = [];
  if (c && c.hasMain) found.push({ t: c.t, min: c.min, max: c.max, exact: false });
  for (const e of [layout.edges && layout.edges.before, layout.edges && layout.edges.after]) {
    if (e) found.push({ t: e.t, min: e.mib, max: e.mib, exact: true });
  }
  if (!found.length) return null;
  const best = found.reduce((p, q) => (Math.abs(q.t - t) < Math.abs(p.t - t) ? q : p));
  return Object.assign(best, { elapsed: best.t - layout.start_t });
}

/**
 * The column at i, or the nearest one with samples (interpolated columns
 * are none): zoomed in further than the sampling interval, most pixels
 * have none, and the line is drawn straight from one sample to the next.
 */
export function nearestColumn(columns, i) {
  const real = (c) => c && !c.interpolated;
  for (let d = 0; d < columns.length; d++) {
    if (real(columns[i - d])) return columns[i - d];
    if (real(columns[i + d])) return columns[i + d];
  }
  return null;
}

/* ---------- zoom ---------- */

/** The smallest span a zoom goes to, in seconds: below a sample interval, nothing more is seen. */
export const MIN_SPAN_S = 1e-3;

/**
 * The range after a wheel step: the time under the pointer (at fraction
 * `at` of the span) stays put, the span is multiplied by factor (< 1 zooms
 * in), and the result is kept within [lo, hi] and at least MIN_SPAN_S wide.
 */
export function zoomAround(t0, t1, at, factor, lo, hi) {
  const span = t1 - t0;
  let next = Math.min(hi - lo, Math.max(MIN_SPAN_S, span * factor));
  const pivot = t0 + span * Math.min(1, Math.max(0, at));
  let n0 = pivot - next * (pivot - t0) / span;
  if (!Number.isFinite(n0)) n0 = t0;
  return clampRange(n0, n0 + next, lo, hi);
}

/** [a, b] sorted, moved inside [lo, hi] (kept its width when it fits). */
export function clampRange(a, b, lo, hi) {
  if (b < a) [a, b] = [b, a];
  const span = Math.min(hi - lo, Math.max(MIN_SPAN_S, b - a));
  if (a < lo) a = lo;
  if (a + span > hi) a = hi - span;
  return [a, a + span];
}

/** Whether [t0, t1] shows the whole recording [lo, hi]. */
export function isWhole(t0, t1, lo, hi) {
  const eps = (hi - lo) * 1e-9;
  return t0 <= lo + eps && t1 >= hi - eps;
}

/* ---------- line reports ---------- */

/**
 * The index of a function's first measured line: memory_profiler's entry
 * row (the `def`, or the decorator above it), whose "increment" is all the
 * memory in use when the function was entered, not what the line added.
 * -1 when no line was measured.
 */
export function entryIndex(lines) {
  return lines.findIndex((l) => Number.isFinite(l.inc));
}

/**
 * A function's lines as table rows: [{line, mem, inc, occ, text, top}].
 * top marks the line of the largest positive increment after the entry
 * row (the first of equals); no line when none grew: the rule the server's
 * max_inc_line follows, computed here from the lines the table shows.
 */
export function lineRows(fn) {
  const lines = fn && Array.isArray(fn.lines) ? fn.lines : [];
  const entry = entryIndex(lines);
  let top = null;
  let best = 0;
  lines.forEach((l, i) => {
    if (i > entry && Number.isFinite(l.inc) && l.inc > best) { best = l.inc; top = l.line; }
  });
  return lines.map((l) => ({
    line: l.line,
    mem: Number.isFinite(l.mem) ? l.mem : null,
    inc: Number.isFinite(l.inc) ? l.inc : null,
    occ: Number.isFinite(l.occ) ? l.occ : null,
    text: typeof l.text === 'string' ? l.text : '',
    top: l.line === top,
  }));
}

/**
 * What a function's lines added (MiB): the sum of their increments but the
 * entry row's, as the server computes the table's "Mem +" (mem_inc).
 */
export function totalIncrement(fn) {
  const lines = (fn && fn.lines) || [];
  const entry = entryIndex(lines);
  let s = 0;
  lines.forEach((l, i) => { if (i > entry && Number.isFinite(l.inc)) s += l.inc; });
  return s;
}

/**
 * The per-line increments of one function in two runs, side by side:
 * lines are paired by their offset from the function's first line (the
 * `def`), so the same body pairs when the function moved in the file.
 * [{offset, a: row | null, b: row | null, text, delta (b.inc - a.inc, a
 * missing side counting 0; null when neither has an increment)}].
 */
export function pairLines(fa, fb) {
  const ra = lineRows(fa);
  const rb = lineRows(fb);
  const a0 = Number.isInteger(fa && fa.first_line) ? fa.first_line : (ra[0] ? ra[0].line : 0);
  const b0 = Number.isInteger(fb && fb.first_line) ? fb.first_line : (rb[0] ? rb[0].line : 0);
  const byOffset = new Map();
  for (const r of ra) byOffset.set(r.line - a0, { offset: r.line - a0, a: r, b: null });
  for (const r of rb) {
    const o = r.line - b0;
    const p = byOffset.get(o);
    if (p) p.b = r;
    else byOffset.set(o, { offset: o, a: null, b: r });
  }
  return [...byOffset.values()].sort((x, y) => x.offset - y.offset).map((p) => {
    const ia = p.a && p.a.inc !== null ? p.a.inc : null;
    const ib = p.b && p.b.inc !== null ? p.b.inc : null;
    return Object.assign(p, {
      text: (p.b || p.a).text,
      delta: ia === null && ib === null ? null : (ib ?? 0) - (ia ?? 0),
    });
  });
}

/* ---------- the comparison's verdict ---------- */

/**
 * One clause of the verdict for a change from a to b: "28% less time",
 * "50% fewer calls", "4.7× the memory". `more`/`less` are the words for
 * the two directions; above +100% a ratio reads better than a percentage.
 * Returns null when a is 0 or either is not a number.
 */
export function changeClause(a, b, noun, { more = 'more', less = 'less' } = {}) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0) return null;
  const r = (b - a) / a;
  if (Math.abs(r) < 0.005) return `the same ${noun}`;
  if (r >= 1) return `${(b / a).toFixed(b / a >= 10 ? 0 : 1)}\u00d7 the ${noun}`;
  const pct = Math.abs(r) * 100;
  return `${pct >= 10 ? pct.toFixed(0) : pct.toFixed(1)}% ${r > 0 ? more : less} ${noun}`;
}

/**
 * The compare page's verdict, in the words of the workflow: "46% fewer
 * calls, 28% less time, 4.7× the memory". diff: /api/diff's answer (a, b
 * with total_calls and total_time; memory null or {a: {peak_mib}, b:
 * {peak_mib}}). Clauses that cannot be said are left out.
 */
export function verdict(diff) {
  if (!diff || !diff.a || !diff.b) return '';
  const parts = [
    changeClause(diff.a.total_calls, diff.b.total_calls, 'calls', { more: 'more', less: 'fewer' }),
    changeClause(diff.a.total_time, diff.b.total_time, 'time'),
  ];
  const m = diff.memory;
  if (m && m.a && m.b) parts.push(changeClause(m.a.peak_mib, m.b.peak_mib, 'memory'));
  return parts.filter(Boolean).join(', ');
}
