/* api_diff.c - the routes that compare two profiles (see api_diff.h).
 *
 * Both profiles come from the api's model cache and are held for the
 * request; their pairing (diff.h) is made per request: about 40 ms for two
 * 100k-function profiles, against 0.2 s each to load them.  The table is a
 * cJSON document (a page holds at most 1,000 rows); the tree is written
 * straight to text, as treejson.c writes one run's tree, but whole: it is
 * bounded by max_nodes and by the server's tree budget. */
#include "api_diff.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_json.h"
#include "api_memory.h"
#include "api_params.h"
#include "api_route.h"
#include "diff.h"
#include "difftree.h"
#include "jsonw.h"
#include "models.h"
#include "pattern.h"
#include "treejson.h"

#define NONE PV_DIFF_NONE

bool pv_api_diff_owns(const char *path)
{
    return !strcmp(path, "/api/diff") || !strcmp(path, "/api/diff/tree");
}

/* ---- the two profiles --------------------------------------------------- */

struct pair {
    struct pv_api *api;
    struct pv_model *a, *b;
    struct pv_diff *d;
};

static pv_code id_arg(const struct pv_request *req, const char *name, const char **out,
                      pv_err *err)
{
    const char *id = pv_api_params_arg(req, name);
    if (!id || !pv_api_params_id(id, strlen(id)))
        return pv_err_set(err, PV_E_USAGE, "%s must be a profile id (32 lowercase hex digits)",
                          name);
    *out = id;
    return PV_OK;
}

/* One profile loaded on a thread of its own (with its own SQLite
 * connection, closed when the thread ends). */
struct loader {
    struct pv_api *api;
    const char *id;
    struct pv_model *m;
    pv_err err;
};

static void *load_model(void *ctx)
{
    struct loader *l = ctx;
    if (pv_api_model_get(l->api, l->id, &l->m, &l->err))
        l->m = NULL;
    return NULL;
}

/* Both models.  When neither is in memory, B loads on a second thread
 * while A loads on this one: loading is most of a first diff (two 100k-
 * function models took 1.1 s one after the other, bench/diff). */
static pv_code pair_open(struct pv_api *api, const struct pv_request *req, struct pair *pr,
                         pv_err *err)
{
    const char *a = NULL, *b = NULL; /* set by id_arg; -O3 gcc cannot tell */
    *pr = (struct pair){.api = api};
    if (id_arg(req, "a", &a, err) || id_arg(req, "b", &b, err))
        return err->code;
    struct loader lb = {.api = api, .id = b};
    pthread_t thread;
    bool both_cold = strcmp(a, b) && pv_api_model_is_heavy(api, a) && pv_api_model_is_heavy(api, b);
    bool threaded = both_cold && pthread_create(&thread, NULL, load_model, &lb) == 0;
    pv_code rc = pv_api_model_get(api, a, &pr->a, err);
    if (threaded) {
        pthread_join(thread, NULL);
        pr->b = lb.m;
        if (!rc && !lb.m)
            rc = pv_err_set(err, lb.err.code, "%s", lb.err.msg);
    } else if (!rc)
        rc = pv_api_model_get(api, b, &pr->b, err);
    if (rc || pv_diff_create(pr->a->p, pr->b->p, &pr->d, err))
        return err->code;
    return PV_OK;
}

static void pair_close(struct pair *pr)
{
    pv_diff_destroy(pr->d);
    if (pr->a)
        pv_api_model_release(pr->api, pr->a);
    if (pr->b)
        pv_api_model_release(pr->api, pr->b);
}

/* ---- GET /api/diff ------------------------------------------------------ */

/* A time exactly as the file holds it: the shortest text that reads back
 * as the same double (cJSON's numbers keep 15 digits where those compare
 * equal within an epsilon, so 5.4946000000000006e-05 came back as
 * 5.4946e-05, another double than pstats reads); null when not finite. */
static void add_time(cJSON *o, const char *key, double v)
{
    char buf[32];
    pv_jsonw_format_double(v, buf);
    cJSON_AddItemToObject(o, key, isfinite(v) ? cJSON_CreateRaw(buf) : cJSON_CreateNull());
}

static cJSON *run_json(const struct pv_profile *p, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    if (id)
        cJSON_AddStringToObject(o, "id", id);
    else
        cJSON_AddNullToObject(o, "id");
    add_time(o, "total_time", p->total_tt);
    pv_profile_json_int(o, "total_calls", p->total_calls);
    pv_profile_json_int(o, "prim_calls", p->prim_calls);
    cJSON_AddNumberToObject(o, "functions", p->nreal);
    return o;
}

static cJSON *change_json(const struct pv_profile *a, const struct pv_profile *b)
{
    cJSON *o = cJSON_CreateObject();
    add_time(o, "total_time", b->total_tt - a->total_tt);
    add_time(o, "total_time_ratio", pv_diff_ratio(a->total_tt, b->total_tt));
    pv_profile_json_int(o, "total_calls", b->total_calls - a->total_calls);
    add_time(o, "total_calls_ratio",
                    pv_diff_ratio((double)a->total_calls, (double)b->total_calls));
    pv_profile_json_int(o, "prim_calls", b->prim_calls - a->prim_calls);
    add_time(o, "prim_calls_ratio",
                    pv_diff_ratio((double)a->prim_calls, (double)b->prim_calls));
    return o;
}

static cJSON *match_json(const struct pv_diff *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rule", pv_diff_rule_name(d->rule));
    for (int r = PV_DIFF_EXACT; r <= PV_DIFF_SUFFIX; r++)
        cJSON_AddNumberToObject(o, pv_diff_rule_name((pv_diff_rule)r), (double)d->count[r]);
    cJSON_AddNumberToObject(o, "added", (double)d->added);
    cJSON_AddNumberToObject(o, "removed", (double)d->removed);
    if (d->root_a && d->root_b) {
        cJSON *roots = cJSON_AddObjectToObject(o, "roots");
        cJSON_AddItemToObject(roots, "a", cJSON_CreateString(d->root_a));
        cJSON_AddItemToObject(roots, "b", cJSON_CreateString(d->root_b));
    } else
        cJSON_AddNullToObject(o, "roots");
    return o;
}

static cJSON *side_json(const struct pv_diff_side *s)
{
    if (!s->present)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    pv_profile_json_int(o, "cc", s->cc);
    pv_profile_json_int(o, "nc", s->nc);
    add_time(o, "tt", s->tt);
    add_time(o, "ct", s->ct);
    return o;
}

static cJSON *row_json(const struct pv_diff *d, const struct pv_diff_row *r)
{
    struct pv_diff_side a, b;
    pv_diff_side_of(d, r, false, &a);
    pv_diff_side_of(d, r, true, &b);
    cJSON *o = cJSON_CreateObject();
    pv_profile_json_func(o, r->a != NONE ? d->a : d->b, r->a != NONE ? r->a : r->b);
    if (r->a == NONE) /* the function's fid in A is null; its B fid below */
        cJSON_ReplaceItemInObject(o, "fid", cJSON_CreateNull());
    if (r->b != NONE)
        cJSON_AddNumberToObject(o, "fid_b", r->b);
    else
        cJSON_AddNullToObject(o, "fid_b");
    if (r->a != NONE && r->b != NONE) {
        cJSON_AddStringToObject(o, "match", pv_diff_rule_name(r->rule));
        if (r->rule == PV_DIFF_SUFFIX) {
            cJSON *tmp = cJSON_CreateObject();
            pv_profile_json_func(tmp, d->b, r->b);
            cJSON_AddItemToObject(o, "file_b", cJSON_DetachItemFromObject(tmp, "file"));
            cJSON_Delete(tmp);
        }
        if (r->line_moved)
            pv_profile_json_int(o, "line_b", d->b->funcs[r->b].line);
        size_t na, nb; /* names that differ only in an object's address */
        const char *sa = pv_profile_str(d->a, d->a->funcs[r->a].name, &na);
        const char *sb = pv_profile_str(d->b, d->b->funcs[r->b].name, &nb);
        if (na != nb || memcmp(sa, sb, na))
            cJSON_AddItemToObject(o, "name_b", cJSON_CreateString(sb));
    } else
        cJSON_AddNullToObject(o, "match");
    cJSON_AddBoolToObject(o, "added", r->a == NONE);
    cJSON_AddBoolToObject(o, "removed", r->b == NONE);
    cJSON_AddItemToObject(o, "a", side_json(&a));
    cJSON_AddItemToObject(o, "b", side_json(&b));
    cJSON *delta = cJSON_AddObjectToObject(o, "delta");
    pv_profile_json_int(delta, "cc", b.cc - a.cc);
    pv_profile_json_int(delta, "nc", b.nc - a.nc);
    add_time(delta, "tt", b.tt - a.tt);
    add_time(delta, "ct", b.ct - a.ct);
    cJSON *ratio = cJSON_AddObjectToObject(o, "ratio");
    add_time(ratio, "cc", pv_diff_ratio((double)a.cc, (double)b.cc));
    add_time(ratio, "nc", pv_diff_ratio((double)a.nc, (double)b.nc));
    add_time(ratio, "tt", pv_diff_ratio(a.tt, b.tt));
    add_time(ratio, "ct", pv_diff_ratio(a.ct, b.ct));
    return o;
}

cJSON *pv_api_diff_document(const struct pv_diff *d, const char *id_a, const char *id_b,
                            const struct pv_diff_select *sel, const uint32_t *rows, size_t n,
                            size_t offset, size_t limit)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "a", run_json(d->a, id_a));
    cJSON_AddItemToObject(o, "b", run_json(d->b, id_b));
    cJSON_AddItemToObject(o, "change", change_json(d->a, d->b));
    cJSON_AddItemToObject(o, "match", match_json(d));
    cJSON_AddNumberToObject(o, "total", (double)n);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    cJSON_AddStringToObject(o, "sort", pv_diff_sort_name(sel->key));
    cJSON_AddStringToObject(o, "order", sel->descending ? "desc" : "asc");
    cJSON *arr = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = offset; i < n && i - offset < limit; i++)
        cJSON_AddItemToArray(arr, row_json(d, &d->rows[rows[i]]));
    return o;
}

/* q=: a row is kept when its label in either run matches. */
struct search {
    regex_t re;
    char *const *labels_a, *const *labels_b;
    struct timespec t0;
    size_t seen, total;
};

static bool search_keep(void *ctx, const struct pv_diff_row *r, bool *stop, pv_err *err)
{
    struct search *s = ctx;
    /* The pattern's size is bounded, not every way to make glibc's matcher
     * slow: the search gets a time budget, as the function table's. */
    if (++s->seen % 256 == 0 && pv_elapsed_ms(&s->t0) > PV_API_SEARCH_BUDGET_MS) {
        *stop = true;
        pv_err_set(err, PV_E_USAGE,
                   "the search took over %d ms after %zu of %zu rows: simplify the expression",
                   PV_API_SEARCH_BUDGET_MS, s->seen, s->total);
        return false;
    }
    return (r->a != NONE && regexec(&s->re, s->labels_a[r->a], 0, NULL, 0) == 0) ||
           (r->b != NONE && regexec(&s->re, s->labels_b[r->b], 0, NULL, 0) == 0);
}

/* sort=, order=, limit=, offset= as the function table reads them. */
static pv_code table_args(const struct pv_request *req, struct pv_diff_select *sel, long *limit,
                          long *offset, pv_err *err)
{
    const char *sort = pv_api_params_arg(req, "sort"), *order = pv_api_params_arg(req, "order");
    *sel = (struct pv_diff_select){.key = PV_DIFF_SORT_DELTA};
    if (sort && pv_diff_sort_parse(sort, &sel->key, err))
        return err->code;
    sel->descending = pv_diff_sort_descending(sel->key);
    if (order) {
        if (strcmp(order, "asc") && strcmp(order, "desc"))
            return pv_err_set(err, PV_E_USAGE, "order must be asc or desc");
        sel->descending = !strcmp(order, "desc");
    }
    *limit = 100;
    *offset = 0;
    const char *l = pv_api_params_arg(req, "limit"), *o = pv_api_params_arg(req, "offset");
    if ((l && !pv_api_params_integer(l, 1, 1000, limit)) ||
        (o && !pv_api_params_integer(o, 0, LONG_MAX, offset)))
        return pv_err_set(err, PV_E_USAGE, "limit is 1 to 1000, offset 0 or more");
    return PV_OK;
}

static void get_diff(struct pv_api *api, const struct pv_request *req, struct pv_response *res)
{
    struct pair pr = {.api = api};
    struct pv_diff_select sel;
    struct search s = {.seen = 0};
    long limit, offset;
    pv_err err = {0};
    const char *q = pv_api_params_arg(req, "q");
    bool filter = q && *q, compiled = false;
    uint32_t *rows = NULL;
    size_t n = 0;
    cJSON *memory, *o = NULL;
    bool answered = false;
    if (table_args(req, &sel, &limit, &offset, &err) || pair_open(api, req, &pr, &err))
        goto close_pair;
    if (filter) {
        if (pv_pattern_compile(q, true, &s.re, &err))
            goto close_pair;
        compiled = true;
        if (pv_models_labels(pr.a, &s.labels_a, &err) || pv_models_labels(pr.b, &s.labels_b, &err))
            goto close_pair;
        s.total = pr.d->nrows;
        clock_gettime(CLOCK_MONOTONIC, &s.t0);
        sel.keep = search_keep;
        sel.keep_ctx = &s;
    }
    if (pv_diff_select(pr.d, &sel, &rows, &n, &err) ||
        pv_api_memory_diff_json(api, pr.a->id, pr.b->id, &memory, &err))
        goto close_pair;
    o = pv_api_diff_document(pr.d, pr.a->id, pr.b->id, &sel, rows, n, (size_t)offset,
                             (size_t)limit);
    cJSON_AddItemToObject(o, "memory", memory ? memory : cJSON_CreateNull());
    answered = true;
close_pair:
    free(rows);
    if (compiled)
        regfree(&s.re);
    pair_close(&pr);
    if (answered)
        pv_api_json_respond(res, 200, o); /* a NULL document answers out of memory */
    else
        pv_api_error(res, &err, NULL);
}

/* ---- GET /api/diff/tree ------------------------------------------------- */

/* A text as views show it (cut at PV_VIEW_TEXT_MAX, as the api's others). */
static void write_view(FILE *out, const char *s, size_t n)
{
    char buf[PV_VIEW_TEXT_MAX + 4];
    if (n > PV_VIEW_TEXT_MAX) {
        size_t cut = pv_profile_text_cut(s, n, PV_VIEW_TEXT_MAX);
        memcpy(buf, s, cut);
        memcpy(buf + cut, "\xe2\x80\xa6", 3); /* U+2026 */
        s = buf;
        n = cut + 3;
    }
    pv_jsonw_string(out, s, n);
}

static void write_num(FILE *out, const char *key, double v)
{
    char buf[32];
    pv_jsonw_format_double(v, buf);
    fprintf(out, ",\"%s\":%s", key, isfinite(v) ? buf : "null");
}

struct tree_out {
    FILE *out;
    const struct pv_diff *d;
    const struct pv_difftree *t;
    char *const *labels_a, *const *labels_b;
};

static void write_ident(struct tree_out *w, const struct pv_profile *p, char *const *labels,
                        uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    size_t n;
    const char *s = pv_profile_str(p, f->name, &n);
    fputs(",\"name\":", w->out);
    write_view(w->out, s, n);
    s = pv_profile_str(p, f->file, &n);
    fputs(",\"file\":", w->out);
    write_view(w->out, s, n);
    fprintf(w->out, ",\"line\":%lld,\"label\":", (long long)f->line);
    write_view(w->out, labels[fid], strlen(labels[fid]));
    fprintf(w->out, ",\"kind\":\"%s\"", pv_funckind_name(pv_funckind_of(p, fid)));
}

/* One node and its children, depth first: at most 66 levels deep. */
static void write_node(struct tree_out *w, size_t i)
{
    const struct pv_difftree_node *n = &w->t->nodes[i];
    const struct pv_tree_node *a = n->a != NONE ? &w->t->ta->nodes[n->a] : NULL;
    const struct pv_tree_node *b = n->b != NONE ? &w->t->tb->nodes[n->b] : NULL;
    const struct pv_tree_node *any = a ? a : b;
    FILE *out = w->out;
    bool top = i == 0 && any->fid == PV_TREE_TOP;
    if (any->other)
        fprintf(out, "{\"fid\":null,\"fid_b\":null,\"name\":\"other\",\"other\":true,"
                     "\"count_a\":%u,\"count_b\":%u",
                a ? a->count : 0, b ? b->count : 0);
    else if (top)
        fputs("{\"fid\":null,\"fid_b\":null,\"name\":\"all\",\"label\":\"all\"", out);
    else {
        if (a)
            fprintf(out, "{\"fid\":%u", a->fid);
        else
            fputs("{\"fid\":null", out);
        if (b)
            fprintf(out, ",\"fid_b\":%u", b->fid);
        else
            fputs(",\"fid_b\":null", out);
        if (a)
            write_ident(w, w->d->a, w->labels_a, a->fid);
        else
            write_ident(w, w->d->b, w->labels_b, b->fid);
        /* whether the function itself exists in the other run */
        uint32_t partner = a ? w->d->a_to_b[a->fid] : w->d->b_to_a[b->fid];
        fprintf(out, ",\"added\":%s,\"removed\":%s", !a && partner == NONE ? "true" : "false",
                !b && partner == NONE ? "true" : "false");
    }
    double va = a ? a->value : 0, vb = b ? b->value : 0;
    write_num(out, "value_a", va);
    write_num(out, "value_b", vb);
    write_num(out, "delta", vb - va);
    write_num(out, "ratio", pv_diff_ratio(va, vb));
    write_num(out, "self_a", a ? a->self : 0);
    write_num(out, "self_b", b ? b->self : 0);
    fprintf(out, ",\"calls_a\":%lld,\"calls_b\":%lld", a ? (long long)a->calls : 0LL,
            b ? (long long)b->calls : 0LL);
    if (!a || !b)
        fprintf(out, ",\"only\":\"%s\"", a ? "a" : "b");
    fprintf(out, ",\"exact\":%s,\"recursive\":%s,\"children\":[",
            (!a || a->exact) && (!b || b->exact) ? "true" : "false",
            (a && a->recursive) || (b && b->recursive) ? "true" : "false");
    for (uint32_t c = 0; c < n->nchildren; c++) {
        if (c)
            fputc(',', out);
        write_node(w, n->first_child + c);
    }
    fputs("]}", out);
}

static void write_crumbs(struct tree_out *w)
{
    const struct pv_tree *ta = w->t->ta, *tb = w->t->tb, *any = ta ? ta : tb;
    fputs(",\"breadcrumbs\":[", w->out);
    for (size_t i = 0; i < any->ncrumbs; i++) {
        const struct pv_crumb *ca = ta && i < ta->ncrumbs ? &ta->crumbs[i] : NULL;
        const struct pv_crumb *cb = tb && i < tb->ncrumbs ? &tb->crumbs[i] : NULL;
        const struct pv_crumb *c = ca ? ca : cb;
        if (i)
            fputc(',', w->out);
        if (c->fid == PV_TREE_TOP)
            fputs("{\"fid\":null,\"fid_b\":null,\"name\":\"all\"", w->out);
        else {
            const struct pv_profile *p = ca ? w->d->a : w->d->b;
            size_t n;
            const char *s = pv_profile_str(p, p->funcs[c->fid].name, &n);
            fprintf(w->out, ca ? "{\"fid\":%u" : "{\"fid\":null", ca ? ca->fid : 0);
            fprintf(w->out, cb ? ",\"fid_b\":%u" : ",\"fid_b\":null", cb ? cb->fid : 0);
            fputs(",\"name\":", w->out);
            write_view(w->out, s, n);
        }
        write_num(w->out, "value_a", ca ? ca->value : 0);
        write_num(w->out, "value_b", cb ? cb->value : 0);
        fputc('}', w->out);
    }
    fputc(']', w->out);
}

static pv_code tree_text(const struct pair *pr, const struct pv_difftree *t, bool from_b,
                         char **body, size_t *len, pv_err *err)
{
    struct tree_out w = {.d = pr->d, .t = t};
    if (pv_models_labels(pr->a, &w.labels_a, err) || pv_models_labels(pr->b, &w.labels_b, err))
        return err->code;
    *body = NULL;
    *len = 0;
    if (!(w.out = open_memstream(body, len)))
        return pv_err_set(err, PV_E_NOMEM, "out of memory writing the diff tree");
    fprintf(w.out, "{\"a\":\"%s\",\"b\":\"%s\",\"side\":\"%s\"", pr->a->id, pr->b->id,
            from_b ? "b" : "a");
    /* The run the query names has its tree (difftree.h), built with the
     * query's settings: the same "params" and "limits" as /tree's. */
    char settings[PV_TREEJSON_SETTINGS_MAX];
    size_t settings_len = pv_treejson_format_settings(from_b ? t->tb : t->ta, settings,
                                                      sizeof settings);
    assert(settings_len > 0);
    fwrite(settings, 1, settings_len, w.out);
    write_num(w.out, "total_time_a", pr->a->p->total_tt);
    write_num(w.out, "total_time_b", pr->b->p->total_tt);
    write_crumbs(&w);
    fputs(",\"root\":", w.out);
    write_node(&w, 0);
    fputs("}", w.out);
    if (ferror(w.out) | fclose(w.out)) {
        free(*body);
        *body = NULL;
        return pv_err_set(err, PV_E_NOMEM, "out of memory writing the diff tree");
    }
    return PV_OK;
}

static void get_tree(struct pv_api *api, const struct pv_request *req, struct pv_response *res)
{
    struct pair pr = {.api = api};
    pv_err err = {0};
    const char *side = pv_api_params_arg(req, "side");
    bool from_b = side && !strcmp(side, "b");
    if (side && !from_b && strcmp(side, "a")) {
        pv_err_set(&err, PV_E_USAGE, "side must be a or b");
        pv_api_error(res, &err, NULL);
        return;
    }
    uint32_t *path = malloc(PV_API_MAX_PATH_FIDS * sizeof *path);
    if (!path || pair_open(api, req, &pr, &err)) {
        if (!path)
            pv_err_set(&err, PV_E_NOMEM, "out of memory");
        else
            pair_close(&pr);
        free(path);
        pv_api_error(res, &err, NULL);
        return;
    }
    struct pv_tree_query q;
    if (pv_api_params_tree(req, from_b ? pr.b->p : pr.a->p, &q, path, &err)) {
        free(path);
        pair_close(&pr);
        pv_api_error(res, &err, NULL);
        return;
    }
    q.stop = req->gone;
    q.stop_ctx = req->gone_ctx;
    q.max_steps = req->light ? PV_API_LIGHT_TREE_STEPS : PV_TREE_DEFAULT_MAX_STEPS;
    struct pv_difftree *t = NULL;
    struct pv_difftree_entries entries = {pr.a->entries, pr.b->entries, pr.a->nentries,
                                          pr.b->nentries};
    pv_code rc = pv_difftree_build(pr.d, &q, from_b, &entries, &t, &err);
    free(path);
    char *body = NULL;
    size_t len = 0;
    if (rc == PV_E_LIMIT && req->light)
        res->heavy = true;
    else if (rc == PV_E_LIMIT) { /* the build's work is this answer's budget */
        err.code = PV_E_BUDGET;
        pv_api_error(res, &err, &(struct pv_api_budget){"steps", 0, PV_TREE_DEFAULT_MAX_STEPS});
    }
    else if (rc || tree_text(&pr, t, from_b, &body, &len, &err))
        pv_api_error(res, &err, NULL);
    else if (len > pv_api_max_tree_bytes(api)) {
        char need[32], have[32];
        pv_format_count(len, need);
        pv_format_count(pv_api_max_tree_bytes(api), have);
        pv_err_set(&err, PV_E_BUDGET,
                   "diff tree too large: %s bytes of JSON, over the budget of %s bytes - lower "
                   "max_nodes or depth, or raise cutoff",
                   need, have);
        pv_api_error(res, &err, &(struct pv_api_budget){"bytes", len, pv_api_max_tree_bytes(api)});
        free(body);
    } else {
        res->status = 200;
        res->content_type = "application/json";
        res->body = body;
        res->len = len;
    }
    pv_difftree_destroy(t);
    pair_close(&pr);
}

/* ---- dispatch ----------------------------------------------------------- */

void pv_api_diff_handle(struct pv_api *api, const struct pv_request *req, struct pv_response *res)
{
    if (!strcmp(req->path, "/api/diff"))
        get_diff(api, req, res);
    else
        get_tree(api, req, res);
}

bool pv_api_diff_is_heavy(struct pv_api *api, const struct pv_request *req)
{
    const char *a = pv_api_params_arg(req, "a"), *b = pv_api_params_arg(req, "b");
    if (!a || !b || !pv_api_params_id(a, strlen(a)) || !pv_api_params_id(b, strlen(b)))
        return false; /* a quick 400 */
    if (pv_api_model_is_heavy(api, a) || pv_api_model_is_heavy(api, b))
        return true;
    return !strcmp(req->path, "/api/diff/tree") &&
           pv_api_params_tree_nodes_bound(req) > PV_TREE_DEFAULT_MAX_NODES;
}
