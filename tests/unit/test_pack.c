/* Unit tests of the pack format (pack.h): a model packed and read back is
 * the same model, field for field (strings, functions, edges, totals,
 * warnings and the rebuilt indexes), whether packed whole or in the pieces
 * the store writes, of any size, and read whole or part by part as the
 * store reads them; and a damaged blob, cut short, grown, of another
 * version or with any one bit flipped, is refused with PV_E_DB or read
 * into a model that keeps profile.h's promises, never a crash.  (The
 * damaged function orders and edge orders that fuzz_profile found are
 * test_profile.c's.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pack.h"
#include "marshal_writer.h"
#include "profile.h"

/* A model with what the format must carry: a dangling caller (a phantom
 * function), a bare-count edge, recursion, a NaN time, a negative count
 * (a warning), a name with UTF-8, and trailing bytes. */
static struct pv_profile *rich_profile(void)
{
    static const struct fn funcs[] = {
        {"main.py", 1, "<module>", 1, 1, 0.25, 3.0, false},
        {"lib/caf\xc3\xa9.py", 12, "work", 3, 5, NAN, 2.5, false},
        {"~", 0, "<built-in method builtins.len>", 9, 9, 0.125, 0.125, false},
        {"lib/util.py", 40, "helper", -2, 2, 0.5, 0.5, false},
        {"gone.py", 3, "dangling", 0, 0, 0, 0, true},
    };
    static const struct call calls[] = {
        {0, 1, 3, 3, 1.0, 2.5, false},     /* work <- main */
        {1, 1, 2, 0, 0.5, 0.5, false},     /* work <- work: recursion */
        {4, 1, 1, 0, 0, 0, true},          /* work <- the dangling caller, a bare count */
        {1, 2, 9, 9, 0.125, 0.125, false}, /* len <- work */
        {0, 3, 2, -2, 0.5, 0.5, false},    /* helper <- main */
        {-1, 0, 0, 0, 0, 0, false},
    };
    struct w w = {.n = 0};
    profile_of_tables(&w, funcs, 5, calls);
    memcpy(w.b + w.n, "junk", 4); /* trailing bytes */
    w.n += 4;
    struct pv_profile *p = NULL;
    pv_err err;
    if (pv_profile_parse(w.b, w.n, &p, &err))
        printf("cannot parse the rich profile: %s\n", err.msg);
    return p;
}

static bool same_edge_flags(const struct pv_profile *a, const struct pv_profile *b)
{
    if (!a->edge_flags || !b->edge_flags)
        return !a->edge_flags && !b->edge_flags;
    return !memcmp(a->edge_flags, b->edge_flags, a->nedges);
}

static bool same_model(const struct pv_profile *a, const struct pv_profile *b)
{
    size_t nf = (size_t)a->nfuncs + 1;
    return a->nfuncs == b->nfuncs && a->nreal == b->nreal && a->nedges == b->nedges &&
           a->strings_len == b->strings_len &&
           !memcmp(a->strings, b->strings, a->strings_len) &&
           !memcmp(a->funcs, b->funcs, a->nfuncs * sizeof *a->funcs) &&
           !memcmp(a->edges, b->edges, a->nedges * sizeof *a->edges) && same_edge_flags(a, b) &&
           !memcmp(a->callees_at, b->callees_at, nf * sizeof *a->callees_at) &&
           !memcmp(a->callers_at, b->callers_at, nf * sizeof *a->callers_at) &&
           !memcmp(a->by_callee, b->by_callee, a->nedges * sizeof *a->by_callee) &&
           a->total_calls == b->total_calls && a->prim_calls == b->prim_calls &&
           !memcmp(&a->total_tt, &b->total_tt, sizeof a->total_tt) && /* NaN too */
           a->marshal_version == b->marshal_version && a->python2 == b->python2 &&
           a->trailing_bytes == b->trailing_bytes && a->nwarnings == b->nwarnings &&
           !memcmp(a->warnings, b->warnings, sizeof a->warnings);
}

/* What profile.h promises of any model, checked on one read from damage. */
static bool keeps_its_promises(const struct pv_profile *p)
{
    uint32_t real = 0;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        size_t n;
        const char *file = pv_profile_str(p, p->funcs[f].file, &n);
        if (!file || file[n] != '\0' || !pv_profile_str(p, p->funcs[f].name, NULL))
            return false;
        if (!(p->funcs[f].flags & PV_FUNC_PHANTOM) && p->funcs[f].order >= p->nreal)
            return false;
        real += !(p->funcs[f].flags & PV_FUNC_PHANTOM);
        if (p->callees_at[f] > p->callees_at[f + 1] || p->callers_at[f] > p->callers_at[f + 1])
            return false;
    }
    if (real != p->nreal || p->callees_at[p->nfuncs] != p->nedges ||
        p->callers_at[p->nfuncs] != p->nedges)
        return false;
    for (uint32_t e = 0; e < p->nedges; e++) {
        const struct pv_edge *ed = &p->edges[e];
        if (ed->caller >= p->nfuncs || ed->callee >= p->nfuncs || p->by_callee[e] >= p->nedges)
            return false;
        if (e && (ed->caller < ed[-1].caller ||
                  (ed->caller == ed[-1].caller && ed->callee <= ed[-1].callee)))
            return false;
    }
    return true;
}

static void models_read_back_as_packed(void)
{
    struct pv_profile *p = rich_profile();
    if (!p) {
        CHECK(false, "rich_profile_parses", "no profile");
        return;
    }
    CHECK(p->nfuncs == 5 && p->nreal == 4 && p->nedges == 5 && p->nwarnings >= 2 &&
              isnan(p->funcs[0].tt) + isnan(p->funcs[1].tt) + isnan(p->funcs[2].tt) +
                      isnan(p->funcs[3].tt) + isnan(p->funcs[4].tt) ==
                  1,
          "rich_profile_has_all_it_should", "%u funcs, %u real, %u edges, %u warnings",
          p->nfuncs, p->nreal, p->nedges, p->nwarnings);
    void *blob = NULL;
    size_t len = 0;
    pv_err err = {0};
    struct pv_profile *q = NULL;
    pv_code rc = pv_pack_dup(p, &blob, &len, &err);
    CHECK(rc == PV_OK && pv_pack_read(blob, len, &q, &err) == PV_OK && same_model(p, q),
          "round_trip_keeps_every_field", "rc %d: %s", rc, err.msg);
    pv_profile_destroy(q);

    free(blob);
    pv_profile_destroy(p);
}

/* A model of WIDE_FUNCS functions, each calling the next eight, every
 * third with a bare count: its edges take several small pieces. */
enum { WIDE_FUNCS = 300, WIDE_CALLS = 8 };

static void wide_profile(struct pv_profile *p)
{
    static char strings[] = "\7\0\0\0wide.py\0\1\0\0\0f";
    static struct pv_func funcs[WIDE_FUNCS];
    static struct pv_edge edges[WIDE_FUNCS * WIDE_CALLS];
    static uint8_t edge_flags[WIDE_FUNCS * WIDE_CALLS];
    uint32_t ne = 0;
    for (uint32_t i = 0; i < WIDE_FUNCS; i++) {
        funcs[i] = (struct pv_func){.file = 0, .name = 12, .line = i + 1, .cc = 1, .nc = 1,
                                    .tt = 0.5, .ct = 1.0, .order = i};
        for (uint32_t j = 1; j <= WIDE_CALLS && i + j < WIDE_FUNCS; j++) {
            edge_flags[ne] = j % 3 ? 0 : PV_EDGE_COUNT_ONLY;
            edges[ne++] = j % 3 ? (struct pv_edge){.caller = i, .callee = i + j, .cc = j,
                                                   .nc = 1000 * j, .tt = 0.125 * j,
                                                   .ct = 0.25 * j}
                                : (struct pv_edge){.caller = i, .callee = i + j, .nc = 1000 * j};
        }
    }
    *p = (struct pv_profile){.strings = strings, .strings_len = sizeof strings, .funcs = funcs,
                             .nfuncs = WIDE_FUNCS, .nreal = WIDE_FUNCS, .edges = edges,
                             .edge_flags = edge_flags, .nedges = ne, .marshal_version = 4};
}

/* The pieces the store writes, the header then the body, are the blob,
 * whatever the pieces' size; none is longer than asked, and each but the
 * last is short by less than an edge's longest encoding (47 bytes). */
static void pieces_of_any_size_make_the_blob(void)
{
    struct pv_profile p;
    wide_profile(&p);
    void *blob = NULL;
    size_t len = 0;
    pv_err err = {0};
    struct pv_profile *q = NULL;
    pv_code rc = pv_pack_dup(&p, &blob, &len, &err);
    CHECK(rc == PV_OK && pv_pack_read(blob, len, &q, &err) == PV_OK && q->nedges == p.nedges &&
              !memcmp(q->edges, p.edges, p.nedges * sizeof *p.edges) && q->edge_flags &&
              !memcmp(q->edge_flags, p.edge_flags, p.nedges),
          "wide_model_reads_back", "rc %d: %s", rc, err.msg);
    pv_profile_destroy(q);
    static const size_t caps[] = {PV_PACK_PIECE_MIN_BYTES, PV_PACK_PIECE_MIN_BYTES + 37, 1 << 20};
    for (size_t c = 0; rc == PV_OK && c < sizeof caps / sizeof caps[0]; c++) {
        size_t cap = caps[c];
        unsigned char *joined = malloc(len + cap), *piece = malloc(cap);
        struct pv_pack_writer w;
        pv_pack_writer_init(&w, &p);
        size_t at = 0, n, pieces = 0, last = 0;
        bool sizes_ok = joined && piece;
        while (sizes_ok && (n = pv_pack_writer_body(&w, piece, cap)) > 0) {
            sizes_ok = n <= cap && at + n <= len && (!pieces || last + 47 > cap);
            if (sizes_ok)
                memcpy(joined + at, piece, n);
            at += n;
            last = n;
            pieces++;
        }
        size_t header_len = sizes_ok ? pv_pack_writer_header(&w, piece) : 0;
        bool same = sizes_ok && header_len + at == len && !memcmp(piece, blob, header_len) &&
                    !memcmp(joined, (char *)blob + header_len, at);
        char name[80];
        snprintf(name, sizeof name, "pieces_of_%zu_bytes_make_the_blob", cap);
        CHECK(same && (cap > len || pieces > 2), name, "%zu pieces, %zu + %zu bytes, blob %zu",
              pieces, header_len, at, len);
        free(joined);
        free(piece);
    }
    free(blob);
}

/* Read part by part (pv_pack_reader), as the store reads a model: the
 * header, then the writer's pieces of any size, give the model of the
 * whole blob; so does the blob split in two anywhere before its edges, or
 * between two edges.  Split inside an edge (the writer never does), or fed
 * a byte too many or too few, it is refused, never misread. */
static void parts_read_back_as_the_whole_blob(void)
{
    struct pv_profile p;
    wide_profile(&p);
    void *blob = NULL;
    size_t len = 0;
    pv_err err = {0};
    struct pv_profile *whole = NULL;
    if (pv_pack_dup(&p, &blob, &len, &err) || pv_pack_read(blob, len, &whole, &err)) {
        CHECK(false, "wide_model_packs", "%s", err.msg);
        free(blob);
        return;
    }
    static const size_t caps[] = {PV_PACK_PIECE_MIN_BYTES, PV_PACK_PIECE_MIN_BYTES + 37, 1 << 20};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        unsigned char *body = malloc(len), *header = malloc(PV_PACK_HEADER_MAX_BYTES);
        size_t at = 0, n, cut[64], pieces = 0;
        struct pv_pack_writer w;
        pv_pack_writer_init(&w, &p);
        while (body && (n = pv_pack_writer_body(&w, body + at, caps[c])) > 0 && pieces < 64) {
            at += n;
            cut[pieces++] = at;
        }
        size_t header_len = header ? pv_pack_writer_header(&w, header) : 0;
        struct pv_pack_reader r;
        pv_pack_reader_init(&r, header_len + at);
        pv_code rc = pv_pack_reader_feed(&r, header, header_len, &err);
        for (size_t k = 0, from = 0; !rc && k < pieces; from = cut[k++])
            rc = pv_pack_reader_feed(&r, body + from, cut[k] - from, &err);
        struct pv_profile *q = NULL;
        if (!rc)
            rc = pv_pack_reader_finish(&r, &q, &err);
        pv_pack_reader_fini(&r);
        char name[80];
        snprintf(name, sizeof name, "pieces_of_%zu_bytes_read_back", caps[c]);
        CHECK(rc == PV_OK && same_model(whole, q), name, "%zu pieces: rc %d: %s", pieces, rc,
              err.msg);
        pv_profile_destroy(q);
        free(body);
        free(header);
    }

    /* The blob in two parts, split at every byte: where the reader says
     * the edges start, and the first edge's length (its caller, callee,
     * flags, count, cc and times: 1+1+1+2+1+16 bytes). */
    struct pv_pack_reader r;
    pv_pack_reader_init(&r, len);
    pv_pack_reader_feed(&r, blob, PV_PACK_HEADER_MAX_BYTES, &err);
    size_t edges_at = r.edges_at, first_edge = 22;
    pv_pack_reader_fini(&r);
    size_t same = 0, refused = 0, other = 0;
    for (size_t k = 0; k <= len; k++) {
        pv_pack_reader_init(&r, len);
        pv_code rc = pv_pack_reader_feed(&r, blob, k, &err);
        if (!rc)
            rc = pv_pack_reader_feed(&r, (char *)blob + k, len - k, &err);
        struct pv_profile *q = NULL;
        if (!rc)
            rc = pv_pack_reader_finish(&r, &q, &err);
        pv_pack_reader_fini(&r);
        bool inside_first_edge = k > edges_at && k < edges_at + first_edge;
        if (rc == PV_OK && same_model(whole, q) && !inside_first_edge)
            same++;
        else if (rc == PV_E_DB && !q && inside_first_edge)
            refused++;
        else
            other++;
        pv_profile_destroy(q);
    }
    CHECK(edges_at > 0 && refused == first_edge - 1 && other <= len - edges_at - first_edge &&
              same >= edges_at + 2,
          "a_blob_split_anywhere_but_in_an_edge_reads_back",
          "edges at %zu of %zu: %zu the same, %zu refused inside the first edge, %zu else",
          edges_at, len, same, refused, other);

    pv_pack_reader_init(&r, len);
    pv_code grew = pv_pack_reader_feed(&r, blob, len, &err);
    grew = grew ? grew : pv_pack_reader_feed(&r, blob, 1, &err);
    pv_pack_reader_fini(&r);
    CHECK(grew == PV_E_DB && strstr(err.msg, "grew"), "a_part_too_many_is_refused", "rc %d: %s",
          grew, err.msg);
    pv_pack_reader_init(&r, len);
    struct pv_profile *q = NULL;
    pv_code shrank = pv_pack_reader_feed(&r, blob, PV_PACK_HEADER_MAX_BYTES, &err);
    shrank = shrank ? shrank : pv_pack_reader_finish(&r, &q, &err);
    pv_pack_reader_fini(&r);
    CHECK(shrank == PV_E_DB && !q && strstr(err.msg, "shrank"), "a_part_too_few_is_refused",
          "rc %d: %s", shrank, err.msg);
    pv_profile_destroy(whole);
    free(blob);
}

static void damaged_blobs_are_refused_or_whole(void)
{
    struct pv_profile *p = rich_profile();
    void *blob = NULL;
    size_t len = 0;
    pv_err err = {0};
    if (!p || pv_pack_dup(p, &blob, &len, &err)) {
        CHECK(false, "rich_profile_packs", "%s", err.msg);
        pv_profile_destroy(p);
        return;
    }
    unsigned char *b = blob;

    /* every shorter length: a blob cut anywhere */
    size_t cut_ok = 0;
    for (size_t n = 0; n < len; n++) {
        struct pv_profile *q = NULL;
        cut_ok += pv_pack_read(b, n, &q, &err) == PV_E_DB && !q;
        pv_profile_destroy(q);
    }
    CHECK(cut_ok == len, "every_cut_blob_is_refused", "%zu of %zu refused", cut_ok, len);

    unsigned char *longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    struct pv_profile *q = NULL;
    pv_code rc = pv_pack_read(longer, len + 1, &q, &err);
    CHECK(rc == PV_E_DB && !q, "a_byte_too_many_is_refused", "rc %d", rc);
    free(longer);

    b[0] ^= 1; /* the magic: another version */
    rc = pv_pack_read(b, len, &q, &err);
    CHECK(rc == PV_E_DB && !q && strstr(err.msg, "another version"),
          "another_magic_is_another_version", "rc %d: %s", rc, err.msg);
    b[0] ^= 1;

    /* every single bit: refused, or a model that keeps its promises (a
     * flipped time or warning is a different model, not a broken one) */
    size_t refused = 0, whole = 0, broken = 0;
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            q = NULL;
            rc = pv_pack_read(b, len, &q, &err);
            if (rc == PV_E_DB && !q)
                refused++;
            else if (rc == PV_OK && keeps_its_promises(q))
                whole++;
            else
                broken++;
            pv_profile_destroy(q);
            b[i] ^= (unsigned char)(1u << bit);
        }
    CHECK(broken == 0 && refused > 0 && whole > 0, "every_bit_flip_is_refused_or_whole",
          "%zu refused, %zu whole, %zu neither", refused, whole, broken);
    q = NULL;
    CHECK(pv_pack_read(b, len, &q, &err) == PV_OK && same_model(p, q),
          "the_undamaged_blob_still_reads", "%s", err.msg);
    pv_profile_destroy(q);
    free(blob);
    pv_profile_destroy(p);
}

int main(void)
{
    models_read_back_as_packed();
    pieces_of_any_size_make_the_blob();
    parts_read_back_as_the_whole_blob();
    damaged_blobs_are_refused_or_whole();
    return check_done();
}
