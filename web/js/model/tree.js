// The call tree as the server sends it (GET .../tree), prepared for layout:
// parent links, depths and a preorder id on every node. Pure: no DOM.
//
// Node kinds, all from docs/API.md:
//   function node  {fid, name, file, line, label, kind, value, self, calls,
//                   exact, recursive, children}
//   virtual root   {fid: null, name: "all", value, children}
//   other          {other: true, count, value}: small siblings merged

/**
 * Adds parent, depth and id (preorder) to every node of tree.root, in place,
 * and returns {root, count, maxDepth}. Calling it twice is harmless.
 * Iterative, so a deep tree cannot overflow the stack.
 */
export function prepareTree(tree) {
  const root = tree && tree.root;
  if (!root) return { root: null, count: 0, maxDepth: 0 };
  if (tree.__prepared) return tree.__prepared;
  let id = 0;
  let maxDepth = 0;
  root.parent = null;
  root.depth = 0;
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    n.id = id++;
    if (!Array.isArray(n.children)) n.children = [];
    if (typeof n.value !== 'number' || !Number.isFinite(n.value) || n.value < 0) n.value = 0;
    if (n.depth > maxDepth) maxDepth = n.depth;
    for (let i = n.children.length - 1; i >= 0; i--) {
      const c = n.children[i];
      c.parent = n;
      c.depth = n.depth + 1;
      c.index = i;
      stack.push(c);
    }
  }
  const prepared = { root, count: id, maxDepth };
  Object.defineProperty(tree, '__prepared', { value: prepared, enumerable: false });
  return prepared;
}

/** True for nodes that stand for a real function (can be selected, drilled). */
export function isFunctionNode(n) {
  return !!n && !n.other && n.fid !== null && n.fid !== undefined;
}

/** The fids from below `root` down to `node` inclusive (root itself excluded). */
export function pathFromRoot(node) {
  const out = [];
  for (let n = node; n && n.parent; n = n.parent) out.push(n.fid);
  return out.reverse();
}

/** Display name of a node: "other (12 functions)" for merged nodes. */
export function nodeName(n) {
  if (!n) return '';
  if (n.other) return 'other (' + (n.count ?? '?') + (n.count === 1 ? ' function)' : ' functions)');
  return n.name ?? '';
}

/** Walks every node in preorder; fn(node) returning false skips its children. */
export function walk(root, fn) {
  if (!root) return;
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    if (fn(n) === false) continue;
    const ch = n.children || [];
    for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]);
  }
}
