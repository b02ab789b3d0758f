/* marshal.c - Python marshal decoder (see marshal.h).
 *
 * Type codes (CPython Python/marshal.c; Python 2.7's marshal.c for 'I' and
 * 'R').  Bit 0x80 of a type byte (FLAG_REF, marshal v3+) asks the reader to
 * remember the object: it takes the next slot of the reference table when
 * its type byte is read, so a container is numbered before its children.
 *
 *   '0' NULL (ends a dict)     'N' None      'F' False    'T' True
 *   'S' StopIteration          '.' Ellipsis
 *   'i' int32                  'I' int64 (Python 2)
 *   'l' long: int32 digit count (sign = sign), then 15-bit digits as uint16
 *   'f' float as text, 1-byte length (v0/v1)    'g' float, 8 bytes LE (v2+)
 *   'x' complex as text        'y' complex, 16 bytes
 *   's' bytes / Python 2 str, int32 length
 *   't' interned str: Python 3 UTF-8; Python 2 bytes, also appended to the
 *       table that 'R' indexes
 *   'R' Python 2: int32 index into the interned strings seen so far
 *   'u' str, UTF-8 with surrogatepass, int32 length
 *   'a' 'A' ASCII str, int32 length    'z' 'Z' ASCII str, 1-byte length
 *   '(' tuple, int32 count     ')' tuple, 1-byte count (v4)
 *   '[' list   '<' set   '>' frozenset (int32 count)
 *   '{' dict: key, value pairs until a NULL key
 *   'r' int32 index into the reference table (v3+): any earlier object
 *   ':' slice (v5)             'c' code object (layout per Python version)
 *
 * Like CPython, singletons (None, True, False, Ellipsis, StopIteration)
 * never take a reference slot even when flagged. */
#include "marshal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vec.h"

enum { FLAG_REF = 0x80, V_NULL_MARK = 0xFE };
enum { PENDING = UINT32_MAX };

/* References are resolved lazily.  Reading the stream, a flagged object
 * only has its offset noted (ref_at); it is decoded a second time, into the
 * kept arena, when an 'r' first reaches it ("replay"), and that value is
 * cached (values[], found through ref_value).  Most flagged objects are
 * never referenced (a generator's shared edge tuples: 975k of them in a
 * 100k-function file), and keeping them all cost more memory than the
 * rest of the import together.  The exception: flagged keys of the top
 * dict, which a stats file names again as callers, are kept and cached as
 * they are read (see r_pair).
 *
 * Slots are numbered in stream order, so ref_at is sorted and a replay
 * finds a nested object's slot by binary search, if not next in turn.  A
 * reference to an object still being read is a cycle: while an object is
 * read, its slot's ref_value says PENDING. */
struct pv_marshal {
    const uint8_t *buf;
    size_t len, pos;
    uint32_t *ref_at;       /* by slot: offset of the object's type byte */
    uint32_t *ref_value;    /* by slot: 1 + its index in values[]; 0: not decoded;
                               PENDING: being read */
    size_t nrefs, cap_refs;
    pv_value *values;       /* decoded referenced objects (see cache_put) */
    size_t nvalues, cap_values;
    int replay;             /* > 0 while decoding a referenced object again */
    int kept;               /* > 0 while reading into the kept arena: in a
                               replay, or a flagged key of the top dict */
    size_t replay_next;     /* the slot a replay most likely meets next */
    pv_value *pairs;        /* the stack r_dict collects pairs on */
    size_t npairs, cap_pairs;
    pv_value *strrefs;      /* Python 2 interned strings, for 'R' */
    size_t nstrrefs, cap_strrefs;
    struct pv_arena *keep;  /* referenced objects, Python 2 interned strings */
    struct pv_arena own_keep;
    int depth;
    bool in_dict;           /* between dict_enter and the dict's end */
    uint64_t reread_bytes;  /* decoded more than once: replays, failed layouts */
    uint64_t max_reread_bytes;
    uint32_t seen[8];       /* bitset of type codes seen */
    bool flagged;           /* any FLAG_REF seen */
};

static const pv_value NONE_VALUE = {.type = PV_V_NONE};
static const pv_value ELLIPSIS_VALUE = {.type = PV_V_ELLIPSIS};
static const pv_value STOPITER_VALUE = {.type = PV_V_STOPITER};
static const pv_value NULL_MARK = {.type = V_NULL_MARK}; /* TYPE_NULL */

static pv_code read_object(struct pv_marshal *m, struct pv_arena *scratch,
                           pv_value *out, pv_err *err);

/* ---- primitives ------------------------------------------------------- */

static pv_code short_of(const struct pv_marshal *m, size_t n, const char *what, pv_err *err)
{
    return pv_err_set(err, PV_E_FORMAT,
                      "offset %zu: unexpected end of data in %s (%zu bytes needed, %zu left)",
                      m->pos, what, n, m->len - m->pos);
}

static inline pv_code need(struct pv_marshal *m, size_t n, const char *what, pv_err *err)
{
    return n > m->len - m->pos ? short_of(m, n, what, err) : PV_OK;
}

static inline pv_code r_byte(struct pv_marshal *m, const char *what, unsigned *out, pv_err *err)
{
    if (need(m, 1, what, err))
        return err->code;
    *out = m->buf[m->pos++];
    return PV_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline pv_code r_int32(struct pv_marshal *m, const char *what, int32_t *out,
                              pv_err *err)
{
    if (need(m, 4, what, err))
        return err->code;
    uint32_t u = le32(m->buf + m->pos);
    m->pos += 4;
    memcpy(out, &u, sizeof *out); /* two's complement, as the file has it */
    return PV_OK;
}

/* An int32 length that must fit in the bytes left: every byte of a string,
 * every element of a container takes at least one byte, so a larger count
 * is a lie or a truncation.  Checked before anything is allocated. */
static pv_code r_size(struct pv_marshal *m, const char *what, size_t *out, pv_err *err)
{
    size_t at = m->pos;
    int32_t n = 0;
    if (r_int32(m, what, &n, err))
        return err->code;
    if (n < 0)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: %s size %d is negative", at, what, n);
    if ((size_t)n > m->len - m->pos)
        return pv_err_set(err, PV_E_FORMAT,
                          "offset %zu: %s of %d declared, only %zu bytes left", at, what, n,
                          m->len - m->pos);
    *out = (size_t)n;
    return PV_OK;
}

/* Count bytes decoded once more (a replay, a failed code-object layout).
 * Reading forward decodes each byte once; these are what a crafted file
 * can multiply (nested references, nested code objects), so they are
 * bounded: past 16x the input it is a crafted stream, not a profile. */
static pv_code count_reread(struct pv_marshal *m, size_t bytes, size_t at, pv_err *err)
{
    m->reread_bytes += bytes;
    if (m->reread_bytes > m->max_reread_bytes)
        return pv_err_set(err, PV_E_LIMIT, "offset %zu: too much decoding work for %zu bytes",
                          at, m->len);
    return PV_OK;
}

/* Which type codes were read, for pv_marshal_version_guess(). */
static void note_type(struct pv_marshal *m, unsigned type)
{
    m->seen[type >> 5 & 7] |= 1u << (type & 31);
}

static bool seen(const struct pv_marshal *m, unsigned type)
{
    return m->seen[type >> 5 & 7] >> (type & 31) & 1;
}

/* ---- allocation --------------------------------------------------------- */

static struct pv_arena *target(struct pv_marshal *m, struct pv_arena *scratch)
{
    return m->kept ? m->keep : scratch;
}

static __attribute__((cold)) void no_room(const struct pv_marshal *m, const struct pv_arena *a,
                                          pv_err *err)
{
    pv_err_set(err, a->limit_bytes ? PV_E_LIMIT : PV_E_NOMEM,
               "offset %zu: decoding needs more than %zu MiB of memory", m->pos,
               a->limit_bytes >> 20);
}

/* count items of size bytes from arena a, or NULL with err set.  Inline:
 * it runs for every tuple. */
static inline void *alloc(struct pv_marshal *m, struct pv_arena *a, size_t count, size_t size,
                          pv_err *err)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes))
        bytes = SIZE_MAX;
    void *p = pv_arena_alloc(a, bytes ? bytes : 1);
    if (!p)
        no_room(m, a, err);
    return p;
}

/* ---- the reference table ------------------------------------------------ */

static pv_code grow_slots(struct pv_marshal *m, pv_err *err)
{
    size_t cap = m->cap_refs, cap2 = m->cap_refs;
    if (!pv_vec_reserve((void **)&m->ref_at, &cap, m->nrefs + 1, sizeof *m->ref_at) ||
        !pv_vec_reserve((void **)&m->ref_value, &cap2, m->nrefs + 1, sizeof *m->ref_value))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for the reference table");
    m->cap_refs = cap < cap2 ? cap : cap2;
    return PV_OK;
}

/* Number the object whose type byte is at offset at: its slot, pending. */
static inline pv_code note_slot(struct pv_marshal *m, size_t at, uint32_t *slot, pv_err *err)
{
    if (m->nrefs == m->cap_refs && grow_slots(m, err))
        return err->code;
    *slot = (uint32_t)m->nrefs;
    m->ref_at[m->nrefs] = (uint32_t)at;
    m->ref_value[m->nrefs++] = PENDING;
    return PV_OK;
}

/* The first index of sorted a[0..n) whose value is not below v. */
static size_t lower_bound(const uint32_t *a, size_t n, uint32_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The slot of the flagged object at offset at (replays only).  A replay
 * decodes the stream in order from its object on, so the flagged objects
 * it meets are its own slot and the ones after it, in turn: replay_next
 * is tried first.  Else a search: slots are numbered in stream order, so
 * their offsets are sorted.  (The search alone was 5% of an import.) */
static bool slot_at(struct pv_marshal *m, size_t at, uint32_t *slot)
{
    size_t k = m->replay_next;
    if (k >= m->nrefs || m->ref_at[k] != at)
        k = lower_bound(m->ref_at, m->nrefs, (uint32_t)at);
    if (k == m->nrefs || m->ref_at[k] != at)
        return false;
    *slot = (uint32_t)k;
    m->replay_next = k + 1;
    return true;
}

/* The cache is the slot table itself: a reference costs one array read,
 * and nearby slots sit in nearby memory.  (A hash table keyed by slot was
 * measured: 13% of the import in its first probe alone, mostly cache
 * misses, as the hash scatters the slots that a stretch of the file
 * refers to.) */
static const pv_value *cached(const struct pv_marshal *m, uint32_t slot)
{
    uint32_t v = m->ref_value[slot];
    return v && v != PENDING ? &m->values[v - 1] : NULL;
}

static pv_code cache_put(struct pv_marshal *m, uint32_t slot, const pv_value *v, pv_err *err)
{
    if (m->ref_value[slot] && m->ref_value[slot] != PENDING)
        return PV_OK;
    /* Each slot takes two bytes or more of input, so a file has fewer
     * slots than len / 2, and a value each at most.  More values can only
     * come from the failed layout trials of a crafted code object
     * (forget_slots_from), whose values are left behind: this bounds them. */
    if (m->nvalues >= m->len / 2 + 64)
        return pv_err_set(err, PV_E_LIMIT, "offset %zu: too many references for %zu bytes",
                          m->pos, m->len);
    if (!pv_vec_reserve((void **)&m->values, &m->cap_values, m->nvalues + 1,
                        sizeof *m->values))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for the reference table");
    m->values[m->nvalues++] = *v;
    m->ref_value[slot] = (uint32_t)m->nvalues;
    return PV_OK;
}

/* A failed code-object layout trial gives its slots back, and with them
 * any values cached for them: those slot numbers name other objects on
 * the next trial. */
static void forget_slots_from(struct pv_marshal *m, size_t nrefs)
{
    m->nrefs = nrefs;
}

/* The value of slot s on its first reference: its object decoded again,
 * into the kept arena, and cached. */
static pv_code resolve(struct pv_marshal *m, uint32_t slot, pv_value *out, pv_err *err)
{
    size_t back = m->pos, next = m->replay_next;
    m->pos = m->ref_at[slot];
    m->replay_next = slot;
    m->replay++;
    m->kept++;
    pv_value tmp;
    pv_code rc = read_object(m, NULL, &tmp, err);
    /* Counted whether it failed or not: a failed replay may be tried again
     * (by the next layout of a code object), until the budget stops it. */
    if (count_reread(m, m->pos - m->ref_at[slot], m->ref_at[slot], err))
        rc = err->code;
    m->replay--;
    m->kept--;
    m->pos = back;
    m->replay_next = next;
    if (rc)
        return rc;
    const pv_value *v = cached(m, slot);
    if (!v)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: reference %u cannot be resolved",
                          m->pos, slot);
    *out = *v;
    return PV_OK;
}

/* An 'r' whose type byte is at offset at: the value of an earlier object.
 * A cached value keeps the flags it was cached with. */
static inline pv_code r_ref(struct pv_marshal *m, size_t at, pv_value *out, pv_err *err)
{
    int32_t i32 = 0;
    if (r_int32(m, "reference", &i32, err))
        return err->code;
    if (i32 < 0 || (size_t)i32 >= m->nrefs)
        return pv_err_set(err, PV_E_FORMAT,
                          "offset %zu: invalid reference %d (%zu objects registered)", at, i32,
                          m->nrefs);
    uint32_t v = m->ref_value[i32];
    if (v == PENDING)
        return pv_err_set(err, PV_E_FORMAT,
                          "offset %zu: reference %d to an object still being built (a cycle)",
                          at, i32);
    if (!v)
        return resolve(m, (uint32_t)i32, out, err);
    *out = m->values[v - 1];
    return PV_OK;
}

/* ---- the short path ----------------------------------------------------- */

/* Where the short path reads: the reader's position, copied where the
 * compiler can keep it in registers and written back once per object or
 * pair (cursor_done()). */
struct cursor {
    const uint8_t *at;
    const uint8_t *end; /* the short path reads only at < end: 9 bytes or more left */
    uint8_t shared;     /* PV_VF_SHARED when reading into the kept arena */
    bool floats;        /* a 'g' was read: noted for the version guess */
};

static inline struct cursor cursor_of(const struct pv_marshal *m)
{
    return (struct cursor){.at = m->buf + m->pos,
                           .end = m->len >= 9 ? m->buf + m->len - 8 : m->buf,
                           .shared = m->kept ? PV_VF_SHARED : 0};
}

static inline void cursor_done(struct pv_marshal *m, const struct cursor *c)
{
    m->pos = (size_t)(c->at - m->buf);
    if (c->floats)
        note_type(m, 'g');
}

/* The objects that make up most of a stats file (six of the seven in each
 * callers entry): an unflagged reference to an object already decoded, a
 * binary float, an int.  true with *out filled; false with nothing read,
 * for anything else, a reference still to replay, or the last 8 bytes of
 * the input: read_long() then reads the object with every check.  One
 * check of the bytes left covers all the fields, and the caller checks
 * the depth: this path is a third of the instructions of the long one. */
static inline __attribute__((always_inline)) bool read_simple(const struct pv_marshal *m,
                                                              struct cursor *c, pv_value *out)
{
    if (c->at >= c->end)
        return false;
    const uint8_t *p = c->at;
    switch (p[0]) {
    case 'r': {
        uint32_t slot = le32(p + 1); /* a negative int32 is past nrefs too */
        if (slot >= m->nrefs)
            return false;
        uint32_t v = m->ref_value[slot];
        if (v == 0 || v == PENDING)
            return false;
        *out = m->values[v - 1];
        c->at += 5;
        return true;
    }
    case 'g': {
        uint64_t u = (uint64_t)le32(p + 1) | (uint64_t)le32(p + 5) << 32;
        *out = (pv_value){.type = PV_V_FLOAT, .flags = c->shared};
        memcpy(&out->u.f, &u, sizeof out->u.f);
        c->floats = true;
        c->at += 9;
        return true;
    }
    case 'i': {
        int32_t i32;
        uint32_t u = le32(p + 1);
        memcpy(&i32, &u, sizeof i32);
        *out = (pv_value){.type = PV_V_INT, .flags = c->shared, .u.i = i32};
        c->at += 5;
        return true;
    }
    }
    return false;
}

/* ---- scalars ------------------------------------------------------------ */

static pv_code r_long(struct pv_marshal *m, pv_value *out, pv_err *err)
{
    size_t at = m->pos - 1;
    int32_t n = 0;
    if (r_int32(m, "long", &n, err))
        return err->code;
    if (n < -0x7FFFFFFF)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: long size out of range", at);
    size_t ndigits = (size_t)(n < 0 ? -(int64_t)n : n);
    if (ndigits > (m->len - m->pos) / 2)
        return pv_err_set(err, PV_E_FORMAT,
                          "offset %zu: long of %zu digits declared, only %zu bytes left", at,
                          ndigits, m->len - m->pos);
    const uint8_t *d = m->buf + m->pos;
    uint64_t mag = 0;
    bool too_big = false;
    for (size_t k = 0; k < ndigits; k++) {
        unsigned digit = (unsigned)d[2 * k] | (unsigned)d[2 * k + 1] << 8;
        if (digit > 0x7FFF)
            return pv_err_set(err, PV_E_FORMAT, "offset %zu: digit out of range in long", at);
        if (k == ndigits - 1 && digit == 0)
            return pv_err_set(err, PV_E_FORMAT, "offset %zu: unnormalized long data", at);
        /* digits 0-3 fill bits 0-59; digit 4 may add bits 60-63 only */
        if ((k == 4 && digit >> 4) || (k > 4 && digit))
            too_big = true;
        else if (k <= 4)
            mag |= (uint64_t)digit << (15 * k);
    }
    m->pos += 2 * ndigits;
    uint64_t lim = (uint64_t)INT64_MAX + (n < 0 ? 1 : 0);
    if (too_big || mag > lim)
        return pv_err_set(err, PV_E_LIMIT,
                          "offset %zu: integer of %zu digits does not fit in 64 bits", at,
                          ndigits);
    out->type = PV_V_INT;
    /* -(INT64_MAX+1) has no positive twin in int64: build it in uint64 */
    out->u.i = n < 0 ? (int64_t)(0 - (uint64_t)mag) : (int64_t)mag;
    return PV_OK;
}

/* The text of a 'f' / 'x' float, as PyOS_string_to_double takes it:
 * [sign] digits [. digits] [e [sign] digits], or inf / infinity / nan. */
static bool float_text_ok(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity") || !strcasecmp(s, "nan"))
        return true;
    int digits = 0;
    while (*s >= '0' && *s <= '9')
        s++, digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (!digits)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static pv_code r_float_text(struct pv_marshal *m, double *out, pv_err *err)
{
    size_t at = m->pos;
    unsigned n = 0;
    if (r_byte(m, "float", &n, err) || need(m, n, "float", err))
        return err->code;
    char text[256];
    memcpy(text, m->buf + m->pos, n);
    text[n] = '\0';
    m->pos += n;
    if (memchr(text, '\0', n) || !float_text_ok(text))
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: invalid float text", at);
    *out = strtod(text, NULL);
    return PV_OK;
}

static inline pv_code r_float_bin(struct pv_marshal *m, double *out, pv_err *err)
{
    if (need(m, 8, "float", err))
        return err->code;
    uint64_t u = (uint64_t)le32(m->buf + m->pos) | (uint64_t)le32(m->buf + m->pos + 4) << 32;
    memcpy(out, &u, sizeof *out);
    m->pos += 8;
    return PV_OK;
}

/* ---- strings ------------------------------------------------------------ */

/* CPython decodes 'a' 'A' 'z' 'Z' strings as Latin-1: their text is
 * re-encoded into the kept arena, since a reference may reach it later. */
static pv_code latin1_string(struct pv_marshal *m, const uint8_t *s, size_t n, pv_value *out,
                             pv_err *err)
{
    char *d = alloc(m, m->keep, n, 2, err);
    if (!d)
        return err->code;
    out->type = PV_V_STR;
    out->u.s = d;
    out->len = (uint32_t)pv_marshal_latin1_to_utf8(s, n, d);
    return PV_OK;
}

static bool all_ascii(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] & 0x80)
            return false;
    return true;
}

/* type: the type byte without FLAG_REF */
static pv_code r_string(struct pv_marshal *m, unsigned type, pv_value *out, pv_err *err)
{
    size_t at = m->pos - 1, n;
    if (type == 'z' || type == 'Z') {
        unsigned n8 = 0;
        if (r_byte(m, "string", &n8, err) || need(m, n8, "string", err))
            return err->code;
        n = n8;
    } else if (r_size(m, "string", &n, err))
        return err->code;
    if (n > UINT32_MAX)
        return pv_err_set(err, PV_E_LIMIT, "offset %zu: string longer than 4 GiB", at);
    const uint8_t *s = m->buf + m->pos;
    m->pos += n;
    out->len = (uint32_t)n;
    out->u.s = (const char *)s;
    switch (type) {
    case 's':
        out->type = PV_V_BYTES;
        return PV_OK;
    case 't':
        /* Python 3: interned UTF-8.  Python 2: bytes that 'R' can name again;
         * such bytes need not be UTF-8, and stay bytes then. */
        out->type = pv_marshal_utf8_valid((const char *)s, n, true) ? PV_V_STR : PV_V_BYTES;
        return PV_OK;
    case 'u':
        if (!pv_marshal_utf8_valid((const char *)s, n, true))
            return pv_err_set(err, PV_E_FORMAT, "offset %zu: string is not UTF-8", at);
        out->type = PV_V_STR;
        return PV_OK;
    default: /* 'a' 'A' 'z' 'Z': CPython decodes these as Latin-1 */
        out->type = PV_V_STR;
        return all_ascii(s, n) ? PV_OK : latin1_string(m, s, n, out, err);
    }
}

/* ---- containers --------------------------------------------------------- */

/* Room for a container's n items.  A replayed (shared) container's items
 * come after one more value, zeroed: the consumer's word (see
 * pv_marshal_shared_word()). */
static inline pv_value *alloc_items(struct pv_marshal *m, struct pv_arena *scratch, size_t n,
                                    pv_err *err)
{
    if (!m->kept)
        return alloc(m, scratch, n, sizeof(pv_value), err);
    pv_value *items = alloc(m, m->keep, n + 1, sizeof *items, err);
    if (!items)
        return NULL;
    items[0] = (pv_value){.u.i = 0};
    return items + 1;
}

static pv_code r_items(struct pv_marshal *m, struct pv_arena *scratch, size_t n,
                       const char *what, pv_value *out, pv_err *err)
{
    pv_value *items = alloc_items(m, scratch, n, err);
    if (!items)
        return err->code;
    uint8_t flags = 0;
    for (size_t k = 0; k < n; k++) {
        size_t at = m->pos;
        if (read_object(m, scratch, &items[k], err))
            return err->code;
        if (items[k].type == V_NULL_MARK)
            return pv_err_set(err, PV_E_FORMAT, "offset %zu: NULL object in %s", at, what);
        flags |= items[k].flags;
    }
    out->u.items = items;
    out->len = (uint32_t)n;
    /* a tuple holding something unhashable is unhashable */
    out->flags |= flags & PV_VF_UNHASHABLE;
    return PV_OK;
}

/* Python refuses lists, dicts and sets as keys, also inside tuples.  Each
 * value carries PV_VF_UNHASHABLE from the moment it is built, so the check
 * never walks a tuple: shared references can make a small file describe a
 * tuple tree of 2^40 leaves. */
static pv_code check_hashable(const pv_value *v, size_t at, const char *what, pv_err *err)
{
    if (v->flags & PV_VF_UNHASHABLE)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: %s is an unhashable %s", at, what,
                          pv_marshal_type_name(v));
    return PV_OK;
}

/* The commonest pair of a nested dict, without a call: a key that
 * read_simple() reads (a reference to a decoded tuple, in a stats file's
 * callers dicts), and a value that is a short tuple of such objects (the
 * counts).  true with both read; false with nothing read, for r_pair()
 * to read the pair with every check.  This path is a quarter of the
 * instructions of the long one, for 90% of the objects of a stats file. */
static inline bool read_simple_pair(struct pv_marshal *m, struct pv_arena *scratch,
                                    pv_value *key, pv_value *value)
{
    struct cursor c = cursor_of(m);
    /* the value's items are read two levels deeper; its ')' and count are
     * within the 9 bytes the key's check left */
    if (m->depth + 1 >= PV_MARSHAL_MAX_DEPTH || !read_simple(m, &c, key) ||
        key->flags & PV_VF_UNHASHABLE || c.at >= c.end || c.at[0] != ')')
        return false;
    size_t n = c.at[1];
    pv_value *items = alloc_items(m, scratch, n, NULL);
    if (!items)
        return false;
    c.at += 2;
    uint8_t flags = 0;
    for (size_t k = 0; k < n; k++) {
        if (!read_simple(m, &c, &items[k]))
            return false; /* the items stay in the arena, unused */
        flags |= items[k].flags;
    }
    cursor_done(m, &c);
    note_type(m, ')');
    *value = (pv_value){.type = PV_V_TUPLE,
                        .flags = c.shared | (flags & PV_VF_UNHASHABLE),
                        .len = (uint32_t)n,
                        .u.items = items};
    return true;
}

/* One key/value pair, or *done at the NULL key that ends a dict. */
static pv_code r_pair(struct pv_marshal *m, struct pv_arena *scratch, pv_value *key,
                      pv_value *value, bool *done, pv_err *err)
{
    size_t at = m->pos;
    /* A flagged key of the top dict is kept and cached as it is read: a
     * stats file names each key again as a caller, through a reference,
     * which then finds it decoded, word and all (pv_marshal_shared_word). */
    bool keep_key = m->depth == 1 && m->in_dict && at < m->len && (m->buf[at] & FLAG_REF);
    m->kept += keep_key;
    pv_code rc = read_object(m, scratch, key, err);
    m->kept -= keep_key;
    if (rc)
        return rc;
    if (key->type == V_NULL_MARK) {
        *done = true;
        return PV_OK;
    }
    if (check_hashable(key, at, "dict key", err))
        return err->code;
    at = m->pos;
    if (read_object(m, scratch, value, err))
        return err->code;
    if (value->type == V_NULL_MARK)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: NULL object as a dict value", at);
    *done = false;
    return PV_OK;
}

static pv_code r_dict(struct pv_marshal *m, struct pv_arena *scratch, pv_value *out,
                      pv_err *err)
{
    /* The pair count is unknown until the NULL key: pairs go on a stack
     * shared by all dicts (nested ones push above), then move to the arena.
     * Reusing one stack saves a malloc and free for every callers dict. */
    size_t base = m->npairs;
    pv_code rc = PV_OK;
    for (;;) {
        if (m->npairs + 2 > m->cap_pairs &&
            !pv_vec_reserve((void **)&m->pairs, &m->cap_pairs, m->npairs + 2, sizeof *m->pairs)) {
            rc = pv_err_set(err, PV_E_NOMEM, "out of memory reading a dict");
            break;
        }
        /* read into locals: a nested dict may move the stack */
        pv_value key, value;
        bool done = false;
        if (!read_simple_pair(m, scratch, &key, &value) &&
            ((rc = r_pair(m, scratch, &key, &value, &done, err)) || done))
            break;
        m->pairs[m->npairs++] = key;
        m->pairs[m->npairs++] = value;
    }
    size_t n = m->npairs - base;
    m->npairs = base;
    if (rc)
        return rc;
    if (n / 2 > UINT32_MAX)
        return pv_err_set(err, PV_E_LIMIT, "offset %zu: dict too large", m->pos);
    pv_value *items = alloc_items(m, scratch, n, err);
    if (!items)
        return err->code;
    if (n)
        memcpy(items, m->pairs + base, n * sizeof *items);
    out->type = PV_V_DICT;
    out->u.items = items;
    out->len = (uint32_t)(n / 2);
    return PV_OK;
}

/* ---- code objects ------------------------------------------------------- */

/* Field kinds of a code object layout. */
enum { F_BYTES, F_TUPLE, F_STR, F_ANY };

struct code_layout {
    const char *name;
    int nints;          /* int32 fields before the first object */
    int nobjs;          /* objects before firstlineno */
    uint8_t kinds[8];
    int filename_at, name_at;
    int ntrailing;      /* objects after firstlineno */
    uint8_t trailing[2];
};

/* Tried in this order, as the oracle does; the first that parses with the
 * right field types wins. */
static const struct code_layout LAYOUTS[] = {
    /* argcount posonly kwonly stacksize flags | code consts names
     * localsplusnames localspluskinds filename name qualname | firstlineno |
     * linetable exceptiontable */
    {"3.11+", 5, 8, {F_BYTES, F_TUPLE, F_TUPLE, F_TUPLE, F_BYTES, F_STR, F_STR, F_STR}, 5, 6,
     2, {F_BYTES, F_BYTES}},
    /* argcount posonly kwonly nlocals stacksize flags | code consts names
     * varnames freevars cellvars filename name | firstlineno | lnotab */
    {"3.8-3.10", 6, 8, {F_BYTES, F_TUPLE, F_TUPLE, F_TUPLE, F_TUPLE, F_TUPLE, F_STR, F_STR}, 6,
     7, 1, {F_BYTES}},
    /* argcount kwonly nlocals stacksize flags | same as 3.8 */
    {"3.0-3.7", 5, 8, {F_BYTES, F_TUPLE, F_TUPLE, F_TUPLE, F_TUPLE, F_TUPLE, F_STR, F_STR}, 6,
     7, 1, {F_BYTES}},
    /* argcount nlocals stacksize flags | same as 3.8 */
    {"2.x", 4, 8, {F_BYTES, F_TUPLE, F_TUPLE, F_TUPLE, F_TUPLE, F_TUPLE, F_STR, F_STR}, 6, 7, 1,
     {F_BYTES}},
};

static bool kind_ok(int kind, const pv_value *v)
{
    switch (kind) {
    case F_BYTES: return v->type == PV_V_BYTES;
    case F_TUPLE: return v->type == PV_V_TUPLE;
    case F_STR: return v->type == PV_V_STR || v->type == PV_V_BYTES;
    default: return true;
    }
}

static pv_code r_code_as(struct pv_marshal *m, struct pv_arena *scratch,
                         const struct code_layout *L, struct pv_code_obj *code, pv_err *err)
{
    int32_t ignored = 0, firstlineno = 0;
    for (int k = 0; k < L->nints; k++)
        if (r_int32(m, "code object", &ignored, err))
            return err->code;
    for (int k = 0; k < L->nobjs + 1 + L->ntrailing; k++) {
        if (k == L->nobjs) {
            if (r_int32(m, "code object", &firstlineno, err))
                return err->code;
            continue;
        }
        int kind = k < L->nobjs ? L->kinds[k] : L->trailing[k - L->nobjs - 1];
        pv_value v;
        size_t at = m->pos;
        if (read_object(m, scratch, &v, err))
            return err->code;
        if (v.type == V_NULL_MARK || !kind_ok(kind, &v))
            return pv_err_set(err, PV_E_FORMAT, "offset %zu: unexpected %s in code object", at,
                              v.type == V_NULL_MARK ? "NULL" : pv_marshal_type_name(&v));
        if (k == L->filename_at)
            code->filename = v;
        else if (k == L->name_at)
            code->name = v;
    }
    code->firstlineno = firstlineno;
    code->layout = L->name;
    return PV_OK;
}

static pv_code r_code(struct pv_marshal *m, struct pv_arena *scratch, pv_value *out,
                      pv_err *err)
{
    size_t at = m->pos - 1, body = m->pos;
    size_t nrefs = m->nrefs, nstrrefs = m->nstrrefs;
    struct pv_code_obj *code = alloc(m, target(m, scratch), 1, sizeof *code, err);
    if (!code)
        return err->code;
    for (size_t k = 0; k < sizeof LAYOUTS / sizeof LAYOUTS[0]; k++) {
        const struct code_layout *L = &LAYOUTS[k];
        /* The bytecode ('s') follows the ints: a cheap test that skips
         * layouts which cannot match, so nested code objects do not make
         * the trials multiply. */
        size_t code_at = body + 4 * (size_t)L->nints;
        if (code_at >= m->len || (m->buf[code_at] & ~FLAG_REF) != 's')
            continue;
        m->pos = body;
        if (!m->replay)
            forget_slots_from(m, nrefs);
        m->nstrrefs = nstrrefs;
        pv_err trial;
        if (r_code_as(m, scratch, L, code, &trial) == PV_OK) {
            out->type = PV_V_CODE;
            out->u.code = code;
            return PV_OK;
        }
        if (trial.code == PV_E_LIMIT || trial.code == PV_E_NOMEM) {
            *err = trial;
            return err->code;
        }
        if (count_reread(m, m->pos - body, at, err))
            return err->code;
    }
    return pv_err_set(err, PV_E_FORMAT,
                      "offset %zu: code object matches no known Python layout", at);
}

/* ---- objects ------------------------------------------------------------ */

/* Decode the body of an object whose type byte was read. */
static pv_code r_body(struct pv_marshal *m, struct pv_arena *scratch, unsigned type,
                      size_t at, pv_value *out, pv_err *err)
{
    int32_t i32 = 0;
    size_t n;
    switch (type) {
    case 'i':
        if (r_int32(m, "int", &i32, err))
            return err->code;
        out->type = PV_V_INT;
        out->u.i = i32;
        return PV_OK;
    case 'I': {
        int32_t lo = 0, hi = 0;
        if (r_int32(m, "int64", &lo, err) || r_int32(m, "int64", &hi, err))
            return err->code;
        out->type = PV_V_INT;
        out->u.i = (int64_t)((uint64_t)(uint32_t)hi << 32 | (uint32_t)lo);
        return PV_OK;
    }
    case 'l':
        return r_long(m, out, err);
    case 'f':
        out->type = PV_V_FLOAT;
        return r_float_text(m, &out->u.f, err);
    case 'g':
        out->type = PV_V_FLOAT;
        return r_float_bin(m, &out->u.f, err);
    case 'x':
    case 'y': {
        pv_value *parts = alloc(m, target(m, scratch), 2, sizeof *parts, err);
        if (!parts)
            return err->code;
        for (int k = 0; k < 2; k++) {
            parts[k].type = PV_V_FLOAT;
            if ((type == 'x' ? r_float_text : r_float_bin)(m, &parts[k].u.f, err))
                return err->code;
        }
        out->type = PV_V_COMPLEX;
        out->u.items = parts;
        out->len = 2;
        return PV_OK;
    }
    case 's': case 't': case 'u': case 'a': case 'A': case 'z': case 'Z':
        return r_string(m, type, out, err);
    case 'R':
        if (r_int32(m, "string reference", &i32, err))
            return err->code;
        if (i32 < 0 || (size_t)i32 >= m->nstrrefs)
            return pv_err_set(err, PV_E_FORMAT,
                              "offset %zu: string reference %d out of range (%zu interned)",
                              at, i32, m->nstrrefs);
        *out = m->strrefs[i32];
        return PV_OK;
    case '(':
    case '[':
    case '<':
    case '>':
        if (r_size(m, type == '(' ? "tuple" : type == '[' ? "list" : "set", &n, err))
            return err->code;
        out->type = type == '(' ? PV_V_TUPLE : type == '[' ? PV_V_LIST
                    : type == '<' ? PV_V_SET : PV_V_FROZENSET;
        if (r_items(m, scratch, n, pv_marshal_type_name(out), out, err))
            return err->code;
        if (out->type == PV_V_SET || out->type == PV_V_FROZENSET)
            for (uint32_t k = 0; k < out->len; k++)
                if (check_hashable(&out->u.items[k], at, "set element", err))
                    return err->code;
        return PV_OK;
    case ')': {
        unsigned n8 = 0;
        if (r_byte(m, "tuple", &n8, err))
            return err->code;
        out->type = PV_V_TUPLE;
        return r_items(m, scratch, n8, "tuple", out, err);
    }
    case ':':
        out->type = PV_V_SLICE;
        return r_items(m, scratch, 3, "slice", out, err);
    case '{':
        return r_dict(m, scratch, out, err);
    case 'c':
        return r_code(m, scratch, out, err);
    }
    return pv_err_set(err, PV_E_FORMAT, "offset %zu: unknown type code 0x%02x", at, type);
}

/* Like CPython, singletons and references never take a reference slot,
 * even when flagged. */
static bool takes_slot(unsigned type)
{
    return !(type == '0' || type == 'N' || type == 'F' || type == 'T' || type == '.' ||
             type == 'S' || type == 'r' || type == 'R');
}

/* The slot of a flagged object whose type byte is at offset at: a new one
 * reading forward, pending until the object is read; the one it had when
 * replaying. */
static pv_code take_slot(struct pv_marshal *m, size_t at, uint32_t *slot, pv_err *err)
{
    m->flagged = true;
    if (m->replay) {
        if (!slot_at(m, at, slot))
            return pv_err_set(err, PV_E_FORMAT,
                              "offset %zu: references do not match the stream", at);
        return PV_OK;
    }
    if (at > UINT32_MAX)
        return pv_err_set(err, PV_E_LIMIT, "offset %zu: references beyond 4 GiB", at);
    return note_slot(m, at, slot, err);
}

/* Every object but the references and singletons of read_long(), whose
 * type byte (code, at offset at) was read: its slot, its body, its flags,
 * its place in the caches. */
static __attribute__((noinline)) pv_code read_other(struct pv_marshal *m,
                                                    struct pv_arena *scratch, unsigned code,
                                                    size_t at, pv_value *out, pv_err *err)
{
    unsigned type = code & ~FLAG_REF;
    note_type(m, type);
    uint32_t slot = 0;
    bool flag = (code & FLAG_REF) && takes_slot(type);
    if (flag && take_slot(m, at, &slot, err))
        return err->code;
    memset(out, 0, sizeof *out);
    m->depth++;
    pv_code rc = r_body(m, scratch, type, at, out, err);
    m->depth--;
    if (flag && !m->replay)
        m->ref_value[slot] = 0; /* read: no longer pending, not yet decoded again */
    if (rc)
        return rc;
    if (m->kept)
        out->flags |= PV_VF_SHARED;
    if (out->type == PV_V_LIST || out->type == PV_V_DICT || out->type == PV_V_SET)
        out->flags |= PV_VF_UNHASHABLE;
    if (flag && m->kept && cache_put(m, slot, out, err))
        return err->code;
    /* Python 2 names interned strings again by 'R'.  Python 2 has no
     * FLAG_REF, so this table is only filled while reading forward. */
    if (type == 't' && !m->replay) {
        if (!pv_vec_reserve((void **)&m->strrefs, &m->cap_strrefs, m->nstrrefs + 1,
                            sizeof *m->strrefs))
            return pv_err_set(err, PV_E_NOMEM, "out of memory for the reference table");
        m->strrefs[m->nstrrefs] = *out;
        m->strrefs[m->nstrrefs++].flags |= PV_VF_SHARED;
    }
    return PV_OK;
}

/* The long path of read_object(): every object, with each field checked
 * against the bytes left. */
static __attribute__((noinline)) pv_code read_long(struct pv_marshal *m,
                                                   struct pv_arena *scratch, pv_value *out,
                                                   pv_err *err)
{
    size_t at = m->pos;
    if (at >= m->len)
        return need(m, 1, "object", err);
    if (m->depth >= PV_MARSHAL_MAX_DEPTH) /* CPython counts every object */
        return pv_err_set(err, PV_E_LIMIT, "offset %zu: nesting deeper than %d", at,
                          PV_MARSHAL_MAX_DEPTH);
    unsigned code = m->buf[at];
    m->pos = at + 1;
    unsigned type = code & ~FLAG_REF;
    switch (type) { /* references and singletons take no slot even when flagged */
    case 'r':
        return r_ref(m, at, out, err);
    case '0': *out = NULL_MARK; return PV_OK;
    case 'N': *out = NONE_VALUE; return PV_OK;
    case '.': *out = ELLIPSIS_VALUE; return PV_OK;
    case 'S': *out = STOPITER_VALUE; return PV_OK;
    case 'F':
    case 'T':
        *out = (pv_value){.type = PV_V_BOOL, .u.i = type == 'T'};
        return PV_OK;
    }
    return read_other(m, scratch, code, at, out, err);
}

/* Read one object into *out.  The TYPE_NULL marker, which only dicts
 * accept (as their end), reads as a value of type V_NULL_MARK. */
static inline __attribute__((always_inline)) pv_code
read_object(struct pv_marshal *m, struct pv_arena *scratch, pv_value *out, pv_err *err)
{
    struct cursor c = cursor_of(m);
    if (m->depth < PV_MARSHAL_MAX_DEPTH && read_simple(m, &c, out)) {
        cursor_done(m, &c);
        return PV_OK;
    }
    return read_long(m, scratch, out, err);
}

/* ---- public ------------------------------------------------------------- */

pv_code pv_marshal_create(const uint8_t *buf, size_t len, struct pv_marshal **out, pv_err *err)
{
    struct pv_marshal *m = calloc(1, sizeof *m);
    if (!m)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    m->buf = buf;
    m->len = len;
    m->max_reread_bytes = 16 * (uint64_t)len + 65536;
    /* References, not copies, keep this near the input size for real files;
     * the bound stops crafted ones. */
    pv_arena_init(&m->own_keep, 8 * len + (64u << 20));
    m->keep = &m->own_keep;
    *out = m;
    return PV_OK;
}

void pv_marshal_destroy(struct pv_marshal *m)
{
    if (!m)
        return;
    pv_arena_fini(&m->own_keep);
    free(m->ref_at);
    free(m->ref_value);
    free(m->values);
    free(m->pairs);
    free(m->strrefs);
    free(m);
}

pv_code pv_marshal_read(struct pv_marshal *m, struct pv_arena *scratch, pv_value *out,
                        pv_err *err)
{
    size_t at = m->pos;
    pv_value v = NONE_VALUE;
    if (read_object(m, scratch, &v, err))
        return err->code;
    if (v.type == V_NULL_MARK)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: NULL object where a value belongs", at);
    *out = v;
    return PV_OK;
}

static const char *type_byte_name(unsigned type)
{
    switch (type) {
    case '(': case ')': return "tuple";
    case '[': return "list";
    case '<': return "set";
    case '>': return "frozenset";
    case 'N': return "NoneType";
    case 'T': case 'F': return "bool";
    case 'i': case 'I': case 'l': return "int";
    case 'f': case 'g': return "float";
    case 'x': case 'y': return "complex";
    case 's': return "bytes";
    case 't': case 'u': case 'a': case 'A': case 'z': case 'Z': return "str";
    case 'c': return "code";
    case '.': return "ellipsis";
    case 'S': return "StopIteration";
    case ':': return "slice";
    case 'r': case 'R': return "reference";
    case '0': return "NULL";
    }
    return NULL;
}

pv_code pv_marshal_dict_enter(struct pv_marshal *m, pv_err *err)
{
    if (m->pos >= m->len)
        return pv_err_set(err, PV_E_FORMAT, "offset %zu: unexpected end of data", m->pos);
    unsigned code = m->buf[m->pos], type = code & ~FLAG_REF;
    if (type != '{') {
        const char *name = type_byte_name(type);
        if (!name)
            return pv_err_set(err, PV_E_FORMAT, "offset %zu: unknown type code 0x%02x",
                              m->pos, code);
        return pv_err_set(err, PV_E_SHAPE, "top-level object is %s, expected dict", name);
    }
    m->pos++;
    note_type(m, type);
    if (code & FLAG_REF) {
        /* Nothing inside may refer to the dict being built; after it ends
         * nothing is read.  The slot stays pending. */
        uint32_t slot;
        m->flagged = true;
        if (note_slot(m, m->pos - 1, &slot, err))
            return err->code;
    }
    m->depth = 1;
    m->in_dict = true;
    return PV_OK;
}

pv_code pv_marshal_dict_next(struct pv_marshal *m, struct pv_arena *scratch, pv_value *key,
                             pv_value *value, bool *done, pv_err *err)
{
    if (!m->in_dict) {
        *done = true;
        return PV_OK;
    }
    if (r_pair(m, scratch, key, value, done, err))
        return err->code;
    if (*done) {
        m->in_dict = false;
        m->depth = 0;
    }
    return PV_OK;
}

size_t pv_marshal_offset(const struct pv_marshal *m)
{
    return m->pos;
}

int pv_marshal_version_guess(const struct pv_marshal *m, bool *python2)
{
    *python2 = seen(m, 'R') || seen(m, 'I') ||
               (!seen(m, 'u') && !seen(m, 'a') && !seen(m, 'z') && !seen(m, 'A') &&
                !seen(m, 'Z') && (seen(m, 't') || seen(m, 's')));
    if (seen(m, ')') || seen(m, 'a') || seen(m, 'A') || seen(m, 'z') || seen(m, 'Z'))
        return 4;
    if (m->flagged)
        return 3;
    if (seen(m, 'g'))
        return 2;
    return 1; /* 'f' floats: v0 and v1 write the same bytes for this data */
}

pv_code pv_marshal_load(const uint8_t *buf, size_t len, struct pv_arena *arena, pv_value *out,
                        size_t *used_bytes, pv_err *err)
{
    struct pv_marshal *m;
    if (pv_marshal_create(buf, len, &m, err))
        return err->code;
    /* Everything goes to the caller's arena, kept values included. */
    m->keep = arena;
    pv_value v;
    pv_code rc = pv_marshal_read(m, arena, &v, err);
    if (rc == PV_OK) {
        *out = v;
        if (used_bytes)
            *used_bytes = m->pos;
    }
    pv_marshal_destroy(m);
    return rc;
}
