// memory_profiler's per-line tables as the pages show them: one function's
// lines with their memory, increment and occurrences beside the source
// text, the largest increment highlighted (the memory page, the viewer's
// details panel); and one function of two runs side by side (the compare
// page). Built with dom.js h(): the report's text goes in as text only.

import { h } from './dom.js';
import { lineRows, pairLines, fmtMiB, fmtMiBDelta } from '../model/memory.js';
import { displayText, truncate, fmtCount } from '../model/format.js';

const MAX_TEXT = 300;

function codeCell(text) {
  const raw = String(text).replace(/\t/g, '    ');
  return h('td', { className: 'code mono', text: raw === '' ? ' ' : truncate(displayText(raw), MAX_TEXT) });
}

// The unit is in the column's heading: the numbers stay narrow, for the details panel.
function mib(x) {
  return x === null ? '' : fmtMiB(x).replace(/ MiB$/, '');
}

function inc(x) {
  return x === null ? '' : fmtMiBDelta(x).replace(/ MiB$/, '');
}

/**
 * A function's lines as a table: line, mem usage, increment, occurrences,
 * line contents. The row of the largest increment has class "top" (and
 * data-top); `highlight`, a line number, marks another row as the one the
 * viewer points at (the profile's function line).
 */
export function lineTable(fn, { highlight = null, caption = null } = {}) {
  const rows = lineRows(fn);
  const head = h('tr', {},
    h('th', { className: 'num', text: 'line' }),
    h('th', { className: 'num', text: 'mem MiB', title: 'memory usage after the line ran (MiB)' }),
    h('th', { className: 'num', text: 'inc. MiB', title: 'increment: what the line added (MiB)' }),
    h('th', { className: 'num', text: 'occ.', title: 'occurrences: how many times the line ran' }),
    h('th', { text: 'line contents' }));
  const body = rows.map((r) => h('tr', {
    className: 'mem-line' + (r.top ? ' top' : '') + (r.line === highlight ? ' hl' : ''),
    dataset: r.top ? { line: r.line, top: '1' } : { line: r.line },
    title: r.top ? 'the largest increment of this function' : null,
  },
  h('td', { className: 'num ln', text: String(r.line) }),
  h('td', { className: 'num', text: mib(r.mem) }),
  h('td', { className: 'num inc' + (r.inc > 0 ? ' grew' : ''), text: inc(r.inc) }),
  h('td', { className: 'num', text: r.occ === null ? '' : fmtCount(r.occ) }),
  codeCell(r.text)));
  return h('div', { className: 'mem-lines-wrap' },
    caption,
    h('table', { className: 'mem-lines', attrs: { 'aria-label': 'memory per line' } }, h('thead', {}, head), h('tbody', {}, body)));
}

/**
 * One function of two runs, line by line: increment in A, in B, the
 * change, and the source text (B's when both have the line). Lines pair by
 * their offset from the function's first line (model/memory.js pairLines).
 */
export function pairedLineTable(fa, fb) {
  const pairs = pairLines(fa, fb);
  let topA = null;
  let topB = null;
  for (const p of pairs) {
    if (p.a && p.a.top) topA = p;
    if (p.b && p.b.top) topB = p;
  }
  const head = h('tr', {},
    h('th', { className: 'num', text: 'line A' }),
    h('th', { className: 'num', text: 'inc. A (MiB)' }),
    h('th', { className: 'num', text: 'line B' }),
    h('th', { className: 'num', text: 'inc. B (MiB)' }),
    h('th', { className: 'num', text: 'Δ (MiB)' }),
    h('th', { text: 'line contents' }));
  const body = pairs.map((p) => h('tr', {
    className: 'mem-line' + (p === topA ? ' top-a' : '') + (p === topB ? ' top-b' : ''),
    dataset: { offset: p.offset },
  },
  h('td', { className: 'num ln', text: p.a ? String(p.a.line) : '' }),
  h('td', { className: 'num inc' + (p === topA ? ' top' : ''), text: p.a ? inc(p.a.inc) : '' }),
  h('td', { className: 'num ln', text: p.b ? String(p.b.line) : '' }),
  h('td', { className: 'num inc' + (p === topB ? ' top' : ''), text: p.b ? inc(p.b.inc) : '' }),
  h('td', { className: 'num delta' + (p.delta > 0 ? ' grew' : p.delta < 0 ? ' shrank' : ''), text: p.delta === null ? '' : inc(p.delta) }),
  codeCell(p.text)));
  return h('table', { className: 'mem-lines paired', attrs: { 'aria-label': 'memory per line in both runs' } }, h('thead', {}, head), h('tbody', {}, body));
}
