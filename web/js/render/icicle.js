// Draws an icicle layout (model/layout.js layoutIcicle) on a 2D context in
// CSS pixels: fills grouped by colour, hatching on estimated nodes, borders
// on recursion cut-offs, search matches and the selected function, labels
// where they fit: "name · 345 ms" (as snakeviz prints them), the name alone
// when the time does not fit, and the file:line after when room is left.
// Draws only the shapes it is given; hit-testing uses the same layout.

import { THEME, fillGrouped, drawMarks, dimmed, labelOf, locationOf, fitText, charWidth } from './common.js';
import { fmtSeconds } from '../model/format.js';

const PAD = 4;

function rectPath(ctx, r) {
  // One pixel of white between siblings when there is room for it.
  ctx.rect(r.x, r.y, r.w >= 3 ? r.w - 1 : r.w, r.h);
}

/**
 * opts: {selectedFid, matches, top, bottom} - matches is the Set of search
 * matches (null: no search); top/bottom (CSS px) limit drawing to the rows
 * in view; by default everything is drawn.  Returns a Map from each shape
 * labelled to the text drawn on it.
 */
export function drawIcicle(ctx, layout, opts = {}) {
  const { selectedFid = null, matches = null } = opts;
  const top = opts.top ?? -Infinity;
  const bottom = opts.bottom ?? Infinity;
  const shapes = [];
  for (const row of layout.rows) {
    if (!row.length) continue;
    const y = row[0].y;
    if (y + row[0].h < top || y > bottom) continue;
    for (const r of row) shapes.push(r);
  }
  fillGrouped(ctx, shapes, matches, rectPath);

  drawMarks(ctx, shapes, { fillPath: rectPath, strokePath: insetRect, matches, selectedFid });

  return drawLabels(ctx, shapes, matches);
}

/* An outline drawn inside the rectangle, so neighbours' borders do not
 * overlap (and the 1 px gap between siblings stays). */
function insetRect(ctx, r, width) {
  const w = (r.w >= 3 ? r.w - 1 : r.w) - width;
  if (w > 0) ctx.rect(r.x + width / 2, r.y + width / 2, w, r.h - width);
}

function drawLabels(ctx, shapes, matches) {
  const cw = charWidth(ctx);
  const minW = cw * 2 + PAD * 2;
  ctx.font = THEME.font;
  ctx.textBaseline = 'middle';
  const locs = [];
  const drawn = new Map();
  for (const r of shapes) {
    if (r.agg || r.w < minW) continue;
    const n = r.node;
    const dim = dimmed(n, matches);
    const label = labelOf(n);
    const room = r.w - PAD * 2 - 1;
    const timed = `${label} \u00b7 ${fmtSeconds(n.value)}`;
    const text = ctx.measureText(timed).width <= room ? timed : fitText(ctx, label, room);
    if (!text) continue;
    ctx.fillStyle = dim ? THEME.textDim : n.other || n.unrecorded ? THEME.otherText : THEME.text;
    const ty = r.y + r.h / 2 + 0.5;
    ctx.fillText(text, r.x + PAD, ty);
    drawn.set(r, text);
    // Room to spare: the file:line after the name and time, lighter.
    if (text === timed) {
      const used = ctx.measureText(text).width;
      const loc = locationOf(n);
      if (loc && room - used > cw * (loc.length + 2)) locs.push([r.x + PAD + used + cw * 1.5, ty, loc, dim]);
    }
  }
  for (const [x, y, loc, dim] of locs) {
    ctx.fillStyle = dim ? THEME.textDim : THEME.textMuted;
    ctx.fillText(loc, x, y);
  }
  return drawn;
}

/** Outlines one shape (hover, keyboard focus) on an overlay context. */
export function outlineRect(ctx, r, color, width = 2) {
  if (!r) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  const w = (r.w >= 3 ? r.w - 1 : r.w);
  ctx.strokeRect(r.x + width / 2, r.y + width / 2, Math.max(1, w - width), r.h - width);
  ctx.restore();
}
