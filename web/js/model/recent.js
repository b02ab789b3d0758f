// The profiles this browser uploaded, kept in localStorage so that the
// upload page can list them and delete them with their token. Pure given a
// Storage-like object ({getItem, setItem}); a broken or foreign value in
// storage reads as an empty list.

export const KEY = 'pstatsviz.uploads';
const MAX = 200;
const ID = /^[0-9a-f]{32}$/;

function valid(e) {
  return e && typeof e === 'object' && typeof e.id === 'string' && ID.test(e.id);
}

/** [{id, name, delete_token, date, ...}], newest first. Cannot fail. */
export function listRecent(storage) {
  let raw = null;
  try { raw = storage.getItem(KEY); } catch { return []; }
  if (!raw) return [];
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.filter(valid) : [];
  } catch {
    return [];
  }
}

function save(storage, list) {
  try { storage.setItem(KEY, JSON.stringify(list.slice(0, MAX))); return true; } catch { return false; }
}

/**
 * Records an upload answer (201 or 200). A 200 carries no delete_token: an
 * entry already known keeps its token. Moves the profile to the front.
 */
export function addRecent(storage, data, now = new Date()) {
  const list = listRecent(storage);
  const old = list.find((e) => e.id === data.id);
  const entry = {
    id: data.id,
    name: typeof data.name === 'string' ? data.name : 'upload.prof',
    delete_token: data.delete_token || (old && old.delete_token) || null,
    date: now.toISOString(),
    functions: Number.isFinite(data.functions) ? data.functions : (old && old.functions) ?? null,
    total_time: Number.isFinite(data.total_time) ? data.total_time : (old && old.total_time) ?? null,
    // Memory data (issue 15) lives at /m/<id>, and is deleted through /api/memory.
    kind: data.kind === 'mprof' || data.kind === 'lines' ? data.kind : (old && old.kind) || 'stats',
  };
  const rest = list.filter((e) => e.id !== data.id);
  save(storage, [entry, ...rest]);
  return entry;
}

/** The page of an entry: /m/<id> for memory data, /p/<id> for a profile. */
export function recentHref(entry) {
  return (entry.kind === 'mprof' || entry.kind === 'lines' ? '/m/' : '/p/') + encodeURIComponent(entry.id);
}

export function removeRecent(storage, id) {
  save(storage, listRecent(storage).filter((e) => e.id !== id));
}
