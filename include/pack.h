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

/* pv_profile_pack_parts() names those pieces so the store can write them
 * without one big copy; the encoded edges are owned by *out until
 * pv_pack_parts_fini().  pack returns a malloc'd buffer (caller frees).
 * unpack checks every index and handle, so a damaged blob is an error,
 * never a crash. */
struct pv_pack_parts {
    unsigned char header[1792];
    size_t header_len;
    const void *part[4];
    size_t len[4];
    size_t total;
    unsigned char *owned;
};
pv_code pv_profile_pack_parts(const struct pv_profile *p, struct pv_pack_parts *out,
                              pv_err *err);
void pv_pack_parts_fini(struct pv_pack_parts *parts);
pv_code pv_profile_pack(const struct pv_profile *p, void **blob, size_t *len, pv_err *err);
pv_code pv_profile_unpack(const void *blob, size_t len, struct pv_profile **out, pv_err *err);

#endif
