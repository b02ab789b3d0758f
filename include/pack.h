/* pack.h - a profile's model as one self-contained blob, for the store.
 *
 * The blob is a header, the strings and functions as they are in memory,
 * and the edges in a compact encoding (varint fids and counts, exact
 * doubles: 22 bytes an edge instead of 48, which halves what an import
 * writes).  Rebuilding a model from it is a copy and a counting sort, not
 * a parse. */
#ifndef PV_PACK_H
#define PV_PACK_H

#include <stddef.h>

#include "profile.h"
#include "pv.h"

/* The blob as the pieces it is made of, so the store can write them
 * without one big copy: header, then part[0..4) in order, total bytes in
 * all.  The parts point into the profile (which must outlive them) and
 * into the encoded edges, owned here until pv_pack_parts_fini(). */
struct pv_pack_parts {
    unsigned char header[1792];
    size_t header_len;
    const void *part[4];
    size_t len[4];
    size_t total;
    unsigned char *owned;
};

/* Pack p into parts (caller memory).  Fails only with PV_E_NOMEM, with
 * nothing to fini. */
pv_code pv_pack_parts_init(struct pv_pack_parts *parts, const struct pv_profile *p,
                           pv_err *err);
void pv_pack_parts_fini(struct pv_pack_parts *parts);

/* The whole blob of p in one buffer: *blob is malloc'd (caller frees),
 * *len bytes.  Fails only with PV_E_NOMEM, leaving both untouched. */
pv_code pv_pack_dup(const struct pv_profile *p, void **blob, size_t *len, pv_err *err);

/* The profile a blob holds.  Every count, index and string handle is
 * checked, so a damaged blob, or one of another version, is PV_E_DB and
 * never a crash.  On success *out is yours (pv_profile_destroy); on failure
 * it is untouched. */
pv_code pv_pack_read(const void *blob, size_t len, struct pv_profile **out, pv_err *err);

#endif
