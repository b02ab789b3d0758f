// The viewer only reads the server's JSON: model, layout, search and the
// drawing code run here over a deep-frozen tree answer. ES modules are
// strict code, so any write to a frozen object throws a TypeError.
//
// fixtures/tree-rasa-depth6.json is a real answer: data/rasa_maxsize1000.prof
// uploaded to `pstatsviz serve`, then GET .../tree?depth=6&cutoff=0.001,
// with the checkout path in file names replaced by /workspaces/rasa-sample.
// It has "other" nodes, estimated (exact: false) nodes and a recursion
// cut-off, so every branch of the drawing code runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareTree, pathFromRoot, isFunctionNode, nodeName } from '../../web/js/model/tree.js';
import { layoutIcicle, layoutSunburst, hitIcicle, hitSunburst, moveFocus, shapeCenter } from '../../web/js/model/layout.js';
import { compileQuery, searchTree } from '../../web/js/model/search.js';
import { colorFor } from '../../web/js/model/colors.js';
import { labelOf, locationOf, fillFor, dimmed } from '../../web/js/render/common.js';
import { drawIcicle } from '../../web/js/render/icicle.js';
import { drawSunburst } from '../../web/js/render/sunburst.js';

const TEXT = readFileSync(new URL('./fixtures/tree-rasa-depth6.json', import.meta.url), 'utf8');

function deepFreeze(v) {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze(v[k]);
  }
  return v;
}

/** A 2D context that accepts every call and records how many it got. */
function fakeContext() {
  const calls = { n: 0 };
  const target = {
    calls,
    measureText: (s) => ({ width: 7 * String(s).length }),
    createPattern: () => ({ pattern: true }),
  };
  return new Proxy(target, {
    get(t, k) {
      if (k in t) return t[k];
      return () => { calls.n++; };
    },
    set(t, k, v) { t[k] = v; return true; },
  });
}

// render/common.js draws the hatch pattern on a canvas of its own.
globalThis.document = { createElement: () => ({ width: 0, height: 0, getContext: () => fakeContext() }) };

function frozenAnswer() {
  return deepFreeze(JSON.parse(TEXT));
}

function allNodes(root) {
  const out = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    out.push(n);
    for (const c of n.children) stack.push(c);
  }
  return out;
}

test('the fixture covers other nodes, estimates and recursion', () => {
  const nodes = allNodes(prepareTree(frozenAnswer()).root);
  assert.ok(nodes.some((n) => n.other), 'an "other" node');
  assert.ok(nodes.some((n) => n.exact === false), 'an estimated node');
  assert.ok(nodes.some((n) => n.recursive), 'a recursion cut-off');
});

test('prepareTree builds its own nodes and leaves a frozen answer as it was', () => {
  const tree = frozenAnswer();
  const model = prepareTree(tree);
  assert.equal(prepareTree(tree), model, 'one model per answer');
  assert.notEqual(model.root, tree.root);
  assert.equal(model.root.parent, null);
  assert.equal(model.root.depth, 0);
  const nodes = allNodes(model.root);
  assert.equal(model.count, nodes.length);
  assert.equal(model.maxDepth, Math.max(...nodes.map((n) => n.depth)));
  for (const n of nodes) for (const c of n.children) {
    assert.equal(c.parent, n);
    assert.equal(c.depth, n.depth + 1);
  }
  assert.equal(model.root.children[0].name, tree.root.children[0].name);
  assert.equal(JSON.stringify(tree), JSON.stringify(JSON.parse(TEXT)));
});

test('layout, hit-testing, keyboard moves, search and drawing only read the answer', () => {
  const tree = frozenAnswer();
  const model = prepareTree(tree);

  const ice = layoutIcicle(tree, 1200, 20);
  assert.ok(ice.rects.length > 10);
  const sun = layoutSunburst(tree, 380);
  assert.ok(sun.arcs.length > 10);
  for (const r of ice.rects) {
    if (r.agg || r.w < 2) continue;
    const c = shapeCenter(r);
    assert.equal(hitIcicle(ice, c.x, c.y), r);
    for (const dir of ['up', 'down', 'left', 'right']) moveFocus(r, dir);
  }
  for (const a of sun.arcs) {
    if (a.agg || (a.a1 - a.a0) * a.r0 < 3) continue;
    const c = shapeCenter(a);
    assert.equal(hitSunburst(sun, c.x, c.y), a);
  }

  const found = searchTree(model.root, compileQuery('rule_policy|json'));
  assert.ok(found.count > 0 && found.matches.size === found.count);
  const deepest = allNodes(model.root).filter(isFunctionNode).sort((a, b) => b.depth - a.depth)[0];
  assert.equal(pathFromRoot(deepest).length, deepest.depth);

  for (const s of ice.rects.concat(sun.arcs)) {
    if (s.agg) continue;
    labelOf(s.node);
    labelOf(s.node); // the second time from the cache
    locationOf(s.node);
    nodeName(s.node);
    colorFor(s.node);
    fillFor(s, found.matches);
    fillFor(s, null);
    dimmed(s.node, found.matches);
  }
  const selectedFid = deepest.fid;
  for (const matches of [null, found.matches]) {
    const ctx = fakeContext();
    drawIcicle(ctx, ice, { selectedFid, matches });
    drawSunburst(ctx, sun, { cx: 400, cy: 400, selectedFid, matches, totalTime: tree.total_time });
    assert.ok(ctx.calls.n > 100, 'the drawing code ran');
  }

  assert.equal(JSON.stringify(tree), JSON.stringify(JSON.parse(TEXT)), 'the answer is unchanged');
});

test('search and labels write to no node, not even given the answer\'s own', () => {
  const tree = frozenAnswer();
  const query = compileQuery('rule_policy|json');
  const raw = searchTree(tree.root, query);
  assert.equal(raw.count, searchTree(prepareTree(tree).root, query).count);
  const stack = [tree.root];
  while (stack.length) {
    const n = stack.pop();
    assert.equal(typeof labelOf(n), 'string');
    for (const c of n.children || []) stack.push(c);
  }
  assert.equal(JSON.stringify(tree), JSON.stringify(JSON.parse(TEXT)));
});

test('odd values are cleaned in the model, not in the answer', () => {
  const tree = deepFreeze({
    total_time: 1,
    root: { fid: null, name: 'all', value: 'x', children: [{ fid: 1, name: 'a', value: -2 }, { fid: 2, name: 'b', value: 1, children: null }] },
  });
  const model = prepareTree(tree);
  assert.equal(model.root.value, 0);
  assert.deepEqual(model.root.children.map((n) => [n.value, n.children]), [[0, []], [1, []]]);
  assert.equal(tree.root.value, 'x');
  assert.equal(tree.root.children[1].children, null);
  assert.ok(layoutIcicle(tree, 100).rects.every((r) => Number.isFinite(r.x) && Number.isFinite(r.w)));
});
