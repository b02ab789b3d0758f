// The upload page: file picker and drag and drop, upload progress, the
// server's message for a rejected file, the list of this browser's uploads
// and deleting from it; the viewer's page for a deleted profile.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserSuite, waitIdle, assertNoProblems, RASA_SAMPLE, CORPUS, SYNTHETIC_10K } from './harness.mjs';

const suite = browserSuite();

test('a rejected file shows the server\'s message and stays on the page', async () => {
  const file = join(CORPUS, 'malformed', 'truncated_at_278.prof');
  const r = await fetch(suite.base + '/api/profiles', { method: 'POST', body: readFileSync(file) });
  assert.equal(r.status, 422);
  const { error } = await r.json();
  const page = await suite.newPage();
  await page.goto(suite.base + '/');
  await page.setInputFiles('#file', file);
  await page.waitForSelector('#upload-error:not([hidden])');
  assert.equal(await page.textContent('#upload-error-title'), 'This is not a Python stats file, nor memory data.');
  assert.equal((await page.textContent('#upload-error-text')).trim(), error.message);
  assert.match(error.message, /^offset \d+: unexpected end of data/);
  assert.equal(new URL(page.url()).pathname, '/');
  // A text file, too.
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, not a profile\n') });
  await page.waitForFunction(() => !/offset 2\d\d/.test(document.querySelector('#upload-error-text').textContent));
  assert.ok((await page.textContent('#upload-error-text')).trim().length > 0);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('upload with progress, land on the viewer, list and delete it', async () => {
  const page = await suite.newPage();
  await page.goto(suite.base + '/');
  // Slow the upload down so that progress is visible.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 400 * 1024 });
  const big = SYNTHETIC_10K;
  const seen = page.evaluate(() => new Promise((resolve) => {
    const pct = new Set();
    const obs = new MutationObserver(() => {
      const t = document.querySelector('#progress-pct').textContent;
      if (/^\d+%$/.test(t)) pct.add(parseInt(t, 10));
      if ([...pct].some((p) => p > 0 && p < 100)) { obs.disconnect(); resolve([...pct]); }
    });
    obs.observe(document.querySelector('#progress'), { subtree: true, childList: true, characterData: true, attributes: true });
  }));
  await page.setInputFiles('#file', big);
  const pcts = await seen;
  assert.ok(pcts.some((p) => p > 0 && p < 100), 'progress between 0 and 100%: ' + pcts);
  await page.waitForURL(/\/p\/[0-9a-f]{32}/, { timeout: 60000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const id = /\/p\/([0-9a-f]{32})/.exec(page.url())[1];
  await waitIdle(page, 30000);

  // The second upload, through drag and drop.
  await page.goto(suite.base + '/');
  const bytes = [...readFileSync(RASA_SAMPLE)];
  await page.evaluate((b) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(b)], 'dropped.prof', { type: 'application/octet-stream' }));
    const zone = document.querySelector('#dropzone');
    zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForURL(/\/p\/[0-9a-f]{32}/);
  const id2 = /\/p\/([0-9a-f]{32})/.exec(page.url())[1];
  await waitIdle(page);
  assert.equal(await page.textContent('#profile-name'), 'dropped.prof');

  // Both are listed, newest first, each linking to its viewer.
  await page.goto(suite.base + '/');
  await page.waitForSelector('#recent-body tr');
  const rows = await page.$$eval('#recent-body tr', (els) => els.map((e) => [e.dataset.id, e.querySelector('a').getAttribute('href'), e.querySelector('a').textContent]));
  assert.deepEqual(rows, [[id2, '/p/' + id2, 'dropped.prof'], [id, '/p/' + id, 'synthetic_10000.prof']]);

  // Delete the first: 204, gone from the list and from the server.
  await page.click(`#recent-body tr[data-id="${id2}"] button`);
  await page.waitForFunction((x) => !document.querySelector(`#recent-body tr[data-id="${x}"]`), id2);
  assert.equal((await fetch(`${suite.base}/api/profiles/${id2}`)).status, 404);
  assert.equal((await fetch(`${suite.base}/api/profiles/${id}`)).status, 200, 'the other one is still there');
  await page.goto(`${suite.base}/p/${id2}`);
  await page.waitForSelector('#fatal:not([hidden])');
  assert.equal(await page.textContent('#fatal-title'), 'This profile does not exist or was deleted');

  // An entry whose profile is already gone (404) leaves the list too.
  await page.goto(suite.base + '/');
  await page.evaluate(() => {
    const list = JSON.parse(localStorage.getItem('pstatsviz.uploads'));
    list.unshift({ id: 'f'.repeat(32), name: 'gone.prof', delete_token: 'x'.repeat(64), date: new Date().toISOString() });
    localStorage.setItem('pstatsviz.uploads', JSON.stringify(list));
  });
  await page.reload();
  await page.click(`#recent-body tr[data-id="${'f'.repeat(32)}"] button`);
  await page.waitForFunction(() => document.querySelectorAll('#recent-body tr').length === 1);
  // A wrong token (403) keeps the entry and says so.
  await page.evaluate(() => {
    const list = JSON.parse(localStorage.getItem('pstatsviz.uploads'));
    list[0].delete_token = 'wrong';
    localStorage.setItem('pstatsviz.uploads', JSON.stringify(list));
  });
  await page.reload();
  await page.click(`#recent-body tr[data-id="${id}"] button`);
  await page.waitForFunction(() => /wrong delete key/.test(document.querySelector('#recent-body .row-status').textContent));
  assert.equal((await fetch(`${suite.base}/api/profiles/${id}`)).status, 200);
  assertNoProblems(page, assert);
  await page.context().close();
});
