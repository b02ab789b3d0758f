// Small DOM helpers. Text only ever goes in through textContent (h() and
// setText()), so profile text cannot become markup. h() sets only the
// properties, attributes, events and tags listed below: no markup
// property (inner or outer HTML), srcdoc, an event handler given as a
// string, a javascript: link or a <script> can be made through it,
// whatever a caller passes. It
// throws on anything else, so that a mistake shows up at once, in tests.

// The lists hold what the pages use; add to them when a page needs more.
// Element properties h() sets as properties (el[k] = v).
const PROPS = new Set(['className', 'id', 'title', 'type', 'value', 'href', 'disabled', 'readOnly']);
// Events h() adds listeners for ({onclick: fn}); the value must be a function.
const EVENTS = new Set(['click']);
// Attributes through attrs: {...}: ARIA and role only.
const ATTR_RE = /^(?:role|aria-[a-z]+)$/;
// dataset keys, which become data-* attributes.
const DATA_RE = /^[a-z][a-zA-Z0-9]*$/;
// The tags the pages build. No script, style, iframe, object, embed, svg,
// template or form: each can run or load something of its own.
export const TAGS = new Set(['a', 'b', 'button', 'dd', 'div', 'dl', 'dt', 'h2', 'h3', 'input', 'li', 'option', 'p',
  'section', 'span', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul']);
// Links: a path on this server, or one of these schemes (vscode: opens the editor).
const HREF_RE = /^(?:\/(?![/\\])|(?:https?|vscode):)/i;

function refuse(what) {
  throw new TypeError('dom.h: refused ' + what);
}

/** Throws unless h(tag, props) would set only what the lists above allow. */
export function checkProps(tag, props) {
  if (!TAGS.has(tag)) refuse(`tag <${String(tag).slice(0, 40)}>`);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') continue;
    if (k === 'dataset') {
      for (const d of Object.keys(v)) if (!DATA_RE.test(d)) refuse(`data key "${d.slice(0, 40)}"`);
    } else if (k === 'attrs') {
      for (const a of Object.keys(v)) if (!ATTR_RE.test(a)) refuse(`attribute "${a.slice(0, 40)}"`);
    } else if (k.startsWith('on')) {
      if (!EVENTS.has(k.slice(2)) || typeof v !== 'function') refuse(`event handler "${k.slice(0, 40)}" (${typeof v})`);
    } else if (!PROPS.has(k)) {
      refuse(`property "${k.slice(0, 40)}"`);
    } else if (k === 'href' && !HREF_RE.test(String(v))) {
      refuse(`link "${String(v).slice(0, 40)}"`);
    }
  }
}

/**
 * h('td', {className: 'num', title: x, dataset: {fid: 3}, onclick: fn}, 'text', childNode)
 * on<event> properties become event listeners; dataset and attributes
 * (attrs: {...}) are set as attributes; text sets textContent; strings
 * among the children become text nodes. undefined, null and false values
 * are left out. Throws a TypeError for anything checkProps() refuses,
 * before an element is made.
 */
export function h(tag, props = {}, ...children) {
  checkProps(tag, props);
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) el.setAttribute(a, String(av));
    else if (k === 'text') el.textContent = String(v);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces all children of el. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}

export function setText(el, s) {
  if (el.textContent !== s) el.textContent = s;
}

/** Shows el after delayMs unless done() is called first; returns done. */
export function delayedShow(el, delayMs = 150) {
  const t = setTimeout(() => { el.hidden = false; }, delayMs);
  return () => { clearTimeout(t); el.hidden = true; };
}

const charWidths = new Map(); // CSS font -> width of one character

/**
 * How many characters of el's font fit in width CSS pixels, for text cut
 * to fit (model/format.js cutPath): measured once per font on a canvas,
 * as the average of a mix of characters, so exact for monospace fonts.
 */
export function charsThatFit(el, width) {
  const font = getComputedStyle(el).font;
  let w = charWidths.get(font);
  if (w === undefined) {
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = font;
    const sample = 'abcdefghijklmnopqrstuvwxyz_/.0123456789';
    w = ctx.measureText(sample).width / sample.length || 7;
    charWidths.set(font, w);
  }
  return Math.max(0, Math.floor(width / w));
}

const fitted = new WeakMap(); // element -> its whole text and cut()

/**
 * Shows text in el cut to el's width by cut(text, chars) (for paths:
 * cutPath, which keeps the file name and line whole), with the whole text
 * as its title; cut again whenever el's width changes.
 */
export function fitText(el, text, cut) {
  const had = fitted.has(el);
  fitted.set(el, { text, cut });
  el.title = text;
  const fit = () => {
    const f = fitted.get(el);
    if (f && el.clientWidth > 0) setText(el, f.cut(f.text, charsThatFit(el, el.clientWidth)));
  };
  setText(el, text);
  if (!had) new ResizeObserver(fit).observe(el);
  fit();
}
