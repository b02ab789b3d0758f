// recent.js: the upload list in localStorage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listRecent, addRecent, removeRecent, recentHref, KEY } from '../../web/js/model/recent.js';

function store(init = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), m };
}
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

test('an upload is listed newest first', () => {
  const s = store();
  addRecent(s, { id: A, name: 'a.prof', delete_token: 'tok-a', functions: 3 }, new Date('2026-01-01'));
  addRecent(s, { id: B, name: 'b.prof', delete_token: 'tok-b' }, new Date('2026-01-02'));
  assert.deepEqual(listRecent(s).map((e) => e.id), [B, A]);
  assert.equal(listRecent(s)[1].delete_token, 'tok-a');
});

test('a re-upload (200, no token) keeps the known token', () => {
  const s = store();
  addRecent(s, { id: A, name: 'a.prof', delete_token: 'tok-a' });
  addRecent(s, { id: A, name: 'a.prof' });
  const l = listRecent(s);
  assert.equal(l.length, 1);
  assert.equal(l[0].delete_token, 'tok-a');
});

test('remove drops the entry', () => {
  const s = store();
  addRecent(s, { id: A, name: 'a', delete_token: 't' });
  removeRecent(s, A);
  assert.deepEqual(listRecent(s), []);
});

test('garbage in storage reads as an empty list', () => {
  for (const v of ['{', '"x"', '{"id":1}', '[{"id":"../../etc"}, null, 3]']) {
    assert.deepEqual(listRecent(store({ [KEY]: v })), []);
  }
  const throwing = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); } };
  assert.deepEqual(listRecent(throwing), []);
  addRecent(throwing, { id: A, name: 'a' }); // must not throw
});

test('memory data is listed with its kind and links to /m/<id>; profiles to /p/<id>', () => {
  const s = store();
  addRecent(s, { id: A, name: 'mprofile.dat', kind: 'mprof', delete_token: 't' });
  addRecent(s, { id: B, name: 'b.prof', functions: 3 });
  const [b, a] = listRecent(s);
  assert.equal(a.kind, 'mprof');
  assert.equal(recentHref(a), '/m/' + A);
  assert.equal(b.kind, 'stats');
  assert.equal(recentHref(b), '/p/' + B);
  // The same bytes again (200, no kind on an old server): the kind stays.
  addRecent(s, { id: A, name: 'mprofile.dat' });
  assert.equal(recentHref(listRecent(s)[0]), '/m/' + A);
});
