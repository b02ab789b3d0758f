/* Unit tests of the call tree: small stats dicts written as marshal bytes,
 * with the values docs/API.md ("How the tree is built") gives for them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tree_fixture.h"

static struct pv_tree *tree(const struct pv_profile *p, struct pv_tree_query q)
{
    if (!q.depth)
        q.depth = 10;
    if (!q.max_nodes)
        q.max_nodes = 20000;
    struct pv_tree *t = NULL;
    pv_err err;
    if (pv_tree_build(p, &q, &t, &err))
        printf("tree failed: %s\n", err.msg);
    return t;
}

/* Every node's children add up to at most its value. */
static bool conserved(const struct pv_tree *t)
{
    for (size_t i = 0; i < t->nnodes; i++) {
        double sum = 0;
        for (uint32_t k = 0; k < t->nodes[i].nchildren; k++)
            sum += t->nodes[t->nodes[i].first_child + k].value;
        if (sum > t->nodes[i].value * (1 + 1e-9) || t->nodes[i].self < 0)
            return false;
    }
    return true;
}

static void diamond_values_are_exact_then_estimated(void)
{
    struct pv_profile *p = build(DIAMOND, 5, DIAMOND_CALLS);
    if (!p)
        return;
    struct pv_tree *t = tree(p, (struct pv_tree_query){.depth = 10});
    if (!t)
        return;
    static const struct expect rows[] = {
        {"virtual_root_is_the_sum_of_entries", "", 10, true, false, 0},
        {"entry_carries_its_whole_ct", "main", 10, true, false, 1},
        {"child_of_an_exact_whole_node_is_its_edge_ct", "main/a", 4, true, false, 1},
        {"second_caller_edge_is_exact_too", "main/b/c", 2, true, false, NAN},
        {"grandchild_through_a_single_path_is_exact", "main/a/c", 3, true, false, 0.6},
        {"below_a_partial_node_time_is_split_by_edge_ct", "main/a/c/d", 2.4, false, false, 2.4},
        {"other_path_gets_the_rest", "main/b/c/d", 1.6, false, false, NAN},
    };
    check_rows(p, t, rows, sizeof rows / sizeof rows[0]);
    CHECK(t->nodes[0].fid == PV_TREE_TOP && t->ncrumbs == 1 &&
              t->crumbs[0].fid == PV_TREE_TOP && eq(t->crumbs[0].value, 10),
          "top_tree_has_one_crumb", "ncrumbs %zu", t->ncrumbs);
    CHECK(at(p, t, "main")->first_child == 2 && at(p, t, "main/b")->fid == fid(p, "b") &&
              at(p, t, "main")->nchildren == 2 && t->nodes[2].value >= t->nodes[3].value,
          "children_are_sorted_by_value", "first child %u", at(p, t, "main")->first_child);
    CHECK(at(p, t, "main/a/c")->calls == 1 && at(p, t, "main")->calls == 1 &&
              at(p, t, "main/a/c/d")->calls == 2,
          "calls_are_the_edge_nc", "%lld", (long long)at(p, t, "main/a/c/d")->calls);
    CHECK(conserved(t), "diamond_children_fit_in_parents", "no");
    pv_tree_destroy(t);

    uint32_t path[] = {fid(p, "main"), fid(p, "a"), fid(p, "c")};
    t = tree(p, (struct pv_tree_query){.path = path, .npath = 3});
    if (t) {
        CHECK(t->nodes[0].fid == fid(p, "c") && eq(t->nodes[0].value, 3) && t->nodes[0].exact,
              "path_root_has_its_value_along_the_path", "%g", t->nodes[0].value);
        CHECK(t->ncrumbs == 4 && t->crumbs[0].fid == PV_TREE_TOP &&
                  eq(t->crumbs[1].value, 10) && eq(t->crumbs[2].value, 4) &&
                  t->crumbs[3].fid == fid(p, "c") && eq(t->crumbs[3].value, 3),
              "path_crumbs_run_from_the_top", "ncrumbs %zu", t->ncrumbs);
        CHECK(eq(at(p, t, "d")->value, 2.4) && !at(p, t, "d")->exact,
              "path_children_continue_the_split", "%g", at(p, t, "d")->value);
        pv_tree_destroy(t);
    }
    t = tree(p, (struct pv_tree_query){.by_root = true, .root = fid(p, "c")});
    if (t) {
        CHECK(eq(t->nodes[0].value, 5) && t->nodes[0].exact && t->nodes[0].calls == 2 &&
                  eq(at(p, t, "d")->value, 4) && at(p, t, "d")->exact,
              "root_mode_uses_whole_ct_and_edge_ct", "%g", t->nodes[0].value);
        CHECK(t->ncrumbs == 2 && t->crumbs[0].fid == PV_TREE_TOP &&
                  t->crumbs[1].fid == fid(p, "c") && eq(t->crumbs[1].value, 5),
              "root_mode_crumbs_are_top_and_root", "ncrumbs %zu", t->ncrumbs);
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* ---- recursion ---------------------------------------------------------- */

static void recursion_is_a_leaf(void)
{
    /* fib recursing into itself; its edge to itself carries almost all of
     * its ct, so with g its children exceed it: the recursive leaf, the
     * larger, keeps its edge ct and g gets the rest. */
    struct pv_profile *p = build(FIB, 3, FIB_CALLS);
    struct pv_tree *t = p ? tree(p, (struct pv_tree_query){.depth = 64}) : NULL;
    if (!t) {
        pv_profile_destroy(p);
        return;
    }
    static const struct expect rows[] = {
        {"recursive_function_enters_with_its_edge_ct", "main/fib", 2.5, true, false, 0},
    };
    check_rows(p, t, rows, 1);
    const struct pv_tree_node *leaf = at(p, t, "main/fib/fib"), *g = at(p, t, "main/fib/g");
    CHECK(leaf->recursive && !leaf->nchildren && eq(leaf->value, 2.3) && leaf->exact &&
              leaf->calls == 9,
          "function_on_the_path_is_a_recursive_leaf", "value %g exact %d", leaf->value,
          leaf->exact);
    CHECK(eq(g->value, 0.2) && !g->exact, "oversized_children_give_up_the_smallest_first",
          "value %g exact %d", g->value, g->exact);
    CHECK(conserved(t) && t->nnodes == 5, "self_recursion_terminates_and_fits", "%zu nodes",
          t->nnodes);
    pv_tree_destroy(t);
    pv_profile_destroy(p);

    static const struct fn mutual[] = {
        {"m.py", 1, "main", 1, 1, 0.1, 1, false},
        {"m.py", 5, "even", 1, 5, 0.5, 0.9, false},
        {"m.py", 9, "odd", 1, 4, 0.4, 0.8, false},
    };
    static const struct call mcalls[] = {
        {0, 1, 1, 1, 0.1, 0.9, false},
        {1, 2, 4, 1, 0.4, 0.8, false},
        {2, 1, 4, 0, 0.4, 0.7, false},
        {-1, 0, 0, 0, 0, 0, false},
    };
    p = build(mutual, 3, mcalls);
    t = p ? tree(p, (struct pv_tree_query){.depth = 64}) : NULL;
    if (t) {
        static const struct expect mrows[] = {
            {"mutual_recursion_expands_the_partner", "main/even/odd", 0.8, true, false, NAN},
            {"mutual_recursion_stops_at_the_repeat", "main/even/odd/even", 0.7, true, true,
             NAN},
        };
        check_rows(p, t, mrows, 2);
        CHECK(t->nnodes == 5 && conserved(t), "mutual_recursion_terminates", "%zu nodes",
              t->nnodes);
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* What `python -m cProfile main.py` records: exec runs the main module,
 * which imports lib through a nested exec.  exec's edges count lib twice,
 * once inside main and once as its own callee. */
static const struct fn IMPORTS[] = {
    {"~", 0, "exec", 1, 2, 0.1, 10, false},      {"main.py", 1, "<module>", 1, 1, 0.05, 9.95, false},
    {"main.py", 5, "imp", 1, 1, 0.05, 3, false}, {"main.py", 9, "work", 1, 1, 6.9, 6.9, false},
    {"lib.py", 1, "lib", 1, 1, 2.9, 2.9, false},
};
static const struct call IMPORTS_CALLS[] = {
    {0, 1, 1, 1, 0.05, 9.95, false}, {0, 4, 1, 1, 2.9, 2.9, false},
    {1, 2, 1, 1, 0.05, 3, false},    {1, 3, 1, 1, 6.9, 6.9, false},
    {2, 0, 1, 0, 0.05, 2.95, false}, {-1, 0, 0, 0, 0, 0, false},
};

static void recursion_takes_only_from_the_double_counted(void)
{
    struct pv_profile *p = build(IMPORTS, 5, IMPORTS_CALLS);
    struct pv_tree *t = p ? tree(p, (struct pv_tree_query){.depth = 64}) : NULL;
    if (t) {
        static const struct expect rows[] = {
            {"recursive_entry_carries_its_whole_ct", "exec", 10, true, false, NAN},
            {"the_module_that_recursed_keeps_its_whole_ct", "exec/<module>", 9.95, true, false,
             0.05},
            {"below_it_single_paths_stay_exact", "exec/<module>/work", 6.9, true, false, 6.9},
            {"the_nested_exec_is_a_recursive_leaf_with_its_edge_ct",
             "exec/<module>/imp/exec", 2.95, true, true, NAN},
            {"the_double_counted_import_gets_what_is_left", "exec/lib", 0.05, false, false,
             NAN},
        };
        check_rows(p, t, rows, sizeof rows / sizeof rows[0]);
        CHECK(conserved(t), "imports_under_exec_fit_in_their_parents", "no");
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* The profiler switched off inside paused: its ct holds 0.5 that no tt
 * does, so main's ct, 1.7, exceeds the sum of tt, 1.2. */
static const struct fn GAP[] = {
    {"run.py", 10, "main", 1, 1, 0.01, 1.7, false},
    {"run.py", 20, "work", 1, 1, 1.0, 1.0, false},
    {"run.py", 30, "paused", 1, 1, 0.04, 0.69, false},
    {"run.py", 40, "busy", 1, 1, 0.15, 0.15, false},
};
static const struct call GAP_CALLS[] = {
    {0, 1, 1, 1, 1.0, 1.0, false},   {0, 2, 1, 1, 0.04, 0.69, false},
    {2, 3, 1, 1, 0.15, 0.15, false}, {-1, 0, 0, 0, 0, 0, false},
};

/* The child of node i that is the "not recorded" one, or NULL. */
static const struct pv_tree_node *unrecorded_child(const struct pv_tree *t, size_t i)
{
    for (uint32_t k = 0; i < t->nnodes && k < t->nodes[i].nchildren; k++)
        if (t->nodes[t->nodes[i].first_child + k].unrecorded)
            return &t->nodes[t->nodes[i].first_child + k];
    return NULL;
}

static void unrecorded_time_is_a_node_where_it_is(void)
{
    struct pv_profile *p = build(GAP, 4, GAP_CALLS);
    if (!p)
        return;
    static const struct {
        const char *name;
        bool show;
        double cutoff;
        size_t max_nodes;
        bool expected;
    } rows[] = {
        {"the_gap_is_a_node_under_the_call_that_held_it", true, 0.001, 20000, true},
        {"a_gap_below_the_cutoff_is_no_node", true, 0.5, 20000, false},
        {"without_show_unrecorded_there_is_none", false, 0.001, 20000, false},
        {"room_for_the_callee_and_it_is_enough", true, 0, 6, true},
        {"no_room_to_expand_shows_none", true, 0, 5, false},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        struct pv_tree *t = tree(p, (struct pv_tree_query){.cutoff = rows[r].cutoff,
                                                           .max_nodes = rows[r].max_nodes,
                                                           .show_unrecorded = rows[r].show});
        if (!t)
            continue;
        const struct pv_tree_node *paused = at(p, t, "main/paused");
        size_t i = (size_t)(paused - t->nodes);
        const struct pv_tree_node *u = unrecorded_child(t, i);
        bool ok = rows[r].expected
                      ? u && eq(u->value, 0.5) && !u->nchildren && u->exact &&
                            u == &t->nodes[paused->first_child + paused->nchildren - 1]
                      : !u;
        double sum = 0;
        for (uint32_t k = 0; k < paused->nchildren; k++)
            sum += t->nodes[paused->first_child + k].value;
        CHECK(ok && conserved(t) && (!u || eq(sum + paused->self, paused->value)), rows[r].name,
              "unrecorded %g, children %g + self %g of %g", u ? u->value : -1.0, sum,
              paused->self, paused->value);
        CHECK(!unrecorded_child(t, 0) && !unrecorded_child(t, (size_t)(at(p, t, "main") - t->nodes)),
              "times_that_add_up_give_no_node", "main or the root has one");
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* A chain of 70 calls, f0 -> f1 -> ... -> f69. */
static void depth_auto_goes_as_deep_as_the_cutoff_allows(void)
{
    enum { N = 70 };
    static struct fn fns[N];
    static struct call calls[N];
    static char names[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "f%d", i);
        fns[i] = (struct fn){"chain.py", i + 1, names[i], 1, 1, 0.01, 0.01 * (N - i), false};
        calls[i] = i + 1 < N ? (struct call){i, i + 1, 1, 1, 0.01, 0.01 * (N - i - 1), false}
                             : (struct call){-1, 0, 0, 0, 0, 0, false};
    }
    struct pv_profile *p = build(fns, N, calls);
    if (!p)
        return;
    static const struct {
        const char *name;
        double cutoff;
        size_t max_nodes;
        size_t nnodes; /* the root, "all", and any "other" node included */
    } rows[] = {
        {"auto_depth_stops_at_64_levels", 0, 20000, 1 + 64},
        {"auto_depth_stops_where_the_cutoff_leaves_nothing", 0.5, 20000, 1 + 36 + 1},
        {"auto_depth_stops_at_the_node_budget", 0, 20, 20},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        struct pv_tree *t = NULL;
        pv_err err;
        struct pv_tree_query q;
        pv_tree_query_init(&q);
        q.cutoff = rows[r].cutoff;
        q.max_nodes = rows[r].max_nodes;
        pv_code rc = pv_tree_build(p, &q, &t, &err);
        CHECK(rc == PV_OK && q.depth == PV_TREE_DEPTH_AUTO && t->depth == PV_TREE_DEPTH_AUTO &&
                  t->nnodes == rows[r].nnodes && conserved(t),
              rows[r].name, "rc %d, %zu nodes", rc, rc ? 0 : t->nnodes);
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* ---- cutoff and the node budget ----------------------------------------- */

static const struct fn FAN[] = {
    {"c.py", 1, "main", 1, 1, 1, 10, false},   {"c.py", 10, "f1", 1, 1, 5, 5, false},
    {"c.py", 20, "f2", 1, 1, 2, 2, false},     {"c.py", 30, "f3", 1, 1, 1, 1, false},
    {"c.py", 40, "f4", 1, 1, 0.5, 0.5, false}, {"c.py", 50, "f5", 1, 1, 0.5, 0.5, false},
};
static const struct call FAN_CALLS[] = {
    {0, 1, 1, 1, 5, 5, false},     {0, 2, 1, 1, 2, 2, false},     {0, 3, 1, 1, 1, 1, false},
    {0, 4, 1, 1, 0.5, 0.5, false}, {0, 5, 1, 1, 0.5, 0.5, false}, {-1, 0, 0, 0, 0, 0, false},
};

static void cutoff_merges_into_other(void)
{
    struct pv_profile *p = build(FAN, 6, FAN_CALLS);
    if (!p)
        return;
    static const struct {
        const char *name;
        double cutoff;
        size_t max_nodes;
        int depth;
        size_t nnodes;   /* expected */
        uint32_t kids;   /* children of main */
        uint32_t merged; /* in main's other node, 0: none */
        bool truncated;  /* main */
    } rows[] = {
        {"small_children_merge_into_one_other", 0.1, 20000, 10, 6, 4, 2, false},
        {"no_cutoff_keeps_every_child", 0, 20000, 10, 7, 5, 0, false},
        {"node_budget_merges_the_rest_into_other", 0, 4, 10, 4, 2, 4, false},
        {"no_room_for_children_leaves_a_truncated_leaf", 0, 2, 10, 2, 0, 0, true},
        {"depth_limit_leaves_a_truncated_leaf", 0, 20000, 1, 2, 0, 0, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pv_tree *t = tree(p, (struct pv_tree_query){.cutoff = rows[i].cutoff,
                                                           .max_nodes = rows[i].max_nodes,
                                                           .depth = rows[i].depth});
        if (!t)
            continue;
        const struct pv_tree_node *main = at(p, t, "main"), *other = at(p, t, "main/other");
        double sum = 0;
        for (uint32_t k = 0; k < main->nchildren; k++)
            sum += t->nodes[main->first_child + k].value;
        bool merged_ok = rows[i].merged ? other->other && other->count == rows[i].merged &&
                                              main->first_child + main->nchildren - 1 ==
                                                  (uint32_t)(other - t->nodes)
                                        : isnan(other->value);
        CHECK(t->nnodes == rows[i].nnodes && main->nchildren == rows[i].kids && merged_ok &&
                  main->truncated == rows[i].truncated &&
                  (main->nchildren ? eq(sum, 9) : true) && conserved(t),
              rows[i].name, "%zu nodes, %u children summing to %g, truncated %d", t->nnodes,
              main->nchildren, sum, main->truncated);
        pv_tree_destroy(t);
    }
    struct pv_tree *t = tree(p, (struct pv_tree_query){.cutoff = 0.1});
    if (t) {
        CHECK(eq(at(p, t, "main/other")->value, 1) && eq(at(p, t, "main/f3")->value, 1) &&
                  eq(at(p, t, "main")->self, 1),
              "other_keeps_the_time_it_replaces", "other %g", at(p, t, "main/other")->value);
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* ---- entry points ------------------------------------------------------- */

static void entries_of_python_m_cprofile(void)
{
    /* exec runs main.py, whose imports run exec again: exec has a
     * recorded caller, but fewer calls from it than its nc. */
    static const struct fn fns[] = {
        {"~", 0, "<built-in method builtins.exec>", 1, 3, 0.1, 10, false},
        {"~", 0, "<method 'disable' of '_lsprof.Profiler' objects>", 1, 1, 0, 0, false},
        {"<frozen importlib._bootstrap>", 233, "_call_with_frames_removed", 2, 2, 0.1, 3,
         false},
        {"<frozen importlib._bootstrap>", 1002, "_find_and_load", 2, 2, 0.2, 3.2, false},
        {"main.py", 1, "<module>", 1, 1, 6.7, 9.9, false},
        {"lib.py", 1, "lib_module", 1, 1, 2, 2, false},
        {"lib2.py", 1, "lib2_module", 1, 1, 0.9, 0.9, false},
    };
    static const struct call calls[] = {
        {0, 4, 1, 1, 6.7, 9.9, false}, {0, 5, 1, 1, 2, 2, false},
        {0, 6, 1, 1, 0.9, 0.9, false}, {4, 3, 2, 2, 0.2, 3.2, false},
        {3, 2, 2, 2, 0.1, 3, false},   {2, 0, 2, 2, 0.1, 2.9, false},
        {-1, 0, 0, 0, 0, 0, false},
    };
    struct pv_profile *p = build(fns, 7, calls);
    if (!p)
        return;
    struct pv_entry *e = NULL;
    size_t n = 0;
    pv_err err;
    CHECK(pv_tree_entries(p, &e, &n, &err) == PV_OK && n == 2 &&
              e[0].fid == fid(p, "<built-in method builtins.exec>") && eq(e[0].value, 10) &&
              eq(e[1].value, 0),
          "recursive_exec_with_an_import_caller_is_an_entry_with_its_ct", "n %zu", n);
    CHECK(n == 2 && eq(e[0].value + e[1].value, p->total_tt), "entries_add_up_to_total_tt",
          "total_tt %g", p->total_tt);
    free(e);

    struct pv_tree *t = tree(p, (struct pv_tree_query){.depth = 20});
    if (t) {
        const struct pv_tree_node *inner =
            at(p, t,
               "<built-in method builtins.exec>/<module>/_find_and_load/"
               "_call_with_frames_removed/<built-in method builtins.exec>");
        CHECK(inner->recursive && conserved(t), "exec_under_an_import_is_recursive",
              "recursive %d", inner->recursive);
        pv_tree_destroy(t);
    }
    t = tree(p, (struct pv_tree_query){.hide = PV_HIDE_BUILTINS});
    if (t) {
        CHECK(isnan(at(p, t, "<built-in method builtins.exec>")->value) &&
                  !isnan(at(p, t, "<module>")->value) && conserved(t),
              "hidden_entry_is_replaced_by_its_callees", "exec %g",
              at(p, t, "<built-in method builtins.exec>")->value);
        CHECK(eq(t->nodes[0].value, 10), "hiding_keeps_the_total", "%g", t->nodes[0].value);
        pv_tree_destroy(t);
    }
    uint32_t path[] = {fid(p, "<module>")};
    struct pv_tree_query q = {
        .path = path, .npath = 1, .depth = 10, .max_nodes = 100, .hide = PV_HIDE_BUILTINS};
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_OK && t->ncrumbs == 2,
          "path_may_pass_hidden_functions", "%s", err.msg);
    pv_tree_destroy(t);
    q.hide = 0;
    t = NULL;
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_E_USAGE && strstr(err.msg, "not an entry point"),
          "without_hiding_the_same_path_is_refused", "%s", err.msg);
    pv_profile_destroy(p);

    /* not recursive: callers' ct are taken off */
    static const struct fn flat[] = {
        {"e.py", 1, "x", 3, 3, 6, 6, false},
        {"e.py", 5, "y", 1, 1, 1, 3, false},
    };
    static const struct call fcalls[] = {{1, 0, 1, 1, 2, 2, false}, {-1, 0, 0, 0, 0, 0, false}};
    p = build(flat, 2, fcalls);
    if (p && pv_tree_entries(p, &e, &n, &err) == PV_OK) {
        CHECK(n == 2 && e[0].fid == fid(p, "x") && eq(e[0].value, 4) && eq(e[1].value, 3),
              "entry_value_is_ct_minus_recorded_callers", "n %zu", n);
        free(e);
    }
    pv_profile_destroy(p);
}

/* ---- entry points given to the build ------------------------------------ */

/* Field by field: the structs have padding. */
static bool same_trees(const struct pv_tree *a, const struct pv_tree *b)
{
    if (a->nnodes != b->nnodes || a->ncrumbs != b->ncrumbs)
        return false;
    for (size_t i = 0; i < a->nnodes; i++) {
        const struct pv_tree_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (x->fid != y->fid || x->other != y->other || x->exact != y->exact ||
            x->recursive != y->recursive || x->truncated != y->truncated ||
            x->count != y->count || x->value != y->value || x->self != y->self ||
            x->calls != y->calls || x->first_child != y->first_child ||
            x->nchildren != y->nchildren)
            return false;
    }
    for (size_t i = 0; i < a->ncrumbs; i++)
        if (a->crumbs[i].fid != b->crumbs[i].fid || a->crumbs[i].value != b->crumbs[i].value)
            return false;
    return true;
}

static void given_entries_are_used_as_given(void)
{
    struct pv_profile *p = build(DIAMOND, 5, DIAMOND_CALLS);
    if (!p)
        return;
    struct pv_entry *e = NULL;
    size_t n = 0;
    pv_err err = {0};
    if (pv_tree_entries(p, &e, &n, &err)) {
        CHECK(false, "diamond_has_entries", "%s", err.msg);
        pv_profile_destroy(p);
        return;
    }
    struct pv_tree *found = tree(p, (struct pv_tree_query){.depth = 10});
    struct pv_tree *given = tree(p, (struct pv_tree_query){.entries = e, .nentries = n});
    CHECK(found && given && same_trees(found, given),
          "a_tree_from_given_entries_is_the_tree_the_build_finds", "%zu and %zu nodes",
          found ? found->nnodes : 0, given ? given->nnodes : 0);
    pv_tree_destroy(found);
    pv_tree_destroy(given);
    uint32_t path[] = {fid(p, "main"), fid(p, "a")};
    found = tree(p, (struct pv_tree_query){.path = path, .npath = 2});
    given = tree(p, (struct pv_tree_query){.path = path, .npath = 2, .entries = e, .nentries = n});
    CHECK(found && given && same_trees(found, given), "a_path_from_given_entries_is_the_same",
          "%zu and %zu nodes", found ? found->nnodes : 0, given ? given->nnodes : 0);
    pv_tree_destroy(found);
    pv_tree_destroy(given);
    free(e);

    /* Entries the profile does not have: the build must not look again. */
    struct pv_entry b_only[] = {{fid(p, "b"), 5}};
    struct pv_tree *t = tree(p, (struct pv_tree_query){.entries = b_only, .nentries = 1});
    CHECK(t && eq(t->nodes[0].value, 5) && t->nodes[0].nchildren == 1 &&
              t->nodes[1].fid == fid(p, "b"),
          "the_top_holds_the_given_entries_only", "root %g, %u children",
          t ? t->nodes[0].value : -1.0, t ? t->nodes[0].nchildren : 0);
    pv_tree_destroy(t);
    struct pv_entry none[1] = {{0, 0}};
    t = tree(p, (struct pv_tree_query){.entries = none, .nentries = 0});
    CHECK(t && t->nnodes == 1 && t->nodes[0].value == 0,
          "no_given_entries_is_an_empty_top_not_a_search", "%zu nodes",
          t ? t->nnodes : (size_t)0);
    pv_tree_destroy(t);
    struct pv_entry wild[] = {{fid(p, "main"), 10}, {p->nfuncs, 1}};
    struct pv_tree_query q = {.depth = 10, .max_nodes = 100, .entries = wild, .nentries = 2};
    t = NULL;
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_E_USAGE && !t && strstr(err.msg, "entry point 2"),
          "a_given_entry_out_of_range_is_refused", "%s", err.msg);
    pv_profile_destroy(p);

    /* a and b call each other, and nothing else calls them */
    static const struct fn ring[] = {
        {"r.py", 1, "a", 1, 1, 1, 2, false},
        {"r.py", 2, "b", 1, 1, 1, 2, false},
    };
    static const struct call rcalls[] = {
        {0, 1, 1, 1, 1, 2, false}, {1, 0, 1, 1, 1, 2, false}, {-1, 0, 0, 0, 0, 0, false}};
    p = build(ring, 2, rcalls);
    e = NULL;
    n = 99;
    CHECK(p && pv_tree_entries(p, &e, &n, &err) == PV_OK && n == 0 && e != NULL,
          "no_entry_points_is_an_empty_array_not_null", "n %zu, %p", n, (void *)e);
    free(e);
    pv_profile_destroy(p);
}

/* ---- the `profile` module: count-only edges ----------------------------- */

static void count_only_edges_split_by_calls(void)
{
    static const struct fn fns[] = {
        {"profile", 0, "profiler", 0, 0, 0, 0, true}, {"p.py", 1, "main", 1, 1, 1, 4, false},
        {"p.py", 5, "fib", 1, 10, 2, 2, false},       {"p.py", 9, "helper", 2, 2, 1, 1, false},
        {"", 0, "len", 1, 1, 0.5, 0.5, false},
    };
    static const struct call calls[] = {
        {0, 1, 1, 0, 0, 0, true},   {1, 2, 1, 0, 0, 0, true}, {2, 2, 9, 0, 0, 0, true},
        {0, 3, 1, 0, 0, 0, true},   {1, 3, 1, 0, 0, 0, true}, {1, 4, 1, 0, 0, 0, true},
        {-1, 0, 0, 0, 0, 0, false},
    };
    for (int real_root = 0; real_root < 2; real_root++) {
        struct fn with_root[5];
        memcpy(with_root, fns, sizeof fns);
        with_root[0].phantom = !real_root; /* a real one has zero stats */
        struct pv_profile *p = build(with_root, 5, calls);
        if (!p)
            continue;
        struct pv_entry *e = NULL;
        size_t n = 0;
        pv_err err;
        CHECK(
            pv_tree_entries(p, &e, &n, &err) == PV_OK && n == 2 && e[0].fid == fid(p, "main") &&
                eq(e[0].value, 4) && e[1].fid == fid(p, "helper") && eq(e[1].value, 0.5),
            real_root ? "real_fake_root_is_not_a_caller" : "phantom_fake_root_is_not_a_caller",
            "n %zu", n);
        free(e);
        struct pv_tree *t = tree(p, (struct pv_tree_query){.depth = 10});
        if (t) {
            static const struct expect rows[] = {
                {"fake_root_callees_are_entries_with_their_ct", "main", 4, true, false, 1},
                {"outside_call_of_a_recursive_function_gets_its_ct", "main/fib", 2, false,
                 false, NAN},
                {"count_only_share_is_by_calls", "main/helper", 0.5, false, false, NAN},
                {"profile_module_builtin_is_a_child", "main/len", 0.5, false, false, NAN},
                {"count_only_recursion_is_a_leaf", "main/fib/fib", 1.8, false, true, NAN},
            };
            check_rows(p, t, rows, sizeof rows / sizeof rows[0]);
            CHECK(eq(t->nodes[0].value, 4.5) && eq(p->total_tt, 4.5) && conserved(t),
                  "profile_module_total_is_conserved", "%g", t->nodes[0].value);
            pv_tree_destroy(t);
        }
        pv_profile_destroy(p);
    }
}

/* ---- hiding ------------------------------------------------------------- */

static void hide_folds_time_into_callers(void)
{
    static const struct fn fns[] = {
        {"h.py", 1, "main", 1, 1, 1, 4, false},
        {"~", 0, "<built-in method builtins.sorted>", 1, 1, 0.5, 2.5, false},
        {"h.py", 5, "key", 10, 10, 2, 2, false},
        {"~", 0, "<built-in method builtins.len>", 3, 3, 0.5, 0.5, false},
    };
    static const struct call calls[] = {
        {0, 1, 1, 1, 0.5, 2.5, false},
        {1, 2, 10, 10, 2, 2, false},
        {0, 3, 3, 3, 0.5, 0.5, false},
        {-1, 0, 0, 0, 0, 0, false},
    };
    struct pv_profile *p = build(fns, 4, calls);
    if (!p)
        return;
    struct pv_tree *t = tree(p, (struct pv_tree_query){.hide = PV_HIDE_BUILTINS});
    if (t) {
        const struct pv_tree_node *main = at(p, t, "main");
        static const struct expect rows[] = {
            {"hidden_builtin_is_replaced_by_its_callee", "main/key", 2, true, false, 2},
            {"hidden_time_becomes_self", "main", 4, true, false, 2},
        };
        check_rows(p, t, rows, 2);
        CHECK(main->nchildren == 1 && at(p, t, "main/key")->calls == 10 && conserved(t),
              "hidden_leaf_vanishes_into_self", "%u children", main->nchildren);
        pv_tree_destroy(t);
    }
    uint32_t root = fid(p, "<built-in method builtins.sorted>");
    t = tree(p,
             (struct pv_tree_query){.by_root = true, .root = root, .hide = PV_HIDE_BUILTINS});
    if (t) {
        CHECK(t->nodes[0].fid == root && eq(at(p, t, "key")->value, 2),
              "a_hidden_root_is_still_shown", "root fid %u", t->nodes[0].fid);
        pv_tree_destroy(t);
    }
    pv_profile_destroy(p);
}

/* ---- errors ------------------------------------------------------------- */

static void bad_queries_are_errors(void)
{
    struct fn fns[7];
    memcpy(fns, DIAMOND, sizeof DIAMOND);
    fns[5] = (struct fn){"ghost.py", 1, "ghost", 0, 0, 0, 0, true};
    fns[6] = (struct fn){"app.py", 50, "e", 1, 1, 0.5, 0.5, false};
    struct call calls[7];
    memcpy(calls, DIAMOND_CALLS, sizeof DIAMOND_CALLS);
    calls[5] = (struct call){5, 6, 1, 1, 0.5, 0.5, false}; /* a dangling caller of e */
    calls[6] = (struct call){-1, 0, 0, 0, 0, 0, false};
    struct pv_profile *p = build(fns, 7, calls);
    if (!p)
        return;
    uint32_t main = fid(p, "main"), a = fid(p, "a"), d = fid(p, "d"), ghost = fid(p, "ghost");
    static uint32_t paths[6][3];
    paths[0][0] = 999;
    paths[1][0] = a;
    paths[2][0] = main, paths[2][1] = d;
    paths[3][0] = main, paths[3][1] = a, paths[3][2] = main;
    paths[4][0] = ghost;
    struct {
        const char *name;
        struct pv_tree_query q;
        pv_code code;
        const char *want;
    } rows[] = {
        {"depth_minus_one_is_refused", {.depth = -1}, PV_E_USAGE, "depth -1"},
        {"depth_65_is_refused", {.depth = 65}, PV_E_USAGE, "depth 65"},
        {"negative_cutoff_is_refused", {.cutoff = -0.5}, PV_E_USAGE, "cutoff"},
        {"cutoff_over_one_is_refused", {.cutoff = 1.5}, PV_E_USAGE, "cutoff"},
        {"nan_cutoff_is_refused", {.cutoff = NAN}, PV_E_USAGE, "cutoff"},
        {"zero_max_nodes_is_refused", {.max_nodes = 0}, PV_E_USAGE, "max_nodes"},
        {"too_many_max_nodes_is_refused", {.max_nodes = 100001}, PV_E_USAGE, "max_nodes"},
        {"unknown_hide_bits_are_refused", {.hide = 8}, PV_E_USAGE, "hide"},
        {"fid_out_of_range_is_not_found", {.path = paths[0], .npath = 1}, PV_E_NOTFOUND, "999"},
        {"first_step_must_be_an_entry",
         {.path = paths[1], .npath = 1},
         PV_E_USAGE,
         "not an entry point"},
        {"step_must_be_a_callee",
         {.path = paths[2], .npath = 2},
         PV_E_USAGE,
         "path step 2: fid 4 is not called by fid 0"},
        {"repeated_step_is_refused",
         {.path = paths[3], .npath = 3},
         PV_E_USAGE,
         "already on the path"},
        {"phantom_in_path_is_not_found",
         {.path = paths[4], .npath = 1},
         PV_E_NOTFOUND,
         "only named as a caller"},
        {"phantom_root_is_not_found",
         {.by_root = true, .root = ghost},
         PV_E_NOTFOUND,
         "only named as a caller"},
        {"root_out_of_range_is_not_found",
         {.by_root = true, .root = 7},
         PV_E_NOTFOUND,
         "no function with fid 7"},
        {"root_and_path_together_are_refused",
         {.by_root = true, .root = main, .path = paths[2], .npath = 1},
         PV_E_USAGE,
         "one or the other"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pv_tree_query q = rows[i].q;
        if (strncmp(rows[i].name, "depth", 5))
            q.depth = 10;
        if (strstr(rows[i].name, "max_nodes") == NULL)
            q.max_nodes = 100;
        struct pv_tree sentinel, *t = &sentinel;
        pv_err err = {0};
        pv_code rc = pv_tree_build(p, &q, &t, &err);
        CHECK(rc == rows[i].code && t == &sentinel && strstr(err.msg, rows[i].want),
              rows[i].name, "rc %d: %s", rc, err.msg);
    }
    /* A dangling caller still accounts for its calls (in line_negative.prof
     * every caller key is a phantom twin of a real function). */
    struct pv_entry *e = NULL;
    size_t n = 0;
    pv_err err;
    CHECK(pv_tree_entries(p, &e, &n, &err) == PV_OK && n == 1 && e[0].fid == main,
          "callee_of_a_phantom_caller_is_not_an_entry", "n %zu", n);
    free(e);
    pv_tree_destroy(NULL);
    pv_profile_destroy(p);
}

/* ---- budgets ------------------------------------------------------------ */

static int stop_calls;

static bool stop_now(void *ctx)
{
    stop_calls++;
    return *(bool *)ctx;
}

static void budget_and_stop_end_a_build(void)
{
    struct pv_profile *p = build(DIAMOND, 5, DIAMOND_CALLS);
    if (!p)
        return;
    struct pv_tree *t = NULL;
    pv_err err = {0};
    struct pv_tree_query q = {.depth = 10, .max_nodes = 100, .max_steps = 3};
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_E_LIMIT && !t &&
              !strcmp(err.msg, "tree too large: building it takes over 3 steps, the budget - "
                               "lower max_nodes or depth, raise cutoff, or hide fewer kinds"),
          "a_build_over_its_steps_is_a_limit_error_that_says_what_to_change", "%s", err.msg);
    q.max_steps = 100;
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_OK, "the_same_build_within_budget_is_fine", "%s",
          err.msg);
    pv_tree_destroy(t);
    t = NULL;
    bool yes = true, no = false;
    q = (struct pv_tree_query){.depth = 10, .max_nodes = 100, .stop = stop_now, .stop_ctx = &yes};
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_E_CANCELLED && !t,
          "a_build_asked_to_stop_is_cancelled", "%s", err.msg);
    stop_calls = 0;
    q.stop_ctx = &no;
    CHECK(pv_tree_build(p, &q, &t, &err) == PV_OK && stop_calls >= 1,
          "a_build_asks_whether_to_go_on", "%d calls", stop_calls);
    pv_tree_destroy(t);
    pv_profile_destroy(p);
}

int main(void)
{
    budget_and_stop_end_a_build();
    diamond_values_are_exact_then_estimated();
    recursion_takes_only_from_the_double_counted();
    unrecorded_time_is_a_node_where_it_is();
    depth_auto_goes_as_deep_as_the_cutoff_allows();
    recursion_is_a_leaf();
    cutoff_merges_into_other();
    entries_of_python_m_cprofile();
    given_entries_are_used_as_given();
    count_only_edges_split_by_calls();
    hide_folds_time_into_callers();
    bad_queries_are_errors();
    return check_done();
}
