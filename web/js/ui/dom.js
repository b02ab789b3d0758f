// Small DOM helpers. Text only ever goes in through textContent (h() and
// setText()), so profile text cannot become markup.

/**
 * h('td', {className: 'num', title: x, dataset: {fid: 3}, onclick: fn}, 'text', childNode)
 * Properties starting with "on" become event listeners; dataset and
 * attributes (attrs: {...}) are set as attributes; strings become text nodes.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
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
