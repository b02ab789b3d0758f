// The chart pane: an icicle or a sunburst of the current tree on two stacked
// canvases (the chart, and an overlay for hover and keyboard focus, so that
// moving the mouse never redraws the chart). Lays out with model/layout.js,
// draws with render/, hit-tests on the same layout, and reports clicks to
// the viewer through callbacks. The viewer hands it keyboard moves (move())
// and asks it which shape has the focus; it never changes the view state.

import { layoutIcicle, layoutSunburst, hitIcicle, hitSunburst, moveFocus, shapeCenter } from '../model/layout.js';
import { compileQuery, searchTree, NO_SEARCH } from '../model/search.js';
import { prepareTree, isFunctionNode, shareBase } from '../model/tree.js';
import { sizeCanvas, THEME, labelOf } from '../render/common.js';
import { fmtSeconds, fmtPct } from '../model/format.js';
import { drawIcicle, outlineRect } from '../render/icicle.js';
import { drawSunburst, outlineArc } from '../render/sunburst.js';
import { renderTooltip } from './tooltip.js';

const ROW_H = 20;
const MAX_FRAMES = 600;

export class Chart {
  /**
   * els: {wrap, canvas, overlay, tooltip, empty, live (optional: where the
   *   focused node is announced)}
   * cb: {onActivate(shape), functionRow(fid) → row|null, wantFunction(fid)}
   */
  constructor(els, cb) {
    this.els = els;
    this.cb = cb;
    this.view = 'icicle';
    this.tree = null;  // the server's answer, read only
    this.model = null; // its model (model/tree.js prepareTree)
    this.layout = null;
    this.drawnText = null; // the icicle's labels as drawn: shape -> text (for nodes())
    this.selectedFid = null;
    this.query = compileQuery('');
    this.searchStats = NO_SEARCH;
    this.hover = null;
    this.focus = null;
    this.overlaySize = null;     // the chart's size in CSS pixels, as drawn (sizeOverlay)
    this.overlayPainted = false; // a hover or focus ring is on the overlay
    this.focusNextRoot = false; // the keyboard zoomed: the next tree's root takes the focus
    this.rootFocusDue = false;  // ... this tree's, once it is laid out
    this.scrollTopDue = false;  // a new tree: scroll to the top when drawn
    this.mouse = null;
    this.frames = [];
    this.drawCount = 0;
    this.onDrawn = null;
    this.pending = 0;
    this.geom = { cx: 0, cy: 0 };
    this.hoverFrame = 0;
    this.wire();
  }

  wire() {
    const { wrap, overlay } = this.els;
    overlay.addEventListener('mousemove', (e) => {
      this.mouse = { x: e.clientX, y: e.clientY };
      if (!this.hoverFrame) this.hoverFrame = requestAnimationFrame(() => { this.hoverFrame = 0; this.updateHover(); });
    });
    overlay.addEventListener('mouseleave', () => {
      this.mouse = null;
      this.setHover(null);
    });
    overlay.addEventListener('click', (e) => {
      const s = this.hitAt(e.clientX, e.clientY);
      if (!s) return;
      this.focus = s;
      this.cb.onActivate(s);
    });
    wrap.addEventListener('scroll', () => this.paintOverlay());
    new ResizeObserver(() => this.schedule()).observe(wrap);
    window.matchMedia && this.watchDpr();
  }

  watchDpr() {
    // A move to a screen with another pixel ratio needs a redraw at that ratio.
    const mq = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    const again = () => { this.schedule(); this.watchDpr(); };
    if (mq.addEventListener) mq.addEventListener('change', again, { once: true });
  }

  setView(view) {
    if (view !== 'icicle' && view !== 'sunburst') return;
    if (view === this.view) return;
    this.view = view;
    this.focus = null;
    this.hover = null;
    this.schedule();
  }

  /** A new tree (the server's answer): keeps the search, resets hover and focus. */
  setTree(tree) {
    this.tree = tree;
    this.model = prepareTree(tree);
    this.hover = null;
    this.focus = null;
    this.rootFocusDue = this.focusNextRoot;
    this.focusNextRoot = false;
    this.applySearch();
    // Back to the top, when drawn: setting scrollTop now would lay out the
    // page in the middle of the changes a new tree brings.
    this.scrollTopDue = true;
    this.schedule();
  }

  setSelected(fid) {
    if (fid === this.selectedFid) return;
    this.selectedFid = fid;
    this.schedule();
  }

  /** Sets the search text; returns model/search.js searchTree's summary for the current tree. */
  setSearch(q) {
    this.query = compileQuery(q);
    this.applySearch();
    this.schedule();
    return this.searchStats;
  }

  applySearch() {
    const root = this.model && this.model.root;
    this.searchStats = !root || this.query.empty ? NO_SEARCH : searchTree(root, this.query);
  }

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.draw(); });
  }

  /** Lays out and draws now; records the time it took. */
  draw() {
    const { wrap, canvas, overlay, empty } = this.els;
    if (wrap.offsetParent === null) return; // hidden (table view): draw when shown
    const t0 = performance.now();
    const W = wrap.clientWidth;
    const H = wrap.clientHeight;
    const root = this.model && this.model.root;
    empty.hidden = !!(root && root.value > 0);
    if (!root || W < 10 || H < 10) return;
    if (this.scrollTopDue) {
      wrap.scrollTop = 0;
      this.scrollTopDue = false;
    }
    let ctx;
    const matches = this.searchStats.matches;
    if (this.view === 'icicle') {
      this.layout = layoutIcicle(this.tree, W, ROW_H);
      const cssH = Math.max(H, this.layout.height + 8);
      ctx = sizeCanvas(canvas, W, cssH);
      this.sizeOverlay(W, cssH);
      ctx.clearRect(0, 0, W, cssH);
      this.drawnText = drawIcicle(ctx, this.layout, { selectedFid: this.selectedFid, matches });
    } else {
      const radius = Math.max(20, Math.min(W, H) / 2 - 10);
      this.layout = layoutSunburst(this.tree, radius);
      ctx = sizeCanvas(canvas, W, H);
      this.sizeOverlay(W, H);
      this.geom = { cx: W / 2, cy: H / 2 };
      ctx.clearRect(0, 0, W, H);
      drawSunburst(ctx, this.layout, { cx: W / 2, cy: H / 2, selectedFid: this.selectedFid, matches, totalTime: shareBase(this.tree) });
    }
    // Shapes from the old layout are gone: find hover and focus again.
    this.focus = this.refind(this.focus);
    if (this.rootFocusDue && this.layout.root) {
      this.focus = this.layout.root;
      this.rootFocusDue = false;
    }
    this.hover = this.mouse ? this.hitAt(this.mouse.x, this.mouse.y) : null;
    this.paintOverlay();
    const ms = performance.now() - t0;
    this.record('draw', ms);
    this.drawCount++;
    if (this.onDrawn) this.onDrawn(ms);
  }

  record(kind, ms) {
    this.frames.push({ kind, ms, view: this.view });
    if (this.frames.length > MAX_FRAMES) this.frames.splice(0, this.frames.length - MAX_FRAMES);
  }

  refind(shape) {
    if (!shape || !this.layout || !shape.node) return null;
    const list = this.view === 'icicle' ? this.layout.rects : this.layout.arcs;
    return list.find((s) => s.node === shape.node) || null;
  }

  /** The shape under a viewport point, or null. */
  hitAt(clientX, clientY) {
    if (!this.layout) return null;
    const r = this.els.overlay.getBoundingClientRect();
    const x = clientX - r.left;
    const y = clientY - r.top;
    if (this.view === 'icicle') return hitIcicle(this.layout, x, y);
    return hitSunburst(this.layout, x - this.geom.cx, y - this.geom.cy);
  }

  updateHover() {
    const t0 = performance.now();
    const s = this.mouse ? this.hitAt(this.mouse.x, this.mouse.y) : null;
    this.setHover(s);
    this.record('hover', performance.now() - t0);
  }

  setHover(s) {
    const changed = s !== this.hover;
    this.hover = s;
    if (changed) this.paintOverlay();
    this.showTooltip(s, this.mouse);
  }

  /**
   * The overlay takes the chart's size at once, as the target of the
   * pointer, but its pixels only when there is something to paint on it
   * (paintOverlay): a second backing store of the chart's size cost the
   * first chart 12-26 ms in a fresh page, for a hover or focus ring that
   * is usually not there yet.
   */
  sizeOverlay(w, h) {
    const { overlay } = this.els;
    overlay.style.width = w + 'px';
    overlay.style.height = h + 'px';
    this.overlaySize = { w, h };
  }

  paintOverlay() {
    const shown = this.focus || this.hover;
    if (!this.overlaySize || (!shown && !this.overlayPainted)) return;
    const size = this.overlaySize;
    const ctx = sizeCanvas(this.els.overlay, size.w, size.h);
    ctx.clearRect(0, 0, size.w, size.h);
    this.overlayPainted = !!shown;
    const outline = (s, color, w) => {
      if (!s) return;
      if (this.view === 'icicle') outlineRect(ctx, s, color, w);
      else outlineArc(ctx, s, this.geom.cx, this.geom.cy, color, w);
    };
    if (this.focus) this.outlineFocus(ctx, this.focus);
    if (this.hover !== this.focus) outline(this.hover, THEME.hoverStroke, 1.5);
  }

  /**
   * The focus ring, clearly visible (issue 14, point 9): 3 px of dark blue
   * and 2 px of white. In the icicle both lie inside the bar, blue
   * outermost, so that the top row's ring is not cut off; in the
   * sunburst the white is drawn wider below the blue and shows on both
   * of its sides.
   */
  outlineFocus(ctx, s) {
    if (this.view === 'icicle') {
      outlineRect(ctx, s, THEME.focusStroke, 3);
      if (s.w > 10 && s.h > 10) outlineRect(ctx, { x: s.x + 3, y: s.y + 3, w: s.w - 6, h: s.h - 6 }, THEME.focusHalo, 2);
    } else {
      outlineArc(ctx, s, this.geom.cx, this.geom.cy, THEME.focusHalo, 7);
      outlineArc(ctx, s, this.geom.cx, this.geom.cy, THEME.focusStroke, 3);
    }
  }

  showTooltip(shape, at) {
    const tip = this.els.tooltip;
    if (!shape || !at || !this.tree) { tip.hidden = true; return; }
    const n = shape.node;
    let fnRow = null;
    if (isFunctionNode(n)) {
      fnRow = this.cb.functionRow(n.fid);
      if (!fnRow) this.cb.wantFunction(n.fid);
    }
    renderTooltip(tip, shape, {
      total: shareBase(this.tree),
      root: this.model.root,
      fnRow,
      isRoot: shape.depth === 0,
      view: this.view,
      inverted: this.tree.params?.invert === 1,
    });
    tip.hidden = false;
    const pad = 14;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let x = at.x + pad;
    let y = at.y + pad;
    if (x + tw > window.innerWidth - 4) x = Math.max(4, at.x - tw - pad);
    if (y + th > window.innerHeight - 4) y = Math.max(4, at.y - th - pad);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  /** Refreshes the tooltip when a function's totals arrive. */
  functionArrived(fid) {
    if (this.hover && this.hover.node && this.hover.node.fid === fid) this.showTooltip(this.hover, this.mouse || this.focusPoint());
  }

  /** Viewport coordinates of a shape's centre. */
  clientPoint(shape) {
    const r = this.els.overlay.getBoundingClientRect();
    const c = shapeCenter(shape);
    if (this.view === 'icicle') return { x: r.left + c.x, y: r.top + c.y };
    return { x: r.left + this.geom.cx + c.x, y: r.top + this.geom.cy + c.y };
  }

  focusPoint() {
    return this.focus ? this.clientPoint(this.focus) : null;
  }

  /**
   * The keyboard zooms (Enter, Backspace): the focus goes to the root of
   * the tree it brings, so that ArrowDown then goes to its first child.
   */
  focusRootOfNextTree() {
    this.focusNextRoot = true;
  }

  /** Keyboard: moves the focus ring; the first move starts at the root. */
  move(dir) {
    if (!this.layout || !this.layout.root) return;
    const from = this.focus || this.layout.root;
    const to = this.focus ? moveFocus(from, dir) : from;
    this.focus = to;
    this.hover = null;
    this.paintOverlay();
    if (this.view === 'icicle') {
      const wrap = this.els.wrap;
      if (to.y < wrap.scrollTop) wrap.scrollTop = to.y;
      else if (to.y + to.h > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = to.y + to.h - wrap.clientHeight;
    }
    this.showTooltip(to, this.clientPoint(to));
    this.announce(to);
  }

  /** Says the focused node in the live region, for screen readers (the
   * canvas itself says nothing). */
  announce(shape) {
    const live = this.els.live;
    if (!live || !shape || !this.tree) return;
    const n = shape.node;
    const base = shareBase(this.tree);
    const share = base > 0 ? ' · ' + fmtPct((100 * n.value) / base) + ' of all' : '';
    const kids = shape.kids ? shape.kids.filter((k) => !k.agg).length : 0;
    live.textContent = `${labelOf(n)} · ${fmtSeconds(n.value)}${share} · level ${shape.depth + 1}` +
      (kids ? ` · ${kids} callee${kids === 1 ? '' : 's'} shown` : '');
  }

  focused() {
    return this.focus;
  }

  hideTooltip() {
    this.els.tooltip.hidden = true;
  }

  /** Visible shapes in viewport coordinates (the page hook, docs/API.md). */
  nodes() {
    if (!this.layout || !this.layout.root) return [];
    const list = this.view === 'icicle' ? this.layout.rects : this.layout.arcs;
    const matches = this.searchStats.matches;
    const out = [];
    for (const s of list) {
      if (s.agg) continue;
      const n = s.node;
      const base = { name: n.other ? null : n.unrecorded ? '(not recorded)' : n.name, fid: n.fid ?? null, kind: n.kind || null, depth: s.depth, other: !!n.other, unrecorded: !!n.unrecorded, recursive: !!n.recursive, exact: n.exact !== false, match: !!(matches && matches.has(n)), value: n.value };
      if (this.view === 'icicle') {
        const p = this.clientPoint(s);
        out.push(Object.assign(base, { x: p.x - s.w / 2, y: p.y - s.h / 2, w: s.w, h: s.h, text: this.drawnText?.get(s) ?? null }));
      } else {
        const p = this.clientPoint(s);
        out.push(Object.assign(base, { x: p.x - 1, y: p.y - 1, w: 2, h: 2 }));
      }
    }
    return out;
  }
}
