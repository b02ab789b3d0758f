// state.js: links round-trip, and bad values fall back with a notice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stateFromUrl, urlFromState, defaultState, treeKey, treeQuery, withChanges, rangeOf, memoryLinkFromUrl, memoryUrl } from '../../web/js/state.js';

test('empty query gives the defaults without notices', () => {
  const { state, notices } = stateFromUrl('');
  assert.deepEqual(state, defaultState());
  assert.deepEqual(notices, []);
});

const rows = [
  { name: 'path view', st: { view: 'icicle', path: [12, 40, 7], depth: 10, cutoff: 0.001 } },
  { name: 'root mode sunburst', st: { view: 'sunburst', root: 99, depth: 5, cutoff: 0 } },
  { name: 'callers of a function', st: { view: 'icicle', root: 99, invert: true, sel: 99 } },
  { name: 'table with sort and search', st: { view: 'table', sort: 'tottime', order: 'asc', q: 'a&b=c #x ?y', sel: 3 } },
  { name: 'filters', st: { hide: ['builtins', 'site-packages'], cutoff: 0.05, depth: 64 } },
  { name: 'unicode search', st: { q: '模块 😀 <script>' } },
  { name: 'name sort defaults to asc', st: { view: 'table', sort: 'name', order: 'asc' } },
];
for (const row of rows) {
  test(`state round-trips: ${row.name}`, () => {
    const st = Object.assign(defaultState(), row.st);
    const url = urlFromState(st, '/p/abc');
    assert.ok(url.startsWith('/p/abc?v=1&view='));
    const { state, notices } = stateFromUrl(url.slice(url.indexOf('?')));
    assert.deepEqual(notices, []);
    assert.deepEqual(state, st);
  });
}

test('url holds version and view, and depth and cutoff only once chosen', () => {
  assert.equal(urlFromState(defaultState()), '?v=1&view=icicle');
  assert.equal(urlFromState(withChanges(defaultState(), { depth: 12 })), '?v=1&view=icicle&depth=12');
  assert.equal(urlFromState(withChanges(defaultState(), { cutoff: 0 })), '?v=1&view=icicle&cutoff=0');
});

test('a tree request leaves out the depth and cutoff the user did not choose', () => {
  const q = treeQuery(defaultState());
  assert.equal(q.depth, null);
  assert.equal(q.cutoff, null);
  const set = treeQuery(withChanges(defaultState(), { depth: 3, cutoff: 0.05 }));
  assert.equal(set.depth, 3);
  assert.equal(set.cutoff, 0.05);
  assert.notEqual(treeKey(defaultState()), treeKey(withChanges(defaultState(), { depth: 3 })));
});

test('invert is carried with a root only, and asks for the callers without hiding', () => {
  const st = withChanges(defaultState(), { root: 7, invert: true, hide: ['builtins'] });
  assert.match(urlFromState(st), /root=7&invert=1/);
  const q = treeQuery(st);
  assert.equal(q.invert, true);
  assert.deepEqual(q.hide, []);
  assert.notEqual(treeKey(st), treeKey(withChanges(st, { invert: false })));
  assert.doesNotMatch(urlFromState(withChanges(defaultState(), { invert: true })), /invert/);
  const noRoot = stateFromUrl('?invert=1');
  assert.equal(noRoot.state.invert, false);
  assert.equal(noRoot.notices.length, 1);
  const bad = stateFromUrl('?root=3&invert=yes');
  assert.equal(bad.state.invert, false);
  assert.equal(bad.notices.length, 1);
});

test('path is written with readable commas', () => {
  const url = urlFromState(withChanges(defaultState(), { path: [1, 2, 3] }));
  assert.match(url, /path=1,2,3/);
});

const badRows = [
  { name: 'unknown view falls back to icicle', q: 'view=treemap', key: 'view', want: 'icicle' },
  { name: 'depth text falls back to the server\'s default', q: 'depth=abc', key: 'depth', want: null },
  { name: 'a signed depth falls back', q: 'depth=-1', key: 'depth', want: null },
  { name: 'a fractional depth falls back', q: 'depth=1.5', key: 'depth', want: null },
  { name: 'cutoff text falls back', q: 'cutoff=abc', key: 'cutoff', want: null },
  { name: 'a negative cutoff falls back', q: 'cutoff=-0.1', key: 'cutoff', want: null },
  { name: 'an infinite cutoff falls back', q: 'cutoff=1e999', key: 'cutoff', want: null },
  { name: 'path with text falls back to the top', q: 'path=1,x,3', key: 'path', want: [] },
  { name: 'negative root is ignored', q: 'root=-1', key: 'root', want: null },
  { name: 'huge fid is ignored', q: 'sel=99999999999', key: 'sel', want: null },
  { name: 'unknown sort falls back', q: 'sort=evil', key: 'sort', want: 'cumtime' },
  { name: 'unknown order falls back', q: 'order=up', key: 'order', want: 'desc' },
];
for (const row of badRows) {
  test(row.name, () => {
    const { state, notices } = stateFromUrl('?v=1&' + row.q);
    assert.deepEqual(state[row.key], row.want);
    assert.equal(notices.length, 1, notices.join(' | '));
  });
}

test('depth and cutoff of any size are kept: the server judges their range', () => {
  const { state, notices } = stateFromUrl('?depth=999&cutoff=2');
  assert.equal(state.depth, 999);
  assert.equal(state.cutoff, 2);
  assert.deepEqual(notices, []);
});

test('unknown hide values are dropped, known ones kept in canonical order', () => {
  const { state, notices } = stateFromUrl('?hide=site-packages,evil,builtins,builtins');
  assert.deepEqual(state.hide, ['builtins', 'site-packages']);
  assert.equal(notices.length, 1);
});

test('root wins over path, with a notice', () => {
  const { state, notices } = stateFromUrl('?root=5&path=1,2');
  assert.equal(state.root, 5);
  assert.deepEqual(state.path, []);
  assert.equal(notices.length, 1);
});

test('a newer link version is read with a notice', () => {
  const { state, notices } = stateFromUrl('?v=2&view=sunburst');
  assert.equal(state.view, 'sunburst');
  assert.equal(notices.length, 1);
});

test('a link without v (as in docs/API.md) is read as version 1', () => {
  const { state, notices } = stateFromUrl('?view=icicle&path=4,5&depth=3');
  assert.deepEqual(state.path, [4, 5]);
  assert.equal(state.depth, 3);
  assert.deepEqual(notices, []);
});

test('notices clip long hostile values', () => {
  const { notices } = stateFromUrl('?view=' + 'x'.repeat(100000));
  assert.ok(notices[0].length < 200);
});

test('treeKey ignores view, selection and search', () => {
  const a = withChanges(defaultState(), { path: [1, 2] });
  const b = withChanges(a, { view: 'sunburst', sel: 3, q: 'x' });
  assert.equal(treeKey(a), treeKey(b));
  assert.notEqual(treeKey(a), treeKey(withChanges(a, { path: [1] })));
  assert.notEqual(treeKey(a), treeKey(withChanges(a, { hide: ['stdlib'] })));
});

test('withChanges never shares arrays', () => {
  const a = defaultState();
  const b = withChanges(a, {});
  b.path.push(1);
  assert.deepEqual(a.path, []);
});

test('memory: view=memory, mem=<id> and sort=mem_inc round-trip; a bad mem id is ignored with a notice', () => {
  const id = '0123456789abcdef0123456789abcdef';
  const { state, notices } = stateFromUrl(`?v=1&view=memory&mem=${id}&sort=mem_inc`);
  assert.deepEqual(notices, []);
  assert.equal(state.view, 'memory');
  assert.equal(state.mem, id);
  assert.equal(state.sort, 'mem_inc');
  assert.equal(state.order, 'desc');
  const url = urlFromState(state);
  assert.equal(url, `?v=1&view=memory&sort=mem_inc&mem=${id}`);
  assert.deepEqual(stateFromUrl(url).state, state);
  const bad = stateFromUrl('?mem=../../etc&view=memory');
  assert.equal(bad.state.mem, null);
  assert.equal(bad.notices.length, 1);
  assert.match(bad.notices[0], /mem=/);
  assert.equal(stateFromUrl('?mem=0123456789ABCDEF0123456789ABCDEF').state.mem, null, 'ids are lowercase');
});

test('memory: the zoom range=t0,t1 (seconds from the start) round-trips; a bad or reversed one is ignored with a notice', () => {
  const id = '0123456789abcdef0123456789abcdef';
  const { state, notices } = stateFromUrl(`?v=1&view=memory&mem=${id}&range=0.25,1.5`);
  assert.deepEqual(notices, []);
  assert.deepEqual(state.range, [0.25, 1.5]);
  const url = urlFromState(state);
  assert.equal(url, `?v=1&view=memory&mem=${id}&range=0.25,1.5`);
  assert.deepEqual(stateFromUrl(url).state, state);
  assert.equal(urlFromState(defaultState()).includes('range'), false, 'the whole recording is left out');
  // What the chart reports is rounded to the microsecond, as the link keeps it.
  const r = rangeOf(0.1234567891, 2.0000004);
  assert.deepEqual(r, [0.123457, 2]);
  assert.match(urlFromState(Object.assign(defaultState(), { range: r })), /&range=0\.123457,2$/);
  assert.deepEqual(stateFromUrl(urlFromState(Object.assign(defaultState(), { range: r }))).state.range, r);
  assert.equal(rangeOf(1, 1.0000001), null, 'no span once rounded');
  assert.deepEqual(rangeOf(-0.5, 1), [0, 1]);
  for (const [bad, why] of [['1.5,0.25', /ends before it starts/], ['1,1', /ends before it starts/], ['abc', /two times/],
    ['-1,2', /two times/], ['1e3,2e3', /two times/], ['0.5', /two times/], ['0,1,2', /two times/], ['0.1234567,1', /two times/]]) {
    const got = stateFromUrl(`?view=memory&range=${bad}`);
    assert.equal(got.state.range, null, 'range=' + bad);
    assert.equal(got.notices.length, 1, 'range=' + bad);
    assert.match(got.notices[0], why);
    assert.match(got.notices[0], /whole recording/);
  }
  const copy = withChanges(state, {});
  copy.range[0] = 9;
  assert.deepEqual(state.range, [0.25, 1.5], 'copies do not share the range');
});

test('memory page: its link keeps the zoom as range=t0,t1, read and written as the viewer does', () => {
  const m = '/m/0123456789abcdef0123456789abcdef';
  assert.equal(memoryUrl(null, m), m, 'the whole recording: the bare page');
  const url = memoryUrl(rangeOf(0.1234567891, 2), m);
  assert.equal(url, m + '?v=1&range=0.123457,2');
  assert.deepEqual(memoryLinkFromUrl(url.slice(m.length)), { range: [0.123457, 2], notices: [] });
  assert.deepEqual(memoryLinkFromUrl(''), { range: null, notices: [] });
  for (const [bad, why] of [['1.5,0.25', /ends before it starts/], ['soon,later', /two times/]]) {
    const got = memoryLinkFromUrl(`?v=1&range=${bad}`);
    assert.equal(got.range, null, 'range=' + bad);
    assert.equal(got.notices.length, 1);
    assert.match(got.notices[0], why);
    assert.match(got.notices[0], /whole recording/);
    assert.equal(got.notices[0], stateFromUrl(`?range=${bad}`).notices[0], 'the viewer\'s notice, word for word');
  }
  assert.match(memoryLinkFromUrl('?v=2&range=0,1').notices[0], /format version 2/);
});

test('depth=auto in a link is kept, sent and written back; the default is left out', () => {
  const { state, notices } = stateFromUrl('?v=1&depth=auto');
  assert.deepEqual(notices, []);
  assert.equal(state.depth, 'auto');
  assert.equal(treeQuery(state).depth, 'auto');
  assert.equal(urlFromState(state), '?v=1&view=icicle&depth=auto');
  assert.equal(urlFromState(defaultState()), '?v=1&view=icicle');
  assert.equal(stateFromUrl('?depth=Auto').notices.length, 1, 'spelt as the API spells it');
});
