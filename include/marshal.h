/* marshal.h - decode Python's marshal format (versions 0-4 and Python 2's).
 *
 * This module turns bytes into generic values (ints, floats, strings,
 * tuples, dicts, code objects...).  It knows nothing of pstats: the profile
 * module gives the values their meaning.
 *
 * Two ways in:
 *  - pv_marshal_load() decodes one whole object into an arena;
 *  - pv_marshal_create() + pv_marshal_dict_enter() + pv_marshal_dict_next()
 *    stream the entries of a top-level dict one at a time, so a 100 MB stats
 *    file never exists as one value tree (see profile.c).
 *
 * Strings are UTF-8 as Python's "surrogatepass" writes them: lone surrogates
 * from undecodable paths stay as their 3-byte sequences, so a string is
 * bytes, not necessarily valid UTF-8, and may contain NUL.  Strings are not
 * copied: they point into the input buffer (or, for Latin-1 text that had to
 * be re-encoded, into the reader's arena), and a string reached again
 * through a reference has the same pointer.
 *
 * Limits, as CPython: nesting deeper than 2000 is an error; every declared
 * length is checked against the bytes left before anything is allocated.
 * Beyond CPython: integers must fit int64, a reference to an object that is
 * still being built (a cycle) is an error, and total decoding work and
 * memory are bounded by multiples of the input size. */
#ifndef PV_MARSHAL_H
#define PV_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "pv.h"

enum { PV_MARSHAL_MAX_DEPTH = 2000 };

typedef enum {
    PV_V_NONE,
    PV_V_BOOL,      /* u.i is 0 or 1 */
    PV_V_INT,       /* u.i */
    PV_V_FLOAT,     /* u.f */
    PV_V_COMPLEX,   /* u.items[0..1] are the real and imaginary floats */
    PV_V_STR,       /* text: u.s, len bytes (surrogatepass UTF-8) */
    PV_V_BYTES,     /* u.s, len bytes: Python 3 bytes or a Python 2 str */
    PV_V_TUPLE,     /* u.items, len values */
    PV_V_LIST,
    PV_V_SET,
    PV_V_FROZENSET,
    PV_V_DICT,      /* u.items, 2*len values: key, value, key, value... in
                       file order, duplicates kept (consumers apply
                       Python's last-wins) */
    PV_V_CODE,      /* u.code */
    PV_V_ELLIPSIS,
    PV_V_STOPITER,
    PV_V_SLICE,     /* u.items[0..2] */
} pv_vtype;

struct pv_code_obj;

enum {
    PV_VF_SHARED = 1,     /* lives as long as the reader: later references may
                             reach it, and it keeps its address, so its
                             pointers can key a cache */
    PV_VF_UNHASHABLE = 2, /* a list, dict or set, or a tuple holding one */
};

typedef struct pv_value {
    uint8_t type;       /* pv_vtype */
    uint8_t flags;      /* PV_VF_* */
    uint32_t len;
    union {
        int64_t i;
        double f;
        const char *s;
        struct pv_value *items;
        struct pv_code_obj *code;
    } u;
} pv_value;

/* What we keep of a code object ('c'). */
struct pv_code_obj {
    pv_value filename;  /* PV_V_STR or PV_V_BYTES */
    pv_value name;
    int64_t firstlineno;
    const char *layout; /* "3.11+", "3.8-3.10", "3.0-3.7" or "2.x" */
};

struct pv_marshal;

/* A reader of buf[0..len).  The reader borrows buf: it and every value
 * read must not outlive it.  On success *out is yours (pv_marshal_destroy;
 * NULL does nothing).  Fails only on out-of-memory. */
pv_code pv_marshal_create(const uint8_t *buf, size_t len, struct pv_marshal **out,
                          pv_err *err);
void pv_marshal_destroy(struct pv_marshal *m);

/* Read the next whole object into *out.  Values that no later reference can
 * reach are allocated in scratch; the others live as long as the reader. */
pv_code pv_marshal_read(struct pv_marshal *m, struct pv_arena *scratch,
                        pv_value *out, pv_err *err);

/* Expect a dict next and enter it.  If the next object is something else,
 * fail with PV_E_SHAPE naming its type ("top-level object is list,
 * expected dict"). */
pv_code pv_marshal_dict_enter(struct pv_marshal *m, pv_err *err);

/* Read one key/value pair of the dict entered with pv_marshal_dict_enter(),
 * or set *done at its end.  Keys are checked to be hashable.  A key that
 * later references may name again (flagged) is read as a shared value:
 * it lives as long as the reader, with its word (pv_marshal_shared_word()),
 * which those references then reach. */
pv_code pv_marshal_dict_next(struct pv_marshal *m, struct pv_arena *scratch,
                             pv_value *key, pv_value *value, bool *done,
                             pv_err *err);

/* A word kept with a shared container (PV_VF_SHARED, and a tuple, list,
 * set, frozenset, dict or slice) for the consumer's own use: 0 until it
 * stores something, and the same word whichever reference reaches the
 * container.  It lives as long as the reader.  NULL for other values.
 * (The profile builder keeps a key tuple's function there, so that the
 * 875k caller keys of a 100k-function file cost no lookup.)  Cannot fail.
 * Inline: the builder asks for every caller key. */
static inline int64_t *pv_marshal_shared_word(const pv_value *v)
{
    if (!(v->flags & PV_VF_SHARED))
        return NULL;
    switch (v->type) {
    case PV_V_TUPLE: case PV_V_LIST: case PV_V_SET: case PV_V_FROZENSET: case PV_V_DICT:
    case PV_V_SLICE:
        return &v->u.items[-1].u.i; /* the value before the items: see alloc_items() */
    }
    return NULL;
}

/* Byte offset of the next unread byte. */
size_t pv_marshal_offset(const struct pv_marshal *m);

/* Which marshal version wrote what has been read so far: 0-1 ('f' floats),
 * 2 ('g' floats), 3 (references), 4 (short tuples and ASCII strings); and
 * whether Python 2 wrote it (interned-string references, 'I' ints, byte
 * strings as names). */
int pv_marshal_version_guess(const struct pv_marshal *m, bool *python2);

/* Decode one whole object from buf.  Values live in arena (and point into
 * buf).  *used_bytes (may be NULL) receives how many bytes the object took;
 * the bytes after it are not looked at, as CPython does. */
pv_code pv_marshal_load(const uint8_t *buf, size_t len, struct pv_arena *arena,
                        pv_value *out, size_t *used_bytes, pv_err *err);

/* ---- text rules and other kinds of file (marshal_text.c) ---------------- */

/* What buf holds when it is plainly no marshal stream: a hint for files
 * users upload by mistake (gzip, zip, pickle, Git LFS pointer, HTML, a
 * printed report, other text), worded for stats files, which is what they
 * meant to send; or NULL.  Named before decoding gives a less helpful
 * "unknown type code".  Reads at most 512 bytes; cannot fail. */
const char *pv_marshal_sniff(const uint8_t *buf, size_t len);

/* Python's name of a value's type ("tuple", "str"...): cannot fail. */
const char *pv_marshal_type_name(const pv_value *v);

/* Latin-1 bytes s[0..n) as UTF-8, into out, which has room for 2n bytes
 * (a byte takes one or two): returns the bytes written.  Cannot fail. */
size_t pv_marshal_latin1_to_utf8(const uint8_t *s, size_t n, char *out);

/* Check that s[0..n) is UTF-8; surrogates (ED A0..BF xx) are accepted only
 * when allow_surrogates.  Cannot fail. */
bool pv_marshal_utf8_valid(const char *s, size_t n, bool allow_surrogates);

#endif
