// Search over the nodes of the current tree. Pure: no DOM.
//
// The query is a case-insensitive JavaScript regular expression when it
// parses, else plain text. It is matched against a node's name and its
// pstats label ("file:line(name)"), so "rule_policy.py:895" finds the lambda.

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
export const NO_SEARCH = Object.freeze({ count: 0, value: 0, first: null, firstBelow: null, matches: null });

/**
 * Finds the matches in a tree of model nodes and sums them:
 *   {count, value, first, firstBelow, matches}
 * count is the number of matching nodes; value adds the value of each
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
  if (!root) return { count, value, first, firstBelow, matches };
  // Preorder with an explicit "inside a match" depth marker.
  const stack = [[root, false]];
  while (stack.length) {
    const [n, inside] = stack.pop();
    const m = nodeMatches(n, query);
    if (m) {
      matches.add(n);
      count++;
      if (!inside) value += n.value || 0;
      if (!first) first = n;
      if (!firstBelow && n !== root) firstBelow = n;
    }
    const ch = n.children || [];
    for (let i = ch.length - 1; i >= 0; i--) stack.push([ch[i], inside || m]);
  }
  return { count, value, first, firstBelow, matches };
}

/** Escapes text for use as a literal in a POSIX extended regular expression. */
export function escapeEre(s) {
  return String(s).replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
}
