/* api.c - the api's state, its URL grammar, and the dispatch of requests
 * to the route files (see api.h).
 *
 * The state is the server's settings, each thread's SQLite connection, the
 * shared cache of models (and of the http module's answers) and the count
 * of streamed answers; the route files reach it through api_route.h.  The
 * grammar says where a path leads: the routes of one profile are
 * api_profile.c's, those of a pair api_diff.c's, those of memory data
 * api_memory.c's.  Every failure is a pv_err answered by pv_api_error(),
 * the one place where codes become statuses. */
#include "api.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_diff.h"
#include "api_json.h"
#include "api_memory.h"
#include "api_params.h"
#include "api_profile.h"
#include "api_route.h"
#include "cache.h"
#include "export.h"
#include "models.h"
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

/* Measured on the 100k-function synthetic profile (875k edges, 36 MB): its
 * model loads in 0.2 s. */
enum { HEAVY_LOAD_BYTES = 4 << 20 };

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
    if (thread_store(api, &s, &err) || pv_store_meta_init(&meta, s, id, &err))
        return false; /* an unknown id is a quick 404 */
    bool big = meta.size_bytes > HEAVY_LOAD_BYTES;
    pv_store_meta_fini(&meta);
    return big;
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

/* A pair's route is immutable only when its a= and b= are profile ids:
 * then they are its profiles. */
static void classify_pair(struct pv_api_route *route, const char *a, const char *b)
{
    route->immutable = a && b && pv_api_params_id(a, strlen(a)) && pv_api_params_id(b, strlen(b));
    if (!route->immutable)
        return;
    memcpy(route->profile, a, PV_STORE_ID_HEX + 1);
    memcpy(route->profile_b, b, PV_STORE_ID_HEX + 1);
}

void pv_api_classify(const char *method, const char *path,
                     const char *(*arg)(void *ctx, const char *name), void *arg_ctx,
                     struct pv_api_route *out)
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
    if (out->pair)
        classify_pair(out, arg(arg_ctx, "a"), arg(arg_ctx, "b"));
}

/* ---- dispatch ----------------------------------------------------------- */

static void fail_with(struct pv_response *res, pv_code code, const char *msg)
{
    pv_err err;
    pv_err_set(&err, code, "%s", msg);
    pv_api_error(res, &err, NULL);
}

bool pv_api_is_heavy(struct pv_api *api, const struct pv_request *req)
{
    struct target t;
    if (pv_api_diff_owns(req->path))
        return pv_api_diff_is_heavy(api, req);
    if (!is_read(req->method) || parse_path(req->path, &t) != PLACE_PROFILE)
        return false;
    return pv_api_profile_is_heavy(api, req, t.id, t.rest);
}

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

void pv_api_handle(struct pv_api *api, const struct pv_request *req, struct pv_response *res)
{
    *res = (struct pv_response){.status = 500, .content_type = "application/json"};
    struct target t;
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
            pv_api_profile_upload(api, req, res);
        else if (is_read(req->method))
            pv_api_profile_list(api, req, res);
        else
            fail_with(res, PV_E_METHOD, "method not allowed here");
        return;
    case PLACE_PROFILE:
        pv_api_profile_handle(api, req, t.id, t.rest, res);
        return;
    case PLACE_BAD_ID:
        fail_with(res, PV_E_NOTFOUND, "no profile with that id");
        return;
    case PLACE_NONE:
        break;
    }
    if (pv_api_diff_owns(req->path)) {
        if (is_read(req->method))
            pv_api_diff_handle(api, req, res);
        else
            fail_with(res, PV_E_METHOD, "method not allowed here");
        return;
    }
    if (pv_api_memory_owns(req->path)) {
        pv_api_memory_handle(api, req, res);
        return;
    }
    fail_with(res, PV_E_NOTFOUND, "no such route");
}

/* ---- for the route files (api_route.h) ----------------------------------- */

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

void pv_api_drop_answers(struct pv_api *api, const char *id)
{
    pv_cache_drop_group(api->cache, id);
    pv_cache_drop_group(api->cache, PV_API_PAIR_GROUP);
}

uint64_t pv_api_max_tree_bytes(const struct pv_api *api)
{
    return api->cfg.max_tree_bytes;
}

uint64_t pv_api_max_export_bytes(const struct pv_api *api)
{
    return api->cfg.max_export_bytes;
}

bool pv_api_lists_profiles(const struct pv_api *api)
{
    return api->cfg.list;
}

const char *const *pv_api_source_roots(const struct pv_api *api, size_t *n)
{
    *n = api->cfg.nsource_roots;
    return api->cfg.source_roots;
}

bool pv_api_streams_enter(struct pv_api *api)
{
    if (atomic_fetch_add(&api->streams, 1) < api->cfg.max_streams)
        return true;
    atomic_fetch_sub(&api->streams, 1);
    return false;
}

void pv_api_streams_leave(struct pv_api *api)
{
    atomic_fetch_sub(&api->streams, 1);
}
