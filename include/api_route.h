/* api_route.h - what api.c lends the api's route files (api_profile.c,
 * api_diff.c, api_memory.c): its models, loaded through this thread's
 * store, its settings and budgets, and the places of streamed answers.  The
 * parameter grammar is api_params.h's, the documents and the one mapping
 * of codes to statuses api_json.h's and pv_api_error()'s.  Not for
 * modules outside the api. */
#ifndef PV_API_ROUTE_H
#define PV_API_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "models.h"
#include "pv.h"

enum {
    /* What one search (q=) may take; a plain word over 300k labels takes
     * about 30 ms. */
    PV_API_SEARCH_BUDGET_MS = 2000,
    /* Steps a tree may take on a thread that others wait on: about 0.1 s.
     * Every default tree (20,000 nodes at most) of the 100k-function
     * synthetic profile takes under 20,000. */
    PV_API_LIGHT_TREE_STEPS = 300000,
};

/* A profile's model from the cache, or loaded from this thread's store;
 * held until pv_api_model_release().  PV_E_NOTFOUND for an unknown id. */
pv_code pv_api_model_get(struct pv_api *api, const char *id, struct pv_model **out, pv_err *err);
void pv_api_model_release(struct pv_api *api, struct pv_model *m);

/* Whether loading id would be heavy work: not in memory, and large. */
bool pv_api_model_is_heavy(struct pv_api *api, const char *id);

/* This thread's store connection (opened on first use; closed when the
 * thread ends). */
pv_code pv_api_store(struct pv_api *api, struct pv_store **out, pv_err *err);

/* Forget the cached answers about profile id (its group in pv_api_cache())
 * and those about every pair (a pair cannot be found by one of its ids):
 * for a route that changes what they show.  Its model goes with them. */
void pv_api_drop_answers(struct pv_api *api, const char *id);

/* The server's budget for a tree's JSON, in bytes. */
uint64_t pv_api_max_tree_bytes(const struct pv_api *api);

/* The server's budget for an export, in bytes. */
uint64_t pv_api_max_export_bytes(const struct pv_api *api);

/* Whether the server answers GET /api/profiles (--list). */
bool pv_api_lists_profiles(const struct pv_api *api);

/* The directories source lines are read from (realpath'd), *n of them;
 * valid until pv_api_destroy(). */
const char *const *pv_api_source_roots(const struct pv_api *api, size_t *n);

/* Whether one more streamed answer may hold a model (at most max_streams
 * at once): true takes a place, which pv_api_streams_leave() gives back
 * when the stream ends; false takes none. */
bool pv_api_streams_enter(struct pv_api *api);
void pv_api_streams_leave(struct pv_api *api);

#endif
