// The words under the search box (model/search.js searchInfo): the whole
// profile's count and share from the server, and how many matches the
// chart does not draw.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchInfo, searchTree, compileQuery } from '../../web/js/model/search.js';

const loads = { count: 2, pct: 34.555, time: 1.83, top: { fid: 18, name: 'loads', ct_pct: 29.568 }, literal: false };

test('no search says nothing', () => {
  assert.deepEqual(searchInfo(null, 3, false), { text: '', title: '', none: false });
});

test('a search on its way says so', () => {
  assert.equal(searchInfo({ loading: true }, 0, false).text, 'searching…');
});

test('the count and share are the whole profile\'s, and matches not drawn are told', () => {
  const info = searchInfo(loads, 1, false);
  assert.equal(info.text, '2 matches · 34.6% of all · 1 below the drawn depth');
  assert.match(info.title, /Enter opens the largest: loads \(29\.6% of all\)/);
  assert.equal(info.none, false);
});

test('in a zoomed view a match not drawn may be elsewhere', () => {
  assert.equal(searchInfo(loads, 0, true).text, '2 matches · 34.6% of all · 2 outside this view');
});

test('every match drawn, or the table: count and share alone', () => {
  assert.equal(searchInfo(loads, 2, false).text, '2 matches · 34.6% of all');
  assert.equal(searchInfo(loads, null, false).text, '2 matches · 34.6% of all');
  assert.equal(searchInfo({ ...loads, count: 1 }, 5, false).text, '1 match · 34.6% of all');
});

test('no match and a failed search are marked', () => {
  assert.deepEqual([searchInfo({ count: 0, pct: 0, top: null }, 0, false).text, searchInfo({ count: 0, top: null }, 0, false).none], ['no match', true]);
  const failed = searchInfo({ error: 'the search took over 2000 ms' }, 0, false);
  assert.equal(failed.none, true);
  assert.match(failed.title, /2000 ms/);
});

test('a name that hides characters is shown escaped in the title', () => {
  const info = searchInfo({ ...loads, top: { name: 'a\u202eb', ct_pct: 1 } }, 2, false);
  assert.match(info.title, /a\\u202eb/);
});

test('searchTree counts distinct functions among the matching nodes', () => {
  const leaf = (fid, name) => ({ fid, name, label: name, value: 1, children: [] });
  const root = { fid: 1, name: 'main', label: 'main', value: 3, children: [
    { fid: 2, name: 'loads', label: 'loads', value: 1, children: [leaf(3, 'x')] },
    { fid: 4, name: 'y', label: 'y', value: 1, children: [leaf(2, 'loads')] },
  ] };
  const r = searchTree(root, compileQuery('loads'));
  assert.deepEqual([r.count, r.functions], [2, 1]);
});
