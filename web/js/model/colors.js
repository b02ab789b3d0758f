// Stable colours per package or module. Pure: the same node gets the same
// colour on every load, on every machine, because the hue is a hash of the
// package or module path and nothing else.
//
//   kind           key                                   palette
//   user           the file (one colour per module)      vivid
//   site-packages  the top-level package after site-/dist-packages
//                                                       medium
//   stdlib         the top-level stdlib module           muted
//   builtin        the C module of the built-in           greyish blue
//   other node     -                                     grey
//
// All fills are light (lightness 72-86%) so that dark label text stays readable.

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function hash32(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function stripPy(s) {
  return s.replace(/\.(py|pyc|pyx|pyi|so)$/i, '');
}

/** The module a built-in belongs to, from its pstats name. */
export function builtinModule(name) {
  if (typeof name !== 'string') return 'builtins';
  let m = /^<built-in method ([^ >]+)>$/.exec(name);
  if (m) {
    const parts = m[1].split('.');
    return parts.length > 1 ? parts[0] : 'builtins';
  }
  m = /^<method '[^']*' of '([^']+)' objects>$/.exec(name);
  if (m) {
    const parts = m[1].split('.');
    return parts.length > 1 ? parts[0] : 'builtins';
  }
  return 'builtins';
}

/**
 * {kind, key} for colouring: nodes with the same key share a colour.
 * node needs {kind, file, name}; "other" nodes and the virtual root get
 * kinds of their own.
 */
export function colorKey(node) {
  if (!node) return { kind: 'none', key: '' };
  if (node.other || node.unrecorded) return { kind: 'other', key: 'other' };
  if (node.fid === null || node.fid === undefined) return { kind: 'root', key: 'all' };
  const file = typeof node.file === 'string' ? node.file : '';
  const kind = node.kind || (file === '~' ? 'builtin' : 'user');
  if (kind === 'builtin') return { kind, key: 'builtin:' + builtinModule(node.name) };
  const norm = file.replace(/\\/g, '/');
  if (kind === 'stdlib') {
    let m = /^<frozen ([^>.]+)/.exec(norm);
    if (m) return { kind, key: 'stdlib:' + m[1].replace(/^_/, '') };
    m = /\/lib\/python[0-9.]*\/([^/]+)/.exec(norm);
    if (m) return { kind, key: 'stdlib:' + stripPy(m[1]) };
    return { kind, key: 'stdlib:' + stripPy(norm.split('/').pop() || '') };
  }
  if (kind === 'site-packages') {
    const m = /\/(?:site|dist)-packages\/([^/]+)/.exec(norm);
    const top = m ? stripPy(m[1]) : norm;
    return { kind, key: 'site:' + top };
  }
  return { kind: 'user', key: 'user:' + norm };
}

const PALETTE = {
  user: { s: 68, l: 73 },
  'site-packages': { s: 50, l: 77 },
  stdlib: { s: 24, l: 80 },
  builtin: { s: 14, l: 84 },
};

/** Base colours of each kind, for the legend. */
export const KIND_COLORS = {
  user: 'hsl(28, 68%, 73%)',
  'site-packages': 'hsl(160, 50%, 77%)',
  stdlib: 'hsl(210, 24%, 80%)',
  builtin: 'hsl(225, 14%, 84%)',
  other: '#d4d4d4',
  root: '#c9ccd3',
};

const cache = new Map();

/** A CSS colour for a node. Cannot fail. */
export function colorFor(node) {
  const { kind, key } = colorKey(node);
  if (kind === 'other' || kind === 'root' || kind === 'none') return KIND_COLORS[kind] || '#ddd';
  const ck = kind + '\u0000' + key;
  let c = cache.get(ck);
  if (c !== undefined) return c;
  const p = PALETTE[kind] || PALETTE.user;
  const h = hash32(key);
  let hue = h % 360;
  if (kind === 'builtin') hue = 200 + (h % 60); // keep built-ins in one cool band
  // A little lightness jitter separates neighbours with close hues.
  const l = p.l + ((h >>> 9) % 5) - 2;
  c = 'hsl(' + hue + ', ' + p.s + '%, ' + l + '%)';
  if (cache.size > 5000) cache.clear();
  cache.set(ck, c);
  return c;
}
