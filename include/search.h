/* search.h - a search over the whole profile, not only a drawn tree: how
 * much time a set of functions takes together, and the way down to one
 * of them.
 *
 * Which functions match is the caller's (the api module runs the regular
 * expression over the labels); this module only reads the profile's
 * stats and edges, so any number of threads may use it on one profile.
 * docs/API.md ("Searching the whole profile") is the contract. */
#ifndef PV_SEARCH_H
#define PV_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"
#include "tree.h"

/* The time of the functions fids[0..n) (distinct, below p->nfuncs)
 * together, in seconds: the sum of their ct, less the time each spends
 * nested under another of them, so that a match called by a match counts
 * once.  The nested time flows down the call edges, each function's time
 * split among its callers in proportion to the edges' ct, as the tree
 * splits it (tree.h): exact along chains of single callers.  Edges that
 * close a cycle (recursion), as a depth-first walk down from the matches
 * in fid order finds them, carry no nested time: a recursive function's
 * ct already counts its outermost calls only.  Non-finite and negative times count
 * as 0.  *seconds is untouched on failure (PV_E_NOMEM). */
pv_code pv_search_time(const struct pv_profile *p, const uint32_t *fids, size_t n,
                       double *seconds, pv_err *err);

/* The heaviest way from an entry point down to fid: the path (entry
 * point first, fid last, no function twice) whose node for fid gets the
 * most time when each step keeps the callee's share of its caller,
 * edge ct / caller's ct (at most 1), as the tree's values do
 * (docs/API.md, "How the tree is built", step 2).  Ties go to the path
 * found first.  On success path[0..*len) holds it, *len <= max, and
 * *value the time of fid's node along it (may be NULL).  PV_E_NOTFOUND
 * when no entry point reaches fid, PV_E_LIMIT when the path has more than
 * max functions, PV_E_NOMEM; outputs untouched on failure. */
pv_code pv_search_path(const struct pv_profile *p, const struct pv_entry *entries,
                       size_t nentries, uint32_t fid, uint32_t *path, size_t max, size_t *len,
                       double *value, pv_err *err);

#endif
