// dom.js: h() sets only what its allowlist names. It must refuse markup
// (innerHTML, outerHTML, srcdoc), event handlers given as text, attributes
// outside ARIA and role, links that run code, and tags that run or load
// something, before it makes an element.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { h, checkProps } from '../../web/js/ui/dom.js';

// Just enough DOM for h(): elements record what was set on them.
class FakeNode {}
class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag;
    this.dataset = {};
    this.attributes = {};
    this.listeners = {};
    this.childNodes = [];
    this.textContent = '';
  }

  setAttribute(k, v) { this.attributes[k] = v; }
  addEventListener(k, fn) { this.listeners[k] = fn; }
  appendChild(c) { this.childNodes.push(c); }
}
let made = 0;
globalThis.Node = FakeNode;
globalThis.document = {
  createElement(tag) { made++; return new FakeElement(tag); },
  createTextNode(text) { const t = new FakeNode(); t.text = text; return t; },
};
beforeEach(() => { made = 0; });

const refused = [
  ['innerHTML', 'div', { innerHTML: '<img src=x onerror=alert(1)>' }],
  ['outerHTML', 'div', { outerHTML: '<script>alert(1)</script>' }],
  ['srcdoc', 'div', { srcdoc: '<script>alert(1)</script>' }],
  ['insertAdjacentHTML as a property', 'div', { insertAdjacentHTML: 'x' }],
  ['an event handler as text', 'button', { onclick: 'alert(1)' }],
  ['an event outside the list, even as a function', 'div', { onerror: () => {} }],
  ['onload as a function', 'div', { onload: () => {} }],
  ['an on* attribute', 'div', { attrs: { onclick: 'alert(1)' } }],
  ['an ONCLICK attribute', 'div', { attrs: { ONCLICK: 'alert(1)' } }],
  ['a srcdoc attribute', 'div', { attrs: { srcdoc: '<script>alert(1)</script>' } }],
  ['a style attribute', 'div', { attrs: { style: 'background:url(javascript:alert(1))' } }],
  ['an href attribute', 'a', { attrs: { href: 'javascript:alert(1)' } }],
  ['a javascript: link', 'a', { href: 'javascript:alert(1)' }],
  ['a JavaScript: link with spaces', 'a', { href: ' JavaScript:alert(1)' }],
  ['a data: link', 'a', { href: 'data:text/html,<script>alert(1)</script>' }],
  ['a link to another host', 'a', { href: '//evil.example/' }],
  ['a data key that is not a name', 'div', { dataset: { 'x y': 1 } }],
  ['a script tag', 'script', { text: 'alert(1)' }],
  ['an iframe', 'iframe', {}],
  ['a style tag', 'style', { text: 'body{}' }],
  ['an unknown property', 'div', { style: 'color:red' }],
];
for (const [name, tag, props] of refused) {
  test(`h() refuses ${name}`, () => {
    assert.throws(() => h(tag, props), TypeError);
    assert.throws(() => checkProps(tag, props), TypeError);
    assert.equal(made, 0, 'no element was made');
  });
}

test('h() builds what the pages build', () => {
  const click = () => {};
  const el = h('a', {
    className: 'button small', id: 'x', title: '<b>t</b>', href: 'vscode://file/tmp/a.py:3', text: '<script>alert(1)</script>',
    dataset: { fid: 3, text: 'a"b' }, attrs: { 'aria-label': 'Open', role: 'link' }, onclick: click,
    disabled: false, type: undefined, value: null,
  });
  assert.equal(el.tagName, 'a');
  assert.equal(el.className, 'button small');
  assert.equal(el.title, '<b>t</b>');
  assert.equal(el.href, 'vscode://file/tmp/a.py:3');
  assert.equal(el.textContent, '<script>alert(1)</script>', 'text is text');
  assert.deepEqual(el.dataset, { fid: 3, text: 'a"b' });
  assert.deepEqual(el.attributes, { 'aria-label': 'Open', role: 'link' });
  assert.equal(el.listeners.click, click);
  assert.equal('disabled' in el, false, 'false, null and undefined are left out');
  assert.equal('value' in el, false);

  const row = h('tr', {}, h('td', { className: 'num', text: '1' }), 'plain <i>text</i>', null, [h('td', {})]);
  assert.equal(row.childNodes.length, 3);
  assert.equal(row.childNodes[1].text, 'plain <i>text</i>');
  assert.equal(h('a', { href: '/p/' + 'a'.repeat(32) }).href, '/p/' + 'a'.repeat(32));
  assert.equal(h('input', { readOnly: true, value: 'v' }).readOnly, true);
});
