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

#endif
