/* Unit tests of the API through pv_api_handle(), with no sockets: routes,
 * parameters refused with the statuses of docs/API.md, the metadata, the
 * delete token, the tree's bounds (tree.h's), what pv_api_classify()
 * tells the http module, and the one mapping of codes to statuses.
 *
 * usage: test_api STATS_FILE TMPDIR */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "cache.h"
#include "check.h"
#include "marshal_writer.h"
#include "read_file.h"
#include "tree.h"

static struct pv_api *api;

/* A request's query and headers: "key=value" pairs. */
struct fake {
    const char *const *args;
    const char *const *headers;
};

static const char *lookup(const char *const *pairs, const char *name, bool any_case)
{
    size_t n = strlen(name);
    for (; pairs && *pairs; pairs++)
        if ((any_case ? !strncasecmp(*pairs, name, n) : !strncmp(*pairs, name, n)) &&
            (*pairs)[n] == '=')
            return *pairs + n + 1;
    return NULL;
}

static const char *get_arg(void *ctx, const char *name)
{
    return lookup(((const struct fake *)ctx)->args, name, false);
}

static const char *get_header(void *ctx, const char *name)
{
    return lookup(((const struct fake *)ctx)->headers, name, true);
}

/* An answer read whole, streamed or not. */
struct answer {
    int status;
    char *body;
    cJSON *json;
    unsigned retry_after_s;
};

static struct answer ask(const char *method, const char *path, const char *const *args,
                         const char *const *headers, const void *body, size_t body_len)
{
    struct fake f = {args, headers};
    struct pv_request req = {.method = method, .path = path, .arg = get_arg,
                             .header = get_header, .ctx = &f, .body = body,
                             .body_len = body_len};
    struct pv_response res;
    pv_api_handle(api, &req, &res);
    struct answer a = {.status = res.status, .retry_after_s = res.retry_after_s};
    if (res.stream) {
        size_t len = 0;
        pv_err err;
        while (pv_stream_fill(res.stream, 1 << 16, &err) == PV_OK) {
            size_t n;
            const char *piece = pv_stream_peek(res.stream, &n);
            a.body = realloc(a.body, len + n + 1);
            memcpy(a.body + len, piece, n);
            len += n;
            a.body[len] = '\0';
            pv_stream_consume(res.stream, n);
            if (pv_stream_done(res.stream) && !n)
                break;
        }
        pv_stream_destroy(res.stream);
    } else {
        a.body = res.body;
    }
    a.json = a.body ? cJSON_Parse(a.body) : NULL;
    return a;
}

static void answer_fini(struct answer *a)
{
    cJSON_Delete(a->json);
    free(a->body);
}

static const char *error_code(const struct answer *a)
{
    return cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(a->json, "error"), "code"));
}

static char pid[64], token[128], base[128];

/* ---- routes and parameters ---------------------------------------------- */

struct route_row {
    const char *name;
    const char *method;
    const char *rest;          /* after /api/profiles/<id>, or a whole path when it starts with "!" */
    const char *args[4];
    int status;
    const char *code;          /* the error's code, or NULL for a 200 */
};

#define TREE_DEPTH_MAX_TEXT "64"
#define TREE_NODES_MAX_TEXT "100000"

static const struct route_row ROUTE_ROWS[] = {
    {"health_answers_ok", "GET", "!/healthz", {0}, 200, NULL},
    {"unknown_route_is_404", "GET", "!/api/nothing", {0}, 404, "not_found"},
    {"bad_id_is_404", "GET", "!/api/profiles/../../etc/passwd", {0}, 404, "not_found"},
    {"upper_case_id_is_404", "GET", "!/api/profiles/0123456789ABCDEF0123456789ABCDEF", {0}, 404,
     "not_found"},
    {"unknown_id_is_404", "GET", "!/api/profiles/0123456789abcdef0123456789abcdef", {0}, 404,
     "not_found"},
    {"a_diff_without_ids_is_400", "GET", "!/api/diff", {0}, 400, "bad_request"},
    {"a_diff_posted_is_405", "POST", "!/api/diff/tree", {0}, 405, "method_not_allowed"},
    {"listing_without_list_is_404", "GET", "!/api/profiles", {0}, 404, "not_found"},
    {"put_on_the_profiles_is_405", "PUT", "!/api/profiles", {0}, 405, "method_not_allowed"},
    {"post_on_a_profile_is_405", "POST", "", {0}, 405, "method_not_allowed"},
    {"delete_below_a_profile_is_405", "DELETE", "/tree", {0}, 405, "method_not_allowed"},
    {"unknown_route_below_a_profile_is_404", "GET", "/nothing", {0}, 404, "not_found"},
    {"metadata_is_200", "GET", "", {0}, 200, NULL},
    {"functions_default_is_200", "GET", "/functions", {0}, 200, NULL},
    {"functions_bad_sort_is_400", "GET", "/functions", {"sort=bogus"}, 400, "bad_request"},
    {"functions_bad_order_is_400", "GET", "/functions", {"order=up"}, 400, "bad_request"},
    {"functions_limit_0_is_400", "GET", "/functions", {"limit=0"}, 400, "bad_request"},
    {"functions_limit_1001_is_400", "GET", "/functions", {"limit=1001"}, 400, "bad_request"},
    {"functions_limit_1000_is_200", "GET", "/functions", {"limit=1000"}, 200, NULL},
    {"functions_signed_offset_is_400", "GET", "/functions", {"offset=+1"}, 400, "bad_request"},
    {"functions_bad_regex_is_400", "GET", "/functions", {"q=("}, 400, "bad_request"},
    {"functions_search_is_200", "GET", "/functions", {"q=loads"}, 200, NULL},
    {"function_unknown_fid_is_404", "GET", "/functions/999999", {0}, 404, "not_found"},
    {"function_fid_not_a_number_is_404", "GET", "/functions/x", {0}, 404, "not_found"},
    {"function_0_is_200", "GET", "/functions/0", {0}, 200, NULL},
    {"tree_default_is_200", "GET", "/tree", {0}, 200, NULL},
    {"tree_depth_0_is_400", "GET", "/tree", {"depth=0"}, 400, "bad_request"},
    {"tree_depth_at_the_limit_is_200", "GET", "/tree", {"depth=" TREE_DEPTH_MAX_TEXT}, 200, NULL},
    {"tree_depth_over_the_limit_is_400", "GET", "/tree", {"depth=65"}, 400, "bad_request"},
    {"tree_depth_auto_is_200", "GET", "/tree", {"depth=auto"}, 200, NULL},
    {"tree_depth_auto_in_capitals_is_400", "GET", "/tree", {"depth=AUTO"}, 400, "bad_request"},
    {"tree_depth_auto_with_more_is_400", "GET", "/tree", {"depth=auto1"}, 400, "bad_request"},
    {"tree_depth_empty_is_400", "GET", "/tree", {"depth="}, 400, "bad_request"},
    {"tree_max_nodes_0_is_400", "GET", "/tree", {"max_nodes=0"}, 400, "bad_request"},
    {"tree_max_nodes_at_the_limit_is_200", "GET", "/tree", {"max_nodes=" TREE_NODES_MAX_TEXT}, 200,
     NULL},
    {"tree_max_nodes_over_the_limit_is_400", "GET", "/tree", {"max_nodes=100001"}, 400,
     "bad_request"},
    {"tree_cutoff_2_is_400", "GET", "/tree", {"cutoff=2"}, 400, "bad_request"},
    {"tree_cutoff_hex_float_is_400", "GET", "/tree", {"cutoff=0x1p-3"}, 400, "bad_request"},
    {"tree_cutoff_exponent_is_200", "GET", "/tree", {"cutoff=1e-3"}, 200, NULL},
    {"tree_bad_hide_is_400", "GET", "/tree", {"hide=nope"}, 400, "bad_request"},
    {"tree_hide_is_200", "GET", "/tree", {"hide=builtins,stdlib"}, 200, NULL},
    {"tree_root_and_path_is_400", "GET", "/tree", {"root=1", "path="}, 400, "bad_request"},
    {"tree_root_not_a_fid_is_400", "GET", "/tree", {"root=abc"}, 400, "bad_request"},
    {"tree_root_unknown_is_404", "GET", "/tree", {"root=999999"}, 404, "not_found"},
    {"tree_path_empty_item_is_400", "GET", "/tree", {"path=0,"}, 400, "bad_request"},
    {"tree_inverted_is_200", "GET", "/tree", {"root=18", "invert=1"}, 200, NULL},
    {"tree_invert_without_root_is_400", "GET", "/tree", {"invert=1"}, 400, "bad_request"},
    {"tree_invert_with_a_path_is_400", "GET", "/tree", {"path=", "invert=1"}, 400,
     "bad_request"},
    {"tree_invert_2_is_400", "GET", "/tree", {"root=18", "invert=2"}, 400, "bad_request"},
    {"tree_invert_empty_is_400", "GET", "/tree", {"root=18", "invert="}, 400, "bad_request"},
    {"tree_invert_with_hide_is_400", "GET", "/tree", {"root=18", "invert=1", "hide=builtins"},
     400, "bad_request"},
    {"tree_invert_of_an_unknown_root_is_404", "GET", "/tree", {"root=999999", "invert=1"}, 404,
     "not_found"},
    {"export_bad_format_is_400", "GET", "/export", {"format=xml"}, 400, "bad_request"},
    {"export_collapsed_is_200", "GET", "/export", {"format=collapsed"}, 200, NULL},
    {"source_without_roots_is_404", "GET", "/source", {"fid=0"}, 404, "not_found"},
    {"source_bad_fid_is_404", "GET", "/source", {"fid=-1"}, 404, "not_found"},
};

static void routes_answer_as_documented(void)
{
    for (size_t i = 0; i < sizeof ROUTE_ROWS / sizeof ROUTE_ROWS[0]; i++) {
        const struct route_row *r = &ROUTE_ROWS[i];
        char path[256];
        if (r->rest[0] == '!')
            snprintf(path, sizeof path, "%s", r->rest + 1);
        else
            snprintf(path, sizeof path, "%s%s", base, r->rest);
        struct answer a = ask(r->method, path, r->args, NULL, NULL, 0);
        const char *code = error_code(&a);
        bool json_ok = a.json || (r->code == NULL && strstr(r->rest, "/export"));
        CHECK(a.status == r->status && json_ok &&
                  (r->code ? code && !strcmp(code, r->code) : !code),
              r->name, "%s %s: status %d (want %d), code %s, body %.200s", r->method, path,
              a.status, r->status, code ? code : "-", a.body ? a.body : "");
        answer_fini(&a);
    }
}

/* The bounds the rows above spell out are tree.h's. */
static void tree_bounds_are_tree_h_s(void)
{
    CHECK(PV_TREE_MAX_DEPTH == atoi(TREE_DEPTH_MAX_TEXT) &&
              PV_TREE_MAX_NODES == atoi(TREE_NODES_MAX_TEXT),
          "tree_bounds_are_tree_h_s", "tree.h says depth %d, nodes %d", PV_TREE_MAX_DEPTH,
          PV_TREE_MAX_NODES);
    /* a default tree is "auto": with no cutoff, deeper than the old fixed
     * 10 levels on the sample, and no deeper than 64 */
    struct answer a = ask("GET", strcat(strcpy((char[160]){0}, base), "/tree"),
                          (const char *const[]){"cutoff=0", NULL}, NULL, NULL, 0);
    int deepest = 0;
    struct walk {
        const cJSON *node;
        int depth;
    } stack[4096];
    int n = 0;
    const cJSON *root = cJSON_GetObjectItem(a.json, "root");
    if (root)
        stack[n++] = (struct walk){root, 0};
    while (n) {
        struct walk w = stack[--n];
        deepest = w.depth > deepest ? w.depth : deepest;
        const cJSON *kid;
        cJSON_ArrayForEach(kid, cJSON_GetObjectItem(w.node, "children")) if (n < 4096)
            stack[n++] = (struct walk){kid, w.depth + 1};
    }
    const cJSON *params = cJSON_GetObjectItem(a.json, "params");
    CHECK(a.status == 200 && PV_TREE_DEFAULT_DEPTH == PV_TREE_DEPTH_AUTO && deepest > 10 &&
              deepest <= PV_TREE_MAX_DEPTH &&
              cJSON_IsString(cJSON_GetObjectItem(params, "depth")) &&
              !strcmp(cJSON_GetObjectItem(params, "depth")->valuestring, "auto"),
          "the_default_depth_is_auto", "status %d, deepest level %d", a.status, deepest);
    answer_fini(&a);
}

static void metadata_tells_the_stored_row_and_entry_points(void)
{
    struct answer a = ask("GET", base, NULL, NULL, NULL, 0);
    const cJSON *entries = cJSON_GetObjectItem(a.json, "entries");
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(a.json, "id"));
    const char *created = cJSON_GetStringValue(cJSON_GetObjectItem(a.json, "created"));
    CHECK(a.status == 200 && id && !strcmp(id, pid) && created &&
              created[strlen(created) - 1] == 'Z' &&
              cJSON_GetArraySize(entries) > 0 &&
              cJSON_GetObjectItem(cJSON_GetArrayItem(entries, 0), "label") &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(a.json, "functions")) > 0,
          "metadata_tells_the_stored_row_and_entry_points", "status %d: %.300s", a.status,
          a.body ? a.body : "");
    answer_fini(&a);
}

/* Models a fresh API (one with an empty cache) holds after asking path;
 * *body (malloc'd, may be NULL) is its answer. */
static size_t models_after(const struct pv_api_config *cfg, const char *path, char **body)
{
    struct pv_api *shared = api;
    pv_err err;
    struct pv_cache_usage u = {0};
    *body = NULL;
    if (pv_api_create(cfg, &api, &err) == PV_OK) {
        struct answer a = ask("GET", path, NULL, NULL, NULL, 0);
        if (a.status == 200)
            *body = a.body, a.body = NULL;
        answer_fini(&a);
        pv_cache_usage(pv_api_cache(api), &u);
        pv_api_destroy(api);
    }
    api = shared;
    return u.entries;
}

/* The metadata of profile id (stored in cfg's database) is one row: the
 * import stored the entry points with it.  A row without them (stored
 * before schema version 4) takes them from the model, to the same bytes,
 * a NUL in a name included (api_json writes such names raw). */
static void metadata_loads_no_model(const struct pv_api_config *cfg, const char *id,
                                    const char *what)
{
    char path[192], name[160];
    snprintf(path, sizeof path, "/api/profiles/%s", id);
    char *stored, *from_model, *tree;
    size_t for_meta = models_after(cfg, path, &stored);
    cJSON *doc = stored ? cJSON_Parse(stored) : NULL;
    int nentries = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "entries"));
    cJSON_Delete(doc);
    snprintf(path + strlen(path), sizeof path - strlen(path), "/tree");
    size_t for_tree = models_after(cfg, path, &tree);
    snprintf(name, sizeof name, "metadata_loads_no_model_%s", what);
    CHECK(for_meta == 0 && nentries > 0 && for_tree == 1, name,
          "%zu models after the metadata (%d entries), %zu after a tree", for_meta, nentries,
          for_tree);
    sqlite3 *db;
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE profiles SET entries = NULL WHERE id = '%s'", id);
    int rc = sqlite3_open(cfg->db_path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    path[strlen(path) - strlen("/tree")] = '\0';
    size_t for_old_meta = models_after(cfg, path, &from_model);
    snprintf(name, sizeof name, "metadata_of_an_older_row_is_the_same_from_the_model_%s", what);
    CHECK(rc == SQLITE_OK && for_old_meta == 1 && stored && from_model &&
              !strcmp(stored, from_model),
          name, "rc %d, %zu models:\n%.300s\n%.300s", rc, for_old_meta,
          stored ? stored : "(none)", from_model ? from_model : "(none)");
    free(stored);
    free(from_model);
    free(tree);
}

/* A stats file of one function, ('a.py', 1, 'x\0y'): its entry point's
 * name has a NUL. */
static void nul_named_profile(struct w *w)
{
    byte(w, '{');
    tuple(w, 3);
    str(w, "a.py");
    num(w, 1);
    byte(w, 'u');
    i32(w, 3);
    memcpy(w->b + w->n, "x\0y", 3);
    w->n += 3;
    stats(w, 1, 1, 0.5, 0.5);
    byte(w, '0');
    byte(w, '0');
}

/* ---- delete --------------------------------------------------------------- */

static void delete_needs_the_token(void)
{
    char bearer[160];
    struct answer a = ask("DELETE", base, NULL, NULL, NULL, 0);
    CHECK(a.status == 403 && !strcmp(error_code(&a), "forbidden"), "no_token_is_403", "status %d",
          a.status);
    answer_fini(&a);
    a = ask("DELETE", base, NULL,
            (const char *const[]){"Authorization=Bearer 00000000000000000000000000000000", NULL},
            NULL, 0);
    CHECK(a.status == 403, "a_wrong_token_is_403", "status %d", a.status);
    answer_fini(&a);
    a = ask("GET", base, NULL, NULL, NULL, 0);
    CHECK(a.status == 200, "a_wrong_token_deletes_nothing", "status %d", a.status);
    answer_fini(&a);

    snprintf(bearer, sizeof bearer, "authorization=bEaReR   %s", token);
    a = ask("DELETE", base, NULL, (const char *const[]){bearer, NULL}, NULL, 0);
    CHECK(a.status == 204 && !a.body, "the_token_deletes_any_case_any_spaces", "status %d",
          a.status);
    answer_fini(&a);
    struct pv_cache_usage u;
    pv_cache_usage(pv_api_cache(api), &u);
    CHECK(u.entries == 0, "a_delete_drops_the_model_from_the_cache", "%zu entries left", u.entries);
    a = ask("GET", base, NULL, NULL, NULL, 0);
    CHECK(a.status == 404, "a_deleted_profile_is_404", "status %d", a.status);
    answer_fini(&a);
    a = ask("DELETE", base, NULL, (const char *const[]){bearer, NULL}, NULL, 0);
    CHECK(a.status == 404, "deleting_twice_is_404", "status %d", a.status);
    answer_fini(&a);
}

/* ---- what http asks ------------------------------------------------------ */

struct classify_row {
    const char *name;
    const char *method, *path;
    bool ours, upload, immutable;
    const char *profile;
};

#define ID "0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210"

static const struct classify_row CLASSIFY_ROWS[] = {
    {"post_of_the_profiles_is_an_upload", "POST", "/api/profiles", true, true, false, ""},
    {"post_with_a_slash_is_an_upload", "POST", "/api/profiles/", true, true, false, ""},
    {"a_listing_is_not_an_upload", "GET", "/api/profiles", true, false, false, ""},
    {"a_tree_is_immutable", "GET", "/api/profiles/" ID "/tree", true, false, true, ID},
    {"a_head_is_like_a_get", "HEAD", "/api/profiles/" ID, true, false, true, ID},
    {"source_lines_are_not_immutable", "GET", "/api/profiles/" ID "/source", true, false, false,
     ID},
    {"a_delete_names_its_profile", "DELETE", "/api/profiles/" ID, true, false, false, ID},
    {"a_bad_id_names_no_profile", "GET", "/api/profiles/nothex", true, false, false, ""},
    {"health_is_ours", "GET", "/healthz", true, false, false, ""},
    {"a_diff_is_ours_and_not_kept", "GET", "/api/diff", true, false, false, ""},
    {"any_api_path_is_ours", "GET", "/api/nothing", true, false, false, ""},
    {"a_page_is_not_ours", "GET", "/p/" ID, false, false, false, ""},
    {"the_start_page_is_not_ours", "GET", "/", false, false, false, ""},
};

/* A pair's query: {a, b}. */
static const char *pair_arg(void *ctx, const char *name)
{
    const char *const *ab = ctx;
    return !strcmp(name, "a") ? ab[0] : !strcmp(name, "b") ? ab[1] : NULL;
}

static const struct {
    const char *name;
    const char *ab[2];
    bool immutable;
    const char *profile, *profile_b;
} PAIR_ROWS[] = {
    {"a_diff_of_two_ids_is_immutable", {ID, ID_B}, true, ID, ID_B},
    {"a_diff_of_a_bad_id_is_not_kept", {ID, "x"}, false, "", ""},
    {"a_diff_of_one_id_is_not_kept", {ID, NULL}, false, "", ""},
};

static void classify_tells_http_what_a_request_is(void)
{
    for (size_t i = 0; i < sizeof CLASSIFY_ROWS / sizeof CLASSIFY_ROWS[0]; i++) {
        const struct classify_row *r = &CLASSIFY_ROWS[i];
        struct pv_api_route got;
        pv_api_classify(r->method, r->path, pair_arg, (const char *[]){NULL, NULL}, &got);
        CHECK(got.ours == r->ours && got.upload == r->upload && got.immutable == r->immutable &&
                  !strcmp(got.profile, r->profile),
              r->name, "ours %d upload %d immutable %d profile '%s'", got.ours, got.upload,
              got.immutable, got.profile);
    }
    for (size_t i = 0; i < sizeof PAIR_ROWS / sizeof PAIR_ROWS[0]; i++) {
        struct pv_api_route got;
        pv_api_classify("GET", "/api/diff/tree", pair_arg, (void *)PAIR_ROWS[i].ab, &got);
        CHECK(got.ours && got.pair && got.immutable == PAIR_ROWS[i].immutable &&
                  !strcmp(got.profile, PAIR_ROWS[i].profile) &&
                  !strcmp(got.profile_b, PAIR_ROWS[i].profile_b),
              PAIR_ROWS[i].name, "pair %d immutable %d profiles '%s' '%s'", got.pair,
              got.immutable, got.profile, got.profile_b);
    }
}

/* ---- the one mapping ---------------------------------------------------- */

static const struct {
    pv_code code;
    int status;
    const char *word;
} STATUS_ROWS[] = {
    {PV_E_FORMAT, 422, "not_a_profile"},   {PV_E_SHAPE, 422, "not_a_profile"},
    {PV_E_LIMIT, 422, "not_a_profile"},    {PV_E_NOMEM, 500, "internal"},
    {PV_E_IO, 500, "internal"},            {PV_E_DB, 500, "internal"},
    {PV_E_NOTFOUND, 404, "not_found"},     {PV_E_USAGE, 400, "bad_request"},
    {PV_E_DENIED, 403, "forbidden"},       {PV_E_BUSY, 503, "busy"},
    {PV_E_FULL, 507, "insufficient_storage"}, {PV_E_CANCELLED, 503, "cancelled"},
    {PV_E_BUDGET, 413, "over_budget"},     {PV_E_TOO_LARGE, 413, "too_large"},
    {PV_E_MEDIA, 415, "unsupported_media_type"}, {PV_E_METHOD, 405, "method_not_allowed"},
};

static void every_code_has_its_status(void)
{
    for (size_t i = 0; i < sizeof STATUS_ROWS / sizeof STATUS_ROWS[0]; i++) {
        pv_err err;
        pv_err_set(&err, STATUS_ROWS[i].code, "why \"quoted\"");
        struct pv_response res;
        pv_api_error(&res, &err, NULL);
        cJSON *j = cJSON_Parse(res.body);
        cJSON *e = cJSON_GetObjectItem(j, "error");
        const char *word = cJSON_GetStringValue(cJSON_GetObjectItem(e, "code"));
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(e, "message"));
        char name[64];
        snprintf(name, sizeof name, "%s_is_%d", STATUS_ROWS[i].word, STATUS_ROWS[i].status);
        CHECK(res.status == STATUS_ROWS[i].status && word && !strcmp(word, STATUS_ROWS[i].word) &&
                  msg && !strcmp(msg, "why \"quoted\"") &&
                  !strcmp(res.content_type, "application/json") &&
                  (res.retry_after_s > 0) == (STATUS_ROWS[i].code == PV_E_BUSY),
              name, "code %d: status %d, body %s, retry %u", STATUS_ROWS[i].code, res.status,
              res.body, res.retry_after_s);
        cJSON_Delete(j);
        free(res.body);
    }
    pv_err err;
    pv_err_set(&err, PV_E_BUDGET, "too big");
    struct pv_response res;
    pv_api_error(&res, &err, &(struct pv_api_budget){"bytes", 100, 64});
    cJSON *j = cJSON_Parse(res.body), *e = cJSON_GetObjectItem(j, "error");
    CHECK(res.status == 413 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "unit")), "bytes") &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(e, "needed")) == 100 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(e, "budget")) == 64,
          "over_budget_carries_its_numbers", "%s", res.body);
    cJSON_Delete(j);
    free(res.body);
}

/* ---- setup ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_api STATS_FILE TMPDIR\n");
        return 2;
    }
    char db[4096];
    snprintf(db, sizeof db, "%s/test_api.db", argv[2]);
    remove(db);
    struct pv_api_config cfg = {.db_path = db, .max_upload_bytes = 1 << 20,
                                .cache_bytes = 64 << 20};
    pv_err err;
    size_t len;
    uint8_t *stats = read_file(argv[1], &len);
    if (!stats || pv_api_create(&cfg, &api, &err)) {
        fprintf(stderr, "setup failed\n");
        return 2;
    }
    classify_tells_http_what_a_request_is();
    every_code_has_its_status();

    struct answer up = ask("POST", "/api/profiles", (const char *const[]){"name=t.prof", NULL},
                           NULL, stats, len);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(up.json, "id"));
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItem(up.json, "delete_token"));
    CHECK(up.status == 201 && id && tok, "an_upload_is_201_with_a_token", "status %d: %.200s",
          up.status, up.body ? up.body : "");
    snprintf(pid, sizeof pid, "%s", id ? id : "");
    snprintf(token, sizeof token, "%s", tok ? tok : "");
    snprintf(base, sizeof base, "/api/profiles/%s", pid);
    answer_fini(&up);
    up = ask("POST", "/api/profiles", NULL, NULL, stats, len);
    CHECK(up.status == 200 && !cJSON_GetObjectItem(up.json, "delete_token"),
          "the_same_bytes_again_are_200_without_a_token", "status %d", up.status);
    answer_fini(&up);
    up = ask("POST", "/api/profiles", NULL, NULL, "not a profile", 13);
    CHECK(up.status == 422 && !strcmp(error_code(&up), "not_a_profile"),
          "an_upload_that_is_no_profile_is_422", "status %d", up.status);
    answer_fini(&up);

    routes_answer_as_documented();
    tree_bounds_are_tree_h_s();
    metadata_tells_the_stored_row_and_entry_points();
    metadata_loads_no_model(&cfg, pid, "sample");
    delete_needs_the_token();
    /* after the delete, which counts the models left in the cache */
    struct w nul = {.n = 0};
    nul_named_profile(&nul);
    up = ask("POST", "/api/profiles", NULL, NULL, nul.b, nul.n);
    id = cJSON_GetStringValue(cJSON_GetObjectItem(up.json, "id"));
    CHECK(up.status == 201 && id, "a_profile_with_a_nul_in_a_name_is_201", "status %d",
          up.status);
    if (id)
        metadata_loads_no_model(&cfg, id, "nul_in_a_name");
    answer_fini(&up);

    pv_api_destroy(api);
    remove(db);
    free(stats);
    return check_done();
}
