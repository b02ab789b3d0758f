/* api_route.h - what api.c lends the api's other route files (api_diff.c):
 * its model cache, its parameter grammar, its one mapping of codes to
 * statuses, and its JSON of a function.  Not for modules outside the api. */
#ifndef PV_API_ROUTE_H
#define PV_API_ROUTE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "models.h"
#include "profile.h"
#include "pv.h"
#include "tree.h"

enum {
    /* What one search (q=) may take; a plain word over 300k labels takes
     * about 30 ms. */
    PV_API_SEARCH_BUDGET_MS = 2000,
    /* Steps a tree may take on a thread that others wait on: about 0.1 s.
     * Every default tree (20,000 nodes at most) of the 100k-function
     * synthetic profile takes under 20,000. */
    PV_API_LIGHT_TREE_STEPS = 300000,
    PV_API_MAX_PATH_FIDS = 4096, /* room pv_api_tree_query needs for path */
};

/* A query argument, or NULL. */
const char *pv_api_arg(const struct pv_request *req, const char *name);

/* An integer parameter as docs/API.md, "Parameters", reads one. */
bool pv_api_parse_long(const char *s, long lo, long hi, long *out);

/* 32 lowercase hex digits. */
bool pv_api_valid_id(const char *s, size_t n);

/* A profile's model from the cache, or loaded from this thread's store;
 * held until pv_api_model_release().  PV_E_NOTFOUND for an unknown id. */
pv_code pv_api_model_get(struct pv_api *api, const char *id, struct pv_model **out, pv_err *err);
void pv_api_model_release(struct pv_api *api, struct pv_model *m);

/* Whether loading id would be heavy work: not in memory, and large. */
bool pv_api_model_is_heavy(struct pv_api *api, const char *id);

/* The tree parameters of req (depth, cutoff, hide, max_nodes, path or
 * root, read against p) into q, whose path points to path (room for
 * PV_API_MAX_PATH_FIDS); false after answering 400 or 404 in res. */
bool pv_api_tree_query(struct pv_api *api, const struct pv_request *req, struct pv_response *res,
                       const struct pv_profile *p, struct pv_tree_query *q, uint32_t *path);

/* The most nodes req's tree parameters allow (see pv_api_is_heavy). */
double pv_api_tree_nodes_bound(struct pv_api *api, const struct pv_request *req);

/* The server's budget for a tree's JSON, in bytes. */
uint64_t pv_api_max_tree_bytes(const struct pv_api *api);

/* Answer json (taken) with status. */
void pv_api_respond_json(struct pv_response *res, int status, cJSON *json);
/* Answer an error: the one place where codes become statuses. */
void pv_api_respond_failure(struct pv_response *res, const pv_err *err);
/* Answer 413 over_budget with the numbers (needed 0: not known). */
void pv_api_respond_over_budget(struct pv_response *res, const char *message, const char *unit,
                                uint64_t needed, uint64_t budget);

/* A function's fid, file, line, name, label and kind into o, as every
 * route writes them (names cut as views show them). */
void pv_api_json_func(cJSON *o, const struct pv_profile *p, uint32_t fid);
/* An integer written exactly. */
void pv_api_json_int(cJSON *o, const char *key, int64_t v);

#endif
