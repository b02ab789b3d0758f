/* Unit tests of answers written piece by piece: the three export formats
 * and the tree's JSON (sized before writing: the size is an upper bound,
 * and tight), streams (pieces add up to the whole; the backstop budget
 * holds) and export budgets. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "export.h"
#include "marshal_writer.h"
#include "profile.h"
#include "stream.h"
#include "tree.h"
#include "treejson.h"

/* ---- messages ----------------------------------------------------------- */

/* An export over its budget names both sizes with separators. */
static void counts_have_thousands_separators(void)
{
    char digits[32];
    pv_format_count(211502803, digits);
    CHECK(!strcmp(digits, "211,502,803"), "counts_have_thousands_separators", "%s", digits);
    pv_format_count(999, digits);
    CHECK(!strcmp(digits, "999"), "small_counts_have_none", "%s", digits);
}

/* ---- profiles from tables ----------------------------------------------- */

/* The profile of fns and calls (see marshal_writer.h), or NULL with a
 * line printed. */
static struct pv_profile *build(const struct fn *fns, int nfns, const struct call *calls)
{
    static struct w w;
    w.n = 0;
    profile_of_tables(&w, fns, nfns, calls);
    return profile_of_written(&w);
}

static char long_file[2101];
static char long_name[101];

static const struct fn PLAIN[] = {
    {"app.py", 1, "main", 1, 1, 1, 10, false}, {"app.py", 10, "a", 1, 1, 1, 4, false},
    {"app.py", 20, "b", 1, 1, 3, 5, false},    {"app.py", 30, "c", 2, 2, 1, 5, false},
    {"app.py", 40, "d", 2, 2, 4, 4, false},
};
static const struct call PLAIN_CALLS[] = {
    {0, 1, 1, 1, 1, 4, false},   {0, 2, 1, 1, 3, 5, false}, {1, 3, 1, 1, 0.6, 3, false},
    {2, 3, 1, 1, 0.4, 2, false}, {3, 4, 2, 2, 4, 4, false}, {-1, 0, 0, 0, 0, 0, false},
};

/* Names every escape touches, a builtin, a bare-count edge (the `profile`
 * module's), and times that print at full length. */
static const struct fn ODD[] = {
    {"dir \"q\"\\x.py", 1, "tab\there", 1, 1, 0.1, 1.0 / 3, false},
    {"caf\xc3\xa9/\xe2\x82\xac.py", 2, "\xf0\x9f\x98\x80", 3, 3, 0.2, 0.2, false},
    {"~", 0, "<built-in method builtins.len>", 5, 5, 0.01, 0.01, false},
    {"ctl\x01.py", 3, "semi;colon", 1, 1, 1e-7, 2.0 / 7, false},
};
static const struct call ODD_CALLS[] = {
    {0, 1, 3, 3, 0.2, 0.2, false},     {0, 2, 5, 5, 0.01, 0.01, false},
    {0, 3, 1, 1, 1e-7, 2.0 / 7, true}, {-1, 0, 0, 0, 0, 0, false},
};

/* A file name longer than a view shows, and a long name shared. */
static const struct fn LONG[] = {
    {"app.py", 1, "main", 1, 1, 1, 3, false},
    {long_file, 1, long_name, 1, 1, 1, 1, false},
    {long_file, 2, "g", 1, 1, 1, 1, false},
};
static const struct call LONG_CALLS[] = {
    {0, 1, 1, 1, 1, 1, false}, {0, 2, 1, 1, 1, 1, false}, {-1, 0, 0, 0, 0, 0, false},
};

/* ---- exports ------------------------------------------------------------ */

static char *write_all(const struct pv_profile *p, pv_export_format f, uint64_t max, size_t *len,
                       pv_code *rc)
{
    char *buf = NULL;
    pv_err err = {0};
    FILE *out = open_memstream(&buf, len);
    *rc = pv_export_write(p, "test profile", f, max, out, &err);
    fclose(out);
    return buf;
}

static pv_code export_next(void *ctx, FILE *out, bool *done, pv_err *err)
{
    return pv_export_write_next(ctx, out, done, err);
}

static void destroy_export(void *ctx)
{
    pv_export_destroy(ctx);
}

/* All of a stream, asking for want bytes at a time. */
static char *drain(struct pv_stream *s, size_t want, size_t *len, pv_code *rc)
{
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    pv_err err = {0};
    *rc = PV_OK;
    while (!*rc) {
        *rc = pv_stream_fill(s, want, &err);
        size_t n;
        const char *data = pv_stream_peek(s, &n);
        fwrite(data, 1, n, out);
        pv_stream_consume(s, n);
        if (!n && pv_stream_done(s))
            break;
    }
    fclose(out);
    return buf;
}

static void export_profile(const char *what, const struct pv_profile *p)
{
    static const char *const names[] = {"json", "speedscope", "collapsed"};
    for (int f = PV_EXPORT_JSON; f <= PV_EXPORT_COLLAPSED; f++) {
        char name[96];
        size_t len, plen;
        pv_code rc, prc;
        char *all = write_all(p, f, 0, &len, &rc);
        struct pv_export *x = NULL;
        struct pv_entry *entries = NULL;
        size_t nentries;
        pv_err err = {0};
        /* the server's way: the entry points its model found, given; the
         * whole written at once finds them itself, and must match */
        if (rc || pv_tree_entries(p, &entries, &nentries, &err) ||
            pv_export_create(p, entries, nentries, "test profile", f, NULL, NULL, &x, &err)) {
            snprintf(name, sizeof name, "%s_%s_export_is_written", what, names[f]);
            CHECK(false, name, "%s", err.msg);
            free(entries);
            free(all);
            continue;
        }
        free(entries); /* borrowed for the create only */
        uint64_t bound = pv_export_bound(x);
        /* times are counted at 24 bytes; ints and strings exactly */
        uint64_t slack = 24 * (2 * (uint64_t)p->nfuncs + 2 * p->nedges + 64);
        snprintf(name, sizeof name, "%s_%s_size_is_bounded_tightly", what, names[f]);
        CHECK(len <= bound && bound <= len + (f == PV_EXPORT_COLLAPSED ? 0 : slack), name,
              "wrote %zu, bound %llu", len, (unsigned long long)bound);

        struct pv_stream *s;
        pv_stream_create(export_next, destroy_export, x, bound, &s, &err);
        char *pieces = drain(s, 1, &plen, &prc);
        pv_stream_destroy(s);
        snprintf(name, sizeof name, "%s_%s_pieces_add_up_to_the_whole", what, names[f]);
        CHECK(prc == PV_OK && plen == len && !memcmp(pieces, all, len), name, "rc %d, %zu vs %zu",
              prc, plen, len);
        free(pieces);

        size_t over_len;
        char *over = write_all(p, f, bound - 1, &over_len, &rc);
        snprintf(name, sizeof name, "%s_%s_over_budget_writes_nothing", what, names[f]);
        CHECK(rc == PV_E_LIMIT && over_len == 0, name, "rc %d, %zu bytes", rc, over_len);
        free(over);
        char *exact = write_all(p, f, bound, &over_len, &rc);
        snprintf(name, sizeof name, "%s_%s_budget_of_the_bound_is_enough", what, names[f]);
        CHECK(rc == PV_OK && over_len == len, name, "rc %d", rc);
        free(exact);

        if (f == PV_EXPORT_JSON || f == PV_EXPORT_SPEEDSCOPE) {
            /* Python's json reads NaN; cJSON does not, and none is here */
            cJSON *j = cJSON_ParseWithLength(all, len);
            snprintf(name, sizeof name, "%s_%s_is_json", what, names[f]);
            CHECK(j != NULL, name, "%.200s", all);
            cJSON_Delete(j);
        }
        free(all);
    }
}

static void exports_are_bounded_and_piecewise(void)
{
    struct {
        const char *what;
        const struct fn *fns;
        int n;
        const struct call *calls;
    } rows[] = {
        {"plain", PLAIN, 5, PLAIN_CALLS},
        {"odd_names", ODD, 4, ODD_CALLS},
        {"long_names", LONG, 3, LONG_CALLS},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pv_profile *p = build(rows[i].fns, rows[i].n, rows[i].calls);
        if (!p) {
            CHECK(false, rows[i].what, "no profile");
            continue;
        }
        export_profile(rows[i].what, p);
        pv_profile_destroy(p);
    }
    pv_export_format f;
    pv_err err = {0};
    CHECK(pv_export_format_parse("xml", &f, &err) == PV_E_USAGE && strstr(err.msg, "xml"),
          "unknown_format_is_a_usage_error", "%s", err.msg);
}

/* ---- the tree's JSON ---------------------------------------------------- */

static pv_code tree_next(void *ctx, FILE *out, bool *done, pv_err *err)
{
    return pv_treejson_write_next(ctx, out, done, err);
}

static void destroy_tree(void *ctx)
{
    pv_treejson_destroy(ctx);
}

static const cJSON *child_named(const cJSON *node, const char *name)
{
    const cJSON *kids = cJSON_GetObjectItem(node, "children"), *k;
    cJSON_ArrayForEach(k, kids)
    {
        const cJSON *n = cJSON_GetObjectItem(k, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return k;
    }
    return NULL;
}

static void tree_json_is_bounded_and_cut(void)
{
    struct pv_profile *p = build(LONG, 3, LONG_CALLS);
    struct pv_profile *q = build(PLAIN, 5, PLAIN_CALLS);
    if (!p || !q) {
        CHECK(false, "tree_json_profiles", "no profile");
        pv_profile_destroy(p);
        pv_profile_destroy(q);
        return;
    }
    const struct pv_profile *profiles[] = {p, q};
    for (int i = 0; i < 2; i++) {
        struct pv_tree_query query = {.depth = 10, .cutoff = i ? 0.3 : 0, .max_nodes = 100};
        struct pv_tree *t;
        struct pv_treejson *j;
        pv_err err = {0};
        if (pv_tree_build(profiles[i], &query, &t, &err) ||
            pv_treejson_create(profiles[i], t, &j, &err)) {
            CHECK(false, "tree_json_is_made", "%s", err.msg);
            continue;
        }
        uint64_t bound = pv_treejson_bound(j);
        size_t nodes = pv_treejson_nodes(j), len;
        struct pv_stream *s;
        pv_code rc;
        pv_stream_create(tree_next, destroy_tree, j, 0, &s, &err);
        char *out = drain(s, 7, &len, &rc);
        pv_stream_destroy(s);
        CHECK(rc == PV_OK && len <= bound && bound <= len + 25 * (3 * nodes + 8),
              "tree_json_size_is_bounded_tightly", "wrote %zu, bound %llu", len,
              (unsigned long long)bound);
        cJSON *doc = cJSON_ParseWithLength(out, len);
        const cJSON *root = cJSON_GetObjectItem(doc, "root");
        CHECK(doc && cJSON_IsNull(cJSON_GetObjectItem(root, "fid")) &&
                  cJSON_GetArraySize(cJSON_GetObjectItem(doc, "breadcrumbs")) == 1,
              "tree_json_parses_with_the_top_first", "%.300s", out);
        if (i == 0) {
            const cJSON *main = child_named(root, "main");
            const cJSON *f = child_named(main, long_name);
            const cJSON *file = cJSON_GetObjectItem(f, "file");
            const cJSON *label = cJSON_GetObjectItem(f, "label");
            size_t nf = cJSON_IsString(file) ? strlen(file->valuestring) : 0;
            CHECK(nf == PV_VIEW_TEXT_MAX + 3 &&
                      !strcmp(file->valuestring + PV_VIEW_TEXT_MAX, "\xe2\x80\xa6") &&
                      cJSON_IsString(label) && strlen(label->valuestring) == nf &&
                      !strncmp(label->valuestring, long_file, PV_VIEW_TEXT_MAX),
                  "long_file_and_label_are_cut_with_an_ellipsis", "file %zu bytes", nf);
            const cJSON *name = cJSON_GetObjectItem(f, "name");
            CHECK(cJSON_IsString(name) && !strcmp(name->valuestring, long_name),
                  "names_under_the_limit_are_whole", "%s", name ? name->valuestring : "-");
        } else
            CHECK(strstr(out, "{\"other\":true,\"count\":1,\"value\":2.4"),
                  "other_nodes_are_written", "%.300s", out);
        cJSON_Delete(doc);
        free(out);
    }
    pv_profile_destroy(p);
    pv_profile_destroy(q);
}

/* ---- streams ------------------------------------------------------------ */

struct counter {
    int pieces, left, destroyed;
};

static pv_code count_next(void *ctx, FILE *out, bool *done, pv_err *err)
{
    struct counter *c = ctx;
    fprintf(out, "piece %d;", c->pieces++);
    *done = --c->left == 0;
    return PV_OK;
}

static void count_destroy(void *ctx)
{
    ((struct counter *)ctx)->destroyed++;
}

static void streams_fill_on_demand_and_keep_budgets(void)
{
    struct counter c = {.left = 1000};
    struct pv_stream *s;
    pv_err err = {0};
    pv_stream_create(count_next, count_destroy, &c, 0, &s, &err);
    CHECK(c.pieces == 0, "nothing_is_written_before_asked", "%d pieces", c.pieces);
    pv_stream_fill(s, 20, &err);
    size_t n;
    pv_stream_peek(s, &n);
    CHECK(c.pieces == 3 && n >= 20, "a_fill_writes_just_enough_pieces", "%d pieces, %zu bytes",
          c.pieces, n);
    size_t len;
    pv_code rc;
    char *rest = drain(s, 4096, &len, &rc);
    CHECK(rc == PV_OK && c.pieces == 1000 && pv_stream_done(s) && pv_stream_written(s) == len &&
              !strncmp(rest, "piece 0;", 8) && strstr(rest, "piece 999;"),
          "the stream ends after the last piece", "%d pieces", c.pieces);
    free(rest);
    pv_stream_destroy(s);
    CHECK(c.destroyed == 1, "destroy_frees_the_producer_once", "%d", c.destroyed);

    c = (struct counter){.left = 1000};
    pv_stream_create(count_next, count_destroy, &c, 100, &s, &err);
    rest = drain(s, 1, &len, &rc);
    CHECK(rc == PV_E_LIMIT && len <= 100, "a_stream_past_its_budget_fails", "rc %d, %zu bytes", rc,
          len);
    free(rest);
    pv_stream_destroy(s);
    CHECK(c.destroyed == 1, "a_failed_stream_frees_the_producer", "%d", c.destroyed);
}

int main(void)
{
    memset(long_file, 'f', sizeof long_file - 1);
    memcpy(long_file, "/src/", 5);
    memset(long_name, 'n', sizeof long_name - 1);
    counts_have_thousands_separators();
    exports_are_bounded_and_piecewise();
    tree_json_is_bounded_and_cut();
    streams_fill_on_demand_and_keep_budgets();
    return check_done();
}
