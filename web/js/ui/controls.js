// The sticky header: view switch, search box, breadcrumbs, depth, cutoff,
// hide filters (as removable chips) and the "Copy link" button. Reflects
// the view state and reports user changes to the viewer; it keeps no state
// of its own beyond what is on screen. Depth and cutoff show the user's
// choice, else what the tree on screen was built with; the depth field
// takes the server's range, both from the last tree answer (setTree()).

import { h, $, replaceChildren, setText } from './dom.js';
import { displayText, fmtSeconds, fmtPct, fmtCount, truncate } from '../model/format.js';
import { HIDE_KINDS, DEPTH_AUTO, shownSettings, outOfLimits, isInverted } from '../state.js';

const HIDE_LABEL = { builtins: 'built-ins', stdlib: 'stdlib', 'site-packages': 'site-packages' };
const SEARCH_DEBOUNCE_MS = 150;

export class Controls {
  /**
   * cb: {change(changes, {push}), searchEnter(), crumb(index), invert()}
   */
  constructor(cb) {
    this.cb = cb;
    this.state = null;
    this.answer = null; // the tree answer on screen, for its params
    this.limits = null; // the server's ranges and defaults (state.js limitsFrom)
    this.search = $('#search');
    this.searchTimer = 0;
    this.copyTimer = 0;
    this.crumbData = { crumbs: [], mode: null };
    this.crumbFrame = 0; // the frame that measures the crumbs (setCrumbs), or 0
    this.wire();
    // Narrower or wider: the crumbs that fit change.
    new ResizeObserver(() => this.layoutCrumbs()).observe($('#crumbs'));
  }

  wire() {
    for (const b of document.querySelectorAll('#view-switch button')) {
      b.addEventListener('click', () => this.cb.change({ view: b.dataset.view }, { push: true }));
    }
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.cb.change({ q: this.search.value }, { push: false }), SEARCH_DEBOUNCE_MS);
    });
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        clearTimeout(this.searchTimer);
        this.cb.change({ q: this.search.value }, { push: false });
        this.cb.searchEnter();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        this.search.blur();
        $('#overlay').focus({ preventScroll: true });
      }
    });
    const depth = $('#depth');
    depth.addEventListener('change', () => {
      const text = depth.value.trim().toLowerCase();
      // "auto", or nothing: as deep as the cutoff allows. The server's
      // default is not written in the link.
      if (text === '' || text === DEPTH_AUTO) {
        const isDefault = text === '' || !this.limits || this.limits.depth.default === DEPTH_AUTO;
        this.cb.change({ depth: isDefault ? null : DEPTH_AUTO }, { push: true });
        return;
      }
      const d = /^\d+$/.test(text) ? Number(text) : NaN;
      // Before the first answer the range is not known: the server judges.
      if (Number.isInteger(d) && !outOfLimits({ depth: d }, this.limits).length) {
        this.cb.change({ depth: d }, { push: true });
      } else {
        this.showSettings();
      }
    });
    $('#cutoff').addEventListener('change', (e) => this.cb.change({ cutoff: Number(e.target.value) }, { push: true }));
    const add = $('#hide-add');
    add.addEventListener('change', () => {
      const v = add.value;
      add.value = '';
      if (!v || this.state.hide.includes(v)) return;
      const hide = HIDE_KINDS.filter((k) => k === v || this.state.hide.includes(k));
      this.cb.change({ hide }, { push: true });
    });
    $('#copy-link').addEventListener('click', () => this.copyLink());
    $('#invert').addEventListener('click', () => this.cb.invert());
    const menu = $('#crumb-menu');
    menu.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault(); // not the viewer's Escape, which goes up a level
      e.stopPropagation();
      this.closeCrumbMenu();
      $('#crumb-more')?.focus();
    });
    document.addEventListener('click', (e) => {
      if (!menu.hidden && !menu.contains(e.target) && !e.target.closest?.('#crumb-more')) this.closeCrumbMenu();
    });
  }

  /** Reflects a view state into the controls. */
  update(st) {
    this.state = st;
    for (const b of document.querySelectorAll('#view-switch button')) {
      b.setAttribute('aria-pressed', String(b.dataset.view === st.view));
    }
    if (document.activeElement !== this.search && this.search.value !== st.q) this.search.value = st.q;
    this.showSettings();
    for (const o of $('#hide-add').options) if (o.value) o.disabled = st.hide.includes(o.value);
    // Callers are never folded: the chips stay, for the way back.
    const inverted = isInverted(st);
    const add = $('#hide-add');
    add.disabled = inverted;
    add.title = inverted ? 'Callers are never folded: hiding applies to the callees view' : 'Fold these functions into their callers';
    const invert = $('#invert');
    invert.setAttribute('aria-pressed', String(inverted));
    // Something to invert around: a root, the end of a drill path, or a selection.
    invert.disabled = !inverted && st.root === null && !st.path.length && st.sel === null;
    const chips = st.hide.map((k) => h('button', {
      type: 'button',
      className: 'chip',
      title: `Show ${HIDE_LABEL[k]} again`,
      dataset: { hide: k },
      onclick: () => this.cb.change({ hide: this.state.hide.filter((x) => x !== k) }, { push: true }),
    }, 'hiding ' + HIDE_LABEL[k], h('span', { className: 'chip-x', attrs: { 'aria-hidden': 'true' }, text: '×' })));
    replaceChildren($('#chips'), chips);
    document.body.classList.toggle('is-table', st.view === 'table');
  }

  /** The tree answer now on screen, and the server's limits (null: not known). */
  setTree(answer, limits) {
    this.answer = answer;
    this.limits = limits;
    const depth = $('#depth');
    if (this.limits) {
      const { min, max, default: d } = this.limits.depth;
      depth.min = String(min);
      depth.max = String(max);
      depth.title = `Levels shown below the root (${min} to ${max}; the server's default is ${d}), or auto: as deep as the cutoff allows`;
    }
    this.showSettings();
  }

  /** Depth and cutoff: the user's choice, else the answer's; empty before both. */
  showSettings() {
    if (!this.state) return;
    const shown = shownSettings(this.state, this.answer);
    const depth = $('#depth');
    if (document.activeElement !== depth) depth.value = shown.depth === null ? '' : String(shown.depth);
    const cutoff = $('#cutoff');
    if (shown.cutoff === null) {
      cutoff.selectedIndex = -1;
      return;
    }
    const val = String(shown.cutoff);
    if (![...cutoff.options].some((o) => o.value === val)) {
      cutoff.append(h('option', { value: val, text: fmtPct(shown.cutoff * 100) }));
    }
    cutoff.value = val;
  }

  setProfile(meta) {
    setText($('#profile-name'), truncate(displayText(meta.name), 60));
    $('#profile-name').title = displayText(meta.name);
    setText($('#profile-meta'), `${fmtCount(meta.functions)} functions · ${fmtSeconds(meta.total_time)}`);
    document.title = truncate(displayText(meta.name), 60) + ' · pstatsviz';
  }

  /**
   * breadcrumbs as the tree API gives them; mode: 'root' for a root=fid
   * view (all its calls), 'callers' for its inverted view, null for a path.
   */
  setCrumbs(crumbs, mode) {
    this.crumbData = { crumbs: crumbs || [], mode };
    this.closeCrumbMenu();
    this.renderCrumbs(0);
    // Whether they fit is measured in the next frame, with the chart's
    // layout: measuring here, as a tree arrives, laid the page out once
    // more before that frame.
    if (!this.crumbFrame) this.crumbFrame = requestAnimationFrame(() => { this.crumbFrame = 0; this.layoutCrumbs(); });
  }

  /**
   * Every crumb whole while they fit; past that the middle ones go, from
   * the top down, into one "…" menu: "all", the menu, and at least the
   * parent and the current crumb stay.  (Shrunk to fit, they read "p…"
   * and "_…" in an 800 px window.)
   */
  layoutCrumbs() {
    const nav = $('#crumbs');
    const { crumbs } = this.crumbData;
    const most = Math.max(0, crumbs.length - 3); // crumbs 1 .. n-3 may go
    let hidden = 0;
    this.renderCrumbs(hidden);
    while (hidden < most && nav.scrollWidth > nav.clientWidth + 1) this.renderCrumbs(++hidden);
    nav.scrollLeft = nav.scrollWidth;
  }

  renderCrumbs(hidden) {
    const { crumbs, mode } = this.crumbData;
    const items = [];
    const sep = () => h('span', { className: 'sep', attrs: { 'aria-hidden': 'true' }, text: '›' });
    crumbs.forEach((c, i) => {
      if (i >= 1 && i <= hidden) {
        if (i === 1) {
          items.push(sep(), h('button', {
            type: 'button', className: 'crumb crumb-more', id: 'crumb-more', title: `${hidden} more levels`,
            attrs: { 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'crumb-menu' },
            onclick: () => this.toggleCrumbMenu(hidden),
          }, '…'));
        }
        return;
      }
      const last = i === crumbs.length - 1;
      if (i > 0) items.push(sep());
      const name = c.fid === null || c.fid === undefined ? 'all' : truncate(displayText(c.name), 48);
      const title = `${displayText(c.name)} · ${fmtSeconds(c.value)}`;
      if (last) {
        items.push(h('span', { className: 'crumb current', title, attrs: { 'aria-current': 'page' } }, name,
          mode && i > 0 ? h('span', { className: 'crumb-mode', text: mode === 'callers' ? ' · its callers' : ' · all calls' }) : null));
      } else {
        items.push(h('button', { type: 'button', className: 'crumb', title, onclick: () => this.cb.crumb(i) }, name));
      }
    });
    replaceChildren($('#crumbs'), items);
  }

  /** The "…" menu: crumbs 1..hidden, one a line, whole. */
  toggleCrumbMenu(hidden) {
    const menu = $('#crumb-menu');
    if (!menu.hidden) { this.closeCrumbMenu(); return; }
    const { crumbs } = this.crumbData;
    replaceChildren(menu, crumbs.slice(1, hidden + 1).map((c, k) => h('button', {
      type: 'button', className: 'crumb-item', attrs: { role: 'menuitem' },
      title: `${displayText(c.name)} · ${fmtSeconds(c.value)}`,
      onclick: () => { this.closeCrumbMenu(); this.cb.crumb(k + 1); },
    }, truncate(displayText(c.name), 200), h('span', { className: 'muted', text: ' ' + fmtSeconds(c.value) }))));
    const more = $('#crumb-more');
    const r = more.getBoundingClientRect();
    const bar = menu.offsetParent ? menu.offsetParent.getBoundingClientRect() : { left: 0, top: 0 };
    menu.style.left = Math.max(0, r.left - bar.left) + 'px';
    menu.style.top = (r.bottom - bar.top + 2) + 'px';
    menu.hidden = false;
    more.setAttribute('aria-expanded', 'true');
    menu.querySelector('button')?.focus();
  }

  closeCrumbMenu() {
    const menu = $('#crumb-menu');
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    $('#crumb-more')?.setAttribute('aria-expanded', 'false');
  }

  /** The line under the search box: {text, title, none} (model/search.js searchInfo). */
  setSearchInfo(info) {
    const el = $('#search-info');
    setText(el, info.text);
    el.title = info.title;
    el.classList.toggle('none', info.none);
  }

  focusSearch() {
    this.search.focus();
    this.search.select();
  }

  async copyLink() {
    const btn = $('#copy-link');
    const url = window.location.href;
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(url);
        ok = true;
      }
    } catch { /* fall back below */ }
    if (!ok) ok = fallbackCopy(url);
    btn.classList.add('done');
    setText(btn, ok ? 'Copied' : 'Press Ctrl+C');
    clearTimeout(this.copyTimer);
    this.copyTimer = setTimeout(() => { btn.classList.remove('done'); setText(btn, 'Copy link'); }, 2000);
  }
}

/** Copies through a selected, read-only text field; leaves it selected if copying is refused. */
function fallbackCopy(text) {
  const old = document.getElementById('copy-fallback');
  if (old) old.remove();
  const input = h('input', { id: 'copy-fallback', className: 'copy-fallback', readOnly: true, value: text, attrs: { 'aria-label': 'Link to this view' } });
  document.querySelector('.topbar .bar').append(input);
  input.focus();
  input.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  if (ok) input.remove();
  else input.addEventListener('blur', () => input.remove(), { once: true });
  return ok;
}
