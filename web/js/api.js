// The only module that talks to the server (routes: docs/API.md).
// Every function resolves, never rejects:
//   {ok: true, data}                          data is the parsed JSON (or null for 204)
//   {ok: false, error: {code, message, status}}
// code is the server's error code, or 'network' (no answer), 'aborted'
// (the caller's AbortSignal fired) or 'bad_response' (not the JSON we expect).

const BASE = '/api/profiles';

function err(code, message, status = 0) {
  return { ok: false, error: { code, message, status } };
}

async function parseError(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body && body.error;
  if (e && typeof e.code === 'string') return err(e.code, typeof e.message === 'string' ? e.message : e.code, res.status);
  return err(res.status === 404 ? 'not_found' : 'http_' + res.status, `${res.status} ${res.statusText || 'error'}`, res.status);
}

async function request(method, url, { signal, headers } = {}) {
  let res;
  try {
    res = await fetch(url, { method, signal, headers, credentials: 'same-origin' });
  } catch (e) {
    if (e && e.name === 'AbortError') return err('aborted', 'request cancelled');
    return err('network', 'The server did not answer (' + (e && e.message ? e.message : 'network error') + ').');
  }
  if (!res.ok) return parseError(res);
  if (res.status === 204) return { ok: true, data: null };
  try {
    return { ok: true, data: await res.json() };
  } catch (e) {
    if (e && e.name === 'AbortError') return err('aborted', 'request cancelled');
    return err('bad_response', 'The server sent a response that is not JSON.', res.status);
  }
}

function enc(id) {
  return encodeURIComponent(String(id));
}

function query(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length) parts.push(k + '=' + v.map((x) => encodeURIComponent(String(x))).join(','));
    } else parts.push(k + '=' + encodeURIComponent(String(v)));
  }
  return parts.length ? '?' + parts.join('&') : '';
}

/** GET /api/profiles/<id>: the profile's metadata and entry points. */
export function fetchProfile(id, opts = {}) {
  return request('GET', `${BASE}/${enc(id)}`, opts);
}

/**
 * GET /api/profiles/<id>/tree. q: {path: [fid...], root, invert, depth,
 * cutoff, hide: [kind...], maxNodes}. path is ignored when root is set;
 * invert (the root's callers) only counts with root.
 */
export function fetchTree(id, q = {}, opts = {}) {
  const rootMode = q.root !== null && q.root !== undefined;
  return request('GET', `${BASE}/${enc(id)}/tree` + query({
    path: rootMode ? null : q.path,
    root: rootMode ? q.root : null,
    invert: rootMode && q.invert ? 1 : null,
    depth: q.depth,
    cutoff: q.cutoff,
    hide: q.hide,
    max_nodes: q.maxNodes,
  }), opts);
}

/** GET /api/profiles/<id>/functions: one page of the function table. */
export function fetchFunctions(id, q = {}, opts = {}) {
  return request('GET', `${BASE}/${enc(id)}/functions` + query({
    sort: q.sort, order: q.order, limit: q.limit, offset: q.offset, q: q.q,
  }), opts);
}

/** GET /api/profiles/<id>/functions/<fid>: a function with callers and callees. */
export function fetchFunction(id, fid, opts = {}) {
  return request('GET', `${BASE}/${enc(id)}/functions/${enc(fid)}`, opts);
}

/** GET /api/profiles/<id>/path?fid=: the heaviest path from an entry point to a function. */
export function fetchPath(id, fid, opts = {}) {
  return request('GET', `${BASE}/${enc(id)}/path` + query({ fid }), opts);
}

/** GET /api/profiles/<id>/source?fid=: lines around a function (404 when not available). */
export function fetchSource(id, fid, opts = {}) {
  return request('GET', `${BASE}/${enc(id)}/source` + query({ fid }), opts);
}

/** DELETE /api/profiles/<id> with the delete token: 204, 403 or 404. */
export function deleteProfile(id, token, opts = {}) {
  return request('DELETE', `${BASE}/${enc(id)}`, Object.assign({}, opts, {
    headers: { Authorization: 'Bearer ' + token },
  }));
}

/* ---------- memory data (issue 15) ---------- */

/** GET /api/memory/<id>: an mprof recording or a line report, every number as parsed. */
export function fetchMemory(id, opts = {}) {
  return request('GET', `/api/memory/${enc(id)}`, opts);
}

/**
 * GET /api/memory/<id>/samples: min/max per bucket, width buckets over
 * [t0, t1] (the whole recording when t0 and t1 are null). Times go as
 * JavaScript writes numbers, the shortest text that reads back the same.
 */
export function fetchMemorySamples(id, { t0 = null, t1 = null, width } = {}, opts = {}) {
  return request('GET', `/api/memory/${enc(id)}/samples` + query({ t0, t1, width }), opts);
}

/** DELETE /api/memory/<id> with its delete token (or its profile's): 204, 403 or 404. */
export function deleteMemory(id, token, opts = {}) {
  return request('DELETE', `/api/memory/${enc(id)}`, Object.assign({}, opts, {
    headers: { Authorization: 'Bearer ' + token },
  }));
}

/**
 * POST /api/profiles?name=[&attach=]: uploads a File or Blob as the raw
 * body, with progress. attach: a profile id, for memory data to attach to
 * it (the answer's url is then /p/<attach>?mem=<id>). onProgress(fraction
 * 0..1) is called as bytes go out. Resolves
 * {ok, data} (201 new, 200 already stored) or {ok: false, error}. The
 * returned promise has abort() to cancel.
 */
export function uploadProfile(file, { name, onProgress, attach } = {}) {
  const xhr = new XMLHttpRequest();
  const p = new Promise((resolve) => {
    const fname = name || (file && file.name) || 'upload.prof';
    xhr.open('POST', BASE + query({ name: fname, attach }));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.responseType = 'text';
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      });
      xhr.upload.addEventListener('load', () => onProgress(1));
    }
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 200 || xhr.status === 201) {
        if (body && typeof body.id === 'string') resolve({ ok: true, data: body, status: xhr.status });
        else resolve(err('bad_response', 'The server accepted the file but sent no profile id.', xhr.status));
        return;
      }
      const e = body && body.error;
      if (e && typeof e.code === 'string') resolve(err(e.code, String(e.message || e.code), xhr.status));
      else if (xhr.status === 413) resolve(err('too_large', 'The file is larger than this server accepts.', 413));
      else resolve(err('http_' + xhr.status, `${xhr.status} ${xhr.statusText || 'error'}`, xhr.status));
    });
    xhr.addEventListener('error', () => resolve(err('network', 'The upload failed: the server did not answer, or closed the connection (a file over the size limit does that).')));
    xhr.addEventListener('abort', () => resolve(err('aborted', 'Upload cancelled.')));
    xhr.send(file);
  });
  p.abort = () => xhr.abort();
  return p;
}

/**
 * GET /api/profiles: one page of the server's list, newest first,
 * {total, offset, limit, profiles: [meta...]}. 404 (not_found) when the
 * server does not list profiles.
 */
export function listProfiles(q = {}, opts = {}) {
  return request('GET', BASE + query({ limit: q.limit, offset: q.offset, q: q.q }), opts);
}

/** GET /api/diff: both runs' totals, their change and one page of rows. */
export function fetchDiff(a, b, q = {}, opts = {}) {
  return request('GET', '/api/diff' + query({
    a, b, sort: q.sort, order: q.order, limit: q.limit, offset: q.offset, q: q.q,
  }), opts);
}

/** GET /api/diff/tree: the call tree of both runs; path holds fids of run `side`. */
export function fetchDiffTree(a, b, q = {}, opts = {}) {
  const hasPath = q.path && q.path.length;
  return request('GET', '/api/diff/tree' + query({
    a, b, side: hasPath ? q.side : null, path: hasPath ? q.path : null,
    depth: q.depth, cutoff: q.cutoff, hide: q.hide,
  }), opts);
}
