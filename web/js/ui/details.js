// The right-side details panel: the selected function (GET .../functions/<fid>)
// with its totals, callers, callees and source, or, with nothing selected,
// the profile's summary and entry points. Text only through textContent.

import { fetchFunction, fetchSource } from '../api.js';
import { h, replaceChildren, fitText } from './dom.js';
import { lineTable } from './memlines.js';
import { fmtMiBDelta, totalIncrement } from '../model/memory.js';
import { displayText, fmtSeconds, fmtPstats, fmtPct, fmtCount, fmtNcalls, fullLocation, vscodeLink, truncate, baseName, cutPath } from '../model/format.js';

const MAX_EDGE_ROWS = 100;
const KIND_LABEL = { user: 'your code', 'site-packages': 'site-packages', stdlib: 'stdlib', builtin: 'built-in' };

export class Details {
  /** cb: {onFocusFunction(fid), onCallers(fid), onEntry(fid), onFunctionRow(row), track(promise)} */
  constructor(el, profileId, cb) {
    this.el = el;
    this.id = profileId;
    this.cb = cb;
    this.fid = undefined;
    this.abort = null;
    this.meta = null;
    this.edgeSort = { callers: ['ct', 'desc'], callees: ['ct', 'desc'] };
    this.data = null;
    this.rootFid = null; // the chart shows every call of this function (root mode)
    this.inverted = false; // ... or, inverted, its callers
  }

  /**
   * The function the chart is rooted at (root mode), or null, and whether
   * the chart shows its callers (inverted).  The button for what the chart
   * shows already is hidden.
   */
  setRoot(fid, inverted = false) {
    this.rootFid = fid ?? null;
    this.inverted = this.rootFid !== null && inverted;
    const shown = this.data?.function?.fid === this.rootFid;
    const all = this.el.querySelector('#show-all-calls');
    if (all) all.hidden = shown && !this.inverted;
    const callers = this.el.querySelector('#show-callers');
    if (callers) callers.hidden = shown && this.inverted;
  }

  setProfile(meta) {
    this.meta = meta;
    if (this.fid === null) this.renderSummary();
  }

  /** Shows the same function again, fetched anew (memory data was attached). */
  reload() {
    const fid = this.fid;
    this.fid = undefined;
    this.show(fid);
  }

  /** Shows function fid (a number), or the profile summary for null. */
  async show(fid) {
    if (fid === this.fid) return;
    this.fid = fid;
    if (this.abort) this.abort.abort();
    this.abort = null;
    if (fid === null || fid === undefined) {
      this.fid = null;
      this.renderSummary();
      return;
    }
    const ac = new AbortController();
    this.abort = ac;
    replaceChildren(this.el, h('div', { className: 'details-loading', text: 'Loading function…' }));
    const res = await this.cb.track(fetchFunction(this.id, fid, { signal: ac.signal }));
    if (ac.signal.aborted) return;
    if (!res.ok) {
      replaceChildren(this.el, h('div', { className: 'message error' },
        res.error.status === 404 ? `There is no function ${fid} in this profile.` : res.error.message));
      return;
    }
    this.data = res.data;
    if (res.data.function) this.cb.onFunctionRow(res.data.function);
    this.renderFunction();
    const src = await fetchSource(this.id, fid, { signal: ac.signal });
    if (ac.signal.aborted) return;
    this.renderSource(src);
  }

  renderSummary() {
    const m = this.meta;
    if (!m) { replaceChildren(this.el); return; }
    const parts = [
      h('div', { className: 'details-kicker', text: 'Profile' }),
      h('h2', { className: 'fn-name', text: displayText(m.name) }),
      statGrid([
        ['total time', fmtSeconds(m.total_time)],
        ['functions', fmtCount(m.functions)],
        ['calls', fmtCount(m.total_calls)],
        ['primitive calls', fmtCount(m.prim_calls)],
        ['call edges', fmtCount(m.edges)],
        ['format', 'marshal v' + m.marshal_version + (m.python2 ? ' (Python 2)' : '')],
      ]),
    ];
    if (Array.isArray(m.warnings) && m.warnings.length) {
      parts.push(h('h3', { text: 'Warnings' }), h('ul', { className: 'warnings' }, m.warnings.map((w) => h('li', { text: displayText(w) }))));
    }
    if (Array.isArray(m.entries) && m.entries.length) {
      parts.push(h('h3', { text: 'Entry points' }));
      parts.push(h('ul', { className: 'entries' }, m.entries.slice(0, 50).map((e) => h('li', {},
        h('button', { className: 'linkish', type: 'button', title: displayText(e.label), onclick: () => this.cb.onEntry(e.fid) },
          h('span', { className: 'mono', text: truncate(displayText(e.name), 80) })),
        h('span', { className: 'num muted', text: ' ' + fmtSeconds(e.value) })))));
    }
    parts.push(h('p', { className: 'hint', text: 'Click a node in the chart, or a row in the table, to see a function here.' }));
    replaceChildren(this.el, parts);
  }

  renderFunction() {
    const { function: f, callers = [], callees = [] } = this.data;
    const loc = fullLocation(f.file, f.line);
    const link = vscodeLink(f.file, f.line);
    const parts = [
      h('div', { className: 'details-kicker' },
        h('span', { className: 'badge kind-' + (f.kind || 'user'), text: KIND_LABEL[f.kind] || f.kind || '' }),
        h('span', { className: 'muted', text: ' fid ' + f.fid })),
      h('h2', { className: 'fn-name', title: displayText(f.name), text: truncate(displayText(f.name), 2000) }),
      h('div', { className: 'fn-loc' },
        h('span', { className: 'mono', id: 'fn-location' }),
        link ? vscodeButton(link) : null),
      statGrid([
        ['ncalls', fmtNcalls(f.nc, f.cc), 'calls (primitive calls when they differ)'],
        ['tottime', fmtPstats(f.tt) + ' s', 'time in the function itself'],
        ['percall', f.tt_percall == null ? '–' : fmtSeconds(f.tt_percall), 'tottime / ncalls'],
        ['cumtime', fmtPstats(f.ct) + ' s', 'time in the function and everything it called'],
        ['percall', f.ct_percall == null ? '–' : fmtSeconds(f.ct_percall), 'cumtime / primitive calls'],
        // Of all, as the chart counts it (the server's ct_pct): the larger
        // of pstats' total and the top calls' time, so at most 100% where
        // the profiler was off for a while (docs/API.md).
        ['cum %', fmtPct(f.ct_pct), `cumtime is ${fmtPct(f.ct_pct)} and tottime ${fmtPct(f.tt_pct)} of all, as in the chart: the larger of pstats' total and the time of the calls at the top`],
      ], 'fn-stats'),
      h('div', { className: 'fn-actions' },
        h('button', { className: 'button small', type: 'button', id: 'show-all-calls', text: 'Show all its calls in the chart', title: 'The tree of this function over every path that reaches it (root mode)', onclick: () => this.cb.onFocusFunction(f.fid) }),
        h('button', { className: 'button small', type: 'button', id: 'show-callers', text: 'Callers of this function', title: 'Who calls it, up to the entry points, and how much of its time came through each (the inverted tree)', onclick: () => this.cb.onCallers(f.fid) })),
      this.memorySection(this.data.memory, f),
      this.edgeTable('callers', 'Called by', callers),
      this.edgeTable('callees', 'Calls', callees),
      h('section', { className: 'source', id: 'source' }, h('h3', { text: 'Source' }), h('div', { className: 'muted', text: 'Loading source…' })),
    ];
    replaceChildren(this.el, parts);
    // One line, cut in the middle: the file name and line stay in view.
    fitText(this.el.querySelector('#fn-location'), truncate(displayText(loc), 2000), cutPath);
    this.setRoot(this.rootFid, this.inverted);
    this.el.scrollTop = 0;
  }

  /**
   * The function's lines from an attached memory_profiler report (the
   * function detail's "memory"): memory, increment and occurrences beside
   * each line, the largest increment highlighted. null when there is none.
   */
  memorySection(mem, f) {
    if (!mem || !Array.isArray(mem.lines)) return null;
    return h('section', { className: 'memory', id: 'memory-lines' },
      h('h3', {}, 'Memory per line ', h('span', { className: 'count', text: ' ' + fmtMiBDelta(totalIncrement(mem)) })),
      lineTable(mem, { highlight: f.line }));
  }

  edgeTable(which, title, list) {
    const [key, order] = this.edgeSort[which];
    const sorted = list.slice().sort((a, b) => cmpEdge(a, b, key) * (order === 'asc' ? 1 : -1));
    const cols = [['nc', 'calls'], ['tt', 'tottime'], ['ct', 'cumtime'], ['name', 'function']];
    const head = h('tr', {}, cols.map(([k, label]) => {
      const active = k === key;
      return h('th', {
        className: (k === 'name' ? '' : 'num ') + 'sortable' + (active ? ' sorted ' + order : ''),
        attrs: { 'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : 'none' },
        onclick: () => {
          const o = active ? (order === 'asc' ? 'desc' : 'asc') : (k === 'name' ? 'asc' : 'desc');
          this.edgeSort[which] = [k, o];
          const sec = this.el.querySelector(`section[data-edges="${which}"]`);
          if (sec) sec.replaceWith(this.edgeTable(which, title, list));
        },
      }, label);
    }));
    const rows = sorted.slice(0, MAX_EDGE_ROWS).map((e) => {
      const click = e.fid === null || e.fid === undefined ? null : () => this.cb.onFocusFunction(e.fid);
      return h('tr', { className: click ? 'clickable' : 'dangling', title: displayText(e.label || ''), onclick: click },
        h('td', { className: 'num', text: e.count_only ? fmtCount(e.nc) : fmtNcalls(e.nc, e.cc) }),
        h('td', { className: 'num', text: e.tt == null ? '–' : fmtPstats(e.tt) }),
        h('td', { className: 'num', text: e.ct == null ? '–' : fmtPstats(e.ct) }),
        h('td', { className: 'fn' },
          h('span', { className: 'mono', text: truncate(displayText(e.name), 120) }),
          e.file === '~' ? null : h('span', { className: 'muted loc', text: ' ' + truncate(displayText(baseName(e.file) + ':' + e.line), 80) })));
    });
    const more = sorted.length > MAX_EDGE_ROWS ? h('div', { className: 'muted', text: `and ${fmtCount(sorted.length - MAX_EDGE_ROWS)} more` }) : null;
    return h('section', { className: 'edges', dataset: { edges: which } },
      h('h3', {}, title, h('span', { className: 'count', text: ' ' + fmtCount(list.length) })),
      list.length ? h('table', { className: 'edge-table' }, h('thead', {}, head), h('tbody', {}, rows)) : h('div', { className: 'muted', text: which === 'callers' ? 'No recorded callers: an entry point.' : 'Calls nothing that was profiled.' }),
      more);
  }

  /**
   * The VS Code link of the file the server read: it is absolute and on
   * this machine, where the recorded path may be relative (the user's own
   * script, main.py) or another machine's (/app/... in a container).
   */
  linkTo(path, line) {
    const link = typeof path === 'string' ? vscodeLink(path, line) : null;
    const loc = this.el.querySelector('.fn-loc');
    if (!link || !loc) return;
    const old = loc.querySelector('#open-vscode');
    if (old) old.remove();
    loc.append(vscodeButton(link));
  }

  renderSource(res) {
    const sec = this.el.querySelector('#source');
    if (!sec) return;
    if (!res.ok) {
      // The server says why (no --source-root, not found under it, outside it).
      const why = String(res.error.message || '').replace(/^source not available:?\s*/i, '');
      replaceChildren(sec, h('h3', { text: 'Source' }), h('div', { className: 'muted source-missing', text: why ? `Source not available: ${truncate(why, 300)}.` : 'Source not available.' }));
      return;
    }
    const d = res.data;
    this.linkTo(d.path, d.line);
    const lines = Array.isArray(d.lines) ? d.lines : [];
    const first = Number.isInteger(d.first_line) ? d.first_line : 1;
    const width = String(first + lines.length).length;
    let hl = null;
    const rows = lines.map((text, i) => {
      const no = first + i;
      const raw = String(text).replace(/\r?\n$/, '').replace(/\t/g, '    ');
      const el = h('div', { className: 'src-line' + (no === d.line ? ' hl' : '') },
        h('span', { className: 'ln', text: String(no).padStart(width, ' ') }),
        h('span', { className: 'code', text: raw === '' ? ' ' : displayText(raw) }));
      if (no === d.line) hl = el;
      return el;
    });
    const pre = h('div', { className: 'src', attrs: { role: 'region', 'aria-label': 'source' } }, rows);
    replaceChildren(sec, h('h3', {}, 'Source ', h('span', { className: 'h3-file mono', text: truncate(displayText(baseName(d.file) + ':' + d.line), 120) })), pre);
    if (hl) pre.scrollTop = Math.max(0, hl.offsetTop - pre.clientHeight / 3);
  }
}

function vscodeButton(link) {
  return h('a', { className: 'button small', id: 'open-vscode', href: link, title: 'Open this line in Visual Studio Code', text: 'Open in VS Code' });
}

function cmpEdge(a, b, key) {
  if (key === 'name') return String(a.name).localeCompare(String(b.name));
  const x = a[key] ?? -Infinity;
  const y = b[key] ?? -Infinity;
  return x < y ? -1 : x > y ? 1 : 0;
}

function statGrid(items, cls = '') {
  return h('dl', { className: 'stats ' + cls }, items.map(([k, v, title]) =>
    h('div', { className: 'stat', title: title || null }, h('dt', { text: k }), h('dd', { text: v }))));
}
