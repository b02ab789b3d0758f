// Draws the differential icicle and sunburst that model/diff.js lays out.
// Colour is the change: blue for faster, orange for slower (a pair that
// colour-blind readers tell apart), grey within the noise threshold; three
// strengths by the size of the change. Draws only what it is handed.

import { THEME, fitText, charWidth } from './common.js';
import { displayText } from '../model/format.js';
import { changeClass, changeStrength, nodeLabel } from '../model/diff.js';

// Light to strong: ColorBrewer's PuOr/RdBu ends, readable with dark text.
export const CHANGE_COLORS = {
  faster: ['#c6dbef', '#6baed6', '#2171b5'],
  slower: ['#fdd0a2', '#fd8d3c', '#d94801'],
  neutral: ['#e3e5e8', '#e3e5e8', '#e3e5e8'],
  other: '#f1f1f1',
};

/** {cls, fill, text} for a node under the page's thresholds. */
export function nodeColor(node, opts) {
  if (node.other) return { cls: 'neutral', fill: CHANGE_COLORS.other, text: THEME.otherText };
  const a = node.value_a || 0;
  const b = node.value_b || 0;
  const cls = changeClass(a, b, opts.total, opts.noise, opts.floor);
  const strength = changeStrength(a, b);
  const fill = CHANGE_COLORS[cls][strength - 1];
  return { cls, fill, text: cls !== 'neutral' && strength === 3 ? '#ffffff' : THEME.text };
}

function dimFill(matches, node) {
  return matches && !matches.has(node);
}

/** opts: {total, noise, floor, matches: Set of nodes | null, hover: rect | null}. */
export function drawDiffIcicle(ctx, layout, width, opts) {
  ctx.clearRect(0, 0, width, layout.height);
  ctx.font = THEME.font;
  ctx.textBaseline = 'middle';
  const cw = charWidth(ctx);
  for (const r of layout.rects) {
    const col = nodeColor(r.node, opts);
    const dim = dimFill(opts.matches, r.node);
    ctx.fillStyle = dim ? THEME.dimFill : col.fill;
    ctx.fillRect(r.x, r.y, Math.max(0.5, r.w - (r.w > 2 ? 1 : 0)), r.h);
    if (r.node.only) { // present in one run only: a dashed edge
      ctx.setLineDash([3, 2]);
      ctx.strokeStyle = THEME.textMuted;
      ctx.strokeRect(r.x + 0.5, r.y + 0.5, Math.max(0, r.w - 2), r.h - 1);
      ctx.setLineDash([]);
    }
    if (opts.matches && opts.matches.has(r.node)) {
      ctx.strokeStyle = THEME.matchStroke;
      ctx.lineWidth = 2;
      ctx.strokeRect(r.x + 1, r.y + 1, Math.max(0, r.w - 3), r.h - 2);
      ctx.lineWidth = 1;
    }
    if (r.w > cw * 3) {
      const t = fitText(ctx, displayText(nodeLabelShort(r.node)), r.w - 6);
      if (t) {
        ctx.fillStyle = dim ? THEME.textDim : col.text;
        ctx.fillText(t, r.x + 3, r.y + r.h / 2);
      }
    }
  }
  if (opts.hover) {
    ctx.strokeStyle = THEME.hoverStroke;
    ctx.lineWidth = 2;
    ctx.strokeRect(opts.hover.x + 1, opts.hover.y + 1, Math.max(0, opts.hover.w - 3), opts.hover.h - 2);
    ctx.lineWidth = 1;
  }
}

/** The text in a shape: the function's name (the label is in the tooltip). */
export function nodeLabelShort(node) {
  if (node.other) return 'other';
  return typeof node.name === 'string' && node.name ? node.name : nodeLabel(node);
}

/** Arcs around (cx, cy); opts as for the icicle. */
export function drawDiffSunburst(ctx, layout, cx, cy, width, height, opts) {
  ctx.clearRect(0, 0, width, height);
  ctx.lineWidth = 1;
  ctx.strokeStyle = THEME.background;
  for (const s of layout.arcs) {
    const col = nodeColor(s.node, opts);
    ctx.beginPath();
    if (s.depth === 0) ctx.arc(cx, cy, s.r1, 0, 2 * Math.PI);
    else {
      ctx.arc(cx, cy, s.r1, s.a0, s.a1);
      ctx.arc(cx, cy, s.r0, s.a1, s.a0, true);
      ctx.closePath();
    }
    ctx.fillStyle = dimFill(opts.matches, s.node) ? THEME.dimFill : col.fill;
    ctx.fill();
    ctx.stroke();
    if (opts.hover === s) {
      ctx.save();
      ctx.strokeStyle = THEME.hoverStroke;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.restore();
    }
  }
  const root = layout.arcs[0];
  if (root) {
    ctx.font = THEME.fontBold;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = THEME.text;
    const t = fitText(ctx, displayText(nodeLabelShort(root.node)), root.r1 * 1.8);
    if (t) ctx.fillText(t, cx, cy);
    ctx.textAlign = 'start';
  }
}
