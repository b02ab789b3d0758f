/* api_diff.h - the api's routes that compare two profiles:
 * GET /api/diff and GET /api/diff/tree (docs/API.md, "Comparing two
 * runs").  api.c dispatches to them; these use its model cache and its
 * status mapping (api_route.h). */
#ifndef PV_API_DIFF_H
#define PV_API_DIFF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "diff.h"

/* Whether path is one of the diff routes. */
bool pv_api_diff_owns(const char *path);

/* Answer a GET or HEAD of a diff route; never fails (errors are JSON). */
void pv_api_diff_handle(struct pv_api *api, const struct pv_request *req, struct pv_response *res);

/* Heavy: either profile large and not in memory yet, or a tree of more
 * nodes than pv_api_is_heavy allows on a light thread. */
bool pv_api_diff_is_heavy(struct pv_api *api, const struct pv_request *req);

/* The document GET /api/diff answers (docs/API.md): both runs' totals and
 * their change, how functions were paired, and rows[offset..] (at most
 * limit of them) of the n rows sel chose.  ids may be NULL (profiles read
 * from files): "id" is then null.  The caller deletes it; `pstatsviz diff
 * --json` prints it too. */
cJSON *pv_api_diff_document(const struct pv_diff *d, const char *id_a, const char *id_b,
                            const struct pv_diff_select *sel, const uint32_t *rows, size_t n,
                            size_t offset, size_t limit);

#endif
