/* api_json.c - the JSON documents the API answers (see api_json.h), and
 * its error answer: the one place where codes become statuses. */
#include "api_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile_json.h"

/* ---- answers ------------------------------------------------------------ */

/* Printed when even the error cannot be: no allocation needed. */
static const char OUT_OF_MEMORY[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

void pv_api_json_respond(struct pv_response *res, int status, cJSON *doc)
{
    res->status = status;
    res->content_type = "application/json";
    res->body = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!res->body) {
        res->status = 500;
        res->body = strdup(OUT_OF_MEMORY);
    }
    res->len = res->body ? strlen(res->body) : 0;
}

/* docs/API.md's table of errors, by code. */
static const struct {
    int status;
    const char *word;
} STATUSES[] = {
    [PV_OK] = {500, "internal"}, /* an error without a code is a bug */
    [PV_E_FORMAT] = {422, "not_a_profile"},
    [PV_E_SHAPE] = {422, "not_a_profile"},
    [PV_E_LIMIT] = {422, "not_a_profile"}, /* the reader's limits; an answer's are PV_E_BUDGET */
    [PV_E_NOMEM] = {500, "internal"},
    [PV_E_IO] = {500, "internal"},
    [PV_E_DB] = {500, "internal"},
    [PV_E_NOTFOUND] = {404, "not_found"},
    [PV_E_USAGE] = {400, "bad_request"},
    [PV_E_DENIED] = {403, "forbidden"},
    [PV_E_BUSY] = {503, "busy"},
    [PV_E_FULL] = {507, "insufficient_storage"},
    [PV_E_CANCELLED] = {503, "cancelled"}, /* nobody reads it: the client has gone */
    [PV_E_BUDGET] = {413, "over_budget"},
    [PV_E_TOO_LARGE] = {413, "too_large"},
    [PV_E_MEDIA] = {415, "unsupported_media_type"},
    [PV_E_METHOD] = {405, "method_not_allowed"},
};

void pv_api_error(struct pv_response *res, const pv_err *err, const struct pv_api_budget *over)
{
    size_t at = (size_t)err->code < sizeof STATUSES / sizeof STATUSES[0] ? (size_t)err->code : 0;
    int status = STATUSES[at].status;
    if (status == 500)
        fprintf(stderr, "pstatsviz: internal error: %s\n", err->msg);
    cJSON *doc = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddStringToObject(e, "code", STATUSES[at].word);
    cJSON_AddStringToObject(e, "message", err->msg);
    if (err->code == PV_E_BUDGET && over) {
        cJSON_AddStringToObject(e, "unit", over->unit);
        if (over->needed) /* 0: not known, only that it is over */
            cJSON_AddNumberToObject(e, "needed", (double)over->needed);
        cJSON_AddNumberToObject(e, "budget", (double)over->budget);
    }
    if (!e) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    *res = (struct pv_response){0};
    /* A busy server says when to come back; a route that knows better
     * says so after this. */
    res->retry_after_s = err->code == PV_E_BUSY ? 1 : 0;
    pv_api_json_respond(res, status, doc);
}

/* ---- functions ---------------------------------------------------------- */

double pv_api_json_share_base(const struct pv_profile *p, const struct pv_entry *entries,
                              size_t nentries)
{
    /* fmax: a NaN total (a file's NaN times) gives way */
    return fmax(p->total_tt, pv_tree_entries_value(entries, nentries));
}

/* 100 * part / base, at most 100 (a function's ct can exceed the root's
 * value only in files whose times contradict each other), or NaN when
 * there is no base. */
static double share_pct(double part, double base)
{
    return base > 0 && isfinite(base) ? fmin(100, 100 * part / base) : (double)NAN;
}

cJSON *pv_api_json_function(const struct pv_profile *p, uint32_t fid, double share_base)
{
    const struct pv_func *f = &p->funcs[fid];
    cJSON *o = cJSON_CreateObject();
    pv_profile_json_func(o, p, fid);
    pv_profile_json_int(o, "cc", f->cc);
    pv_profile_json_int(o, "nc", f->nc);
    pv_profile_json_num(o, "tt", f->tt);
    pv_profile_json_num(o, "ct", f->ct);
    pv_profile_json_num(o, "tt_percall", f->nc ? f->tt / (double)f->nc : (double)NAN);
    pv_profile_json_num(o, "ct_percall", f->cc ? f->ct / (double)f->cc : (double)NAN);
    pv_profile_json_num(o, "tt_pct", share_pct(f->tt, share_base));
    pv_profile_json_num(o, "ct_pct", share_pct(f->ct, share_base));
    return o;
}

/* The edge e seen from its other end: a caller or a callee. */
static cJSON *edge_json(const struct pv_profile *p, const struct pv_edge *e, uint32_t other)
{
    cJSON *o = cJSON_CreateObject();
    pv_profile_json_func(o, p, other);
    if (p->funcs[other].flags & PV_FUNC_PHANTOM) /* a dangling caller: no row of its own */
        cJSON_ReplaceItemInObject(o, "fid", cJSON_CreateNull());
    bool count_only = pv_profile_edge_count_only(p, e);
    if (count_only)
        cJSON_AddNullToObject(o, "cc");
    else
        pv_profile_json_int(o, "cc", e->cc);
    pv_profile_json_int(o, "nc", e->nc);
    pv_profile_json_num(o, "tt", count_only ? (double)NAN : e->tt);
    pv_profile_json_num(o, "ct", count_only ? (double)NAN : e->ct);
    cJSON_AddBoolToObject(o, "count_only", count_only);
    return o;
}

cJSON *pv_api_json_function_detail(const struct pv_profile *p, uint32_t fid, double share_base)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "function", pv_api_json_function(p, fid, share_base));
    cJSON *callers = cJSON_AddArrayToObject(o, "callers");
    for (uint32_t k = p->callers_at[fid]; k < p->callers_at[fid + 1]; k++) {
        const struct pv_edge *e = &p->edges[p->by_callee[k]];
        cJSON_AddItemToArray(callers, edge_json(p, e, e->caller));
    }
    cJSON *callees = cJSON_AddArrayToObject(o, "callees");
    for (uint32_t k = p->callees_at[fid]; k < p->callees_at[fid + 1]; k++)
        cJSON_AddItemToArray(callees, edge_json(p, &p->edges[k], p->edges[k].callee));
    return o;
}

cJSON *pv_api_json_functions_page(const struct pv_profile *p, const uint32_t *fids, size_t n,
                                  long offset, long limit, double share_base)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double)n);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    pv_profile_json_num(o, "total_time", p->total_tt);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = (size_t)offset; i < n && i < (size_t)offset + (size_t)limit; i++)
        cJSON_AddItemToArray(rows, pv_api_json_function(p, fids[i], share_base));
    return o;
}

void pv_api_json_add_search(cJSON *page, size_t count, double seconds, double share_base)
{
    cJSON *s = cJSON_AddObjectToObject(page, "search");
    cJSON_AddNumberToObject(s, "count", (double)count);
    pv_profile_json_num(s, "time", seconds);
    pv_profile_json_num(s, "pct", share_pct(seconds, share_base));
}

cJSON *pv_api_json_path(uint32_t fid, const uint32_t *path, size_t len, double value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "fid", fid);
    cJSON *a = cJSON_AddArrayToObject(o, "path");
    for (size_t i = 0; i < len; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(path[i]));
    pv_profile_json_num(o, "value", value);
    return o;
}

/* ---- profiles ----------------------------------------------------------- */

static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void add_url(cJSON *o, const char *id)
{
    char url[64];
    snprintf(url, sizeof url, "/p/%s", id);
    cJSON_AddStringToObject(o, "url", url);
}

cJSON *pv_api_json_meta(const struct pv_store_meta *m, cJSON *entries)
{
    cJSON *o = cJSON_CreateObject();
    char when[32];
    iso_time(m->created_ms, when);
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddItemToObject(o, "name", pv_profile_json_bytes(m->name, strlen(m->name)));
    add_url(o, m->id);
    pv_profile_json_int(o, "size_bytes", m->size_bytes);
    cJSON_AddNumberToObject(o, "marshal_version", m->marshal_version);
    cJSON_AddBoolToObject(o, "python2", m->python2);
    cJSON_AddStringToObject(o, "created", when);
    pv_profile_json_int(o, "total_calls", m->total_calls);
    pv_profile_json_int(o, "prim_calls", m->prim_calls);
    pv_profile_json_num(o, "total_time", m->total_tt);
    cJSON_AddNumberToObject(o, "functions", m->functions);
    cJSON_AddNumberToObject(o, "edges", m->edges);
    cJSON *w = cJSON_Parse(m->warnings_json);
    cJSON_AddItemToObject(o, "warnings", w ? w : cJSON_CreateArray());
    if (entries)
        cJSON_AddItemToObject(o, "entries", entries);
    return o;
}

cJSON *pv_api_json_list_page(cJSON *list, int64_t total, const struct pv_store_list_query *q)
{
    cJSON *o = cJSON_CreateObject();
    pv_profile_json_int(o, "total", total);
    cJSON_AddNumberToObject(o, "offset", (double)q->offset);
    cJSON_AddNumberToObject(o, "limit", (double)q->limit);
    cJSON_AddItemToObject(o, "profiles", list);
    return o;
}

cJSON *pv_api_json_import(const struct pv_store_record *res)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", res->id);
    cJSON_AddItemToObject(o, "name", pv_profile_json_bytes(res->name, strlen(res->name)));
    add_url(o, res->id);
    if (res->created)
        cJSON_AddStringToObject(o, "delete_token", res->delete_token);
    cJSON_AddNumberToObject(o, "functions", res->functions);
    cJSON_AddNumberToObject(o, "edges", res->edges);
    pv_profile_json_num(o, "total_time", res->total_tt);
    pv_profile_json_int(o, "total_calls", res->total_calls);
    return o;
}

cJSON *pv_api_json_source(const char *file, size_t file_len, int64_t line, int64_t first,
                          const struct pv_source_lines *lines)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "file", pv_profile_json_bytes(file, file_len));
    cJSON_AddItemToObject(o, "path", pv_profile_json_bytes(lines->path, strlen(lines->path)));
    pv_profile_json_int(o, "line", line);
    pv_profile_json_int(o, "first_line", first);
    cJSON *list = cJSON_AddArrayToObject(o, "lines");
    for (size_t i = 0; i < lines->n; i++)
        cJSON_AddItemToArray(list, pv_profile_json_bytes(lines->lines[i], lines->lens[i]));
    return o;
}
