/* api_json.h - the JSON documents the API answers, built with cJSON.
 *
 * A function's fields, names and exact integers are written as
 * profile_json.h writes them, for the import too.  Every function that
 * returns a cJSON document returns NULL on out-of-memory (the caller's
 * pv_api_json_respond() then answers 500). */
#ifndef PV_API_JSON_H
#define PV_API_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "profile.h"
#include "profile_json.h"
#include "source.h"
#include "store.h"
#include "tree.h"

/* Answer status with doc (taken) as its body; 500 when doc is NULL or
 * cannot be printed. */
void pv_api_json_respond(struct pv_response *res, int status, cJSON *doc);

/* What every share "of all" (a row's *_pct, a search's pct) is a share
 * of, in seconds: the larger of pstats' total (the sum of tt) and the
 * virtual root's value (the sum of the entry points' values, as the tree
 * gives it).  The chart divides by the same (docs/API.md, "The root's
 * value and pstats' total"): when the profiler was switched off for a
 * while, the top call's ct exceeds pstats' total, and a share of that
 * total would read over 100%.  Cannot fail. */
double pv_api_json_share_base(const struct pv_profile *p, const struct pv_entry *entries,
                              size_t nentries);

/* {"fid", "file", "line", "name", "label", "kind", "cc", "nc", "tt", "ct",
 *  "tt_percall", "ct_percall", "tt_pct", "ct_pct"}: a row of the table;
 * the shares are of share_base (pv_api_json_share_base), at most 100. */
cJSON *pv_api_json_function(const struct pv_profile *p, uint32_t fid, double share_base);

/* {"function": row, "callers": [edge...], "callees": [edge...]}. */
cJSON *pv_api_json_function_detail(const struct pv_profile *p, uint32_t fid, double share_base);

/* {"total", "offset", "limit", "total_time", "rows": [row...]}: the rows
 * fids[offset .. offset+limit) of n. */
cJSON *pv_api_json_functions_page(const struct pv_profile *p, const uint32_t *fids, size_t n,
                                  long offset, long limit, double share_base);

/* Adds a search's summary to a functions page:
 * "search": {"count", "time", "pct"}, count functions matching, together
 * taking time seconds (search.h), pct its share of share_base (at most
 * 100; null when share_base is 0). */
void pv_api_json_add_search(cJSON *page, size_t count, double seconds, double share_base);

/* {"fid", "path": [fid...], "value"}: the way down to fid (search.h). */
cJSON *pv_api_json_path(uint32_t fid, const uint32_t *path, size_t len, double value);

/* A stored profile's metadata, with "entries" when entries (taken) is not
 * NULL. */
cJSON *pv_api_json_meta(const struct pv_store_meta *m, cJSON *entries);

/* {"total", "offset", "limit", "profiles": list (taken)}: a page of the
 * stored profiles. */
cJSON *pv_api_json_list_page(cJSON *list, int64_t total, const struct pv_store_list_query *q);

/* An upload's answer: {"id", "name", "url", "delete_token" (when created),
 * "functions", "edges", "total_time", "total_calls"}. */
cJSON *pv_api_json_import(const struct pv_store_record *res);

/* {"file", "path", "line", "first_line", "lines": [...]}: path is the
 * file found under a root (lines->path). */
cJSON *pv_api_json_source(const char *file, size_t file_len, int64_t line, int64_t first,
                          const struct pv_source_lines *lines);

#endif
