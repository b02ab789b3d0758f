// The chart's hover tooltip: what a node is and what it costs. Built with
// textContent only.

import { h, replaceChildren } from './dom.js';
import { displayText, fmtSeconds, fmtPct, fmtCount, fmtNcalls, fullLocation, truncate, cutPath } from '../model/format.js';
import { nodeName } from '../model/tree.js';

const MAX_NAME = 300;
// The characters of 11.5px monospace (.tip-loc) on one line of the
// tooltip at its widest (460 px less its padding): a longer path is cut in
// the middle, so that its file name and line show.
const TIP_PATH_CHARS = 62;

function row(label, ...value) {
  return h('div', { className: 'tip-row' }, h('span', { className: 'tip-k', text: label }), h('span', { className: 'tip-v' }, ...value));
}

function pctOf(v, whole) {
  return whole > 0 ? fmtPct((100 * v) / whole) : '–';
}

/**
 * ctx: {total (what shares "of all" are of: shareBase()), root (the
 * current root node), fnRow (the function's /functions row when known),
 * isRoot, view, inverted (the tree's children are callers)}
 */
export function renderTooltip(el, shape, ctx) {
  const parts = [];
  if (shape.agg) {
    parts.push(h('div', { className: 'tip-name', text: `${fmtCount(shape.count)} small ${shape.count === 1 ? 'call' : 'calls'}` }));
    parts.push(h('div', { className: 'tip-loc', text: 'each narrower than a pixel here: drawn as one' }));
    parts.push(row('cumulative', `${fmtSeconds(shape.value)} · ${pctOf(shape.value, ctx.total)} of all`));
    replaceChildren(el, parts);
    return;
  }
  const n = shape.node;
  if (n.other) {
    parts.push(h('div', { className: 'tip-name other', text: nodeName(n) }));
    parts.push(h('div', { className: 'tip-loc', text: ctx.inverted ? 'callers below the cutoff, merged' : 'callees below the cutoff, merged' }));
    parts.push(row('cumulative', `${fmtSeconds(n.value)} · ${pctOf(n.value, ctx.total)} of all · ${pctOf(n.value, ctx.root.value)} of root`));
    parts.push(h('div', { className: 'tip-hint', text: 'Lower the cutoff to see them one by one.' }));
    replaceChildren(el, parts);
    return;
  }
  if (n.unrecorded) {
    parts.push(h('div', { className: 'tip-name other', text: nodeName(n) }));
    parts.push(h('div', { className: 'tip-loc', text: 'time no recorded call accounts for' }));
    parts.push(row('cumulative', `${fmtSeconds(n.value)} · ${pctOf(n.value, ctx.total)} of all`));
    parts.push(h('div', { className: 'tip-flag', text: 'Part of the call above that neither its own time nor its recorded callees account for: the profiler was off during part of it, or the file\'s times disagree.' }));
    replaceChildren(el, parts);
    return;
  }
  const isAll = n.fid === null || n.fid === undefined;
  parts.push(h('div', { className: 'tip-name', text: truncate(displayText(n.name), MAX_NAME) }));
  if (!isAll) parts.push(h('div', { className: 'tip-loc', text: cutPath(truncate(displayText(fullLocation(n.file, n.line)), 2000), TIP_PATH_CHARS) }));
  else parts.push(h('div', { className: 'tip-loc', text: 'the whole profile: every entry point' }));

  const rootIsAll = !ctx.root || ctx.root.fid === null || ctx.root.fid === undefined;
  const ofRoot = !rootIsAll && ctx.root !== n && ctx.root.value > 0 ? ` · ${pctOf(n.value, ctx.root.value)} of root` : '';
  // Two numbers, each named: this node's time on this path, and the
  // function's own cumtime over all its paths, as pstats prints it. They
  // agree on exact nodes that carry the whole function.
  parts.push(row(isAll ? 'cumulative' : 'this path', h('b', { text: fmtSeconds(n.value) }), ` · ${pctOf(n.value, ctx.total)} of all${ofRoot}`));
  if (!isAll) {
    const f = ctx.fnRow;
    parts.push(row('function total (pstats cumtime)', f ? `${fmtSeconds(f.ct)} · ${pctOf(f.ct, ctx.total)} of all` : h('span', { className: 'muted', text: 'loading totals…' })));
  }
  // Inverted, a node's self is the root's time that came in through no
  // recorded caller of it: calls from outside the profile.
  if (!isAll && typeof n.self === 'number') parts.push(row(ctx.inverted ? 'no caller' : 'self', `${fmtSeconds(n.self)} · ${pctOf(n.self, ctx.total)} of all`));
  if (!isAll) {
    if (typeof n.calls === 'number') parts.push(row(shape.depth === 0 ? 'calls' : 'calls here', fmtCount(n.calls)));
    const f = ctx.fnRow;
    if (f) {
      const calls = fmtNcalls(f.nc, f.cc);
      parts.push(row('function', `${calls} ${calls === '1' ? 'call' : 'calls'} · tottime ${fmtSeconds(f.tt)}`));
    }
    if (n.exact === false) {
      parts.push(h('div', { className: 'tip-flag estimated', text: ctx.inverted ? 'estimated: the root\'s time through this caller, split in proportion to the caller edges' : 'estimated: this path\'s share of the function\'s time, split in proportion to the edges' }));
    } else {
      parts.push(h('div', { className: 'tip-flag exact', text: 'exact: the time recorded for this call edge' }));
    }
    if (n.recursive) parts.push(h('div', { className: 'tip-flag recursive', text: '\u21bb recursion: already on the path above, not expanded again' }));
  }
  if (!ctx.isRoot && !n.recursive) parts.push(h('div', { className: 'tip-hint', text: ctx.inverted ? 'Click to show its own callers' : 'Click to zoom in' }));
  else if (ctx.isRoot && !isAll) parts.push(h('div', { className: 'tip-hint', text: ctx.view === 'sunburst' ? 'Click the centre to go up' : 'Backspace goes up a level' }));
  replaceChildren(el, parts);
}
