/* Unit tests of the inverted tree: small stats dicts written as marshal
 * bytes, with the values docs/API.md ("The inverted tree") gives for them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "invtree.h"
#include "tree_fixture.h"

static struct pv_tree *callers(const struct pv_profile *p, const char *root,
                               struct pv_tree_query q)
{
    if (!q.depth)
        q.depth = 10;
    if (!q.max_nodes)
        q.max_nodes = 20000;
    q.by_root = true;
    q.root = fid(p, root);
    struct pv_tree *t = NULL;
    pv_err err;
    if (pv_invtree_build(p, &q, &t, &err))
        printf("inverted tree failed: %s\n", err.msg);
    return t;
}

/* Every node's children add up to at most its value, and self is the rest. */
static bool conserved(const struct pv_tree *t)
{
    for (size_t i = 0; i < t->nnodes; i++) {
        double sum = 0;
        for (uint32_t k = 0; k < t->nodes[i].nchildren; k++)
            sum += t->nodes[t->nodes[i].first_child + k].value;
        if (sum > t->nodes[i].value * (1 + 1e-9) || t->nodes[i].self < 0 ||
            (t->nodes[i].nchildren && !eq(t->nodes[i].self + sum, t->nodes[i].value)))
            return false;
    }
    return true;
}

/* ---- a diamond: main -> a, b -> c -> d ---------------------------------- */

static void diamond_callers_split_by_the_callers_shares(void)
{
    struct pv_profile *p = build(DIAMOND, 5, DIAMOND_CALLS);
    struct pv_tree *t = p ? callers(p, "d", (struct pv_tree_query){0}) : NULL;
    if (!t) {
        CHECK(false, "diamond_builds", "no tree");
        pv_profile_destroy(p);
        return;
    }
    static const struct expect rows[] = {
        {"root_is_the_function_with_its_whole_ct", "", 4, true, false, 0},
        {"a_first_level_caller_gets_its_edge_ct", "c", 4, true, false, 0},
        {"deeper_callers_split_by_their_edge_shares", "c/a", 2.4, false, false, 0},
        {"the_other_caller_gets_the_rest", "c/b", 1.6, false, false, 0},
        {"a_single_caller_carries_all_but_stays_estimated_below_an_estimate", "c/a/main", 2.4,
         false, false, 2.4},
        {"an_entry_point_keeps_its_value_as_self", "c/b/main", 1.6, false, false, 1.6},
    };
    check_rows(p, t, rows, sizeof rows / sizeof rows[0]);
    CHECK(t->inverted && t->ncrumbs == 2 && t->crumbs[0].fid == PV_TREE_TOP &&
              eq(t->crumbs[0].value, 10) && t->crumbs[1].fid == fid(p, "d") &&
              eq(t->crumbs[1].value, 4),
          "crumbs_are_the_top_and_the_root", "ncrumbs %zu", t->ncrumbs);
    CHECK(at(p, t, "")->calls == 2 && at(p, t, "c")->calls == 2 && at(p, t, "c/a")->calls == 1,
          "calls_are_the_root_s_nc_then_the_caller_edges_nc", "%lld",
          (long long)at(p, t, "c")->calls);
    CHECK(at(p, t, "c")->nchildren == 2 &&
              t->nodes[at(p, t, "c")->first_child].fid == fid(p, "a"),
          "callers_are_sorted_by_value", "first %u", t->nodes[at(p, t, "c")->first_child].fid);
    CHECK(conserved(t), "diamond_callers_fit_in_their_node", "no");
    pv_tree_destroy(t);

    t = callers(p, "c", (struct pv_tree_query){0});
    if (t) {
        static const struct expect crows[] = {
            {"each_caller_of_c_gets_its_edge_ct", "a", 3, true, false, 0},
            {"b_gets_its_edge_ct", "b", 2, true, false, 0},
            {"a_caller_that_is_the_only_way_in_is_exact", "a/main", 3, true, false, 3},
        };
        check_rows(p, t, crows, sizeof crows / sizeof crows[0]);
        pv_tree_destroy(t);
    }
    /* the cutoff merges callers below it, the depth stops the levels */
    t = callers(p, "d", (struct pv_tree_query){.cutoff = 0.5, .depth = 2});
    if (t) {
        CHECK(eq(at(p, t, "c/a")->value, 2.4) && eq(at(p, t, "c/other")->value, 1.6) &&
                  at(p, t, "c/other")->count == 1 && at(p, t, "c/a")->nchildren == 0 &&
                  at(p, t, "c/a")->truncated,
              "cutoff_merges_small_callers_and_depth_stops", "other %g",
              at(p, t, "c/other")->value);
        pv_tree_destroy(t);
    }
    t = callers(p, "d", (struct pv_tree_query){.max_nodes = 3});
    if (t) {
        CHECK(t->nnodes == 2 && at(p, t, "c")->nchildren == 0,
              "max_nodes_bounds_the_tree_and_an_other_alone_is_not_added", "%zu nodes",
              t->nnodes);
        pv_tree_destroy(t);
    }
    t = callers(p, "d", (struct pv_tree_query){.max_nodes = 4});
    if (t) {
        CHECK(t->nnodes == 4 && eq(at(p, t, "c/a")->value, 2.4) &&
                  eq(at(p, t, "c/b")->value, 1.6) && at(p, t, "c/a")->nchildren == 0,
              "max_nodes_stops_the_levels_when_it_runs_out", "%zu nodes", t->nnodes);
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* ---- recursion ---------------------------------------------------------- */

static void recursive_callers_are_leaves_that_give_back_double_counted_time(void)
{
    struct pv_profile *p = build(FIB, 3, FIB_CALLS);
    struct pv_tree *t = p ? callers(p, "g", (struct pv_tree_query){.depth = 64, .cutoff = 0})
                          : NULL;
    if (!t) {
        CHECK(false, "recursion_builds", "no tree");
        pv_profile_destroy(p);
        return;
    }
    static const struct expect rows[] = {
        {"g_is_called_by_fib_only", "fib", 0.5, true, false, 0},
        {"fib_s_outside_caller_keeps_its_share", "fib/main", 0.5, true, false, 0.5},
        {"fib_calling_itself_is_a_recursive_leaf_with_nothing_left", "fib/fib", 0, false, true,
         0},
    };
    check_rows(p, t, rows, sizeof rows / sizeof rows[0]);
    CHECK(conserved(t), "recursive_callers_fit", "no");
    pv_tree_destroy(t);
    pv_profile_destroy(p);
}

/* ---- refusals and budgets ----------------------------------------------- */

static bool stop_now(void *ctx)
{
    (void)ctx;
    return true;
}

static void bad_queries_are_refused_and_budgets_hold(void)
{
    struct pv_profile *p = build(DIAMOND, 5, DIAMOND_CALLS);
    if (!p)
        return;
    struct pv_tree_query q;
    struct pv_tree *t = NULL;
    pv_err err;
    static const struct {
        const char *name;
        int change;
        pv_code code;
    } rows[] = {
        {"a_path_query_is_refused", 0, PV_E_USAGE},
        {"hiding_is_refused", 1, PV_E_USAGE},
        {"depth_minus_1_is_refused", 2, PV_E_USAGE},
        {"a_root_out_of_range_is_not_found", 3, PV_E_NOTFOUND},
        {"a_step_budget_of_1_is_over_the_limit", 4, PV_E_LIMIT},
        {"stop_cancels_the_build", 5, PV_E_CANCELLED},
        {"max_nodes_0_is_refused", 6, PV_E_USAGE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pv_tree_query_init(&q);
        q.by_root = true;
        q.root = fid(p, "d");
        q.cutoff = 0;
        switch (rows[i].change) {
        case 0: q.by_root = false; break;
        case 1: q.hide = PV_HIDE_BUILTINS; break;
        case 2: q.depth = -1; break;
        case 3: q.root = p->nfuncs; break;
        case 4: q.max_steps = 1; break;
        case 5: q.stop = stop_now; break;
        case 6: q.max_nodes = 0; break;
        }
        t = NULL;
        pv_code rc = pv_invtree_build(p, &q, &t, &err);
        CHECK(rc == rows[i].code && !t, rows[i].name, "code %d: %s", rc, rc ? err.msg : "ok");
        if (rc == PV_E_LIMIT)
            CHECK(!strcmp(err.msg, "inverted tree too large: building it takes over 1 steps, the "
                                   "budget - lower max_nodes or depth, or raise cutoff"),
                  "the_step_budget_message_says_what_to_change", "%s", err.msg);
        pv_tree_destroy(t);
    }
    /* depth 0 is auto, the default: as deep as the cutoff allows */
    pv_tree_query_init(&q);
    q.by_root = true;
    q.root = fid(p, "d");
    t = NULL;
    pv_code rc = pv_invtree_build(p, &q, &t, &err);
    CHECK(rc == PV_OK && q.depth == PV_TREE_DEPTH_AUTO && t && t->nnodes > 1 &&
              t->depth == PV_TREE_DEPTH_AUTO,
          "depth_auto_builds_the_callers", "code %d", rc);
    pv_tree_destroy(t);
    pv_profile_destroy(p);
}

int main(void)
{
    diamond_callers_split_by_the_callers_shares();
    recursive_callers_are_leaves_that_give_back_double_counted_time();
    bad_queries_are_refused_and_budgets_hold();
    return check_done();
}
