// The memory-over-time chart of an mprof recording, on two stacked canvases
// (the chart, and an overlay for the hover cursor and the drag range). It
// asks the server for one min/max bucket per plot pixel
// (GET /api/memory/<id>/samples?width=), lays out with model/memory.js and
// draws with render/memory.js. Zoom: drag across a range, or the wheel
// around the pointer; a double-click (or reset()) shows the whole
// recording again. A zoom shows at once from the buckets on screen, then
// the server's answer for the new range replaces them. Between samples
// (a sparse recording, zoomed in), the line comes in from the sample
// before the range and goes on to the one after it (the answer's before
// and after; model/memory.js extendToEdges). Used by the memory
// page (/m/<id>) and the viewer's Memory view, which both keep the zoom in
// their link through a RangeLink (below).

import { fetchMemorySamples } from '../api.js';
import { layoutMemory, hitMemory, zoomAround, clampRange, isWhole, columnsFromSamples, rebucket, edgesWithin, fmtMiB, fmtElapsed, CHART_PAD } from '../model/memory.js';
import { displayText, truncate } from '../model/format.js';
import { sizeCanvas } from '../render/common.js';
import { drawMemory, drawMemoryHover, bandLabel } from '../render/memory.js';
import { rangeOf } from '../state.js';
import { h, replaceChildren } from './dom.js';

const WHEEL_STEP = 0.8; // one notch in: 80% of the span
const DRAG_MIN_PX = 4;
const RESIZE_REFETCH_MS = 150;
const MAX_WIDTH = 8192; // the API's largest width

const RANGE_SETTLE_MS = 250;
// A link's range may end past the recording by this much (seconds): it
// was rounded to the microsecond on the way into the link.
const RANGE_SLACK_S = 1e-3;
// Two ranges this close (seconds) at both ends are one: a link's half a
// microsecond of rounding, plus a double's steps at unix times (0.24 µs).
const RANGE_SAME_S = 2e-6;

/** Whether two ranges (unix seconds) are the same but for a link's rounding. */
function sameRange(a, b) {
  return !!a && !!b && Math.abs(a[0] - b[0]) <= RANGE_SAME_S && Math.abs(a[1] - b[1]) <= RANGE_SAME_S;
}

export class MemoryChart {
  /**
   * els: {wrap, canvas, overlay, tooltip}; cb: {track(promise), onError(error),
   * onRange(t0, t1, whole, source)}. onRange is told of every range shown;
   * source says what chose it: 'drag', 'wheel', 'key', 'reset' or 'call'
   * (an @profile call picked in a list) for the user's zooms, null for
   * setRecord() and setRange() by the page (a link, back or forward),
   * which a page must not write back as a new step.
   * The chart draws nothing until setRecord().
   */
  constructor(els, cb = {}) {
    this.els = els;
    this.cb = cb;
    this.id = null;
    this.rec = null;     // GET /api/memory/<id>, read only
    this.samples = null; // the last samples answer
    this.samplesRange = null; // the range it was asked for
    this.preview = null; // {t0, t1, columns, edges}: a zoom shown from the buckets on screen
    this.range = null;   // [t0, t1] shown
    this.layout = null;
    this.seq = 0;
    this.abort = null;
    this.inflight = 0;
    this.mouse = null;
    this.drag = null;
    this.hit = null;
    this.pending = 0;
    this.refetchTimer = 0;
    this.metrics = { firstDrawAt: null, draws: 0, lastDrawMs: null, loads: 0 };
    this.wire();
  }

  wire() {
    const { overlay, wrap } = this.els;
    overlay.addEventListener('mousemove', (e) => this.onMove(e));
    overlay.addEventListener('mouseleave', () => { this.mouse = null; this.hit = null; this.paintOverlay(); this.els.tooltip.hidden = true; });
    overlay.addEventListener('mousedown', (e) => this.onDown(e));
    window.addEventListener('mouseup', (e) => this.onUp(e));
    overlay.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    overlay.addEventListener('dblclick', () => this.reset('reset'));
    overlay.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => { this.schedule(); this.refetchSoon(); }).observe(wrap);
  }

  /** Shows a record (mprof): the whole recording, or [t0, t1] when given. */
  setRecord(id, rec, range = null) {
    this.id = id;
    this.rec = rec;
    this.samples = null;
    this.preview = null;
    this.layout = null;
    const whole = [rec.start_t, rec.end_t];
    this.range = range ? clampRange(range[0], range[1], whole[0], whole[1]) : whole;
    if (this.cb.onRange) this.cb.onRange(this.range[0], this.range[1], isWhole(...this.range, ...whole), null);
    this.load();
  }

  /** The plot's width in CSS pixels: one bucket per pixel. */
  plotWidth() {
    const w = this.els.wrap.clientWidth - CHART_PAD.left - CHART_PAD.right;
    return Math.max(1, Math.min(MAX_WIDTH, Math.round(w)));
  }

  async load() {
    if (!this.rec) return;
    const seq = ++this.seq;
    if (this.abort) this.abort.abort();
    const ac = new AbortController();
    this.abort = ac;
    const [t0, t1] = this.range;
    const whole = isWhole(t0, t1, this.rec.start_t, this.rec.end_t);
    const width = this.plotWidth();
    this.inflight++;
    const req = fetchMemorySamples(this.id, whole ? { width } : { t0, t1, width }, { signal: ac.signal });
    const res = await (this.cb.track ? this.cb.track(req) : req);
    this.inflight--;
    if (seq !== this.seq) return;
    if (!res.ok) {
      if (res.error.code !== 'aborted' && this.cb.onError) this.cb.onError(res.error);
      return;
    }
    this.samples = res.data;
    this.samplesRange = [t0, t1];
    this.preview = null;
    this.metrics.loads++;
    this.schedule();
  }

  /** After a resize, the buckets are asked for again at the new width. */
  refetchSoon() {
    if (!this.rec) return;
    clearTimeout(this.refetchTimer);
    this.refetchTimer = setTimeout(() => {
      if (this.samples && this.samples.width !== this.plotWidth()) this.load();
    }, RESIZE_REFETCH_MS);
  }

  /**
   * Shows [t0, t1] (unix seconds): at once from what is on screen, then
   * from the server. source: what chose it (see the constructor).
   */
  setRange(t0, t1, source = null) {
    if (!this.rec) return;
    const lo = this.rec.start_t;
    const hi = this.rec.end_t;
    [t0, t1] = clampRange(t0, t1, lo, hi);
    if (this.range && t0 === this.range[0] && t1 === this.range[1]) return;
    if (this.samples) {
      const [s0, s1] = this.samplesRange;
      this.preview = {
        t0, t1,
        columns: rebucket(columnsFromSamples(this.samples), s0, s1, t0, t1, this.plotWidth()),
        edges: edgesWithin(this.samples, t0, t1),
      };
    }
    this.range = [t0, t1];
    if (this.cb.onRange) this.cb.onRange(t0, t1, isWhole(t0, t1, lo, hi), source);
    this.schedule();
    this.load();
  }

  /** Shows the whole recording; source as for setRange(). */
  reset(source = null) {
    if (this.rec) this.setRange(this.rec.start_t, this.rec.end_t, source);
  }

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.draw(); });
  }

  draw() {
    const { wrap, canvas, overlay } = this.els;
    if (!this.rec || wrap.offsetParent === null) return;
    const t0 = performance.now();
    const W = wrap.clientWidth;
    const H = wrap.clientHeight;
    if (W < 40 || H < 40) return;
    const [r0, r1] = this.range;
    const current = this.samples && this.samplesRange[0] === r0 && this.samplesRange[1] === r1;
    // A zoom whose answer is on its way shows the buckets that were on
    // screen, merged into the new range's pixels.
    const preview = !current && this.preview && this.preview.t0 === r0 && this.preview.t1 === r1 ? this.preview : null;
    const samples = current ? this.samples : Object.assign({ t0: r0, t1: r1, main: [] }, preview && preview.edges);
    this.layout = layoutMemory(this.rec, samples, W, H, preview && preview.columns);
    const ctx = sizeCanvas(canvas, W, H);
    sizeCanvas(overlay, W, H);
    drawMemory(ctx, this.layout, W, H);
    this.labels = new Map(this.layout.bands.map((b) => [b, bandLabel(ctx, b)]));
    this.hit = this.mouse ? this.hitAt(this.mouse.x, this.mouse.y) : null;
    this.paintOverlay();
    const ms = performance.now() - t0;
    this.metrics.draws++;
    this.metrics.lastDrawMs = ms;
    if (this.metrics.firstDrawAt === null && current) this.metrics.firstDrawAt = performance.now();
  }

  /** True when the samples for the range shown are on screen and nothing is waiting. */
  idle() {
    return !!(this.rec && this.samples && this.inflight === 0 && !this.pending && this.layout &&
      this.samplesRange[0] === this.range[0] && this.samplesRange[1] === this.range[1]);
  }

  hitAt(clientX, clientY) {
    if (!this.layout) return null;
    const r = this.els.overlay.getBoundingClientRect();
    return hitMemory(this.layout, clientX - r.left, clientY - r.top);
  }

  localX(clientX) {
    return clientX - this.els.overlay.getBoundingClientRect().left;
  }

  paintOverlay() {
    const { overlay } = this.els;
    const ctx = overlay.getContext('2d');
    const cssW = parseFloat(overlay.style.width) || overlay.width;
    const cssH = parseFloat(overlay.style.height) || overlay.height;
    const dpr = overlay.width / Math.max(1, cssW);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawMemoryHover(ctx, this.layout, cssW, cssH, { hit: this.drag ? null : this.hit, drag: this.drag && this.drag.moved ? this.drag : null });
  }

  onMove(e) {
    this.mouse = { x: e.clientX, y: e.clientY };
    if (this.drag) {
      this.drag.x1 = this.localX(e.clientX);
      this.drag.moved = this.drag.moved || Math.abs(this.drag.x1 - this.drag.x0) >= DRAG_MIN_PX;
      this.paintOverlay();
      return;
    }
    this.hit = this.hitAt(e.clientX, e.clientY);
    this.paintOverlay();
    this.showTooltip(this.hit, this.mouse);
  }

  onDown(e) {
    if (e.button !== 0 || !this.layout) return;
    const x = this.localX(e.clientX);
    const { plot } = this.layout;
    if (x < plot.x || x > plot.x + plot.w) return;
    e.preventDefault();
    this.els.overlay.focus({ preventScroll: true });
    this.drag = { x0: x, x1: x, moved: false };
    this.els.tooltip.hidden = true;
  }

  onUp(e) {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    d.x1 = this.localX(e.clientX);
    if (d.moved && this.layout) {
      const a = this.layout.x.fromPx(Math.min(d.x0, d.x1));
      const b = this.layout.x.fromPx(Math.max(d.x0, d.x1));
      this.setRange(a, b, 'drag');
    }
    this.paintOverlay();
  }

  onWheel(e) {
    if (!this.layout || !this.range) return;
    const { plot } = this.layout;
    const x = this.localX(e.clientX);
    if (x < plot.x || x > plot.x + plot.w) return;
    e.preventDefault();
    const factor = e.deltaY < 0 ? WHEEL_STEP : 1 / WHEEL_STEP;
    const [t0, t1] = zoomAround(this.range[0], this.range[1], (x - plot.x) / plot.w, factor, this.rec.start_t, this.rec.end_t);
    this.setRange(t0, t1, 'wheel');
  }

  /** + and - zoom around the middle, 0 shows the whole recording. */
  onKey(e) {
    if (!this.range || !this.rec) return;
    const zoom = { '+': WHEEL_STEP, '=': WHEEL_STEP, '-': 1 / WHEEL_STEP }[e.key];
    if (zoom) {
      e.preventDefault();
      this.setRange(...zoomAround(this.range[0], this.range[1], 0.5, zoom, this.rec.start_t, this.rec.end_t), 'key');
    } else if (e.key === '0') {
      e.preventDefault();
      this.reset('reset');
    }
  }

  showTooltip(hit, at) {
    const tip = this.els.tooltip;
    if (!hit || !at) { tip.hidden = true; return; }
    const row = (k, v) => h('div', { className: 'tip-row' }, h('span', { className: 'tip-k', text: k }), h('span', { className: 'tip-v', text: v }));
    const span = (lo, hi) => (lo === hi ? fmtMiB(hi) : `${fmtMiB(lo)} – ${fmtMiB(hi)}`);
    const c = hit.column;
    const parts = [h('div', { className: 'tip-name', text: fmtElapsed(hit.elapsed) + ' from the start' })];
    if (c && c.interpolated) {
      // No sample here: the line's value, and the sample it is nearest to.
      parts.push(row('memory', '\u2248 ' + fmtMiB(c.max)));
      if (c.childMax > 0) parts.push(row('children', '\u2248 ' + fmtMiB(c.childMax)));
      const smp = hit.sample;
      if (smp) parts.push(row('nearest sample', `${span(smp.min, smp.max)} at ${fmtElapsed(smp.elapsed)}`));
    } else if (c && c.hasMain) parts.push(row('memory', span(c.min, c.max)));
    else parts.push(row('memory', 'no sample here'));
    if (c && !c.interpolated && c.childMax > 0) parts.push(row('children', span(c.childMin, c.childMax)));
    for (const f of hit.funcs.slice(0, 4)) {
      parts.push(row('in', truncate(displayText(f.name), 120)));
    }
    if (hit.band) {
      const b = hit.band;
      parts.push(h('div', { className: 'tip-loc', text: `${truncate(displayText(b.name), 200)}: ${fmtMiB(b.start_mib)} → ${fmtMiB(b.end_mib)} over ${fmtElapsed(b.end_t - b.start_t)}` }));
    }
    parts.push(h('div', { className: 'tip-hint', text: 'Drag or scroll to zoom · double-click for the whole recording' }));
    replaceChildren(tip, parts);
    tip.hidden = false;
    const pad = 14;
    let x = at.x + pad;
    let y = at.y + pad;
    if (x + tip.offsetWidth > window.innerWidth - 4) x = Math.max(4, at.x - tip.offsetWidth - pad);
    if (y + tip.offsetHeight > window.innerHeight - 4) y = Math.max(4, at.y - tip.offsetHeight - pad);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  /**
   * What the page hook tells about the chart (docs/API.md): the range, the
   * buckets asked for, the peak and the bands in viewport pixels.
   */
  describe() {
    const L = this.layout;
    if (!L || !this.rec) return null;
    const r = this.els.overlay.getBoundingClientRect();
    return {
      id: this.id,
      t0: L.t0,
      t1: L.t1,
      whole: isWhole(L.t0, L.t1, this.rec.start_t, this.rec.end_t),
      width: this.samples ? this.samples.width : null,
      columns: L.columns.filter((c) => c && !c.interpolated).length,
      edges: L.columns.filter((c) => c && c.interpolated).length,
      plot: { x: r.left + L.plot.x, y: r.top + L.plot.y, w: L.plot.w, h: L.plot.h },
      peak: L.peak ? { mib: L.peak.mib, t: L.peak.t, x: r.left + L.peak.x, y: r.top + L.peak.y } : null,
      bands: L.bands.map((b) => ({ name: b.name, lane: b.lane, x: r.left + b.x, y: r.top + b.y, w: b.w, h: b.h, text: (this.labels && this.labels.get(b)) || null })),
      yMax: L.y.d1,
    };
  }
}

/**
 * A chart's zoom kept in its page's link, for the viewer's Memory view and
 * the memory page alike. The link holds range=t0,t1 in seconds from the
 * recording's start (state.js reads and writes it). The link's range, on
 * open and on back or forward, is shown without being written back; the
 * user's zoom goes into the link once a gesture settles (RANGE_SETTLE_MS:
 * a wheel makes dozens of steps, which would each be a history entry), as
 * one step back. A link's range that leaves the recording (a link made for
 * another one, or edited) shows the whole recording, says so, and is taken
 * out of the link.
 */
export class RangeLink {
  /**
   * chart: the MemoryChart, whose onRange the page passes on to onRange().
   * cb: {notice(text, kind), range([t0, t1] | null, {push})}: range is told
   * what the link should now hold, seconds from the start (null: the whole
   * recording); push is true for a zoom of the user's (a new history step)
   * and false for a correction of the link.
   */
  constructor(chart, cb) {
    this.chart = chart;
    this.cb = cb;
    this.wanted = null; // the link's range: [t0, t1] from the start, or null
    this.settle = 0;    // a zoom of the user's, waiting to go into the link
    // Back or forward while a zoom waits: the history's range wins. This
    // runs before the page's own popstate handler, registered after it.
    window.addEventListener('popstate', () => { clearTimeout(this.settle); this.settle = 0; });
  }

  /**
   * Shows record id (rec: its GET /api/memory/<id>, an mprof recording)
   * over wanted, the link's range ([t0, t1] from its start, or null for
   * the whole recording).
   */
  show(id, rec, wanted) {
    this.wanted = wanted;
    const chart = this.chart;
    // A zoom of the user's on its way into the link is newer than the link.
    if (this.settle && chart.id === id) { chart.schedule(); return; }
    const target = this.target(rec);
    if (chart.id !== id) chart.setRecord(id, rec, target);
    else if (!sameRange(chart.range, target || [rec.start_t, rec.end_t])) {
      if (target) chart.setRange(target[0], target[1]);
      else chart.reset();
    } else chart.schedule();
  }

  /** The link's range as unix seconds within rec, or null for the whole recording. */
  target(rec) {
    const r = this.wanted;
    if (!r) return null;
    const span = rec.end_t - rec.start_t;
    if (r[0] < span && r[1] <= span + RANGE_SLACK_S) return [rec.start_t + r[0], Math.min(rec.end_t, rec.start_t + r[1])];
    this.cb.notice(`Ignored range=${r[0]},${r[1]} in the link: the recording is ${fmtElapsed(span)} long; showing the whole recording.`, 'warn');
    this.wanted = null;
    queueMicrotask(() => this.cb.range(null, { push: false }));
    return null;
  }

  /** The chart's onRange: a zoom of the user's (source set) goes into the link once it settles. */
  onRange(t0, t1, whole, source) {
    if (!source) return;
    const rec = this.chart.rec;
    clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.settle = 0;
      if (!rec || rec !== this.chart.rec) return;
      this.cb.range(whole ? null : rangeOf(t0 - rec.start_t, t1 - rec.start_t), { push: true });
    }, RANGE_SETTLE_MS);
  }

  /** Whether a zoom of the user's waits to go into the link. */
  busy() {
    return this.settle !== 0;
  }
}
