// The viewer keeps no copy of the tree's ranges and defaults: it shows the
// depth and cutoff a tree answer says it was built with ("params"), and
// judges the user's choices by the answer's "limits" (docs/API.md, "The
// tree"). The answers here have limits no server of ours has, so that a
// copy of include/tree.h's numbers anywhere in web/ would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultState, withChanges, limitsFrom, shownSettings, outOfLimits } from '../../web/js/state.js';

const ANSWER = Object.freeze({
  total_time: 1,
  params: { depth: 7, cutoff: 0.02, max_nodes: 300 },
  limits: {
    depth: { min: 2, max: 33, default: 7 },
    cutoff: { min: 0, max: 0.5, default: 0.02 },
    max_nodes: { min: 1, max: 500, default: 300 },
  },
  breadcrumbs: [],
  root: { fid: null, name: 'all', value: 1, children: [] },
});

test('the settings shown are the answer\'s until the user chooses', () => {
  assert.deepEqual(shownSettings(defaultState(), ANSWER), { depth: 7, cutoff: 0.02 });
  assert.deepEqual(shownSettings(withChanges(defaultState(), { depth: 12 }), ANSWER), { depth: 12, cutoff: 0.02 });
  assert.deepEqual(shownSettings(withChanges(defaultState(), { cutoff: 0 }), ANSWER), { depth: 7, cutoff: 0 });
});

test('before any answer, nothing is shown for settings the user did not choose', () => {
  assert.deepEqual(shownSettings(defaultState(), null), { depth: null, cutoff: null });
  assert.deepEqual(shownSettings(defaultState(), { params: { depth: 'x' } }), { depth: null, cutoff: null });
});

test('limits are read from the answer', () => {
  const l = limitsFrom(ANSWER);
  assert.deepEqual(l.depth, { min: 2, max: 33, default: 7 });
  assert.deepEqual(l.cutoff, { min: 0, max: 0.5, default: 0.02 });
  assert.ok(Object.isFrozen(l) && Object.isFrozen(l.depth));
});

const badLimits = [
  ['no answer', null],
  ['no limits', { params: {} }],
  ['a setting missing', { limits: { depth: { min: 1, max: 2, default: 1 } } }],
  ['a range upside down', { limits: { depth: { min: 5, max: 2, default: 3 }, cutoff: { min: 0, max: 1, default: 0 } } }],
  ['text for a number', { limits: { depth: { min: '1', max: 2, default: 1 }, cutoff: { min: 0, max: 1, default: 0 } } }],
];
for (const [name, answer] of badLimits) {
  test(`limits that make no sense are none: ${name}`, () => {
    assert.equal(limitsFrom(answer), null);
  });
}

test('choices are judged by the answer\'s limits', () => {
  const l = limitsFrom(ANSWER);
  const st = (c) => withChanges(defaultState(), c);
  assert.deepEqual(outOfLimits(st({ depth: 33, cutoff: 0.5 }), l), []);
  assert.deepEqual(outOfLimits(st({ depth: 34 }), l), [{ key: 'depth', value: 34, min: 2, max: 33 }]);
  assert.deepEqual(outOfLimits(st({ depth: 1 }), l), [{ key: 'depth', value: 1, min: 2, max: 33 }]);
  assert.deepEqual(outOfLimits(st({ depth: 2.5 }), l), [{ key: 'depth', value: 2.5, min: 2, max: 33 }]);
  assert.deepEqual(outOfLimits(st({ cutoff: 0.6, depth: 40 }), l).map((b) => b.key), ['depth', 'cutoff']);
  assert.deepEqual(outOfLimits(defaultState(), l), [], 'nothing chosen, nothing out');
  assert.deepEqual(outOfLimits(st({ depth: 999 }), null), [], 'no limits known: nothing judged');
});

test('depth "auto": a server default and a chosen value, shown and never out of limits', () => {
  const auto = {
    params: { depth: 'auto', cutoff: 0.001, max_nodes: 20000 },
    limits: { depth: { min: 1, max: 64, default: 'auto' }, cutoff: { min: 0, max: 1, default: 0.001 }, max_nodes: { min: 1, max: 100000, default: 20000 } },
  };
  const l = limitsFrom(auto);
  assert.ok(l, 'limits with an "auto" default are understood');
  assert.equal(l.depth.default, 'auto');
  assert.deepEqual(shownSettings(defaultState(), auto), { depth: 'auto', cutoff: 0.001 });
  assert.deepEqual(outOfLimits(withChanges(defaultState(), { depth: 'auto' }), l), []);
  assert.equal(limitsFrom({ ...auto, limits: { ...auto.limits, cutoff: { min: 0, max: 1, default: 'auto' } } }), null, 'only depth may be auto');
});
