/* api_memory.c - memory data routes, and memory data in the other routes
 * (see api_memory.h). */
#include "api_memory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_json.h"
#include "api_params.h"
#include "api_route.h"
#include "cache.h"
#include "jsonw.h"
#include "memory.h"
#include "memsamples.h"
#include "vec.h"

bool pv_api_memory_owns(const char *path)
{
    return !strcmp(path, "/api/memory") || !strncmp(path, "/api/memory/", 12);
}

static void fail_with(struct pv_response *res, pv_code code, const char *msg)
{
    pv_err err;
    pv_err_set(&err, code, "%s", msg);
    pv_api_error(res, &err, NULL);
}

/* What the memstream f (open_memstream(text, len)) made, as the answer:
 * closing it sets *text and *len.  Out of memory, a 500. */
static void respond_text(struct pv_response *res, FILE *f, char **text, size_t *len)
{
    bool failed = ferror(f);
    if (fclose(f) || failed) {
        free(*text);
        fail_with(res, PV_E_NOMEM, "out of memory");
        return;
    }
    *res = (struct pv_response){.status = 200, .content_type = "application/json", .body = *text,
                                .len = *len};
}

static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* {"id","name","created","attached_to", then the body's fields. */
static void write_head(FILE *f, const struct pv_store_memory *m)
{
    char when[32];
    iso_time(m->created_ms, when);
    fprintf(f, "{\"id\":\"%s\",\"name\":", m->id);
    pv_jsonw_string(f, m->name, strlen(m->name));
    fprintf(f, ",\"created\":\"%s\",\"attached_to\":[", when);
    for (size_t i = 0; i < m->nattached; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", m->attached_to[i]);
    fputs("],", f);
    fputs(m->record_json + 1, f); /* the body without its "{" */
}

static void get_record(struct pv_store *s, const char *id, struct pv_response *res)
{
    struct pv_store_memory m;
    pv_err err = {0};
    if (pv_store_memory_init(&m, s, id, PV_STORE_MEMORY_RECORD, &err)) {
        pv_api_error(res, &err, NULL);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        pv_store_memory_fini(&m);
        fail_with(res, PV_E_NOMEM, "out of memory");
        return;
    }
    write_head(f, &m);
    pv_store_memory_fini(&m);
    respond_text(res, f, &text, &len);
}

/* ---- samples, downsampled (memsamples.c) --------------------------------- */

static double number(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}


enum { WIDTH_DEFAULT = 1000, WIDTH_MAX = 8192 };

static void get_samples(struct pv_store *s, const char *id, const struct pv_request *req,
                        struct pv_response *res)
{
    pv_err err = {0};
    long width = WIDTH_DEFAULT;
    double t0 = 0, t1 = 0;
    const char *w = pv_api_params_arg(req, "width"), *a = pv_api_params_arg(req, "t0"),
               *b = pv_api_params_arg(req, "t1");
    if (w && !pv_api_params_integer(w, 1, WIDTH_MAX, &width)) {
        fail_with(res, PV_E_USAGE, "width is 1 to 8192");
        return;
    }
    if ((a && !pv_api_params_decimal(a, &t0)) || (b && !pv_api_params_decimal(b, &t1))) {
        fail_with(res, PV_E_USAGE, "t0 and t1 are times: decimal numbers");
        return;
    }
    struct pv_store_memory m = {0};
    struct pv_memsamples *samples = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = NULL;
    if (pv_store_memory_init(&m, s, id, PV_STORE_MEMORY_RECORD, &err))
        goto free_samples;
    if (strcmp(m.kind, "mprof")) {
        pv_err_set(&err, PV_E_NOTFOUND, "no samples: this memory data is a line report");
        goto free_samples;
    }
    if (!a || !b) { /* the whole recording by default: the record has its span */
        cJSON *rec = cJSON_Parse(m.record_json);
        double lo = number(rec, "start_t"), hi = number(rec, "end_t");
        cJSON_Delete(rec);
        if (lo != lo || hi != hi) {
            pv_err_set(&err, PV_E_NOMEM, "out of memory");
            goto free_samples;
        }
        t0 = a ? t0 : lo;
        t1 = b ? t1 : hi;
    }
    if (t1 < t0) {
        pv_err_set(&err, PV_E_USAGE, "t1 is before t0");
        goto free_samples;
    }
    if (pv_memsamples_read(s, id, t0, t1, (size_t)width, &samples, &err))
        goto free_samples;
    if (!(f = open_memstream(&text, &len))) {
        pv_err_set(&err, PV_E_NOMEM, "out of memory");
        goto free_samples;
    }
    pv_memsamples_write(f, samples);
    pv_memsamples_destroy(samples);
    pv_store_memory_fini(&m);
    respond_text(res, f, &text, &len);
    return;

free_samples:
    pv_memsamples_destroy(samples);
    pv_store_memory_fini(&m);
    pv_api_error(res, &err, NULL);
}

/* ---- delete -------------------------------------------------------------- */

static void delete_record(struct pv_api *api, struct pv_store *s, const char *id,
                          const struct pv_request *req, struct pv_response *res)
{
    const char *auth = req->header ? req->header(req->ctx, "Authorization") : NULL;
    const char *token = ""; /* as DELETE /api/profiles/<id> reads it */
    if (auth && !strncasecmp(auth, "Bearer", 6) && auth[6] == ' ')
        token = auth + 6 + strspn(auth + 6, " ");
    pv_err err = {0};
    struct pv_store_memory m;
    if (pv_store_memory_init(&m, s, id, 0, &err)) {
        pv_api_error(res, &err, NULL);
        return;
    }
    if (pv_store_memory_delete(s, id, token, &err)) {
        pv_store_memory_fini(&m);
        pv_api_error(res, &err, NULL);
        if (err.code == PV_E_BUSY)
            res->retry_after_s = pv_store_retry_after_s(s);
        return;
    }
    /* The profiles it was attached to show it no longer. */
    for (size_t i = 0; i < m.nattached; i++)
        pv_api_drop_answers(api, m.attached_to[i]);
    pv_store_memory_fini(&m);
    *res = (struct pv_response){.status = 204, .content_type = "application/json"};
}

void pv_api_memory_handle(struct pv_api *api, const struct pv_request *req,
                          struct pv_response *res)
{
    const char *id = req->path + strlen("/api/memory/");
    size_t n = strlen(req->path) > 12 ? strcspn(id, "/") : 0;
    if (!n || !pv_api_params_id(id, n)) {
        fail_with(res, PV_E_NOTFOUND, "no memory data with that id");
        return;
    }
    char key[PV_STORE_ID_HEX + 1];
    memcpy(key, id, PV_STORE_ID_HEX);
    key[PV_STORE_ID_HEX] = '\0';
    const char *rest = id + n;
    bool read = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    struct pv_store *s = NULL;
    pv_err err = {0};
    if (strcmp(rest, "") && strcmp(rest, "/samples")) {
        fail_with(res, PV_E_NOTFOUND, "no such route");
        return;
    }
    if (!read && !(!strcmp(req->method, "DELETE") && !*rest)) {
        fail_with(res, PV_E_METHOD, "method not allowed here");
        return;
    }
    if (pv_api_store(api, &s, &err)) {
        pv_api_error(res, &err, NULL);
        return;
    }
    if (!read)
        delete_record(api, s, key, req, res);
    else if (*rest)
        get_samples(s, key, req, res);
    else
        get_record(s, key, res);
}

/* ---- uploads and profiles ------------------------------------------------ */

cJSON *pv_api_memory_import_json(const struct pv_store_memory_import *res, const char *attach_to)
{
    cJSON *o = cJSON_Parse(res->summary_json);
    if (!o)
        return NULL;
    cJSON_AddItemToObjectCS(o, "id", cJSON_CreateString(res->id));
    cJSON_AddItemToObjectCS(o, "name", cJSON_CreateString(res->name));
    cJSON_AddItemToObjectCS(o, "kind", cJSON_CreateString(res->kind));
    char url[96];
    if (attach_to)
        snprintf(url, sizeof url, "/p/%s?mem=%s", attach_to, res->id);
    else
        snprintf(url, sizeof url, "/m/%s", res->id);
    cJSON_AddItemToObjectCS(o, "url", cJSON_CreateString(url));
    if (res->created)
        cJSON_AddItemToObjectCS(o, "delete_token", cJSON_CreateString(res->delete_token));
    cJSON_AddItemToObjectCS(o, "attached_to",
                            attach_to ? cJSON_CreateString(attach_to) : cJSON_CreateNull());
    return o;
}

static bool add_listed(const struct pv_store_memory *m, void *ctx)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "kind", m->kind);
    char peak[32];
    pv_jsonw_format_double(m->peak_mib, peak);
    cJSON_AddRawToObject(o, "peak_mib", peak);
    cJSON_AddItemToArray(ctx, o);
    return true;
}

cJSON *pv_api_memory_list_json(struct pv_store *s, const char *pid, pv_err *err)
{
    cJSON *list = cJSON_CreateArray();
    if (!list) {
        pv_err_set(err, PV_E_NOMEM, "out of memory");
        return NULL;
    }
    if (pv_store_memory_of_profile(s, pid, 0, add_listed, list, err)) {
        cJSON_Delete(list);
        return NULL;
    }
    return list;
}

/* ---- line reports matched to functions ----------------------------------- */

struct lines_loading {
    struct pv_api_memory_lines *l;
    size_t records_cap, ids_cap;
    bool failed;
};

static bool add_lines(const struct pv_store_memory *m, void *ctx)
{
    struct lines_loading *ld = ctx;
    struct pv_api_memory_lines *l = ld->l;
    if (strcmp(m->kind, "lines"))
        return true;
    if (!pv_vec_reserve((void **)&l->records, &ld->records_cap, l->n + 1, sizeof *l->records) ||
        !pv_vec_reserve((void **)&l->ids, &ld->ids_cap, l->n + 1, sizeof *l->ids))
        return !(ld->failed = true);
    cJSON *rec = cJSON_Parse(m->record_json);
    if (!rec)
        return !(ld->failed = true);
    l->records[l->n] = rec;
    memcpy(l->ids[l->n++], m->id, PV_STORE_ID_HEX + 1);
    return true;
}

pv_code pv_api_memory_lines_init(struct pv_api_memory_lines *l, struct pv_store *s,
                                 const char *pid, pv_err *err)
{
    *l = (struct pv_api_memory_lines){0};
    struct lines_loading ld = {.l = l};
    if (pv_store_memory_of_profile(s, pid, PV_STORE_MEMORY_RECORD, add_lines, &ld, err)) {
        pv_api_memory_lines_fini(l);
        return err->code;
    }
    if (ld.failed) {
        pv_api_memory_lines_fini(l);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    return PV_OK;
}

void pv_api_memory_lines_fini(struct pv_api_memory_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        cJSON_Delete(l->records[i]);
    free(l->records);
    free(l->ids);
    *l = (struct pv_api_memory_lines){0};
}

size_t pv_api_memory_paths_shared(const char *a, size_t na, const char *b, size_t nb)
{
    while (na >= 2 && a[0] == '.' && a[1] == '/')
        a += 2, na -= 2;
    while (nb >= 2 && b[0] == '.' && b[1] == '/')
        b += 2, nb -= 2;
    size_t shared = 0;
    while (na && nb && a[na - 1] == b[nb - 1]) {
        na--, nb--;
        /* a component ends where both paths have a '/' or have begun */
        if ((!na || a[na - 1] == '/') && (!nb || b[nb - 1] == '/') && a[na] != '/')
            shared++;
    }
    return shared;
}

const cJSON *pv_api_memory_lines_match(const struct pv_api_memory_lines *l,
                                       const struct pv_profile *p, uint32_t fid,
                                       const char **mem_id)
{
    const struct pv_func *fn = &p->funcs[fid];
    size_t flen;
    const char *file = pv_profile_str(p, fn->file, &flen);
    const cJSON *best = NULL;
    size_t best_shared = 0;
    for (size_t r = 0; r < l->n; r++) {
        const cJSON *funcs = cJSON_GetObjectItemCaseSensitive(l->records[r], "functions");
        const cJSON *f;
        cJSON_ArrayForEach(f, funcs)
        {
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "file");
            if (!cJSON_IsString(path) || (double)fn->line < number(f, "first_line") ||
                (double)fn->line > number(f, "last_line"))
                continue;
            size_t shared = pv_api_memory_paths_shared(file, flen, path->valuestring,
                                                       strlen(path->valuestring));
            if (shared > best_shared) {
                best = f;
                best_shared = shared;
                *mem_id = l->ids[r];
            }
        }
    }
    return best;
}

/* memory_profiler's first measured row is the function's entry (its `def`
 * line), and its "increment" is the whole memory in use at entry (27.457 MiB
 * on the sample's _predict, against 12.2 MiB of real growth).  The growth is
 * what the other rows add, so the first measured row is left out. */
double pv_api_memory_inc_total(const cJSON *func)
{
    double total = 0;
    bool entry_seen = false;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(func, "lines"))
    {
        const cJSON *inc = cJSON_GetObjectItemCaseSensitive(row, "inc");
        if (!cJSON_IsNumber(inc))
            continue;
        if (entry_seen)
            total += inc->valuedouble;
        entry_seen = true;
    }
    return total;
}

cJSON *pv_api_memory_detail_json(const cJSON *func, const char *mem_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mem_id", mem_id);
    static const char *const copied[] = {"first_line", "last_line", "max_inc_line", "lines"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        cJSON_AddItemToObject(
            o, copied[i],
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(func, copied[i]), true));
    return o;
}

/* ---- the function table's mem_inc ------------------------------------------ */

/* The line reports' total increment of each function of p (NaN where
 * none matches), or NULL when the profile has no line report: malloc'd. */
pv_code pv_api_memory_incs(const struct pv_api_memory_lines *lines, const struct pv_profile *p,
                           double **out, pv_err *err)
{
    *out = NULL;
    if (!lines->n)
        return PV_OK;
    double *inc = malloc(((size_t)p->nfuncs + 1) * sizeof *inc);
    if (!inc)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    for (uint32_t fid = 0; fid < p->nfuncs; fid++) {
        const char *mem_id;
        const cJSON *func = pv_api_memory_lines_match(lines, p, fid, &mem_id);
        inc[fid] = func ? pv_api_memory_inc_total(func) : (double)NAN;
    }
    *out = inc;
    return PV_OK;
}

/* Ordered by mem_inc: the functions with data first, by their increment
 * (largest first, unless reverse; ties in the order given), then the rest
 * in the order given.  *out is malloc'd. */
struct by_inc {
    double inc;
    size_t at; /* in the order given: ties keep it */
    uint32_t fid;
};

static int compare_inc(const void *x, const void *y, void *reverse)
{
    const struct by_inc *a = x, *b = y;
    if (a->inc != b->inc)
        return (a->inc > b->inc) != *(const bool *)reverse ? -1 : 1;
    return a->at < b->at ? -1 : a->at > b->at;
}

pv_code pv_api_memory_order_by_inc(const uint32_t *sorted, size_t n, const double *inc,
                                   bool reverse, uint32_t **out, pv_err *err)
{
    uint32_t *o = malloc((n + 1) * sizeof *o);
    struct by_inc *rows = malloc((n + 1) * sizeof *rows);
    if (!o || !rows) {
        free(o);
        free(rows);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; inc && i < n; i++)
        if (inc[sorted[i]] == inc[sorted[i]]) /* not NaN: a report matches */
            rows[k++] = (struct by_inc){inc[sorted[i]], i, sorted[i]};
    qsort_r(rows, k, sizeof *rows, compare_inc, &reverse);
    for (size_t i = 0; i < k; i++)
        o[i] = rows[i].fid;
    for (size_t i = 0; i < n; i++)
        if (!inc || inc[sorted[i]] != inc[sorted[i]])
            o[k++] = sorted[i];
    free(rows);
    *out = o;
    return PV_OK;
}

/* ---- two runs ------------------------------------------------------------- */

struct peak_choice {
    char id[PV_STORE_ID_HEX + 1];
    double mib;
    bool mprof, any;
};

static bool choose_peak(const struct pv_store_memory *m, void *ctx)
{
    struct peak_choice *c = ctx;
    bool mprof = !strcmp(m->kind, "mprof");
    if (!c->any || (mprof && !c->mprof)) {
        memcpy(c->id, m->id, sizeof c->id);
        c->mib = m->peak_mib;
        c->mprof = mprof;
        c->any = true;
    }
    return true;
}

static cJSON *peak_json(const struct peak_choice *c)
{
    cJSON *o = cJSON_CreateObject();
    char text[32];
    pv_jsonw_format_double(c->mib, text);
    cJSON_AddRawToObject(o, "peak_mib", text);
    cJSON_AddStringToObject(o, "mem_id", c->id);
    return o;
}

static cJSON *side_json(const cJSON *func)
{
    cJSON *o = cJSON_CreateObject();
    static const char *const copied[] = {"first_line", "lines"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        cJSON_AddItemToObject(
            o, copied[i],
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(func, copied[i]), true));
    return o;
}

static const char *string_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The functions of a's reports that b's reports have too. */
static cJSON *paired_functions(const struct pv_api_memory_lines *la,
                               const struct pv_api_memory_lines *lb)
{
    cJSON *out = cJSON_CreateArray();
    for (size_t r = 0; r < la->n; r++) {
        const cJSON *fa;
        cJSON_ArrayForEach(fa, cJSON_GetObjectItemCaseSensitive(la->records[r], "functions"))
        {
            const char *name = string_of(fa, "name"), *file = string_of(fa, "file");
            if (!name || !file)
                continue;
            const cJSON *match = NULL;
            for (size_t k = 0; k < lb->n && !match; k++) {
                const cJSON *fb;
                cJSON_ArrayForEach(fb,
                                   cJSON_GetObjectItemCaseSensitive(lb->records[k], "functions"))
                {
                    const char *nb = string_of(fb, "name"), *pb = string_of(fb, "file");
                    if (nb && pb && !strcmp(nb, name) &&
                        pv_api_memory_paths_shared(file, strlen(file), pb, strlen(pb))) {
                        match = fb;
                        break;
                    }
                }
            }
            if (!match)
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", name);
            cJSON_AddStringToObject(o, "file", file);
            cJSON_AddItemToObject(o, "a", side_json(fa));
            cJSON_AddItemToObject(o, "b", side_json(match));
            cJSON_AddItemToArray(out, o);
        }
    }
    return out;
}

pv_code pv_api_memory_diff_json(struct pv_api *api, const char *a, const char *b, cJSON **out,
                                pv_err *err)
{
    *out = NULL;
    struct pv_store *s = NULL;
    struct peak_choice pa = {0}, pb = {0};
    if (pv_api_store(api, &s, err) ||
        pv_store_memory_of_profile(s, a, 0, choose_peak, &pa, err) ||
        pv_store_memory_of_profile(s, b, 0, choose_peak, &pb, err))
        return err->code;
    if (!pa.any || !pb.any)
        return PV_OK;
    struct pv_api_memory_lines la, lb;
    if (pv_api_memory_lines_init(&la, s, a, err))
        return err->code;
    if (pv_api_memory_lines_init(&lb, s, b, err)) {
        pv_api_memory_lines_fini(&la);
        return err->code;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "a", peak_json(&pa));
    cJSON_AddItemToObject(o, "b", peak_json(&pb));
    if (pa.mib > 0) {
        char text[32];
        pv_jsonw_format_double((pb.mib - pa.mib) / pa.mib, text);
        cJSON_AddRawToObject(o, "change", text);
    } else
        cJSON_AddNullToObject(o, "change");
    cJSON_AddItemToObject(o, "functions", paired_functions(&la, &lb));
    pv_api_memory_lines_fini(&la);
    pv_api_memory_lines_fini(&lb);
    *out = o;
    return PV_OK;
}
