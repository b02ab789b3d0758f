// The viewer's memory data (issue 15): the "Memory" view beside the icicle,
// sunburst and table, which shows an attached mprof recording's chart
// (ui/memchart.js) or a line report's tables (ui/memlines.js), and the
// "Add memory data…" button, which uploads a file attached to the profile
// (POST /api/profiles?attach=<pid>). It keeps the records it fetched; the
// viewer owns the view state (view=memory, mem=<id>, range=t0,t1) and is
// told of a choice, a zoom or an upload through callbacks. The zoom goes
// into the link as the memory page's does (memchart.js's RangeLink).

import { fetchMemory, uploadProfile } from '../api.js';
import { fmtMiB, fmtElapsed } from '../model/memory.js';
import { displayText, truncate, baseName, fmtCount } from '../model/format.js';
import { MemoryChart, RangeLink } from './memchart.js';
import { lineTable } from './memlines.js';
import { h, $, replaceChildren, setText } from './dom.js';

const KIND_LABEL = { mprof: 'mprof recording', lines: 'line report' };

export class MemoryView {
  /**
   * profileId: the viewer's profile.
   * cb: {track(promise), notice(text, kind), choose(memId), attached(answer), showFunction(name),
   *      range([t0, t1] | null, {push})}: range is the user's zoom, in
   *      seconds from the recording's start (null: the whole recording).
   */
  constructor(profileId, cb) {
    this.id = profileId;
    this.cb = cb;
    this.list = [];        // the profile's metadata "memory": [{id, name, kind, peak_mib}]
    this.records = new Map(); // id -> GET /api/memory/<id> (or a promise of it)
    this.current = null;   // the record id shown
    this.active = false;
    this.loading = 0;
    this.wanted = null;    // the state's range: [t0, t1] from the start, or null
    this.chart = new MemoryChart({
      wrap: $('#mem-wrap'), canvas: $('#mem-chart'), overlay: $('#mem-overlay'), tooltip: $('#tooltip'),
    }, {
      track: (p) => this.track(p),
      onError: (e) => cb.notice('The memory samples could not be loaded: ' + truncate(e.message, 300), 'error'),
      onRange: (t0, t1, whole, source) => {
        this.showRange(t0, t1, whole);
        this.link.onRange(t0, t1, whole, source);
      },
    });
    // Made before the viewer adds its popstate handler (see RangeLink).
    this.link = new RangeLink(this.chart, { notice: cb.notice, range: cb.range });
    $('#mem-select').addEventListener('change', (e) => this.cb.choose(e.target.value || null));
    $('#mem-whole').addEventListener('click', () => this.chart.reset('reset'));
    const file = $('#mem-file');
    $('#add-memory').addEventListener('click', () => file.click());
    file.addEventListener('change', () => {
      const f = file.files && file.files[0];
      file.value = '';
      if (f) this.upload(f);
    });
  }

  track(p) {
    this.loading++;
    return this.cb.track(p).finally(() => { this.loading--; });
  }

  /** The profile's attached records (its metadata's "memory"; absent on older servers). */
  setList(list) {
    this.list = Array.isArray(list) ? list.filter((m) => m && typeof m.id === 'string') : [];
    this.fillSelect();
  }

  /** Whether a record is known to be of this kind, among those attached or fetched. */
  has(kind) {
    if (this.list.some((m) => m.kind === kind)) return true;
    for (const r of this.records.values()) if (r && !(r instanceof Promise) && r.kind === kind) return true;
    return false;
  }

  hasAny() {
    return this.list.length > 0 || this.current !== null;
  }

  /** The record the view shows for mem (the link's, else the first recording, else the first). */
  pick(mem) {
    if (mem) return mem;
    const rec = this.list.find((m) => m.kind === 'mprof') || this.list[0];
    return rec ? rec.id : null;
  }

  fillSelect() {
    const sel = $('#mem-select');
    const ids = this.list.map((m) => m.id);
    if (this.current && !ids.includes(this.current)) ids.push(this.current);
    sel.replaceChildren(...ids.map((id) => {
      const m = this.list.find((x) => x.id === id) || this.records.get(id) || { name: id };
      const kind = KIND_LABEL[m.kind] || 'memory data';
      return h('option', { value: id, text: `${truncate(displayText(m.name), 60)} (${kind}${Number.isFinite(m.peak_mib) ? ', peak ' + fmtMiB(m.peak_mib) : ''})` });
    }));
    sel.value = this.current || '';
    sel.hidden = ids.length < 2;
  }

  /**
   * Shows or hides the Memory view; shows record mem (or the default one),
   * over range ([t0, t1] in seconds from its start, the state's) or whole.
   */
  async show(active, mem, range = null) {
    this.active = active;
    this.wanted = range;
    $('#mem-pane').hidden = !active;
    const id = this.pick(mem);
    if (!active) { this.chart.els.tooltip.hidden = true; return; }
    if (id === this.current) {
      const rec = this.records.get(id);
      if (rec && !(rec instanceof Promise) && rec.kind === 'mprof') this.showRecording(id, rec);
      else this.chart.schedule();
      return;
    }
    this.current = id;
    this.fillSelect();
    if (!id) {
      this.showEmpty();
      return;
    }
    const rec = await this.record(id);
    if (this.current !== id) return;
    if (!rec) {
      replaceChildren($('#mem-lines'), h('p', { className: 'message error', text: 'This memory record does not exist or was deleted.' }));
      $('#mem-wrap').hidden = true;
      return;
    }
    this.fillSelect();
    if (rec.kind === 'mprof') this.showRecording(id, rec);
    else this.showReport(rec);
  }

  /** GET /api/memory/<id>, once; null when it fails (the notice says why). */
  async record(id) {
    let r = this.records.get(id);
    if (r === undefined) {
      r = this.track(fetchMemory(id)).then((res) => {
        if (res.ok) { this.records.set(id, res.data); return res.data; }
        this.records.delete(id);
        if (res.error.status !== 404) this.cb.notice('The memory data could not be loaded: ' + truncate(res.error.message, 300), 'error');
        return null;
      });
      this.records.set(id, r);
    }
    return r;
  }

  showEmpty() {
    $('#mem-wrap').hidden = true;
    setText($('#mem-summary'), '');
    replaceChildren($('#mem-lines'), h('div', { className: 'mem-empty' },
      h('p', { text: 'No memory data is attached to this profile.' }),
      h('p', { className: 'hint', text: 'Add an mprof recording (mprof run: mprofile_*.dat) or a memory_profiler report (python -m memory_profiler script.py > report.txt) with “Add memory data…”.' })));
  }

  showRecording(id, rec) {
    $('#mem-wrap').hidden = false;
    replaceChildren($('#mem-lines'));
    const calls = Array.isArray(rec.funcs) ? rec.funcs.length : 0;
    setText($('#mem-summary'), `${fmtCount(rec.samples)} sample${rec.samples === 1 ? '' : 's'} · ${fmtElapsed(rec.end_t - rec.start_t)} · peak ${fmtMiB(rec.peak && rec.peak.mib)}` +
      (calls ? ` · ${fmtCount(calls)} @profile call${calls === 1 ? '' : 's'}` : ''));
    this.link.show(id, rec, this.wanted);
  }

  showReport(rec) {
    $('#mem-wrap').hidden = true;
    const fns = Array.isArray(rec.functions) ? rec.functions : [];
    setText($('#mem-summary'), `line report · ${fmtCount(fns.length)} ${fns.length === 1 ? 'function' : 'functions'} · peak ${fmtMiB(rec.peak_mib)}`);
    replaceChildren($('#mem-lines'), fns.map((f) => h('section', { className: 'mem-fn', dataset: { fn: String(f.name ?? '') } },
      h('h2', {},
        f.name ? h('button', { type: 'button', className: 'linkish mono', title: 'Find this function in the profile', text: truncate(displayText(f.name), 200), onclick: () => this.cb.showFunction(f.name) })
          : h('span', { text: `lines ${f.first_line}–${f.last_line}` }),
        h('span', { className: 'muted mono', text: '  ' + truncate(displayText(baseName(f.file) + ':' + f.first_line), 200) })),
      lineTable(f))));
  }

  showRange(t0, t1, whole) {
    $('#mem-whole').hidden = whole;
    const rec = this.chart.rec;
    setText($('#mem-range'), whole || !rec ? '' : `showing ${fmtElapsed(t0 - rec.start_t)} – ${fmtElapsed(t1 - rec.start_t)}`);
  }

  /** Uploads a memory file attached to this profile; the viewer is told of the answer. */
  async upload(file) {
    const btn = $('#add-memory');
    btn.disabled = true;
    setText(btn, 'Uploading…');
    const res = await this.cb.track(uploadProfile(file, { attach: this.id }));
    btn.disabled = false;
    setText(btn, 'Add memory data…');
    if (!res.ok) {
      this.cb.notice(`${truncate(displayText(file.name), 80)}: ${truncate(res.error.message, 400)}`, 'error');
      return;
    }
    const d = res.data;
    if (d.kind !== 'mprof' && d.kind !== 'lines') {
      this.cb.notice(`${truncate(displayText(file.name), 80)} is a stats file, not memory data: upload it on the start page to see it on its own.`, 'warn');
      return;
    }
    this.records.delete(d.id);
    if (!this.list.some((m) => m.id === d.id)) this.list.push({ id: d.id, name: d.name, kind: d.kind, peak_mib: d.peak_mib });
    this.fillSelect();
    this.cb.attached(d);
  }

  idle() {
    if (!this.active) return true;
    if (this.loading || this.link.busy()) return false;
    const r = this.current ? this.records.get(this.current) : null;
    if (r instanceof Promise) return false;
    return !r || r.kind !== 'mprof' || this.chart.idle();
  }

  /** The page hook's memory(): the chart as drawn, or the report shown. */
  describe() {
    if (!this.active) return null;
    const r = this.current ? this.records.get(this.current) : null;
    if (!r || r instanceof Promise) return null;
    if (r.kind === 'mprof') return Object.assign({ kind: 'mprof' }, this.chart.describe());
    return { kind: 'lines', id: this.current, functions: (r.functions || []).map((f) => f.name) };
  }
}
