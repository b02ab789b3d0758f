// model/diff.js: the compare page's URL state, change classes and the
// differential layouts, on hand-made trees shaped like /api/diff/tree's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  diffStateFromSearch, searchFromDiffState, swappedUrl, idsFromPath, idFromText, changeClass,
  changeStrength, layoutDiffIcicle, hitDiffIcicle, layoutDiffSunburst, hitDiffSunburst, drillPath, DEFAULTS, parseDepth,
} from '../../web/js/model/diff.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

function node(fid, fidB, name, va, vb, children = [], extra = {}) {
  return Object.assign({ fid, fid_b: fidB, name, label: name, value_a: va, value_b: vb, delta: vb - va, children }, extra);
}

// all: A 10, B 10. x moved all its time to y: max(A, B) would overflow.
function tree() {
  return node(null, null, 'all', 10, 10, [
    node(1, 1, 'main', 10, 10, [
      node(2, 2, 'x', 6, 0),
      node(3, 3, 'y', 0, 6),
      node(null, 9, 'new', 0, 4, [], { only: 'b', added: true }),
      node(4, null, 'gone', 4, 0, [], { only: 'a', removed: true }),
    ]),
  ]);
}

test('state: defaults, every field checked, and back to the same URL', () => {
  assert.deepEqual(diffStateFromSearch(''), Object.assign({}, DEFAULTS, { path: [], hide: [] }));
  const s = diffStateFromSearch('?view=sunburst&path=1,22&side=b&q=lo%20ads&hide=stdlib,bogus&cutoff=0.01&depth=12&noise=2.5&floor=0&sort=calls&order=asc');
  assert.deepEqual(s, { view: 'sunburst', side: 'b', path: [1, 22], q: 'lo ads', hide: ['stdlib'], cutoff: 0.01, depth: 12, noise: 2.5, floor: 0, sort: 'calls', order: 'asc' });
  assert.deepEqual(diffStateFromSearch(searchFromDiffState(s)), s);
  const bad = diffStateFromSearch('?view=x&path=1,-2,a&cutoff=0.3&depth=0&noise=-1&floor=nan&sort=evil&order=up');
  assert.deepEqual(bad, Object.assign({}, DEFAULTS, { path: [1], hide: [] }));
  assert.equal(searchFromDiffState(diffStateFromSearch('')), '');
});

test('state: cutoff is the server\'s default unless chosen; a chosen one stays in the link', () => {
  assert.equal(DEFAULTS.cutoff, null, 'no cutoff: the server\'s default');
  assert.equal(diffStateFromSearch('').cutoff, null);
  assert.equal(diffStateFromSearch('?cutoff=0.001').cutoff, 0.001);
  assert.equal(searchFromDiffState(diffStateFromSearch('?cutoff=0.001')), '?cutoff=0.001', 'a choice, even of the usual value');
  assert.equal(searchFromDiffState(diffStateFromSearch('?cutoff=0')), '?cutoff=0');
  for (const bad of ['0.3', '-1', 'x', '']) assert.equal(diffStateFromSearch('?cutoff=' + bad).cutoff, null, 'cutoff=' + bad);
});

test('state: depth is the server\'s default (auto) unless chosen; a link\'s auto is kept', () => {
  assert.equal(DEFAULTS.depth, null, 'no depth: the server\'s default');
  assert.equal(diffStateFromSearch('').depth, null);
  assert.equal(diffStateFromSearch('?depth=auto').depth, 'auto');
  assert.equal(searchFromDiffState(diffStateFromSearch('?depth=auto')), '?depth=auto');
  assert.equal(diffStateFromSearch('?depth=10').depth, 10);
  assert.equal(searchFromDiffState(diffStateFromSearch('?depth=10')), '?depth=10', 'ten is a choice, no longer the default');
  assert.equal(diffStateFromSearch('?depth=64').depth, 64);
  for (const bad of ['0', '65', '1.5', '-1', 'AUTO', 'auto5', '', '1e1']) {
    assert.equal(diffStateFromSearch('?depth=' + bad).depth, null, 'depth=' + bad);
  }
  assert.equal(parseDepth(''), null);
  assert.equal(parseDepth(' auto '), 'auto');
  assert.equal(parseDepth('12'), 12);
  assert.equal(parseDepth('0'), undefined);
  assert.equal(parseDepth('ten'), undefined);
  // Within the server's range (a tree answer's limits.depth) when it is known.
  assert.equal(parseDepth('80', { min: 1, max: 100 }), 80);
  assert.equal(parseDepth('12', { min: 1, max: 10 }), undefined);
});

test('swap: B against A, the path on the same run', () => {
  const s = diffStateFromSearch('?path=5,6&noise=3');
  assert.equal(swappedUrl({ a: A, b: B }, s), `/diff/${B}/${A}?path=5,6&side=b&noise=3`);
  const back = diffStateFromSearch(swappedUrl({ a: A, b: B }, s).split('?')[1]);
  assert.equal(swappedUrl({ a: B, b: A }, back), `/diff/${A}/${B}?path=5,6&noise=3`);
});

test('ids: from the page path, a pasted id or a viewer link', () => {
  assert.deepEqual(idsFromPath(`/diff/${A}/${B}`), { a: A, b: B });
  assert.equal(idsFromPath(`/diff/${A}`), null);
  assert.equal(idsFromPath(`/diff/${A}/${B}x`), null);
  assert.equal(idFromText(` ${A} `), A);
  assert.equal(idFromText(`http://h:1/p/${B}?v=1&view=table`), B);
  assert.equal(idFromText(`http://h:1/p/${B}x`), null);
  assert.equal(idFromText('hello'), null);
});

test('change: faster, slower, or neutral within either threshold', () => {
  assert.equal(changeClass(1, 0.5, 10, 5, 0.1), 'faster');
  assert.equal(changeClass(0.5, 1, 10, 5, 0.1), 'slower');
  assert.equal(changeClass(1, 1.04, 10, 5, 0.1), 'neutral'); // 4% < 5%
  assert.equal(changeClass(1, 1.06, 10, 5, 0.1), 'slower');
  assert.equal(changeClass(0.001, 0.005, 10, 5, 0.1), 'neutral'); // 4 ms < 0.1% of 10 s
  assert.equal(changeClass(0, 0, 10, 5, 0.1), 'neutral');
  assert.equal(changeClass(0, 2, 10, 5, 0.1), 'slower'); // added
  assert.equal(changeClass(1, 1.06, 10, 0, 0), 'slower');
  assert.deepEqual([changeStrength(1, 0.9), changeStrength(1, 0.5), changeStrength(0, 1)], [1, 2, 3]);
});

test('icicle: one time scale, the mean of both runs, children inside their parent', () => {
  const l = layoutDiffIcicle(tree(), 1000, 20);
  const by = Object.fromEntries(l.rects.map((r) => [r.node.name, r]));
  assert.equal(by.all.w, 1000);
  assert.equal(by.main.w, 1000);
  assert.equal(by.x.w, 300); // (6 + 0) / 2 of 10
  assert.equal(by.y.w, 300);
  assert.equal(by.new.w, 200);
  assert.equal(by.gone.w, 200);
  assert.deepEqual([by.x.x, by.y.x, by.new.x, by.gone.x], [0, 300, 600, 800]);
  for (const r of l.rects) if (r.parent) assert.ok(r.x >= r.parent.x && r.x + r.w <= r.parent.x + r.parent.w + 1e-9);
  assert.equal(l.height, 60);
  assert.equal(hitDiffIcicle(l, 450, 45).node.name, 'y');
  assert.equal(hitDiffIcicle(l, 450, 70), null);
});

test('sunburst: the same scale in angles', () => {
  const l = layoutDiffSunburst(tree(), 300);
  const x = l.arcs.find((s) => s.node.name === 'x');
  assert.ok(Math.abs((x.a1 - x.a0) - 0.3 * 2 * Math.PI) < 1e-12);
  const mid = (x.a0 + x.a1) / 2;
  const r = (x.r0 + x.r1) / 2;
  assert.equal(hitDiffSunburst(l, r * Math.cos(mid), r * Math.sin(mid)).node.name, 'x');
  assert.equal(hitDiffSunburst(l, 0, 0).node.name, 'all');
});

test('drill: A fids while every node has one, else B fids', () => {
  const l = layoutDiffIcicle(tree(), 1000, 20);
  const at = (n) => l.rects.find((r) => r.node.name === n);
  const crumbs = [{ fid: null, fid_b: null, name: 'all' }];
  assert.deepEqual(drillPath(at('x'), crumbs), { side: 'a', path: [1, 2] });
  assert.deepEqual(drillPath(at('new'), crumbs), { side: 'b', path: [1, 9] });
  assert.deepEqual(drillPath(at('gone'), crumbs), { side: 'a', path: [1, 4] });
  const deeper = [{ fid: null, fid_b: null, name: 'all' }, { fid: 7, fid_b: 8, name: 'top' }];
  assert.deepEqual(drillPath(at('new'), deeper), { side: 'b', path: [8, 1, 9] });
});
