// Shared by the browser tests: start the real pstatsviz binary on a free
// loopback port (embedded web assets, no --web-root), launch Debian's
// chromium through playwright-core (browserSuite() does both for a test
// file), and a few helpers that read the page through its read-only hook
// (window.__pstatsviz, docs/API.md "The viewer's page hook").

import { before, after } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
// The test inputs meson assembles in the build folder (tests/corpus/inputs.py):
// meson test passes their folder; by hand, build/ is assumed.
export const CORPUS = process.env.PSTATSVIZ_CORPUS ? resolve(process.env.PSTATSVIZ_CORPUS) : resolve(REPO, 'build', 'tests', 'corpus');
export const BIN = process.env.PSTATSVIZ ? resolve(process.env.PSTATSVIZ) : resolve(HERE, '..', '..', 'build', 'pstatsviz');
export const SHOTS = resolve(REPO, 'build', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The bundled sample (data/): the maxsize=1000 run, and the maxsize=5000 run
// as a second, separately profiled file with the same story.
export const RASA_SAMPLE = join(REPO, 'data', 'rasa_maxsize1000.prof');
export const RASA_5000 = join(REPO, 'data', 'rasa_maxsize5000.prof');
export const NASTY = join(CORPUS, 'malformed', 'valid_nasty_strings.prof');
export const SYNTHETIC_10K = join(CORPUS, 'synthetic', 'synthetic_10000.prof');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Starts `pstatsviz serve` on a free port with a fresh database; resolves
 * {base, stop()} once /healthz answers. extra: more command-line arguments.
 */
export async function startServer(extra = []) {
  if (!existsSync(BIN)) throw new Error(`no server binary at ${BIN} (build it, or set PSTATSVIZ)`);
  const dir = mkdtempSync(join(tmpdir(), 'pstatsviz-browser-'));
  const port = await freePort();
  const args = ['serve', '--host', '127.0.0.1', '--port', String(port), '--db', join(dir, 't.db'), ...extra];
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; if (stderr.length > 20000) stderr = stderr.slice(-20000); });
  let exited = null;
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (exited) throw new Error(`server exited (${JSON.stringify(exited)}): ${stderr}`);
    try {
      const r = await fetch(base + '/healthz');
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('server did not answer /healthz in 15 s: ' + stderr); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    stderr: () => stderr,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
        if (!exited) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * The fixture of a test file: registers node:test before/after hooks that
 * start one server (with serverArgs added to `pstatsviz serve`) and one
 * chromium before the file's first test, then run setup(suite) if given
 * (uploads, say), and stop both after its last test. Returns the suite,
 * filled in by the time the tests run:
 *   suite.server, suite.browser, suite.base (the server's http://127.0.0.1:port),
 *   suite.newPage(opts) (newPage() in this browser).
 */
export function browserSuite({ serverArgs = [], setup = null } = {}) {
  const suite = {
    server: null,
    browser: null,
    get base() { return suite.server.base; },
    newPage: (opts) => newPage(suite.browser, opts),
  };
  before(async () => {
    suite.server = await startServer(serverArgs);
    suite.browser = await launch();
    if (setup) await setup(suite);
  });
  after(async () => {
    if (suite.browser) await suite.browser.close();
    if (suite.server) await suite.server.stop();
  });
  return suite;
}

/**
 * A page that records page errors, console errors (except the browser's
 * own "Failed to load resource" lines for expected 404s) and dialogs.
 */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext(Object.assign({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 }, opts));
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.problems.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const t = m.text();
    if (/Failed to load resource/.test(t)) return;
    page.problems.push(`console.${m.type()}: ${t}`);
  });
  page.on('dialog', (d) => { page.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  return page;
}

/**
 * Uploads a file through the API (not the page); resolves the JSON answer.
 * attach: the id of the profile that memory data is attached to.
 */
export async function uploadApi(base, file, name, attach) {
  const query = `name=${encodeURIComponent(name || file.split('/').pop())}${attach ? `&attach=${attach}` : ''}`;
  const r = await fetch(`${base}/api/profiles?${query}`, {
    method: 'POST', body: readFileSync(file), headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (r.status !== 200 && r.status !== 201) throw new Error(`upload ${file}: ${r.status} ${await r.text()}`);
  return r.json();
}

export async function getJson(base, path) {
  const r = await fetch(base + path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Runs python3 with pstats on FILE; code prints JSON; returns it parsed. */
export function pstats(file, code) {
  const prog = 'import json, pstats, sys\ns = pstats.Stats(sys.argv[1])\n' + code;
  return JSON.parse(execFileSync('python3', ['-c', prog, file], { encoding: 'utf8' }));
}

/** Top n labels of pstats' sort_stats(key), as pstats prints them. */
export function pstatsTop(file, key, n = 10) {
  return pstats(file, `s.sort_stats(${JSON.stringify(key)})
print(json.dumps([pstats.func_std_string(f) for f in s.fcn_list[:${n}]]))`);
}

/** The largest MEM sample of an mprof recording, and its FUNC lines: what mprof's read_mprofile_file reads. */
export function readMprof(path) {
  let peak = -Infinity;
  const funcs = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'MEM') peak = Math.max(peak, Number(f[1]));
    else if (f[0] === 'FUNC') funcs.push(f[1]);
  }
  return { peak, funcs };
}

/** Waits until the viewer shows what its URL says (no request in flight, chart drawn). */
export async function waitIdle(page, timeout = 15000) {
  await page.waitForFunction(() => window.__pstatsviz && window.__pstatsviz.idle(), null, { timeout, polling: 50 });
  // one more frame, so that a draw scheduled by the last answer has run
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export function nodes(page) {
  return page.evaluate(() => window.__pstatsviz.nodes());
}

export function viewState(page) {
  return page.evaluate(() => window.__pstatsviz.state());
}

/** The widest visible node called name (at depth, if given). */
export async function findNode(page, name, depth) {
  const list = await nodes(page);
  const hits = list.filter((n) => n.name === name && (depth === undefined || n.depth === depth));
  hits.sort((a, b) => b.w - a.w || b.value - a.value);
  return hits[0] || null;
}

/** Clicks on the canvas at a node's centre, as a user would. */
export async function clickNode(page, node) {
  const el = await page.$('#chart-wrap');
  // Bring the node's row into view first (the icicle pane scrolls).
  await el.evaluate((wrap, y) => {
    const r = wrap.getBoundingClientRect();
    if (y < r.top || y > r.bottom - 10) wrap.scrollTop += y - r.top - 40;
  }, node.y + node.h / 2);
  const fresh = (await nodes(page)).find((n) => n.fid === node.fid && n.depth === node.depth && Math.abs(n.w - node.w) < 0.01) || node;
  await page.mouse.click(fresh.x + fresh.w / 2, fresh.y + fresh.h / 2);
}

/** The breadcrumbs' names, all of them: those the "…" menu holds (when the
 * bar is too narrow for all) are read by opening it, as a user would. */
export async function crumbs(page) {
  return page.evaluate(() => {
    const name = (e) => (e.firstChild ? e.firstChild.textContent : e.textContent);
    const more = document.querySelector('#crumb-more');
    let folded = [];
    if (more) {
      more.click();
      folded = [...document.querySelectorAll('#crumb-menu .crumb-item')].map(name);
      more.click();
    }
    return [...document.querySelectorAll('#crumbs .crumb')].flatMap((e) => (e === more ? folded : [name(e)]));
  });
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name + '.png') });
}

export function assertNoProblems(page, assert) {
  assert.deepEqual(page.problems, [], 'page errors or console errors');
  assert.deepEqual(page.dialogs, [], 'dialogs opened');
}
