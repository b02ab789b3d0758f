// A sparse mprof recording (a sample every 1.5 s) zoomed, through the
// link's range=, into a span between two samples, and into one holding a
// single sample: the chart draws its line across the plot, from the
// sample before the range to the one after it, and the hover reads the
// line's value and the nearest sample's. The memory page (/m/<id>) and
// the viewer's Memory view draw with the same chart (ui/memchart.js), so
// both are checked. Before, the plot was empty between two samples, and
// the line started and ended in the air around a single one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSuite, uploadApi, waitIdle, screenshot, assertNoProblems, RASA_SAMPLE } from './harness.mjs';

const START = 1700000000;
const STEP_S = 1.5;
// MiB of the main process, one sample every STEP_S from START.
const MIB = [10, 40, 25, 60, 30, 20];

function sparseRecording() {
  const lines = ['CMDLINE python3 sparse.py'];
  MIB.forEach((mib, i) => lines.push(`MEM ${mib.toFixed(6)} ${(START + i * STEP_S).toFixed(4)}`));
  lines.push(`FUNC __main__.work 40.0 ${START + STEP_S} 60.0 ${START + 3 * STEP_S} 0`);
  return lines.join('\n') + '\n';
}

const ids = {};
let work = null;

const suite = browserSuite({
  setup: async (s) => {
    work = mkdtempSync(join(tmpdir(), 'pstatsviz-sparse-'));
    const file = join(work, 'sparse.mprof.dat');
    writeFileSync(file, sparseRecording());
    ids.mem = (await uploadApi(s.base, file)).id;
    ids.prof = (await uploadApi(s.base, RASA_SAMPLE)).id;
    await uploadApi(s.base, file, 'sparse.mprof.dat', ids.prof);
  },
});

test.after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** The main process's memory at elapsed seconds s: straight from sample to sample. */
function lineAt(s) {
  const i = Math.min(MIB.length - 2, Math.floor(s / STEP_S));
  const f = (s - i * STEP_S) / STEP_S;
  return MIB[i] + (MIB[i + 1] - MIB[i]) * f;
}

/**
 * For each point {x, y} (viewport pixels), whether the chart's canvas has
 * the line's colour (render/memory.js's MEM_THEME.line, #2f6feb) within
 * 3 px of y in the pixel column x or one beside it (where a grid line
 * crosses, a pixel the line only partly covers is blended with the grid's
 * grey). One read of the canvas.
 */
function lineNear(page, points) {
  return page.$eval('#mem-chart', (c, pts) => {
    const r = c.getBoundingClientRect();
    const k = c.width / r.width;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return pts.map((at) => {
      const x0 = Math.round((at.x - r.left) * k);
      for (const px of [x0, x0 - 1, x0 + 1]) {
        for (let py = Math.round((at.y - 3 - r.top) * k); py <= Math.round((at.y + 3 - r.top) * k); py++) {
          const i = (py * c.width + px) * 4;
          if (d[i + 3] > 100 && Math.abs(d[i] - 47) < 40 && Math.abs(d[i + 1] - 111) < 40 && Math.abs(d[i + 2] - 235) < 40) return true;
        }
      }
      return false;
    });
  }, points);
}

/** The y (viewport px) of mib in the chart m (window.__pstatsviz.memory()). */
function yOf(m, mib) {
  return m.plot.y + m.plot.h * (1 - mib / m.yMax);
}

/**
 * Opens url (with range=a,b in seconds from the start), and checks the
 * chart draws the line on the plot at a quarter, half and three quarters
 * of its width, at the memory the samples around give there, and that the
 * hover reads it. samplesInside: how many samples the range holds.
 */
async function checkZoom(url, [a, b], samplesInside, shot) {
  const page = await suite.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await waitIdle(page);
  const m = await page.evaluate(() => window.__pstatsviz.memory());
  assert.equal(m.whole, false);
  assert.ok(Math.abs(m.t0 - (START + a)) < 1e-3 && Math.abs(m.t1 - (START + b)) < 1e-3, `the range shown: ${m.t0 - START}..${m.t1 - START}`);
  const points = [0.02, 0.25, 0.5, 0.75, 0.98].map((f) => {
    const x = m.plot.x + m.plot.w * f;
    const s = a + (b - a) * f;
    return { x, y: yOf(m, lineAt(s)), what: `${(f * 100).toFixed(0)}% of the plot (${s.toFixed(3)} s, ${lineAt(s).toFixed(2)} MiB)` };
  });
  await screenshot(page, shot);
  const found = await lineNear(page, points);
  points.forEach((p, i) => assert.ok(found[i], `the line at ${p.what}, y ${p.y.toFixed(1)}`));
  assert.equal(m.columns, samplesInside, 'the pixels with samples');
  assert.equal(m.edges, 2, 'the line carried to both edges of the plot');
  // The hover, a quarter in: no sample there, the line's value and the
  // nearest sample, at its own time.
  const x = m.plot.x + m.plot.w * 0.25;
  const s = a + (b - a) * 0.25;
  await page.mouse.move(x, m.plot.y + m.plot.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tip = await page.$eval('#tooltip', (e) => e.textContent);
  const value = /memory≈ ([\d.]+) MiB/.exec(tip);
  assert.ok(value, tip);
  assert.ok(Math.abs(Number(value[1]) - lineAt(s)) < 0.2, `${value[1]} MiB at ${s} s, the line has ${lineAt(s)}: ${tip}`);
  const nearest = Math.round(s / STEP_S);
  const t = nearest * STEP_S;
  assert.ok(tip.includes(`nearest sample${MIB[nearest].toFixed(1)} MiB at ${t.toFixed(2)} s`), `the nearest sample, ${MIB[nearest]} MiB at ${t} s: ${tip}`);
  await screenshot(page, shot + '-hover');
  assertNoProblems(page, assert);
  await page.context().close();
}

// 1.8..2.6 s: between the samples at 1.5 (40 MiB) and 3.0 s (25 MiB).
test('memory page: a sparse recording zoomed between two samples draws the line across the plot, and the hover reads it', async () => {
  await checkZoom(`${suite.base}/m/${ids.mem}?range=1.8,2.6`, [1.8, 2.6], 0, 'memory-sparse-between-1400');
});

// 2.2..3.9 s: the sample at 3.0 s (25 MiB) alone inside.
test('memory page: zoomed around a single sample, the line comes from the sample before and goes on to the one after', async () => {
  await checkZoom(`${suite.base}/m/${ids.mem}?range=2.2,3.9`, [2.2, 3.9], 1, 'memory-sparse-one-1400');
});

test('Memory view: the viewer draws a sparse recording zoomed between two samples the same way', async () => {
  await checkZoom(`${suite.base}/p/${ids.prof}?view=memory&mem=${ids.mem}&range=1.8,2.6`, [1.8, 2.6], 0, 'memory-sparse-view-between-1400');
});
