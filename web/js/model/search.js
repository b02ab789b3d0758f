// Search over the nodes of the current tree, and the words that sum up a
// search of the whole profile (the server's). Pure: no DOM.
//
// The query is a case-insensitive JavaScript regular expression when it
// parses, else plain text. It is matched against a node's name and its
// pstats label ("file:line(name)"), so "rule_policy.py:895" finds the lambda.

import { displayText, fmtCount, fmtPct, truncate } from './format.js';

const MAX_QUERY = 1000;

/**
 * {test(text) → bool, regex: bool, empty: bool}. Never throws: a query
 * that is not a valid regular expression is searched for as text.
 */
export function compileQuery(q) {
  q = typeof q === 'string' ? q.slice(0, MAX_QUERY) : '';
  if (q.trim() === '') return { empty: true, regex: false, test: () => false };
  try {
    const re = new RegExp(q, 'i');
    return { empty: false, regex: true, test: (s) => { re.lastIndex = 0; return re.test(s); } };
  } catch {
    const needle = q.toLowerCase();
    return { empty: false, regex: false, test: (s) => s.toLowerCase().includes(needle) };
  }
}

/** Whether a node matches a compiled query ("other" nodes never do). */
export function nodeMatches(node, query) {
  if (!node || node.other || node.unrecorded || query.empty) return false;
  if (node.fid === null || node.fid === undefined) return false;
  const name = typeof node.name === 'string' ? node.name : '';
  const label = typeof node.label === 'string' ? node.label : '';
  return query.test(name) || (label !== '' && query.test(label));
}

/** The result of searching nothing: no match, no node dimmed. */
export const NO_SEARCH = Object.freeze({ count: 0, functions: 0, value: 0, first: null, firstBelow: null, matches: null });

/**
 * Finds the matches in a tree of model nodes and sums them:
 *   {count, functions, value, first, firstBelow, matches}
 * count is the number of matching nodes, functions the number of distinct
 * functions among them; value adds the value of each
 * matching node that has no matching ancestor, so nested matches (a
 * recursive function, or a match under a match) are not counted twice.
 * first is the first match in preorder, firstBelow the first that is not
 * the root itself. matches is the Set of matching nodes, for drawing. The
 * nodes are not changed.
 */
export function searchTree(root, query) {
  let count = 0;
  let value = 0;
  let first = null;
  let firstBelow = null;
  const matches = new Set();
  const fids = new Set();
  if (!root) return { count, functions: 0, value, first, firstBelow, matches };
  // Preorder with an explicit "inside a match" depth marker.
  const stack = [[root, false]];
  while (stack.length) {
    const [n, inside] = stack.pop();
    const m = nodeMatches(n, query);
    if (m) {
      matches.add(n);
      fids.add(n.fid);
      count++;
      if (!inside) value += n.value || 0;
      if (!first) first = n;
      if (!firstBelow && n !== root) firstBelow = n;
    }
    const ch = n.children || [];
    for (let i = ch.length - 1; i >= 0; i--) stack.push([ch[i], inside || m]);
  }
  return { count, functions: fids.size, value, first, firstBelow, matches };
}

/** Escapes text for use as a literal in a POSIX extended regular expression. */
export function escapeEre(s) {
  return String(s).replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
}

/**
 * The line under the search box, {text, title, none}, from the server's
 * summary of the whole profile (GET .../functions?q=, docs/API.md
 * "Searching the whole profile"):
 *   summary: null (no search), {loading: true}, {error: message}, or
 *            {count, pct, top: {name, ct_pct} | null, literal}
 *   drawn:   how many distinct matching functions the chart draws, or
 *            null in the table (which lists them all)
 *   zoomed:  whether the chart shows a part of the profile (a path or a
 *            root), so that a match not drawn may lie outside it rather
 *            than below the drawn depth
 * none is true when nothing matches. Pure.
 */
export function searchInfo(summary, drawn, zoomed) {
  if (!summary) return { text: '', title: '', none: false };
  if (summary.loading) return { text: 'searching…', title: 'Searching the whole profile', none: false };
  if (summary.error) return { text: 'search failed', title: summary.error, none: true };
  const how = summary.literal ? ' (searched as text: not a valid regular expression)' : '';
  if (!summary.count) return { text: 'no match', title: 'No function of the profile matches' + how + '.', none: true };
  const n = summary.count;
  let text = `${fmtCount(n)} ${n === 1 ? 'match' : 'matches'} · ${fmtPct(summary.pct)} of all`;
  const title = [`${fmtCount(n)} ${n === 1 ? 'function matches' : 'functions match'} in the whole profile${how}, ` +
    `taking ${fmtPct(summary.pct)} of the total time together (by their own cumtime, nested matches counted once).`];
  if (drawn !== null && drawn !== undefined) {
    const hidden = Math.max(0, n - drawn);
    if (hidden) {
      text += ` · ${fmtCount(hidden)} ${zoomed ? 'outside this view' : 'below the drawn depth'}`;
      title.push(`${fmtCount(hidden)} of them ${hidden === 1 ? 'is' : 'are'} not drawn: ` +
        (zoomed ? 'outside the part of the profile shown, below its depth, or under the cutoff.' : 'below the drawn depth, or under the cutoff.'));
    }
  }
  if (summary.top) title.push(`Enter opens the largest: ${truncate(displayText(summary.top.name), 200)} (${fmtPct(summary.top.ct_pct)} of all).`);
  return { text, title: title.join(' '), none: false };
}
