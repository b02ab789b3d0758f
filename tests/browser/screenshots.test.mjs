// Screenshots of every view at 1280×800, saved under build/screenshots/ for
// people to look at (the release note uses them). Each also checks that the
// view it shows is the one it claims.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  browserSuite, waitIdle, findNode, clickNode, nodes, screenshot, assertNoProblems,
  RASA_SAMPLE, REPO, CORPUS, uploadApi,
} from './harness.mjs';

let id;

const suite = browserSuite({ serverArgs: ['--source-root', join(REPO, 'data', 'rasa_sample')] });

async function hoverNode(page, name, depth) {
  const n = await findNode(page, name, depth);
  assert.ok(n, name + ' visible');
  await page.mouse.move(n.x + Math.min(n.w / 2, 60), n.y + n.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  await page.waitForFunction(() => !document.querySelector('#tooltip').textContent.includes('loading totals'), null, { timeout: 5000 }).catch(() => {});
}

test('upload page: drop zone, a rejected file, the upload list', async () => {
  const page = await suite.newPage();
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', RASA_SAMPLE);
  await page.waitForURL(/\/p\//);
  id = /\/p\/([0-9a-f]{32})/.exec(page.url())[1];
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', join(CORPUS, 'malformed', 'truncated_at_278.prof'));
  await page.waitForSelector('#upload-error:not([hidden])');
  assert.match(await page.textContent('#upload-error'), /offset \d+: unexpected end of data/);
  await page.waitForSelector('#recent-body tr');
  await screenshot(page, 'upload');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('icicle with a tooltip', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${id}`);
  await waitIdle(page);
  await hoverNode(page, 'problem_function');
  await screenshot(page, 'icicle');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('sunburst, zoomed on problem_function', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${id}?view=sunburst`);
  await waitIdle(page);
  await clickNode(page, await findNode(page, 'problem_function'));
  await waitIdle(page);
  await hoverNode(page, '_predict');
  await screenshot(page, 'sunburst');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('table sorted by tottime', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${id}?view=table&sort=tottime`);
  await page.waitForSelector('#table-rows .tr[data-fid]');
  await page.hover('#table-rows .tr:nth-child(3)');
  await screenshot(page, 'table');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('details panel with source, zoomed to the lambda', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${id}`);
  await waitIdle(page);
  for (const name of ['problem_function', 'predict_action_probabilities', '_predict', '_find_action_from_rules', '_get_possible_keys', '<lambda>']) {
    await clickNode(page, await findNode(page, name, name === 'problem_function' ? undefined : 1));
    await waitIdle(page);
  }
  await page.waitForSelector('.src-line.hl');
  await page.mouse.move(5, 790);
  await screenshot(page, 'details-source');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('search highlight', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${id}?depth=14`);
  await waitIdle(page);
  await page.keyboard.press('/');
  await page.keyboard.type('json');
  await page.waitForFunction(() => /match/.test(document.querySelector('#search-info').textContent));
  await waitIdle(page);
  assert.ok((await nodes(page)).some((n) => n.match));
  await screenshot(page, 'search');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('hostile names in the table', async () => {
  const nasty = await uploadApi(suite.base, join(CORPUS, 'malformed', 'valid_nasty_strings.prof'));
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${nasty.id}?view=table&sort=name`);
  await page.waitForSelector('#table-rows .tr[data-fid]');
  await screenshot(page, 'hostile-table');
  await page.goto(`${suite.base}/p/${nasty.id}?depth=3&cutoff=0`);
  await waitIdle(page);
  await screenshot(page, 'hostile-icicle');
  assertNoProblems(page, assert);
  await page.context().close();
});
