/* api.c - routes of docs/API.md (see api.h).
 *
 * A request finds its profile in the model cache (loading it from this
 * thread's SQLite connection on a miss), asks report/tree for the numbers,
 * and renders JSON with cJSON.  Names and paths are untrusted bytes (NUL,
 * lone surrogates): they are escaped by pv_json_write_string, never handed
 * to cJSON as C strings. */
#include "api.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "api_diff.h"
#include "api_route.h"
#include "cache.h"
#include "export.h"
#include "models.h"
#include "pattern.h"
#include "profile.h"
#include "report.h"
#include "source.h"
#include "store.h"
#include "stream.h"
#include "tree.h"
#include "treejson.h"

/* ---- state ---------------------------------------------------------------- */

struct pv_api {
    struct pv_api_config cfg;
    pthread_key_t store_key; /* this thread's SQLite connection */
    struct pv_cache *cache;  /* models, and http's answers: see pv_api_cache() */
    struct pv_store_gate *gate; /* one writer at a time among them */
    atomic_uint streams;     /* answers being streamed: each holds a model */
};

enum { DEFAULT_MAX_STREAMS = 32 };

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
    struct pv_store *s = pthread_getspecific(api->store_key);
    pv_store_close(s);
    pthread_setspecific(api->store_key, NULL);
    pthread_key_delete(api->store_key);
    pv_store_gate_destroy(api->gate);
    free(api);
}

/* ---- responses ---------------------------------------------------------- */

static void respond_json(struct pv_response *res, int status, cJSON *json)
{
    res->status = status;
    res->content_type = "application/json";
    res->body = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!res->body) {
        res->status = 500;
        res->body = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
    }
    res->len = res->body ? strlen(res->body) : 0;
}

static void respond_error(struct pv_response *res, int status, const char *code,
                          const char *message)
{
    cJSON *root = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    res->etag[0] = '\0';
    res->immutable = false;
    respond_json(res, status, root);
}

/* 413 for a request over one of its budgets, with the numbers (needed 0:
 * not known, only that it is over). */
static void respond_over_budget(struct pv_response *res, const char *message, const char *unit,
                                uint64_t needed, uint64_t budget)
{
    cJSON *root = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", "over_budget");
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "unit", unit);
    if (needed)
        cJSON_AddNumberToObject(e, "needed", (double)needed);
    cJSON_AddNumberToObject(e, "budget", (double)budget);
    res->etag[0] = '\0';
    res->immutable = false;
    respond_json(res, 413, root);
}

void pv_api_busy(struct pv_response *res, const char *why, unsigned retry_after_s)
{
    *res = (struct pv_response){.status = 503, .content_type = "application/json"};
    respond_error(res, 503, "busy", why);
    res->retry_after_s = retry_after_s;
}

/* The one place where codes become statuses. */
static void respond_failure(struct pv_response *res, const pv_err *err)
{
    switch (err->code) {
    case PV_E_CANCELLED: /* nobody reads it: the client has gone */
        respond_error(res, 503, "cancelled", err->msg);
        return;
    case PV_E_FORMAT:
    case PV_E_SHAPE:
    case PV_E_LIMIT:
        respond_error(res, 422, "not_a_profile", err->msg);
        return;
    case PV_E_USAGE: respond_error(res, 400, "bad_request", err->msg); return;
    case PV_E_NOTFOUND: respond_error(res, 404, "not_found", err->msg); return;
    case PV_E_DENIED: respond_error(res, 403, "forbidden", err->msg); return;
    case PV_E_BUSY:
        respond_error(res, 503, "busy", err->msg);
        res->retry_after_s = 1; /* the route says more when it knows */
        return;
    case PV_E_FULL: respond_error(res, 507, "insufficient_storage", err->msg); return;
    default:
        fprintf(stderr, "pstatsviz: internal error: %s\n", err->msg);
        respond_error(res, 500, "internal", err->msg);
    }
}

/* ---- JSON helpers ------------------------------------------------------- */

/* A JSON string of untrusted bytes: NUL, control characters and invalid
 * UTF-8 escaped as pv_json_write_string does. */
static cJSON *json_bytes(const char *s, size_t n)
{
    /* Most names are printable ASCII: cJSON escapes those itself. */
    size_t plain = 0;
    while (plain < n && s[plain] >= 0x20 && s[plain] < 0x7f)
        plain++;
    char small[256];
    if (plain == n && n < sizeof small) {
        memcpy(small, s, n); /* s need not end at n */
        small[n] = '\0';
        return cJSON_CreateString(small);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return cJSON_CreateNull();
    pv_json_write_string(f, s, n);
    fclose(f);
    cJSON *j = buf ? cJSON_CreateRaw(buf) : cJSON_CreateNull();
    free(buf);
    return j;
}

/* Views show names, they do not archive them: see PV_VIEW_TEXT_MAX. */
static cJSON *json_view_text(const char *s, size_t n)
{
    if (n <= PV_VIEW_TEXT_MAX)
        return json_bytes(s, n);
    size_t cut = pv_profile_text_cut(s, n, PV_VIEW_TEXT_MAX);
    char *buf = malloc(cut + 4);
    if (!buf)
        return cJSON_CreateNull();
    memcpy(buf, s, cut);
    memcpy(buf + cut, "\xe2\x80\xa6", 3); /* U+2026 */
    cJSON *j = json_bytes(buf, cut + 3);
    free(buf);
    return j;
}

static void add_str(cJSON *o, const char *key, const struct pv_profile *p, uint32_t handle)
{
    size_t n;
    const char *s = pv_profile_str(p, handle, &n);
    cJSON_AddItemToObject(o, key, json_view_text(s, n));
}

/* Counts and line numbers are integers up to 2^63: written exactly, not
 * through a double (2^62 came back as 4.6116860184273879e+18). */
static void add_int(cJSON *o, const char *key, int64_t v)
{
    char digits[24];
    snprintf(digits, sizeof digits, "%" PRId64, v);
    cJSON_AddItemToObject(o, key, cJSON_CreateRaw(digits));
}

static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_label(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    size_t n;
    char *label = pv_profile_label_dup(p, fid, PV_VIEW_TEXT_MAX, &n);
    cJSON_AddItemToObject(o, "label", label ? json_view_text(label, n) : cJSON_CreateNull());
    free(label);
}

static void add_func_ident(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    cJSON_AddNumberToObject(o, "fid", fid);
    add_str(o, "file", p, f->file);
    add_int(o, "line", f->line);
    add_str(o, "name", p, f->name);
    add_label(o, p, fid);
    cJSON_AddStringToObject(o, "kind", pv_funckind_name(pv_funckind_of(p, fid)));
}

static cJSON *func_row(const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    cJSON *o = cJSON_CreateObject();
    add_func_ident(o, p, fid);
    add_int(o, "cc", f->cc);
    add_int(o, "nc", f->nc);
    add_num(o, "tt", f->tt);
    add_num(o, "ct", f->ct);
    add_num(o, "tt_percall", f->nc ? f->tt / (double)f->nc : (double)NAN);
    add_num(o, "ct_percall", f->cc ? f->ct / (double)f->cc : (double)NAN);
    add_num(o, "tt_pct", p->total_tt > 0 ? 100 * f->tt / p->total_tt : (double)NAN);
    add_num(o, "ct_pct", p->total_tt > 0 ? 100 * f->ct / p->total_tt : (double)NAN);
    return o;
}

static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *meta_json(const struct pv_meta *m)
{
    cJSON *o = cJSON_CreateObject();
    char when[32];
    iso_time(m->created_ms, when);
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddItemToObject(o, "name", json_bytes(m->name, strlen(m->name)));
    char url[64];
    snprintf(url, sizeof url, "/p/%s", m->id);
    cJSON_AddStringToObject(o, "url", url);
    add_int(o, "size_bytes", m->size_bytes);
    cJSON_AddNumberToObject(o, "marshal_version", m->marshal_version);
    cJSON_AddBoolToObject(o, "python2", m->python2);
    cJSON_AddStringToObject(o, "created", when);
    add_int(o, "total_calls", m->total_calls);
    add_int(o, "prim_calls", m->prim_calls);
    add_num(o, "total_time", m->total_tt);
    cJSON_AddNumberToObject(o, "functions", m->functions);
    cJSON_AddNumberToObject(o, "edges", m->edges);
    cJSON *w = cJSON_Parse(m->warnings_json);
    cJSON_AddItemToObject(o, "warnings", w ? w : cJSON_CreateArray());
    return o;
}

/* ---- parameters --------------------------------------------------------- */

/* Parameters are parsed strictly, the same way everywhere (docs/API.md,
 * "Parameters"): an integer is ASCII digits only (no sign, space, "0x" or
 * exponent), a number is digits with an optional fraction and exponent,
 * and a parameter given empty is as wrong as any other bad value. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
        return false;
    long v = strtol(s, NULL, 10);
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* [0-9]+ ( "." [0-9]* )? ( [eE] [+-]? [0-9]+ )?, or "." [0-9]+ likewise. */
static bool parse_decimal(const char *s, double *out)
{
    const char *p = s;
    size_t whole = strspn(p, "0123456789"), frac = 0;
    p += whole;
    if (*p == '.') {
        frac = strspn(++p, "0123456789");
        p += frac;
    }
    if (!whole && !frac)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        size_t exp = strspn(p, "0123456789");
        if (!exp)
            return false;
        p += exp;
    }
    if (*p || p - s > 64)
        return false;
    *out = strtod(s, NULL);
    return true;
}

static bool parse_fid(const struct pv_profile *p, const char *s, uint32_t *out)
{
    long v;
    if (!parse_long(s, 0, (long)p->nfuncs - 1, &v) || (p->funcs[v].flags & PV_FUNC_PHANTOM))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool valid_id(const char *s, size_t n)
{
    if (n != PV_ID_HEX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return true;
}

/* ---- routes ------------------------------------------------------------- */

struct route_ctx {
    struct pv_api *api;
    const struct pv_request *req;
    struct pv_response *res;
    char id[PV_ID_HEX + 1];
    const char *rest; /* the path after /api/profiles/<id> */
};

static const char *arg(const struct route_ctx *c, const char *name)
{
    return c->req->arg ? c->req->arg(c->req->ctx, name) : NULL;
}

static void get_meta(struct route_ctx *c, struct pv_model *m)
{
    struct pv_store *s = NULL;
    struct pv_meta meta;
    pv_err err = {0};
    if (thread_store(c->api, &s, &err) || pv_store_meta(s, c->id, &meta, &err)) {
        respond_failure(c->res, &err);
        return;
    }
    cJSON *o = meta_json(&meta);
    pv_meta_fini(&meta);
    cJSON *entries = cJSON_AddArrayToObject(o, "entries");
    for (size_t i = 0; i < m->nentries; i++) {
        cJSON *e = cJSON_CreateObject();
        add_func_ident(e, m->p, m->entries[i].fid);
        add_num(e, "value", m->entries[i].value);
        cJSON_AddItemToArray(entries, e);
    }
    respond_json(c->res, 200, o);
}

/* The table's sort columns: pstats' keys, and the per-call columns. */
static const struct {
    const char *name;
    pv_sort_key key;
    bool numeric; /* large first by default */
} SORTS[] = {
    {"cumtime", PV_SORT_CUMULATIVE, true}, {"tottime", PV_SORT_TIME, true},
    {"ncalls", PV_SORT_CALLS, true},       {"pcalls", PV_SORT_PCALLS, true},
    {"name", PV_SORT_NAME, false},         {"file", PV_SORT_FILENAME, false},
    {"line", PV_SORT_LINE, false},         {"tt_percall", PV_SORT_TT_PERCALL, true},
    {"ct_percall", PV_SORT_CT_PERCALL, true},
};

enum { SEARCH_BUDGET_MS = PV_API_SEARCH_BUDGET_MS };

static void get_functions(struct route_ctx *c, struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    pv_err err = {0};
    const char *sort = arg(c, "sort"), *order = arg(c, "order"), *q = arg(c, "q");
    size_t col = 0;
    if (sort) {
        col = sizeof SORTS / sizeof SORTS[0];
        for (size_t k = 0; k < sizeof SORTS / sizeof SORTS[0]; k++)
            if (!strcmp(sort, SORTS[k].name))
                col = k;
        if (col == sizeof SORTS / sizeof SORTS[0]) {
            respond_error(c->res, 400, "bad_request",
                          "sort must be one of cumtime, tottime, ncalls, pcalls, name, file, "
                          "line, tt_percall, ct_percall");
            return;
        }
    }
    bool natural_desc = SORTS[col].numeric;
    bool desc = natural_desc;
    if (order) {
        if (strcmp(order, "asc") && strcmp(order, "desc")) {
            respond_error(c->res, 400, "bad_request", "order must be asc or desc");
            return;
        }
        desc = !strcmp(order, "desc");
    }
    long limit = 100, offset = 0;
    if ((arg(c, "limit") && !parse_long(arg(c, "limit"), 1, 1000, &limit)) ||
        (arg(c, "offset") && !parse_long(arg(c, "offset"), 0, LONG_MAX, &offset))) {
        respond_error(c->res, 400, "bad_request", "limit is 1 to 1000, offset 0 or more");
        return;
    }
    regex_t re;
    char *const *labels = NULL;
    bool filter = q && *q;
    if (filter) {
        if (pv_pattern_compile(q, true, &re, &err)) {
            respond_failure(c->res, &err);
            return;
        }
        if (pv_models_labels(m, &labels, &err)) {
            regfree(&re);
            respond_failure(c->res, &err);
            return;
        }
    }
    const uint32_t *sorted;
    if (pv_models_order(m, SORTS[col].key, desc != natural_desc, &sorted, &err)) {
        if (filter)
            regfree(&re);
        respond_failure(c->res, &err);
        return;
    }
    /* the page's rows: every function, or those whose label matches */
    size_t n = p->nreal;
    uint32_t *kept = NULL;
    if (filter) {
        kept = malloc(((size_t)p->nreal + 1) * sizeof *kept);
        n = 0;
        pv_code rc = kept ? PV_OK : pv_err_set(&err, PV_E_NOMEM, "out of memory");
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; !rc && i < p->nreal; i++) {
            if (regexec(&re, labels[sorted[i]], 0, NULL, 0) == 0)
                kept[n++] = sorted[i];
            /* The pattern's size is bounded, not every way to make glibc's
             * matcher slow: the search gets a time budget. */
            if (i % 256 == 255 && pv_elapsed_ms(&t0) > SEARCH_BUDGET_MS)
                rc = pv_err_set(&err, PV_E_USAGE,
                                "the search took over %d ms after %zu of %u functions: "
                                "simplify the expression",
                                SEARCH_BUDGET_MS, i + 1, p->nreal);
        }
        regfree(&re);
        if (rc) {
            free(kept);
            respond_failure(c->res, &err);
            return;
        }
    }
    const uint32_t *fids = filter ? kept : sorted;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double)n);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    add_num(o, "total_time", p->total_tt);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = (size_t)offset; i < n && i < (size_t)offset + (size_t)limit; i++)
        cJSON_AddItemToArray(rows, func_row(p, fids[i]));
    free(kept);
    respond_json(c->res, 200, o);
}

static cJSON *edge_json(const struct pv_profile *p, const struct pv_edge *e, uint32_t other)
{
    cJSON *o = cJSON_CreateObject();
    if (p->funcs[other].flags & PV_FUNC_PHANTOM) {
        add_func_ident(o, p, other);
        cJSON_ReplaceItemInObject(o, "fid", cJSON_CreateNull());
    } else
        add_func_ident(o, p, other);
    bool count_only = e->flags & PV_EDGE_COUNT_ONLY;
    if (count_only)
        cJSON_AddNullToObject(o, "cc");
    else
        add_int(o, "cc", e->cc);
    add_int(o, "nc", e->nc);
    add_num(o, "tt", count_only ? (double)NAN : e->tt);
    add_num(o, "ct", count_only ? (double)NAN : e->ct);
    cJSON_AddBoolToObject(o, "count_only", count_only);
    return o;
}

static void get_function(struct route_ctx *c, struct pv_model *m, const char *fid_text)
{
    const struct pv_profile *p = m->p;
    uint32_t fid;
    if (!parse_fid(p, fid_text, &fid)) {
        respond_error(c->res, 404, "not_found", "no function with that fid in this profile");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "function", func_row(p, fid));
    cJSON *callers = cJSON_AddArrayToObject(o, "callers");
    for (uint32_t k = p->callers_at[fid]; k < p->callers_at[fid + 1]; k++) {
        const struct pv_edge *e = &p->edges[p->by_callee[k]];
        cJSON_AddItemToArray(callers, edge_json(p, e, e->caller));
    }
    cJSON *callees = cJSON_AddArrayToObject(o, "callees");
    for (uint32_t k = p->callees_at[fid]; k < p->callees_at[fid + 1]; k++)
        cJSON_AddItemToArray(callees, edge_json(p, &p->edges[k], p->edges[k].callee));
    respond_json(c->res, 200, o);
}

/* ---- trees -------------------------------------------------------------- */

/* "1,2,3" into fids; false on anything else (an empty item included).
 * Empty or absent: the empty path. */
static bool parse_path(const struct pv_profile *p, const char *s, uint32_t *out, size_t cap,
                       size_t *n)
{
    *n = 0;
    if (!s || !*s)
        return true;
    for (;;) {
        size_t len = strcspn(s, ",");
        char item[24];
        long v;
        if (len >= sizeof item || *n == cap)
            return false;
        memcpy(item, s, len);
        item[len] = '\0';
        if (!parse_long(item, 0, (long)p->nfuncs - 1, &v))
            return false;
        out[(*n)++] = (uint32_t)v;
        if (!s[len])
            return true;
        s += len + 1; /* past the comma: "0," ends in an empty item */
    }
}

static bool parse_hide(const char *s, unsigned *out)
{
    *out = 0;
    if (!s)
        return true;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 8 && !strncmp(s, "builtins", n))
            *out |= PV_HIDE_BUILTINS;
        else if (n == 6 && !strncmp(s, "stdlib", n))
            *out |= PV_HIDE_STDLIB;
        else if (n == 13 && !strncmp(s, "site-packages", n))
            *out |= PV_HIDE_SITE;
        else if (n)
            return false;
        s += n;
        if (*s == ',')
            s++;
    }
    return true;
}

enum { MAX_PATH_FIDS = PV_API_MAX_PATH_FIDS };

/* Fill a query from the request; false after responding 400. */
static bool tree_query(struct route_ctx *c, const struct pv_profile *p,
                       struct pv_tree_query *q, uint32_t *path)
{
    *q = (struct pv_tree_query){.depth = 10, .cutoff = 0.001, .max_nodes = 20000, .path = path};
    long v;
    const char *s;
    if ((s = arg(c, "depth")) && !(parse_long(s, 1, 64, &v) && (q->depth = (int)v))) {
        respond_error(c->res, 400, "bad_request", "depth must be 1 to 64");
        return false;
    }
    if ((s = arg(c, "max_nodes"))) {
        if (!parse_long(s, 1, 100000, &v)) {
            respond_error(c->res, 400, "bad_request", "max_nodes must be 1 to 100000");
            return false;
        }
        q->max_nodes = (size_t)v;
    }
    if ((s = arg(c, "cutoff"))) {
        double d;
        if (!parse_decimal(s, &d) || !(d >= 0 && d <= 1)) {
            respond_error(c->res, 400, "bad_request", "cutoff must be a number from 0 to 1");
            return false;
        }
        q->cutoff = d;
    }
    if (!parse_hide(arg(c, "hide"), &q->hide)) {
        respond_error(c->res, 400, "bad_request",
                      "hide takes builtins, stdlib and site-packages, comma separated");
        return false;
    }
    if ((s = arg(c, "root")) && arg(c, "path")) {
        respond_error(c->res, 400, "bad_request", "give path or root, not both");
        return false;
    }
    if (s) {
        long any;
        if (!parse_long(s, 0, LONG_MAX, &any)) {
            respond_error(c->res, 400, "bad_request", "root must be a fid");
            return false;
        }
        if (!parse_fid(p, s, &q->root)) {
            respond_error(c->res, 404, "not_found", "no function with that fid in this profile");
            return false;
        }
        q->by_root = true;
    } else if (!parse_path(p, arg(c, "path"), path, MAX_PATH_FIDS, &q->npath)) {
        respond_error(c->res, 400, "bad_request", "path must be fids separated by commas");
        return false;
    }
    return true;
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
 * bytes at most. */
static void respond_stream(struct route_ctx *c, struct pv_model *m, struct pv_treejson *tree,
                           struct pv_export *export, uint64_t bound, const char *content_type)
{
    struct held *h = calloc(1, sizeof *h);
    pv_err err = {0};
    if (!h) {
        pv_treejson_destroy(tree);
        pv_export_destroy(export);
        atomic_fetch_sub(&c->api->streams, 1);
        respond_error(c->res, 500, "internal", "out of memory");
        return;
    }
    /* the route's hold ends when it returns: the stream takes its own */
    pv_models_hold(c->api->cache, m);
    *h = (struct held){.api = c->api, .m = m, .tree = tree, .export = export};
    /* The bound is a backstop too: a writer that passes it has a bug, and
     * its answer ends early rather than growing without end. */
    if (pv_stream_create(held_next, held_destroy, h, bound, &c->res->stream, &err)) {
        respond_failure(c->res, &err);
        return;
    }
    c->res->status = 200;
    c->res->content_type = content_type;
}

enum { LIGHT_TREE_STEPS = PV_API_LIGHT_TREE_STEPS };

static void get_tree(struct route_ctx *c, struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    uint32_t *path = malloc(MAX_PATH_FIDS * sizeof *path);
    struct pv_tree_query q;
    if (!path) {
        respond_error(c->res, 500, "internal", "out of memory");
        return;
    }
    if (!tree_query(c, p, &q, path)) {
        free(path);
        return;
    }
    q.stop = c->req->gone;
    q.stop_ctx = c->req->gone_ctx;
    q.max_steps = c->req->light ? LIGHT_TREE_STEPS : PV_TREE_DEFAULT_MAX_STEPS;
    struct pv_tree *t;
    pv_err err = {0};
    pv_code rc = pv_tree_build(p, &q, &t, &err);
    free(path);
    if (rc == PV_E_LIMIT && c->req->light) {
        c->res->heavy = true;
        return;
    }
    if (rc == PV_E_LIMIT) {
        respond_over_budget(c->res, err.msg, "steps", 0, PV_TREE_DEFAULT_MAX_STEPS);
        return;
    }
    struct pv_treejson *j;
    if (rc || pv_treejson_create(p, t, &j, &err)) {
        respond_failure(c->res, &err);
        return;
    }
    uint64_t bound = pv_treejson_bound(j), budget = c->api->cfg.max_tree_bytes;
    if (bound > budget) {
        char need[32], have[32], nodes[32], msg[256];
        pv_format_count(bound, need);
        pv_format_count(budget, have);
        pv_format_count(pv_treejson_nodes(j), nodes);
        snprintf(msg, sizeof msg,
                 "tree too large: up to %s bytes of JSON for %s nodes, over the budget of %s "
                 "bytes - lower max_nodes or depth, or raise cutoff",
                 need, nodes, have);
        pv_treejson_destroy(j);
        respond_over_budget(c->res, msg, "bytes", bound, budget);
        return;
    }
    if (!stream_place(c)) {
        pv_treejson_destroy(j);
        return;
    }
    respond_stream(c, m, j, NULL, bound, "application/json");
}

/* ---- source ------------------------------------------------------------- */

static void get_source(struct route_ctx *c, struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    uint32_t fid;
    if (!parse_fid(p, arg(c, "fid"), &fid)) {
        respond_error(c->res, 404, "not_found", "no function with that fid in this profile");
        return;
    }
    size_t n;
    const char *file = pv_profile_str(p, p->funcs[fid].file, &n);
    int64_t line = p->funcs[fid].line, first = line > 15 ? line - 15 : 1;
    struct pv_source_lines src;
    pv_err err = {0};
    if (strlen(file) != n ||
        pv_source_read(c->api->cfg.source_roots, c->api->cfg.nsource_roots, file, first,
                       line + 40, &src, &err)) {
        respond_error(c->res, 404, "not_found",
                      "source not available (not under a --source-root of this server)");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "file", json_bytes(file, n));
    add_int(o, "line", line);
    add_int(o, "first_line", first);
    cJSON *lines = cJSON_AddArrayToObject(o, "lines");
    for (size_t i = 0; i < src.n; i++)
        cJSON_AddItemToArray(lines, json_bytes(src.lines[i], src.lens[i]));
    pv_source_fini(&src);
    respond_json(c->res, 200, o);
}

/* ---- exports ------------------------------------------------------------ */

static void get_export(struct route_ctx *c, struct pv_model *m)
{
    const char *word = arg(c, "format");
    pv_export_format format;
    pv_err err = {0};
    if (pv_export_format_parse(word ? word : "json", &format, &err)) {
        respond_error(c->res, 400, "bad_request", "format must be json, speedscope or collapsed");
        return;
    }
    struct pv_export *x;
    if (pv_export_create(m->p, c->id, format, c->req->gone, c->req->gone_ctx, &x, &err)) {
        if (err.code == PV_E_LIMIT)
            respond_over_budget(c->res, err.msg, "steps", 0, PV_TREE_DEFAULT_MAX_STEPS);
        else
            respond_failure(c->res, &err);
        return;
    }
    uint64_t bound = pv_export_bound(x), budget = c->api->cfg.max_export_bytes;
    if (bound > budget) {
        pv_export_over_budget(bound, budget, &err);
        pv_export_destroy(x);
        respond_over_budget(c->res, err.msg, "bytes", bound, budget);
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
    if (thread_store(c->api, &s, &err)) {
        respond_failure(c->res, &err);
        return;
    }
    const char *name = arg(c, "name");
    if (!name || !*name)
        name = req->upload_name && *req->upload_name ? req->upload_name : "upload.prof";
    char clean[256];
    snprintf(clean, sizeof clean, "%s", name); /* names are shown, not trusted: cap them */
    struct pv_import res;
    struct pv_profile *p;
    pv_code rc = pv_store_import(s, req->body, req->body_len, clean, NULL, &p, &res, &err);
    /* The uploader opens it next: keep the parsed model in the cache (best
     * effort: failing that, the first view loads it). */
    struct pv_model *m;
    pv_err ignored;
    if (p && pv_models_add_take(c->api->cache, res.id, p, &m, &ignored) == PV_OK)
        pv_models_release(c->api->cache, m);
    if (rc) {
        respond_failure(c->res, &err);
        if (rc == PV_E_BUSY)
            c->res->retry_after_s = pv_store_retry_after_s(s);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    char url[64];
    snprintf(url, sizeof url, "/p/%s", res.id);
    cJSON_AddStringToObject(o, "id", res.id);
    cJSON_AddItemToObject(o, "name", json_bytes(res.name, strlen(res.name)));
    cJSON_AddStringToObject(o, "url", url);
    if (res.created)
        cJSON_AddStringToObject(o, "delete_token", res.delete_token);
    cJSON_AddNumberToObject(o, "functions", res.functions);
    cJSON_AddNumberToObject(o, "edges", res.edges);
    add_num(o, "total_time", res.total_tt);
    add_int(o, "total_calls", res.total_calls);
    free(res.name);
    respond_json(c->res, res.created ? 201 : 200, o);
}

static bool add_listed(const struct pv_meta *m, void *ctx)
{
    cJSON_AddItemToArray(ctx, meta_json(m));
    return true;
}

static void list_profiles(struct route_ctx *c)
{
    if (!c->api->cfg.list) {
        respond_error(c->res, 404, "not_found",
                      "this server does not list profiles (start it with --list)");
        return;
    }
    long limit = 50, offset = 0;
    if ((arg(c, "limit") && !parse_long(arg(c, "limit"), 1, 1000, &limit)) ||
        (arg(c, "offset") && !parse_long(arg(c, "offset"), 0, LONG_MAX, &offset))) {
        respond_error(c->res, 400, "bad_request", "limit is 1 to 1000, offset 0 or more");
        return;
    }
    const char *q = arg(c, "q");
    if (q && strlen(q) > 255) { /* names are kept to 255 bytes */
        respond_error(c->res, 400, "bad_request", "q is at most 255 bytes");
        return;
    }
    struct pv_store_list_query query = {.name_contains = q, .limit = limit, .offset = offset};
    pv_err err = {0};
    struct pv_store *s = NULL;
    int64_t total = 0;
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (thread_store(c->api, &s, &err) ||
        pv_store_list(s, &query, add_listed, arr, &total, &err)) {
        cJSON_Delete(arr);
        cJSON_Delete(o);
        respond_failure(c->res, &err);
        return;
    }
    add_int(o, "total", total);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    cJSON_AddItemToObject(o, "profiles", arr);
    respond_json(c->res, 200, o);
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
        respond_failure(c->res, &err);
        if (err.code == PV_E_BUSY)
            c->res->retry_after_s = pv_store_retry_after_s(s);
        return;
    }
    /* Its model and every answer about it, from the one cache: */
    pv_cache_drop_group(c->api->cache, c->id);
    c->res->status = 204;
    c->res->content_type = "application/json";
    c->res->body = NULL;
    c->res->len = 0;
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

/* The nodes a tree query can have at most: max_nodes, or fewer when the
 * cutoff allows fewer.  Per level, children kept are worth at least
 * cutoff x the root each and add up to at most the root, so at most
 * 1/cutoff of them; "other" nodes are at most one per parent expanded. */
static double tree_nodes_bound(struct route_ctx *c)
{
    long depth = PV_TREE_DEFAULT_DEPTH, max_nodes = PV_TREE_DEFAULT_MAX_NODES;
    double cutoff = PV_TREE_DEFAULT_CUTOFF;
    const char *s;
    char *end;
    if ((s = arg(c, "depth")))
        parse_long(s, 1, PV_TREE_MAX_DEPTH, &depth);
    if ((s = arg(c, "max_nodes")))
        parse_long(s, 1, PV_TREE_MAX_NODES, &max_nodes);
    if ((s = arg(c, "cutoff"))) {
        double d = strtod(s, &end);
        if (!*end && d >= 0 && d <= 1)
            cutoff = d;
    }
    double by_cutoff = cutoff > 0 ? 1 + (double)depth * 2 / cutoff : (double)INFINITY;
    return fmin((double)max_nodes, by_cutoff);
}

bool pv_api_is_heavy(struct pv_api *api, const struct pv_request *req)
{
    const char *path = req->path;
    if (pv_api_diff_owns(path))
        return pv_api_diff_is_heavy(api, req);
    if ((strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) ||
        strncmp(path, "/api/profiles/", 14))
        return false;
    const char *id = path + 14;
    size_t n = strcspn(id, "/");
    if (!valid_id(id, n))
        return false;
    struct route_ctx c = {.api = api, .req = req, .rest = id + n};
    memcpy(c.id, id, n);
    c.id[n] = '\0';
    struct pv_model *m = pv_models_get(api->cache, c.id);
    if (!m)
        return pv_api_model_is_heavy(api, c.id);
    bool heavy = false;
    if (!strcmp(c.rest, "/tree")) {
        const char *hide = arg(&c, "hide");
        heavy = tree_nodes_bound(&c) > HEAVY_TREE_NODES ||
                (hide && *hide && m->p->nedges > HEAVY_HIDE_EDGES);
    } else if (!strcmp(c.rest, "/export")) {
        const char *format = arg(&c, "format");
        heavy = format && (!strcmp(format, "speedscope") || !strcmp(format, "collapsed"));
    }
    pv_models_release(api->cache, m);
    return heavy;
}

/* ---- dispatch ----------------------------------------------------------- */

bool pv_api_owns(const char *path)
{
    return !strncmp(path, "/api/", 5) || !strcmp(path, "/api") || !strcmp(path, "/healthz");
}

struct pv_cache *pv_api_cache(struct pv_api *api)
{
    return api->cache;
}

bool pv_api_profile_exists(struct pv_api *api, const char *id)
{
    struct pv_store *s = NULL;
    struct pv_import res;
    pv_err err = {0};
    if (!valid_id(id, strlen(id)) || thread_store(api, &s, &err) ||
        pv_store_find(s, id, &res, &err))
        return false;
    free(res.name);
    return true;
}

static void method_not_allowed(struct pv_response *res)
{
    respond_error(res, 405, "method_not_allowed", "method not allowed here");
}

/* Profile routes: /api/profiles/<id>[/...]. */
static void profile_route(struct route_ctx *c)
{
    const char *method = c->req->method, *rest = c->rest;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(method, "DELETE")) {
        if (*rest)
            method_not_allowed(c->res);
        else
            delete_profile(c);
        return;
    }
    if (!get) {
        method_not_allowed(c->res);
        return;
    }
    struct pv_model *m = NULL;
    pv_err err = {0};
    if (model_get(c->api, c->id, &m, &err)) {
        respond_failure(c->res, &err);
        return;
    }
    if (!*rest)
        get_meta(c, m);
    else if (!strcmp(rest, "/functions"))
        get_functions(c, m);
    else if (!strncmp(rest, "/functions/", 11))
        get_function(c, m, rest + 11);
    else if (!strcmp(rest, "/tree"))
        get_tree(c, m);
    else if (!strcmp(rest, "/source"))
        get_source(c, m);
    else if (!strcmp(rest, "/export"))
        get_export(c, m);
    else
        respond_error(c->res, 404, "not_found", "no such route");
    pv_models_release(c->api->cache, m);
    /* Everything under a profile is fixed by its bytes: cacheable forever
     * (the ETag names the profile; http adds the query). */
    if (c->res->status == 200 && strcmp(rest, "/source")) {
        c->res->immutable = true;
        snprintf(c->res->etag, sizeof c->res->etag, "%s", c->id);
    }
}

void pv_api_handle(struct pv_api *api, const struct pv_request *req, struct pv_response *res)
{
    *res = (struct pv_response){.status = 500, .content_type = "application/json"};
    struct route_ctx c = {.api = api, .req = req, .res = res};
    const char *path = req->path;
    if (!strcmp(path, "/healthz")) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", true);
        respond_json(res, 200, o);
        return;
    }
    if (!strcmp(path, "/api/profiles") || !strcmp(path, "/api/profiles/")) {
        if (!strcmp(req->method, "POST"))
            post_profile(&c);
        else if (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"))
            list_profiles(&c);
        else
            method_not_allowed(res);
        return;
    }
    if (pv_api_diff_owns(path)) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
            method_not_allowed(res);
        else
            pv_api_diff_handle(api, req, res);
        return;
    }
    if (!strncmp(path, "/api/profiles/", 14)) {
        const char *id = path + 14;
        size_t n = strcspn(id, "/");
        if (!valid_id(id, n)) {
            respond_error(res, 404, "not_found", "no profile with that id");
            return;
        }
        memcpy(c.id, id, n);
        c.id[n] = '\0';
        c.rest = id + n;
        profile_route(&c);
        return;
    }
    respond_error(res, 404, "not_found", "no such route");
}

/* ---- for the other route files (api_route.h) ----------------------------- */

const char *pv_api_arg(const struct pv_request *req, const char *name)
{
    return req->arg ? req->arg(req->ctx, name) : NULL;
}

bool pv_api_parse_long(const char *s, long lo, long hi, long *out)
{
    return parse_long(s, lo, hi, out);
}

bool pv_api_valid_id(const char *s, size_t n)
{
    return valid_id(s, n);
}

pv_code pv_api_model_get(struct pv_api *api, const char *id, struct pv_model **out, pv_err *err)
{
    return model_get(api, id, out, err);
}

void pv_api_model_release(struct pv_api *api, struct pv_model *m)
{
    pv_models_release(api->cache, m);
}

bool pv_api_model_is_heavy(struct pv_api *api, const char *id)
{
    struct pv_model *m = pv_models_get(api->cache, id);
    if (m) {
        pv_models_release(api->cache, m);
        return false;
    }
    struct pv_store *s = NULL;
    struct pv_meta meta;
    pv_err err = {0};
    if (thread_store(api, &s, &err) || pv_store_meta(s, id, &meta, &err))
        return false; /* an unknown id is a quick 404 */
    bool big = meta.size_bytes > HEAVY_LOAD_BYTES;
    pv_meta_fini(&meta);
    return big;
}

bool pv_api_tree_query(struct pv_api *api, const struct pv_request *req, struct pv_response *res,
                       const struct pv_profile *p, struct pv_tree_query *q, uint32_t *path)
{
    struct route_ctx c = {.api = api, .req = req, .res = res};
    return tree_query(&c, p, q, path);
}

double pv_api_tree_nodes_bound(struct pv_api *api, const struct pv_request *req)
{
    struct route_ctx c = {.api = api, .req = req};
    return tree_nodes_bound(&c);
}

uint64_t pv_api_max_tree_bytes(const struct pv_api *api)
{
    return api->cfg.max_tree_bytes;
}

void pv_api_respond_json(struct pv_response *res, int status, cJSON *json)
{
    respond_json(res, status, json);
}

void pv_api_respond_failure(struct pv_response *res, const pv_err *err)
{
    respond_failure(res, err);
}

void pv_api_respond_over_budget(struct pv_response *res, const char *message, const char *unit,
                                uint64_t needed, uint64_t budget)
{
    respond_over_budget(res, message, unit, needed, budget);
}

void pv_api_json_func(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    add_func_ident(o, p, fid);
}

void pv_api_json_int(cJSON *o, const char *key, int64_t v)
{
    add_int(o, key, v);
}
