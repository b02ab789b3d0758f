// The start page's list of the server's profiles (when it is started with
// --list; otherwise /api/profiles is a 404 and the section stays hidden):
// newest first, a page at a time, searchable by name, and two runs picked
// (A, then B) to open the compare page with.

import { listProfiles } from '../api.js';
import { fmtCount, fmtSeconds, displayText, truncate } from '../model/format.js';
import { h, $, replaceChildren, setText } from './dom.js';

const PAGE = 20;

const list = {
  q: '',
  offset: 0,
  total: 0,
  seq: 0,
  picks: [], // [{id, name}]: A, then B
};

function fmtDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function togglePick(p) {
  const i = list.picks.findIndex((x) => x.id === p.id);
  if (i >= 0) list.picks.splice(i, 1);
  else {
    if (list.picks.length === 2) list.picks.shift(); // a third pick replaces A; B becomes A
    list.picks.push({ id: p.id, name: p.name });
  }
  renderPicks();
}

function renderPicks() {
  for (const tr of document.querySelectorAll('#list-body tr')) {
    const i = list.picks.findIndex((x) => x.id === tr.dataset.id);
    tr.classList.toggle('picked', i >= 0);
    setText(tr.querySelector('.pick-badge'), i < 0 ? '' : i === 0 ? 'A' : 'B');
    tr.querySelector('button').setAttribute('aria-pressed', String(i >= 0));
  }
  const [a, b] = list.picks;
  $('#compare').disabled = !(a && b);
  setText($('#pick-info'), !a ? 'Pick two runs to compare: A, then B.'
    : !b ? `A: ${truncate(displayText(a.name), 40)}. Now pick B.`
      : `A: ${truncate(displayText(a.name), 30)} → B: ${truncate(displayText(b.name), 30)}`);
}

async function load() {
  const seq = ++list.seq;
  const r = await listProfiles({ limit: PAGE, offset: list.offset, q: list.q });
  if (seq !== list.seq) return;
  if (!r.ok) { // 404: this server does not list; anything else: say nothing here
    $('#server-list').hidden = true;
    return;
  }
  const d = r.data;
  list.total = d.total;
  $('#server-list').hidden = d.total === 0 && !list.q;
  replaceChildren($('#list-body'), d.profiles.map((p) => h('tr', { dataset: { id: p.id } },
    h('td', { className: 'pick' },
      h('button', { type: 'button', className: 'button small', title: 'Pick this run for the comparison', text: 'pick', onclick: () => togglePick(p) }),
      ' ', h('span', { className: 'pick-badge' })),
    h('td', { className: 'name' }, h('a', { href: '/p/' + p.id, text: truncate(displayText(p.name), 80), title: displayText(p.name) })),
    h('td', { className: 'num', text: fmtSeconds(p.total_time) }),
    h('td', { className: 'num', text: fmtCount(p.functions) }),
    h('td', { className: 'date', text: fmtDate(p.created) }))));
  const last = Math.min(d.offset + d.profiles.length, d.total);
  setText($('#list-info'), d.total ? `${fmtCount(d.offset + 1)}–${fmtCount(last)} of ${fmtCount(d.total)}` : 'No profile has that in its name.');
  $('#list-prev').disabled = d.offset === 0;
  $('#list-next').disabled = last >= d.total;
  renderPicks();
}

let timer = null;
$('#list-q').addEventListener('input', (e) => {
  clearTimeout(timer);
  timer = setTimeout(() => { list.q = e.target.value.trim(); list.offset = 0; load(); }, 200);
});
$('#list-prev').addEventListener('click', () => { list.offset = Math.max(0, list.offset - PAGE); load(); });
$('#list-next').addEventListener('click', () => { list.offset += PAGE; load(); });
$('#compare').addEventListener('click', () => {
  const [a, b] = list.picks;
  if (a && b) window.location.assign(`/diff/${a.id}/${b.id}`);
});
load();
