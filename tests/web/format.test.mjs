// format.js: numbers as users read them, profile text made visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtSeconds, fmtPct, fmtCount, fmtNcalls, displayText, truncate, vscodeLink, shortLocation, fmtPstats } from '../../web/js/model/format.js';

const seconds = [
  [1.5914, '1.59 s'], [0.6401, '640 ms'], [0.0351, '35.1 ms'], [0.00298, '2.98 ms'],
  [0.000301, '301 µs'], [3.1e-5, '31.0 µs'], [1e-6, '1.00 µs'], [0, '0 s'], [null, '–'], [NaN, '–'], [Infinity, '∞'], [123.4, '123 s'],
];
for (const [v, want] of seconds) test(`fmtSeconds(${v}) is ${want}`, () => assert.equal(fmtSeconds(v), want));

test('fmtPstats prints 3 decimals like pstats', () => {
  assert.equal(fmtPstats(0.598717096), '0.599');
  assert.equal(fmtPstats(NaN), 'nan');
});

test('fmtPct scales its precision', () => {
  assert.equal(fmtPct(57.93), '57.9%');
  assert.equal(fmtPct(1.234), '1.23%');
  assert.equal(fmtPct(0.0123), '0.012%');
  assert.equal(fmtPct(0.0000001), '<0.001%');
});

test('fmtCount groups thousands', () => {
  assert.equal(fmtCount(8401), '8,401');
  assert.equal(fmtCount(410443), '410,443');
  assert.equal(fmtCount(12), '12');
  assert.equal(fmtCount(-1234567), '-1,234,567');
});

test('fmtNcalls shows nc/cc only for recursion', () => {
  assert.equal(fmtNcalls(8401, 8401), '8401');
  assert.equal(fmtNcalls(177, 1), '177/1');
});

const texts = [
  ['<script>alert(1)</script>', '<script>alert(1)</script>'],
  ['name\u0000with\u0000nul', 'name\\x00with\\x00nul'],
  ['line\nbreak\ttab', 'line\\nbreak\\ttab'],
  ['\u202eevil\u202c rtl', '\\u202eevil\\u202c rtl'],
  ['zero\u200bwidth\u007f', 'zero\\u200bwidth\\x7f'],
  ['lone \udcff surrogate', 'lone \ufffd surrogate'],
  ['', '∅'],
  ['quote"\'`back\\slash', 'quote"\'`back\\slash'],
  ['😀 emoji', '😀 emoji'],
];
for (const [inp, want] of texts) test(`displayText(${JSON.stringify(inp)})`, () => assert.equal(displayText(inp), want));

test('truncate ends with an ellipsis', () => {
  assert.equal(truncate('predict_action_probabilities', 10), 'predict_a…');
  assert.equal(truncate('abc', 3), 'abc');
  assert.equal(truncate('abc', 0), '');
  assert.equal(truncate('x'.repeat(100000), 5), 'xxxx…');
});

test('shortLocation', () => {
  assert.equal(shortLocation('/a/b/rule_policy.py', 895), 'rule_policy.py:895');
  assert.equal(shortLocation('~', 0), '');
  assert.equal(shortLocation('C:\\Users\\x\\y.py', 4), 'y.py:4');
});

const links = [
  ['/workspaces/rasa-sample/rule_policy.py', 895, 'vscode://file/workspaces/rasa-sample/rule_policy.py:895'],
  ['/tmp/a b/c#1?.py', 3, 'vscode://file/tmp/a%20b/c%231%3F.py:3'],
  ['C:\\Users\\x\\y.py', 4, 'vscode://file/C:/Users/x/y.py:4'],
  ['/tmp/café.py', 1, 'vscode://file/tmp/caf%C3%A9.py:1'],
  ['~', 0, null],
  ['<frozen importlib._bootstrap>', 6, null],
  ['<string>', 1, null],
  ['rasa_sample/main.py', 75, null],
  ['line\nbreak.py', 9, null],
  ['/x/\udcff.py', 8, null],
  ['', 0, null],
];
for (const [file, line, want] of links) test(`vscodeLink(${JSON.stringify(file)})`, () => assert.equal(vscodeLink(file, line), want));
