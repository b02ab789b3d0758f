// The keyboard and assistive technology (issue 14, point 9): the function
// table is an ARIA grid, read here through the accessibility tree
// (playwright's role queries and ARIA snapshot), and the chart's focus
// ring is clearly visible, read from the overlay's pixels.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, waitIdle, nodes, uploadApi, assertNoProblems, screenshot, RASA_SAMPLE } from './harness.mjs';

let rasa;
const suite = browserSuite({ async setup({ base }) { rasa = await uploadApi(base, RASA_SAMPLE); } });

test('the table is a grid: column headers with aria-sort on the sorted one, selectable rows', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?view=table`);
  await page.waitForSelector('#table-rows .tr[data-fid]');
  const grid = page.getByRole('grid');
  assert.equal(await grid.count(), 1, 'one grid');
  assert.equal(await grid.getAttribute('aria-rowcount'), String(rasa.functions + 1), 'every function and the header row');
  const heads = grid.getByRole('columnheader');
  assert.equal(await heads.count(), 6, 'six column headers');
  const sorted = async () => (await heads.evaluateAll((hs) => hs.map((h) => [h.textContent.trim(), h.getAttribute('aria-sort')])))
    .filter(([, s]) => s !== null);
  assert.deepEqual(await sorted(), [['cumtime ▼', 'descending']], 'aria-sort on the cumtime header only');
  const snap = await grid.ariaSnapshot();
  assert.match(snap, /- row "ncalls tottime percall cumtime/, 'the header row first');
  assert.match(snap, /- columnheader "cumtime ▼"/);
  assert.match(snap, /- gridcell "[\d.]+"/, 'cells are grid cells');

  // Sorting by tottime moves aria-sort.
  await grid.getByRole('columnheader', { name: /^tottime/ }).getByRole('button').click();
  await page.waitForFunction(() => /sort=tottime/.test(location.search));
  assert.deepEqual(await sorted(), [['tottime ▼', 'descending']]);

  // A click selects a row: aria-selected, and the grid's active descendant.
  const firstRow = page.locator('#table-rows .tr[aria-rowindex="2"]');
  await firstRow.click();
  const selected = grid.getByRole('row', { selected: true });
  await page.waitForFunction(() => document.querySelectorAll('#table-rows [role=row][aria-selected=true]').length === 1);
  assert.equal(await selected.count(), 1, 'one selected row');
  assert.equal(await selected.getAttribute('aria-rowindex'), '2');
  const active = await grid.getAttribute('aria-activedescendant');
  assert.equal(active, await selected.getAttribute('id'), 'the grid names the selected row as its active descendant');
  // The keyboard moves the selection; the grid keeps the focus.
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#table-rows [aria-selected=true]')?.getAttribute('aria-rowindex') === '3');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'grid');
  assert.equal(await grid.getAttribute('aria-activedescendant'), await grid.getByRole('row', { selected: true }).getAttribute('id'));
  assertNoProblems(page, assert);
  await page.context().close();
});

/** The overlay canvas's colours [r, g, b, a] at viewport points, read at once. */
function overlayAt(page, points) {
  return page.evaluate((pts) => {
    const c = document.querySelector('#overlay');
    const r = c.getBoundingClientRect();
    const dpr = c.width / r.width;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return pts.map(([x, y]) => {
      const i = 4 * (Math.round((y - r.top) * dpr) * c.width + Math.round((x - r.left) * dpr));
      return [d[i], d[i + 1], d[i + 2], d[i + 3]];
    });
  }, points);
}

for (const [label, view] of [['icicle', 'icicle'], ['sunburst', 'sunburst']]) {
  test(`the chart's focus ring is clearly visible (${label}): 3 px of dark blue and a white ring`, async () => {
    const page = await suite.newPage();
    await page.goto(`${suite.base}/p/${rasa.id}?view=${view}&path=222`);
    await waitIdle(page);
    await page.keyboard.press('ArrowDown'); // the root takes the focus
    await page.keyboard.press('ArrowDown'); // its first child
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const live = await page.textContent('#chart-live');
    const child = (await nodes(page)).filter((n) => n.depth === 1).sort((a, b) => b.value - a.value)[0];
    assert.ok(live.startsWith(child.name), `the live region names the focused node: ${live}`);
    let pts = [];
    if (view === 'icicle') {
      // down through the top edge of the child's bar
      for (let k = 0; k < 8; k++) pts.push([child.x + child.w / 2, child.y + k]);
    } else {
      // from the centre outwards through the middle of the child's arc
      const c = await page.$eval('#overlay', (e) => { const r = e.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; });
      const dx = child.x + 1 - c.x;
      const dy = child.y + 1 - c.y;
      const len = Math.hypot(dx, dy);
      for (let t = 0; t < len * 2.2; t++) pts.push([c.x + (dx * t) / len, c.y + (dy * t) / len]);
    }
    const column = await overlayAt(page, pts);
    const isRing = ([r, g, b, a]) => a > 200 && b > 150 && b > r + 80 && b > g + 40; // opaque blue
    const isHalo = ([r, g, b, a]) => a > 200 && r > 235 && g > 235 && b > 235;
    // the longest run of ring pixels, and a white pixel next to it
    let best = 0;
    let run = 0;
    let haloNext = false;
    column.forEach((p, i) => {
      run = isRing(p) ? run + 1 : 0;
      if (run > best) best = run;
      if (run >= 3 && ((column[i + 1] && isHalo(column[i + 1])) || (column[i - run] && isHalo(column[i - run])))) haloNext = true;
    });
    await screenshot(page, `focus-ring-${view}`);
    assert.ok(best >= 3, `a ring at least 3 px wide (widest run ${best})`);
    assert.ok(haloNext, 'a white ring next to it');
    assertNoProblems(page, assert);
    await page.context().close();
  });
}
