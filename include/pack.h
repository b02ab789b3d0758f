/* pack.h - a profile's model as one self-contained blob, for the store.
 *
 * The blob is a header, the strings and functions as they are in memory,
 * and the edges in a compact encoding (varint fids and counts, exact
 * doubles: 22 bytes an edge instead of 40, which halves what an import
 * writes).  Rebuilding a model from it is a copy and a counting sort, not
 * a parse. */
#ifndef PV_PACK_H
#define PV_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"

/* Writing the blob of a profile piece by piece, as the store writes it,
 * so that it is never whole in memory (the encoded edges of a 100k-function
 * profile were 20 MB of fresh pages, and 5% of an import in the kernel
 * zeroing them).  The body (strings, padding, functions, edges) comes
 * first; the header, which counts the encoded edges' bytes, once the body
 * is done.  The blob is the header followed by the body.  The profile must
 * outlive the writer, which holds nothing to free. */
enum { PV_PACK_HEADER_MAX_BYTES = 1792, PV_PACK_PIECE_MIN_BYTES = 4096 };

struct pv_pack_writer {
    const struct pv_profile *p;
    int stage;                        /* what comes next: strings, ..., edges, done */
    size_t at;                        /* in the stage: bytes copied, or edges encoded */
    uint32_t prev_caller, prev_callee; /* the last edge encoded */
    uint64_t edges_len;               /* their bytes so far */
};

/* Start writing p's blob (caller memory).  Cannot fail. */
void pv_pack_writer_init(struct pv_pack_writer *w, const struct pv_profile *p);

/* The body's next bytes into piece[0..cap), cap at least
 * PV_PACK_PIECE_MIN_BYTES: how many (a piece may end a little short of
 * cap, where the next edge might not fit), 0 once the body is done.
 * Cannot fail. */
size_t pv_pack_writer_body(struct pv_pack_writer *w, void *piece, size_t cap);

/* The header, once pv_pack_writer_body() has said 0: its length.  Cannot
 * fail. */
size_t pv_pack_writer_header(const struct pv_pack_writer *w,
                             unsigned char header[PV_PACK_HEADER_MAX_BYTES]);

/* The whole blob of p in one buffer: *blob is malloc'd (caller frees),
 * *len bytes.  Fails only with PV_E_NOMEM, leaving both untouched. */
pv_code pv_pack_dup(const struct pv_profile *p, void **blob, size_t *len, pv_err *err);

/* The profile a blob holds.  Every count, index and string handle is
 * checked, so a damaged blob, or one of another version, is PV_E_DB and
 * never a crash.  On success *out is yours (pv_profile_destroy); on failure
 * it is untouched. */
pv_code pv_pack_read(const void *blob, size_t len, struct pv_profile **out, pv_err *err);

/* The same, reading the blob piece by piece as the store reads its parts,
 * so that it is never whole in memory (for 100k functions, 24 MB fewer
 * fresh pages for the kernel to zero: zeroing was 38% of a load).
 * init with the blob's length (caller memory), feed its bytes in order, as
 * the writer cut them: anywhere but inside an edge.  finish gives the
 * profile, as pv_pack_read() does.  fini frees what the reader holds, after
 * finish or instead of it; an error from feed or finish is final. */
struct pv_pack_reader {
    size_t len;                     /* the blob's */
    size_t at;                      /* fed so far */
    unsigned char header[PV_PACK_HEADER_MAX_BYTES]; /* as it comes */
    struct pv_profile *p;           /* made once the header is whole */
    size_t strings_end, funcs_at, edges_at; /* offsets in the blob */
    uint32_t edge;                  /* the next edge to decode */
    uint64_t caller, callee;        /* the last one's */
};
void pv_pack_reader_init(struct pv_pack_reader *r, size_t len);
pv_code pv_pack_reader_feed(struct pv_pack_reader *r, const void *bytes, size_t n, pv_err *err);
pv_code pv_pack_reader_finish(struct pv_pack_reader *r, struct pv_profile **out, pv_err *err);
void pv_pack_reader_fini(struct pv_pack_reader *r);

#endif
