/* api_profile.c - the routes of one stored profile (see api_profile.h).
 *
 * A request finds its profile in the shared cache (loading its model from
 * this thread's SQLite connection on a miss: api_route.h), has its
 * parameters parsed by api_params.c, asks report/tree/export for the
 * numbers, and is answered with a document of api_json.c, or, for trees
 * and exports, with a stream written while it is sent.  Every failure is a
 * pv_err answered by pv_api_error(), the one place where codes become
 * statuses.  Which route a path names is api.c's to say. */
#include "api_profile.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static bool is_read(const char *method)
{
    return !strcmp(method, "GET") || !strcmp(method, "HEAD");
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
    if (pv_api_store(c->api, &s, &err) || pv_store_meta_init(&meta, s, c->id, &err)) {
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
    if (!entries && pv_api_model_get(c->api, c->id, &m, &err)) {
        cJSON_Delete(memory);
        pv_store_meta_fini(&meta);
        fail(c, &err);
        return;
    }
    if (m) {
        entries = pv_profile_json_entries(m->p, m->entries, m->nentries);
        pv_api_model_release(c->api, m);
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
        pv_api_store(c->api, &s, &err) || pv_api_memory_lines_init(&lines, s, c->id, &err)) {
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
    if (pv_api_store(c->api, &s, &err) || pv_api_memory_lines_init(&lines, s, c->id, &err)) {
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
    pv_api_model_release(h->api, h->m);
    pv_api_streams_leave(h->api);
    free(h);
}

/* Whether one more stream may hold a model; answers 503 when not.  A yes
 * must be followed by respond_stream (which gives the place back). */
static bool stream_place(struct route_ctx *c)
{
    if (pv_api_streams_enter(c->api))
        return true;
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
        pv_api_streams_leave(c->api);
        fail_with(c, PV_E_NOMEM, "out of memory");
        return;
    }
    pv_models_hold(pv_api_cache(c->api), m);
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
    uint64_t bound = pv_treejson_bound(j), budget = pv_api_max_tree_bytes(c->api);
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
    size_t nroots;
    const char *const *roots = pv_api_source_roots(c->api, &nroots);
    if (pv_source_lines_init(&src, roots, nroots, file, first, line + SOURCE_LINES_AFTER,
                             &err)) {
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
    if (pv_export_create(m->p, m->entries, m->nentries, c->id, format, c->req->gone,
                         c->req->gone_ctx, &x, &err)) {
        if (err.code == PV_E_LIMIT) { /* the full tree's work */
            err.code = PV_E_BUDGET;
            pv_api_error(c->res, &err,
                         &(struct pv_api_budget){"steps", 0, PV_TREE_DEFAULT_MAX_STEPS});
        } else {
            fail(c, &err);
        }
        return;
    }
    uint64_t bound = pv_export_bound(x), budget = pv_api_max_export_bytes(c->api);
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
    if (pv_api_store(c->api, &s, &err)) {
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
    pv_code rc =
        pv_import_any_init_bytes(&res, s, req->body, req->body_len, clean, attach, &p, &err);
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
        if (res.memory.attached) /* the profile's answers show it now */
            pv_api_drop_answers(c->api, attach);
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
    if (!pv_api_lists_profiles(c->api)) {
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
    if (pv_api_store(c->api, &s, &err) ||
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
    if (pv_api_store(c->api, &s, &err) || pv_store_delete(s, c->id, token, &err)) {
        fail(c, &err);
        if (err.code == PV_E_BUSY)
            c->res->retry_after_s = pv_store_retry_after_s(s);
        return;
    }
    pv_api_drop_answers(c->api, c->id); /* its model and every answer about it */
    *c->res = (struct pv_response){.status = 204, .content_type = "application/json"};
}

/* ---- weighing ------------------------------------------------------------ */

/* Measured on the 100k-function synthetic profile (875k edges, 36 MB): a
 * 100,000-node tree took 0.8 s, a default one (20,000 nodes at most)
 * 20 ms; hiding site-packages took 0.7 s even for a default tree.  (What
 * loading a model weighs is api.c's: pv_api_model_is_heavy.) */
enum {
    HEAVY_TREE_NODES = 20000,
    HEAVY_HIDE_EDGES = 50000,
};

bool pv_api_profile_is_heavy(struct pv_api *api, const struct pv_request *req, const char *id,
                             const char *rest)
{
    struct pv_model *m = pv_models_get(pv_api_cache(api), id);
    if (!m)
        return pv_api_model_is_heavy(api, id);
    bool heavy = false;
    if (!strcmp(rest, "/tree")) {
        const char *hide = pv_api_params_arg(req, "hide");
        heavy = pv_api_params_tree_nodes_bound(req) > HEAVY_TREE_NODES ||
                (hide && *hide && m->p->nedges > HEAVY_HIDE_EDGES);
    } else if (!strcmp(rest, "/export")) {
        const char *format = pv_api_params_arg(req, "format");
        heavy = format && (!strcmp(format, "speedscope") || !strcmp(format, "collapsed"));
    }
    pv_api_model_release(api, m);
    return heavy;
}

/* ---- dispatch ----------------------------------------------------------- */

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
    if (pv_api_model_get(c->api, c->id, &m, &err)) {
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
    pv_api_model_release(c->api, m);
}

void pv_api_profile_handle(struct pv_api *api, const struct pv_request *req, const char *id,
                           const char *rest, struct pv_response *res)
{
    struct route_ctx c = {.api = api, .req = req, .res = res, .id = id, .rest = rest};
    profile_route(&c);
}

void pv_api_profile_upload(struct pv_api *api, const struct pv_request *req,
                           struct pv_response *res)
{
    struct route_ctx c = {.api = api, .req = req, .res = res};
    post_profile(&c);
}

void pv_api_profile_list(struct pv_api *api, const struct pv_request *req,
                         struct pv_response *res)
{
    struct route_ctx c = {.api = api, .req = req, .res = res};
    list_profiles(&c);
}
