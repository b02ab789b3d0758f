/* api_params.h - the API's query parameters, parsed strictly.
 *
 * docs/API.md, "Parameters": an integer is ASCII digits only (no sign,
 * space, "0x" or exponent), a number is digits with an optional fraction
 * and exponent, and a parameter given empty is as wrong as any other bad
 * value.  Every parser here says why a value is refused in err: PV_E_USAGE
 * (answered 400) for a malformed value, PV_E_NOTFOUND (404) for a fid that
 * names no function.  Defaults and bounds of trees are tree.h's. */
#ifndef PV_API_PARAMS_H
#define PV_API_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "profile.h"
#include "pv.h"
#include "sort.h"
#include "store.h"
#include "tree.h"

/* A query argument of req, or NULL. */
const char *pv_api_params_arg(const struct pv_request *req, const char *name);

/* s as an integer in lo..hi: false for anything else. */
bool pv_api_params_integer(const char *s, long lo, long hi, long *out);

/* s as a number: [0-9]+ ( "." [0-9]* )? ( [eE] [+-]? [0-9]+ )?, or
 * "." [0-9]+ likewise; false for anything else. */
bool pv_api_params_decimal(const char *s, double *out);

/* A profile id: 32 lowercase hex digits. */
bool pv_api_params_id(const char *s, size_t n);

/* s as the fid of a function of p with stats of its own; PV_E_NOTFOUND
 * when it names none. */
pv_code pv_api_params_fid(const struct pv_profile *p, const char *s, uint32_t *out, pv_err *err);

/* The function table's page: sort=, order=, limit=, offset=, q=. */
struct pv_api_functions_query {
    pv_sort_key key;
    bool reverse;      /* against the key's natural order (large first for numbers) */
    long limit, offset;
    const char *q;     /* the search, or NULL (borrowed from the request) */
    bool mem_inc;      /* sort=mem_inc: key is the cumulative order beneath */
};
pv_code pv_api_params_functions(const struct pv_request *req, struct pv_api_functions_query *out,
                                pv_err *err);

/* The list of stored profiles' page: limit=, offset=, q= (a part of the
 * name; borrowed from the request). */
pv_code pv_api_params_list(const struct pv_request *req, struct pv_store_list_query *out,
                           pv_err *err);

/* Fids in a path= parameter at most. */
enum { PV_API_MAX_PATH_FIDS = 4096 };

/* A tree's query: path= or root=, depth=, cutoff=, hide=, max_nodes=,
 * with tree.h's defaults.  path (PV_API_MAX_PATH_FIDS of them) is the
 * caller's and becomes out->path. */
pv_code pv_api_params_tree(const struct pv_request *req, const struct pv_profile *p,
                           struct pv_tree_query *out, uint32_t *path, pv_err *err);

/* invert=1: the tree of q's root's callers (invtree.h) rather than of its
 * callees; absent, the normal tree.  *out says which.  PV_E_USAGE for any
 * other value, for invert without root= (q from pv_api_params_tree()),
 * and for invert with hide=. */
pv_code pv_api_params_invert(const struct pv_request *req, const struct pv_tree_query *q,
                             bool *out, pv_err *err);

/* The most nodes a tree query can have, judged from its parameters alone
 * (bad ones count as their defaults): max_nodes, or fewer when the cutoff
 * allows fewer.  Cannot fail. */
double pv_api_params_tree_nodes_bound(const struct pv_request *req);

#endif
