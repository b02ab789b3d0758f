// The details panel's show/hide button. Its choice is kept in localStorage:
// a small window wants the chart's room back every time, not once.
// Reads only its button and the panel; the rest of the page does not know.

import { $ } from './dom.js';

const KEY = 'pstatsviz.details';
const storage = (() => { try { return window.localStorage; } catch { return null; } })();

function apply(shown) {
  $('#viewer').classList.toggle('details-collapsed', !shown);
  const b = $('#details-toggle');
  b.setAttribute('aria-expanded', String(shown));
  b.title = shown ? 'Hide the details panel: more room for the chart' : 'Show the details panel';
  b.classList.toggle('on', shown);
}

const button = $('#details-toggle');
if (button) {
  apply(storage?.getItem(KEY) !== 'hidden');
  button.addEventListener('click', () => {
    const shown = button.getAttribute('aria-expanded') !== 'true';
    apply(shown);
    try { storage?.setItem(KEY, shown ? 'shown' : 'hidden'); } catch { /* private mode: this page only */ }
  });
}
