// Draws a sunburst layout (model/layout.js layoutSunburst) centred at
// (cx, cy): the root is the disc in the middle, each depth a ring. Same
// marks as the icicle: hatching for estimated nodes, dashed red borders for
// recursion cut-offs, borders on search matches and a dark border on the
// selected function.

import { THEME, fillGrouped, drawMarks, dimmed, labelOf, fitText } from './common.js';
import { fmtSeconds, fmtPct } from '../model/format.js';

function arcPath(ctx, a) {
  if (a.depth === 0) {
    ctx.moveTo(a.r1, 0);
    ctx.arc(0, 0, a.r1, 0, 2 * Math.PI);
    return;
  }
  const full = a.a1 - a.a0 >= 2 * Math.PI - 1e-9;
  if (full) {
    ctx.moveTo(a.r1, 0);
    ctx.arc(0, 0, a.r1, 0, 2 * Math.PI);
    ctx.moveTo(a.r0, 0);
    ctx.arc(0, 0, a.r0, 2 * Math.PI, 0, true);
    return;
  }
  ctx.moveTo(Math.cos(a.a0) * a.r0, Math.sin(a.a0) * a.r0);
  ctx.arc(0, 0, a.r1, a.a0, a.a1);
  ctx.arc(0, 0, a.r0, a.a1, a.a0, true);
  ctx.closePath();
}

/** opts: {cx, cy, selectedFid, matches, totalTime}; matches as for drawIcicle. */
export function drawSunburst(ctx, layout, opts = {}) {
  const { cx = 0, cy = 0, selectedFid = null, matches = null } = opts;
  ctx.save();
  ctx.translate(cx, cy);
  const shapes = layout.arcs;
  fillGrouped(ctx, shapes, matches, arcPath);

  // White separators between arcs, so neighbours with one colour stay apart.
  ctx.strokeStyle = THEME.background;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const a of shapes) if (!a.agg && (a.a1 - a.a0) * a.r1 > 3) arcPath(ctx, a);
  ctx.stroke();

  drawMarks(ctx, shapes, { fillPath: arcPath, strokePath: arcPath, matches, selectedFid });
  drawLabels(ctx, layout, matches, opts.totalTime);
  ctx.restore();
}

function drawLabels(ctx, layout, matches, totalTime) {
  ctx.font = THEME.font;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const root = layout.root;
  if (root) {
    // The centre: the root's name and value.
    const w = root.r1 * 1.75;
    ctx.font = THEME.fontBold;
    const name = fitText(ctx, labelOf(root.node), w);
    ctx.fillStyle = THEME.text;
    if (name) ctx.fillText(name, 0, -15);
    ctx.font = THEME.font;
    ctx.fillStyle = THEME.textMuted;
    const v = fitText(ctx, fmtSeconds(root.node.value), w);
    if (v) ctx.fillText(v, 0, 2);
    if (totalTime > 0) {
      const pct = fitText(ctx, fmtPct((100 * root.node.value) / totalTime) + ' of all', w);
      if (pct) ctx.fillText(pct, 0, 18);
    }
  }
  if (layout.ring < 13) return;
  for (const a of layout.arcs) {
    if (a.agg || a.depth === 0) continue;
    const da = a.a1 - a.a0;
    const rMid = (a.r0 + a.r1) / 2;
    if (da * rMid < 24) continue;
    // Straight text across the ring, centred on its middle radius: it must
    // stay inside the outer circle and inside the arc's angle.
    const half = Math.min(Math.sqrt(Math.max(0, (a.r1 - 2) ** 2 - rMid ** 2)), rMid * Math.tan(Math.min(da / 2, 1.3)));
    const text = fitText(ctx, labelOf(a.node), half * 2 - 6);
    if (!text) continue;
    const mid = (a.a0 + a.a1) / 2;
    ctx.save();
    ctx.translate(Math.cos(mid) * rMid, Math.sin(mid) * rMid);
    let rot = mid + Math.PI / 2;
    if (Math.sin(mid) > 0) rot += Math.PI; // bottom half: keep text upright
    ctx.rotate(rot);
    const n = a.node;
    ctx.fillStyle = dimmed(n, matches) ? THEME.textDim : n.other || n.unrecorded ? THEME.otherText : THEME.text;
    ctx.fillText(text, 0, 0.5);
    ctx.restore();
  }
}

/** Outlines one arc (hover, keyboard focus) on an overlay context. */
export function outlineArc(ctx, a, cx, cy, color, width = 2) {
  if (!a) return;
  ctx.save();
  ctx.translate(cx, cy);
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  arcPath(ctx, a);
  ctx.stroke();
  ctx.restore();
}
