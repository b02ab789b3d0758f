// The function table (pstats' columns), virtualised: a spacer as tall as
// all rows keeps the scrollbar honest, only the rows in view exist in the
// DOM, and pages of PAGE rows are fetched from GET .../functions as the
// user scrolls. 300k functions scroll like 30.
//
// It is an ARIA grid (the scrolled box, which takes the focus): the header
// row's column headers carry aria-sort on the sorted one, rows carry
// aria-rowindex and aria-selected, and aria-activedescendant names the
// selected row, so that a screen reader follows the arrow keys.

import { fetchFunctions } from '../api.js';
import { escapeEre } from '../model/search.js';
import { colorFor } from '../model/colors.js';
import { defaultOrder } from '../state.js';
import { h, replaceChildren, setText, charsThatFit } from './dom.js';
import { fmtMiBDelta } from '../model/memory.js';
import { displayText, fmtPstats, fmtSeconds, fmtNcalls, fmtCount, fmtPct, truncate, cutLabel } from '../model/format.js';

export const ROW_H = 22;
const PAGE = 200;
const OVERSCAN = 10;
const MAX_INFLIGHT = 3;
const MAX_LABEL = 400;
// The name cell's padding, colour dot and gap, in CSS pixels (app.css .td.name).
const NAME_CELL_EXTRA_PX = 12 + 9 + 6;

// [header, sort key, title]
const COLUMNS = [
  ['ncalls', 'ncalls', 'number of calls (nc/cc when the function recursed)'],
  ['tottime', 'tottime', 'time spent in the function itself'],
  ['percall', 'tt_percall', 'tottime / ncalls'],
  ['cumtime', 'cumtime', 'time in the function and everything it called'],
  ['percall', 'ct_percall', 'cumtime / primitive calls'],
  // Shown only when the profile has a memory_profiler report attached (setMemory()).
  ['Mem +', 'mem_inc', 'memory the function\'s lines added, by the attached memory_profiler report (MiB); functions without line data last'],
  ['filename:lineno(function)', 'file', 'sorted by file name'],
];
const NUM_COLUMNS = COLUMNS.length - 1;
const MEM_COLUMN = 5;

/** [directory, "file:line(function)"] of a label; builtins have no directory. */
export function splitLabel(text, row) {
  if (!row || row.file === '~' || row.kind === 'builtin') return ['', text];
  const open = text.indexOf('(');
  const head = open >= 0 ? text.slice(0, open) : text;
  const slash = Math.max(head.lastIndexOf('/'), head.lastIndexOf('\\'));
  return slash >= 0 ? [text.slice(0, slash + 1), text.slice(slash + 1)] : ['', text];
}

export class Table {
  /**
   * els: {head, scroll, spacer, rows, foot}
   * cb: {onSelect(fid), onOpen(fid), onSort(sort, order), onError(err), track(promise)}
   *
   * A click selects a row (the details panel shows it; the table stays);
   * a double-click or Enter opens it in the chart.  The table takes the
   * keyboard focus: ArrowUp/Down and PageUp/Down move the selection.
   */
  constructor(profileId, els, cb) {
    this.id = profileId;
    this.els = els;
    this.cb = cb;
    this.q = { sort: 'cumtime', order: 'desc', q: '' };
    this.literal = false; // q was not a valid POSIX ERE: searched as text
    this.total = null;
    this.pages = new Map();
    this.inflight = 0;
    this.gen = 0;
    this.selectedFid = null;
    this.selectedIndex = -1; // its row, when known (the chart can select a function not in view)
    this.pool = [];
    this.active = false;
    this.renderFrame = 0;
    this.scrollTopDue = false; // a new query: scroll to the top when rendered
    this.buildHead();
    els.scroll.addEventListener('scroll', () => this.scheduleRender());
    els.scroll.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.scheduleRender()).observe(els.scroll);
  }

  buildHead() {
    // A column header holds the button that sorts by it.
    const cells = COLUMNS.map(([label, key, title], i) => h('div', {
      className: 'thc' + (i === MEM_COLUMN ? ' mem' : ''),
      attrs: { role: 'columnheader' },
    }, h('button', {
      type: 'button',
      className: 'th' + (i < NUM_COLUMNS ? ' num' : ' name') + (i === MEM_COLUMN ? ' mem' : ''),
      title: title + ' (click to sort)',
      dataset: { sort: key },
      onclick: () => {
        const order = this.q.sort === key ? (this.q.order === 'asc' ? 'desc' : 'asc') : defaultOrder(key);
        this.cb.onSort(key, order);
      },
    }, label, h('span', { className: 'sort-mark' }))));
    replaceChildren(this.els.head, cells);
  }

  markHead() {
    for (const cell of this.els.head.children) {
      const b = cell.firstChild;
      const on = b.dataset.sort === this.q.sort;
      b.classList.toggle('sorted', on);
      // Only the sorted column has aria-sort (WAI-ARIA: on one header at a time).
      if (on) cell.setAttribute('aria-sort', this.q.order === 'asc' ? 'ascending' : 'descending');
      else cell.removeAttribute('aria-sort');
      setText(b.querySelector('.sort-mark'), on ? (this.q.order === 'asc' ? ' ▲' : ' ▼') : '');
    }
  }

  /** Shows the "Mem +" column (the profile has line-by-line memory data) or hides it. */
  setMemory(on) {
    this.els.head.parentElement.classList.toggle('with-mem', !!on);
  }

  /** True when the first page for the current query is in (or failed): what the page hook's idle() waits for. */
  loaded() {
    return this.total !== null && !this.renderFrame;
  }

  /** The height of the rows' window: the box less its sticky header row. */
  viewHeight() {
    return Math.max(ROW_H, this.els.scroll.clientHeight - this.els.head.offsetHeight);
  }

  /** Points aria-activedescendant at the selected row, when it is drawn. */
  markActive() {
    const r = this.pool.find((x) => !x.el.hidden && x.fid !== null && x.fid === this.selectedFid);
    if (r) this.els.scroll.setAttribute('aria-activedescendant', r.el.id);
    else this.els.scroll.removeAttribute('aria-activedescendant');
  }

  /** Shows or hides the table; it fetches only while shown. */
  setActive(on) {
    this.active = on;
    if (on) this.scheduleRender();
  }

  /** {sort, order, q}: a change starts over from the first page. */
  setQuery(q) {
    if (q.sort === this.q.sort && q.order === this.q.order && q.q === this.q.q && this.total !== null) return;
    this.q = { sort: q.sort, order: q.order, q: q.q || '' };
    this.literal = false;
    this.reset();
  }

  reset() {
    this.gen++;
    this.failed = false;
    this.pages.clear();
    this.inflight = 0;
    this.total = null;
    // Back to the top when next shown (render): scrolling now would lay
    // out the page, even while the table is hidden.
    this.scrollTopDue = true;
    this.markHead();
    this.scheduleRender();
  }

  setSelected(fid) {
    if (fid !== this.selectedFid) {
      const r = this.pool.find((x) => !x.el.hidden && x.fid !== null && x.fid === fid);
      this.selectedIndex = r ? r.index : -1;
    }
    this.selectedFid = fid;
    for (const r of this.pool) {
      const on = r.fid !== null && r.fid === fid;
      r.el.classList.toggle('selected', on);
      r.el.setAttribute('aria-selected', String(on));
    }
    this.markActive();
  }

  /** Selects row i (when loaded) and scrolls it into view. */
  selectIndex(i) {
    if (!this.total) return;
    i = Math.max(0, Math.min(this.total - 1, i));
    const row = this.rowAt(i);
    const s = this.els.scroll;
    const view = this.viewHeight();
    if (i * ROW_H < s.scrollTop) s.scrollTop = i * ROW_H;
    else if ((i + 1) * ROW_H > s.scrollTop + view) s.scrollTop = (i + 1) * ROW_H - view;
    if (!row) return; // its page is on its way: the next key press finds it
    this.selectedIndex = i;
    this.selectedFid = row.fid;
    this.cb.onSelect(row.fid);
  }

  onKey(e) {
    const page = Math.max(1, Math.floor(this.viewHeight() / ROW_H) - 1);
    const firstInView = Math.ceil(this.els.scroll.scrollTop / ROW_H);
    const from = this.selectedIndex >= 0 ? this.selectedIndex : firstInView - 1;
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page }[e.key];
    if (step !== undefined) {
      this.selectIndex(this.selectedIndex < 0 && step < 0 ? firstInView : from + step);
    } else if (e.key === 'Home') {
      this.selectIndex(0);
    } else if (e.key === 'End') {
      this.selectIndex(this.total - 1);
    } else if (e.key === 'Enter' && this.selectedFid !== null) {
      this.cb.onOpen(this.selectedFid);
    } else {
      return;
    }
    e.preventDefault();
  }

  scheduleRender() {
    if (!this.active || this.renderFrame) return;
    this.renderFrame = requestAnimationFrame(() => { this.renderFrame = 0; this.render(); });
  }

  fetchPage(p) {
    if (this.failed || this.pages.has(p) || this.inflight >= MAX_INFLIGHT) return;
    const gen = this.gen;
    this.pages.set(p, null); // in flight
    this.inflight++;
    const qtext = this.literal ? escapeEre(this.q.q) : this.q.q;
    const req = fetchFunctions(this.id, { sort: this.q.sort, order: this.q.order, limit: PAGE, offset: p * PAGE, q: qtext || null });
    (p === 0 ? this.cb.track(req) : req).then((res) => {
      if (gen !== this.gen) return;
      this.inflight--;
      if (!res.ok) {
        this.pages.delete(p);
        if (res.error.status === 400 && this.q.q && !this.literal) {
          // Not a POSIX regular expression: search for the text itself.
          this.literal = true;
          this.reset();
          return;
        }
        this.failed = true;
        this.cb.onError(res.error);
        this.total = this.total ?? 0;
        this.render();
        return;
      }
      this.total = res.data.total;
      this.totalTime = res.data.total_time;
      this.pages.set(p, res.data.rows || []);
      this.scheduleRender();
    });
  }

  rowAt(i) {
    const page = this.pages.get(Math.floor(i / PAGE));
    return page ? page[i % PAGE] || null : null;
  }

  render() {
    const { scroll, spacer, rows, foot } = this.els;
    if (this.scrollTopDue) {
      scroll.scrollTop = 0;
      this.scrollTopDue = false;
    }
    if (this.total === null) {
      this.fetchPage(0);
      setText(foot, 'Loading…');
      return;
    }
    spacer.style.height = this.total * ROW_H + 'px';
    scroll.setAttribute('aria-rowcount', String(this.total + 1)); // the header row too
    const first = Math.max(0, Math.floor(scroll.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(this.total, Math.ceil((scroll.scrollTop + this.viewHeight()) / ROW_H) + OVERSCAN);
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) this.fetchPage(p);
    const need = last - first;
    while (this.pool.length < need) this.pool.push(this.makeRow());
    for (const r of this.pool) if (!r.el.parentNode) rows.append(r.el); // in the page, to measure their font
    // Labels are cut in the middle to the name column's width: the file
    // name, line and function name stay whole (model/format.js cutLabel).
    const nameHead = this.els.head.lastElementChild;
    const chars = this.pool.length && nameHead ? charsThatFit(this.pool[0].el, nameHead.clientWidth - NAME_CELL_EXTRA_PX) : MAX_LABEL;
    for (let k = 0; k < this.pool.length; k++) {
      const r = this.pool[k];
      const i = first + k;
      if (k >= need) { r.el.hidden = true; r.fid = null; continue; }
      r.el.hidden = false;
      r.el.style.top = i * ROW_H + 'px';
      this.fillRow(r, this.rowAt(i), i, chars);
    }
    const what = this.q.q ? ` matching ${this.literal ? 'the text' : ''} “${truncate(displayText(this.q.q), 60)}”` : '';
    setText(foot, `${fmtCount(this.total)} functions${what}` + (this.total ? ` · rows ${fmtCount(first + 1)}–${fmtCount(Math.max(first + 1, last))}` : '') + (this.literal ? ' (not a valid regular expression: searched as text)' : ''));
    rows.classList.toggle('empty', this.total === 0);
    this.markActive();
  }

  makeRow() {
    const cells = [];
    for (let c = 0; c <= NUM_COLUMNS; c++) {
      const className = c < NUM_COLUMNS ? 'td num' + (c === MEM_COLUMN ? ' mem' : '') : 'td name';
      cells.push(h('span', { className, attrs: { role: 'gridcell' } }));
    }
    const bar = h('span', { className: 'share' });
    cells[3].prepend(bar);
    const val = h('span', { className: 'v' });
    cells[3].append(val);
    const dot = h('span', { className: 'dot' });
    // The directory shrinks first, so the file, line and function stay in view.
    const dir = h('span', { className: 'dir' });
    const base = h('span', { className: 'base' });
    const label = h('span', { className: 'label' }, dir, base);
    cells[NUM_COLUMNS].append(dot, label);
    const el = h('div', { className: 'tr', id: 'table-row-' + this.pool.length, attrs: { role: 'row', 'aria-selected': 'false' } }, cells);
    const r = { el, cells, bar, val, dot, label, dir, base, fid: null, index: -1, key: null };
    el.addEventListener('click', () => {
      if (r.fid === null) return;
      this.selectedIndex = r.index;
      this.els.scroll.focus({ preventScroll: true });
      this.cb.onSelect(r.fid);
    });
    el.addEventListener('dblclick', () => { if (r.fid !== null) this.cb.onOpen(r.fid); });
    return r;
  }

  fillRow(r, row, i, chars) {
    const key = row ? this.gen + ':' + i + ':' + chars : null;
    r.index = i;
    if (r.key === key && key !== null) return;
    r.key = key;
    if (!row) {
      r.fid = null;
      r.el.classList.add('loading');
      r.el.classList.remove('selected');
      r.el.setAttribute('aria-selected', 'false');
      r.el.setAttribute('aria-rowindex', String(i + 2));
      r.el.removeAttribute('data-fid');
      for (let c = 0; c < NUM_COLUMNS; c++) if (c !== 3) setText(r.cells[c], '');
      setText(r.val, '');
      r.bar.style.width = '0';
      setText(r.dir, '');
      setText(r.base, '…');
      r.cells[NUM_COLUMNS].removeAttribute('aria-label');
      r.dot.style.background = 'transparent';
      return;
    }
    r.fid = row.fid;
    r.el.dataset.fid = String(row.fid);
    r.el.classList.remove('loading');
    r.el.classList.toggle('selected', row.fid === this.selectedFid);
    r.el.setAttribute('aria-selected', String(row.fid === this.selectedFid));
    r.el.setAttribute('aria-rowindex', String(i + 2)); // the header is row 1
    setText(r.cells[0], fmtNcalls(row.nc, row.cc));
    setText(r.cells[1], fmtPstats(row.tt));
    setText(r.cells[2], row.tt_percall == null ? '–' : fmtSeconds(row.tt_percall));
    setText(r.val, fmtPstats(row.ct));
    r.bar.style.width = Math.max(0, Math.min(100, row.ct_pct || 0)).toFixed(2) + '%';
    setText(r.cells[4], row.ct_percall == null ? '–' : fmtSeconds(row.ct_percall));
    setText(r.cells[MEM_COLUMN], Number.isFinite(row.mem_inc) ? fmtMiBDelta(row.mem_inc) : '');
    const whole = truncate(displayText(row.label), MAX_LABEL);
    const cut = splitLabel(cutLabel(whole, chars), row);
    r.cells[NUM_COLUMNS].setAttribute('aria-label', whole); // a screen reader reads it whole
    setText(r.dir, cut[0]);
    setText(r.base, cut[1]);
    r.el.title = `${truncate(displayText(row.label), 2000)}\ncumtime ${fmtPct(row.ct_pct)} of all · tottime ${fmtPct(row.tt_pct)}`;
    r.dot.style.background = colorFor(row);
  }
}
