// Depth and cutoff come from the server: the viewer sends only what the
// user chose, shows what each tree answer says it was built with
// ("params"), and takes the server's ranges from the answers ("limits",
// docs/API.md "The tree"). Answers rewritten on their way to the page,
// with limits no server of ours has, show that no copy in web/ is used.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, waitIdle, viewState, uploadApi, getJson, screenshot, assertNoProblems, RASA_SAMPLE } from './harness.mjs';

let rasa;

const suite = browserSuite({
  async setup({ base }) {
    rasa = await uploadApi(base, RASA_SAMPLE);
  },
});

/** The page's tree requests, as URLs, recorded from now on. */
function recordTrees(page) {
  const urls = [];
  page.on('request', (r) => { if (/\/api\/profiles\/[0-9a-f]+\/tree/.test(r.url())) urls.push(new URL(r.url())); });
  return urls;
}

const notices = (page) => page.$$eval('#notices .notice', (els) => els.map((e) => e.textContent));
const field = (page, sel) => page.$eval(sel, (el) => ({ value: el.value, min: el.min, max: el.max }));

/** Sets the depth field as a user does: type, then leave it. */
async function typeDepth(page, value) {
  await page.fill('#depth', String(value));
  await page.press('#depth', 'Tab');
}

test('nothing chosen: no depth or cutoff is sent, and the server\'s are shown', async () => {
  const page = await suite.newPage();
  const trees = recordTrees(page);
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  const answer = await getJson(suite.base, `/api/profiles/${rasa.id}/tree`);
  assert.ok(trees.length >= 1);
  for (const u of trees) {
    assert.equal(u.searchParams.has('depth'), false, u.href);
    assert.equal(u.searchParams.has('cutoff'), false, u.href);
  }
  const depth = await field(page, '#depth');
  assert.equal(depth.value, String(answer.params.depth));
  assert.equal(depth.max, String(answer.limits.depth.max));
  assert.equal(depth.min, String(answer.limits.depth.min));
  assert.equal((await field(page, '#cutoff')).value, String(answer.params.cutoff));
  assert.doesNotMatch(page.url(), /depth=|cutoff=/, 'the link carries only what the user chose');
  const st = await viewState(page);
  assert.equal(st.depth, null);
  assert.equal(st.cutoff, null);
  assertNoProblems(page, assert);
  await page.context().close();
});

test('the fields follow the answers\' params and limits, whatever they are', async () => {
  const page = await suite.newPage();
  await page.route(/\/api\/profiles\/[0-9a-f]+\/tree/, async (route) => {
    const res = await route.fetch();
    const json = await res.json();
    if (res.ok()) {
      const u = new URL(route.request().url());
      if (!u.searchParams.has('depth')) json.params.depth = 7;
      if (!u.searchParams.has('cutoff')) json.params.cutoff = 0.02;
      json.limits.depth = { min: 2, max: 33, default: 7 };
      json.limits.cutoff = { min: 0, max: 0.5, default: 0.02 };
    }
    await route.fulfill({ response: res, json });
  });
  const trees = recordTrees(page);
  await page.goto(`${suite.base}/p/${rasa.id}`);
  await waitIdle(page);
  assert.deepEqual(await field(page, '#depth'), { value: '7', min: '2', max: '33' });
  assert.equal((await field(page, '#cutoff')).value, '0.02', 'an option is made for a cutoff the list lacks');
  assert.match(await page.getAttribute('#depth', 'title'), /2 to 33; the server's default is 7/);

  const before = trees.length;
  await typeDepth(page, 34);
  await waitIdle(page);
  assert.equal((await field(page, '#depth')).value, '7', 'a depth over the answer\'s limit is not taken');
  assert.equal(trees.length, before, 'and not asked for');
  assert.doesNotMatch(page.url(), /depth=/);

  await typeDepth(page, 12);
  await waitIdle(page);
  assert.equal(trees.at(-1).searchParams.get('depth'), '12');
  assert.equal(trees.at(-1).searchParams.has('cutoff'), false, 'the cutoff is still the server\'s');
  assert.match(page.url(), /[?&]depth=12(&|$)/);
  assert.equal((await field(page, '#depth')).value, '12');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('a link\'s depth out of the server\'s range is dropped, with the range in the notice', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?depth=65&cutoff=0.005`);
  await waitIdle(page);
  const answer = await getJson(suite.base, `/api/profiles/${rasa.id}/tree`);
  const { min, max } = answer.limits.depth;
  assert.ok((await notices(page)).some((t) => t.includes(`depth=65 (the server takes ${min} to ${max})`)));
  const st = await viewState(page);
  assert.equal(st.depth, null);
  assert.equal(st.cutoff, 0.005, 'a good cutoff beside it is kept');
  assert.equal((await field(page, '#depth')).value, String(answer.params.depth));
  assert.doesNotMatch(page.url(), /depth=/);
  assert.match(page.url(), /cutoff=0\.005/);
  await screenshot(page, 'depth-refused');
  assertNoProblems(page, assert);
  await page.context().close();
});

test('a link with a good depth and a path not in this profile keeps its depth', async () => {
  const page = await suite.newPage();
  await page.goto(`${suite.base}/p/${rasa.id}?depth=12&path=1,2,3`);
  await waitIdle(page);
  const texts = await notices(page);
  assert.ok(texts.some((t) => /does not exist in this profile/.test(t)), texts.join(' | '));
  assert.ok(!texts.some((t) => /Ignored depth/.test(t)), texts.join(' | '));
  const st = await viewState(page);
  assert.equal(st.depth, 12);
  assert.deepEqual(st.path, []);
  assert.equal((await field(page, '#depth')).value, '12');
  assertNoProblems(page, assert);
  await page.context().close();
});
