// The viewer page (/p/<id>): one Viewer owns everything the page knows (the
// view state, the tree on screen, the requests in flight), keeps the view
// state in the URL (history.pushState for zoom steps, so back and forward
// walk the zoom history), and hands each part of it to the component that
// shows it: chart (icicle, sunburst), table, details panel, header controls.
// The components report user actions back through callbacks; only the
// Viewer's methods change its fields.

import { fetchProfile, fetchTree, fetchFunction, fetchFunctions, fetchPath } from '../api.js';
import { stateFromUrl, urlFromState, treeKey, treeQuery, withChanges, limitsFrom, outOfLimits, isInverted } from '../state.js';
import { pathFromRoot, isFunctionNode } from '../model/tree.js';
import { escapeEre, NO_SEARCH, searchInfo } from '../model/search.js';
import { displayText, truncate } from '../model/format.js';
import { Chart } from './chart.js';
import { Table } from './table.js';
import { Details } from './details.js';
import { Controls } from './controls.js';
import { MemoryView } from './memview.js';
import { h, $, delayedShow } from './dom.js';
import './compare.js'; // the Compare with… menu: it reads only the path and its button
import './panel.js'; // the details panel's show/hide button

const SPINNER_DELAY_MS = 150;
const TREE_CACHE = 24;
const FUNCTION_ROWS = 5000;
const ID_RE = /^\/p\/([0-9a-f]{32})\/?$/;
const MAX_LINK_PATH = 256; // fids in a link's path (state.js)

/* ---------- notices and fatal errors (the page only, no state) ---------- */

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

/** The views drawn by the call-tree chart (not the table, not the memory chart). */
function isChartView(view) {
  return view === 'icicle' || view === 'sunburst';
}

const ARROWS = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

class Viewer {
  /** profileId: the 32 hex digits of the page's path, or null for a bad path. */
  constructor(profileId) {
    this.id = profileId;
    // The view state (state.js): what a link carries. Replaced, never edited
    // in place, and only by change(), popstate and start().
    this.state = stateFromUrl(window.location.search).state;
    // The chart a table row or a search zooms into.
    this.lastChartView = isChartView(this.state.view) ? this.state.view : 'icicle';
    // The tree: the answer on screen and its treeKey, the request sequence
    // (a late answer to an older request is dropped), the request to abort
    // when another is needed, recent answers by treeKey (least recently used
    // first), the first tree, requested together with the profile, and the
    // server's ranges and defaults of depth and cutoff, from the answers
    // (null until one came).
    this.tree = { current: null, drawnKey: null, seq: 0, abort: null, cache: new Map(), early: null, limits: null };
    // The chart's search summary for the current tree (model/search.js).
    this.search = NO_SEARCH;
    // The server's search of the whole profile for state.q: the query, its
    // answer (searchInfo()'s summary; null for no search) and, while it is
    // asked for, the promise of it and the request to abort.
    this.profileSearch = { q: '', summary: null, promise: null, abort: null };
    // Requests in flight, for the spinner.
    this.requests = { pending: 0, hideSpinner: null };
    // /functions rows by fid, for the tooltip's totals, and the fids asked for.
    this.functions = { rows: new Map(), wanted: new Set() };
    // For the page hook (docs/API.md): when the first chart was complete, and
    // how many trees were shown.
    this.metrics = { firstDrawAt: null, treeLoads: 0 };

    this.controls = new Controls({
      change: (c, o) => this.change(c, o),
      searchEnter: () => this.openLargestMatch(),
      crumb: (i) => this.goCrumb(i),
      invert: () => this.toggleInvert(),
    });
    this.chart = new Chart({
      wrap: $('#chart-wrap'),
      canvas: $('#chart'),
      overlay: $('#overlay'),
      tooltip: $('#tooltip'),
      empty: $('#chart-empty'),
      live: $('#chart-live'),
    }, {
      onActivate: (shape) => this.activate(shape),
      functionRow: (fid) => this.functions.rows.get(fid) || null,
      wantFunction: (fid) => this.wantFunction(fid),
    });
    this.chart.onDrawn = () => {
      if (this.metrics.firstDrawAt === null && this.tree.current) this.metrics.firstDrawAt = performance.now();
    };
    this.table = new Table(profileId, {
      head: $('#table-head'),
      scroll: $('#table-scroll'),
      spacer: $('#table-spacer'),
      rows: $('#table-rows'),
      foot: $('#table-foot'),
    }, {
      onSelect: (fid) => this.change({ sel: fid }, { push: false }),
      onOpen: (fid) => this.change({ view: this.lastChartView, root: fid, invert: false, path: [], sel: fid }, { push: true }),
      onSort: (sort, order) => this.change({ sort, order }, { push: false }),
      onError: (e) => notice('The function table could not be loaded: ' + e.message, 'error'),
      track: (p) => this.track(p),
    });
    this.details = new Details($('#details'), profileId, {
      onFocusFunction: (fid) => this.change({ view: this.chartView(), root: fid, invert: false, path: [], sel: fid }, { push: true }),
      onCallers: (fid) => this.change({ view: this.chartView(), root: fid, invert: true, path: [], sel: fid }, { push: true }),
      onEntry: (fid) => this.change({ view: this.chartView(), root: null, path: [fid], sel: fid }, { push: true }),
      onFunctionRow: (row) => this.rememberFunction(row),
      track: (p) => this.track(p),
    });

    this.memview = new MemoryView(profileId, {
      track: (p) => this.track(p),
      notice: (text, kind) => notice(text, kind),
      choose: (mem) => this.change({ mem, range: null }, { push: false }),
      range: (range, opts) => this.change({ range }, opts),
      attached: (answer) => this.memoryAttached(answer),
      showFunction: (name) => this.change({ view: 'table', q: '^' + escapeEre(name) + '$' }, { push: true }),
    });

    window.addEventListener('popstate', () => this.onPopState());
    document.addEventListener('keydown', (e) => this.onKeyDown(e));
  }

  /* ---------- requests and the spinner ---------- */

  /** Counts a request in flight; the spinner shows when one takes over 150 ms. */
  track(promise) {
    const r = this.requests;
    r.pending++;
    if (r.pending === 1) r.hideSpinner = delayedShow($('#spinner'), SPINNER_DELAY_MS);
    return promise.finally(() => {
      r.pending--;
      if (r.pending === 0 && r.hideSpinner) { r.hideSpinner(); r.hideSpinner = null; }
    });
  }

  /* ---------- function rows for the tooltip ---------- */

  rememberFunction(row) {
    if (!row || typeof row.fid !== 'number') return;
    const rows = this.functions.rows;
    rows.set(row.fid, row);
    if (rows.size > FUNCTION_ROWS) rows.delete(rows.keys().next().value);
    this.chart.functionArrived(row.fid);
  }

  /** The tooltip wants a function's own totals (nc/cc): fetch once, on hover. */
  wantFunction(fid) {
    const { rows, wanted } = this.functions;
    if (wanted.has(fid) || rows.has(fid)) return;
    wanted.add(fid);
    fetchFunction(this.id, fid).then((res) => {
      if (res.ok && res.data.function) this.rememberFunction(res.data.function);
      else wanted.delete(fid);
    });
  }

  /* ---------- the view state ---------- */

  /** The chart in view, or the last one shown when the table is. */
  chartView() {
    return isChartView(this.state.view) ? this.state.view : this.lastChartView;
  }

  /** Changes the view state; push adds a history entry (zoom steps, views). */
  change(changes, { push = false } = {}) {
    const prev = this.state;
    const next = withChanges(prev, changes);
    if (next.root !== null && next.root !== undefined) next.path = [];
    else next.invert = false; // only a function has callers to show
    this.state = next;
    const url = urlFromState(next, window.location.pathname);
    if (url !== window.location.pathname + window.location.search) {
      if (push) history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    this.apply(prev, next);
  }

  onPopState() {
    const prev = this.state;
    const parsed = stateFromUrl(window.location.search);
    parsed.notices.forEach((n) => notice(n));
    this.state = parsed.state;
    this.apply(prev, this.state);
  }

  apply(prev, st) {
    const { controls, chart, table, details } = this;
    controls.update(st);
    const isChart = isChartView(st.view);
    if (isChart) this.lastChartView = st.view;
    $('#chart-pane').hidden = !isChart;
    $('#table-pane').hidden = st.view !== 'table';
    this.memview.show(st.view === 'memory', st.mem, st.range);
    table.setQuery({ sort: st.sort, order: st.order, q: st.q });
    table.setActive(st.view === 'table');
    if (isChart) {
      chart.setView(st.view);
      chart.schedule();
    } else {
      chart.hideTooltip();
    }
    const treeChanged = !prev || treeKey(prev) !== treeKey(st);
    if (treeChanged) this.loadTree(st);
    chart.setSelected(st.sel);
    table.setSelected(st.sel);
    details.setRoot(st.root, isInverted(st));
    details.show(st.sel);
    if (!treeChanged && (!prev || prev.q !== st.q)) {
      this.search = chart.setSearch(st.q);
    }
    this.loadSearch(st.q);
    this.showSearchInfo();
  }

  /* ---------- the search of the whole profile ---------- */

  /**
   * Asks the server for the count, the time and the largest match of q
   * over every function (docs/API.md, "Searching the whole profile"); the
   * chart's own matches only say what it draws. A query that is not a
   * POSIX regular expression is searched as text, as the table does.
   */
  loadSearch(q) {
    const s = this.profileSearch;
    if (s.q === q && (s.summary || s.promise)) return;
    if (s.abort) s.abort.abort();
    Object.assign(s, { q, summary: null, promise: null, abort: null });
    if (!q.trim()) return;
    const ac = new AbortController();
    const ask = (text) => fetchFunctions(this.id, { q: text, sort: 'cumtime', limit: 1 }, { signal: ac.signal });
    s.abort = ac;
    s.summary = { loading: true };
    s.promise = this.track((async () => {
      let literal = false;
      let res = await ask(q);
      if (!res.ok && res.error.status === 400) {
        literal = true;
        res = await ask(escapeEre(q));
      }
      if (!res.ok) return res.error.code === 'aborted' ? null : { error: res.error.message };
      const d = res.data;
      const search = d.search || {};
      const top = d.rows && d.rows.length ? d.rows[0] : null;
      if (top) this.rememberFunction(top);
      return { count: search.count || 0, pct: search.pct, time: search.time, top, literal };
    })());
    s.promise.then((summary) => {
      if (s.abort !== ac) return; // another search since
      s.summary = summary;
      s.promise = null;
      s.abort = null;
      this.showSearchInfo();
    });
  }

  showSearchInfo() {
    const st = this.state;
    const isTable = st.view === 'table';
    const zoomed = st.root !== null || st.path.length > 0;
    const drawn = isTable || !this.tree.current ? null : this.search.functions;
    this.controls.setSearchInfo(searchInfo(this.profileSearch.summary, drawn, zoomed));
  }

  /* ---------- the tree ---------- */

  async loadTree(st) {
    const t = this.tree;
    const key = treeKey(st);
    const seq = ++t.seq;
    let data = t.cache.get(key);
    if (data) {
      t.cache.delete(key); // most recently used goes last
      t.cache.set(key, data);
    } else {
      if (t.abort) t.abort.abort();
      const ac = new AbortController();
      t.abort = ac;
      $('#chart-wrap').classList.add('stale');
      const early = t.early && t.early.key === key ? t.early.promise : null;
      t.early = null;
      const res = await (early || this.track(fetchTree(this.id, treeQuery(st), { signal: ac.signal })));
      if (seq !== t.seq) return;
      $('#chart-wrap').classList.remove('stale');
      if (!res.ok) {
        this.treeError(res.error, st, seq);
        return;
      }
      data = res.data;
      t.limits = limitsFrom(data) || t.limits;
      t.cache.set(key, data);
      if (t.cache.size > TREE_CACHE) t.cache.delete(t.cache.keys().next().value);
    }
    t.current = data;
    t.drawnKey = key;
    this.chart.setTree(data);
    this.controls.setTree(data, t.limits);
    this.controls.setCrumbs(data.breadcrumbs, isInverted(st) ? 'callers' : st.root !== null ? 'root' : null);
    this.search = this.chart.setSearch(this.state.q);
    this.showSearchInfo();
    this.metrics.treeLoads++;
  }

  /**
   * A tree request failed. A 400 may be about a depth or cutoff (from a
   * link, or typed before the server's range was known) or about the path:
   * the server's limits tell which. When no answer has brought them yet,
   * the smallest tree (the top, one node) is asked for them first.
   */
  async treeError(err, st, seq) {
    if (err.code === 'aborted') return;
    const t = this.tree;
    const chosen = st.depth !== null || st.cutoff !== null;
    if (err.status === 400 && chosen && !t.limits) {
      const probe = await this.track(fetchTree(this.id, { maxNodes: 1 }));
      if (seq !== t.seq) return;
      if (probe.ok) t.limits = limitsFrom(probe.data);
    }
    const bad = err.status === 400 ? outOfLimits(st, t.limits) : [];
    if (bad.length) {
      const what = bad.map((b) => `${b.key}=${b.value} (the server takes ${b.min} to ${b.max})`).join(' and ');
      notice(`Ignored ${what}: using the server's default instead.`, 'warn');
      const changes = {};
      for (const b of bad) changes[b.key] = null;
      this.change(changes, { push: false });
      return;
    }
    const linked = st.root !== null || st.path.length > 0;
    if ((err.status === 400 || err.status === 404) && linked) {
      notice(`This view does not exist in this profile (${truncate(err.message, 200)}); showing the top instead.`, 'warn');
      this.change({ root: null, path: [] }, { push: false });
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
  activate(shape) {
    if (!shape || shape.agg) return;
    const n = shape.node;
    if (n.other) {
      notice(`“other” merges ${n.count} functions below the cutoff: lower the cutoff to see them.`);
      return;
    }
    if (n.unrecorded) return; // no function, nothing below
    if (shape.depth === 0) {
      if (this.state.view === 'sunburst') this.up();
      else if (isFunctionNode(n)) this.change({ sel: n.fid }, { push: false });
      return;
    }
    if (n.recursive) {
      // Already expanded on the path above: select it, there is nothing below.
      this.change({ sel: n.fid }, { push: false });
      return;
    }
    this.drillTo(n);
  }

  /** Zooms to a model node of the current tree. */
  drillTo(n) {
    if (!isFunctionNode(n)) return;
    const st = this.state;
    if (st.root !== null) this.change({ root: n.fid, sel: n.fid }, { push: true });
    else this.change({ path: st.path.concat(pathFromRoot(n)), sel: n.fid }, { push: true });
  }

  /**
   * The Inverted toggle: the callers of the function in view (the root,
   * the end of the drill path, else the selection), or back to its callees.
   */
  toggleInvert() {
    const st = this.state;
    if (isInverted(st)) {
      this.change({ invert: false }, { push: true });
      return;
    }
    const fid = st.root !== null ? st.root : st.path.length ? st.path[st.path.length - 1] : st.sel;
    if (fid === null || fid === undefined) return;
    this.change({ view: this.chartView(), root: fid, invert: true, path: [], sel: st.sel !== null ? st.sel : fid }, { push: true });
  }

  up() {
    const st = this.state;
    if (st.root !== null) this.change({ root: null, path: [] }, { push: true });
    else if (st.path.length) this.change({ path: st.path.slice(0, -1) }, { push: true });
  }

  goCrumb(i) {
    const st = this.state;
    if (st.root !== null) {
      const cur = this.tree.current;
      const crumbs = cur ? cur.breadcrumbs || [] : [];
      const c = crumbs[i];
      if (i === 0 || !c || c.fid === null) this.change({ root: null, path: [] }, { push: true });
      else this.change({ root: c.fid }, { push: true });
      return;
    }
    this.change({ path: st.path.slice(0, i) }, { push: true });
  }

  /**
   * Enter in the search box: opens the largest match of the whole profile
   * (by its cumtime) in the chart, along the heaviest path to it, so that
   * the crumbs show how it is reached; by itself (root=) when the server
   * finds no path, or one too long for a link.
   */
  async openLargestMatch() {
    const q = this.state.q;
    if (!q.trim()) return;
    this.loadSearch(q);
    const s = this.profileSearch;
    const summary = s.promise ? await s.promise : s.summary;
    if (!summary || q !== this.state.q) return;
    if (summary.error) {
      notice('The search failed: ' + truncate(summary.error, 300), 'error');
      return;
    }
    if (!summary.top) {
      notice(`No function matches “${truncate(displayText(q), 80)}”.`);
      return;
    }
    const fid = summary.top.fid;
    const res = await this.track(fetchPath(this.id, fid));
    if (q !== this.state.q) return;
    const view = this.lastChartView;
    if (res.ok && res.data.path.length && res.data.path.length <= MAX_LINK_PATH) {
      this.change({ view, root: null, invert: false, path: res.data.path, sel: fid }, { push: true });
    } else {
      this.change({ view, root: fid, invert: false, path: [], sel: fid }, { push: true });
    }
  }

  /* ---------- keyboard ---------- */

  onKeyDown(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !this.id) return;
    const t = e.target;
    const typing = t instanceof HTMLElement && (t.matches('input, textarea, select') || t.isContentEditable);
    if (e.key === '/' && !typing) {
      e.preventDefault();
      this.controls.focusSearch();
      return;
    }
    if (typing || !isChartView(this.state.view)) return;
    const onButton = t instanceof HTMLElement && t.matches('button, a');
    if (ARROWS[e.key]) {
      e.preventDefault();
      this.chart.move(ARROWS[e.key]);
    } else if (e.key === 'Enter' && !onButton) {
      const f = this.chart.focused();
      if (f) {
        e.preventDefault();
        this.chart.focusRootOfNextTree();
        this.activate(f);
      }
    } else if (e.key === 'Backspace' || e.key === 'Escape') {
      e.preventDefault();
      this.chart.focusRootOfNextTree();
      this.up();
    }
  }

  /** True when the view matches the URL: no request in flight, the chart drawn. */
  idle() {
    const st = this.state;
    return this.requests.pending === 0 && !this.chart.pending && this.tree.drawnKey === treeKey(st) &&
      (!isChartView(st.view) || this.chart.layout !== null) && this.memview.idle() &&
      (st.view !== 'table' || this.table.loaded());
  }

  /* ---------- memory data (ui/memview.js) ---------- */

  /**
   * Shows what the memory data allows: the Memory view's button when any
   * is attached (or linked with mem=), the table's "Mem +" column when a
   * line report is.
   */
  async showMemoryControls() {
    const mv = this.memview;
    if (this.state.mem) await mv.record(this.state.mem);
    $('#view-memory').hidden = !mv.hasAny() && !this.state.mem;
    this.table.setMemory(mv.has('lines'));
  }

  /** A file was attached (Add memory data…): show it, and what it adds. */
  async memoryAttached(answer) {
    const meta = await this.track(fetchProfile(this.id));
    if (meta.ok) this.memview.setList(meta.data.memory);
    await this.showMemoryControls();
    // Rows and the details panel gain their memory numbers.
    this.table.reset();
    this.details.reload();
    notice(`Attached ${truncate(displayText(answer.name), 80)}.`);
    this.change({ view: answer.kind === 'mprof' ? 'memory' : this.state.view, mem: answer.id, range: null }, { push: true });
  }

  /* ---------- start ---------- */

  /** first: the page's first requests (askFirst), made before the Viewer was. */
  async start(first) {
    if (!this.id) {
      fatal('Not a profile link', 'A profile link looks like /p/ followed by 32 hexadecimal digits.');
      return;
    }
    const parsed = stateFromUrl(window.location.search);
    parsed.notices.forEach((n) => notice(n, 'warn'));
    this.state = parsed.state;
    history.replaceState(null, '', urlFromState(this.state, window.location.pathname));
    this.controls.update(this.state);
    this.tree.early = { key: first.treeKey, promise: this.track(first.tree) };
    const meta = await this.track(first.profile);
    if (!meta.ok) {
      if (meta.error.status === 404) fatal('This profile does not exist or was deleted', 'Check the link, or upload the stats file again: the same file gets the same link.');
      else fatal('The profile could not be loaded', meta.error.message);
      return;
    }
    this.controls.setProfile(meta.data);
    this.details.setProfile(meta.data);
    this.memview.setList(meta.data.memory);
    this.showMemoryControls();
    for (const w of meta.data.warnings || []) notice('This file loaded with a warning: ' + truncate(displayText(w), 300), 'warn');
    this.apply(null, this.state);
  }
}

/**
 * The page hook, window.__pstatsviz: read-only, documented in docs/API.md
 * ("The viewer's page hook"). The browser tests and bench/render read it to
 * know when a view is complete and where the shapes on the canvas are,
 * which the DOM cannot tell them.
 */
function exposeHook(viewer) {
  const hook = Object.freeze({
    /** performance.now() when the first complete chart was drawn. */
    get firstDraw() { return viewer.metrics.firstDrawAt; },
    get treeLoads() { return viewer.metrics.treeLoads; },
    /** Shapes of the chart in view, in viewport coordinates: [{name, fid, x, y, w, h, ...}]. */
    nodes: () => viewer.chart.nodes(),
    state: () => JSON.parse(JSON.stringify(viewer.state)),
    frames: () => viewer.chart.frames.slice(),
    drawCount: () => viewer.chart.drawCount,
    idle: () => viewer.idle(),
    /** The Memory view as shown: the chart's range, peak and bands, or the line report's functions; null elsewhere. */
    memory: () => viewer.memview.describe(),
  });
  Object.defineProperty(window, '__pstatsviz', { value: hook, writable: false });
}

/**
 * The profile and its first tree, asked for together (one round trip less
 * before the first chart), and before the page's parts are built, so that
 * the answers travel while the constructors run.
 */
function askFirst(id) {
  const state = stateFromUrl(window.location.search).state;
  return { treeKey: treeKey(state), tree: fetchTree(id, treeQuery(state)), profile: fetchProfile(id) };
}

const m = ID_RE.exec(window.location.pathname);
const firstRequests = m ? askFirst(m[1]) : null;
const viewer = new Viewer(m ? m[1] : null);
exposeHook(viewer);
viewer.start(firstRequests);
