/* profile_build.c - marshal values -> the pstats model (see profile.h).
 *
 * The top-level dict is streamed one entry at a time (pv_marshal_dict_next)
 * into growing arrays, so a 100 MB file never exists as a value tree; the
 * scratch arena holding one entry's values is reset after each entry.
 * number_funcs() then sorts the functions into fid order, the end of
 * pv_profile_read(); finish() sorts the edges and builds the indexes.
 *
 * Keys are found through the shared hashmap: strings by their text, and
 * by their address in the input (a string met again through a reference
 * is not hashed again), functions by (file, line, name).  A key tuple met
 * again through references keeps its function in its word
 * (pv_marshal_shared_word), which most of a file's caller keys hit. */
#include "profile.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "marshal.h"
#include "vec.h"

/* ---- the builder -------------------------------------------------------- */

struct bfunc {
    uint32_t file, name;       /* string ordinals: see builder.string_at */
    int64_t line;
    int64_t cc, nc;
    double tt, ct;
    uint32_t order;
    bool has_stats;
    uint32_t edge_lo, edge_hi; /* this entry's callers in edges[] */
};

/* Strings of the input that were met before, by address: the reader
 * hands out the same pointer each time a referenced string is reached
 * again (see marshal.h), so an address names its content. */
struct seen {
    struct pv_hashmap map; /* address -> index in at[] */
    struct seen_at {
        const char *ptr;
        uint32_t len;
        uint32_t ordinal;
    } *at;
    size_t n, cap;
};

struct builder {
    struct pv_profile *p;
    size_t strings_cap;          /* of p->strings, built here */
    struct pv_hashmap strings;   /* text -> string ordinal */
    uint32_t *string_at;         /* by ordinal: the string's handle in p->strings */
    size_t nstrings, string_cap;
    struct seen names;           /* long text in the input -> string ordinal */
    struct bfunc *funcs;
    size_t nfuncs, fcap;
    uint32_t nkeys;              /* distinct stats keys so far: the next dict order */
    struct pv_hashmap funcs_by_key; /* (file, line, name) -> function index */
    struct pv_edge *edges;       /* in file order; those of a duplicate key's
                                    earlier value are in no function's range */
    size_t nedges, ecap;
    uint8_t *edge_flags;         /* by edge; NULL until an edge has flags */
    size_t flags_cap;
    char *tmp;                   /* for re-encoded strings */
    size_t tmp_cap;
    size_t entry_at;             /* offset of the entry being read, for messages */
};

static void warn(struct pv_profile *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct pv_profile *p, const char *fmt, ...)
{
    if (p->nwarnings < PV_PROFILE_MAX_WARNINGS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->warnings[p->nwarnings], sizeof p->warnings[0], fmt, ap);
        va_end(ap);
    }
    p->nwarnings++;
}

/* ---- strings ------------------------------------------------------------ */

/* Intern bytes[0..n): equal strings get one ordinal, numbered from 0 in
 * the order first met; string_at[] gives each its handle.  (Ordinals, not
 * handles, so that finish() can rank the strings in an array.) */
static pv_code intern(struct builder *b, const char *bytes, size_t n, uint32_t *ordinal,
                      pv_err *err)
{
    struct pv_profile *p = b->p;
    if (!pv_hashmap_reserve(&b->strings, 1) ||
        !pv_vec_reserve((void **)&b->string_at, &b->string_cap, b->nstrings + 1,
                        sizeof *b->string_at))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for strings");
    struct pv_hashmap_probe pr = pv_hashmap_probe(&b->strings, pv_hashmap_hash_bytes(bytes, n));
    uint32_t k;
    while (pv_hashmap_next(&b->strings, &pr, &k)) {
        size_t len;
        const char *have = pv_profile_str(p, b->string_at[k], &len);
        if (len == n && !memcmp(have, bytes, n)) {
            *ordinal = k;
            return PV_OK;
        }
    }
    size_t rec = 4 + n + 1;
    if (p->strings_len + rec >= UINT32_MAX)
        return pv_err_set(err, PV_E_LIMIT, "the profile's strings exceed 4 GiB");
    if (!pv_vec_reserve((void **)&p->strings, &b->strings_cap, p->strings_len + rec, 1))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for strings");
    uint32_t len32 = (uint32_t)n;
    memcpy(p->strings + p->strings_len, &len32, 4);
    if (n) /* an empty string may come as a NULL pointer: memcpy wants neither */
        memcpy(p->strings + p->strings_len + 4, bytes, n);
    p->strings[p->strings_len + 4 + n] = '\0';
    *ordinal = (uint32_t)b->nstrings;
    b->string_at[b->nstrings++] = (uint32_t)p->strings_len;
    pv_hashmap_insert(&b->strings, &pr, *ordinal);
    p->strings_len += rec;
    return PV_OK;
}

static bool tmp_reserve(struct builder *b, size_t n)
{
    return pv_vec_reserve((void **)&b->tmp, &b->tmp_cap, n, 1);
}

/* Python 2 byte strings become text as the oracle decodes them: UTF-8 when
 * they are valid UTF-8, else Latin-1.  Appends to b->tmp at *at. */
static bool bytes_as_text(struct builder *b, const pv_value *v, size_t *at)
{
    const unsigned char *s = (const unsigned char *)v->u.s;
    if (v->type == PV_V_STR || pv_marshal_utf8_valid(v->u.s, v->len, false)) {
        if (!v->len)
            return true; /* b->tmp may still be NULL, and so may s */
        if (!tmp_reserve(b, *at + v->len))
            return false;
        memcpy(b->tmp + *at, s, v->len);
        *at += v->len;
        return true;
    }
    if (!tmp_reserve(b, *at + 2 * (size_t)v->len))
        return false;
    *at += pv_marshal_latin1_to_utf8(s, v->len, b->tmp + *at);
    return true;
}

static bool is_text(const pv_value *v)
{
    return v->type == PV_V_STR || v->type == PV_V_BYTES;
}

/* A code object where a name belongs (`python -m profile` stores the one it
 * ran) reads as the oracle prints it: '<code object NAME, file "F", line N>'. */
static bool code_as_text(struct builder *b, const struct pv_code_obj *c, size_t *at)
{
    char line[32];
    snprintf(line, sizeof line, ", line %" PRId64 ">", c->firstlineno);
    static const char p1[] = "<code object ", p2[] = ", file \"", p3[] = "\"";
    const char *parts[] = {p1, NULL, p2, NULL, p3, line};
    for (int k = 0; k < 6; k++) {
        if (k == 1 || k == 3) {
            if (!bytes_as_text(b, k == 1 ? &c->name : &c->filename, at))
                return false;
            continue;
        }
        size_t n = strlen(parts[k]);
        if (!tmp_reserve(b, *at + n))
            return false;
        memcpy(b->tmp + *at, parts[k], n);
        *at += n;
    }
    return true;
}

static uint32_t address_hash(const char *ptr, uint32_t len)
{
    return pv_hashmap_mix((uintptr_t)ptr ^ (uint64_t)len << 48);
}

/* The ordinal noted for the string at (ptr, len), if any. */
static bool seen_find(const struct seen *t, const char *ptr, uint32_t len, uint32_t *ordinal)
{
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, address_hash(ptr, len));
    uint32_t i;
    while (pv_hashmap_next(&t->map, &pr, &i))
        if (t->at[i].ptr == ptr && t->at[i].len == len) {
            *ordinal = t->at[i].ordinal;
            return true;
        }
    return false;
}

/* Note that the string at (ptr, len), not yet in t, has ordinal. */
static pv_code seen_add(struct seen *t, const char *ptr, uint32_t len, uint32_t ordinal,
                        pv_err *err)
{
    if (t->n >= UINT32_MAX - 1 || !pv_hashmap_reserve(&t->map, 1) ||
        !pv_vec_reserve((void **)&t->at, &t->cap, t->n + 1, sizeof *t->at))
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, address_hash(ptr, len));
    uint32_t i;
    while (pv_hashmap_next(&t->map, &pr, &i))
        ;
    t->at[t->n] = (struct seen_at){ptr, len, ordinal};
    pv_hashmap_insert(&t->map, &pr, (uint32_t)t->n++);
    return PV_OK;
}

static void seen_fini(struct seen *t)
{
    pv_hashmap_fini(&t->map);
    free(t->at);
    *t = (struct seen){.at = NULL};
}

/* Names this long or longer are also remembered by address.  Strings
 * point into the input (or the reader's kept arena), and one that is
 * referenced again keeps its pointer: so a 1 MiB name referenced 20,000
 * times is hashed once, not 20,000 times.  A shorter name costs less to
 * hash again than to look up by address and note there (the addresses of
 * a 100k-function file's names took 9% of its import). */
enum { SEEN_MIN_BYTES = 256 };

/* The ordinal of a file or function name. */
static pv_code name_ordinal(struct builder *b, const pv_value *v, const char *what,
                            uint32_t *ordinal, pv_err *err)
{
    bool long_text = is_text(v) && v->len >= SEEN_MIN_BYTES;
    if (long_text && seen_find(&b->names, v->u.s, v->len, ordinal))
        return PV_OK;
    size_t n = 0;
    if (v->type == PV_V_STR) {
        if (intern(b, v->u.s, v->len, ordinal, err))
            return err->code;
    } else if (v->type == PV_V_BYTES) {
        if (!bytes_as_text(b, v, &n))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        if (intern(b, b->tmp, n, ordinal, err))
            return err->code;
    } else if (v->type == PV_V_CODE && is_text(&v->u.code->name) &&
               is_text(&v->u.code->filename)) {
        if (!code_as_text(b, v->u.code, &n))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        return intern(b, b->tmp, n, ordinal, err);
    } else
        return pv_err_set(err, PV_E_SHAPE, "offset %zu: %s is %s, expected str", b->entry_at,
                          what, pv_marshal_type_name(v));
    return long_text ? seen_add(&b->names, v->u.s, v->len, *ordinal, err) : PV_OK;
}
/* ---- keys and numbers --------------------------------------------------- */

/* A short printable form of a key for messages: non-ASCII and control bytes
 * become '?', long strings are cut. */
static void key_text(char *out, size_t cap, const pv_value *k)
{
    size_t at = 0;
    out[0] = '\0';
    if (k->type != PV_V_TUPLE || k->len > 5) {
        snprintf(out, cap, "a %s", pv_marshal_type_name(k));
        return;
    }
    at += (size_t)snprintf(out + at, cap - at, "(");
    for (uint32_t i = 0; i < k->len && at < cap; i++) {
        const pv_value *v = &k->u.items[i];
        if (is_text(v)) {
            at += (size_t)snprintf(out + at, cap - at, "'");
            for (uint32_t c = 0; c < v->len && c < 48 && at + 2 < cap; c++) {
                unsigned char ch = (unsigned char)v->u.s[c];
                out[at++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
            }
            out[at] = '\0';
            at += (size_t)snprintf(out + at, cap - at, "%s'", v->len > 48 ? "..." : "");
        } else if (v->type == PV_V_INT)
            at += (size_t)snprintf(out + at, cap - at, "%" PRId64, v->u.i);
        else
            at += (size_t)snprintf(out + at, cap - at, "<%s>", pv_marshal_type_name(v));
        if (at < cap)
            at += (size_t)snprintf(out + at, cap - at, i + 1 < k->len ? ", " : ")");
    }
}

/* The function index of a key, adding a function (without stats) when the
 * key is new. */
static pv_code key_lookup(struct builder *b, const pv_value *k, const char *what, uint32_t *out,
                          pv_err *err)
{
    char text[160];
    if (k->type != PV_V_TUPLE || k->len != 3) {
        key_text(text, sizeof text, k);
        return pv_err_set(err, PV_E_SHAPE, "offset %zu: %s is %s, expected (file, line, name)",
                          b->entry_at, what, text);
    }
    const pv_value *line = &k->u.items[1];
    if (line->type != PV_V_INT) {
        key_text(text, sizeof text, k);
        return pv_err_set(err, PV_E_SHAPE, "offset %zu: line number in %s %s is %s, expected int",
                          b->entry_at, what, text, pv_marshal_type_name(line));
    }
    uint32_t file, name;
    if (name_ordinal(b, &k->u.items[0], "a file name", &file, err) ||
        name_ordinal(b, &k->u.items[2], "a function name", &name, err))
        return err->code;
    if (!pv_hashmap_reserve(&b->funcs_by_key, 1))
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct pv_hashmap_probe pr =
        pv_hashmap_probe(&b->funcs_by_key, pv_hashmap_hash_key(file, line->u.i, name));
    uint32_t fi;
    while (pv_hashmap_next(&b->funcs_by_key, &pr, &fi)) {
        const struct bfunc *f = &b->funcs[fi];
        if (f->file == file && f->name == name && f->line == line->u.i) {
            *out = fi;
            return PV_OK;
        }
    }
    if (b->nfuncs >= UINT32_MAX - 1 || !pv_vec_reserve((void **)&b->funcs, &b->fcap, b->nfuncs + 1,
                                              sizeof *b->funcs))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for functions");
    b->funcs[b->nfuncs] = (struct bfunc){.file = file, .name = name, .line = line->u.i};
    pv_hashmap_insert(&b->funcs_by_key, &pr, (uint32_t)b->nfuncs);
    *out = (uint32_t)b->nfuncs++;
    return PV_OK;
}

/* A key tuple reached again through references is one shared value: its
 * word (pv_marshal_shared_word) keeps its function, which skips the three
 * fields for most of a file's 875k caller keys.  (A hash table from the
 * tuple's address to the function was measured: 10% of an import, in
 * cache misses on the table.) */
static inline pv_code key_index(struct builder *b, const pv_value *k, const char *what,
                                uint32_t *out, pv_err *err)
{
    int64_t *word = k->type == PV_V_TUPLE ? pv_marshal_shared_word(k) : NULL;
    if (word && *word) {
        *out = (uint32_t)(*word - 1);
        return PV_OK;
    }
    pv_code rc = key_lookup(b, k, what, out, err);
    if (rc == PV_OK && word)
        *word = (int64_t)*out + 1;
    return rc;
}

enum { WORDS_AHEAD = 4 };

static inline void prefetch_word(const pv_value *k)
{
    if (k->type == PV_V_TUPLE && k->flags & PV_VF_SHARED)
        __builtin_prefetch(pv_marshal_shared_word(k));
}

static bool is_count(const pv_value *v)
{
    return v->type == PV_V_INT; /* bools are rejected: see profile.h */
}

static bool is_time(const pv_value *v)
{
    return v->type == PV_V_INT || v->type == PV_V_FLOAT;
}

static double as_time(const pv_value *v)
{
    return v->type == PV_V_INT ? (double)v->u.i : v->u.f;
}

/* Whether numbers need a warning: a negative count, or a time that is
 * negative, NaN or infinite.  One test for the common case, as it runs
 * for every edge: t >= 0 is false for NaN and -inf, t <= DBL_MAX for +inf. */
static inline bool numbers_odd(int64_t c1, int64_t c2, double t1, double t2)
{
    return (c1 | c2) < 0 || !(t1 >= 0 && t2 >= 0 && t1 <= DBL_MAX && t2 <= DBL_MAX);
}

/* The warning for odd numbers in k's entry, once per entry (*warned). */
static void warn_numbers(struct builder *b, const pv_value *k, double t1, double t2,
                         bool *warned)
{
    if (*warned)
        return;
    char text[160];
    key_text(text, sizeof text, k);
    if (!isfinite(t1) || !isfinite(t2))
        warn(b->p, "non-finite time in %s", text);
    else
        warn(b->p, "negative number in %s", text);
    *warned = true;
}

static inline void check_numbers(struct builder *b, const pv_value *k, int64_t c1, int64_t c2,
                                 double t1, double t2, bool *warned)
{
    if (numbers_odd(c1, c2, t1, t2))
        warn_numbers(b, k, t1, t2, warned);
}

/* ---- one entry ---------------------------------------------------------- */

/* Note the flags of the edge about to be added, edges[nedges]: the array
 * is made at the first edge with flags, the earlier ones' zeroed. */
static pv_code note_edge_flags(struct builder *b, uint8_t flags, pv_err *err)
{
    bool first = b->edge_flags == NULL;
    if (!pv_vec_reserve((void **)&b->edge_flags, &b->flags_cap, b->nedges + 1, 1))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for edges");
    if (first)
        memset(b->edge_flags, 0, b->nedges);
    b->edge_flags[b->nedges] = flags;
    return PV_OK;
}

/* Room for more edges than the guess of builder_init(). */
static pv_code grow_edges(struct builder *b, pv_err *err)
{
    if (b->nedges >= UINT32_MAX - 1 ||
        !pv_vec_reserve((void **)&b->edges, &b->ecap, b->nedges + 1, sizeof *b->edges))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for edges");
    return PV_OK;
}

static pv_code add_edge(struct builder *b, const pv_value *fkey, uint32_t callee,
                        const pv_value *ckey, const pv_value *cval, bool *warned, pv_err *err)
{
    uint32_t caller;
    if (key_index(b, ckey, "a caller key", &caller, err))
        return err->code;
    struct pv_edge e = {.caller = caller, .callee = callee};
    uint8_t flags = 0;
    if (cval->type == PV_V_TUPLE && cval->len == 4 && is_count(&cval->u.items[0]) &&
        is_count(&cval->u.items[1]) && is_time(&cval->u.items[2]) &&
        is_time(&cval->u.items[3])) {
        e.nc = cval->u.items[0].u.i;
        e.cc = cval->u.items[1].u.i;
        e.tt = as_time(&cval->u.items[2]);
        e.ct = as_time(&cval->u.items[3]);
    } else if (is_count(cval)) {
        e.nc = cval->u.i;
        flags = PV_EDGE_COUNT_ONLY;
    } else {
        char text[160];
        key_text(text, sizeof text, ckey);
        return pv_err_set(err, PV_E_SHAPE,
                          "offset %zu: callers value for %s is %s%s, expected (nc, cc, tt, ct) or int",
                          b->entry_at, text, cval->type == PV_V_TUPLE ? "a tuple of " : "a ",
                          cval->type == PV_V_TUPLE ? "other values" : pv_marshal_type_name(cval));
    }
    check_numbers(b, fkey, e.nc, e.cc, e.tt, e.ct, warned);
    if (b->nedges == b->ecap && grow_edges(b, err))
        return err->code;
    if ((flags || b->edge_flags) && note_edge_flags(b, flags, err))
        return err->code;
    b->edges[b->nedges++] = e;
    return PV_OK;
}

static pv_code add_entry(struct builder *b, const pv_value *key, const pv_value *val,
                         pv_err *err)
{
    uint32_t fi;
    if (key_index(b, key, "a function key", &fi, err))
        return err->code;
    char text[160];
    if (val->type != PV_V_TUPLE || val->len != 5) {
        key_text(text, sizeof text, key);
        if (val->type == PV_V_TUPLE)
            return pv_err_set(err, PV_E_SHAPE,
                              "offset %zu: stats value for %s has %u items, expected 5 (cc, nc, tt, ct, callers)",
                              b->entry_at, text, val->len);
        return pv_err_set(err, PV_E_SHAPE,
                          "offset %zu: stats value for %s is %s, expected (cc, nc, tt, ct, callers)",
                          b->entry_at, text, pv_marshal_type_name(val));
    }
    const pv_value *it = val->u.items;
    if (!is_count(&it[0]) || !is_count(&it[1]) || !is_time(&it[2]) || !is_time(&it[3])) {
        key_text(text, sizeof text, key);
        int bad = !is_count(&it[0]) ? 0 : !is_count(&it[1]) ? 1 : !is_time(&it[2]) ? 2 : 3;
        static const char *const field[] = {"cc", "nc", "tt", "ct"};
        return pv_err_set(err, PV_E_SHAPE, "offset %zu: %s of %s is %s, expected %s",
                          b->entry_at, field[bad], text, pv_marshal_type_name(&it[bad]),
                          bad < 2 ? "int" : "a number");
    }
    if (it[4].type != PV_V_DICT) {
        key_text(text, sizeof text, key);
        return pv_err_set(err, PV_E_SHAPE, "offset %zu: callers of %s is %s, expected dict",
                          b->entry_at, text, pv_marshal_type_name(&it[4]));
    }
    struct bfunc *f = &b->funcs[fi];
    if (f->has_stats) {
        /* Python's dict keeps the last value at the first key's place.
         * The earlier value's edges stay behind, in no function's range:
         * sort_edges() puts them last, finish() drops them. */
        key_text(text, sizeof text, key);
        warn(b->p, "duplicate key %s: the last value wins", text);
    } else
        f->order = b->nkeys++; /* counts distinct keys: a duplicate takes no slot */
    f->has_stats = true;
    f->cc = it[0].u.i;
    f->nc = it[1].u.i;
    f->tt = as_time(&it[2]);
    f->ct = as_time(&it[3]);
    bool warned = false;
    check_numbers(b, key, f->cc, f->nc, f->tt, f->ct, &warned);
    uint32_t lo = (uint32_t)b->nedges;
    const pv_value *callers = &it[4];
    for (uint32_t c = 0; c < callers->len; c++) {
        /* The words of the caller keys ahead are fetched while this one
         * is added: each is a cache miss, in the reader's kept arena. */
        if (c + WORDS_AHEAD < callers->len)
            prefetch_word(&callers->u.items[2 * (c + WORDS_AHEAD)]);
        if (add_edge(b, key, fi, &callers->u.items[2 * c], &callers->u.items[2 * c + 1],
                     &warned, err))
            return err->code;
    }
    f = &b->funcs[fi]; /* add_edge may have moved funcs */
    f->edge_lo = lo;
    f->edge_hi = (uint32_t)b->nedges;
    return PV_OK;
}

/* ---- finishing: fid order and indexes ----------------------------------- */

static int cmp_text(const struct pv_profile *p, uint32_t h1, uint32_t h2)
{
    size_t n1, n2;
    const char *a = pv_profile_str(p, h1, &n1), *c = pv_profile_str(p, h2, &n2);
    /* UTF-8 byte order is code point order, surrogates included: this is
     * how Python compares str. */
    int r = memcmp(a, c, n1 < n2 ? n1 : n2);
    return r ? r : (n1 > n2) - (n1 < n2);
}

/* qsort_r (glibc, POSIX 2024) passes the builder, for its strings: uploads
 * are parsed on several threads at once, so it cannot live in a static. */
static int cmp_ordinals(const void *x, const void *y, void *builder)
{
    const struct builder *b = builder;
    return cmp_text(b->p, b->string_at[*(const uint32_t *)x], b->string_at[*(const uint32_t *)y]);
}

/* Each string's place in Python's order of str, by ordinal (malloc'd;
 * NULL when out of memory): sorting the few distinct strings once, the
 * functions are then sorted by numbers (string compares were 15% of an
 * import). */
static uint32_t *rank_strings(const struct builder *b)
{
    uint32_t *order = pv_vec_alloc(b->nstrings, sizeof *order);
    uint32_t *rank = pv_vec_alloc(b->nstrings, sizeof *rank);
    if (!order || !rank) {
        free(order);
        free(rank);
        return NULL;
    }
    for (size_t k = 0; k < b->nstrings; k++)
        order[k] = (uint32_t)k;
    qsort_r(order, b->nstrings, sizeof *order, cmp_ordinals, (void *)b);
    for (size_t k = 0; k < b->nstrings; k++)
        rank[order[k]] = (uint32_t)k;
    free(order);
    return rank;
}

/* A function's sort key: (file, line, name) as Python compares them. */
struct fkey {
    uint32_t file, name; /* ranks */
    int64_t line;
    uint32_t index;      /* in the builder's funcs */
};

/* Field k of a key as an unsigned number in the same order: 0 the name,
 * 1 the line, 2 the file (least significant first).  Lines are counted
 * from the smallest, which keeps their order and makes them unsigned. */
static uint64_t fkey_field(const struct fkey *key, int k, int64_t min_line)
{
    return k == 0 ? key->name : k == 1 ? (uint64_t)key->line - (uint64_t)min_line : key->file;
}

/* Sort keys by (file, line, name): a radix sort, least significant digit
 * first, 8 bits a pass, over the digits that some key has (about 7 passes
 * for 100k functions; qsort's compares were 10% of an import).  false
 * when out of memory, with keys unsorted. */
static bool sort_fkeys(struct fkey *keys, size_t n)
{
    struct fkey *tmp = pv_vec_alloc(n, sizeof *tmp), *from = keys, *to = tmp;
    if (!tmp)
        return false;
    int64_t min_line = INT64_MAX;
    for (size_t i = 0; i < n; i++)
        min_line = keys[i].line < min_line ? keys[i].line : min_line;
    for (int k = 0; k < 3; k++) {
        uint64_t max = 0;
        for (size_t i = 0; i < n; i++)
            max |= fkey_field(&keys[i], k, min_line);
        for (int shift = 0; shift < 64 && max >> shift; shift += 8) {
            size_t at[257] = {0};
            for (size_t i = 0; i < n; i++)
                at[(fkey_field(&from[i], k, min_line) >> shift & 0xff) + 1]++;
            for (int d = 0; d < 256; d++)
                at[d + 1] += at[d];
            for (size_t i = 0; i < n; i++)
                to[at[fkey_field(&from[i], k, min_line) >> shift & 0xff]++] = from[i];
            struct fkey *t = from;
            from = to;
            to = t;
        }
    }
    if (from != keys)
        memcpy(keys, from, n * sizeof *keys);
    free(tmp);
    return true;
}

/* p->funcs in fid order, and fid_of[] each builder function's fid. */
static pv_code number_funcs(struct builder *b, uint32_t *fid_of, pv_err *err)
{
    struct pv_profile *p = b->p;
    size_t n = b->nfuncs;
    uint32_t *rank = rank_strings(b);
    struct fkey *keys = pv_vec_alloc(n, sizeof *keys);
    p->funcs = pv_vec_alloc(n, sizeof *p->funcs);
    if (!rank || !keys || !p->funcs) {
        free(rank);
        free(keys);
        return pv_err_set(err, PV_E_NOMEM, "out of memory for %zu functions", n);
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (struct fkey){rank[b->funcs[i].file], rank[b->funcs[i].name], b->funcs[i].line,
                                (uint32_t)i};
    free(rank);
    if (!sort_fkeys(keys, n)) {
        free(keys);
        return pv_err_set(err, PV_E_NOMEM, "out of memory for %zu functions", n);
    }
    uint32_t dangling = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bfunc *f = &b->funcs[keys[i].index];
        fid_of[keys[i].index] = (uint32_t)i;
        p->funcs[i] = (struct pv_func){
            .file = b->string_at[f->file], .name = b->string_at[f->name], .line = f->line,
            .cc = f->cc, .nc = f->nc, .tt = f->tt, .ct = f->ct, .order = f->order,
            .flags = f->has_stats ? 0 : PV_FUNC_PHANTOM};
        if (f->has_stats)
            p->nreal++;
        else
            dangling++;
    }
    free(keys);
    p->nfuncs = (uint32_t)n;
    if (dangling)
        warn(p, "%u caller key%s without a stats entry of %s own (kept as callers only)",
             dangling, dangling == 1 ? "" : "s", dangling == 1 ? "its" : "their");
    return PV_OK;
}

/* Move every edge e[i] to e[dest[i]], dest being a permutation of 0..n-1,
 * in place, with its dest[i] and its flags (when there are flags): no
 * second array of edges (qsort's merge buffer was 42 MB for 875k edges).
 *
 * Following the permutation's cycles over the whole array reads each edge
 * at random, a cache miss each: that was 15% of an import.  So first each
 * edge moves into its block of BLOCK_EDGES destinations (an American flag
 * sort: one cursor per block, each moving forward through its block, the
 * next edges of each prefetched), then the cycles are followed inside each
 * block, which fits in the L2 cache. */
enum { BLOCK_SHIFT = 12, BLOCK_EDGES = 1 << BLOCK_SHIFT, AHEAD_EDGES = 4 };

/* An edge on its way, with where it goes and its flags. */
struct moving {
    struct pv_edge e;
    uint32_t dest;
    uint8_t flags;
};

static inline struct moving take(const struct pv_edge *e, const uint32_t *dest,
                                 const uint8_t *flags, size_t i)
{
    return (struct moving){.e = e[i], .dest = dest[i], .flags = flags ? flags[i] : 0};
}

static inline void put(struct pv_edge *e, uint32_t *dest, uint8_t *flags, size_t i,
                       const struct moving *m)
{
    e[i] = m->e;
    dest[i] = m->dest;
    if (flags)
        flags[i] = m->flags;
}

static pv_code place_edges(struct pv_edge *e, uint32_t *dest, uint8_t *flags, size_t n,
                           pv_err *err)
{
    size_t nblocks = (n >> BLOCK_SHIFT) + 1;
    size_t *next = pv_vec_alloc(nblocks, sizeof *next);
    if (!next)
        return pv_err_set(err, PV_E_NOMEM, "out of memory sorting %zu edges", n);
    for (size_t k = 0; k < nblocks; k++)
        next[k] = k << BLOCK_SHIFT;
    for (size_t k = 0; k < nblocks; k++) {
        size_t end = (k + 1) << BLOCK_SHIFT < n ? (k + 1) << BLOCK_SHIFT : n;
        while (next[k] < end) {
            struct moving x = take(e, dest, flags, next[k]);
            size_t to = x.dest >> BLOCK_SHIFT;
            while (to != k) { /* x goes to block to: take out what is there */
                size_t at = next[to]++;
                if (at + AHEAD_EDGES < n) {
                    __builtin_prefetch(&e[at + AHEAD_EDGES]);
                    __builtin_prefetch(&dest[at + AHEAD_EDGES]);
                }
                struct moving y = take(e, dest, flags, at);
                put(e, dest, flags, at, &x);
                x = y;
                to = x.dest >> BLOCK_SHIFT;
            }
            put(e, dest, flags, next[k]++, &x);
        }
    }
    free(next);
    for (size_t lo = 0; lo < n; lo += BLOCK_EDGES) {
        size_t hi = lo + BLOCK_EDGES < n ? lo + BLOCK_EDGES : n;
        /* The block was written long ago: load it in order first (one
         * stream the CPU reads ahead), not miss by miss along its cycles. */
        for (const char *line = (const char *)&e[lo]; line < (const char *)&e[hi]; line += 64)
            __builtin_prefetch(line);
        for (size_t i = lo; i < hi; i++)
            while (dest[i] != i) {
                size_t j = dest[i];
                struct moving x = take(e, dest, flags, j);
                struct moving y = take(e, dest, flags, i);
                put(e, dest, flags, j, &y);
                put(e, dest, flags, i, &x);
            }
    }
    return PV_OK;
}

/* Sort edges by (caller, callee) fid, ties in file order, numbering their
 * functions by fid_of; the edges of duplicate keys (dead) go after the
 * rest, and *live counts the others.
 *
 * Each stats entry added its callers' edges together (edge_lo..edge_hi),
 * so walking the functions in fid order visits the live edges by callee:
 * one stable counting sort by caller then gives each its place. */
static pv_code sort_edges(struct builder *b, const uint32_t *fid_of, const uint32_t *index_of,
                          size_t *live, pv_err *err)
{
    struct pv_edge *e = b->edges;
    size_t n = b->nedges, nf = b->nfuncs, nlive = 0;
    uint32_t *start = pv_vec_calloc(nf, sizeof *start);
    uint32_t *dest = pv_vec_alloc(n, sizeof *dest); /* where each edge goes */
    if (!start || !dest) {
        free(start);
        free(dest);
        return pv_err_set(err, PV_E_NOMEM, "out of memory sorting %zu edges", n);
    }
    for (size_t fid = 0; fid < nf; fid++) {
        const struct bfunc *f = &b->funcs[index_of[fid]];
        for (uint32_t i = f->edge_lo; i < f->edge_hi; i++) {
            e[i].caller = fid_of[e[i].caller];
            e[i].callee = (uint32_t)fid;
            start[e[i].caller]++;
        }
        nlive += f->edge_hi - f->edge_lo;
    }
    for (size_t fid = 0, at = 0; fid < nf; fid++) {
        uint32_t count = start[fid];
        start[fid] = (uint32_t)at;
        at += count;
    }
    /* Edges in no function's range (see add_entry) keep UINT32_MAX, set
     * here, then go after the rest. */
    if (nlive < n)
        memset(dest, 0xFF, n * sizeof *dest);
    for (size_t fid = 0; fid < nf; fid++) {
        const struct bfunc *f = &b->funcs[index_of[fid]];
        for (uint32_t i = f->edge_lo; i < f->edge_hi; i++)
            dest[i] = start[e[i].caller]++;
    }
    free(start);
    if (nlive < n)
        for (size_t i = 0, dead = nlive; i < n; i++)
            if (dest[i] == UINT32_MAX)
                dest[i] = (uint32_t)dead++;
    *live = nlive;
    pv_code rc = place_edges(e, dest, b->edge_flags, n, err);
    free(dest);
    return rc;
}

static pv_code totals(struct pv_profile *p, pv_err *err)
{
    /* pstats sums in dict order; float addition depends on the order. */
    uint32_t *by_order = pv_vec_alloc(p->nreal, sizeof *by_order);
    if (!by_order)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (!(p->funcs[f].flags & PV_FUNC_PHANTOM))
            by_order[p->funcs[f].order] = f;
    p->total_calls = p->prim_calls = 0;
    p->total_tt = 0;
    bool overflow = false;
    for (uint32_t k = 0; k < p->nreal; k++) {
        const struct pv_func *f = &p->funcs[by_order[k]];
        overflow |= __builtin_add_overflow(p->total_calls, f->nc, &p->total_calls);
        overflow |= __builtin_add_overflow(p->prim_calls, f->cc, &p->prim_calls);
        p->total_tt += f->tt;
    }
    free(by_order);
    if (overflow)
        return pv_err_set(err, PV_E_LIMIT, "the total call count does not fit in 64 bits");
    return PV_OK;
}

/* The second step (pv_profile_finish): number the edges' ends by fid_of,
 * sort them, keep the last of a repeated caller, total, index. */
static pv_code finish(struct builder *b, const uint32_t *fid_of, pv_err *err)
{
    struct pv_profile *p = b->p;
    size_t n = b->nfuncs;
    /* index_of: the builder function of each fid */
    uint32_t *index_of = pv_vec_alloc(n, sizeof *index_of);
    if (!index_of)
        return pv_err_set(err, PV_E_NOMEM, "out of memory for %zu functions", n);
    for (size_t i = 0; i < n; i++)
        index_of[fid_of[i]] = (uint32_t)i;
    size_t live = 0;
    pv_code rc = sort_edges(b, fid_of, index_of, &live, err);
    free(index_of);
    if (rc)
        return rc;
    /* A caller named twice in one callers dict: the last value wins. */
    size_t out = 0;
    for (size_t e = 0; e < live; e++) {
        if (out && b->edges[out - 1].caller == b->edges[e].caller &&
            b->edges[out - 1].callee == b->edges[e].callee)
            out--;
        b->edges[out] = b->edges[e];
        if (b->edge_flags)
            b->edge_flags[out] = b->edge_flags[e];
        out++;
    }
    p->edges = b->edges;
    p->edge_flags = b->edge_flags;
    p->nedges = (uint32_t)out;
    b->edges = NULL;
    b->edge_flags = NULL;
    if (totals(p, err))
        return err->code;
    return pv_profile_index(p, err);
}

/* ---- public ------------------------------------------------------------- */

static pv_code builder_init(struct builder *b, size_t len, pv_err *err)
{
    *b = (struct builder){.p = calloc(1, sizeof *b->p)};
    pv_hashmap_init(&b->strings);
    pv_hashmap_init(&b->funcs_by_key);
    if (!b->p)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    /* Every edge takes at least 10 bytes of input (a key reference and an
     * int), every function 11 (its key written out once: a short tuple,
     * two empty strings and an int).  Reserving for that many means the
     * arrays never move (a copy on each doubling was 30% of an import's
     * page faults); pages that stay untouched cost address space, not
     * memory.  Where the address space is short, they grow instead. */
    if (!pv_vec_reserve((void **)&b->edges, &b->ecap, len / 10 + 64, sizeof *b->edges))
        b->ecap = 0;
    if (!pv_vec_reserve((void **)&b->funcs, &b->fcap, len / 11 + 64, sizeof *b->funcs))
        b->fcap = 0;
    return PV_OK;
}

/* The lookup tables, done with once the dict is read. */
static void drop_lookups(struct builder *b)
{
    pv_hashmap_fini(&b->strings);
    seen_fini(&b->names);
    pv_hashmap_fini(&b->funcs_by_key);
    free(b->tmp);
    b->tmp = NULL;
    b->tmp_cap = 0;
}

/* Everything but the profile, which the caller keeps or destroys. */
static void builder_fini(struct builder *b)
{
    drop_lookups(b);
    free(b->string_at);
    free(b->funcs);
    free(b->edges);
    free(b->edge_flags);
}

static pv_code stopped(pv_err *err)
{
    return pv_err_set(err, PV_E_CANCELLED, "the parse was stopped");
}

static pv_code read_entries(struct builder *b, struct pv_marshal *m, struct pv_arena *scratch,
                            const struct pv_parse_progress *progress, pv_err *err)
{
    if (pv_marshal_dict_enter(m, err))
        return err->code;
    for (;;) {
        pv_value key, val;
        bool done;
        b->entry_at = pv_marshal_offset(m);
        if (pv_marshal_dict_next(m, scratch, &key, &val, &done, err))
            return err->code;
        if (done)
            return PV_OK;
        if (add_entry(b, &key, &val, err))
            return err->code;
        pv_arena_reset(scratch);
        if (progress && !progress->consumed(progress->ctx, pv_marshal_offset(m)))
            return stopped(err);
    }
}

/* A parse between its two steps: the builder, and each builder function's
 * fid (number_funcs), which the edges are numbered by. */
struct pv_profile_build {
    struct builder b;
    uint32_t *fid_of;
};

void pv_profile_build_destroy(struct pv_profile_build *pb)
{
    if (!pb)
        return;
    builder_fini(&pb->b);
    pv_profile_destroy(pb->b.p);
    free(pb->fid_of);
    free(pb);
}

pv_code pv_profile_read(const uint8_t *buf, size_t len, const struct pv_parse_progress *progress,
                        struct pv_profile_build **out, pv_err *err)
{
    if (len == 0)
        return pv_err_set(err, PV_E_FORMAT, "empty file");
    if (buf[0] != '{' && buf[0] != ('{' | 0x80)) {
        const char *kind = pv_marshal_sniff(buf, len);
        if (kind)
            return pv_err_set(err, PV_E_FORMAT, "not a stats file: %s", kind);
    }
    struct pv_profile_build *pb = calloc(1, sizeof *pb);
    if (!pb)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct builder *b = &pb->b;
    if (builder_init(b, len, err))
        goto destroy_build;
    struct pv_marshal *m;
    if (pv_marshal_create(buf, len, &m, err))
        goto destroy_build;
    struct pv_arena scratch;
    pv_arena_init(&scratch, 8 * len + (64u << 20));
    if (read_entries(b, m, &scratch, progress, err))
        goto free_reader;
    if (!b->nfuncs) {
        pv_err_set(err, PV_E_SHAPE, "the stats dict is empty (pstats refuses it too)");
        goto free_reader;
    }
    if (progress && !progress->consumed(progress->ctx, len)) {
        stopped(err);
        goto free_reader;
    }
    b->p->trailing_bytes = len - pv_marshal_offset(m);
    if (b->p->trailing_bytes)
        warn(b->p, "%zu bytes after the stats dict were ignored (as marshal.load does)%s",
             b->p->trailing_bytes,
             b->p->trailing_bytes > 1 && (buf[len - b->p->trailing_bytes] & 0x7f) == '{'
                 ? ": they look like a second profile"
                 : "");
    b->p->marshal_version = pv_marshal_version_guess(m, &b->p->python2);
    /* The reader and the lookup tables are done with: free them before
     * the functions and edges are sorted, so their memory and the sorts'
     * never add up. */
    pv_arena_fini(&scratch);
    pv_marshal_destroy(m);
    drop_lookups(b);
    pb->fid_of = pv_vec_alloc(b->nfuncs, sizeof *pb->fid_of);
    if (!pb->fid_of) {
        pv_err_set(err, PV_E_NOMEM, "out of memory for %zu functions", b->nfuncs);
        goto destroy_build;
    }
    if (number_funcs(b, pb->fid_of, err))
        goto destroy_build;
    *out = pb;
    return PV_OK;

free_reader:
    pv_arena_fini(&scratch);
    pv_marshal_destroy(m);
destroy_build:
    pv_profile_build_destroy(pb);
    return err->code;
}

const struct pv_profile *pv_profile_build_model(const struct pv_profile_build *pb)
{
    return pb->b.p;
}

pv_code pv_profile_finish(struct pv_profile_build *pb, pv_err *err)
{
    return finish(&pb->b, pb->fid_of, err);
}

struct pv_profile *pv_profile_build_take(struct pv_profile_build *pb)
{
    struct pv_profile *p = pb->b.p;
    pb->b.p = NULL;
    pv_profile_build_destroy(pb);
    return p;
}

pv_code pv_profile_parse(const uint8_t *buf, size_t len, struct pv_profile **out, pv_err *err)
{
    return pv_profile_parse_progress(buf, len, NULL, out, err);
}

pv_code pv_profile_parse_progress(const uint8_t *buf, size_t len,
                                  const struct pv_parse_progress *progress,
                                  struct pv_profile **out, pv_err *err)
{
    struct pv_profile_build *pb;
    if (pv_profile_read(buf, len, progress, &pb, err))
        return err->code;
    if (pv_profile_finish(pb, err)) {
        pv_profile_build_destroy(pb);
        return err->code;
    }
    *out = pv_profile_build_take(pb);
    return PV_OK;
}
