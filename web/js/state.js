// The view state: everything a link must carry to show the same view.
// Pure (no DOM): stateFromUrl() reads a query string, urlFromState() writes
// one, and the two round-trip. Format version 1:
//
//   key     value                          default
//   v       1                              1
//   view    icicle | sunburst | table      icicle
//   path    fid,fid,...  (drill path)       empty: the top
//   root    fid  (one function, all paths) none; wins over path
//   depth   1..TREE_LIMITS.maxDepth        TREE_LIMITS.defaultDepth
//   cutoff  0..1                           TREE_LIMITS.defaultCutoff
//   hide    builtins,stdlib,site-packages  none
//   sel     fid  (details panel)           none
//   q       search text                    empty
//   sort    a /functions sort key          cumtime   (table)
//   order   asc | desc                     by sort key
//
// A value that does not parse falls back to its default, and a notice says
// so; nothing in a link can make the page fail.

export const VERSION = 1;

/**
 * The tree's defaults and limits. This object mirrors include/tree.h
 * (PV_TREE_*): the API does not report them yet, so the viewer keeps a copy,
 * here and nowhere else in web/; tests/web/limits.test.mjs fails when the
 * two differ. The viewer sends no max_nodes, so the server's default
 * applies; the node counts are here so that the copy is whole.
 */
export const TREE_LIMITS = Object.freeze({
  defaultDepth: 10,       // PV_TREE_DEFAULT_DEPTH: levels below the root
  maxDepth: 64,           // PV_TREE_MAX_DEPTH (the least is 1)
  defaultCutoff: 0.001,   // PV_TREE_DEFAULT_CUTOFF: a fraction of the root's value
  defaultMaxNodes: 20000, // PV_TREE_DEFAULT_MAX_NODES, the root included
  maxNodes: 100000,       // PV_TREE_MAX_NODES
});
// depth in a link: at most as many digits as the largest depth has.
const DEPTH_RE = new RegExp(`^\\d{1,${String(TREE_LIMITS.maxDepth).length}}$`);
export const VIEWS = ['icicle', 'sunburst', 'table'];
export const HIDE_KINDS = ['builtins', 'stdlib', 'site-packages'];
export const SORT_KEYS = ['cumtime', 'tottime', 'ncalls', 'pcalls', 'name', 'file', 'line', 'tt_percall', 'ct_percall'];
const ASC_DEFAULT = new Set(['name', 'file', 'line']);
const MAX_FID = 2 ** 31 - 1;
const MAX_PATH = 256;
const MAX_Q = 1000;

/** Whether d is a depth the server accepts: an integer from 1 to TREE_LIMITS.maxDepth. */
export function validDepth(d) {
  return Number.isInteger(d) && d >= 1 && d <= TREE_LIMITS.maxDepth;
}

export function defaultOrder(sort) {
  return ASC_DEFAULT.has(sort) ? 'asc' : 'desc';
}

export function defaultState() {
  return {
    view: 'icicle', path: [], root: null, depth: TREE_LIMITS.defaultDepth, cutoff: TREE_LIMITS.defaultCutoff,
    hide: [], sel: null, q: '', sort: 'cumtime', order: 'desc',
  };
}

function parseFid(s) {
  if (typeof s !== 'string' || !/^\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_FID ? n : null;
}

function clip(s, n = 40) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/**
 * Parses a query string ("?v=1&view=..." or a URLSearchParams) into
 * {state, notices}: notices are sentences for the user about values that
 * were ignored. Cannot fail.
 */
export function stateFromUrl(search) {
  const p = search instanceof URLSearchParams ? search : new URLSearchParams(search || '');
  const st = defaultState();
  const notices = [];
  const bad = (key, val, what) => notices.push(`Ignored ${key}=${clip(val)} in the link: ${what}.`);

  const v = p.get('v');
  if (v !== null && v !== String(VERSION)) {
    notices.push(`This link has format version ${clip(v, 10)}; this viewer reads version ${VERSION}, so some settings may be ignored.`);
  }

  const view = p.get('view');
  if (view !== null) {
    if (VIEWS.includes(view)) st.view = view;
    else bad('view', view, 'showing the icicle');
  }

  const root = p.get('root');
  const path = p.get('path');
  if (root !== null && root !== '') {
    const f = parseFid(root);
    if (f === null) bad('root', root, 'not a function id');
    else st.root = f;
    if (path) notices.push('The link has both root and path; the root was used.');
  } else if (path !== null && path !== '') {
    const parts = path.split(',');
    const fids = parts.map(parseFid);
    if (parts.length > MAX_PATH || fids.some((f) => f === null)) bad('path', path, 'showing the top');
    else st.path = fids;
  }

  const depth = p.get('depth');
  if (depth !== null) {
    const d = DEPTH_RE.test(depth) ? Number(depth) : NaN;
    if (validDepth(d)) st.depth = d;
    else bad('depth', depth, `depth is 1 to ${TREE_LIMITS.maxDepth}`);
  }

  const cutoff = p.get('cutoff');
  if (cutoff !== null) {
    const c = /^[0-9.eE+-]{1,24}$/.test(cutoff) ? Number(cutoff) : NaN;
    if (c >= 0 && c <= 1) st.cutoff = c;
    else bad('cutoff', cutoff, 'cutoff is a fraction from 0 to 1');
  }

  const hide = p.get('hide');
  if (hide !== null && hide !== '') {
    for (const h of hide.split(',')) {
      if (HIDE_KINDS.includes(h)) { if (!st.hide.includes(h)) st.hide.push(h); }
      else bad('hide', h, 'only builtins, stdlib and site-packages can be hidden');
    }
    st.hide.sort((a, b) => HIDE_KINDS.indexOf(a) - HIDE_KINDS.indexOf(b));
  }

  const sel = p.get('sel');
  if (sel !== null && sel !== '') {
    const f = parseFid(sel);
    if (f === null) bad('sel', sel, 'not a function id');
    else st.sel = f;
  }

  const q = p.get('q');
  if (q !== null) st.q = q.slice(0, MAX_Q);

  const sort = p.get('sort');
  if (sort !== null) {
    if (SORT_KEYS.includes(sort)) st.sort = sort;
    else bad('sort', sort, 'sorting by cumtime');
  }
  st.order = defaultOrder(st.sort);
  const order = p.get('order');
  if (order !== null) {
    if (order === 'asc' || order === 'desc') st.order = order;
    else bad('order', order, 'order is asc or desc');
  }
  return { state: st, notices };
}

function enc(s) {
  // Keep commas readable in paths and filter lists.
  return encodeURIComponent(s).replace(/%2C/gi, ',');
}

/**
 * The query string ("?v=1&view=...") for a state: always v, view, depth and
 * cutoff, so a link shows the same view even if defaults change; the rest
 * only when set. pathname, when given, is put in front.
 */
export function urlFromState(st, pathname = '') {
  const parts = ['v=' + VERSION, 'view=' + enc(st.view)];
  if (st.root !== null && st.root !== undefined) parts.push('root=' + st.root);
  else if (st.path && st.path.length) parts.push('path=' + st.path.join(','));
  parts.push('depth=' + st.depth);
  parts.push('cutoff=' + st.cutoff);
  if (st.hide && st.hide.length) parts.push('hide=' + enc(st.hide.join(',')));
  if (st.sel !== null && st.sel !== undefined) parts.push('sel=' + st.sel);
  if (st.q) parts.push('q=' + enc(st.q));
  if (st.sort && st.sort !== 'cumtime') parts.push('sort=' + enc(st.sort));
  if (st.order && st.order !== defaultOrder(st.sort)) parts.push('order=' + st.order);
  return pathname + '?' + parts.join('&');
}

/** The parameters of the tree request that this state needs (for fetchTree). */
export function treeQuery(st) {
  return {
    path: st.root === null ? st.path : null,
    root: st.root,
    depth: st.depth,
    cutoff: st.cutoff,
    hide: st.hide,
  };
}

/** A string that is equal for two states exactly when they need the same tree. */
export function treeKey(st) {
  const q = treeQuery(st);
  return [q.root === null ? 'p' + (q.path || []).join(',') : 'r' + q.root, q.depth, q.cutoff, q.hide.join(',')].join('|');
}

/** A copy with some fields changed; arrays are copied, never shared. */
export function withChanges(st, changes) {
  const out = Object.assign({}, st, changes);
  out.path = (changes.path || st.path || []).slice();
  out.hide = (changes.hide || st.hide || []).slice();
  return out;
}
