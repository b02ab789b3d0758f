// The compare page's model: its state in the URL, the colour class of a
// change, and the geometry of the differential icicle and sunburst. Pure:
// no DOM. Reads the /api/diff/tree answer and never writes to it: the
// layouts hold their own shapes, which point at the answer's nodes.
//
// One time scale for both runs. A shape's size is the mean of its two
// values, (A + B) / 2, on the same scale for every node. The mean nests:
// each run's children add up to at most its parent, so their means do too,
// and a child never spills out of its parent. max(A, B) does not nest (a
// call moved from one child to its sibling counts twice), so it would have
// to be clipped, and clipped widths no longer compare. A function that got
// faster is narrower than one of equal A that did not, and the colour and
// the tooltip give both values exactly.

const ID = /^[0-9a-f]{32}$/;
export const PATH_RE = /^\/diff\/([0-9a-f]{32})\/([0-9a-f]{32})\/?$/;

export const VIEWS = ['icicle', 'sunburst'];
export const HIDE_KINDS = ['builtins', 'stdlib', 'site-packages'];
export const SORTS = ['delta', 'ratio', 'calls', 'tdelta', 'cumtime', 'tottime', 'name', 'file'];
export const CUTOFFS = [0, 0.0001, 0.001, 0.005, 0.01, 0.05];

// depth: null is the server's default (auto: as deep as the cutoff and
// max_nodes allow, docs/API.md), left out of the request and the link, as
// in the viewer; 'auto' from a link is kept and sent; else a number of
// levels within the server's range. The range is the tree answer's
// ("limits", state.js's limitsFrom()); DEPTH_START stands for it until the
// first answer comes, and for a link read before any answer.
export const DEPTH_AUTO = 'auto';
export const DEPTH_START = Object.freeze({ min: 1, max: 64, default: DEPTH_AUTO });

// cutoff: null is the server's default (the tree answer's
// limits.cutoff.default, shown from its params), left out of the request
// and the link, as in the viewer; a link's cutoff is one of CUTOFFS, the
// select's choices.
export const DEFAULTS = Object.freeze({
  view: 'icicle', side: 'a', path: Object.freeze([]), q: '', hide: Object.freeze([]),
  cutoff: null, depth: null, noise: 5, floor: 0.1, sort: 'delta', order: 'desc',
});

function num(s, lo, hi, dflt) {
  if (s === null || s === '' || !/^[0-9]*\.?[0-9]+$/.test(s)) return dflt;
  const v = Number(s);
  return v >= lo && v <= hi ? v : dflt;
}

/**
 * A depth as the page's field or a link gives it: null for empty (the
 * server's default), 'auto', or a whole number of levels from bounds.min
 * to bounds.max (the answer's limits.depth, else DEPTH_START); undefined
 * when it is none of these.
 */
export function parseDepth(text, bounds = DEPTH_START) {
  const t = String(text ?? '').trim();
  if (t === '') return null;
  if (t === DEPTH_AUTO) return DEPTH_AUTO;
  if (!/^[0-9]{1,9}$/.test(t)) return undefined;
  const d = Number(t);
  return d >= bounds.min && d <= bounds.max ? d : undefined;
}

/** {a, b} from /diff/<a>/<b>, or null when the path is not one. */
export function idsFromPath(pathname) {
  const m = PATH_RE.exec(pathname);
  return m ? { a: m[1], b: m[2] } : null;
}

/** The page's state from a location's search string; every field checked. */
export function diffStateFromSearch(search) {
  const p = new URLSearchParams(search);
  const list = (k, allowed) => (p.get(k) || '').split(',').filter((x) => allowed.includes(x));
  const path = (p.get('path') || '').split(',').filter((x) => /^[0-9]{1,9}$/.test(x)).map(Number);
  const order = p.get('order');
  return {
    view: VIEWS.includes(p.get('view')) ? p.get('view') : DEFAULTS.view,
    side: p.get('side') === 'b' ? 'b' : 'a',
    path,
    q: (p.get('q') || '').slice(0, 1000),
    hide: [...new Set(list('hide', HIDE_KINDS))],
    cutoff: CUTOFFS.includes(num(p.get('cutoff'), 0, 1, -1)) ? Number(p.get('cutoff')) : DEFAULTS.cutoff,
    depth: parseDepth(p.get('depth')) ?? DEFAULTS.depth,
    noise: num(p.get('noise'), 0, 1000, DEFAULTS.noise),
    floor: num(p.get('floor'), 0, 100, DEFAULTS.floor),
    sort: SORTS.includes(p.get('sort')) ? p.get('sort') : DEFAULTS.sort,
    order: order === 'asc' || order === 'desc' ? order : (p.get('sort') === 'name' || p.get('sort') === 'file' ? 'asc' : 'desc'),
  };
}

/** The search string for a state: only what differs from the defaults. */
export function searchFromDiffState(s) {
  const p = new URLSearchParams();
  if (s.view !== DEFAULTS.view) p.set('view', s.view);
  if (s.path.length) {
    p.set('path', s.path.join(','));
    if (s.side === 'b') p.set('side', 'b');
  }
  if (s.q) p.set('q', s.q);
  if (s.hide.length) p.set('hide', s.hide.join(','));
  if (s.cutoff !== null && s.cutoff !== undefined) p.set('cutoff', String(s.cutoff));
  if (s.depth !== null && s.depth !== undefined) p.set('depth', String(s.depth));
  if (s.noise !== DEFAULTS.noise) p.set('noise', String(s.noise));
  if (s.floor !== DEFAULTS.floor) p.set('floor', String(s.floor));
  if (s.sort !== DEFAULTS.sort) p.set('sort', s.sort);
  const defOrder = s.sort === 'name' || s.sort === 'file' ? 'asc' : 'desc';
  if (s.order !== defOrder) p.set('order', s.order);
  const str = p.toString().replace(/%2C/g, ',');
  return str ? '?' + str : '';
}

/**
 * The page for B against A with the same options. The path stays on the
 * same run: what was run A is run B now, so its fids go with side=b.
 */
export function swappedUrl(ids, s) {
  const t = Object.assign({}, s, { side: s.side === 'a' ? 'b' : 'a' });
  return `/diff/${ids.b}/${ids.a}` + searchFromDiffState(t);
}

/** Whether a string is a profile id; a link to a viewer page gives its id. */
export function idFromText(text) {
  const t = String(text || '').trim();
  if (ID.test(t)) return t;
  const m = /\/p\/([0-9a-f]{32})(?:[/?#]|$)/.exec(t);
  return m ? m[1] : null;
}

/**
 * 'faster', 'slower' or 'neutral' for a change from a to b seconds: neutral
 * when it is within noisePct percent of the larger value, or within
 * floorPct percent of the larger run's total (the noise a timer makes on
 * small functions). A function one run lacks is the whole of its value.
 */
export function changeClass(a, b, total, noisePct, floorPct) {
  const d = b - a;
  const big = Math.max(Math.abs(a), Math.abs(b));
  if (!(Math.abs(d) > 0)) return 'neutral';
  if (Math.abs(d) <= (noisePct / 100) * big) return 'neutral';
  if (Math.abs(d) <= (floorPct / 100) * total) return 'neutral';
  return d < 0 ? 'faster' : 'slower';
}

/**
 * How strong the colour is, 1 to 3, from the relative change: up to 25%,
 * up to 60%, more (or one run only).
 */
export function changeStrength(a, b) {
  const big = Math.max(Math.abs(a), Math.abs(b));
  const r = big > 0 ? Math.abs(b - a) / big : 0;
  return r <= 0.25 ? 1 : r <= 0.6 ? 2 : 3;
}

/** The size a node is drawn at: the mean of its two values (see the top). */
export function meanValue(node) {
  const a = Number.isFinite(node.value_a) ? node.value_a : 0;
  const b = Number.isFinite(node.value_b) ? node.value_b : 0;
  return (a + b) / 2;
}

/** A node's label: its pstats label, or its name. */
export function nodeLabel(node) {
  if (node.other) return `other (${(node.count_a ?? 0) + '/' + (node.count_b ?? 0)} functions)`;
  return typeof node.label === 'string' && node.label ? node.label : String(node.name ?? '');
}

/**
 * Icicle shapes for a diff tree answer's root, width cssW: {rects, rowHeight,
 * height} with rect = {node, x, y, w, h, depth, parent}. Children narrower
 * than minPx are left out (their time stays in the parent's width).
 */
export function layoutDiffIcicle(root, width, rowHeight = 20, minPx = 0.5) {
  const rects = [];
  if (!root || !(width > 0)) return { rects, rowHeight, height: 0 };
  const total = meanValue(root);
  const k = total > 0 ? width / total : 0;
  let depthMax = 0;
  const stack = [{ node: root, x: 0, y: 0, w: width, h: rowHeight - 1, depth: 0, parent: null }];
  while (stack.length) {
    const r = stack.pop();
    rects.push(r);
    depthMax = Math.max(depthMax, r.depth);
    let x = r.x;
    const kids = Array.isArray(r.node.children) ? r.node.children : [];
    const next = [];
    for (const c of kids) {
      let w = meanValue(c) * k;
      if (x + w > r.x + r.w) w = Math.max(0, r.x + r.w - x);
      if (w >= minPx) next.push({ node: c, x, y: (r.depth + 1) * rowHeight, w, h: rowHeight - 1, depth: r.depth + 1, parent: r });
      x += w;
    }
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
  }
  return { rects, rowHeight, height: (depthMax + 1) * rowHeight };
}

/** The rect under (x, y), or null. */
export function hitDiffIcicle(layout, x, y) {
  const depth = Math.floor(y / layout.rowHeight);
  for (const r of layout.rects) if (r.depth === depth && x >= r.x && x < r.x + r.w && y - r.y < r.h) return r;
  return null;
}

/**
 * Sunburst arcs: the root a disc of radius ring, each level a ring of the
 * same width; angles are mean values on one scale. arc = {node, a0, a1,
 * r0, r1, depth, parent}.
 */
export function layoutDiffSunburst(root, radius, depthLimit = 8, minRad = 0.004) {
  const arcs = [];
  if (!root || !(radius > 0)) return { arcs, ring: 0 };
  let maxDepth = 0;
  (function walk(n, d) { maxDepth = Math.max(maxDepth, d); if (d < depthLimit) for (const c of n.children || []) walk(c, d + 1); })(root, 0);
  const ring = radius / (maxDepth + 1);
  const total = meanValue(root);
  const k = total > 0 ? (2 * Math.PI) / total : 0;
  const stack = [{ node: root, a0: 0, a1: 2 * Math.PI, r0: 0, r1: ring, depth: 0, parent: null }];
  while (stack.length) {
    const s = stack.pop();
    arcs.push(s);
    if (s.depth >= depthLimit) continue;
    let a = s.a0;
    for (const c of s.node.children || []) {
      let span = meanValue(c) * k;
      if (a + span > s.a1) span = Math.max(0, s.a1 - a);
      if (span >= minRad) stack.push({ node: c, a0: a, a1: a + span, r0: s.r1, r1: s.r1 + ring, depth: s.depth + 1, parent: s });
      a += span;
    }
  }
  return { arcs, ring };
}

/** The arc under (x, y) from the centre, or null. */
export function hitDiffSunburst(layout, x, y) {
  const r = Math.hypot(x, y);
  let a = Math.atan2(y, x);
  if (a < 0) a += 2 * Math.PI;
  for (const s of layout.arcs) if (r >= s.r0 && r < s.r1 && (s.depth === 0 || (a >= s.a0 && a < s.a1))) return s;
  return null;
}

/**
 * The path query that drills into node: its run's fids from the tree's
 * root down, on side a while every node has an A fid, else side b.
 */
export function drillPath(shape, breadcrumbs) {
  const chain = [];
  for (let s = shape; s && s.parent; s = s.parent) chain.unshift(s.node);
  const crumbs = (breadcrumbs || []).slice(1);
  const nodes = [...crumbs, ...chain];
  if (nodes.every((n) => Number.isInteger(n.fid))) return { side: 'a', path: nodes.map((n) => n.fid) };
  if (nodes.every((n) => Number.isInteger(n.fid_b))) return { side: 'b', path: nodes.map((n) => n.fid_b) };
  return null;
}
