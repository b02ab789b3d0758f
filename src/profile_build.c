/* profile_build.c - marshal values -> the pstats model (see profile.h).
 *
 * The top-level dict is streamed one entry at a time (pv_marshal_dict_next)
 * into growing arrays, so a 100 MB file never exists as a value tree; the
 * scratch arena holding one entry's values is reset after each entry.
 * finish() then sorts functions into fid order and builds the indexes.
 *
 * Keys are found through the shared hashmap: strings by their text, and
 * by their address in the input (a string met again through a reference
 * is not hashed again), functions by (file, line, name).  A key tuple met
 * again through references keeps its function in its word
 * (pv_marshal_shared_word), which most of a file's caller keys hit. */
#include "profile.h"

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
    uint32_t file, name;
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
        uint32_t handle;
    } *at;
    size_t n, cap;
};

struct builder {
    struct pv_profile *p;
    size_t strings_cap;          /* of p->strings, built here */
    struct pv_hashmap strings;   /* text -> string handle */
    struct seen names;           /* text in the input -> string handle */
    struct bfunc *funcs;
    size_t nfuncs, fcap;
    uint32_t nkeys;              /* distinct stats keys so far: the next dict order */
    struct pv_hashmap funcs_by_key; /* (file, line, name) -> function index */
    struct pv_edge *edges;       /* reserved = insertion index; flags bit 31 = dead */
    size_t nedges, ecap;
    char *tmp;                   /* for re-encoded strings */
    size_t tmp_cap;
    size_t entry_at;             /* offset of the entry being read, for messages */
};

#define EDGE_DEAD (1u << 31) /* flags bit: replaced by a duplicate key */

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

/* Intern bytes[0..n): equal strings get one handle. */
static pv_code intern(struct builder *b, const char *bytes, size_t n, uint32_t *handle,
                      pv_err *err)
{
    struct pv_profile *p = b->p;
    if (!pv_hashmap_reserve(&b->strings, 1))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for strings");
    struct pv_hashmap_probe pr = pv_hashmap_probe(&b->strings, pv_hashmap_hash_bytes(bytes, n));
    uint32_t h;
    while (pv_hashmap_next(&b->strings, &pr, &h)) {
        size_t len;
        const char *have = pv_profile_str(p, h, &len);
        if (len == n && !memcmp(have, bytes, n)) {
            *handle = h;
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
    *handle = (uint32_t)p->strings_len;
    pv_hashmap_insert(&b->strings, &pr, *handle);
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

/* The handle noted for the string at (ptr, len), if any. */
static bool seen_find(const struct seen *t, const char *ptr, uint32_t len, uint32_t *handle)
{
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, address_hash(ptr, len));
    uint32_t i;
    while (pv_hashmap_next(&t->map, &pr, &i))
        if (t->at[i].ptr == ptr && t->at[i].len == len) {
            *handle = t->at[i].handle;
            return true;
        }
    return false;
}

/* Note that the string at (ptr, len), not yet in t, has handle. */
static pv_code seen_add(struct seen *t, const char *ptr, uint32_t len, uint32_t handle,
                        pv_err *err)
{
    if (t->n >= UINT32_MAX - 1 || !pv_hashmap_reserve(&t->map, 1) ||
        !pv_vec_reserve((void **)&t->at, &t->cap, t->n + 1, sizeof *t->at))
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, address_hash(ptr, len));
    uint32_t i;
    while (pv_hashmap_next(&t->map, &pr, &i))
        ;
    t->at[t->n] = (struct seen_at){ptr, len, handle};
    pv_hashmap_insert(&t->map, &pr, (uint32_t)t->n++);
    return PV_OK;
}

static void seen_fini(struct seen *t)
{
    pv_hashmap_fini(&t->map);
    free(t->at);
    *t = (struct seen){.at = NULL};
}

/* The handle of a file or function name.  Strings point into the input (or
 * the reader's kept arena), and one that is referenced again keeps its
 * pointer: remembering pointers means a 1 MiB name referenced 20,000 times
 * is hashed once, not 20,000 times. */
static pv_code name_handle(struct builder *b, const pv_value *v, const char *what,
                           uint32_t *handle, pv_err *err)
{
    if (is_text(v) && seen_find(&b->names, v->u.s, v->len, handle))
        return PV_OK;
    size_t n = 0;
    if (v->type == PV_V_STR)
        return intern(b, v->u.s, v->len, handle, err) ||
               seen_add(&b->names, v->u.s, v->len, *handle, err);
    if (v->type == PV_V_BYTES) {
        if (!bytes_as_text(b, v, &n))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        return intern(b, b->tmp, n, handle, err) ||
               seen_add(&b->names, v->u.s, v->len, *handle, err);
    }
    if (v->type == PV_V_CODE && is_text(&v->u.code->name) && is_text(&v->u.code->filename)) {
        if (!code_as_text(b, v->u.code, &n))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        return intern(b, b->tmp, n, handle, err);
    }
    return pv_err_set(err, PV_E_SHAPE, "offset %zu: %s is %s, expected str", b->entry_at, what,
                      pv_marshal_type_name(v));
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

static uint32_t key_hash(uint32_t file, int64_t line, uint32_t name)
{
    return pv_hashmap_mix(((uint64_t)file << 32 | name) ^ (uint64_t)line * 0x9e3779b97f4a7c15ull);
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
    if (name_handle(b, &k->u.items[0], "a file name", &file, err) ||
        name_handle(b, &k->u.items[2], "a function name", &name, err))
        return err->code;
    if (!pv_hashmap_reserve(&b->funcs_by_key, 1))
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct pv_hashmap_probe pr = pv_hashmap_probe(&b->funcs_by_key,
                                                  key_hash(file, line->u.i, name));
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
static pv_code key_index(struct builder *b, const pv_value *k, const char *what, uint32_t *out,
                         pv_err *err)
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

static void check_numbers(struct builder *b, const pv_value *k, int64_t c1, int64_t c2,
                          double t1, double t2, bool *warned)
{
    if (*warned)
        return;
    char text[160];
    if (!isfinite(t1) || !isfinite(t2)) {
        key_text(text, sizeof text, k);
        warn(b->p, "non-finite time in %s", text);
        *warned = true;
    } else if (c1 < 0 || c2 < 0 || t1 < 0 || t2 < 0) {
        key_text(text, sizeof text, k);
        warn(b->p, "negative number in %s", text);
        *warned = true;
    }
}

/* ---- one entry ---------------------------------------------------------- */

static pv_code add_edge(struct builder *b, const pv_value *fkey, uint32_t callee,
                        const pv_value *ckey, const pv_value *cval, bool *warned, pv_err *err)
{
    uint32_t caller;
    if (key_index(b, ckey, "a caller key", &caller, err))
        return err->code;
    struct pv_edge e = {.caller = caller, .callee = callee};
    if (cval->type == PV_V_TUPLE && cval->len == 4 && is_count(&cval->u.items[0]) &&
        is_count(&cval->u.items[1]) && is_time(&cval->u.items[2]) &&
        is_time(&cval->u.items[3])) {
        e.nc = cval->u.items[0].u.i;
        e.cc = cval->u.items[1].u.i;
        e.tt = as_time(&cval->u.items[2]);
        e.ct = as_time(&cval->u.items[3]);
    } else if (is_count(cval)) {
        e.nc = cval->u.i;
        e.flags = PV_EDGE_COUNT_ONLY;
    } else {
        char text[160];
        key_text(text, sizeof text, ckey);
        return pv_err_set(err, PV_E_SHAPE,
                          "offset %zu: callers value for %s is %s%s, expected (nc, cc, tt, ct) or int",
                          b->entry_at, text, cval->type == PV_V_TUPLE ? "a tuple of " : "a ",
                          cval->type == PV_V_TUPLE ? "other values" : pv_marshal_type_name(cval));
    }
    check_numbers(b, fkey, e.nc, e.cc, e.tt, e.ct, warned);
    if (b->nedges >= UINT32_MAX - 1 ||
        !pv_vec_reserve((void **)&b->edges, &b->ecap, b->nedges + 1, sizeof *b->edges))
        return pv_err_set(err, PV_E_NOMEM, "out of memory for edges");
    e.reserved = (uint32_t)b->nedges;
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
        /* Python's dict keeps the last value at the first key's place. */
        for (uint32_t e = f->edge_lo; e < f->edge_hi; e++)
            b->edges[e].flags |= EDGE_DEAD;
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
    for (uint32_t c = 0; c < callers->len; c++)
        if (add_edge(b, key, fi, &callers->u.items[2 * c], &callers->u.items[2 * c + 1],
                     &warned, err))
            return err->code;
    f = &b->funcs[fi]; /* add_edge may have moved funcs */
    f->edge_lo = lo;
    f->edge_hi = (uint32_t)b->nedges;
    return PV_OK;
}

/* ---- finishing: fid order and indexes ----------------------------------- */

static int cmp_text(const struct pv_profile *p, uint32_t h1, uint32_t h2)
{
    if (h1 == h2)
        return 0;
    size_t n1, n2;
    const char *a = pv_profile_str(p, h1, &n1), *c = pv_profile_str(p, h2, &n2);
    /* UTF-8 byte order is code point order, surrogates included: this is
     * how Python compares str. */
    int r = memcmp(a, c, n1 < n2 ? n1 : n2);
    return r ? r : (n1 > n2) - (n1 < n2);
}

/* qsort_r (glibc, POSIX 2024) passes the profile, for its strings: uploads
 * are parsed on several threads at once, so it cannot live in a static. */
static int cmp_func_keys(const void *x, const void *y, void *profile)
{
    const struct bfunc *a = x, *c = y;
    int r = cmp_text(profile, a->file, c->file);
    if (r)
        return r;
    if (a->line != c->line)
        return a->line < c->line ? -1 : 1;
    return cmp_text(profile, a->name, c->name);
}

/* Sort edges by (caller, callee), ties in insertion order.  Two stable
 * counting sorts of an index array (by callee, then by caller) and one
 * in-place permutation: linear time, and no second 48-byte-per-edge array
 * (qsort's merge buffer was 42 MB for 875k edges).
 *
 * The edges are read in order, except in the permutation, which reads
 * each once at random: it looks AHEAD edges ahead along its cycle and
 * prefetches them, so that their cache misses overlap.  (The sort was 11%
 * of an import, nearly all of it in those misses.) */
enum { AHEAD = 8 };

static pv_code sort_edges(struct pv_edge *e, size_t n, uint32_t nfuncs, pv_err *err)
{
    uint32_t *count = calloc((size_t)nfuncs + 1, sizeof *count);
    uint32_t *by_callee = malloc((n + 1) * sizeof *by_callee);
    uint32_t *caller = malloc((n + 1) * sizeof *caller);
    uint32_t *perm = malloc((n + 1) * sizeof *perm);
    uint8_t *placed = calloc(n / 8 + 1, 1);
    pv_code rc = PV_OK;
    if (!count || !by_callee || !caller || !perm || !placed) {
        rc = pv_err_set(err, PV_E_NOMEM, "out of memory sorting %zu edges", n);
        goto free_orders;
    }
    for (size_t i = 0; i < n; i++)
        count[e[i].callee + 1]++;
    for (uint32_t f = 0; f < nfuncs; f++)
        count[f + 1] += count[f];
    for (size_t i = 0; i < n; i++)
        by_callee[count[e[i].callee]++] = (uint32_t)i;
    memset(count, 0, ((size_t)nfuncs + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        caller[i] = e[i].caller; /* by_callee order reads them at random */
        count[caller[i] + 1]++;
    }
    for (uint32_t f = 0; f < nfuncs; f++)
        count[f + 1] += count[f];
    for (size_t k = 0; k < n; k++) {
        uint32_t i = by_callee[k];
        perm[count[caller[i]]++] = i;
    }
    /* Position j takes the edge now at perm[j]: follow each cycle once. */
    for (size_t i = 0; i < n; i++) {
        if (placed[i / 8] >> (i % 8) & 1)
            continue;
        struct pv_edge first = e[i];
        size_t j = i, ahead = i;
        for (int k = 0; k < AHEAD; k++) {
            ahead = perm[ahead];
            __builtin_prefetch(&e[ahead]);
            __builtin_prefetch((const char *)&e[ahead] + sizeof *e - 1);
        }
        for (;;) {
            placed[j / 8] |= (uint8_t)(1u << (j % 8));
            size_t from = perm[j];
            if (from == i) {
                e[j] = first;
                break;
            }
            e[j] = e[from];
            j = from;
            ahead = perm[ahead]; /* past the cycle's end it goes round again: harmless */
            __builtin_prefetch(&e[ahead]);
            __builtin_prefetch((const char *)&e[ahead] + sizeof *e - 1);
        }
    }
free_orders:
    free(count);
    free(by_callee);
    free(caller);
    free(perm);
    free(placed);
    return rc;
}

static pv_code totals(struct pv_profile *p, pv_err *err)
{
    /* pstats sums in dict order; float addition depends on the order. */
    uint32_t *by_order = malloc(((size_t)p->nreal + 1) * sizeof *by_order);
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

static pv_code finish(struct builder *b, pv_err *err)
{
    struct pv_profile *p = b->p;
    size_t n = b->nfuncs;
    /* Real functions are numbered 0..k-1 in dict order; phantoms have no
     * order.  Sort a copy, remembering where each function went. */
    for (size_t i = 0; i < n; i++)
        b->funcs[i].edge_lo = (uint32_t)i; /* reused: the old index */
    qsort_r(b->funcs, n, sizeof *b->funcs, cmp_func_keys, p);
    uint32_t *fid_of = malloc((n + 1) * sizeof *fid_of);
    p->funcs = malloc((n + 1) * sizeof *p->funcs);
    if (!fid_of || !p->funcs) {
        free(fid_of);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    uint32_t dangling = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bfunc *f = &b->funcs[i];
        fid_of[f->edge_lo] = (uint32_t)i;
        p->funcs[i] = (struct pv_func){
            .file = f->file, .name = f->name, .line = f->line, .cc = f->cc, .nc = f->nc,
            .tt = f->tt, .ct = f->ct, .order = f->order,
            .flags = f->has_stats ? 0 : PV_FUNC_PHANTOM};
        if (f->has_stats)
            p->nreal++;
        else
            dangling++;
    }
    p->nfuncs = (uint32_t)n;
    if (dangling)
        warn(p, "%u caller key%s without a stats entry of %s own (kept as callers only)",
             dangling, dangling == 1 ? "" : "s", dangling == 1 ? "its" : "their");

    size_t live = 0;
    for (size_t e = 0; e < b->nedges; e++) {
        struct pv_edge ed = b->edges[e];
        if (ed.flags & EDGE_DEAD)
            continue;
        ed.caller = fid_of[ed.caller];
        ed.callee = fid_of[ed.callee];
        b->edges[live++] = ed;
    }
    free(fid_of);
    if (sort_edges(b->edges, live, p->nfuncs, err))
        return err->code;
    /* A caller named twice in one callers dict: the last value wins. */
    size_t out = 0;
    for (size_t e = 0; e < live; e++) {
        if (out && b->edges[out - 1].caller == b->edges[e].caller &&
            b->edges[out - 1].callee == b->edges[e].callee)
            out--;
        b->edges[out] = b->edges[e];
        b->edges[out++].reserved = 0;
    }
    p->edges = b->edges;
    p->nedges = (uint32_t)out;
    b->edges = NULL;
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
     * int).  Reserving for that many means the array never moves; pages
     * that stay untouched cost address space, not memory. */
    b->ecap = len / 10 + 64;
    b->edges = malloc(b->ecap * sizeof *b->edges);
    if (!b->edges)
        b->ecap = 0;
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
    free(b->funcs);
    free(b->edges);
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
        if (progress)
            progress->consumed(progress->ctx, pv_marshal_offset(m));
    }
}

pv_code pv_profile_parse(const uint8_t *buf, size_t len, struct pv_profile **out, pv_err *err)
{
    return pv_profile_parse_progress(buf, len, NULL, out, err);
}

pv_code pv_profile_parse_progress(const uint8_t *buf, size_t len,
                                  const struct pv_parse_progress *progress,
                                  struct pv_profile **out, pv_err *err)
{
    if (len == 0)
        return pv_err_set(err, PV_E_FORMAT, "empty file");
    if (buf[0] != '{' && buf[0] != ('{' | 0x80)) {
        const char *kind = pv_marshal_sniff(buf, len);
        if (kind)
            return pv_err_set(err, PV_E_FORMAT, "not a stats file: %s", kind);
    }
    struct builder b;
    if (builder_init(&b, len, err))
        goto free_builder;
    struct pv_marshal *m;
    if (pv_marshal_create(buf, len, &m, err))
        goto free_builder;
    struct pv_arena scratch;
    pv_arena_init(&scratch, 8 * len + (64u << 20));
    if (read_entries(&b, m, &scratch, progress, err))
        goto free_reader;
    if (!b.nfuncs) {
        pv_err_set(err, PV_E_SHAPE, "the stats dict is empty (pstats refuses it too)");
        goto free_reader;
    }
    if (progress)
        progress->consumed(progress->ctx, len);
    b.p->trailing_bytes = len - pv_marshal_offset(m);
    if (b.p->trailing_bytes)
        warn(b.p, "%zu bytes after the stats dict were ignored (as marshal.load does)%s",
             b.p->trailing_bytes,
             b.p->trailing_bytes > 1 && (buf[len - b.p->trailing_bytes] & 0x7f) == '{'
                 ? ": they look like a second profile"
                 : "");
    b.p->marshal_version = pv_marshal_version_guess(m, &b.p->python2);
    /* The reader and the lookup tables are done with: free them before
     * finish() sorts, so their memory and the sort's never add up. */
    pv_arena_fini(&scratch);
    pv_marshal_destroy(m);
    drop_lookups(&b);
    if (finish(&b, err))
        goto free_builder;
    builder_fini(&b);
    *out = b.p;
    return PV_OK;

free_reader:
    pv_arena_fini(&scratch);
    pv_marshal_destroy(m);
free_builder:
    builder_fini(&b);
    pv_profile_destroy(b.p);
    return err->code;
}
