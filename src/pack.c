/* pack.c - the model as a blob and back (see pack.h). */
#include "pack.h"

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

/* Encode edges into out, which has room for EDGE_MAX_BYTES an edge.
 * Returns the bytes used. */
static size_t encode_edges(const struct pv_profile *p, unsigned char *out)
{
    unsigned char tmp[64];
    size_t total = 0;
    uint32_t prev_caller = 0, prev_callee = 0;
    for (uint32_t e = 0; e < p->nedges; e++) {
        const struct pv_edge *ed = &p->edges[e];
        size_t n = 0;
        bool same = e > 0 && ed->caller == prev_caller;
        n += put_varint(tmp + n, ed->caller - prev_caller);
        n += put_varint(tmp + n, same ? ed->callee - prev_callee : ed->callee);
        tmp[n++] = (unsigned char)ed->flags;
        n += put_varint(tmp + n, zigzag(ed->nc));
        if (!(ed->flags & PV_EDGE_COUNT_ONLY)) {
            n += put_varint(tmp + n, zigzag(ed->cc));
            memcpy(tmp + n, &ed->tt, 8);
            memcpy(tmp + n + 8, &ed->ct, 8);
            n += 16;
        }
        memcpy(out + total, tmp, n);
        total += n;
        prev_caller = ed->caller;
        prev_callee = ed->callee;
    }
    return total;
}

pv_code pv_pack_parts_init(struct pv_pack_parts *out, const struct pv_profile *p,
                           pv_err *err)
{
    /* Room for the longest encoding, which untouched pages make cheap,
     * instead of measuring first: that encoded every edge twice (5% of
     * an import). */
    unsigned char *edges = pv_vec_alloc(p->nedges, EDGE_MAX_BYTES);
    if (!edges)
        return pv_err_set(err, PV_E_NOMEM, "out of memory packing a profile");
    size_t edges_len = encode_edges(p, edges);
    struct pack_header h = {
        .nfuncs = p->nfuncs, .nreal = p->nreal, .nedges = p->nedges,
        .marshal_version = (uint32_t)p->marshal_version, .strings_len = p->strings_len,
        .trailing_bytes = p->trailing_bytes, .edges_len = edges_len,
        .total_calls = p->total_calls, .prim_calls = p->prim_calls, .total_tt = p->total_tt,
        .python2 = p->python2, .nwarnings = p->nwarnings};
    _Static_assert(sizeof h <= sizeof out->header, "pack header fits");
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    memcpy(h.warnings, p->warnings, sizeof h.warnings);
    memset(out->header, 0, sizeof out->header);
    memcpy(out->header, &h, sizeof h);
    out->header_len = sizeof h;
    out->part[0] = p->strings;
    out->len[0] = p->strings_len;
    out->part[1] = PADDING;
    out->len[1] = ((p->strings_len + 7) & ~(size_t)7) - p->strings_len;
    out->part[2] = p->funcs;
    out->len[2] = (size_t)p->nfuncs * sizeof *p->funcs;
    out->part[3] = edges;
    out->len[3] = edges_len;
    out->owned = edges;
    out->total = out->header_len;
    for (int k = 0; k < 4; k++)
        out->total += out->len[k];
    return PV_OK;
}

void pv_pack_parts_fini(struct pv_pack_parts *parts)
{
    free(parts->owned);
    parts->owned = NULL;
}

pv_code pv_pack_dup(const struct pv_profile *p, void **blob, size_t *len, pv_err *err)
{
    struct pv_pack_parts parts;
    if (pv_pack_parts_init(&parts, p, err))
        return err->code;
    char *b = malloc(parts.total);
    if (!b) {
        pv_pack_parts_fini(&parts);
        return pv_err_set(err, PV_E_NOMEM, "out of memory packing a profile");
    }
    memcpy(b, parts.header, parts.header_len);
    size_t at = parts.header_len;
    for (int k = 0; k < 4; k++) {
        if (parts.len[k])
            memcpy(b + at, parts.part[k], parts.len[k]);
        at += parts.len[k];
    }
    pv_pack_parts_fini(&parts);
    *blob = b;
    *len = parts.total;
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

static bool decode_edges(struct pv_profile *p, const unsigned char *s, size_t len)
{
    const unsigned char *end = s + len;
    uint64_t caller = 0, callee = 0;
    for (uint32_t e = 0; e < p->nedges; e++) {
        struct pv_edge *ed = &p->edges[e];
        uint64_t dcaller, c, nc, cc = 0;
        if (!get_varint(&s, end, &dcaller) || !get_varint(&s, end, &c) || s >= end)
            return false;
        uint64_t prev_caller = caller, prev_callee = callee;
        callee = e > 0 && dcaller == 0 ? callee + c : c;
        caller += dcaller;
        /* sorted by (caller, callee), no repeats (profile.h): a zero or
         * wrapping delta is damage */
        if (e > 0 && (caller < prev_caller || (caller == prev_caller && callee <= prev_callee)))
            return false;
        *ed = (struct pv_edge){.caller = (uint32_t)caller, .callee = (uint32_t)callee,
                               .flags = *s++};
        if (caller >= p->nfuncs || callee >= p->nfuncs || !get_varint(&s, end, &nc))
            return false;
        ed->nc = unzigzag(nc);
        if (!(ed->flags & PV_EDGE_COUNT_ONLY)) {
            if (!get_varint(&s, end, &cc) || end - s < 16)
                return false;
            ed->cc = unzigzag(cc);
            memcpy(&ed->tt, s, 8);
            memcpy(&ed->ct, s + 8, 8);
            s += 16;
        }
    }
    return s == end;
}

pv_code pv_pack_read(const void *blob, size_t len, struct pv_profile **out, pv_err *err)
{
    struct pack_header h;
    if (len < sizeof h)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged (short header)");
    memcpy(&h, blob, sizeof h);
    size_t strings = (h.strings_len + 7) & ~(size_t)7;
    size_t nf = (size_t)h.nfuncs * sizeof(struct pv_func);
    if (memcmp(h.magic, MAGIC, sizeof MAGIC) || h.strings_len > len || h.edges_len > len ||
        sizeof h + strings + nf + h.edges_len != len || h.nreal > h.nfuncs ||
        h.nedges > h.edges_len)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged or of another version");
    struct pv_profile *p = calloc(1, sizeof *p);
    if (!p)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    const char *b = blob;
    /* vec's arrays: the large ones in huge pages, as the reader makes them
     * (on a 100k-function profile the edges' page faults were most of a
     * load) */
    p->strings = pv_vec_alloc(h.strings_len + 1, 1);
    p->funcs = pv_vec_alloc(h.nfuncs, sizeof *p->funcs);
    p->edges = pv_vec_alloc(h.nedges, sizeof *p->edges);
    if (!p->strings || !p->funcs || !p->edges) {
        pv_profile_destroy(p);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    memcpy(p->strings, b + sizeof h, h.strings_len);
    memcpy(p->funcs, b + sizeof h + strings, nf);
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
    bool ok = decode_edges(p, (const unsigned char *)b + sizeof h + strings + nf, h.edges_len);
    for (uint32_t f = 0; f < p->nfuncs && ok; f++)
        ok = handle_ok(p, p->funcs[f].file) && handle_ok(p, p->funcs[f].name);
    ok = ok && orders_ok(p);
    if (!ok || pv_profile_index(p, err)) {
        pv_profile_destroy(p);
        return ok ? err->code : pv_err_set(err, PV_E_DB, "stored profile is damaged");
    }
    *out = p;
    return PV_OK;
}
