/* api_memory.h - the api's memory data: GET and DELETE /api/memory/<id>,
 * GET /api/memory/<id>/samples, and what the profile, function, table and
 * diff routes show of the memory data attached to a profile (docs/API.md,
 * "Memory data").  api.c dispatches to it, api_profile.c and api_diff.c
 * show what it reads; it uses the store's memory records (store.h) and
 * the api's status mapping. */
#ifndef PV_API_MEMORY_H
#define PV_API_MEMORY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "profile.h"
#include "store.h"

/* Whether path is under /api/memory. */
bool pv_api_memory_owns(const char *path);

/* Answer a memory route; never fails (errors are JSON). */
void pv_api_memory_handle(struct pv_api *api, const struct pv_request *req,
                          struct pv_response *res);

/* The answer to an upload of memory data (201 or 200), as docs/API.md
 * gives it; attach_to may be NULL.  The caller deletes it. */
cJSON *pv_api_memory_import_json(const struct pv_store_memory_import *res, const char *attach_to);

/* [{"id","name","kind","peak_mib"}] of the records attached to profile
 * pid, oldest first, or NULL with err set. */
cJSON *pv_api_memory_list_json(struct pv_store *s, const char *pid, pv_err *err);

/* The line reports attached to a profile, read for matching its
 * functions. */
struct pv_api_memory_lines {
    cJSON **records; /* each a parsed record body */
    char (*ids)[PV_STORE_ID_HEX + 1];
    size_t n;
};

/* Load them (none: n = 0, which costs one query).  Fini on success. */
pv_code pv_api_memory_lines_init(struct pv_api_memory_lines *l, struct pv_store *s,
                                 const char *pid, pv_err *err);
void pv_api_memory_lines_fini(struct pv_api_memory_lines *l);

/* The reported function (an item of a record's "functions", borrowed from
 * l) that p's function fid is: its line lies in [first_line, last_line],
 * and its file shares trailing components with the function's file, as
 * the source lookup finds a recorded path under a root (source.h): at
 * least the file name, and of several such, the one sharing the most (the
 * first in attachment order among equals).  *mem_id says whose.  NULL when
 * none. */
const cJSON *pv_api_memory_lines_match(const struct pv_api_memory_lines *l,
                                       const struct pv_profile *p, uint32_t fid,
                                       const char **mem_id);

/* A reported function's growth (MiB): the sum of its lines' increments but the
 * first measured one, the entry, whose increment is the memory at entry. */
double pv_api_memory_inc_total(const cJSON *func);

/* Each function's total increment (pv_api_memory_inc_total) of its
 * matching reported function, NaN where none matches, indexed by fid; NULL
 * when there are no line reports.  *out is malloc'd. */
pv_code pv_api_memory_incs(const struct pv_api_memory_lines *lines, const struct pv_profile *p,
                           double **out, pv_err *err);

/* sorted[0..n) ordered by inc (from pv_api_memory_incs; may be NULL): the
 * functions with a value first, largest first (smallest with reverse),
 * ties in the order given; then the rest in the order given.  *out is
 * malloc'd. */
pv_code pv_api_memory_order_by_inc(const uint32_t *sorted, size_t n, const double *inc,
                                   bool reverse, uint32_t **out, pv_err *err);

/* The "memory" of a function's detail: {"mem_id","first_line",
 * "last_line","max_inc_line","lines"}. */
cJSON *pv_api_memory_detail_json(const cJSON *func, const char *mem_id);

/* GET /api/diff's "memory" for profiles a and b: NULL in *out when
 * either has no memory data; else both peaks (each run's first mprof
 * recording, else its first line report), their change, and the
 * functions of both runs' line reports paired by name and file suffix.
 * The caller deletes *out. */
pv_code pv_api_memory_diff_json(struct pv_api *api, const char *a, const char *b, cJSON **out,
                                pv_err *err);

/* How many whole trailing components paths a and b share ("./" prefixes
 * aside): 0 when their file names differ; "/app/src/x.py" and
 * "/home/me/src/x.py" share 2. */
size_t pv_api_memory_paths_shared(const char *a, size_t na, const char *b, size_t nb);

#endif
