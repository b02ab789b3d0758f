/* api.c - the routes of docs/API.md and their dispatch (see api.h).
 *
 * A request finds its profile in the shared cache (loading its model from
 * this thread's SQLite connection on a miss), has its parameters parsed by
 * api_params.c, asks report/tree/export for the numbers, and is answered
 * with a document of api_json.c.  Every failure is a pv_err answered by
 * pv_api_error(), the one place where codes become statuses. */
#include "api.h"

#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_diff.h"
#include "api_json.h"
#include "api_memory.h"
#include "api_params.h"
#include "api_route.h"
#include "cache.h"
#include "export.h"
#include "import.h"
#include "invtree.h"
#include "jsonw.h"
#include "models.h"
#include "pattern.h"
#include "search.h"
#include "source.h"
#include "store.h"
#include "treejson.h"

/* ---- state ---------------------------------------------------------------- */

struct pv_api {
    struct pv_api_config cfg;
    pthread_key_t store_key;    /* this thread's SQLite connection */
    struct pv_cache *cache;     /* models, and http's answers */
    struct pv_store_gate *gate; /* one writer at a time among them */
    atomic_uint streams;        /* answers being streamed: each holds a model */
};

enum { DEFAULT_MAX_STREAMS = 32 };

/* Blocks from this size up are mapped on their own and given back to the
 * system when freed.  glibc's default threshold rises to the largest block
 * freed so far: after the first evicted model, models' arrays came from
 * the heap, whose freed holes the system never got back.  With 24 models
 * of 20k functions under --cache 64M (bench/cache), RSS peaked at 222 MB
 * and stayed there; with these thresholds, 120 MB, and 99 MB after.  A
 * lower mmap threshold (256 KiB: 94 MB) mapped and unmapped every large
 * buffer of a tree's build (/healthz waited 0.7 s behind 20 heavy trees);
 * fixing it also fixes the trim threshold at 128 KiB, unless set, and
 * then every large calloc of a build faulted its pages in again (a tree
 * of the 100k-function profile took 79 ms instead of 25). */
enum { MMAP_THRESHOLD_BYTES = 4 << 20, TRIM_THRESHOLD_BYTES = 64 << 20 };

static void close_store(void *s)
{
    pv_store_close(s);
}

/* This thread's connection: SQLite connections are not shared. */
static pv_code thread_store(struct pv_api *api, struct pv_store **out, pv_err *err)
{
    struct pv_store *s = pthread_getspecific(api->store_key);
    if (!s) {
        if (pv_store_open(api->cfg.db_path, &s, err))
            return err->code;
        pv_store_set_gate(s, api->gate);
        pthread_setspecific(api->store_key, s);
    }
    *out = s;
    return PV_OK;
}

/* A profile's model, from the cache or loaded from this thread's store;
 * held until pv_models_release(). */
static pv_code model_get(struct pv_api *api, const char *id, struct pv_model **out, pv_err *err)
{
    if ((*out = pv_models_get(api->cache, id)))
        return PV_OK;
    /* Load outside any lock: other requests go on meanwhile. */
    struct pv_store *s = NULL;
    struct pv_profile *p;
    if (thread_store(api, &s, err) || pv_store_load(s, id, &p, err))
        return err->code;
    return pv_models_add_take(api->cache, id, p, out, err);
}

void pv_api_models_take(struct pv_api *api, const char *id, struct pv_profile *p)
{
    struct pv_model *m;
    pv_err ignored;
    if (pv_models_add_take(api->cache, id, p, &m, &ignored) == PV_OK)
        pv_models_release(api->cache, m);
}

pv_code pv_api_create(const struct pv_api_config *cfg, struct pv_api **out, pv_err *err)
{
    struct pv_api *api = calloc(1, sizeof *api);
    if (!api)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    api->cfg = *cfg;
    if (!api->cfg.max_export_bytes)
        api->cfg.max_export_bytes = PV_EXPORT_DEFAULT_MAX_BYTES;
    if (!api->cfg.max_tree_bytes)
        api->cfg.max_tree_bytes = PV_TREEJSON_DEFAULT_MAX_BYTES;
    if (!api->cfg.max_streams)
        api->cfg.max_streams = DEFAULT_MAX_STREAMS;
    atomic_init(&api->streams, 0);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
    if (pthread_key_create(&api->store_key, close_store)) {
        free(api);
        return pv_err_set(err, PV_E_NOMEM, "cannot create a thread key");
    }
    struct pv_store_gate_limits lim = {
        .max_parsing = cfg->max_parsing ? cfg->max_parsing : PV_API_MAX_PARSING_DEFAULT,
        .max_queued_writes =
            cfg->max_queued_writes ? cfg->max_queued_writes : PV_API_MAX_QUEUED_WRITES_DEFAULT};
    /* Open the store once here: a bad --db fails at start, not on the
     * first request. */
    struct pv_store *s = NULL;
    if (pv_store_gate_create(&lim, &api->gate, err) ||
        pv_cache_create(cfg->cache_bytes, &api->cache, err) || thread_store(api, &s, err)) {
        pv_api_destroy(api);
        return err->code;
    }
    *out = api;
    return PV_OK;
}

void pv_api_destroy(struct pv_api *api)
{
    if (!api)
        return;
    pv_cache_destroy(api->cache);
    pv_api_thread_done(api);
    pthread_key_delete(api->store_key);
    pv_store_gate_destroy(api->gate);
    free(api);
}

void pv_api_thread_done(struct pv_api *api)
{
    pv_store_close(pthread_getspecific(api->store_key));
    pthread_setspecific(api->store_key, NULL);
}

struct pv_cache *pv_api_cache(struct pv_api *api)
{
    return api->cache;
}

void pv_api_busy(struct pv_response *res, const char *why, unsigned retry_after_s)
{
    pv_err err;
    pv_err_set(&err, PV_E_BUSY, "%s", why);
    pv_api_error(res, &err, NULL);
    res->retry_after_s = retry_after_s;
}

/* ---- the URL grammar ----------------------------------------------------- */

/* Where a path leads: /healthz, /api/profiles, /api/profiles/<id><rest>,
 * or nowhere we know. */
enum place { PLACE_NONE, PLACE_HEALTH, PLACE_PROFILES, PLACE_PROFILE, PLACE_BAD_ID };

struct target {
    enum place place;
    char id[PV_STORE_ID_HEX + 1];
    const char *rest; /* after the id: "", "/tree", ... */
};

static enum place parse_path(const char *path, struct target *t)
{
    *t = (struct target){.place = PLACE_NONE, .rest = ""};
    if (!strcmp(path, "/healthz"))
        return t->place = PLACE_HEALTH;
    if (!strcmp(path, "/api/profiles") || !strcmp(path, "/api/profiles/"))
        return t->place = PLACE_PROFILES;
    if (strncmp(path, "/api/profiles/", 14))
        return PLACE_NONE;
    const char *id = path + 14;
    size_t n = strcspn(id, "/");
    if (!pv_api_params_id(id, n))
        return t->place = PLACE_BAD_ID;
    memcpy(t->id, id, n);
    t->id[n] = '\0';
    t->rest = id + n;
    return t->place = PLACE_PROFILE;
}

static bool is_read(const char *method)
{
    return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

void pv_api_classify(const char *method, const char *path, struct pv_api_route *out)
{
    struct target t;
    parse_path(path, &t);
    *out = (struct pv_api_route){
        .ours = !strncmp(path, "/api/", 5) || !strcmp(path, "/api") || t.place != PLACE_NONE,
        .upload = t.place == PLACE_PROFILES && !strcmp(method, "POST"),
        /* Everything under a profile is fixed by its bytes (the id is
         * their hash) and the query, but for source lines: files change. */
        .immutable = t.place == PLACE_PROFILE && is_read(method) && strcmp(t.rest, "/source"),
        .pair = is_read(method) && pv_api_diff_owns(path)};
    memcpy(out->profile, t.id, sizeof t.id);
}

void pv_api_classify_pair(struct pv_api_route *route, const char *a, const char *b)
{
    route->immutable = a && b && pv_api_params_id(a, strlen(a)) && pv_api_params_id(b, strlen(b));
    if (!route->immutable)
        return;
    memcpy(route->profile, a, PV_STORE_ID_HEX + 1);
    memcpy(route->profile_b, b, PV_STORE_ID_HEX + 1);
}

/* ---- routes ------------------------------------------------------------- */

struct route_ctx {
    struct pv_api *api;
    const struct pv_request *req;
    struct pv_response *res;
    const char *id;   /* the profile's */
    const char *rest; /* the path after /api/profiles/<id> */
};

static void fail(struct route_ctx *c, const pv_err *err)
{
    pv_api_error(c->res, err, NULL);
}

static void fail_with(struct route_ctx *c, pv_code code, const char *msg)
{
    pv_err err;
    pv_err_set(&err, code, "%s", msg);
    fail(c, &err);
}

/* The metadata is the store's row, entry points included (the import
 * keeps them there): no model is loaded for it.  A row stored before
 * schema version 4 has none, and takes them from the model. */
static void get_meta(struct route_ctx *c)
{
    struct pv_store *s = NULL;
    struct pv_store_meta meta;
    pv_err err = {0};
    if (thread_store(c->api, &s, &err) || pv_store_meta_of(s, c->id, &meta, &err)) {
        fail(c, &err);
        return;
    }
    cJSON *memory = pv_api_memory_list_json(s, c->id, &err);
    if (!memory) {
        pv_store_meta_fini(&meta);
        fail(c, &err);
        return;
    }
    /* The stored text as it is: parsed by cJSON it would lose what
     * api_json writes raw (a NUL in a name, a line past 2^53). */
    cJSON *entries = meta.entries_json ? cJSON_CreateRaw(meta.entries_json) : NULL;
    struct pv_model *m = NULL;
    if (!entries && model_get(c->api, c->id, &m, &err)) {
        cJSON_Delete(memory);
        pv_store_meta_fini(&meta);
        fail(c, &err);
        return;
    }
    if (m) {
        entries = pv_profile_json_entries(m->p, m->entries, m->nentries);
        pv_models_release(c->api->cache, m);
    }
    cJSON *doc = pv_api_json_meta(&meta, entries);
    pv_store_meta_fini(&meta);
    cJSON_AddItemToObject(doc, "memory", memory);
    pv_api_json_respond(c->res, 200, doc);
}

enum { SEARCH_BUDGET_MS = PV_API_SEARCH_BUDGET_MS };

/* The fids of sorted[0..p->nreal) whose labels match re, in *kept
 * (malloc'd) and *n. */
static pv_code search(const struct pv_profile *p, const uint32_t *sorted, char *const *labels,
                      const regex_t *re, uint32_t **kept, size_t *n, pv_err *err)
{
    uint32_t *out = malloc(((size_t)p->nreal + 1) * sizeof *out);
    if (!out)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t found = 0;
    for (size_t i = 0; i < p->nreal; i++) {
        if (regexec(re, labels[sorted[i]], 0, NULL, 0) == 0)
            out[found++] = sorted[i];
        /* The pattern's size is bounded, not every way to make glibc's
         * matcher slow: the search gets a time budget. */
        if (i % 256 == 255 && pv_elapsed_ms(&t0) > SEARCH_BUDGET_MS) {
            free(out);
            return pv_err_set(err, PV_E_USAGE,
                              "the search took over %d ms after %zu of %u functions: "
                              "simplify the expression",
                              SEARCH_BUDGET_MS, i + 1, p->nreal);
        }
    }
    *kept = out;
    *n = found;
    return PV_OK;
}

static void get_functions(struct route_ctx *c, struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    pv_err err = {0};
    struct pv_api_functions_query q;
    const uint32_t *sorted;
    struct pv_store *s = NULL;
    struct pv_api_memory_lines lines;
    if (pv_api_params_functions(c->req, &q, &err) ||
        pv_models_order(m, q.key, q.mem_inc ? false : q.reverse, &sorted, &err) ||
        thread_store(c->api, &s, &err) || pv_api_memory_lines_init(&lines, s, c->id, &err)) {
        fail(c, &err);
        return;
    }
    double *inc = NULL;
    uint32_t *reordered = NULL;
    uint32_t *kept = NULL;
    size_t n = p->nreal;
    if (pv_api_memory_incs(&lines, p, &inc, &err) ||
        (q.mem_inc && pv_api_memory_order_by_inc(sorted, n, inc, q.reverse, &reordered, &err)))
        goto free_order;
    if (reordered)
        sorted = reordered;
    double seconds = 0; /* the matches' time together (search.h) */
    if (q.q) { /* the rows whose label matches */
        regex_t re;
        char *const *labels;
        if (pv_pattern_compile(q.q, true, &re, &err))
            goto free_order;
        pv_code rc = pv_models_labels(m, &labels, &err);
        if (!rc)
            rc = search(p, sorted, labels, &re, &kept, &n, &err);
        regfree(&re);
        if (!rc)
            rc = pv_search_time(p, kept, n, &seconds, &err);
        if (rc)
            goto free_order;
        sorted = kept;
    }
    double share_base = pv_api_json_share_base(p, m->entries, m->nentries);
    cJSON *doc = pv_api_json_functions_page(p, sorted, n, q.offset, q.limit, share_base);
    cJSON *row;
    size_t at = (size_t)q.offset;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
    {
        double v = inc ? inc[sorted[at++]] : (double)NAN;
        char text[32];
        pv_jsonw_format_double(v, text);
        cJSON_AddItemToObject(row, "mem_inc", v == v ? cJSON_CreateRaw(text) : cJSON_CreateNull());
    }
    if (q.q)
        pv_api_json_add_search(doc, n, seconds, share_base);
    pv_api_json_respond(c->res, 200, doc);
    free(kept);
    free(reordered);
    free(inc);
    pv_api_memory_lines_fini(&lines);
    return;

free_order:
    free(kept);
    free(reordered);
    free(inc);
    pv_api_memory_lines_fini(&lines);
    fail(c, &err);
}

/* The heaviest way down from an entry point to one function, as a tree
 * path= (search.h). */
static void get_path(struct route_ctx *c, struct pv_model *m)
{
    uint32_t fid;
    size_t len = 0;
    double value = 0;
    pv_err err = {0};
    uint32_t *path = malloc(PV_API_MAX_PATH_FIDS * sizeof *path);
    if (!path) {
        fail_with(c, PV_E_NOMEM, "out of memory");
        return;
    }
    pv_code rc = pv_api_params_fid(m->p, pv_api_params_arg(c->req, "fid"), &fid, &err);
    if (!rc)
        rc = pv_search_path(m->p, m->entries, m->nentries, fid, path, PV_API_MAX_PATH_FIDS, &len,
                            &value, &err);
    if (rc == PV_E_LIMIT) { /* longer than a tree's path= takes */
        err.code = PV_E_BUDGET;
        pv_api_error(c->res, &err, &(struct pv_api_budget){"fids", 0, PV_API_MAX_PATH_FIDS});
    } else if (rc)
        fail(c, &err);
    else
        pv_api_json_respond(c->res, 200, pv_api_json_path(fid, path, len, value));
    free(path);
}

static void get_function(struct route_ctx *c, struct pv_model *m, const char *fid_text)
{
    uint32_t fid;
    pv_err err = {0};
    if (pv_api_params_fid(m->p, fid_text, &fid, &err)) {
        fail(c, &err);
        return;
    }
    struct pv_store *s = NULL;
    struct pv_api_memory_lines lines;
    if (thread_store(c->api, &s, &err) || pv_api_memory_lines_init(&lines, s, c->id, &err)) {
        fail(c, &err);
        return;
    }
    cJSON *doc = pv_api_json_function_detail(
        m->p, fid, pv_api_json_share_base(m->p, m->entries, m->nentries));
    const char *mem_id;
    const cJSON *func = pv_api_memory_lines_match(&lines, m->p, fid, &mem_id);
    if (func)
        cJSON_AddItemToObject(doc, "memory", pv_api_memory_detail_json(func, mem_id));
    pv_api_memory_lines_fini(&lines);
    pv_api_json_respond(c->res, 200, doc);
}

/* ---- streamed answers --------------------------------------------------- */

/* A tree's JSON or an export, written while it is sent; holds the model
 * until the last byte. */
struct held {
    struct pv_api *api;
    struct pv_model *m;
    struct pv_treejson *tree;
    struct pv_export *export;
};

static pv_code held_next(void *ctx, FILE *out, bool *done, pv_err *err)
{
    struct held *h = ctx;
    return h->tree ? pv_treejson_write_next(h->tree, out, done, err)
                   : pv_export_write_next(h->export, out, done, err);
}

static void held_destroy(void *ctx)
{
    struct held *h = ctx;
    pv_treejson_destroy(h->tree);
    pv_export_destroy(h->export);
    pv_models_release(h->api->cache, h->m);
    atomic_fetch_sub(&h->api->streams, 1);
    free(h);
}

/* Whether one more stream may hold a model; answers 503 when not.  A yes
 * must be followed by respond_stream (which gives the place back). */
static bool stream_place(struct route_ctx *c)
{
    if (atomic_fetch_add(&c->api->streams, 1) < c->api->cfg.max_streams)
        return true;
    atomic_fetch_sub(&c->api->streams, 1);
    pv_api_busy(c->res, "too many large answers are being sent: try again in a moment", 2);
    return false;
}

/* Answer 200 with tree or export (taken) written as it is sent, bound
 * bytes at most; the stream holds m (held by the route) for itself. */
static void respond_stream(struct route_ctx *c, struct pv_model *m, struct pv_treejson *tree,
                           struct pv_export *export, uint64_t bound, const char *content_type)
{
    struct held *h = calloc(1, sizeof *h);
    pv_err err = {0};
    if (!h) {
        pv_treejson_destroy(tree);
        pv_export_destroy(export);
        atomic_fetch_sub(&c->api->streams, 1);
        fail_with(c, PV_E_NOMEM, "out of memory");
        return;
    }
    pv_models_hold(c->api->cache, m);
    *h = (struct held){.api = c->api, .m = m, .tree = tree, .export = export};
    /* The bound is a backstop too: a writer that passes it has a bug, and
     * its answer ends early rather than growing without end. */
    if (pv_stream_create(held_next, held_destroy, h, bound, &c->res->stream, &err)) {
        fail(c, &err);
        return;
    }
    c->res->status = 200;
    c->res->content_type = content_type;
}

/* ---- trees -------------------------------------------------------------- */

enum { LIGHT_TREE_STEPS = PV_API_LIGHT_TREE_STEPS };

static void get_tree(struct route_ctx *c, struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    pv_err err = {0};
    uint32_t *path = malloc(PV_API_MAX_PATH_FIDS * sizeof *path);
    struct pv_tree_query q;
    if (!path) {
        fail_with(c, PV_E_NOMEM, "out of memory");
        return;
    }
    bool invert;
    if (pv_api_params_tree(c->req, p, &q, path, &err) ||
        pv_api_params_invert(c->req, &q, &invert, &err)) {
        free(path);
        fail(c, &err);
        return;
    }
    q.stop = c->req->gone;
    q.stop_ctx = c->req->gone_ctx;
    q.max_steps = c->req->light ? LIGHT_TREE_STEPS : PV_TREE_DEFAULT_MAX_STEPS;
    q.entries = m->entries; /* the model's, found once */
    q.nentries = m->nentries;
    q.show_unrecorded = true;
    struct pv_tree *t;
    pv_code rc = invert ? pv_invtree_build(p, &q, &t, &err) : pv_tree_build(p, &q, &t, &err);
    free(path);
    if (rc == PV_E_LIMIT && c->req->light) {
        c->res->heavy = true; /* more work than it looked: ask again as a job */
        return;
    }
    if (rc == PV_E_LIMIT) { /* the build's work is this answer's budget */
        err.code = PV_E_BUDGET;
        pv_api_error(c->res, &err,
                     &(struct pv_api_budget){"steps", 0, PV_TREE_DEFAULT_MAX_STEPS});
        return;
    }
    struct pv_treejson *j;
    if (rc || pv_treejson_create(p, t, &j, &err)) {
        fail(c, &err);
        return;
    }
    uint64_t bound = pv_treejson_bound(j), budget = c->api->cfg.max_tree_bytes;
    if (bound > budget) {
        char need[32], have[32], nodes[32];
        pv_format_count(bound, need);
        pv_format_count(budget, have);
        pv_format_count(pv_treejson_nodes(j), nodes);
        pv_treejson_destroy(j);
        pv_err_set(&err, PV_E_BUDGET,
                   "tree too large: up to %s bytes of JSON for %s nodes, over the budget of %s "
                   "bytes - lower max_nodes or depth, or raise cutoff",
                   need, nodes, have);
        pv_api_error(c->res, &err, &(struct pv_api_budget){"bytes", bound, budget});
        return;
    }
    if (!stream_place(c)) {
        pv_treejson_destroy(j);
        return;
    }
    respond_stream(c, m, j, NULL, bound, "application/json");
}

/* ---- source ------------------------------------------------------------- */

/* Lines shown around a function's first line. */
enum { SOURCE_LINES_BEFORE = 15, SOURCE_LINES_AFTER = 40 };

static void get_source(struct route_ctx *c, struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    uint32_t fid;
    pv_err err = {0};
    if (pv_api_params_fid(p, pv_api_params_arg(c->req, "fid"), &fid, &err)) {
        fail(c, &err);
        return;
    }
    size_t n;
    const char *file = pv_profile_str(p, p->funcs[fid].file, &n);
    int64_t line = p->funcs[fid].line;
    int64_t first = line > SOURCE_LINES_BEFORE ? line - SOURCE_LINES_BEFORE : 1;
    struct pv_source_lines src;
    if (strlen(file) != n) {
        fail_with(c, PV_E_NOTFOUND, "source not available: the recorded path holds a NUL byte");
        return;
    }
    if (pv_source_lines_init(&src, c->api->cfg.source_roots, c->api->cfg.nsource_roots, file,
                             first, line + SOURCE_LINES_AFTER, &err)) {
        fail(c, &err);
        return;
    }
    cJSON *doc = pv_api_json_source(file, n, line, first, &src);
    pv_source_lines_fini(&src);
    pv_api_json_respond(c->res, 200, doc);
}

/* ---- exports ------------------------------------------------------------ */

static void get_export(struct route_ctx *c, struct pv_model *m)
{
    const char *word = pv_api_params_arg(c->req, "format");
    pv_export_format format;
    pv_err err = {0};
    if (pv_export_format_parse(word ? word : "json", &format, &err)) {
        fail_with(c, PV_E_USAGE, "format must be json, speedscope or collapsed");
        return;
    }
    struct pv_export *x;
    if (pv_export_create(m->p, c->id, format, c->req->gone, c->req->gone_ctx, &x, &err)) {
        if (err.code == PV_E_LIMIT) { /* the full tree's work */
            err.code = PV_E_BUDGET;
            pv_api_error(c->res, &err,
                         &(struct pv_api_budget){"steps", 0, PV_TREE_DEFAULT_MAX_STEPS});
        } else {
            fail(c, &err);
        }
        return;
    }
    uint64_t bound = pv_export_bound(x), budget = c->api->cfg.max_export_bytes;
    if (bound > budget) {
        pv_export_over_budget(bound, budget, &err);
        pv_export_destroy(x);
        err.code = PV_E_BUDGET;
        pv_api_error(c->res, &err, &(struct pv_api_budget){"bytes", bound, budget});
        return;
    }
    if (!stream_place(c)) {
        pv_export_destroy(x);
        return;
    }
    respond_stream(c, m, NULL, x, bound, pv_export_content_type(format));
}

/* ---- upload, list, delete ----------------------------------------------- */

static void post_profile(struct route_ctx *c)
{
    const struct pv_request *req = c->req;
    pv_err err = {0};
    struct pv_store *s = NULL;
    const char *attach = pv_api_params_arg(req, "attach");
    if (attach && !pv_api_params_id(attach, strlen(attach))) {
        fail_with(c, PV_E_USAGE, "attach must be a profile id (32 lowercase hex digits)");
        return;
    }
    if (thread_store(c->api, &s, &err)) {
        fail(c, &err);
        return;
    }
    const char *name = pv_api_params_arg(req, "name");
    if (!name || !*name)
        name = req->upload_name && *req->upload_name ? req->upload_name : "upload.prof";
    char clean[256];
    snprintf(clean, sizeof clean, "%s", name); /* names are shown, not trusted: cap them */
    struct pv_import_any res;
    struct pv_profile *p;
    pv_code rc = pv_import_any_bytes(s, req->body, req->body_len, clean, attach, &p, &res, &err);
    if (p) /* the uploader opens it next */
        pv_api_models_take(c->api, res.stats.id, p);
    if (rc) {
        fail(c, &err);
        if (rc == PV_E_BUSY)
            c->res->retry_after_s = pv_store_retry_after_s(s);
        return;
    }
    cJSON *doc;
    bool created;
    if (res.kind == PV_MEMORY_NONE) {
        doc = pv_api_json_import(&res.stats);
        created = res.stats.created;
    } else {
        if (res.memory.attached) { /* the profile's answers show it now */
            pv_cache_drop_group(c->api->cache, attach);
            pv_cache_drop_group(c->api->cache, PV_API_PAIR_GROUP);
        }
        doc = pv_api_memory_import_json(&res.memory, attach);
        created = res.memory.created;
    }
    pv_import_any_fini(&res);
    pv_api_json_respond(c->res, created ? 201 : 200, doc);
}

static bool add_listed(const struct pv_store_meta *m, void *ctx)
{
    cJSON_AddItemToArray(ctx, pv_api_json_meta(m, NULL));
    return true;
}

static void list_profiles(struct route_ctx *c)
{
    if (!c->api->cfg.list) {
        fail_with(c, PV_E_NOTFOUND, "this server does not list profiles (start it with --list)");
        return;
    }
    pv_err err = {0};
    struct pv_store_list_query query;
    if (pv_api_params_list(c->req, &query, &err)) {
        fail(c, &err);
        return;
    }
    struct pv_store *s = NULL;
    int64_t total = 0;
    cJSON *list = cJSON_CreateArray();
    if (thread_store(c->api, &s, &err) ||
        pv_store_list(s, &query, add_listed, list, &total, &err)) {
        cJSON_Delete(list);
        fail(c, &err);
        return;
    }
    pv_api_json_respond(c->res, 200, pv_api_json_list_page(list, total, &query));
}

static void delete_profile(struct route_ctx *c)
{
    const char *auth = c->req->header ? c->req->header(c->req->ctx, "Authorization") : NULL;
    /* RFC 9110 11.1: the scheme is case-insensitive; one or more spaces. */
    const char *token = "";
    if (auth && !strncasecmp(auth, "Bearer", 6) && auth[6] == ' ')
        token = auth + 6 + strspn(auth + 6, " ");
    pv_err err = {0};
    struct pv_store *s = NULL;
    if (thread_store(c->api, &s, &err) || pv_store_delete(s, c->id, token, &err)) {
        fail(c, &err);
        if (err.code == PV_E_BUSY)
            c->res->retry_after_s = pv_store_retry_after_s(s);
        return;
    }
    /* Its model and every answer about it, from the one cache: */
    pv_cache_drop_group(c->api->cache, c->id);
    pv_cache_drop_group(c->api->cache, PV_API_PAIR_GROUP);
    *c->res = (struct pv_response){.status = 204, .content_type = "application/json"};
}

/* ---- weighing ------------------------------------------------------------ */

/* Measured on the 100k-function synthetic profile (875k edges, 36 MB): its
 * model loads in 0.2 s; a 100,000-node tree took 0.8 s, a default one
 * (20,000 nodes at most) 20 ms; hiding site-packages took 0.7 s even for
 * a default tree. */
enum {
    HEAVY_TREE_NODES = 20000,
    HEAVY_HIDE_EDGES = 50000,
    HEAVY_LOAD_BYTES = 4 << 20,
};

bool pv_api_model_is_heavy(struct pv_api *api, const char *id)
{
    struct pv_model *m = pv_models_get(api->cache, id);
    if (m) {
        pv_models_release(api->cache, m);
        return false;
    }
    struct pv_store *s = NULL;
    struct pv_store_meta meta;
    pv_err err = {0};
    if (thread_store(api, &s, &err) || pv_store_meta_of(s, id, &meta, &err))
        return false; /* an unknown id is a quick 404 */
    bool big = meta.size_bytes > HEAVY_LOAD_BYTES;
    pv_store_meta_fini(&meta);
    return big;
}

bool pv_api_is_heavy(struct pv_api *api, const struct pv_request *req)
{
    struct target t;
    if (pv_api_diff_owns(req->path))
        return pv_api_diff_is_heavy(api, req);
    if (!is_read(req->method) || parse_path(req->path, &t) != PLACE_PROFILE)
        return false;
    struct pv_model *m = pv_models_get(api->cache, t.id);
    if (!m)
        return pv_api_model_is_heavy(api, t.id);
    bool heavy = false;
    if (!strcmp(t.rest, "/tree")) {
        const char *hide = pv_api_params_arg(req, "hide");
        heavy = pv_api_params_tree_nodes_bound(req) > HEAVY_TREE_NODES ||
                (hide && *hide && m->p->nedges > HEAVY_HIDE_EDGES);
    } else if (!strcmp(t.rest, "/export")) {
        const char *format = pv_api_params_arg(req, "format");
        heavy = format && (!strcmp(format, "speedscope") || !strcmp(format, "collapsed"));
    }
    pv_models_release(api->cache, m);
    return heavy;
}

/* ---- dispatch ----------------------------------------------------------- */

bool pv_api_profile_exists(struct pv_api *api, const char *id)
{
    struct pv_store *s = NULL;
    struct pv_store_record res;
    pv_err err = {0};
    if (!pv_api_params_id(id, strlen(id)) || thread_store(api, &s, &err) ||
        pv_store_find(s, id, &res, &err))
        return false;
    free(res.name);
    return true;
}

uint64_t pv_api_memory_stamp(struct pv_api *api, const char *a, const char *b)
{
    struct pv_store *s = NULL;
    uint64_t sa = 0, sb = 0;
    pv_err err = {0};
    if (thread_store(api, &s, &err) || pv_store_memory_stamp(s, a, &sa, &err) ||
        (*b && pv_store_memory_stamp(s, b, &sb, &err)))
        return UINT64_MAX; /* answered afresh, and not matched by a later tag */
    return sa * 31 + sb;
}

/* Profile routes: /api/profiles/<id>[/...]. */
static void profile_route(struct route_ctx *c)
{
    const char *method = c->req->method, *rest = c->rest;
    if (!strcmp(method, "DELETE") && !*rest) {
        delete_profile(c);
        return;
    }
    if (!is_read(method)) {
        fail_with(c, PV_E_METHOD, "method not allowed here");
        return;
    }
    if (!*rest) {
        get_meta(c);
        return;
    }
    struct pv_model *m = NULL;
    pv_err err = {0};
    if (model_get(c->api, c->id, &m, &err)) {
        fail(c, &err);
        return;
    }
    if (!strcmp(rest, "/functions"))
        get_functions(c, m);
    else if (!strncmp(rest, "/functions/", 11))
        get_function(c, m, rest + 11);
    else if (!strcmp(rest, "/tree"))
        get_tree(c, m);
    else if (!strcmp(rest, "/path"))
        get_path(c, m);
    else if (!strcmp(rest, "/source"))
        get_source(c, m);
    else if (!strcmp(rest, "/export"))
        get_export(c, m);
    else
        fail_with(c, PV_E_NOTFOUND, "no such route");
    pv_models_release(c->api->cache, m);
}

void pv_api_handle(struct pv_api *api, const struct pv_request *req, struct pv_response *res)
{
    *res = (struct pv_response){.status = 500, .content_type = "application/json"};
    struct target t;
    struct route_ctx c = {.api = api, .req = req, .res = res};
    switch (parse_path(req->path, &t)) {
    case PLACE_HEALTH: {
        cJSON *doc = cJSON_CreateObject(), *cache = cJSON_AddObjectToObject(doc, "cache");
        cJSON_AddBoolToObject(doc, "ok", true);
        struct pv_cache_usage u;
        pv_cache_usage(api->cache, &u);
        cJSON_AddNumberToObject(cache, "entries", (double)u.entries);
        cJSON_AddNumberToObject(cache, "bytes", (double)u.bytes);
        cJSON_AddNumberToObject(cache, "max_bytes", (double)u.max_bytes);
        pv_api_json_respond(res, 200, doc);
        return;
    }
    case PLACE_PROFILES:
        if (!strcmp(req->method, "POST"))
            post_profile(&c);
        else if (is_read(req->method))
            list_profiles(&c);
        else
            fail_with(&c, PV_E_METHOD, "method not allowed here");
        return;
    case PLACE_PROFILE:
        c.id = t.id;
        c.rest = t.rest;
        profile_route(&c);
        return;
    case PLACE_BAD_ID:
        fail_with(&c, PV_E_NOTFOUND, "no profile with that id");
        return;
    case PLACE_NONE:
        break;
    }
    if (pv_api_diff_owns(req->path)) {
        if (is_read(req->method))
            pv_api_diff_handle(api, req, res);
        else
            fail_with(&c, PV_E_METHOD, "method not allowed here");
        return;
    }
    if (pv_api_memory_owns(req->path)) {
        pv_api_memory_handle(api, req, res);
        return;
    }
    fail_with(&c, PV_E_NOTFOUND, "no such route");
}

/* ---- for the other route files (api_route.h) ----------------------------- */

pv_code pv_api_model_get(struct pv_api *api, const char *id, struct pv_model **out, pv_err *err)
{
    return model_get(api, id, out, err);
}

void pv_api_model_release(struct pv_api *api, struct pv_model *m)
{
    pv_models_release(api->cache, m);
}

pv_code pv_api_store(struct pv_api *api, struct pv_store **out, pv_err *err)
{
    return thread_store(api, out, err);
}

struct pv_cache *pv_api_route_cache(struct pv_api *api)
{
    return api->cache;
}

uint64_t pv_api_max_tree_bytes(const struct pv_api *api)
{
    return api->cfg.max_tree_bytes;
}
