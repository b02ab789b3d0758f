/* Unit tests of the tree's JSON: the answer parses, is no longer than its
 * bound, and carries the settings that made it and the ranges and
 * defaults of include/tree.h, which the viewer reads instead of keeping a
 * copy. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "marshal_writer.h"
#include "profile.h"
#include "tree.h"
#include "treejson.h"

/* The small profile's tree from main, cutoff 0.2, as the writer gave it
 * before it moved from fprintf to jsonw.h (and the API answers it for
 * the same file, path=0&cutoff=0.2). */
#define GOLDEN_TREE \
    "{\"total_time\":1.5,\"params\":{\"depth\":\"auto\",\"cutoff\":0.2," \
    "\"max_nodes\":20000},\"limits\":{\"depth\":{\"min\":1,\"max\":64," \
    "\"default\":\"auto\"},\"cutoff\":{\"min\":0,\"max\":1,\"default\":0.001}," \
    "\"max_nodes\":{\"min\":1,\"max\":100000,\"default\":20000}}," \
    "\"breadcrumbs\":[{\"fid\":null,\"name\":\"all\",\"value\":2},{\"fid\":0," \
    "\"name\":\"main\",\"value\":2}],\"root\":{\"fid\":0,\"file\":\"m.py\",\"line\":1," \
    "\"name\":\"main\",\"label\":\"m.py:1(main)\",\"kind\":\"user\",\"value\":2,\"self\":0.5," \
    "\"calls\":1,\"exact\":true,\"recursive\":false,\"children\":[{\"fid\":1," \
    "\"file\":\"m.py\",\"line\":2,\"name\":\"a\",\"label\":\"m.py:2(a)\",\"kind\":\"user\"," \
    "\"value\":0.5,\"self\":0.25,\"calls\":1,\"exact\":true,\"recursive\":false," \
    "\"children\":[{\"other\":true,\"count\":1,\"value\":0.25}]},{\"fid\":2," \
    "\"file\":\"m.py\",\"line\":3,\"name\":\"b\",\"label\":\"m.py:3(b)\",\"kind\":\"user\"," \
    "\"value\":0.5,\"self\":0.25,\"calls\":1,\"exact\":true,\"recursive\":false," \
    "\"children\":[]},{\"unrecorded\":true,\"exact\":true,\"value\":0.5}]}}"

/* main calls a and b, a calls b */
static struct pv_profile *small_profile(void)
{
    static const char *const names[] = {"main", "a", "b"};
    struct w w = {.n = 0};
    byte(&w, '{');
    for (int f = 0; f < 3; f++) {
        key(&w, "m.py", f + 1, names[f]);
        stats(&w, f == 2 ? 2 : 1, f == 2 ? 2 : 1, 0.5, f == 0 ? 2.0 : 1.0); /* b: from main and a */
        for (int c = 0; c < f; c++)
            caller(&w, "m.py", c + 1, names[c], 1, 1, 0.25, 0.5);
        byte(&w, '0');
    }
    byte(&w, '0');
    return profile_of_written(&w);
}

/* The answer to q as text (NULL on any failure, said as a check; free
 * it), no longer than its bound. */
static char *written(const struct pv_profile *p, const struct pv_tree_query *q, const char *what,
                     size_t *len)
{
    struct pv_tree *t = NULL;
    struct pv_treejson *j = NULL;
    pv_err err = {0};
    if (pv_tree_build(p, q, &t, &err) || pv_treejson_create(p, t, &j, &err)) {
        CHECK(false, what, "%s", err.msg);
        return NULL;
    }
    char *text = NULL;
    *len = 0;
    FILE *out = open_memstream(&text, len);
    bool done = false;
    pv_code rc = PV_OK;
    while (out && !done && rc == PV_OK)
        rc = pv_treejson_write_next(j, out, &done, &err);
    if (out)
        fclose(out);
    uint64_t bound = pv_treejson_bound(j);
    pv_treejson_destroy(j);
    CHECK(out && rc == PV_OK && done && *len <= bound, what, "wrote %zu bytes, bound %llu: %s",
          *len, (unsigned long long)bound, err.msg);
    return text;
}

/* The answer to q, parsed (NULL on any failure, said as a check). */
static cJSON *answer(const struct pv_profile *p, const struct pv_tree_query *q, const char *what)
{
    size_t len;
    char *text = written(p, q, what, &len);
    cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
    CHECK(doc != NULL, what, "not JSON: %.300s", text ? text : "");
    free(text);
    return doc;
}

static double number(const cJSON *o, const char *path)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok(buf, "."); k && o; k = strtok(NULL, "."))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(o) ? o->valuedouble : (double)NAN;
}

struct want {
    const char *path;
    double value;
};

static void check_numbers(const cJSON *doc, const struct want *rows, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        CHECK(number(doc, rows[i].path) == rows[i].value, what, "%s is %g, expected %g",
              rows[i].path, number(doc, rows[i].path), rows[i].value);
}

int main(void)
{
    struct pv_profile *p = small_profile();
    CHECK(p != NULL, "the_test_profile_parses", "no profile");
    if (!p)
        return check_done();

    struct pv_tree_query q;
    memset(&q, 0xab, sizeof q); /* init must set every field */
    pv_tree_query_init(&q);
    CHECK(q.depth == PV_TREE_DEFAULT_DEPTH && q.cutoff == PV_TREE_DEFAULT_CUTOFF &&
              q.max_nodes == PV_TREE_DEFAULT_MAX_NODES && !q.path && !q.npath && !q.by_root &&
              !q.hide && !q.max_steps && !q.entries && !q.stop && !q.show_unrecorded,
          "query_init_gives_the_defaults", "depth %d cutoff %g max_nodes %zu", q.depth,
          q.cutoff, q.max_nodes);

    cJSON *doc = answer(p, &q, "a_default_tree_is_answered");
    static const struct want defaults[] = {
        {"params.cutoff", PV_TREE_DEFAULT_CUTOFF},
        {"params.max_nodes", PV_TREE_DEFAULT_MAX_NODES},
    };
    check_numbers(doc, defaults, sizeof defaults / sizeof defaults[0],
                  "a_default_tree_says_it_used_the_defaults");
    static const struct want limits[] = {
        {"limits.depth.min", PV_TREE_MIN_DEPTH},
        {"limits.depth.max", PV_TREE_MAX_DEPTH},
        {"limits.cutoff.min", PV_TREE_MIN_CUTOFF},
        {"limits.cutoff.max", PV_TREE_MAX_CUTOFF},
        {"limits.cutoff.default", PV_TREE_DEFAULT_CUTOFF},
        {"limits.max_nodes.min", PV_TREE_MIN_NODES},
        {"limits.max_nodes.max", PV_TREE_MAX_NODES},
        {"limits.max_nodes.default", PV_TREE_DEFAULT_MAX_NODES},
    };
    check_numbers(doc, limits, sizeof limits / sizeof limits[0],
                  "the_answer_carries_the_limits_of_tree_h");
    /* The default depth is "auto", a word where a number would be. */
    const cJSON *depth = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "params"), "depth");
    const cJSON *depth_default = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "limits"), "depth"), "default");
    CHECK(cJSON_IsString(depth) && !strcmp(depth->valuestring, "auto") &&
              cJSON_IsString(depth_default) && !strcmp(depth_default->valuestring, "auto"),
          "the_default_depth_is_said_as_auto", "params.depth %s",
          cJSON_IsString(depth) ? depth->valuestring : "not a string");
    CHECK(number(doc, "total_time") == p->total_tt && number(doc, "root.value") == 2 &&
              cJSON_GetArraySize(cJSON_GetObjectItem(doc, "breadcrumbs")) == 1,
          "the_settings_leave_the_rest_as_it_was", "total_time %g, root %g",
          number(doc, "total_time"), number(doc, "root.value"));
    cJSON_Delete(doc);

    /* main's ct is 2, its tt 0.5 and its callees' edges 0.5 each: 0.5 is
     * accounted for by nothing recorded. */
    q.show_unrecorded = true;
    doc = answer(p, &q, "a_tree_with_unrecorded_time_is_answered_within_its_bound");
    const cJSON *kids = cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "root"), "children"), 0),
        "children");
    const cJSON *u = NULL, *k;
    cJSON_ArrayForEach(k, kids)
        if (cJSON_IsTrue(cJSON_GetObjectItem(k, "unrecorded")))
            u = k;
    CHECK(u && number(u, "value") == 0.5 && cJSON_IsTrue(cJSON_GetObjectItem(u, "exact")) &&
              cJSON_GetArraySize(u) == 3 && u == cJSON_GetArrayItem(kids, cJSON_GetArraySize(kids) - 1),
          "an_unrecorded_node_is_its_flag_exactness_and_value", "%s",
          u ? "wrong fields" : "no unrecorded node");
    cJSON_Delete(doc);
    q.show_unrecorded = false;

    q.depth = 1;
    q.cutoff = 0.3;
    q.max_nodes = 2;
    doc = answer(p, &q, "a_set_tree_is_answered");
    static const struct want set[] = {
        {"params.depth", 1},
        {"params.cutoff", 0.3},
        {"params.max_nodes", 2},
    };
    check_numbers(doc, set, sizeof set / sizeof set[0], "a_tree_says_the_settings_it_was_given");
    cJSON_Delete(doc);

    /* Byte for byte, every kind of node: the API's format does not drift
     * when the writer changes (it moved from fprintf to jsonw.h). */
    pv_tree_query_init(&q);
    q.show_unrecorded = true;
    uint32_t main_fid = 0; /* m.py:1 sorts first */
    q.path = &main_fid;    /* breadcrumbs with a fid */
    q.npath = 1;
    q.cutoff = 0.2; /* main's a and b (0.5 of 2) are kept, and so is what no
                       call accounts for (0.5); a's b (0.25) is "other" */
    size_t len;
    char *text = written(p, &q, "the_golden_tree_is_written", &len);
    static const char golden[] = GOLDEN_TREE;
    CHECK(text && len == sizeof golden - 1 && !memcmp(text, golden, len),
          "the_tree_is_written_byte_for_byte_as_before", "got %.*s", (int)len,
          text ? text : "");
    free(text);

    q.max_nodes = PV_TREE_MAX_NODES;
    q.depth = PV_TREE_MAX_DEPTH;
    q.cutoff = 1.0 / 3; /* 17 digits */
    doc = answer(p, &q, "the_longest_settings_are_answered");
    CHECK(number(doc, "params.cutoff") == 1.0 / 3 &&
              number(doc, "params.max_nodes") == PV_TREE_MAX_NODES,
          "settings_read_back_exactly", "cutoff %.17g", number(doc, "params.cutoff"));
    cJSON_Delete(doc);
    pv_profile_destroy(p);
    return check_done();
}
