// Number and text formatting for the viewer. Pure: no DOM, no globals.
// Profile text is untrusted: displayText() makes control and bidi characters
// visible so that a name cannot hide or reorder what is around it; callers
// still put the result in the page only through textContent or fillText.

const MICRO = '\u00b5';

/** Seconds with a unit that keeps 3 significant digits: 1.23 s, 45.6 ms, 789 µs. */
export function fmtSeconds(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return '–';
  if (!Number.isFinite(s)) return s > 0 ? '∞' : '-∞';
  const a = Math.abs(s);
  if (a === 0) return '0 s';
  if (a >= 100) return s.toFixed(0) + ' s';
  if (a >= 10) return s.toFixed(1) + ' s';
  if (a >= 1) return s.toFixed(2) + ' s';
  if (a >= 0.1) return (s * 1e3).toFixed(0) + ' ms';
  if (a >= 0.01) return (s * 1e3).toFixed(1) + ' ms';
  if (a >= 0.001) return (s * 1e3).toFixed(2) + ' ms';
  if (a >= 1e-4) return (s * 1e6).toFixed(0) + ' ' + MICRO + 's';
  if (a >= 1e-5) return (s * 1e6).toFixed(1) + ' ' + MICRO + 's';
  if (a >= 1e-6) return (s * 1e6).toFixed(2) + ' ' + MICRO + 's';
  return (s * 1e9).toFixed(0) + ' ns';
}

/** Seconds as pstats prints them: fixed, 3 decimals. */
export function fmtPstats(s) {
  if (s === null || s === undefined) return '–';
  if (Number.isNaN(s)) return 'nan';
  if (!Number.isFinite(s)) return s > 0 ? 'inf' : '-inf';
  return s.toFixed(3);
}

/** A percentage (0..100 in) with precision that suits its size. */
export function fmtPct(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  const a = Math.abs(p);
  if (a === 0) return '0%';
  if (a >= 10) return p.toFixed(1) + '%';
  if (a >= 0.1) return p.toFixed(2) + '%';
  if (a >= 0.001) return p.toFixed(3) + '%';
  return '<0.001%';
}

/** A count with thin thousands separators: 8,401. */
export function fmtCount(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return (n < 0 ? '-' : '') + out;
}

/** pstats' ncalls column: "nc/cc" for recursive functions, else "nc". */
export function fmtNcalls(nc, cc) {
  if (nc === null || nc === undefined) return '–';
  if (cc !== null && cc !== undefined && cc !== nc) return nc + '/' + cc;
  return String(nc);
}

// C0 controls, DEL, C1 controls, bidi controls, line/paragraph separators, BOM.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029\ufeff]/g;
const SHORT = { 9: '\\t', 10: '\\n', 13: '\\r' };

/**
 * Profile text made safe to look at, written the way Python's repr() writes
 * it: controls become \n, \t, \x00, and invisible or bidi characters
 * \u202e etc., so a name can neither hide nor reorder what is around it.
 * Lone surrogates become U+FFFD. The empty string becomes "∅", so that a
 * node never has a blank label. Cannot fail; the result is plain text, not
 * markup.
 */
export function displayText(s) {
  if (s === null || s === undefined) return '';
  s = String(s);
  if (s.length === 0) return '\u2205';
  if (typeof s.toWellFormed === 'function') s = s.toWellFormed();
  else s = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (SHORT[code]) return SHORT[code];
    if (code <= 0xff) return '\\x' + code.toString(16).padStart(2, '0');
    return '\\u' + code.toString(16).padStart(4, '0');
  });
}

/** Cuts text to at most max characters, ending with "…" when cut. */
export function truncate(s, max) {
  if (max <= 0) return '';
  if (s.length <= max) return s;
  if (max === 1) return '\u2026';
  return s.slice(0, max - 1) + '\u2026';
}

/** The last path component: "/a/b/rule_policy.py" → "rule_policy.py". */
export function baseName(file) {
  if (!file) return '';
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

/** "rule_policy.py:895", or "" for built-ins (file "~"). */
export function shortLocation(file, line) {
  if (!file || file === '~') return '';
  return baseName(file) + ':' + line;
}

/** "file:line" with the whole path, or "built-in" for "~". */
export function fullLocation(file, line) {
  if (file === '~') return 'built-in';
  if (file === null || file === undefined) return '';
  return file + ':' + line;
}

/**
 * A vscode://file/... link to a function's line, or null when the file is
 * not an absolute path on disk ("~", "<frozen os>", "<string>", relative
 * names, names with control characters). The path is percent-encoded with
 * encodeURI plus the characters encodeURI leaves alone but a URI must not
 * carry raw in a path ('#', '?').
 */
export function vscodeLink(file, line) {
  if (typeof file !== 'string' || file.length === 0 || file.length > 4096) return null;
  if (/[\u0000-\u001f\u007f]/.test(file)) return null;
  let p;
  if (file.startsWith('/')) p = file;
  else if (/^[A-Za-z]:[\\/]/.test(file)) p = '/' + file.replace(/\\/g, '/');
  else return null;
  let enc;
  try {
    enc = encodeURI(p);
  } catch {
    return null; // lone surrogates
  }
  enc = enc.replace(/#/g, '%23').replace(/\?/g, '%3F');
  const ln = Number.isInteger(line) && line > 0 ? ':' + line : '';
  return 'vscode://file' + enc + ln;
}

/**
 * A path cut in the middle to fit max characters: the last component
 * (the file name, with ":line" or anything else after the last separator)
 * stays whole, then as many of the directories just above it as fit,
 * behind "…/":  "/root/x/rasa/core/policies/rule_policy.py:895" at 40 is
 * "…/rasa/core/policies/rule_policy.py:895". A path that fits, or has no
 * separator, is returned as it is; a file name longer than max alone is
 * kept whole all the same ("…/" and the name). "/" and "\" both separate;
 * the cut keeps the separator it cut at. Pure, cannot fail.
 */
export function cutPath(path, max) {
  path = String(path);
  if (path.length <= max) return path;
  const last = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (last < 0) return path;
  let start = last; // the tail kept is path.slice(start + 1), behind "…" and path[start]
  for (;;) {
    const prev = Math.max(path.lastIndexOf('/', start - 1), path.lastIndexOf('\\', start - 1));
    if (prev < 0 || 2 + (path.length - prev - 1) > max) break;
    start = prev;
  }
  return '\u2026' + path.slice(start);
}

/**
 * A pstats label ("dir/file.py:12(name)") cut in the middle as cutPath()
 * cuts a path: the file name, line and function name stay whole, and
 * directories go first. A built-in's label ("{built-in method len}") has
 * no path: it is returned as it is. Pure, cannot fail.
 */
export function cutLabel(label, max) {
  label = String(label);
  // The name starts after ":<line>(", not at a "(" in a directory's name.
  const m = label.startsWith('{') ? null : /:-?\d+\(/.exec(label);
  if (!m) return label;
  const open = m.index + m[0].length - 1;
  const head = label.slice(0, open);
  return cutPath(head, Math.max(0, max - (label.length - open))) + label.slice(open);
}
