// The view state: everything a link must carry to show the same view.
// Pure (no DOM): stateFromUrl() reads a query string, urlFromState() writes
// one, and the two round-trip. Format version 1:
//
//   key     value                          default
//   v       1                              1
//   view    icicle | sunburst | table      icicle
//   path    fid,fid,...  (drill path)       empty: the top
//   root    fid  (one function, all paths) none; wins over path
//   invert  1  (with root: its callers)     none: its callees
//   depth   a whole number, or auto        none: the server's default
//   cutoff  a number                       none: the server's default
//   hide    builtins,stdlib,site-packages  none
//   sel     fid  (details panel)           none
//   q       search text                    empty
//   sort    a /functions sort key          cumtime   (table)
//   order   asc | desc                     by sort key
//   mem     a memory record's id           the first recording
//   range   t0,t1  (the Memory view's       none: the whole recording
//           zoom, seconds from the
//           recording's start)
//
// A value that does not parse falls back to its default, and a notice says
// so; nothing in a link can make the page fail.
//
// The memory page (/m/<id>) keeps only range, the same way:
// memoryLinkFromUrl() and memoryUrl() (v=1 and range; no query at all for
// the whole recording).
//
// The tree's ranges and defaults (depth, cutoff) are the server's: every
// tree answer carries them ("params" and "limits", docs/API.md), and the
// viewer keeps no copy. depth and cutoff are null until the user chooses
// one; then they are sent, and written in links. A link's value is only
// checked for its form here; the server judges its range, and the viewer
// explains a refusal with the limits of an answer (outOfLimits()).

export const VERSION = 1;
// depth and cutoff in a link: a whole number (or the word auto: as deep as
// the cutoff allows), or a decimal number with an optional exponent, as the
// API's parameters accept them (docs/API.md).
export const DEPTH_AUTO = 'auto';
const DEPTH_RE = /^(?:\d{1,9}|auto)$/;
const CUTOFF_RE = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// 'memory': the memory-over-time chart of attached mprof data (issue 15).
export const VIEWS = ['icicle', 'sunburst', 'table', 'memory'];
export const HIDE_KINDS = ['builtins', 'stdlib', 'site-packages'];
export const SORT_KEYS = ['cumtime', 'tottime', 'ncalls', 'pcalls', 'name', 'file', 'line', 'tt_percall', 'ct_percall', 'mem_inc'];
// A memory record's id (mem=): 32 hex digits, like a profile's.
const MEM_ID_RE = /^[0-9a-f]{32}$/;
// range=t0,t1: plain decimals, as rangeOf() writes them. A microsecond is
// finer than any zoom (model/memory.js keeps a span of 1 ms or more), and
// relative times keep links short where unix times would take 17 digits.
const RANGE_RE = /^(\d{1,12}(?:\.\d{1,6})?),(\d{1,12}(?:\.\d{1,6})?)$/;
const RANGE_DIGITS = 6;
const ASC_DEFAULT = new Set(['name', 'file', 'line']);
const MAX_FID = 2 ** 31 - 1;
const MAX_PATH = 256;
const MAX_Q = 1000;

export function defaultOrder(sort) {
  return ASC_DEFAULT.has(sort) ? 'asc' : 'desc';
}

export function defaultState() {
  return {
    view: 'icicle', path: [], root: null, invert: false, depth: null, cutoff: null,
    hide: [], sel: null, q: '', sort: 'cumtime', order: 'desc', mem: null, range: null,
  };
}

/**
 * The Memory view's zoom as the state (and the link) keeps it: [t0, t1],
 * seconds from the recording's start, rounded to the microsecond. Whether
 * it lies within the recording is the Memory view's to judge (it knows
 * the recording); null when t1 does not come after t0 once rounded.
 */
export function rangeOf(t0, t1) {
  const round = (t) => Number(Math.max(0, t).toFixed(RANGE_DIGITS));
  const r = [round(t0), round(t1)];
  return r[1] > r[0] ? r : null;
}

function rangeText(t) {
  return t.toFixed(RANGE_DIGITS).replace(/\.?0+$/, '');
}

/** range=... of a link: {range: [t0, t1]} or {why: what is wrong with it}. */
function parseRange(text) {
  const m = RANGE_RE.exec(text);
  if (!m) return { why: 'a range is two times in seconds from the start, t0,t1: showing the whole recording' };
  if (!(Number(m[2]) > Number(m[1]))) return { why: 'the range ends before it starts: showing the whole recording' };
  return { range: [Number(m[1]), Number(m[2])] };
}

/** The link's text of a range: range=t0,t1. */
function rangeParam(r) {
  return 'range=' + rangeText(r[0]) + ',' + rangeText(r[1]);
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

  const invert = p.get('invert');
  if (invert !== null) {
    if (invert !== '1') bad('invert', invert, 'invert is 1 or left out');
    else if (st.root === null) bad('invert', invert, 'only a function (root) has callers to show');
    else st.invert = true;
  }

  const depth = p.get('depth');
  if (depth !== null) {
    if (DEPTH_RE.test(depth)) st.depth = depth === DEPTH_AUTO ? DEPTH_AUTO : Number(depth);
    else bad('depth', depth, 'depth is a whole number of levels, or auto');
  }

  const cutoff = p.get('cutoff');
  if (cutoff !== null) {
    const c = cutoff.length <= 24 && CUTOFF_RE.test(cutoff) ? Number(cutoff) : NaN;
    if (Number.isFinite(c)) st.cutoff = c;
    else bad('cutoff', cutoff, 'cutoff is a number, a share of the root');
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

  const mem = p.get('mem');
  if (mem !== null && mem !== '') {
    if (MEM_ID_RE.test(mem)) st.mem = mem;
    else bad('mem', mem, 'a memory record id is 32 hexadecimal digits');
  }

  const range = p.get('range');
  if (range !== null && range !== '') {
    const r = parseRange(range);
    if (r.range) st.range = r.range;
    else bad('range', range, r.why);
  }

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

function isSet(v) {
  return v !== null && v !== undefined;
}

/**
 * The query string ("?v=1&view=...") for a state: always v and view; the
 * rest only when set, so depth and cutoff only when the user chose them
 * (else the server's defaults apply). pathname, when given, is put in
 * front.
 */
export function urlFromState(st, pathname = '') {
  const parts = ['v=' + VERSION, 'view=' + enc(st.view)];
  if (isSet(st.root)) {
    parts.push('root=' + st.root);
    if (st.invert) parts.push('invert=1');
  } else if (st.path && st.path.length) parts.push('path=' + st.path.join(','));
  if (isSet(st.depth)) parts.push('depth=' + st.depth);
  if (isSet(st.cutoff)) parts.push('cutoff=' + st.cutoff);
  if (st.hide && st.hide.length) parts.push('hide=' + enc(st.hide.join(',')));
  if (st.sel !== null && st.sel !== undefined) parts.push('sel=' + st.sel);
  if (st.q) parts.push('q=' + enc(st.q));
  if (st.sort && st.sort !== 'cumtime') parts.push('sort=' + enc(st.sort));
  if (st.order && st.order !== defaultOrder(st.sort)) parts.push('order=' + st.order);
  if (st.mem) parts.push('mem=' + st.mem);
  if (st.range) parts.push(rangeParam(st.range));
  return pathname + '?' + parts.join('&');
}

/**
 * The memory page's link (/m/<id>): {range, notices}, range read as
 * stateFromUrl() reads it ([t0, t1] from the recording's start, or null),
 * with the same notices for a bad one. Other keys are not the page's and
 * are left alone. Cannot fail.
 */
export function memoryLinkFromUrl(search) {
  const p = search instanceof URLSearchParams ? search : new URLSearchParams(search || '');
  const notices = [];
  const v = p.get('v');
  if (v !== null && v !== String(VERSION)) {
    notices.push(`This link has format version ${clip(v, 10)}; this page reads version ${VERSION}, so its range may be ignored.`);
  }
  let range = null;
  const text = p.get('range');
  if (text !== null && text !== '') {
    const r = parseRange(text);
    if (r.range) range = r.range;
    else notices.push(`Ignored range=${clip(text)} in the link: ${r.why}.`);
  }
  return { range, notices };
}

/** The memory page's link for a range: pathname alone for the whole recording. */
export function memoryUrl(range, pathname = '') {
  return range ? pathname + '?v=' + VERSION + '&' + rangeParam(range) : pathname;
}

/**
 * The parameters of the tree request that this state needs (for fetchTree):
 * depth and cutoff are null (left out) unless the user chose them.
 */
export function treeQuery(st) {
  const invert = isInverted(st);
  return {
    path: st.root === null ? st.path : null,
    root: st.root,
    invert,
    depth: isSet(st.depth) ? st.depth : null,
    cutoff: isSet(st.cutoff) ? st.cutoff : null,
    // Callers are never folded (the API refuses hide with invert).
    hide: invert ? [] : st.hide,
  };
}

/** Whether the state shows a function's callers (root and invert). */
export function isInverted(st) {
  return isSet(st.root) && st.invert === true;
}

/** A string that is equal for two states exactly when they need the same tree. */
export function treeKey(st) {
  const q = treeQuery(st);
  const opt = (v) => (v === null ? '' : String(v));
  const where = q.root === null ? 'p' + (q.path || []).join(',') : (q.invert ? 'i' : 'r') + q.root;
  return [where, opt(q.depth), opt(q.cutoff), q.hide.join(',')].join('|');
}

/* ---------- the server's settings and limits, from a tree answer ---------- */

/** The tree settings a user may choose, as the API names them. */
export const SETTINGS = ['depth', 'cutoff'];

/** A setting's value as the server writes it: a number, or for depth "auto". */
function settingValue(k, v) {
  return Number.isFinite(v) || (k === 'depth' && v === DEPTH_AUTO);
}

function range(r, k) {
  const ok = r && typeof r === 'object' && Number.isFinite(r.min) && Number.isFinite(r.max) &&
    settingValue(k, r.default) && r.min <= r.max;
  return ok ? Object.freeze({ min: r.min, max: r.max, default: r.default }) : null;
}

/**
 * The server's ranges and defaults from a tree answer's "limits":
 * {depth: {min, max, default}, cutoff: {...}}, frozen; null when the answer
 * has none that make sense.
 */
export function limitsFrom(answer) {
  const l = answer && answer.limits;
  if (!l || typeof l !== 'object') return null;
  const out = {};
  for (const k of SETTINGS) {
    out[k] = range(l[k], k);
    if (!out[k]) return null;
  }
  return Object.freeze(out);
}

/**
 * The depth and cutoff to show for a state: the user's choice, else what
 * the answer on screen was built with (its "params"), else null (nothing
 * known yet).
 */
export function shownSettings(st, answer) {
  const params = (answer && answer.params) || {};
  const out = {};
  for (const k of SETTINGS) {
    if (isSet(st[k])) out[k] = st[k];
    else out[k] = settingValue(k, params[k]) ? params[k] : null;
  }
  return out;
}

/**
 * The settings a state sets outside the server's limits, [{key, value,
 * min, max}]: empty when every one set is within them, or when limits is
 * null (nothing is known against them).
 */
export function outOfLimits(st, limits) {
  const out = [];
  for (const k of SETTINGS) {
    const v = st[k];
    if (!isSet(v) || !limits || !limits[k] || (k === 'depth' && v === DEPTH_AUTO)) continue;
    const { min, max } = limits[k];
    if (!(v >= min && v <= max) || (k === 'depth' && !Number.isInteger(v))) out.push({ key: k, value: v, min, max });
  }
  return out;
}

/** A copy with some fields changed; arrays are copied, never shared. */
export function withChanges(st, changes) {
  const out = Object.assign({}, st, changes);
  out.path = (changes.path || st.path || []).slice();
  out.hide = (changes.hide || st.hide || []).slice();
  out.range = out.range ? out.range.slice() : null;
  return out;
}
