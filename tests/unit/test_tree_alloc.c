/* Unit tests of what a failed allocation leaves behind in the tree
 * modules: nothing.  Each allocation of a build (with hiding, so that
 * every work array is made), of an inverted build (invtree.h), of
 * pv_tree_entries() and of the tree's JSON
 * writer is made to fail in turn, until a run needs fewer allocations
 * than the one made to fail.  Some allocations may fail without failing
 * the call (a build's memo of folded children is only a speed-up; a label
 * that cannot be made is written as null): then the result must be whole,
 * and free everything when destroyed. */
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "check.h"
#include "marshal_writer.h"
#include "profile.h"
#include "invtree.h"
#include "tree.h"
#include "treejson.h"

enum { MAX_ALLOCATIONS = 200 };

/* ('~', 0, 'len') is called by main, which calls a, which calls b: a
 * builtin to hide, and a chain to expand. */
static struct pv_profile *small_profile(void)
{
    static const char *const files[] = {"m.py", "~", "m.py", "m.py"};
    static const char *const names[] = {"main", "<built-in method len>", "a", "b"};
    static const int lines[] = {1, 0, 2, 3};
    static const int caller_of[] = {-1, 0, 0, 2};
    struct w w = {.n = 0};
    byte(&w, '{');
    for (int f = 0; f < 4; f++) {
        key(&w, files[f], lines[f], names[f]);
        stats(&w, 1, 1, 0.25, f == 0 ? 1.0 : f == 2 ? 0.5 : 0.25);
        int c = caller_of[f];
        if (c >= 0)
            caller(&w, files[c], lines[c], names[c], 1, 1, 0.25, f == 2 ? 0.5 : 0.25);
        byte(&w, '0');
    }
    byte(&w, '0');
    return profile_of_written(&w);
}

static void failed_entries_leave_nothing(const struct pv_profile *p)
{
    for (long k = 1; k < MAX_ALLOCATIONS; k++) {
        struct pv_entry *e = (struct pv_entry *)&k; /* must stay untouched on failure */
        size_t n = 12345;
        pv_err err = {0};
        long before = live_blocks;
        alloc_fail_at(k);
        pv_code rc = pv_tree_entries(p, &e, &n, &err);
        bool failed = allocations >= k;
        alloc_fail_at(0);
        if (!failed) {
            CHECK(rc == PV_OK && n == 1, "entries_after_failures_are_right", "%s", err.msg);
            free(rc == PV_OK ? e : NULL);
            return;
        }
        CHECK(rc == PV_E_NOMEM && e == (struct pv_entry *)&k && n == 12345 &&
                  live_blocks == before,
              "failed_entries_leave_nothing", "allocation %ld failing: rc %d, %ld blocks left", k,
              rc, live_blocks - before);
    }
    CHECK(false, "entries_need_few_allocations", "over %d", MAX_ALLOCATIONS);
}

/* pv_tree_build() or pv_invtree_build(). */
typedef pv_code build_fn(const struct pv_profile *p, const struct pv_tree_query *q,
                         struct pv_tree **out, pv_err *err);

static void failed_builds_of(build_fn *build, const struct pv_profile *p,
                             const struct pv_tree_query *q, const char *what)
{
    size_t nodes = 0; /* of the tree built with no failure */
    struct pv_tree *t = NULL;
    pv_err err = {0};
    long before = live_blocks;
    if (build(p, q, &t, &err) || t->nnodes < 2) {
        CHECK(false, what, "without failures: %s", t ? "one node" : err.msg);
        pv_tree_destroy(t);
        return;
    }
    nodes = t->nnodes;
    pv_tree_destroy(t);
    int nomem = 0;
    for (long k = 1; k < MAX_ALLOCATIONS; k++) {
        t = NULL;
        alloc_fail_at(k);
        pv_code rc = build(p, q, &t, &err);
        bool failed = allocations >= k;
        alloc_fail_at(0);
        if (!failed) {
            pv_tree_destroy(t);
            CHECK(nomem > 0, what, "no allocation failure failed the build (%ld tried)", k - 1);
            return;
        }
        if (rc == PV_OK) {
            CHECK(t && t->nnodes == nodes, what, "allocation %ld failing: %zu nodes, not %zu", k,
                  t ? t->nnodes : (size_t)0, nodes);
            pv_tree_destroy(t);
        } else {
            nomem++;
            CHECK(rc == PV_E_NOMEM && !t, what, "allocation %ld failing: rc %d (%s), tree %p", k,
                  rc, err.msg, (void *)t);
        }
        CHECK(live_blocks == before, what, "allocation %ld failing: %ld blocks left", k,
              live_blocks - before);
    }
    CHECK(false, what, "over %d allocations", MAX_ALLOCATIONS);
}

static void failed_builds_leave_nothing(const struct pv_profile *p,
                                        const struct pv_tree_query *q, const char *what)
{
    failed_builds_of(pv_tree_build, p, q, what);
}

static void failed_json_writers_leave_nothing(const struct pv_profile *p)
{
    int nomem = 0;
    for (long k = 1; k < MAX_ALLOCATIONS; k++) {
        struct pv_tree_query q = {.depth = 10, .max_nodes = 100};
        struct pv_tree *t = NULL;
        pv_err err = {0};
        long before = live_blocks;
        if (pv_tree_build(p, &q, &t, &err)) {
            CHECK(false, "a_tree_for_json", "%s", err.msg);
            return;
        }
        struct pv_treejson *j = NULL;
        alloc_fail_at(k);
        pv_code rc = pv_treejson_create(p, t, &j, &err); /* takes t */
        bool failed = allocations >= k;
        alloc_fail_at(0);
        nomem += rc == PV_E_NOMEM;
        CHECK(rc == PV_OK ? j != NULL : rc == PV_E_NOMEM && !j,
              "a_json_writer_is_made_whole_or_not_at_all", "allocation %ld failing: rc %d", k, rc);
        pv_treejson_destroy(j);
        CHECK(live_blocks == before, "a_failed_json_writer_frees_the_tree_it_took",
              "allocation %ld failing: %ld blocks left", k, live_blocks - before);
        if (!failed) {
            CHECK(nomem > 0, "a_json_writer_can_fail", "no allocation failure failed it");
            return;
        }
    }
    CHECK(false, "json_writers_need_few_allocations", "over %d", MAX_ALLOCATIONS);
}

int main(void)
{
    struct pv_profile *p = small_profile();
    CHECK(p && p->nfuncs == 4, "the_test_profile_parses", "no profile");
    if (!p)
        return check_done();
    failed_entries_leave_nothing(p);
    struct pv_tree_query top = {.depth = 10, .max_nodes = 100, .hide = PV_HIDE_BUILTINS};
    failed_builds_leave_nothing(p, &top, "a_failed_build_of_the_top_leaves_nothing");
    uint32_t path[2] = {0, 1}; /* main, a: fids in (file, line, name) order */
    struct pv_tree_query walk = {
        .path = path, .npath = 2, .depth = 10, .max_nodes = 100, .hide = PV_HIDE_BUILTINS};
    failed_builds_leave_nothing(p, &walk, "a_failed_build_of_a_path_leaves_nothing");
    struct pv_tree_query rooted = {.by_root = true, .root = 1, .depth = 10, .max_nodes = 100};
    failed_builds_leave_nothing(p, &rooted, "a_failed_build_of_a_root_leaves_nothing");
    struct pv_tree_query callers = {.by_root = true, .root = 2, .depth = 10, .max_nodes = 100};
    failed_builds_of(pv_invtree_build, p, &callers,
                     "a_failed_build_of_an_inverted_tree_leaves_nothing");
    failed_json_writers_leave_nothing(p);
    pv_profile_destroy(p);
    return check_done();
}
