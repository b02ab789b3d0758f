/* pack.c - the model as a blob and back (see pack.h). */
#include "pack.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* ---- pack / unpack ------------------------------------------------------ */

/* Blob layout (little-endian, as this machine): header, strings (padded to
 * 8), funcs as in memory, then edges encoded in order:
 *   varint caller - previous caller
 *   varint callee (first of its caller) or callee - previous callee
 *   byte   flags
 *   zigzag varint nc; unless PV_EDGE_COUNT_ONLY: zigzag varint cc,
 *          then tt and ct as 8-byte doubles
 * The indexes are rebuilt on unpack: a counting sort is cheaper than
 * storing them. */
struct pack_header {
    char magic[8]; /* "PVPROF2\0" */
    uint32_t nfuncs, nreal, nedges, marshal_version;
    uint64_t strings_len, trailing_bytes, edges_len;
    int64_t total_calls, prim_calls;
    double total_tt;
    uint32_t python2, nwarnings;
    char warnings[PV_PROFILE_MAX_WARNINGS][200];
};

static const char MAGIC[8] = "PVPROF2";
static const char PADDING[8];

static size_t put_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The most an edge takes: two 5-byte and two 10-byte varints, the flags
 * byte, two doubles. */
enum { EDGE_MAX_BYTES = 5 + 5 + 1 + 10 + 10 + 16 };

_Static_assert(sizeof(struct pack_header) <= PV_PACK_HEADER_MAX_BYTES, "pack header fits");
_Static_assert((int)EDGE_MAX_BYTES <= (int)PV_PACK_PIECE_MIN_BYTES, "an edge fits in a piece");

/* Encode edges from w->at on into out[0..cap), while an edge surely fits.
 * Returns the bytes used. */
static size_t encode_edges(struct pv_pack_writer *w, unsigned char *out, size_t cap)
{
    const struct pv_profile *p = w->p;
    size_t total = 0;
    uint32_t e = (uint32_t)w->at, prev_caller = w->prev_caller, prev_callee = w->prev_callee;
    for (; e < p->nedges && cap - total >= EDGE_MAX_BYTES; e++) {
        const struct pv_edge *ed = &p->edges[e];
        unsigned char *o = out + total;
        size_t n = 0;
        bool same = e > 0 && ed->caller == prev_caller;
        n += put_varint(o + n, ed->caller - prev_caller);
        n += put_varint(o + n, same ? ed->callee - prev_callee : ed->callee);
        uint8_t flags = p->edge_flags ? p->edge_flags[e] : 0;
        o[n++] = flags;
        n += put_varint(o + n, zigzag(ed->nc));
        if (!(flags & PV_EDGE_COUNT_ONLY)) {
            n += put_varint(o + n, zigzag(ed->cc));
            memcpy(o + n, &ed->tt, 8);
            memcpy(o + n + 8, &ed->ct, 8);
            n += 16;
        }
        total += n;
        prev_caller = ed->caller;
        prev_callee = ed->callee;
    }
    w->at = e;
    w->prev_caller = prev_caller;
    w->prev_callee = prev_callee;
    return total;
}

/* The body's stages, in blob order: each a span of memory copied as it
 * is, but the edges, which are encoded. */
enum { STAGE_STRINGS, STAGE_PADDING, STAGE_FUNCS, STAGE_EDGES, STAGE_DONE };

void pv_pack_writer_init(struct pv_pack_writer *w, const struct pv_profile *p)
{
    *w = (struct pv_pack_writer){.p = p};
}

/* The memory stage copies from, and its length. */
static const void *stage_span(const struct pv_pack_writer *w, size_t *len)
{
    const struct pv_profile *p = w->p;
    switch (w->stage) {
    case STAGE_STRINGS:
        *len = p->strings_len;
        return p->strings;
    case STAGE_PADDING:
        *len = ((p->strings_len + 7) & ~(size_t)7) - p->strings_len;
        return PADDING;
    case STAGE_FUNCS:
        *len = (size_t)p->nfuncs * sizeof *p->funcs;
        return p->funcs;
    }
    *len = 0;
    return NULL;
}

size_t pv_pack_writer_body(struct pv_pack_writer *w, void *piece, size_t cap)
{
    assert(cap >= PV_PACK_PIECE_MIN_BYTES);
    unsigned char *out = piece;
    size_t used = 0;
    while (w->stage < STAGE_EDGES) {
        size_t len;
        const unsigned char *from = stage_span(w, &len);
        size_t n = len - w->at < cap - used ? len - w->at : cap - used;
        if (n)
            memcpy(out + used, from + w->at, n);
        used += n;
        w->at += n;
        if (w->at < len)
            return used; /* the piece is full */
        w->stage++;
        w->at = 0;
    }
    if (w->stage == STAGE_EDGES) {
        size_t n = encode_edges(w, out + used, cap - used);
        used += n;
        w->edges_len += n;
        if (w->at == w->p->nedges)
            w->stage = STAGE_DONE;
    }
    return used;
}

size_t pv_pack_writer_header(const struct pv_pack_writer *w,
                             unsigned char header[PV_PACK_HEADER_MAX_BYTES])
{
    assert(w->stage == STAGE_DONE);
    const struct pv_profile *p = w->p;
    struct pack_header h = {
        .nfuncs = p->nfuncs, .nreal = p->nreal, .nedges = p->nedges,
        .marshal_version = (uint32_t)p->marshal_version, .strings_len = p->strings_len,
        .trailing_bytes = p->trailing_bytes, .edges_len = w->edges_len,
        .total_calls = p->total_calls, .prim_calls = p->prim_calls, .total_tt = p->total_tt,
        .python2 = p->python2, .nwarnings = p->nwarnings};
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    memcpy(h.warnings, p->warnings, sizeof h.warnings);
    memcpy(header, &h, sizeof h);
    return sizeof h;
}

pv_code pv_pack_dup(const struct pv_profile *p, void **blob, size_t *len, pv_err *err)
{
    /* Room for the longest encoding (a test's size, not an import's) */
    size_t cap = PV_PACK_HEADER_MAX_BYTES + p->strings_len + 8 +
                 (size_t)p->nfuncs * sizeof *p->funcs + (size_t)p->nedges * EDGE_MAX_BYTES +
                 PV_PACK_PIECE_MIN_BYTES;
    unsigned char *b = malloc(cap);
    if (!b)
        return pv_err_set(err, PV_E_NOMEM, "out of memory packing a profile");
    struct pv_pack_writer w;
    pv_pack_writer_init(&w, p);
    size_t at = PV_PACK_HEADER_MAX_BYTES, n;
    while ((n = pv_pack_writer_body(&w, b + at, PV_PACK_PIECE_MIN_BYTES)) > 0)
        at += n;
    size_t header_len = pv_pack_writer_header(&w, b);
    memmove(b + header_len, b + PV_PACK_HEADER_MAX_BYTES, at - PV_PACK_HEADER_MAX_BYTES);
    *blob = b;
    *len = at - PV_PACK_HEADER_MAX_BYTES + header_len;
    return PV_OK;
}

static bool handle_ok(const struct pv_profile *p, uint32_t h)
{
    if ((size_t)h + 5 > p->strings_len)
        return false;
    uint32_t n;
    memcpy(&n, p->strings + h, 4);
    return (size_t)h + 4 + n < p->strings_len && p->strings[h + 4 + n] == '\0';
}

/* Real functions are numbered 0..nreal-1 in dict order, each once: the
 * report and profile modules index arrays of nreal by order. */
static bool orders_ok(const struct pv_profile *p)
{
    uint8_t *seen = calloc((size_t)p->nreal / 8 + 1, 1);
    uint32_t real = 0;
    bool ok = seen != NULL;
    for (uint32_t f = 0; f < p->nfuncs && ok; f++) {
        if (p->funcs[f].flags & PV_FUNC_PHANTOM)
            continue;
        uint32_t o = p->funcs[f].order;
        ok = o < p->nreal && !(seen[o / 8] >> (o % 8) & 1);
        if (ok)
            seen[o / 8] |= (uint8_t)(1u << (o % 8));
        real++;
    }
    free(seen);
    return ok && real == p->nreal;
}

static bool get_varint(const unsigned char **s, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && *s < end; shift += 7) {
        unsigned char c = *(*s)++;
        r |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static pv_code damaged(pv_err *err)
{
    return pv_err_set(err, PV_E_DB, "stored profile is damaged");
}

/* Decode the whole edges in s[0..len), from the reader's next one on.
 * PV_E_DB for damage, an edge cut short at len included: the writer never
 * cuts one (pv_pack_writer_body). */
static pv_code decode_edges(struct pv_pack_reader *r, const unsigned char *s, size_t len,
                            pv_err *err)
{
    struct pv_profile *p = r->p;
    const unsigned char *end = s + len;
    uint64_t caller = r->caller, callee = r->callee;
    uint32_t e = r->edge;
    for (; s < end; e++) {
        if (e == p->nedges)
            return damaged(err);
        struct pv_edge *ed = &p->edges[e];
        uint64_t dcaller, c, nc, cc = 0;
        if (!get_varint(&s, end, &dcaller) || !get_varint(&s, end, &c) || s >= end)
            return damaged(err);
        uint64_t prev_caller = caller, prev_callee = callee;
        callee = e > 0 && dcaller == 0 ? callee + c : c;
        caller += dcaller;
        /* sorted by (caller, callee), no repeats (profile.h): a zero or
         * wrapping delta is damage */
        if (e > 0 && (caller < prev_caller || (caller == prev_caller && callee <= prev_callee)))
            return damaged(err);
        *ed = (struct pv_edge){.caller = (uint32_t)caller, .callee = (uint32_t)callee};
        uint8_t flags = *s++ & PV_EDGE_COUNT_ONLY; /* the one flag there is */
        if (caller >= p->nfuncs || callee >= p->nfuncs || !get_varint(&s, end, &nc))
            return damaged(err);
        ed->nc = unzigzag(nc);
        if (flags) {
            /* the first edge with flags makes the array (see profile.h) */
            if (!p->edge_flags && !(p->edge_flags = calloc(p->nedges, 1)))
                return pv_err_set(err, PV_E_NOMEM, "out of memory");
            p->edge_flags[e] = flags;
        } else {
            if (!get_varint(&s, end, &cc) || end - s < 16)
                return damaged(err);
            ed->cc = unzigzag(cc);
            memcpy(&ed->tt, s, 8);
            memcpy(&ed->ct, s + 8, 8);
            s += 16;
        }
    }
    r->caller = caller;
    r->callee = callee;
    r->edge = e;
    return PV_OK;
}

void pv_pack_reader_init(struct pv_pack_reader *r, size_t len)
{
    *r = (struct pv_pack_reader){.len = len};
}

void pv_pack_reader_fini(struct pv_pack_reader *r)
{
    pv_profile_destroy(r->p);
    r->p = NULL;
}

/* The header is whole: check it against the blob's length, and make the
 * profile it describes, its arrays still to fill. */
static pv_code begin_profile(struct pv_pack_reader *r, pv_err *err)
{
    struct pack_header h;
    memcpy(&h, r->header, sizeof h);
    size_t strings = (h.strings_len + 7) & ~(size_t)7;
    size_t nf = (size_t)h.nfuncs * sizeof(struct pv_func);
    if (memcmp(h.magic, MAGIC, sizeof MAGIC) || h.strings_len > r->len || h.edges_len > r->len ||
        sizeof h + strings + nf + h.edges_len != r->len || h.nreal > h.nfuncs ||
        h.nedges > h.edges_len)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged or of another version");
    r->strings_end = sizeof h + h.strings_len;
    r->funcs_at = sizeof h + strings;
    r->edges_at = r->funcs_at + nf;
    struct pv_profile *p = r->p = calloc(1, sizeof *p);
    if (!p)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    p->strings = pv_vec_alloc(h.strings_len + 1, 1);
    p->funcs = pv_vec_alloc(h.nfuncs, sizeof *p->funcs);
    p->edges = pv_vec_alloc(h.nedges, sizeof *p->edges);
    if (!p->strings || !p->funcs || !p->edges)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    p->strings_len = h.strings_len;
    p->nfuncs = h.nfuncs;
    p->nreal = h.nreal;
    p->nedges = h.nedges;
    p->marshal_version = (int)h.marshal_version;
    p->python2 = h.python2;
    p->trailing_bytes = h.trailing_bytes;
    p->total_calls = h.total_calls;
    p->prim_calls = h.prim_calls;
    p->total_tt = h.total_tt;
    p->nwarnings = h.nwarnings;
    memcpy(p->warnings, h.warnings, sizeof p->warnings);
    for (unsigned w = 0; w < PV_PROFILE_MAX_WARNINGS; w++)
        p->warnings[w][sizeof p->warnings[w] - 1] = '\0';
    return PV_OK;
}

/* Copy what of bytes[0..n) falls in the blob's span [from, to) to dest,
 * which holds that span; the bytes start at the blob's offset at. */
static void copy_span(void *dest, size_t from, size_t to, size_t at, const unsigned char *bytes,
                      size_t n)
{
    size_t lo = at > from ? at : from, hi = at + n < to ? at + n : to;
    if (lo < hi)
        memcpy((char *)dest + (lo - from), bytes + (lo - at), hi - lo);
}

pv_code pv_pack_reader_feed(struct pv_pack_reader *r, const void *bytes, size_t n, pv_err *err)
{
    const unsigned char *b = bytes;
    if (n > r->len - r->at)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged (its parts grew)");
    if (r->at < sizeof(struct pack_header)) {
        size_t k = sizeof(struct pack_header) - r->at < n ? sizeof(struct pack_header) - r->at : n;
        memcpy(r->header + r->at, b, k);
        r->at += k;
        b += k;
        n -= k;
        if (r->at < sizeof(struct pack_header))
            return PV_OK;
        if (begin_profile(r, err))
            return err->code;
    }
    copy_span(r->p->strings, sizeof(struct pack_header), r->strings_end, r->at, b, n);
    copy_span(r->p->funcs, r->funcs_at, r->edges_at, r->at, b, n);
    size_t skip = r->at < r->edges_at ? r->edges_at - r->at : 0;
    r->at += n;
    return skip < n ? decode_edges(r, b + skip, n - skip, err) : PV_OK;
}

pv_code pv_pack_reader_finish(struct pv_pack_reader *r, struct pv_profile **out, pv_err *err)
{
    struct pv_profile *p = r->p;
    if (!p)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged (short header)");
    if (r->at != r->len)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged (its parts shrank)");
    if (r->edge != p->nedges)
        return damaged(err);
    bool ok = true;
    for (uint32_t f = 0; f < p->nfuncs && ok; f++)
        ok = handle_ok(p, p->funcs[f].file) && handle_ok(p, p->funcs[f].name);
    if (!ok || !orders_ok(p))
        return damaged(err);
    if (pv_profile_index(p, err))
        return err->code;
    *out = p;
    r->p = NULL;
    return PV_OK;
}

pv_code pv_pack_read(const void *blob, size_t len, struct pv_profile **out, pv_err *err)
{
    struct pv_pack_reader r;
    pv_pack_reader_init(&r, len);
    pv_code rc = pv_pack_reader_feed(&r, blob, len, err);
    if (!rc)
        rc = pv_pack_reader_finish(&r, out, err);
    pv_pack_reader_fini(&r);
    return rc;
}
