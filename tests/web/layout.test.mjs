// layout.js, search.js, colors.js, tree.js: geometry, hit-testing, search
// counts and colours, on small hand-made trees shaped like the API's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutIcicle, layoutSunburst, hitIcicle, hitSunburst, moveFocus, shapeCenter } from '../../web/js/model/layout.js';
import { compileQuery, searchTree, escapeEre } from '../../web/js/model/search.js';
import { colorFor, colorKey, builtinModule } from '../../web/js/model/colors.js';
import { prepareTree, pathFromRoot, nodeName } from '../../web/js/model/tree.js';

function fn(fid, name, value, children = [], extra = {}) {
  return Object.assign({ fid, name, file: '/app/' + name + '.py', line: fid, label: `/app/${name}.py:${fid}(${name})`, kind: 'user', value, self: 0, calls: 1, exact: true, recursive: false, children }, extra);
}

function sample() {
  return {
    total_time: 10,
    breadcrumbs: [{ fid: null, name: 'all', value: 10 }],
    root: {
      fid: null, name: 'all', value: 10, children: [
        fn(1, 'main', 8, [
          fn(2, 'load', 3, [fn(4, 'parse', 2)]),
          fn(3, 'predict', 4.5, [fn(5, 'lambda', 4, [fn(4, 'parse', 3.5)])]),
          { other: true, count: 3, value: 0.25 },
        ]),
        fn(6, 'tiny_a', 0.0001), fn(7, 'tiny_b', 0.0001), fn(8, 'exit', 1.9998),
      ],
    },
  };
}

test('icicle: root fills the width, children are proportional', () => {
  const L = layoutIcicle(sample(), 1000, 20);
  assert.equal(L.root.w, 1000);
  assert.equal(L.rows.length, 5);
  const main = L.rows[1][0];
  assert.equal(main.node.name, 'main');
  assert.equal(main.w, 800);
  assert.equal(main.y, 20);
  const predict = L.rows[2].find((r) => r.node && r.node.name === 'predict');
  assert.equal(predict.x, 300);
  assert.equal(predict.w, 450);
  assert.equal(L.height, 100);
});

test('icicle: siblings under a pixel are one aggregate shape', () => {
  const L = layoutIcicle(sample(), 1000, 20);
  const aggs = L.rects.filter((r) => r.agg);
  assert.equal(aggs.length, 1);
  assert.equal(aggs[0].count, 2);
  assert.ok(Math.abs(aggs[0].x - 800) < 1e-9);
  assert.equal(L.rows[1].length, 3); // main, aggregate, exit
});

test('icicle: children never spill out of their parent', () => {
  const t = sample();
  t.root.children[0].children[0].children[0].value = 5; // more than its parent
  const L = layoutIcicle(t, 1000, 20);
  for (const r of L.rects) if (r.parent) assert.ok(r.x + r.w <= r.parent.x + r.parent.w + 1e-9);
});

test('icicle: rows are sorted by x and hit-testing finds the drawn rect', () => {
  const L = layoutIcicle(sample(), 1000, 20);
  for (const row of L.rows) for (let i = 1; i < row.length; i++) assert.ok(row[i].x >= row[i - 1].x);
  for (const r of L.rects) {
    if (r.agg || r.w < 2) continue;
    const c = shapeCenter(r);
    assert.equal(hitIcicle(L, c.x, c.y), r);
  }
  assert.equal(hitIcicle(L, 5, 19.5), null, 'the gap between rows');
  assert.equal(hitIcicle(L, 990, 45), null, 'self time of main: nothing below');
  assert.equal(hitIcicle(L, 10, 500), null);
  assert.equal(hitIcicle(L, -1, 5), null);
});

test('icicle: an empty or zero-valued tree lays out without NaN', () => {
  assert.equal(layoutIcicle({ root: null }, 100).rects.length, 0);
  const L = layoutIcicle({ root: { fid: null, name: 'all', value: 0, children: [fn(1, 'a', 0)] } }, 100, 20);
  for (const r of L.rects) assert.ok(Number.isFinite(r.x) && Number.isFinite(r.w));
});

test('sunburst: rings by depth, angles proportional, hit-testing agrees', () => {
  const L = layoutSunburst(sample(), 300);
  assert.equal(L.rings.length, 5);
  const main = L.rings[1][0];
  assert.ok(Math.abs((main.a1 - main.a0) - 0.8 * 2 * Math.PI) < 1e-9);
  assert.ok(Math.abs(main.a0 + Math.PI / 2) < 1e-12, 'starts at the top');
  for (const a of L.arcs) {
    if (a.agg || (a.a1 - a.a0) * a.r0 < 3) continue;
    const c = shapeCenter(a);
    assert.equal(hitSunburst(L, c.x, c.y), a, nodeName(a.node));
  }
  assert.equal(hitSunburst(L, 0, 0), L.root);
  assert.equal(hitSunburst(L, 0, -400), null);
});

test('sunburst: angles stay inside the parent', () => {
  const L = layoutSunburst(sample(), 300);
  for (const a of L.arcs) if (a.parent) assert.ok(a.a0 >= a.parent.a0 - 1e-12 && a.a1 <= a.parent.a1 + 1e-12);
});

test('keyboard focus moves between siblings, to the parent and the first child', () => {
  const L = layoutIcicle(sample(), 1000, 20);
  const main = L.rows[1][0];
  assert.equal(moveFocus(main, 'up'), L.root);
  assert.equal(moveFocus(main, 'down').node.name, 'load');
  assert.equal(moveFocus(main, 'right').node.name, 'exit', 'skips the aggregate');
  assert.equal(moveFocus(main, 'left'), main);
  assert.equal(moveFocus(L.root, 'up'), L.root);
});

test('pathFromRoot gives the fids below the root', () => {
  const lambda = prepareTree(sample()).root.children[0].children[1].children[0];
  assert.equal(lambda.name, 'lambda');
  assert.deepEqual(pathFromRoot(lambda), [1, 3, 5]);
  assert.equal(nodeName({ other: true, count: 3 }), 'other (3 functions)');
});

test('search counts nested matches once in the share', () => {
  const r = searchTree(prepareTree(sample()).root, compileQuery('parse|lambda'));
  assert.equal(r.count, 3); // parse under load, lambda, parse under lambda
  assert.equal(r.value, 2 + 4); // the nested parse (3.5) is inside lambda
  assert.equal(r.first.name, 'parse');
  assert.equal(r.matches.size, 3);
  assert.equal(r.firstBelow, r.first);
});

test('search: a bad regex is searched as text, case-insensitively', () => {
  const q = compileQuery('PARSE(');
  assert.equal(q.regex, false);
  const t = { root: { fid: null, name: 'all', value: 1, children: [fn(1, 'parse(x', 1)] } };
  assert.equal(searchTree(prepareTree(t).root, q).count, 1);
  assert.equal(compileQuery('   ').empty, true);
});

test('search matches the label, so file:line finds a function', () => {
  assert.equal(searchTree(prepareTree(sample()).root, compileQuery('lambda.py:5')).count, 1);
});

test('escapeEre makes text literal for the server', () => {
  assert.equal(escapeEre('a.b(c)*'), 'a\\.b\\(c\\)\\*');
});

test('colours are stable per module and package', () => {
  const a = { fid: 1, kind: 'user', file: '/app/x.py', name: 'f' };
  const b = { fid: 2, kind: 'user', file: '/app/x.py', name: 'g' };
  const c = { fid: 3, kind: 'user', file: '/app/y.py', name: 'f' };
  assert.equal(colorFor(a), colorFor(b));
  assert.notEqual(colorFor(a), colorFor(c));
  const s1 = { fid: 4, kind: 'stdlib', file: '/usr/lib/python3.11/json/decoder.py', name: 'decode' };
  const s2 = { fid: 5, kind: 'stdlib', file: '/usr/lib/python3.11/json/__init__.py', name: 'loads' };
  assert.equal(colorKey(s1).key, 'stdlib:json');
  assert.equal(colorFor(s1), colorFor(s2));
  assert.equal(colorKey({ fid: 6, kind: 'stdlib', file: '<frozen importlib._bootstrap>', name: 'x' }).key, 'stdlib:importlib');
  assert.equal(colorKey({ fid: 7, kind: 'site-packages', file: '/v/lib/python3.11/site-packages/numpy/core/a.py' }).key, 'site:numpy');
  assert.equal(builtinModule('<built-in method _json.scanstring>'), '_json');
  assert.equal(builtinModule("<method 'append' of 'list' objects>"), 'builtins');
  assert.equal(builtinModule("<method 'cache_info' of 'functools._lru_cache_wrapper' objects>"), 'functools');
  assert.match(colorFor({ other: true }), /^#/);
});
