/* api_json.c - the JSON documents the API answers (see api_json.h), and
 * its error answer: the one place where codes become statuses. */
#include "api_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "funckind.h"
#include "jsonw.h"

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

/* ---- text --------------------------------------------------------------- */

/* A JSON string of untrusted bytes: NUL, control characters and invalid
 * UTF-8 escaped as pv_jsonw_string does. */
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
    pv_jsonw_string(f, s, n);
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
void pv_api_json_int(cJSON *o, const char *key, int64_t v)
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

/* ---- functions ---------------------------------------------------------- */

static void add_label(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    size_t n;
    char *label = pv_profile_label_dup(p, fid, PV_VIEW_TEXT_MAX, &n);
    cJSON_AddItemToObject(o, "label", label ? json_view_text(label, n) : cJSON_CreateNull());
    free(label);
}

void pv_api_json_func(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    cJSON_AddNumberToObject(o, "fid", fid);
    add_str(o, "file", p, f->file);
    pv_api_json_int(o, "line", f->line);
    add_str(o, "name", p, f->name);
    add_label(o, p, fid);
    cJSON_AddStringToObject(o, "kind", pv_funckind_name(pv_funckind_of(p, fid)));
}

double pv_api_json_share_base(const struct pv_profile *p, const struct pv_entry *entries,
                              size_t nentries)
{
    double top = 0; /* the virtual root's value, as tree.c's plant_root() adds it */
    for (size_t i = 0; i < nentries; i++)
        top += entries[i].value;
    return fmax(p->total_tt, top); /* fmax: a NaN total (a file's NaN times) gives way */
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
    pv_api_json_func(o, p, fid);
    pv_api_json_int(o, "cc", f->cc);
    pv_api_json_int(o, "nc", f->nc);
    add_num(o, "tt", f->tt);
    add_num(o, "ct", f->ct);
    add_num(o, "tt_percall", f->nc ? f->tt / (double)f->nc : (double)NAN);
    add_num(o, "ct_percall", f->cc ? f->ct / (double)f->cc : (double)NAN);
    add_num(o, "tt_pct", share_pct(f->tt, share_base));
    add_num(o, "ct_pct", share_pct(f->ct, share_base));
    return o;
}

/* The edge e seen from its other end: a caller or a callee. */
static cJSON *edge_json(const struct pv_profile *p, const struct pv_edge *e, uint32_t other)
{
    cJSON *o = cJSON_CreateObject();
    pv_api_json_func(o, p, other);
    if (p->funcs[other].flags & PV_FUNC_PHANTOM) /* a dangling caller: no row of its own */
        cJSON_ReplaceItemInObject(o, "fid", cJSON_CreateNull());
    bool count_only = e->flags & PV_EDGE_COUNT_ONLY;
    if (count_only)
        cJSON_AddNullToObject(o, "cc");
    else
        pv_api_json_int(o, "cc", e->cc);
    pv_api_json_int(o, "nc", e->nc);
    add_num(o, "tt", count_only ? (double)NAN : e->tt);
    add_num(o, "ct", count_only ? (double)NAN : e->ct);
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
    add_num(o, "total_time", p->total_tt);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = (size_t)offset; i < n && i < (size_t)offset + (size_t)limit; i++)
        cJSON_AddItemToArray(rows, pv_api_json_function(p, fids[i], share_base));
    return o;
}

void pv_api_json_add_search(cJSON *page, size_t count, double seconds, double share_base)
{
    cJSON *s = cJSON_AddObjectToObject(page, "search");
    cJSON_AddNumberToObject(s, "count", (double)count);
    add_num(s, "time", seconds);
    add_num(s, "pct", share_pct(seconds, share_base));
}

cJSON *pv_api_json_path(uint32_t fid, const uint32_t *path, size_t len, double value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "fid", fid);
    cJSON *a = cJSON_AddArrayToObject(o, "path");
    for (size_t i = 0; i < len; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(path[i]));
    add_num(o, "value", value);
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

cJSON *pv_api_json_entries(const struct pv_profile *p, const struct pv_entry *entries,
                           size_t nentries)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < nentries; i++) {
        cJSON *e = cJSON_CreateObject();
        pv_api_json_func(e, p, entries[i].fid);
        add_num(e, "value", entries[i].value);
        cJSON_AddItemToArray(list, e);
    }
    return list;
}

cJSON *pv_api_json_meta(const struct pv_store_meta *m, cJSON *entries)
{
    cJSON *o = cJSON_CreateObject();
    char when[32];
    iso_time(m->created_ms, when);
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddItemToObject(o, "name", json_bytes(m->name, strlen(m->name)));
    add_url(o, m->id);
    pv_api_json_int(o, "size_bytes", m->size_bytes);
    cJSON_AddNumberToObject(o, "marshal_version", m->marshal_version);
    cJSON_AddBoolToObject(o, "python2", m->python2);
    cJSON_AddStringToObject(o, "created", when);
    pv_api_json_int(o, "total_calls", m->total_calls);
    pv_api_json_int(o, "prim_calls", m->prim_calls);
    add_num(o, "total_time", m->total_tt);
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
    pv_api_json_int(o, "total", total);
    cJSON_AddNumberToObject(o, "offset", (double)q->offset);
    cJSON_AddNumberToObject(o, "limit", (double)q->limit);
    cJSON_AddItemToObject(o, "profiles", list);
    return o;
}

cJSON *pv_api_json_import(const struct pv_store_record *res)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", res->id);
    cJSON_AddItemToObject(o, "name", json_bytes(res->name, strlen(res->name)));
    add_url(o, res->id);
    if (res->created)
        cJSON_AddStringToObject(o, "delete_token", res->delete_token);
    cJSON_AddNumberToObject(o, "functions", res->functions);
    cJSON_AddNumberToObject(o, "edges", res->edges);
    add_num(o, "total_time", res->total_tt);
    pv_api_json_int(o, "total_calls", res->total_calls);
    return o;
}

cJSON *pv_api_json_source(const char *file, size_t file_len, int64_t line, int64_t first,
                          const struct pv_source_lines *lines)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "file", json_bytes(file, file_len));
    cJSON_AddItemToObject(o, "path", json_bytes(lines->path, strlen(lines->path)));
    pv_api_json_int(o, "line", line);
    pv_api_json_int(o, "first_line", first);
    cJSON *list = cJSON_AddArrayToObject(o, "lines");
    for (size_t i = 0; i < lines->n; i++)
        cJSON_AddItemToArray(list, json_bytes(lines->lines[i], lines->lens[i]));
    return o;
}
