// Draws a memory-over-time layout (model/memory.js layoutMemory) on a 2D
// context in CSS pixels: grid and axes (MiB, seconds from the start), the
// main process as a min/max band per pixel with a line through it, the
// children stacked on top, each FUNC bracket as a labelled band under the
// plot (and a light shade over the plot while it runs), and the peak with
// its value. Hover marks go on a separate overlay (drawMemoryHover), so
// moving the mouse never redraws the chart. Draws only what the layout
// holds.

import { THEME, fitText } from './common.js';
import { fmtMiB } from '../model/memory.js';
import { displayText } from '../model/format.js';

export const MEM_THEME = {
  grid: '#eceef1',
  axis: '#c5cbd3',
  area: 'rgba(47, 111, 235, 0.10)',
  line: '#2f6feb',
  child: 'rgba(26, 127, 55, 0.35)',
  childLine: '#1a7f37',
  funcFill: ['#f6d8a8', '#e9c3f2', '#bfe3d0', '#c9d6f5', '#f4c7c3', '#e2e2b4'],
  funcShade: 'rgba(240, 160, 40, 0.07)',
  peak: '#b3261e',
  cursor: '#111827',
  drag: 'rgba(47, 111, 235, 0.15)',
};

/** Draws the whole chart; the canvas is cleared first. */
export function drawMemory(ctx, L, width, height) {
  ctx.clearRect(0, 0, width, height);
  const { plot } = L;
  ctx.font = THEME.font;
  drawGrid(ctx, L);
  drawFuncShades(ctx, L);
  drawSeries(ctx, L);
  drawAxes(ctx, L);
  drawBands(ctx, L);
  drawPeak(ctx, L);
  ctx.strokeStyle = MEM_THEME.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
}

function drawGrid(ctx, L) {
  const { plot } = L;
  ctx.strokeStyle = MEM_THEME.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of L.yTicks) {
    const y = Math.round(t.px) + 0.5;
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
  }
  for (const t of L.xTicks) {
    const x = Math.round(t.px) + 0.5;
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.h);
  }
  ctx.stroke();
}

function drawAxes(ctx, L) {
  const { plot } = L;
  ctx.fillStyle = THEME.textMuted;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (const t of L.yTicks) ctx.fillText(t.text, plot.x - 6, t.px);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const below = L.bands.length ? L.bands.reduce((m, b) => Math.max(m, b.y + b.h), 0) + 4 : plot.y + plot.h + 6;
  for (const t of L.xTicks) ctx.fillText(t.text, t.px, below);
  ctx.textAlign = 'left';
}

/** The x of column i's middle: columns are the plot's pixels. */
function colX(L, i) {
  return L.plot.x + ((i + 0.5) * L.plot.w) / L.columns.length;
}

function drawSeries(ctx, L) {
  const { columns, y, plot } = L;
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  // Children, stacked on the main process: from its max to max + children's max.
  if (columns.some((c) => c && c.childMax > 0)) {
    ctx.fillStyle = MEM_THEME.child;
    ctx.beginPath();
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i];
      if (!c || !(c.childMax > 0)) continue;
      const x = colX(L, i) - 0.5;
      const yTop = y.toPx(c.max + c.childMax);
      ctx.rect(x, yTop, 1, Math.max(1, y.toPx(c.max) - yTop));
    }
    ctx.fill();
    ctx.strokeStyle = MEM_THEME.childLine;
    strokeThrough(ctx, L, (c) => (c.childMax > 0 ? c.max + c.childMax : null));
  }
  // The main process: a light area under its highest points, one bar per
  // pixel from its min to its max, so that a spike shorter than a pixel
  // still shows at full height, and a line from sample to sample.
  ctx.fillStyle = MEM_THEME.area;
  const base = y.toPx(Math.max(0, y.d0));
  ctx.beginPath();
  let first = -1;
  let last = -1;
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    if (!c || !c.hasMain) continue;
    if (first < 0) { first = i; ctx.moveTo(colX(L, i), base); }
    ctx.lineTo(colX(L, i), y.toPx(c.max));
    last = i;
  }
  if (first >= 0) {
    ctx.lineTo(colX(L, last), base);
    ctx.closePath();
    ctx.fill();
  }
  ctx.fillStyle = MEM_THEME.line;
  ctx.beginPath();
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    if (!c || !c.hasMain || c.max === c.min) continue;
    const yTop = y.toPx(c.max);
    ctx.rect(colX(L, i) - 0.75, yTop, 1.5, Math.max(1, y.toPx(c.min) - yTop));
  }
  ctx.fill();
  ctx.strokeStyle = MEM_THEME.line;
  strokeThrough(ctx, L, (c) => (c.hasMain ? (c.min + c.max) / 2 : null));
  ctx.restore();
}

/** A line through value(column) of every column that has one, straight across empty pixels. */
function strokeThrough(ctx, L, value) {
  ctx.lineWidth = 1.25;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < L.columns.length; i++) {
    const c = L.columns[i];
    const v = c ? value(c) : null;
    if (v === null) continue;
    const x = colX(L, i);
    const yy = L.y.toPx(v);
    if (started) ctx.lineTo(x, yy);
    else { ctx.moveTo(x, yy); started = true; }
  }
  ctx.stroke();
}

function drawFuncShades(ctx, L) {
  const { plot } = L;
  ctx.fillStyle = MEM_THEME.funcShade;
  ctx.beginPath();
  for (const b of L.bands) if (b.lane === 0) ctx.rect(b.x, plot.y, b.w, plot.h);
  ctx.fill();
}

function drawBands(ctx, L) {
  ctx.textBaseline = 'middle';
  for (const b of L.bands) {
    ctx.fillStyle = bandFill(b.name);
    ctx.fillRect(b.x, b.y, b.w, b.h);
    ctx.strokeStyle = 'rgba(0,0,0,0.25)';
    ctx.lineWidth = 1;
    ctx.strokeRect(b.x + 0.5, b.y + 0.5, Math.max(0, b.w - 1), b.h - 1);
    const text = bandLabel(ctx, b);
    if (text) {
      ctx.fillStyle = THEME.text;
      ctx.fillText(text, b.x + 3, b.y + b.h / 2 + 0.5);
    }
  }
}

/** One colour per function: its calls look alike across the chart. */
function bandFill(name) {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  const fills = MEM_THEME.funcFill;
  return fills[Math.abs(hash) % fills.length];
}

/** The label drawn on a FUNC band ('' when nothing fits). */
export function bandLabel(ctx, b) {
  return fitText(ctx, displayText(b.name), b.w - 6);
}

function drawPeak(ctx, L) {
  const p = L.peak;
  if (!p) return;
  ctx.fillStyle = MEM_THEME.peak;
  ctx.beginPath();
  ctx.arc(p.x, p.y, 3.5, 0, Math.PI * 2);
  ctx.fill();
  const text = 'peak ' + fmtMiB(p.mib);
  ctx.font = THEME.fontBold;
  const w = ctx.measureText(text).width;
  // Beside the point, inside the plot, above it when there is room.
  let tx = p.x + 6;
  if (tx + w > L.plot.x + L.plot.w - 4) tx = p.x - 6 - w;
  const ty = p.y - 10 < L.plot.y + 6 ? p.y + 12 : p.y - 10;
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(tx - 2, ty - 8, w + 4, 16);
  ctx.fillStyle = MEM_THEME.peak;
  ctx.textBaseline = 'middle';
  ctx.fillText(text, tx, ty);
  ctx.font = THEME.font;
}

/**
 * The overlay: a cursor line at the hovered time with a dot on the sample,
 * the hovered band outlined, and the range being dragged (x0..x1, CSS px)
 * shaded. Clears the overlay first.
 */
export function drawMemoryHover(ctx, L, width, height, { hit = null, drag = null } = {}) {
  ctx.clearRect(0, 0, width, height);
  if (!L) return;
  const { plot } = L;
  if (drag) {
    const x0 = Math.max(plot.x, Math.min(drag.x0, drag.x1));
    const x1 = Math.min(plot.x + plot.w, Math.max(drag.x0, drag.x1));
    ctx.fillStyle = MEM_THEME.drag;
    ctx.fillRect(x0, plot.y, x1 - x0, plot.h);
  }
  if (!hit) return;
  const x = Math.round(L.x.toPx(hit.t)) + 0.5;
  ctx.strokeStyle = MEM_THEME.cursor;
  ctx.lineWidth = 1;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(x, plot.y);
  ctx.lineTo(x, plot.y + plot.h);
  ctx.stroke();
  ctx.setLineDash([]);
  const c = hit.column;
  if (c && c.hasMain) {
    ctx.fillStyle = MEM_THEME.line;
    ctx.beginPath();
    ctx.arc(x, L.y.toPx(c.max), 3, 0, Math.PI * 2);
    ctx.fill();
  }
  if (hit.band) {
    ctx.strokeStyle = THEME.hoverStroke;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(hit.band.x + 0.75, hit.band.y + 0.75, Math.max(0, hit.band.w - 1.5), hit.band.h - 1.5);
  }
}
