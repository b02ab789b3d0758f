// The memory page (/m/<id>): one memory record on its own. An mprof
// recording shows its memory-over-time chart (ui/memchart.js) with its
// command line, peak and @profile brackets; a memory_profiler line report
// shows each function's per-line table (ui/memlines.js). The profiles it
// is attached to are linked. Text from the files goes in through dom.js
// (textContent) and the canvas's fillText only.
//
// A recording's zoom is kept in the link, range=t0,t1 in seconds from its
// start (state.js's memoryLinkFromUrl and memoryUrl), as in the viewer's
// Memory view and by the same code (memchart.js's RangeLink): one history
// step per settled zoom, restored on open and on back or forward.

import { fetchMemory } from '../api.js';
import { fmtMiB, fmtMiBDelta, fmtElapsed } from '../model/memory.js';
import { displayText, truncate, fmtCount, baseName } from '../model/format.js';
import { MemoryChart, RangeLink } from './memchart.js';
import { memoryLinkFromUrl, memoryUrl } from '../state.js';
import { lineTable } from './memlines.js';
import { h, $, replaceChildren, setText, delayedShow } from './dom.js';

const ID_RE = /^\/m\/([0-9a-f]{32})\/?$/;
const MAX_FUNCS = 200;

function fatal(title, text) {
  document.body.classList.add('is-fatal');
  $('#viewer').hidden = true;
  $('#fatal').hidden = false;
  setText($('#fatal-title'), title);
  setText($('#fatal-text'), text);
  document.title = title + ' · pstatsviz';
}

/** A notice under the header; kind: 'error' or 'warn' (both wait to be dismissed). */
function notice(text, kind = 'error') {
  const box = $('#notices');
  for (const n of box.children) if (n.dataset.text === text) return;
  const el = h('div', { className: 'notice ' + kind, dataset: { text } }, h('span', { text }),
    h('button', { type: 'button', className: 'notice-x', title: 'Dismiss', text: '×', onclick: () => el.remove() }));
  box.append(el);
}

function statGrid(items) {
  return h('dl', { className: 'stats' }, items.map(([k, v, title]) =>
    h('div', { className: 'stat', title: title || null }, h('dt', { text: k }), h('dd', { text: v }))));
}

class MemoryPage {
  constructor(id) {
    this.id = id;
    this.rec = null;
    this.range = null; // the link's range: [t0, t1] from the recording's start, or null
    this.pending = 0;
    this.hideSpinner = null;
    this.chart = new MemoryChart({
      wrap: $('#mem-wrap'), canvas: $('#mem-chart'), overlay: $('#mem-overlay'), tooltip: $('#tooltip'),
    }, {
      track: (p) => this.track(p),
      onError: (e) => notice('The samples could not be loaded: ' + truncate(e.message, 300)),
      onRange: (t0, t1, whole, source) => {
        this.showRange(t0, t1, whole);
        this.link.onRange(t0, t1, whole, source);
      },
    });
    // Made before the page's popstate handler is added (see RangeLink).
    this.link = new RangeLink(this.chart, { notice, range: (range, opts) => this.setRange(range, opts) });
    window.addEventListener('popstate', () => this.readLink());
    $('#mem-whole').addEventListener('click', () => this.chart.reset('reset'));
    $('#copy-link').addEventListener('click', () => this.copyLink());
  }

  /** Takes the range from the link (on open, back and forward), with notices for a bad one. */
  readLink() {
    const parsed = memoryLinkFromUrl(window.location.search);
    parsed.notices.forEach((n) => notice(n, 'warn'));
    this.range = parsed.range;
    if (this.rec && this.rec.kind === 'mprof') this.link.show(this.id, this.rec, this.range);
  }

  /** The link's range changes: push for a zoom of the user's, else the link is corrected in place. */
  setRange(range, { push = false } = {}) {
    this.range = range;
    const url = memoryUrl(range, window.location.pathname);
    if (url !== window.location.pathname + window.location.search) {
      if (push) history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    if (this.rec && this.rec.kind === 'mprof') this.link.show(this.id, this.rec, range);
  }

  track(promise) {
    this.pending++;
    if (this.pending === 1) this.hideSpinner = delayedShow($('#spinner'), 150);
    return promise.finally(() => {
      this.pending--;
      if (this.pending === 0 && this.hideSpinner) { this.hideSpinner(); this.hideSpinner = null; }
    });
  }

  async start() {
    this.readLink();
    // A bad range leaves the link with its notice.
    history.replaceState(null, '', memoryUrl(this.range, window.location.pathname));
    const res = await this.track(fetchMemory(this.id));
    if (!res.ok) {
      if (res.error.status === 404) fatal('This memory record does not exist or was deleted', 'Check the link, or upload the file again: the same file gets the same link.');
      else fatal('The memory record could not be loaded', res.error.message);
      return;
    }
    const rec = res.data;
    this.rec = rec;
    const name = displayText(rec.name);
    setText($('#mem-name'), truncate(name, 80));
    $('#mem-name').title = name;
    document.title = truncate(name, 60) + ' · memory · pstatsviz';
    if (rec.kind === 'mprof') this.showRecording(rec);
    else if (rec.kind === 'lines') this.showReport(rec);
    else fatal('Unknown kind of memory record', `The server sent kind “${truncate(displayText(String(rec.kind)), 40)}”, which this page does not know.`);
  }

  attachedLinks(rec) {
    const ids = Array.isArray(rec.attached_to) ? rec.attached_to : [];
    if (!ids.length) return null;
    return h('p', { className: 'mem-attached' }, 'Attached to ',
      ids.map((pid) => h('a', { href: `/p/${encodeURIComponent(pid)}?v=1&view=memory&mem=${encodeURIComponent(this.id)}`, className: 'mono', text: 'profile ' + String(pid).slice(0, 8) + '…' })));
  }

  showRecording(rec) {
    $('#mem-chart-pane').hidden = false;
    const dur = rec.end_t - rec.start_t;
    setText($('#mem-meta'), `mprof · ${fmtCount(rec.samples)} samples · ${fmtElapsed(dur)} · peak ${fmtMiB(rec.peak && rec.peak.mib)}`);
    this.link.show(this.id, rec, this.range);
    const funcs = Array.isArray(rec.funcs) ? rec.funcs : [];
    const kids = Array.isArray(rec.children) ? rec.children : [];
    $('#lg-children').hidden = kids.length === 0;
    const parts = [
      h('h3', { text: 'Recording' }),
      rec.cmdline ? h('p', { className: 'cmdline', text: truncate(displayText(rec.cmdline), 2000) }) : null,
      statGrid([
        ['samples', fmtCount(rec.samples)],
        ['duration', fmtElapsed(dur)],
        ['peak', fmtMiB(rec.peak && rec.peak.mib), 'the largest sample of the main process'],
        ['peak at', rec.peak ? fmtElapsed(rec.peak.t - rec.start_t) : '–', 'seconds from the start'],
        ['@profile calls', fmtCount(funcs.length)],
        ['child processes', fmtCount(kids.length)],
      ]),
      this.attachedLinks(rec),
    ];
    if (funcs.length) {
      parts.push(h('h3', {}, '@profile calls ', h('span', { className: 'count', text: fmtCount(funcs.length) })));
      parts.push(h('table', { className: 'edge-table mem-funcs' },
        h('thead', {}, h('tr', {},
          h('th', { text: 'function' }), h('th', { className: 'num', text: 'start' }), h('th', { className: 'num', text: 'duration' }),
          h('th', { className: 'num', text: 'memory' }), h('th', { className: 'num', text: 'change' }))),
        h('tbody', {}, funcs.slice(0, MAX_FUNCS).map((f) => h('tr', {
          className: 'clickable', title: 'Zoom the chart to this call',
          onclick: () => this.chart.setRange(f.start_t, f.end_t, 'call'),
        },
        h('td', { className: 'fn mono', title: displayText(f.name), text: truncate(displayText(f.name), 200) }),
        h('td', { className: 'num', text: fmtElapsed(f.start_t - rec.start_t) }),
        h('td', { className: 'num', text: fmtElapsed(f.end_t - f.start_t) }),
        h('td', { className: 'num', text: `${fmtMiB(f.start_mib)} → ${fmtMiB(f.end_mib)}` }),
        h('td', { className: 'num', text: fmtMiBDelta(f.end_mib - f.start_mib) }))))));
      if (funcs.length > MAX_FUNCS) parts.push(h('p', { className: 'hint', text: `and ${fmtCount(funcs.length - MAX_FUNCS)} more` }));
    }
    if (kids.length) {
      parts.push(h('h3', { text: 'Child processes' }));
      parts.push(h('ul', { className: 'entries' }, kids.map((c) => h('li', {},
        h('span', { className: 'mono', text: 'pid ' + String(c.pid) }),
        h('span', { className: 'num muted', text: ` ${fmtCount(c.samples)} samples · peak ${fmtMiB(c.peak_mib)}` })))));
    }
    replaceChildren($('#mem-info'), parts);
  }

  showReport(rec) {
    const fns = Array.isArray(rec.functions) ? rec.functions : [];
    const lines = fns.reduce((n, f) => n + (Array.isArray(f.lines) ? f.lines.length : 0), 0);
    setText($('#mem-meta'), `memory_profiler report · ${fmtCount(fns.length)} ${fns.length === 1 ? 'function' : 'functions'} · ${fmtCount(lines)} lines · peak ${fmtMiB(rec.peak_mib)}` +
      (rec.unit === 'MB' ? ' · old format (MB)' : ''));
    const parts = [this.attachedLinks(rec)];
    for (const f of fns) {
      const title = f.name ? displayText(f.name) : `lines ${f.first_line}–${f.last_line}`;
      parts.push(h('section', { className: 'mem-fn', dataset: { fn: String(f.name ?? '') } },
        h('h2', { text: truncate(title, 200) }),
        h('div', { className: 'fn-loc' }, h('span', { className: 'mono muted', title: displayText(f.file), text: truncate(displayText(baseName(f.file) + ':' + f.first_line), 200) })),
        lineTable(f)));
    }
    if (!fns.length) parts.push(h('p', { className: 'hint', text: 'This report has no functions.' }));
    replaceChildren($('#mem-info'), parts);
  }

  showRange(t0, t1, whole) {
    $('#mem-whole').hidden = whole;
    setText($('#mem-range'), whole || !this.rec ? '' : `${fmtElapsed(t0 - this.rec.start_t)} – ${fmtElapsed(t1 - this.rec.start_t)}`);
  }

  async copyLink() {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(window.location.href); ok = true; }
    } catch { /* shown below */ }
    const btn = $('#copy-link');
    setText(btn, ok ? 'Copied' : 'Copy failed: use the address bar');
    btn.classList.add('done');
    setTimeout(() => { btn.classList.remove('done'); setText(btn, 'Copy link'); }, 2000);
  }

  idle() {
    if (!this.rec || this.pending || this.link.busy()) return false;
    return this.rec.kind !== 'mprof' || this.chart.idle();
  }
}

/**
 * The page hook, window.__pstatsviz (docs/API.md, "The viewer's page
 * hook"): page "memory", idle(), record() (kind and name) and memory()
 * (the chart as drawn: range, peak and bands in viewport pixels).
 */
function exposeHook(page) {
  Object.defineProperty(window, '__pstatsviz', {
    writable: false,
    value: Object.freeze({
      page: 'memory',
      idle: () => page.idle(),
      record: () => (page.rec ? { id: page.id, kind: page.rec.kind, name: page.rec.name } : null),
      memory: () => page.chart.describe(),
      memoryMetrics: () => Object.assign({}, page.chart.metrics),
    }),
  });
}

const m = ID_RE.exec(window.location.pathname);
if (!m) {
  fatal('Not a memory link', 'A memory link looks like /m/ followed by 32 hexadecimal digits.');
} else {
  const page = new MemoryPage(m[1]);
  exposeHook(page);
  page.start();
}
