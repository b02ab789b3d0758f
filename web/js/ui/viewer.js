// The viewer page (/p/<id>): owns the one view state, keeps it in the URL
// (history.pushState for zoom steps, so back and forward walk the zoom
// history), and hands each part of it to the component that shows it:
// chart (icicle, sunburst), table, details panel, header controls.

import { fetchProfile, fetchTree, fetchFunction, fetchFunctions } from '../api.js';
import { stateFromUrl, urlFromState, treeKey, treeQuery, withChanges } from '../state.js';
import { prepareTree, pathFromRoot, isFunctionNode } from '../model/tree.js';
import { escapeEre } from '../model/search.js';
import { displayText, truncate } from '../model/format.js';
import { Chart } from './chart.js';
import { Table } from './table.js';
import { Details } from './details.js';
import { Controls } from './controls.js';
import { h, $, delayedShow } from './dom.js';

const SPINNER_DELAY_MS = 150;
const TREE_CACHE = 24;
const ID_RE = /^\/p\/([0-9a-f]{32})\/?$/;

const m = ID_RE.exec(window.location.pathname);
const profileId = m ? m[1] : null;

let state = stateFromUrl(window.location.search).state;
let lastChartView = state.view === 'table' ? 'icicle' : state.view;
let currentTree = null;
let drawnKey = null;
let searchStats = { count: 0, value: 0, first: null, firstBelow: null };
let treeSeq = 0;
let treeAbort = null;
let pendingRequests = 0;
let hideSpinner = null;
const treeCache = new Map();
let earlyTree = null; // {key, promise}: the first tree, requested with the profile
const fnRows = new Map();
const fnWanted = new Set();

/* ---------- requests and the spinner ---------- */

/** Counts a request in flight; the spinner shows when one takes over 150 ms. */
function track(promise) {
  pendingRequests++;
  if (pendingRequests === 1) hideSpinner = delayedShow($('#spinner'), SPINNER_DELAY_MS);
  return promise.finally(() => {
    pendingRequests--;
    if (pendingRequests === 0 && hideSpinner) { hideSpinner(); hideSpinner = null; }
  });
}

/* ---------- notices and fatal errors ---------- */

function notice(text, kind = 'info') {
  const box = $('#notices');
  for (const n of box.children) if (n.dataset.text === text) return;
  const el = h('div', { className: 'notice ' + kind, dataset: { text } },
    h('span', { text }),
    h('button', { type: 'button', className: 'notice-x', title: 'Dismiss', text: '×', onclick: () => el.remove() }));
  box.append(el);
  if (box.children.length > 4) box.firstElementChild.remove();
  // Hints go away by themselves; warnings and errors wait to be dismissed.
  if (kind === 'info') setTimeout(() => el.remove(), 8000);
}

function fatal(title, text) {
  document.body.classList.add('is-fatal');
  $('#viewer').hidden = true;
  $('#fatal').hidden = false;
  $('#fatal-title').textContent = title;
  $('#fatal-text').textContent = text;
  document.title = title + ' · pstatsviz';
}

/* ---------- components ---------- */

const controls = new Controls({
  change,
  searchEnter: () => focusFirstMatch(),
  crumb: (i) => goCrumb(i),
});

const chart = new Chart({
  wrap: $('#chart-wrap'),
  canvas: $('#chart'),
  overlay: $('#overlay'),
  tooltip: $('#tooltip'),
  empty: $('#chart-empty'),
}, {
  onActivate: activate,
  functionRow: (fid) => fnRows.get(fid) || null,
  wantFunction,
});

const table = new Table(profileId, {
  head: $('#table-head'),
  scroll: $('#table-scroll'),
  spacer: $('#table-spacer'),
  rows: $('#table-rows'),
  foot: $('#table-foot'),
}, {
  onRow: (fid) => change({ view: lastChartView, root: fid, path: [], sel: fid }, { push: true }),
  onSort: (sort, order) => change({ sort, order }, { push: false }),
  onError: (e) => notice('The function table could not be loaded: ' + e.message, 'error'),
  track,
});

const details = new Details($('#details'), profileId, {
  onFocusFunction: (fid) => change({ view: state.view === 'table' ? lastChartView : state.view, root: fid, path: [], sel: fid }, { push: true }),
  onEntry: (fid) => change({ view: state.view === 'table' ? lastChartView : state.view, root: null, path: [fid], sel: fid }, { push: true }),
  onFunctionRow: rememberFunction,
  track,
});

function rememberFunction(row) {
  if (!row || typeof row.fid !== 'number') return;
  fnRows.set(row.fid, row);
  if (fnRows.size > 5000) fnRows.delete(fnRows.keys().next().value);
  chart.functionArrived(row.fid);
}

/** The tooltip wants a function's own totals (nc/cc): fetch once, on hover. */
function wantFunction(fid) {
  if (fnWanted.has(fid) || fnRows.has(fid)) return;
  fnWanted.add(fid);
  fetchFunction(profileId, fid).then((res) => {
    if (res.ok && res.data.function) rememberFunction(res.data.function);
    else fnWanted.delete(fid);
  });
}

/* ---------- the view state ---------- */

/** Changes the view state; push adds a history entry (zoom steps, views). */
function change(changes, { push = false } = {}) {
  const prev = state;
  const next = withChanges(state, changes);
  if (next.root !== null && next.root !== undefined) next.path = [];
  state = next;
  const url = urlFromState(next, window.location.pathname);
  if (url !== window.location.pathname + window.location.search) {
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }
  apply(prev, next);
}

window.addEventListener('popstate', () => {
  const prev = state;
  const parsed = stateFromUrl(window.location.search);
  parsed.notices.forEach((n) => notice(n));
  state = parsed.state;
  apply(prev, state);
});

function apply(prev, st) {
  controls.update(st);
  const isChart = st.view !== 'table';
  if (isChart) lastChartView = st.view;
  $('#chart-pane').hidden = !isChart;
  $('#table-pane').hidden = isChart;
  table.setQuery({ sort: st.sort, order: st.order, q: st.q });
  table.setActive(!isChart);
  if (isChart) {
    chart.setView(st.view);
    chart.schedule();
  } else {
    chart.hideTooltip();
  }
  const treeChanged = !prev || treeKey(prev) !== treeKey(st);
  if (treeChanged) loadTree(st);
  chart.setSelected(st.sel);
  table.setSelected(st.sel);
  details.show(st.sel);
  if (!treeChanged && (!prev || prev.q !== st.q)) {
    searchStats = chart.setSearch(st.q);
  }
  controls.setSearchInfo(st, searchStats, currentTree ? currentTree.total_time : 0);
}

/* ---------- the tree ---------- */

async function loadTree(st) {
  const key = treeKey(st);
  const seq = ++treeSeq;
  let data = treeCache.get(key);
  if (data) {
    treeCache.delete(key); // most recently used goes last
    treeCache.set(key, data);
  } else {
    if (treeAbort) treeAbort.abort();
    const ac = new AbortController();
    treeAbort = ac;
    $('#chart-wrap').classList.add('stale');
    const early = earlyTree && earlyTree.key === key ? earlyTree.promise : null;
    earlyTree = null;
    const res = await (early || track(fetchTree(profileId, treeQuery(st), { signal: ac.signal })));
    if (seq !== treeSeq) return;
    $('#chart-wrap').classList.remove('stale');
    if (!res.ok) {
      treeError(res.error, st);
      return;
    }
    data = res.data;
    prepareTree(data);
    treeCache.set(key, data);
    if (treeCache.size > TREE_CACHE) treeCache.delete(treeCache.keys().next().value);
  }
  currentTree = data;
  drawnKey = key;
  chart.setTree(data);
  controls.setCrumbs(data.breadcrumbs, st.root !== null);
  searchStats = chart.setSearch(state.q);
  controls.setSearchInfo(state, searchStats, data.total_time);
  treeLoads++;
}

function treeError(err, st) {
  if (err.code === 'aborted') return;
  const linked = st.root !== null || st.path.length > 0;
  if ((err.status === 400 || err.status === 404) && linked) {
    notice(`This view does not exist in this profile (${truncate(err.message, 200)}); showing the top instead.`, 'warn');
    change({ root: null, path: [] }, { push: false });
    return;
  }
  if (err.status === 400) {
    notice('The server refused these settings: ' + truncate(err.message, 300), 'error');
    return;
  }
  notice('The call tree could not be loaded: ' + truncate(err.message, 300), 'error');
}

/* ---------- zooming ---------- */

/** Click or Enter on a chart shape. */
function activate(shape) {
  if (!shape || shape.agg) return;
  const n = shape.node;
  if (n.other) {
    notice(`“other” merges ${n.count} functions below the cutoff: lower the cutoff to see them.`);
    return;
  }
  if (shape.depth === 0) {
    if (state.view === 'sunburst') up();
    else if (isFunctionNode(n)) change({ sel: n.fid }, { push: false });
    return;
  }
  if (n.recursive) {
    // Already expanded on the path above: select it, there is nothing below.
    change({ sel: n.fid }, { push: false });
    return;
  }
  drillTo(n);
}

function drillTo(n) {
  if (!isFunctionNode(n)) return;
  if (state.root !== null) change({ root: n.fid, sel: n.fid }, { push: true });
  else change({ path: state.path.concat(pathFromRoot(n)), sel: n.fid }, { push: true });
}

function up() {
  if (state.root !== null) change({ root: null, path: [] }, { push: true });
  else if (state.path.length) change({ path: state.path.slice(0, -1) }, { push: true });
}

function goCrumb(i) {
  if (state.root !== null) {
    const crumbs = currentTree ? currentTree.breadcrumbs || [] : [];
    const c = crumbs[i];
    if (i === 0 || !c || c.fid === null) change({ root: null, path: [] }, { push: true });
    else change({ root: c.fid }, { push: true });
    return;
  }
  change({ path: state.path.slice(0, i) }, { push: true });
}

/** Enter in the search box: zoom to the first match in view, else the biggest match anywhere. */
async function focusFirstMatch() {
  if (!state.q.trim()) return;
  if (state.view !== 'table' && searchStats.firstBelow) {
    drillTo(searchStats.firstBelow);
    return;
  }
  let res = await track(fetchFunctions(profileId, { q: state.q, sort: 'cumtime', limit: 1 }));
  if (!res.ok && res.error.status === 400) res = await track(fetchFunctions(profileId, { q: escapeEre(state.q), sort: 'cumtime', limit: 1 }));
  if (res.ok && res.data.rows && res.data.rows.length) {
    const f = res.data.rows[0];
    rememberFunction(f);
    change({ view: lastChartView, root: f.fid, path: [], sel: f.fid }, { push: true });
  } else if (res.ok) {
    notice(`No function matches “${truncate(displayText(state.q), 80)}”.`);
  }
}

/* ---------- keyboard ---------- */

const ARROWS = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !profileId) return;
  const t = e.target;
  const typing = t instanceof HTMLElement && (t.matches('input, textarea, select') || t.isContentEditable);
  if (e.key === '/' && !typing) {
    e.preventDefault();
    controls.focusSearch();
    return;
  }
  if (typing || state.view === 'table') return;
  const onButton = t instanceof HTMLElement && t.matches('button, a');
  if (ARROWS[e.key]) {
    e.preventDefault();
    chart.move(ARROWS[e.key]);
  } else if (e.key === 'Enter' && !onButton) {
    const f = chart.focused();
    if (f) { e.preventDefault(); activate(f); }
  } else if (e.key === 'Backspace' || e.key === 'Escape') {
    e.preventDefault();
    up();
  }
});

/* ---------- the test and benchmark hook (read-only) ---------- */

let firstDrawAt = null;
let treeLoads = 0;
const hook = Object.freeze({
  /** performance.now() when the first complete chart was drawn. */
  get firstDraw() { return firstDrawAt; },
  get treeLoads() { return treeLoads; },
  /** Shapes of the chart in view, in viewport coordinates: [{name, fid, x, y, w, h, ...}]. */
  nodes: () => chart.nodes(),
  state: () => JSON.parse(JSON.stringify(state)),
  frames: () => chart.frames.slice(),
  drawCount: () => chart.drawCount,
  /** True when the view matches the URL: no request in flight, the chart drawn. */
  idle: () => pendingRequests === 0 && !chart.pending && drawnKey === treeKey(state) && (state.view === 'table' || chart.layout !== null),
});
Object.defineProperty(window, '__pstatsviz', { value: hook, writable: false });
chart.onDrawn = () => {
  if (firstDrawAt === null && currentTree) firstDrawAt = performance.now();
};

/* ---------- start ---------- */

async function main() {
  if (!profileId) {
    fatal('Not a profile link', 'A profile link looks like /p/ followed by 32 hexadecimal digits.');
    return;
  }
  const parsed = stateFromUrl(window.location.search);
  parsed.notices.forEach((n) => notice(n, 'warn'));
  state = parsed.state;
  history.replaceState(null, '', urlFromState(state, window.location.pathname));
  controls.update(state);
  // Ask for the first tree together with the profile: one round trip less
  // before the first chart.
  earlyTree = { key: treeKey(state), promise: track(fetchTree(profileId, treeQuery(state))) };
  const meta = await track(fetchProfile(profileId));
  if (!meta.ok) {
    if (meta.error.status === 404) fatal('This profile does not exist or was deleted', 'Check the link, or upload the stats file again: the same file gets the same link.');
    else fatal('The profile could not be loaded', meta.error.message);
    return;
  }
  controls.setProfile(meta.data);
  details.setProfile(meta.data);
  for (const w of meta.data.warnings || []) notice('This file loaded with a warning: ' + truncate(displayText(w), 300), 'warn');
  apply(null, state);
}

main();
