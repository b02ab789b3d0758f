// The upload page: drop or pick a stats file, show progress, show the
// server's message for a rejected file, then go to the viewer. Lists the
// profiles this browser uploaded, with a delete button each.

import { uploadProfile, deleteProfile, deleteMemory } from '../api.js';
import { listRecent, addRecent, removeRecent, recentHref } from '../model/recent.js';
import { fmtCount, fmtSeconds, displayText } from '../model/format.js';
import { h, $, replaceChildren } from './dom.js';
import './profiles.js'; // the server's list, when it lists

const storage = (() => { try { return window.localStorage; } catch { return null; } })();
const memory = new Map();
const store = storage || { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => memory.set(k, v) };

const zone = $('#dropzone');
const input = $('#file');
const progress = $('#progress');
const fill = $('#progress-fill');
let busy = false;

function showError(title, text) {
  $('#upload-error-title').textContent = title;
  $('#upload-error-text').textContent = text ? ' ' + text : '';
  $('#upload-error').hidden = false;
}

function hideError() {
  $('#upload-error').hidden = true;
}

function setProgress(name, frac, label) {
  progress.hidden = false;
  $('#progress-name').textContent = displayText(name);
  $('#progress-pct').textContent = label || Math.round(frac * 100) + '%';
  fill.style.width = (frac * 100).toFixed(1) + '%';
}

const ERROR_TITLES = {
  not_a_profile: 'This is not a Python stats file, nor memory data.',
  too_large: 'This file is too large for this server.',
  busy: 'The server is busy with other uploads.',
  insufficient_storage: 'The server has no disk space left.',
  network: 'The upload did not reach the server.',
};

async function upload(file) {
  if (busy || !file) return;
  busy = true;
  hideError();
  zone.classList.add('busy');
  setProgress(file.name, 0);
  const res = await uploadProfile(file, {
    name: file.name,
    onProgress: (f) => setProgress(file.name, f, f >= 1 ? 'reading profile…' : null),
  });
  zone.classList.remove('busy');
  busy = false;
  if (res.ok) {
    const entry = addRecent(store, res.data);
    setProgress(file.name, 1, 'opening…');
    window.location.assign(recentHref(entry));
    return;
  }
  progress.hidden = true;
  const e = res.error;
  showError(ERROR_TITLES[e.code] || 'The upload failed.', e.message);
  input.value = '';
}

input.addEventListener('change', () => upload(input.files && input.files[0]));
zone.addEventListener('keydown', (e) => {
  if ((e.key === 'Enter' || e.key === ' ') && e.target === zone) { e.preventDefault(); input.click(); }
});
for (const ev of ['dragenter', 'dragover']) {
  zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add('over'); });
}
for (const ev of ['dragleave', 'dragend']) {
  zone.addEventListener(ev, (e) => { if (e.target === zone) zone.classList.remove('over'); });
}
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  const files = e.dataTransfer && e.dataTransfer.files;
  if (files && files.length > 1) showError('One file at a time, please.', '');
  else if (files && files.length === 1) upload(files[0]);
});
// A file dropped next to the zone should not make the browser navigate away.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

function fmtDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function renderRecent() {
  const list = listRecent(store);
  $('#recent').hidden = list.length === 0;
  const rows = list.map((e) => {
    const status = h('span', { className: 'row-status' });
    const del = h('button', {
      className: 'button small danger',
      type: 'button',
      text: 'Delete',
      title: e.delete_token ? 'Delete this profile from the server' : 'This browser has no delete key for this profile (it was uploaded before, elsewhere)',
      disabled: !e.delete_token,
      onclick: async () => {
        del.disabled = true;
        status.textContent = 'deleting…';
        const res = await (e.kind === 'mprof' || e.kind === 'lines' ? deleteMemory : deleteProfile)(e.id, e.delete_token);
        if (res.ok || res.error.status === 404) {
          removeRecent(store, e.id);
          renderRecent();
        } else {
          del.disabled = false;
          status.textContent = res.error.status === 403 ? 'wrong delete key' : res.error.message;
        }
      },
    });
    return h('tr', { dataset: { id: e.id } },
      h('td', { className: 'name' }, h('a', { href: recentHref(e), text: displayText(e.name) })),
      h('td', { className: 'num', text: e.functions != null ? fmtCount(e.functions) : '' }),
      h('td', { className: 'num', text: e.total_time != null ? fmtSeconds(e.total_time) : '' }),
      h('td', { className: 'date', text: fmtDate(e.date) }),
      h('td', { className: 'actions' }, status, del));
  });
  replaceChildren($('#recent-body'), rows);
}

window.addEventListener('storage', renderRecent);
renderRecent();
