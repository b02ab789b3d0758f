// Shared drawing helpers: HiDPI canvas sizing, the theme, fills for a
// shape (colour, search dimming, aggregates), the marks both charts put on
// their shapes (hatching for estimated nodes, borders) and label fitting.
// Draws only the shapes a chart hands it, and writes nothing to them.

import { colorFor } from '../model/colors.js';
import { displayText, truncate, shortLocation } from '../model/format.js';
import { nodeName } from '../model/tree.js';

export const THEME = {
  font: '12px "DejaVu Sans Mono", "Liberation Mono", ui-monospace, Menlo, Consolas, monospace',
  fontBold: 'bold 12px "DejaVu Sans Mono", "Liberation Mono", ui-monospace, Menlo, Consolas, monospace',
  text: '#1b2230',
  textMuted: '#4f5868',
  textDim: '#9aa1ad',
  dimFill: '#eceef1',
  aggFill: '#c3c8cf',
  otherFill: '#d9d9d9',
  otherText: '#555',
  recursiveStroke: '#b3261e',
  selectedStroke: '#111827',
  hoverStroke: '#111827',
  // The keyboard focus: a 3 px dark blue ring with a white ring inside it,
  // so that it shows on every bar colour, the blue ones included.
  focusStroke: '#1d3fb8',
  focusHalo: '#ffffff',
  matchStroke: '#a0148c',
  background: '#ffffff',
};

/**
 * Sizes a canvas for cssW × cssH CSS pixels at the device pixel ratio, so
 * lines and text stay sharp on HiDPI screens; returns its context, scaled
 * so that drawing code works in CSS pixels.
 */
export function sizeCanvas(canvas, cssW, cssH) {
  const dpr = Math.max(1, Math.min(4, window.devicePixelRatio || 1));
  const w = Math.max(1, Math.round(cssW * dpr));
  const hh = Math.max(1, Math.round(cssH * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hh) canvas.height = hh;
  canvas.style.width = cssW + 'px';
  canvas.style.height = cssH + 'px';
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

const patterns = new WeakMap();

/** Diagonal white stripes, drawn over estimated nodes. */
export function hatchPattern(ctx) {
  let p = patterns.get(ctx);
  if (p) return p;
  // Thin, light stripes: in profiles where most nodes are estimated (any
  // function called from several places), heavy hatching would bury the labels.
  const c = document.createElement('canvas');
  c.width = 6;
  c.height = 6;
  const g = c.getContext('2d');
  g.strokeStyle = 'rgba(255,255,255,0.55)';
  g.lineWidth = 1.25;
  g.beginPath();
  g.moveTo(-1, 7); g.lineTo(7, -1);
  g.moveTo(-1, 1); g.lineTo(1, -1);
  g.moveTo(5, 7); g.lineTo(7, 5);
  g.stroke();
  p = ctx.createPattern(c, 'repeat');
  patterns.set(ctx, p);
  return p;
}

/**
 * Whether a shape's node is drawn dimmed: a search is active (matches, the
 * Set from model/search.js searchTree, is not null) and the node is not
 * one of its matches.
 */
export function dimmed(node, matches) {
  return !!matches && !matches.has(node);
}

/** The fill of a shape; matches as for dimmed(). */
export function fillFor(shape, matches) {
  if (shape.agg) return matches ? THEME.dimFill : THEME.aggFill;
  const n = shape.node;
  if (dimmed(n, matches)) return THEME.dimFill;
  if (n.other || n.unrecorded) return THEME.otherFill;
  return colorFor(n);
}

/** Draws one path per fill colour: a few fill() calls instead of thousands. */
export function fillGrouped(ctx, shapes, matches, addPath) {
  const groups = new Map();
  for (const s of shapes) {
    const f = fillFor(s, matches);
    let g = groups.get(f);
    if (!g) groups.set(f, (g = []));
    g.push(s);
  }
  for (const [f, list] of groups) {
    ctx.fillStyle = f;
    ctx.beginPath();
    for (const s of list) addPath(ctx, s);
    ctx.fill();
  }
}

/**
 * The marks both charts draw over their fills: hatching on estimated nodes
 * (exact: false), a dashed border on recursion cut-offs, and borders on
 * search matches and on the selected function.  fillPath(ctx, shape) adds
 * a shape's area to the path, strokePath(ctx, shape, width) its outline;
 * matches as for dimmed().
 */
export function drawMarks(ctx, shapes, { fillPath, strokePath, matches, selectedFid }) {
  const hatched = [];
  const recursive = [];
  const selected = [];
  const matched = [];
  for (const s of shapes) {
    const n = s.node;
    if (!n) continue;
    if (n.exact === false && !dimmed(n, matches)) hatched.push(s);
    if (n.recursive) recursive.push(s);
    if (selectedFid !== null && n.fid === selectedFid) selected.push(s);
    if (matches && matches.has(n)) matched.push(s);
  }
  if (hatched.length) {
    ctx.fillStyle = hatchPattern(ctx);
    ctx.beginPath();
    for (const s of hatched) fillPath(ctx, s);
    ctx.fill();
  }
  strokeShapes(ctx, recursive, strokePath, THEME.recursiveStroke, 1.5, [3, 2]);
  strokeShapes(ctx, matched, strokePath, THEME.matchStroke, 1, null);
  strokeShapes(ctx, selected, strokePath, THEME.selectedStroke, 2, null);
}

function strokeShapes(ctx, list, strokePath, color, width, dash) {
  if (!list.length) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  if (dash) ctx.setLineDash(dash);
  ctx.beginPath();
  for (const s of list) strokePath(ctx, s, width);
  ctx.stroke();
  ctx.restore();
}

let charW = 0;
let charFont = '';

/** Width of one monospace character in THEME.font. */
export function charWidth(ctx) {
  if (charFont !== THEME.font || !charW) {
    ctx.save();
    ctx.font = THEME.font;
    charW = ctx.measureText('MMMMMMMMMM').width / 10 || 7.2;
    ctx.restore();
    charFont = THEME.font;
  }
  return charW;
}

// Labels are drawn on every frame: made once per node, kept beside it.
const labels = new WeakMap();

/** The text shown for a node: display-safe, with ↻ for recursion cut-offs. */
export function labelOf(node) {
  if (!node) return '';
  let s = labels.get(node);
  if (s !== undefined) return s;
  s = displayText(nodeName(node));
  if (node.recursive) s = '\u21bb ' + s;
  labels.set(node, s);
  return s;
}

export function locationOf(node) {
  if (!node || node.other || node.unrecorded || node.fid === null || node.fid === undefined) return '';
  const loc = shortLocation(node.file, node.line);
  return loc ? displayText(loc) : '';
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x20-\x7e]*$/;

/**
 * The longest prefix of text (with "…") that fits maxW pixels, or '' when
 * not even 2 characters fit. Monospace ASCII is counted, anything else is
 * measured.
 */
export function fitText(ctx, text, maxW) {
  const cw = charWidth(ctx);
  let n = Math.floor(maxW / cw);
  if (n < 2) return '';
  if (ASCII.test(text.length > n + 1 ? text.slice(0, n + 1) : text)) return truncate(text, n);
  let s = truncate(text, n);
  for (let i = 0; i < 8 && ctx.measureText(s).width > maxW && n > 1; i++) {
    n = Math.max(1, Math.floor(n * 0.8));
    s = truncate(text, n);
  }
  return ctx.measureText(s).width > maxW ? '' : s;
}
