// Paths cut in the middle (issue 14, point 10): the file name and line
// stay whole, directories go first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutPath, cutLabel } from '../../web/js/model/format.js';

const RULE = '/root/.pyenv/versions/3.8/lib/python3.8/site-packages/rasa/core/policies/rule_policy.py:895';

test('cutPath keeps the file name and line, and the directories above it that fit', () => {
  const rows = [
    // [path, max, expected]
    [RULE, 40, '…/rasa/core/policies/rule_policy.py:895'],
    [RULE, 39, '…/rasa/core/policies/rule_policy.py:895'],
    [RULE, 38, '…/core/policies/rule_policy.py:895'],
    [RULE, 20, '…/rule_policy.py:895'],
    [RULE, 5, '…/rule_policy.py:895'], // the file name whole, even when it does not fit
    [RULE, RULE.length, RULE],
    ['/a/b.py:1', 3, '…/b.py:1'],
    ['<frozen importlib._bootstrap>:1007', 10, '<frozen importlib._bootstrap>:1007'],
    ['C:\\Users\\me\\proj\\pkg\\mod.py:3', 16, '…\\pkg\\mod.py:3'],
    ['/x/y/', 3, '…/'],
  ];
  for (const [path, max, want] of rows) assert.equal(cutPath(path, max), want, `${path} at ${max}`);
});

test('cutPath never cuts inside the last component, and never lengthens a path', () => {
  for (let max = 0; max < RULE.length + 2; max++) {
    const got = cutPath(RULE, max);
    assert.ok(got.endsWith('/rule_policy.py:895'), got);
    assert.ok(got.length <= Math.max(max, '…/rule_policy.py:895'.length), `${got} at ${max}`);
    assert.ok(got.length <= RULE.length);
  }
});

test('cutLabel keeps the file name, line and function name of a pstats label', () => {
  const label = RULE + '(<lambda>)';
  assert.equal(cutLabel(label, 50), '…/rasa/core/policies/rule_policy.py:895(<lambda>)');
  assert.equal(cutLabel(label, 10), '…/rule_policy.py:895(<lambda>)');
  assert.equal(cutLabel(label, 1000), label);
  assert.equal(cutLabel('{built-in method builtins.exec}', 5), '{built-in method builtins.exec}');
  assert.equal(cutLabel('/home/me (copy)/src/a.py:3(f)', 16), '…/src/a.py:3(f)', 'a "(" in a directory is not the name');
});
