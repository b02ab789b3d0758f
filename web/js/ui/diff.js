// The compare page (/diff/<a>/<b>): run B against run A. One DiffPage owns
// what the page knows: the state (model/diff.js, kept in the URL), the two
// runs' summaries, the diff tree on screen and the table's rows. Text from
// the profiles goes into the page only through dom.js (textContent) and the
// canvas's fillText.

import { fetchProfile, fetchDiff, fetchDiffTree } from '../api.js';
import {
  idsFromPath, diffStateFromSearch, searchFromDiffState, swappedUrl, drillPath, parseDepth, DEPTH_AUTO, DEPTH_START,
  layoutDiffIcicle, hitDiffIcicle, layoutDiffSunburst, hitDiffSunburst, nodeLabel, changeClass,
} from '../model/diff.js';
import { compileQuery, escapeEre } from '../model/search.js';
import { limitsFrom, shownSettings } from '../state.js';
import { fmtSeconds, fmtCount, displayText, truncate } from '../model/format.js';
import { sizeCanvas } from '../render/common.js';
import { drawDiffIcicle, drawDiffSunburst, nodeColor } from '../render/diff.js';
import { h, $, replaceChildren, setText, delayedShow } from './dom.js';
import { fmtMiB, fmtMiBDelta, verdict } from '../model/memory.js';
import { pairedLineTable } from './memlines.js';

const ROW_HEIGHT = 20;
const TABLE_ROWS = 100;
const HIDE_LABEL = { builtins: 'built-ins', stdlib: 'stdlib', 'site-packages': 'site-packages' };
const COLUMNS = [
  // [heading, sort key or null, title]
  ['function', 'name', 'pstats label; sorted by name'],
  ['cum A', 'cumtime', 'cumtime in run A (sorted by the larger of A and B)'],
  ['cum B', 'cumtime', 'cumtime in run B (sorted by the larger of A and B)'],
  ['Δ cum', 'delta', 'B − A: the largest changes, either way, first'],
  ['Δ %', 'ratio', '(B − A) / A'],
  ['calls A → B', null, 'primitive/total calls as pstats counts them'],
  ['Δ calls', 'calls', 'the largest changes of the call count first'],
];

function signed(x, fmt) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return (x > 0 ? '+' : x < 0 ? '−' : '±') + fmt(Math.abs(x));
}

function pct(ratio) {
  if (ratio === null || ratio === undefined) return 'new';
  return signed(ratio * 100, (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + '%');
}

function fatal(title, text) {
  document.body.classList.add('is-fatal');
  $('#viewer').hidden = true;
  $('#summary').hidden = true;
  $('#fatal').hidden = false;
  setText($('#fatal-title'), title);
  setText($('#fatal-text'), text);
  document.title = title + ' · pstatsviz';
}

class DiffPage {
  constructor(ids) {
    this.ids = ids;
    this.state = diffStateFromSearch(window.location.search);
    this.summary = null; // /api/diff's totals (the first page of rows beside it)
    this.tree = null; // /api/diff/tree's answer on screen
    this.limits = null; // the server's ranges and defaults (limitsFrom), from the last tree answer that had them
    this.rows = []; // the table's rows
    this.layout = null; // icicle or sunburst shapes of this.tree
    this.hover = null;
    this.matches = null; // Set of tree nodes the search matches, or null
    this.seq = { tree: 0, rows: 0 };
    this.pending = 0;
    this.hideSpinner = null;
    this.metrics = { firstChartMs: null };
    this.bindControls();
    window.addEventListener('popstate', () => { this.state = diffStateFromSearch(window.location.search); this.load(); });
    new ResizeObserver(() => this.draw()).observe($('#chart-wrap'));
  }

  /* ---------- state ---------- */

  change(changes, { push = false } = {}) {
    const next = Object.assign({}, this.state, changes);
    const treeChanged = ['side', 'path', 'hide', 'cutoff', 'depth'].some((k) => String(next[k]) !== String(this.state[k]));
    const rowsChanged = ['q', 'sort', 'order'].some((k) => next[k] !== this.state[k]);
    this.state = next;
    const url = window.location.pathname + searchFromDiffState(next);
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    this.reflect();
    if (treeChanged) this.loadTree();
    else { this.searchTree(); this.draw(); }
    if (rowsChanged) this.loadRows();
    else if (['noise', 'floor'].some((k) => k in changes)) this.renderTable();
  }

  /* ---------- loading ---------- */

  busy(on) {
    this.pending += on ? 1 : -1;
    if (on && this.pending === 1) this.hideSpinner = delayedShow($('#spinner'), 150);
    if (!on && this.pending === 0 && this.hideSpinner) { this.hideSpinner(); this.hideSpinner = null; }
  }

  async start() {
    // The chart and the table need only the ids: ask for them at once, with
    // the names (a round trip less before the first chart).
    this.load();
    const [pa, pb] = await Promise.all([fetchProfile(this.ids.a), fetchProfile(this.ids.b)]);
    for (const [p, which] of [[pa, 'A'], [pb, 'B']]) {
      if (!p.ok) {
        fatal(p.error.code === 'not_found' ? `Run ${which}: no such profile` : `Run ${which} could not be read`,
          p.error.code === 'not_found' ? 'The link names a profile this server does not have: it was deleted, or the link is wrong.' : p.error.message);
        return;
      }
    }
    this.names = { a: displayText(pa.data.name), b: displayText(pb.data.name) };
    for (const k of ['a', 'b']) {
      const el = $('#name-' + k);
      setText(el, (k === 'a' ? 'A: ' : 'B: ') + truncate(this.names[k], 60));
      el.href = '/p/' + this.ids[k];
      el.title = 'Open run ' + k.toUpperCase() + ' in the viewer: ' + this.names[k];
    }
    document.title = `${truncate(this.names.a, 40)} → ${truncate(this.names.b, 40)} · pstatsviz`;
  }

  load() {
    this.reflect();
    // The table after the chart: on a busy server both at once make the
    // first chart wait on the CPU the table's sort takes.
    this.loadTree().finally(() => this.loadRows());
  }

  async loadTree() {
    const s = this.state;
    const seq = ++this.seq.tree;
    if (this.treeAbort) this.treeAbort.abort();
    this.treeAbort = new AbortController();
    this.busy(true);
    const r = await fetchDiffTree(this.ids.a, this.ids.b, s, { signal: this.treeAbort.signal });
    this.busy(false);
    if (seq !== this.seq.tree || (!r.ok && r.error.code === 'aborted')) return;
    if (!r.ok) {
      if (s.path.length && (r.error.code === 'not_found' || r.error.code === 'bad_request')) {
        this.notice('That call path is not in these runs: showing the top.');
        this.change({ path: [], side: 'a' });
        return;
      }
      this.notice('The tree could not be loaded: ' + r.error.message);
      return;
    }
    this.tree = r.data;
    this.limits = limitsFrom(r.data) || this.limits;
    this.reflect();
    this.setCrumbs();
    this.searchTree();
    this.draw();
    // performance.now() counts from the navigation start: bench/diffpage reads it.
    if (this.metrics.firstChartMs === null) this.metrics.firstChartMs = performance.now();
  }

  async loadRows() {
    const s = this.state;
    const seq = ++this.seq.rows;
    const q = { sort: s.sort, order: s.order, limit: TABLE_ROWS, q: s.q };
    this.busy(true);
    let r = await fetchDiff(this.ids.a, this.ids.b, q);
    if (!r.ok && r.error.code === 'bad_request' && s.q) // not a server regex: search for the text
      r = await fetchDiff(this.ids.a, this.ids.b, Object.assign(q, { q: escapeEre(s.q) }));
    this.busy(false);
    if (seq !== this.seq.rows) return;
    if (!r.ok) { this.notice('The table could not be loaded: ' + r.error.message); return; }
    this.summary = r.data;
    this.rows = r.data.rows;
    this.renderSummary();
    this.renderTable();
  }

  notice(text) {
    if (document.body.classList.contains('is-fatal')) return; // the page says why already
    const box = $('#notices');
    const el = h('div', { className: 'notice warn' }, h('span', { text }),
      h('button', { type: 'button', className: 'notice-x', title: 'Dismiss', text: '×', onclick: () => el.remove() }));
    box.append(el);
    setTimeout(() => el.remove(), 8000);
  }

  /* ---------- header ---------- */

  bindControls() {
    $('#swap').addEventListener('click', () => { window.location.assign(swappedUrl(this.ids, this.state)); });
    for (const b of document.querySelectorAll('#view-switch button')) {
      b.addEventListener('click', () => this.change({ view: b.dataset.view }, { push: true }));
    }
    let searchTimer = null;
    $('#search').addEventListener('input', (e) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => this.change({ q: e.target.value }), 200);
    });
    const num = (id, key) => $(id).addEventListener('change', (e) => {
      const v = Number(e.target.value);
      if (e.target.value !== '' && Number.isFinite(v) && v >= 0) this.change({ [key]: v });
      else e.target.value = String(this.state[key]);
    });
    // As the viewer's depth: empty or the server's default (auto) is left
    // out of the request and the link; a number is that many levels,
    // within the server's range.
    $('#depth').addEventListener('change', (e) => {
      const range = this.depthRange();
      const d = parseDepth(e.target.value.toLowerCase(), range);
      if (d === undefined) {
        this.notice(`The depth is a whole number of levels from ${range.min} to ${range.max}, or ${DEPTH_AUTO}.`);
        e.target.value = this.depthShown();
        return;
      }
      this.change({ depth: d === range.default ? null : d }, { push: true });
    });
    num('#noise', 'noise');
    num('#floor', 'floor');
    $('#cutoff').addEventListener('change', (e) => {
      const c = Number(e.target.value);
      this.change({ cutoff: this.limits && c === this.limits.cutoff.default ? null : c }, { push: true });
    });
    $('#hide-add').addEventListener('change', (e) => {
      const k = e.target.value;
      e.target.value = '';
      if (k && !this.state.hide.includes(k)) this.change({ hide: [...this.state.hide, k] }, { push: true });
    });
    $('#copy-link').addEventListener('click', () => this.copyLink());
    const canvas = $('#chart');
    canvas.addEventListener('mousemove', (e) => this.onHover(e));
    canvas.addEventListener('mouseleave', () => { this.hover = null; $('#tooltip').hidden = true; this.draw(); });
    canvas.addEventListener('click', (e) => this.onClick(e));
    canvas.addEventListener('keydown', (e) => {
      if ((e.key === 'Escape' || e.key === 'Backspace') && this.state.path.length) this.goCrumb(this.tree.breadcrumbs.length - 2);
    });
  }

  /** The depth's range and default: the server's once a tree answer said them. */
  depthRange() {
    return this.limits ? this.limits.depth : DEPTH_START;
  }

  /** The depth field's text: the state's depth, else the server's default. */
  depthShown() {
    const d = this.state.depth;
    return String(d === null || d === undefined ? this.depthRange().default : d);
  }

  /**
   * The cutoff select's value: the state's cutoff, else the one the answer
   * on screen was built with, else the server's default; null before any
   * answer.
   */
  cutoffShown() {
    const shown = shownSettings(this.state, this.tree).cutoff;
    return shown !== null ? shown : this.limits ? this.limits.cutoff.default : null;
  }

  /** The header controls show the state. */
  reflect() {
    const s = this.state;
    for (const b of document.querySelectorAll('#view-switch button')) b.setAttribute('aria-pressed', String(b.dataset.view === s.view));
    if ($('#search').value !== s.q && document.activeElement !== $('#search')) $('#search').value = s.q;
    if (document.activeElement !== $('#depth')) $('#depth').value = this.depthShown();
    const range = this.depthRange();
    $('#depth').title = `Levels shown below the root (${range.min} to ${range.max}), or ${DEPTH_AUTO}: as deep as the cutoff allows` +
      (range.default === DEPTH_AUTO ? ' (the default)' : ` (the default is ${range.default})`);
    if (document.activeElement !== $('#noise')) $('#noise').value = String(s.noise);
    if (document.activeElement !== $('#floor')) $('#floor').value = String(s.floor);
    const cutoff = this.cutoffShown();
    if (cutoff !== null) $('#cutoff').value = String(cutoff);
    replaceChildren($('#chips'), s.hide.map((k) => h('button', {
      type: 'button', className: 'chip', title: 'Show ' + HIDE_LABEL[k] + ' again',
      onclick: () => this.change({ hide: s.hide.filter((x) => x !== k) }, { push: true }),
    }, 'hiding ' + HIDE_LABEL[k], h('span', { className: 'chip-x', attrs: { 'aria-hidden': 'true' }, text: '×' }))));
  }

  setCrumbs() {
    const crumbs = this.tree.breadcrumbs || [];
    const items = [];
    crumbs.forEach((c, i) => {
      if (i) items.push(h('span', { className: 'sep', text: '›' }));
      const name = truncate(displayText(String(c.name ?? '')), 60);
      if (i === crumbs.length - 1) items.push(h('span', { className: 'crumb current', text: name }));
      else items.push(h('button', { type: 'button', className: 'crumb', title: displayText(String(c.name ?? '')), onclick: () => this.goCrumb(i) }, name));
    });
    replaceChildren($('#crumbs'), items);
  }

  goCrumb(i) {
    if (i < 0) return;
    const crumbs = this.tree.breadcrumbs.slice(1, i + 1);
    const side = crumbs.every((c) => Number.isInteger(c.fid)) ? 'a' : 'b';
    this.change({ side, path: crumbs.map((c) => (side === 'a' ? c.fid : c.fid_b)) }, { push: true });
  }

  async copyLink() {
    const url = window.location.href;
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(url); ok = true; }
    } catch { /* shown below */ }
    const btn = $('#copy-link');
    setText(btn, ok ? 'Copied' : 'Copy failed: use the address bar');
    btn.classList.add('done');
    clearTimeout(this.copyTimer);
    this.copyTimer = setTimeout(() => { btn.classList.remove('done'); setText(btn, 'Copy link'); }, 2000);
  }

  /* ---------- summary and table ---------- */

  renderSummary() {
    const d = this.summary;
    const c = d.change;
    const cls = changeClass(d.a.total_time, d.b.total_time, Math.max(d.a.total_time, d.b.total_time), this.state.noise, 0);
    const stat = (k, v, extra, className) => h('div', { className: 'sum-stat ' + (className || '') }, h('span', { className: 'sum-k', text: k }),
      h('span', { className: 'sum-v', text: v }), extra ? h('span', { className: 'sum-x', text: extra }) : null);
    const rule = d.match.rule === 'exact' ? '' : d.match.rule === 'moved' ? ' (some at moved lines)'
      : ` (under other roots: ${displayText(String(d.match.roots?.a ?? ''))} ↔ ${displayText(String(d.match.roots?.b ?? ''))})`;
    const mem = d.memory && d.memory.a && d.memory.b ? d.memory : null;
    const said = verdict(d);
    replaceChildren($('#summary'),
      said ? h('div', { className: 'verdict', id: 'verdict', text: 'B: ' + said + '.' }) : null,
      stat('total time', `${fmtSeconds(d.a.total_time)} → ${fmtSeconds(d.b.total_time)}`,
        `${signed(c.total_time, fmtSeconds)} (${pct(c.total_time_ratio)})`, 'change-' + cls),
      stat('calls', `${fmtCount(d.a.total_calls)} → ${fmtCount(d.b.total_calls)}`,
        `${signed(c.total_calls, fmtCount)} (${pct(c.total_calls_ratio)})`),
      stat('primitive calls', `${fmtCount(d.a.prim_calls)} → ${fmtCount(d.b.prim_calls)}`, pct(c.prim_calls_ratio)),
      mem ? stat('memory peak', `${fmtMiB(mem.a.peak_mib)} → ${fmtMiB(mem.b.peak_mib)}`,
        `${fmtMiBDelta(mem.b.peak_mib - mem.a.peak_mib)} (${pct(mem.change)})`, 'memory') : null,
      stat('functions', `${fmtCount(d.a.functions)} → ${fmtCount(d.b.functions)}`,
        `${d.match.added} added, ${d.match.removed} removed${rule}`));
    this.renderMemoryLines(mem);
    $('#summary').dataset.totalA = String(d.a.total_time);
    $('#summary').dataset.totalB = String(d.b.total_time);
  }

  /**
   * Functions with memory_profiler line data in both runs: their per-line
   * increments side by side, under the table.
   */
  renderMemoryLines(mem) {
    const sec = $('#diff-mem');
    const fns = mem && Array.isArray(mem.functions) ? mem.functions : [];
    sec.hidden = fns.length === 0;
    if (!fns.length) { replaceChildren(sec); return; }
    replaceChildren(sec, h('h3', { text: 'Memory per line, A and B' }), fns.map((f) => h('section', { className: 'mem-fn', dataset: { fn: String(f.name ?? '') } },
      h('div', { className: 'mem-fn-name mono', title: displayText(String(f.file ?? '')), text: truncate(displayText(String(f.name ?? '')), 200) }),
      h('div', { className: 'mem-lines-wrap' }, pairedLineTable(f.a, f.b)))));
  }

  renderTable() {
    const s = this.state;
    const total = this.summary ? Math.max(this.summary.a.total_time, this.summary.b.total_time) : 0;
    replaceChildren($('#dt-head'), h('tr', {}, COLUMNS.map(([name, key, title]) => {
      const sorted = key && key === s.sort && !(name === 'cum B');
      return h('th', {
        className: (name === 'function' ? '' : 'num') + (sorted ? ' sorted ' + s.order : '') + (key ? ' sortable' : ''), title,
        onclick: key ? () => this.change({ sort: key, order: key === s.sort ? (s.order === 'desc' ? 'asc' : 'desc') : (key === 'name' ? 'asc' : 'desc') }, { push: true }) : undefined,
      }, name);
    })));
    const calls = (x) => (x ? (x.nc !== x.cc ? `${fmtCount(x.nc)}/${fmtCount(x.cc)}` : fmtCount(x.nc)) : '–');
    replaceChildren($('#dt-body'), this.rows.map((r) => {
      const a = r.a ? r.a.ct : 0;
      const b = r.b ? r.b.ct : 0;
      const cls = changeClass(a, b, total, s.noise, s.floor);
      const label = displayText(r.label);
      const flag = r.added ? 'added' : r.removed ? 'removed' : r.match === 'moved' ? 'moved' : r.match === 'suffix' ? 'other root' : null;
      return h('tr', { className: 'clickable change-' + cls, dataset: { change: cls, fid: r.fid ?? '', name: r.name }, title: label,
        onclick: () => this.change({ q: '^' + escapeEre(r.name) + '$' }) },
      h('td', { className: 'fn' }, h('span', { className: 'fn-cell', text: truncate(displayText(r.name), 80) }),
        flag ? h('span', { className: 'flag', text: flag }) : null),
      h('td', { className: 'num', text: r.a ? fmtSeconds(r.a.ct) : '–' }),
      h('td', { className: 'num', text: r.b ? fmtSeconds(r.b.ct) : '–' }),
      h('td', { className: 'num delta', text: signed(r.delta.ct, fmtSeconds) }),
      h('td', { className: 'num', text: pct(r.ratio.ct) }),
      // A break only at the arrow, when the column is short of room: a
      // number is never cut or broken.
      h('td', { className: 'num calls' }, h('span', { className: 'nowrap', text: calls(r.a) }), ' → ',
        h('span', { className: 'nowrap', text: calls(r.b) })),
      h('td', { className: 'num', text: signed(r.delta.nc, fmtCount) }));
    }));
    setText($('#dt-foot'), this.summary ? `${fmtCount(Math.min(this.rows.length, this.summary.total))} of ${fmtCount(this.summary.total)} functions` +
      (s.q ? ' matching the search' : '') + '. Click a row to find it in the chart.' : '');
  }

  /* ---------- chart ---------- */

  searchTree() {
    const q = compileQuery(this.state.q);
    if (q.empty || !this.tree) { this.matches = null; setText($('#search-info'), ''); return; }
    const m = new Set();
    (function walk(n) {
      if (!n.other && (q.test(String(n.name ?? '')) || (n.label && q.test(n.label)))) m.add(n);
      for (const c of n.children || []) walk(c);
    })(this.tree.root);
    this.matches = m;
    setText($('#search-info'), m.size ? `${m.size} in the chart` : 'not in the chart');
    $('#search-info').classList.toggle('none', m.size === 0);
  }

  opts() {
    const t = this.tree;
    return { total: Math.max(t.total_time_a, t.total_time_b), noise: this.state.noise, floor: this.state.floor, matches: this.matches, hover: this.hover };
  }

  draw() {
    const wrap = $('#chart-wrap');
    const canvas = $('#chart');
    if (!this.tree) return;
    const width = wrap.clientWidth;
    const root = this.tree.root;
    $('#chart-empty').hidden = !!(root.value_a || root.value_b);
    if (this.state.view === 'icicle') {
      this.layout = layoutDiffIcicle(root, width, ROW_HEIGHT);
      const height = Math.max(this.layout.height, 40);
      const ctx = sizeCanvas(canvas, width, height);
      drawDiffIcicle(ctx, this.layout, width, this.opts());
    } else {
      const height = Math.max(300, wrap.clientHeight - 4);
      const radius = Math.min(width, height) / 2 - 4;
      // The tree is as deep as the server built it: auto draws all of it.
      this.layout = layoutDiffSunburst(root, radius, Number.isInteger(this.state.depth) ? this.state.depth : Infinity);
      this.layout.cx = width / 2;
      this.layout.cy = height / 2;
      const ctx = sizeCanvas(canvas, width, height);
      drawDiffSunburst(ctx, this.layout, this.layout.cx, this.layout.cy, width, height, this.opts());
    }
  }

  shapeAt(e) {
    if (!this.layout) return null;
    const r = $('#chart').getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    return this.state.view === 'icicle' ? hitDiffIcicle(this.layout, x, y) : hitDiffSunburst(this.layout, x - this.layout.cx, y - this.layout.cy);
  }

  onHover(e) {
    const s = this.shapeAt(e);
    if (s !== this.hover) { this.hover = s; this.draw(); }
    const tip = $('#tooltip');
    if (!s) { tip.hidden = true; return; }
    const n = s.node;
    const col = nodeColor(n, this.opts());
    const row = (k, v) => h('div', { className: 'tip-row' }, h('span', { className: 'tip-k', text: k }), h('span', { className: 'tip-v', text: v }));
    const calls = (k) => (n.other ? `${n['count_' + k] ?? 0} functions` : fmtCount(n['calls_' + k]) + ' calls');
    replaceChildren(tip,
      h('div', { className: 'tip-name', text: truncate(displayText(nodeLabel(n)), 200) }),
      row('A', `${fmtSeconds(n.value_a)} · ${calls('a')}`),
      row('B', `${fmtSeconds(n.value_b)} · ${calls('b')}`),
      row('Δ', `${signed(n.delta, fmtSeconds)} (${pct(n.ratio)})`),
      h('div', { className: 'tip-flag change-' + col.cls, text: n.only ? `in run ${n.only.toUpperCase()} only` : col.cls === 'neutral' ? 'within the noise' : col.cls + ' in B' }),
      s.parent && !n.other ? h('div', { className: 'tip-hint', text: 'click to zoom in' }) : null);
    tip.hidden = false;
    const pad = 14;
    const w = tip.offsetWidth;
    const x = e.clientX + pad + w > window.innerWidth ? e.clientX - pad - w : e.clientX + pad;
    tip.style.left = Math.max(0, x) + 'px';
    tip.style.top = Math.min(e.clientY + pad, window.innerHeight - tip.offsetHeight - 4) + 'px';
  }

  onClick(e) {
    const s = this.shapeAt(e);
    if (!s) return;
    if (!s.parent) { // the root: one level up
      if (this.state.path.length) this.goCrumb(this.tree.breadcrumbs.length - 2);
      return;
    }
    if (s.node.other) return;
    const p = drillPath(s, this.tree.breadcrumbs);
    if (p) { $('#tooltip').hidden = true; this.hover = null; this.change(p, { push: true }); }
  }

  /* ---------- the page hook (docs/API.md, "Pages") ---------- */

  hook() {
    const page = this;
    return Object.freeze({
      page: 'diff',
      idle: () => page.pending === 0 && !!page.tree && !!page.summary,
      state: () => JSON.parse(JSON.stringify(page.state)),
      firstChartMs: () => page.metrics.firstChartMs,
      nodes: () => {
        if (!page.layout || !page.tree) return [];
        const r = $('#chart').getBoundingClientRect();
        const o = page.opts();
        const shapes = page.layout.rects || page.layout.arcs;
        return shapes.map((s) => ({
          name: s.node.name, label: s.node.label ?? null, fid: s.node.fid ?? null, fid_b: s.node.fid_b ?? null, depth: s.depth,
          value_a: s.node.value_a, value_b: s.node.value_b, change: nodeColor(s.node, o).cls,
          x: s.x !== undefined ? r.left + s.x : null, y: s.y !== undefined ? r.top + s.y : null, w: s.w ?? null, h: s.h ?? null,
        }));
      },
    });
  }
}

const ids = idsFromPath(window.location.pathname);
if (!ids) {
  fatal('Not a compare link', 'A compare link is /diff/<id of run A>/<id of run B>, each 32 hex digits.');
} else {
  const page = new DiffPage(ids);
  window.__pstatsviz = page.hook();
  page.start();
}
