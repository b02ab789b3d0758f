// The bundled sample's memory data (data/, made by data/regenerate.sh with
// memory_profiler): both rasa runs with their mprof recording and their
// line report of RulePolicy._predict attached, as `make run` serves them.
// The chart, _predict's lines in the details panel, and the comparison's
// verdict, against the numbers in the files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserSuite, uploadApi, getJson, waitIdle, screenshot, assertNoProblems, RASA_SAMPLE, RASA_5000, REPO, readMprof } from './harness.mjs';
import { fmtMiB } from '../../web/js/model/memory.js';

const DATA = join(REPO, 'data');
const ids = {};

const suite = browserSuite({
  setup: async (s) => {
    ids.a = (await uploadApi(s.base, RASA_SAMPLE)).id;
    ids.b = (await uploadApi(s.base, RASA_5000)).id;
    for (const [run, pid] of [['1000', ids.a], ['5000', ids.b]]) {
      ids['mprof' + run] = (await uploadApi(s.base, join(DATA, `rasa_maxsize${run}.mprof.dat`), null, pid)).id;
      ids['lines' + run] = (await uploadApi(s.base, join(DATA, `rasa_maxsize${run}.mem.txt`), null, pid)).id;
    }
  },
});

/**
 * The line of the largest increment in a memory_profiler report's first
 * function, after its entry row (the first measured one: the memory in
 * use at entry, not growth).
 */
function topLine(path) {
  let best = null;
  let entry = true;
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*(\d+)\s+[\d.]+ MiB\s+(-?[\d.]+) MiB/.exec(l);
    if (!m) continue;
    if (entry) { entry = false; continue; }
    if (best === null || Number(m[2]) > best.inc) best = { line: Number(m[1]), inc: Number(m[2]) };
  }
  return best.line;
}

for (const [w, h] of [[1400, 900], [800, 600]]) {
  test(`sample memory at ${w}×${h}: the recording's chart, and _predict's lines in the details panel`, async () => {
    const want = readMprof(join(DATA, 'rasa_maxsize1000.mprof.dat'));
    const page = await suite.newPage({ viewport: { width: w, height: h } });
    await page.goto(`${suite.base}/p/${ids.a}?v=1&view=memory`);
    await waitIdle(page);
    const chart = await page.evaluate(() => window.__pstatsviz.memory());
    assert.equal(chart.id, ids.mprof1000, 'the Memory view shows the recording by default');
    assert.equal(chart.peak.mib, want.peak);
    assert.deepEqual(chart.bands.map((b) => b.name), want.funcs);
    // one call: "1 @profile call", not "1 @profile calls"
    assert.match(await page.textContent('#mem-summary'), new RegExp(`^[\\d,]+ samples · .* · ${want.funcs.length} @profile call${want.funcs.length === 1 ? '' : 's'}$`));
    // the picker shows the file's name and kind whole
    const pick = await page.$eval('#mem-select', (sel) => {
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = getComputedStyle(sel).font;
      return { text: ctx.measureText(sel.options[sel.selectedIndex].text).width, box: sel.clientWidth };
    });
    assert.ok(pick.box >= pick.text + 20, `the memory file picker is ${pick.box} px for ${Math.round(pick.text)} px of text`);
    await screenshot(page, `memory-sample-chart-${w}`);

    const rows = (await getJson(suite.base, `/api/profiles/${ids.a}/functions?q=${encodeURIComponent('rule_policy\\.py:[0-9]+\\(_predict\\)$')}`)).rows;
    assert.equal(rows.length, 1);
    await page.goto(`${suite.base}/p/${ids.a}?v=1&view=icicle&sel=${rows[0].fid}`);
    await waitIdle(page);
    await page.waitForSelector('#memory-lines tr.top');
    assert.equal(await page.$eval('#memory-lines tr.top', (t) => Number(t.dataset.line)), topLine(join(DATA, 'rasa_maxsize1000.mem.txt')));
    assert.equal(await page.$eval('#memory-lines tr.hl', (t) => Number(t.dataset.line)), rows[0].line);
    await page.$eval('#memory-lines', (e) => e.scrollIntoView());
    await screenshot(page, `memory-sample-details-${w}`);
    assertNoProblems(page, assert);
  });
}

test('sample memory: the comparison reads like the verdict, with the memory peak A → B', async () => {
  const diff = await getJson(suite.base, `/api/diff?a=${ids.a}&b=${ids.b}&limit=1`);
  assert.ok(diff.memory);
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${suite.base}/diff/${ids.a}/${ids.b}`);
  await page.waitForFunction(() => window.__pstatsviz && window.__pstatsviz.idle(), null, { timeout: 15000 });
  const summary = await page.$eval('#summary', (e) => e.textContent);
  assert.ok(summary.includes(`memory peak${fmtMiB(diff.memory.a.peak_mib)} → ${fmtMiB(diff.memory.b.peak_mib)}`), summary);
  assert.match(await page.$eval('#verdict', (e) => e.textContent), /^B: \d+% fewer calls, \d+% less time, .* memory\.$/);
  assert.ok(await page.$('#diff-mem tbody tr'), '_predict\'s lines side by side');
  await page.$eval('#diff-mem', (e) => e.scrollIntoView());
  await screenshot(page, 'memory-sample-diff-1400');
  assertNoProblems(page, assert);
});
