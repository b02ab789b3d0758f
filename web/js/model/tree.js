// The call tree as the server sends it (GET .../tree), turned into the
// viewer's own model for layout, search and drawing. Pure: no DOM. The
// server's JSON is only read, never written: the model is a separate tree of
// new objects, so a cached answer (or a frozen one) stays as it arrived.
//
// Node kinds in the server's JSON, all from docs/API.md:
//   function node  {fid, name, file, line, label, kind, value, self, calls,
//                   exact, recursive, children}
//   virtual root   {fid: null, name: "all", value, children}
//   other          {other: true, count, value}: small siblings merged
//   not recorded   {unrecorded: true, exact, value}: time in the parent that
//                  no recorded call accounts for (the profiler was off)
//
// A model node has the same fields (absent ones are undefined), plus
//   parent    the model node above, null for the root
//   depth     0 for the root
//   children  always an array (model nodes)
//   value     always a finite number >= 0 (0 replaces anything else)
// Model nodes are read-only once prepareTree() returns them.

const FIELDS = ['fid', 'name', 'file', 'line', 'label', 'kind', 'self', 'calls', 'exact', 'recursive', 'other', 'count', 'unrecorded'];

// One model per server answer, so that layout can ask for it on every draw.
const models = new WeakMap();

function modelNode(src, parent, depth) {
  const n = { parent, depth, children: [] };
  for (const k of FIELDS) n[k] = src[k];
  const v = src.value;
  n.value = typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
  return n;
}

/**
 * The model of a tree answer: {root, count, maxDepth} with root
 * a model node (null when the answer has no root). The answer is not
 * changed. The same answer gives the same model object every time.
 * Iterative, so a deep tree cannot overflow the stack.
 */
export function prepareTree(tree) {
  const src = tree && tree.root;
  if (!src || typeof src !== 'object') return { root: null, count: 0, maxDepth: 0 };
  const known = models.get(tree);
  if (known) return known;
  let count = 0;
  let maxDepth = 0;
  const root = modelNode(src, null, 0);
  const stack = [[src, root]];
  while (stack.length) {
    const [s, n] = stack.pop();
    count++;
    if (n.depth > maxDepth) maxDepth = n.depth;
    const ch = Array.isArray(s.children) ? s.children : [];
    for (let i = 0; i < ch.length; i++) {
      const c = modelNode(ch[i], n, n.depth + 1);
      n.children.push(c);
      stack.push([ch[i], c]);
    }
  }
  const model = { root, count, maxDepth };
  models.set(tree, model);
  return model;
}

/** True for nodes that stand for a real function (can be selected, drilled). */
export function isFunctionNode(n) {
  return !!n && !n.other && !n.unrecorded && n.fid !== null && n.fid !== undefined;
}

/** True for the grey nodes that stand for no one function: "other" and
 * "(not recorded)". */
export function isGreyNode(n) {
  return !!n && (!!n.other || !!n.unrecorded);
}

/**
 * What a share "of all" is of: pstats' total (total_time), or the virtual
 * root's value (the first breadcrumb) when that is larger, because a call
 * held time that no recorded call accounts for (docs/API.md, "The tree").
 * So no share exceeds 100%.
 */
export function shareBase(tree) {
  if (!tree) return 0;
  const total = Number.isFinite(tree.total_time) ? tree.total_time : 0;
  const top = tree.breadcrumbs && tree.breadcrumbs[0] && Number.isFinite(tree.breadcrumbs[0].value) ? tree.breadcrumbs[0].value : 0;
  return Math.max(total, top);
}

/** The fids from below the model's root down to `node` inclusive (root itself excluded). */
export function pathFromRoot(node) {
  const out = [];
  for (let n = node; n && n.parent; n = n.parent) out.push(n.fid);
  return out.reverse();
}

/** Display name of a node: "other (12 functions)" for merged nodes. */
export function nodeName(n) {
  if (!n) return '';
  if (n.other) return 'other (' + (n.count ?? '?') + (n.count === 1 ? ' function)' : ' functions)');
  if (n.unrecorded) return '(not recorded)';
  return n.name ?? '';
}
