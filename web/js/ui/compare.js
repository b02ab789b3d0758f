// The viewer's "Compare with…" menu: pick the other run among the profiles
// this browser uploaded (model/recent.js), those on the server's list (when
// it lists), or paste a link or an id; it opens /diff/<this>/<other>. Only
// reads the page's path and its own button: the viewer's state is not its
// business.

import { listProfiles } from '../api.js';
import { listRecent } from '../model/recent.js';
import { idFromText } from '../model/diff.js';
import { displayText, truncate, fmtSeconds } from '../model/format.js';
import { h, $, replaceChildren, setText } from './dom.js';

const ID_RE = /^\/p\/([0-9a-f]{32})\/?$/;

function storage() {
  try { return window.localStorage; } catch { return null; }
}

function open(self, other) {
  window.location.assign(`/diff/${self}/${other}`);
}

function item(self, p, when) {
  return h('li', {}, h('button', {
    type: 'button', title: displayText(p.name) + ' · ' + p.id, dataset: { id: p.id },
    onclick: () => open(self, p.id),
  }, truncate(displayText(p.name), 50) + (Number.isFinite(p.total_time) ? '  ' + fmtSeconds(p.total_time) : '') + (when ? '  ' + when : '')));
}

async function fill(box, self) {
  const recent = (storage() ? listRecent(storage()) : []).filter((e) => e.id !== self).slice(0, 10);
  const paste = h('input', { type: 'text', id: 'compare-paste', attrs: { 'aria-label': 'A profile link or id' } });
  paste.placeholder = 'paste a link or an id';
  const err = h('p', { className: 'hint', text: '' });
  const go = () => {
    const id = idFromText(paste.value);
    if (id && id !== self) open(self, id);
    else setText(err, id ? 'That is this profile.' : 'Not a profile link or id (32 hex digits).');
  };
  paste.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
  const serverList = h('ul', { id: 'compare-server' });
  replaceChildren(box,
    h('div', { className: 'paste' }, paste, h('button', { type: 'button', className: 'button small', text: 'Compare', onclick: go })), err,
    recent.length ? [h('h3', { text: 'Uploaded from this browser' }), h('ul', { id: 'compare-recent' }, recent.map((e) => item(self, e)))] : null,
    h('h3', { text: 'On this server', id: 'compare-server-h' }), serverList);
  paste.focus();
  const r = await listProfiles({ limit: 20 });
  if (!r.ok) { $('#compare-server-h').remove(); serverList.remove(); return; }
  replaceChildren(serverList, r.data.profiles.filter((p) => p.id !== self).map((p) => item(self, p, (p.created || '').slice(0, 10))));
  if (!serverList.children.length) replaceChildren(serverList, h('li', { className: 'hint', text: 'No other profile.' }));
}

const m = ID_RE.exec(window.location.pathname);
const btn = $('#compare-with');
if (m && btn) {
  let box = null;
  const close = () => { if (box) { box.remove(); box = null; btn.setAttribute('aria-expanded', 'false'); } };
  btn.addEventListener('click', (e) => {
    e.stopPropagation();
    if (box) { close(); return; }
    box = h('div', { className: 'compare-box', id: 'compare-box', attrs: { role: 'dialog', 'aria-label': 'Compare with another run' } });
    const r = btn.getBoundingClientRect();
    box.style.top = r.bottom + 4 + 'px';
    box.style.right = Math.max(4, window.innerWidth - r.right) + 'px';
    document.body.append(box);
    btn.setAttribute('aria-expanded', 'true');
    box.addEventListener('click', (ev) => ev.stopPropagation());
    fill(box, m[1]);
  });
  document.addEventListener('click', close);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
} else if (btn) btn.hidden = true;
