// state.js TREE_LIMITS mirrors include/tree.h until the API reports the
// tree's defaults and limits: the two must not drift apart. The viewer's
// defaults and its checks of a link read them from that one object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TREE_LIMITS, defaultState, stateFromUrl, validDepth } from '../../web/js/state.js';

const HEADER = new URL('../../include/tree.h', import.meta.url);

/** PV_TREE_NAME = value (enum) and #define PV_TREE_NAME value, as numbers. */
function headerValues() {
  const text = readFileSync(HEADER, 'utf8');
  const out = {};
  for (const m of text.matchAll(/\bPV_TREE_([A-Z_]+)\s*(?:=\s*|\s+)([0-9][0-9.eE+-]*)\b/g)) out[m[1]] = Number(m[2]);
  return out;
}

const MIRROR = [
  ['defaultDepth', 'DEFAULT_DEPTH'],
  ['maxDepth', 'MAX_DEPTH'],
  ['defaultCutoff', 'DEFAULT_CUTOFF'],
  ['defaultMaxNodes', 'DEFAULT_MAX_NODES'],
  ['maxNodes', 'MAX_NODES'],
];

test('TREE_LIMITS has exactly the values include/tree.h defines', () => {
  const c = headerValues();
  for (const [js, h] of MIRROR) {
    assert.ok(h in c, `include/tree.h defines no PV_TREE_${h}: update web/js/state.js TREE_LIMITS and this test`);
    assert.equal(TREE_LIMITS[js], c[h], `TREE_LIMITS.${js} vs PV_TREE_${h}`);
  }
  assert.deepEqual(Object.keys(TREE_LIMITS).sort(), MIRROR.map(([js]) => js).sort());
  assert.ok(Object.isFrozen(TREE_LIMITS));
});

test('the default view state and link checks read TREE_LIMITS', () => {
  const st = defaultState();
  assert.equal(st.depth, TREE_LIMITS.defaultDepth);
  assert.equal(st.cutoff, TREE_LIMITS.defaultCutoff);
  const max = TREE_LIMITS.maxDepth;
  assert.equal(stateFromUrl(`?depth=${max}`).state.depth, max);
  const over = stateFromUrl(`?depth=${max + 1}`);
  assert.equal(over.state.depth, TREE_LIMITS.defaultDepth);
  assert.match(over.notices[0], new RegExp(`depth is 1 to ${max}\\.$`));
  assert.equal(validDepth(max), true);
  assert.equal(validDepth(max + 1), false);
  assert.equal(validDepth(0), false);
  assert.equal(validDepth(2.5), false);
  assert.equal(validDepth(NaN), false);
});
