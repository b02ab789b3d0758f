// Geometry of the icicle and the sunburst, and hit-testing on it. Pure: the
// renderers draw exactly these shapes, and the UI finds the node under the
// mouse in the same lists, so what is drawn is what is clicked.
//
// Both take the server's tree answer and lay out its model (model/tree.js
// prepareTree): a shape's node is a model node, never the answer's own.
// Sizes are in CSS pixels. Siblings narrower than minPx (default 1 px) are
// not laid out one by one: each run of them becomes a single aggregate
// shape {agg: true, count, value}, and their descendants are skipped.

import { prepareTree } from './tree.js';

function aggShape(run, parent) {
  return Object.assign({ agg: true, node: null, parent, kids: [] }, run);
}

/**
 * Icicle: the root is one row, full width; each child sits under its
 * parent, width proportional to value. Returns
 *   {width, height, rowHeight, rows: [[rect, ...] per depth, sorted by x],
 *    rects: [all rects, preorder], root: rect}
 * with rect = {node, x, y, w, h, depth, parent, kids, agg?, count?, value?}.
 * h is rowHeight - 1: one pixel of gap between rows.
 */
export function layoutIcicle(tree, width, rowHeight = 20, opts = {}) {
  const minPx = opts.minPx ?? 1;
  const prep = prepareTree(tree);
  const rows = [];
  const rects = [];
  const empty = { width, height: 0, rowHeight, rows, rects, root: null };
  if (!prep.root || !(width > 0)) return empty;
  const rootNode = prep.root;
  const total = rootNode.value;
  const k = total > 0 ? width / total : 0;
  const h = Math.max(1, rowHeight - 1);
  const rootRect = { node: rootNode, x: 0, y: 0, w: width, h, depth: 0, parent: null, kids: [] };
  const stack = [rootRect];
  while (stack.length) {
    const r = stack.pop();
    rects.push(r);
    (rows[r.depth] || (rows[r.depth] = [])).push(r);
    if (r.agg) continue;
    const ch = r.node.children;
    if (!ch || ch.length === 0) continue;
    const d = r.depth + 1;
    const y = d * rowHeight;
    const limit = r.x + r.w;
    let x = r.x;
    let run = null;
    const kids = r.kids;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i];
      let w = c.value * k;
      if (x + w > limit) w = Math.max(0, limit - x); // float drift: stay inside the parent
      if (w < minPx) {
        if (!run) run = { x, y, w: 0, h, depth: d, count: 0, value: 0 };
        run.w += w;
        run.count++;
        run.value += c.value;
      } else {
        if (run) { kids.push(aggShape(run, r)); run = null; }
        kids.push({ node: c, x, y, w, h, depth: d, parent: r, kids: [] });
      }
      x += w;
    }
    if (run) kids.push(aggShape(run, r));
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  // Rows come out of the preorder walk already sorted by x.
  return { width, height: rows.length * rowHeight, rowHeight, rows, rects, root: rootRect };
}

/** Binary search: the last shape in list whose start (key) is <= v. */
function lastAtOrBefore(list, key, v) {
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][key] <= v) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/** The rect under (x, y) in CSS pixels of the chart, or null. */
export function hitIcicle(layout, x, y) {
  if (!layout || !layout.rows.length || y < 0 || x < 0) return null;
  const d = Math.floor(y / layout.rowHeight);
  const row = layout.rows[d];
  if (!row) return null;
  if (y - d * layout.rowHeight > row[0].h) return null; // the gap between rows
  const i = lastAtOrBefore(row, 'x', x);
  if (i < 0) return null;
  const r = row[i];
  // Slivers are at least half a pixel wide to the mouse.
  return x < r.x + Math.max(r.w, 0.5) ? r : null;
}

/**
 * Sunburst: the root is a disc in the centre; depth d is a ring, angle
 * proportional to value, starting at the top and going clockwise (canvas
 * angles: y points down). Returns
 *   {radius, centerR, ring, rings: [[arc, ...] per depth, sorted by a0],
 *    arcs: [all, preorder], root: arc}
 * with arc = {node, depth, r0, r1, a0, a1, parent, kids, agg?, count?, value?}
 * and a0 in [-pi/2, 3pi/2). Coordinates are relative to the centre.
 */
export function layoutSunburst(tree, radius, opts = {}) {
  const minPx = opts.minPx ?? 1;
  const prep = prepareTree(tree);
  const rings = [];
  const arcs = [];
  if (!prep.root || !(radius > 0)) return { radius, centerR: 0, ring: 0, rings, arcs, root: null };
  const levels = Math.max(1, prep.maxDepth);
  // The centre disc is wider than a ring: it carries the root's name and value.
  const ring = radius / (levels + 2.2);
  const centerR = ring * 2.2;
  const rootNode = prep.root;
  const total = rootNode.value;
  const k = total > 0 ? (2 * Math.PI) / total : 0;
  const start = -Math.PI / 2;
  const rootArc = { node: rootNode, depth: 0, r0: 0, r1: centerR, a0: start, a1: start + 2 * Math.PI, parent: null, kids: [] };
  const stack = [rootArc];
  while (stack.length) {
    const a = stack.pop();
    arcs.push(a);
    (rings[a.depth] || (rings[a.depth] = [])).push(a);
    if (a.agg) continue;
    const ch = a.node.children;
    if (!ch || ch.length === 0) continue;
    const d = a.depth + 1;
    const r0 = centerR + (d - 1) * ring;
    const r1 = r0 + ring - 1;
    const limit = a.a1;
    let ang = a.a0;
    let run = null;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i];
      let da = c.value * k;
      if (ang + da > limit) da = Math.max(0, limit - ang);
      if (da * r1 < minPx) {
        if (!run) run = { a0: ang, a1: ang, r0, r1, depth: d, count: 0, value: 0 };
        run.a1 += da;
        run.count++;
        run.value += c.value;
      } else {
        if (run) { a.kids.push(aggShape(run, a)); run = null; }
        a.kids.push({ node: c, depth: d, r0, r1, a0: ang, a1: ang + da, parent: a, kids: [] });
      }
      ang += da;
    }
    if (run) a.kids.push(aggShape(run, a));
    for (let i = a.kids.length - 1; i >= 0; i--) stack.push(a.kids[i]);
  }
  return { radius, centerR, ring, rings, arcs, root: rootArc };
}

/** The arc under (x, y), relative to the centre, or null. */
export function hitSunburst(layout, x, y) {
  if (!layout || !layout.root) return null;
  const r = Math.hypot(x, y);
  if (r <= layout.centerR) return layout.root;
  const d = Math.floor((r - layout.centerR) / layout.ring) + 1;
  const ring = layout.rings[d];
  if (!ring) return null;
  let ang = Math.atan2(y, x);
  if (ang < -Math.PI / 2) ang += 2 * Math.PI;
  const i = lastAtOrBefore(ring, 'a0', ang);
  if (i < 0) return null;
  const a = ring[i];
  if (r > a.r1) return null;
  const slack = 0.5 / Math.max(1, r); // half a pixel for slivers
  return ang <= a.a1 + (a.a1 - a.a0 < slack ? slack : 0) ? a : null;
}

/** A point well inside a shape, for tooltips, tests and keyboard focus. */
export function shapeCenter(shape) {
  if ('x' in shape) return { x: shape.x + shape.w / 2, y: shape.y + shape.h / 2 };
  if (shape.depth === 0) return { x: 0, y: 0 };
  const a = (shape.a0 + shape.a1) / 2;
  const r = (shape.r0 + shape.r1) / 2;
  return { x: Math.cos(a) * r, y: Math.sin(a) * r };
}

/**
 * Keyboard moves over a layout's shapes: 'left'/'right' go to the previous
 * or next sibling, 'up' to the parent, 'down' to the first child. Aggregates
 * are skipped. Returns the new shape, or the same one when there is none.
 */
export function moveFocus(shape, dir) {
  if (!shape) return shape;
  const real = (s) => s && !s.agg;
  if (dir === 'up') return shape.parent || shape;
  if (dir === 'down') return shape.kids.find(real) || shape;
  const sibs = shape.parent ? shape.parent.kids : [shape];
  const i = sibs.indexOf(shape);
  if (dir === 'left') {
    for (let j = i - 1; j >= 0; j--) if (real(sibs[j])) return sibs[j];
  } else if (dir === 'right') {
    for (let j = i + 1; j < sibs.length; j++) if (real(sibs[j])) return sibs[j];
  }
  return shape;
}
