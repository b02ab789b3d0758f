/* Unit tests of comparing two runs: pairing rules (diff.c), rows and their
 * order, and the tree over both runs (difftree.c), on stats dicts written
 * as marshal bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diff.h"
#include "difftree.h"
#include "marshal_writer.h"
#include "profile.h"
#include "tree.h"

/* ---- profiles from tables ----------------------------------------------- */

struct run_fn {
    const char *file;
    int line;
    const char *name;
    int nc;
    double tt, ct;
};

struct run_call {
    int caller, callee; /* indices into the run_fn table; -1 ends the table */
    int nc;
    double ct;
};

/* {key: (nc, nc, tt, ct, {caller: (nc, nc, tt, ct)})}; fns ends at file
 * NULL.  Edge tt is its ct: the tests read only ct. */
static struct pv_profile *build(const struct run_fn *fns, const struct run_call *calls)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    for (int i = 0; fns[i].file; i++) {
        key(&w, fns[i].file, fns[i].line, fns[i].name);
        stats(&w, fns[i].nc, fns[i].nc, fns[i].tt, fns[i].ct);
        for (const struct run_call *c = calls; c && c->caller >= 0; c++) {
            if (c->callee != i)
                continue;
            const struct run_fn *f = &fns[c->caller];
            caller(&w, f->file, f->line, f->name, c->nc, c->nc, c->ct, c->ct);
        }
        byte(&w, '0');
    }
    byte(&w, '0');
    return profile_of_written(&w);
}

static uint32_t fid_of(const struct pv_profile *p, const char *file, const char *name)
{
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (!strcmp(pv_profile_str(p, p->funcs[f].name, NULL), name) &&
            (!file || !strcmp(pv_profile_str(p, p->funcs[f].file, NULL), file)))
            return f;
    return PV_DIFF_NONE;
}

/* The row of A's function (file, name), or of B's when A has none. */
static const struct pv_diff_row *row_of(const struct pv_diff *d, const char *file,
                                        const char *name)
{
    uint32_t a = fid_of(d->a, file, name), b = fid_of(d->b, file, name);
    for (size_t i = 0; i < d->nrows; i++)
        if ((a != PV_DIFF_NONE && d->rows[i].a == a) ||
            (a == PV_DIFF_NONE && b != PV_DIFF_NONE && d->rows[i].b == b))
            return &d->rows[i];
    static const struct pv_diff_row missing = {PV_DIFF_NONE, PV_DIFF_NONE, PV_DIFF_EXACT, false};
    return &missing;
}

static struct pv_diff *diff(const struct pv_profile *a, const struct pv_profile *b)
{
    struct pv_diff *d = NULL;
    pv_err err;
    if (!a || !b || pv_diff_create(a, b, &d, &err))
        printf("diff failed\n");
    return d;
}

/* ---- pairing ------------------------------------------------------------ */

static const struct run_fn RUN_A[] = {
    {"/app/pkg/mod.py", 10, "main", 1, 0.1, 1.0},
    {"/app/pkg/mod.py", 20, "work", 5, 0.4, 0.8},
    {"/app/pkg/mod.py", 30, "gone", 2, 0.1, 0.1},
    {"~", 0, "<built-in method builtins.len>", 9, 0.05, 0.05},
    {NULL, 0, NULL, 0, 0, 0},
};

static const struct run_call CALLS_A[] = {
    {0, 1, 5, 0.8}, {0, 2, 2, 0.1}, {1, 3, 9, 0.05}, {-1, -1, 0, 0},
};

static void self_diff_is_all_zeros(void)
{
    struct pv_profile *a = build(RUN_A, CALLS_A);
    struct pv_diff *d = diff(a, a);
    if (!d)
        return;
    CHECK(d->nrows == a->nreal && d->added == 0 && d->removed == 0, "self_diff_pairs_all",
          "%zu rows, %zu added, %zu removed", d->nrows, d->added, d->removed);
    CHECK(d->rule == PV_DIFF_EXACT && d->count[PV_DIFF_EXACT] == a->nreal, "self_diff_is_exact",
          "rule %s, %zu exact", pv_diff_rule_name(d->rule), d->count[PV_DIFF_EXACT]);
    bool zero = true;
    for (size_t i = 0; i < d->nrows; i++) {
        struct pv_diff_side x, y;
        pv_diff_side_of(d, &d->rows[i], false, &x);
        pv_diff_side_of(d, &d->rows[i], true, &y);
        zero = zero && d->rows[i].a == d->rows[i].b && x.nc == y.nc && x.cc == y.cc &&
               x.tt == y.tt && x.ct == y.ct && pv_diff_ratio(x.ct, y.ct) == 0;
    }
    CHECK(zero, "self_diff_rows_are_zero", "a row differs from itself");
    pv_diff_destroy(d);
    pv_profile_destroy(a);
}

static void moved_added_removed_and_builtins(void)
{
    static const struct run_fn b_fns[] = {
        {"/app/pkg/mod.py", 10, "main", 1, 0.1, 0.7},
        {"/app/pkg/mod.py", 24, "work", 3, 0.3, 0.5}, /* four lines down */
        {"/app/pkg/mod.py", 40, "fresh", 1, 0.1, 0.1},
        {"~", 0, "<built-in method builtins.len>", 4, 0.02, 0.02},
        {NULL, 0, NULL, 0, 0, 0},
    };
    static const struct run_call b_calls[] = {
        {0, 1, 3, 0.5}, {0, 2, 1, 0.1}, {1, 3, 4, 0.02}, {-1, -1, 0, 0},
    };
    struct pv_profile *a = build(RUN_A, CALLS_A), *b = build(b_fns, b_calls);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    const struct pv_diff_row *work = row_of(d, NULL, "work");
    CHECK(work->b == fid_of(b, NULL, "work") && work->rule == PV_DIFF_MOVED && work->line_moved,
          "moved_line_pairs_and_says_so", "b %u, rule %s", work->b,
          pv_diff_rule_name(work->rule));
    CHECK(d->rule == PV_DIFF_MOVED, "moved_is_the_widest_rule", "%s",
          pv_diff_rule_name(d->rule));
    const struct pv_diff_row *gone = row_of(d, NULL, "gone"), *fresh = row_of(d, NULL, "fresh");
    CHECK(gone->a != PV_DIFF_NONE && gone->b == PV_DIFF_NONE, "function_only_in_a_is_removed",
          "a %u b %u", gone->a, gone->b);
    CHECK(fresh->a == PV_DIFF_NONE && fresh->b != PV_DIFF_NONE, "function_only_in_b_is_added",
          "a %u b %u", fresh->a, fresh->b);
    CHECK(d->added == 1 && d->removed == 1, "one_added_one_removed", "%zu added, %zu removed",
          d->added, d->removed);
    const struct pv_diff_row *len = row_of(d, "~", "<built-in method builtins.len>");
    CHECK(len->rule == PV_DIFF_EXACT && len->b != PV_DIFF_NONE, "builtins_pair_by_name",
          "b %u", len->b);
    struct pv_diff_side x, y;
    pv_diff_side_of(d, work, false, &x);
    pv_diff_side_of(d, work, true, &y);
    CHECK(x.nc == 5 && y.nc == 3 && x.ct == 0.8 && y.ct == 0.5, "row_has_both_runs_numbers",
          "%lld -> %lld, %g -> %g", (long long)x.nc, (long long)y.nc, x.ct, y.ct);
    pv_diff_side_of(d, fresh, false, &x);
    CHECK(!x.present && x.nc == 0 && x.ct == 0 && isnan(pv_diff_ratio(x.ct, 0.1)),
          "added_row_has_zeros_and_no_ratio", "present %d", x.present);
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

static void a_name_twice_is_not_moved(void)
{
    /* Two nested functions called `inner` in one file, both moved: which is
     * which cannot be told, so neither pairs. */
    static const struct run_fn a_fns[] = {
        {"m.py", 1, "main", 1, 0.1, 0.3}, {"m.py", 5, "inner", 1, 0.1, 0.1},
        {"m.py", 9, "inner", 1, 0.1, 0.1}, {NULL, 0, NULL, 0, 0, 0},
    };
    static const struct run_fn b_fns[] = {
        {"m.py", 1, "main", 1, 0.1, 0.3}, {"m.py", 6, "inner", 1, 0.1, 0.1},
        {"m.py", 12, "inner", 1, 0.1, 0.1}, {NULL, 0, NULL, 0, 0, 0},
    };
    struct pv_profile *a = build(a_fns, NULL), *b = build(b_fns, NULL);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    CHECK(d->count[PV_DIFF_EXACT] == 1 && d->count[PV_DIFF_MOVED] == 0 && d->added == 2 &&
              d->removed == 2,
          "ambiguous_name_is_not_moved", "%zu exact %zu moved %zu added %zu removed",
          d->count[PV_DIFF_EXACT], d->count[PV_DIFF_MOVED], d->added, d->removed);
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

static void other_root_pairs_by_suffix(void)
{
    static const struct run_fn b_fns[] = {
        {"/home/u/src/pkg/mod.py", 10, "main", 1, 0.1, 1.0},
        {"/home/u/src/pkg/mod.py", 22, "work", 5, 0.4, 0.8}, /* moved too */
        {"/home/u/src/pkg/mod.py", 30, "gone", 2, 0.1, 0.1},
        {"/home/u/src/other/mod.py", 30, "gone", 2, 0.1, 0.1}, /* a shorter suffix */
        {"~", 0, "<built-in method builtins.len>", 9, 0.05, 0.05},
        {NULL, 0, NULL, 0, 0, 0},
    };
    struct pv_profile *a = build(RUN_A, CALLS_A), *b = build(b_fns, NULL);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    const struct pv_diff_row *main_row = row_of(d, NULL, "main");
    const struct pv_diff_row *work = row_of(d, NULL, "work");
    const struct pv_diff_row *gone = row_of(d, NULL, "gone");
    CHECK(main_row->b == fid_of(b, "/home/u/src/pkg/mod.py", "main") &&
              main_row->rule == PV_DIFF_SUFFIX && !main_row->line_moved,
          "other_root_pairs_by_path_suffix", "b %u rule %s", main_row->b,
          pv_diff_rule_name(main_row->rule));
    CHECK(work->rule == PV_DIFF_SUFFIX && work->line_moved, "other_root_and_moved_line",
          "rule %s moved %d", pv_diff_rule_name(work->rule), work->line_moved);
    CHECK(gone->b == fid_of(b, "/home/u/src/pkg/mod.py", "gone"), "longest_suffix_wins",
          "b %u", gone->b);
    CHECK(d->rule == PV_DIFF_SUFFIX && d->root_a && d->root_b && !strcmp(d->root_a, "/app/") &&
              !strcmp(d->root_b, "/home/u/src/"),
          "diff_names_the_roots", "%s %s", d->root_a ? d->root_a : "(null)",
          d->root_b ? d->root_b : "(null)");
    CHECK(d->added == 1 && d->removed == 0, "the_other_file_is_added", "%zu added %zu removed",
          d->added, d->removed);
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

static void equal_suffixes_do_not_pair(void)
{
    static const struct run_fn a_fns[] = {{"/app/x/util.py", 1, "f", 1, 0.1, 0.1},
                                      {NULL, 0, NULL, 0, 0, 0}};
    static const struct run_fn b_fns[] = {{"/h/a/util.py", 1, "f", 1, 0.1, 0.1},
                                      {"/h/b/util.py", 1, "f", 1, 0.1, 0.1},
                                      {NULL, 0, NULL, 0, 0, 0}};
    struct pv_profile *a = build(a_fns, NULL), *b = build(b_fns, NULL);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    CHECK(d->removed == 1 && d->added == 2 && !d->root_a, "tied_suffixes_do_not_pair",
          "%zu removed %zu added", d->removed, d->added);
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

static void roots_are_the_most_frequent(void)
{
    /* The first paired file has a root of its own; most share another. */
    static const struct run_fn a_fns[] = {{"/app/a/c.py", 1, "f", 1, 0.1, 0.1},
                                      {"/app/pkg/a.py", 1, "g", 1, 0.1, 0.1},
                                      {"/app/pkg/b.py", 1, "h", 1, 0.1, 0.1},
                                      {NULL, 0, NULL, 0, 0, 0}};
    static const struct run_fn b_fns[] = {{"/home/u/src/pkg/a.py", 1, "g", 1, 0.1, 0.1},
                                      {"/home/u/src/pkg/b.py", 1, "h", 1, 0.1, 0.1},
                                      {"/other/a/c.py", 1, "f", 1, 0.1, 0.1},
                                      {NULL, 0, NULL, 0, 0, 0}};
    struct pv_profile *a = build(a_fns, NULL), *b = build(b_fns, NULL);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    CHECK(d->count[PV_DIFF_SUFFIX] == 3 && d->root_a && !strcmp(d->root_a, "/app/") &&
              d->root_b && !strcmp(d->root_b, "/home/u/src/"),
          "roots_are_the_most_frequent_pair", "%zu by suffix, %s %s", d->count[PV_DIFF_SUFFIX],
          d->root_a ? d->root_a : "(null)", d->root_b ? d->root_b : "(null)");
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

/* ---- rows --------------------------------------------------------------- */

static bool keep_not_main(void *ctx, const struct pv_diff_row *r, bool *stop, pv_err *err)
{
    const struct pv_diff *d = ctx;
    uint32_t f = r->a != PV_DIFF_NONE ? r->a : r->b;
    const struct pv_profile *p = r->a != PV_DIFF_NONE ? d->a : d->b;
    return strcmp(pv_profile_str(p, p->funcs[f].name, NULL), "main") != 0;
}

static void rows_sort_and_filter(void)
{
    static const struct run_fn b_fns[] = {
        {"/app/pkg/mod.py", 10, "main", 1, 0.1, 0.7},  /* ct -0.3 */
        {"/app/pkg/mod.py", 20, "work", 6, 0.3, 0.4},  /* ct -0.4, calls +1 */
        {"/app/pkg/mod.py", 30, "gone", 2, 0.1, 0.2}, /* ct +0.1, ratio +100% */
        {"~", 0, "<built-in method builtins.len>", 9, 0.05, 0.05},
        {NULL, 0, NULL, 0, 0, 0},
    };
    struct pv_profile *a = build(RUN_A, CALLS_A), *b = build(b_fns, NULL);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    static const struct {
        const char *name;
        pv_diff_sort_key key;
        bool descending;
        const char *first;
    } cases[] = {
        {"delta_puts_largest_change_first", PV_DIFF_SORT_DELTA, true, "work"},
        {"ratio_puts_largest_relative_change_first", PV_DIFF_SORT_RATIO, true, "gone"},
        {"calls_puts_largest_change_in_calls_first", PV_DIFF_SORT_CALLS, true, "work"},
        {"cumtime_puts_largest_time_first", PV_DIFF_SORT_CUMTIME, true, "main"},
        {"name_ascending_starts_with_builtins", PV_DIFF_SORT_NAME, false,
         "<built-in method builtins.len>"},
        {"delta_ascending_puts_unchanged_first", PV_DIFF_SORT_DELTA, false,
         "<built-in method builtins.len>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pv_diff_select sel = {cases[i].key, cases[i].descending, NULL, NULL};
        uint32_t *rows = NULL;
        size_t n = 0;
        pv_err err;
        bool ok = pv_diff_select(d, &sel, &rows, &n, &err) == PV_OK && n == 4;
        const char *first = ok ? pv_profile_str(a, a->funcs[d->rows[rows[0]].a].name, NULL) : "";
        CHECK(ok && !strcmp(first, cases[i].first), cases[i].name, "first %s, want %s", first,
              cases[i].first);
        free(rows);
    }
    struct pv_diff_select sel = {PV_DIFF_SORT_DELTA, true, keep_not_main, d};
    uint32_t *rows = NULL;
    size_t n = 0;
    pv_err err;
    CHECK(pv_diff_select(d, &sel, &rows, &n, &err) == PV_OK && n == 3, "keep_filters_rows",
          "%zu rows", n);
    free(rows);
    pv_diff_sort_key k;
    CHECK(pv_diff_sort_parse("bogus", &k, &err) == PV_E_USAGE, "unknown_sort_is_usage_error",
          "accepted");
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

/* ---- the tree over both runs -------------------------------------------- */

/* The merged node under node i whose function (in either run) is name. */
static size_t kid(const struct pv_diff *d, const struct pv_difftree *t, size_t i,
                  const char *name)
{
    if (i == SIZE_MAX)
        return SIZE_MAX;
    const struct pv_difftree_node *n = &t->nodes[i];
    for (uint32_t k = 0; k < n->nchildren; k++) {
        const struct pv_difftree_node *c = &t->nodes[n->first_child + k];
        const struct pv_tree_node *x = c->a != PV_DIFF_NONE ? &t->ta->nodes[c->a] : &t->tb->nodes[c->b];
        const struct pv_profile *p = c->a != PV_DIFF_NONE ? d->a : d->b;
        if (x->other ? !strcmp(name, "other")
                     : !strcmp(pv_profile_str(p, p->funcs[x->fid].name, NULL), name))
            return n->first_child + k;
    }
    return SIZE_MAX;
}

static double val(const struct pv_tree *t, uint32_t node)
{
    return node == PV_DIFF_NONE ? -1 : t->nodes[node].value;
}

static void tree_over_both_runs(void)
{
    /* main calls big and small; small is under the cutoff (10%) in A only,
     * and fresh exists in B only. */
    static const struct run_fn a_fns[] = {
        {"t.py", 1, "main", 1, 0.005, 1.0}, {"t.py", 5, "big", 1, 0.99, 0.99},
        {"t.py", 9, "small", 1, 0.005, 0.005}, {NULL, 0, NULL, 0, 0, 0},
    };
    static const struct run_call a_calls[] = {{0, 1, 1, 0.99}, {0, 2, 1, 0.005}, {-1, -1, 0, 0}};
    static const struct run_fn b_fns[] = {
        {"t.py", 1, "main", 1, 0.0, 1.0}, {"t.py", 5, "big", 1, 0.3, 0.3},
        {"t.py", 9, "small", 1, 0.5, 0.5}, {"t.py", 20, "fresh", 1, 0.2, 0.2},
        {NULL, 0, NULL, 0, 0, 0},
    };
    static const struct run_call b_calls[] = {
        {0, 1, 1, 0.3}, {0, 2, 1, 0.5}, {0, 3, 1, 0.2}, {-1, -1, 0, 0}};
    struct pv_profile *a = build(a_fns, a_calls), *b = build(b_fns, b_calls);
    struct pv_diff *d = diff(a, b);
    if (!d)
        return;
    struct pv_tree_query q = {.depth = 5, .cutoff = 0.1, .max_nodes = 1000};
    struct pv_difftree *t = NULL;
    pv_err err;
    if (pv_difftree_build(d, &q, false, NULL, &t, &err)) {
        CHECK(false, "difftree_builds", "%s", err.msg);
        goto done;
    }
    size_t main_node = kid(d, t, 0, "main");
    size_t small = kid(d, t, main_node, "small"), fresh = kid(d, t, main_node, "fresh");
    size_t big = kid(d, t, main_node, "big"), other = kid(d, t, main_node, "other");
    CHECK(main_node != SIZE_MAX && t->nodes[main_node].a != PV_DIFF_NONE &&
              t->nodes[main_node].b != PV_DIFF_NONE,
          "entry_point_is_in_both_runs", "node %zu", main_node);
    CHECK(small != SIZE_MAX && fabs(val(t->ta, t->nodes[small].a) - 0.005) < 1e-12 &&
              fabs(val(t->tb, t->nodes[small].b) - 0.5) < 1e-12,
          "node_over_cutoff_in_one_run_keeps_both_values", "a %g b %g",
          small != SIZE_MAX ? val(t->ta, t->nodes[small].a) : -1,
          small != SIZE_MAX ? val(t->tb, t->nodes[small].b) : -1);
    CHECK(other == SIZE_MAX, "nothing_left_for_other", "an other node");
    CHECK(fresh != SIZE_MAX && t->nodes[fresh].a == PV_DIFF_NONE &&
              fabs(val(t->tb, t->nodes[fresh].b) - 0.2) < 1e-12,
          "function_of_b_only_is_a_b_only_node", "node %zu", fresh);
    CHECK(big != SIZE_MAX && small != SIZE_MAX && big < small && small < fresh,
          "children_by_larger_value", "big %zu small %zu fresh %zu", big, small, fresh);
    pv_difftree_destroy(t);
    t = NULL;

    /* Entry points given are the asking run's: the other run finds its
     * own (here A's are made up, worth 0.75; B's top is worth 1.0). */
    struct pv_entry a_entries[] = {{fid_of(a, NULL, "main"), 0.75}};
    q.entries = a_entries;
    q.nentries = 1;
    if (pv_difftree_build(d, &q, false, NULL, &t, &err) == PV_OK) {
        CHECK(fabs(t->ta->nodes[0].value - 0.75) < 1e-12 &&
                  fabs(t->tb->nodes[0].value - 1.0) < 1e-12,
              "given_entries_serve_their_own_run_only", "a top %g, b top %g",
              t->ta->nodes[0].value, t->tb->nodes[0].value);
        pv_difftree_destroy(t);
        t = NULL;
    } else
        CHECK(false, "difftree_with_given_entries_builds", "%s", err.msg);
    q.entries = NULL;
    q.nentries = 0;

    /* Both runs' entry points given: each build takes its own run's (made
     * up here: A's worth 0.75, B's 0.5), asked from either side. */
    struct pv_entry b_entries[] = {{fid_of(b, NULL, "main"), 0.5}};
    struct pv_difftree_entries both = {a_entries, b_entries, 1, 1};
    for (int from_b = 0; from_b <= 1; from_b++) {
        if (pv_difftree_build(d, &q, from_b, &both, &t, &err) == PV_OK) {
            CHECK(fabs(t->ta->nodes[0].value - 0.75) < 1e-12 &&
                      fabs(t->tb->nodes[0].value - 0.5) < 1e-12,
                  "both_runs_entries_serve_their_runs", "from %c: a top %g, b top %g",
                  from_b ? 'b' : 'a', t->ta->nodes[0].value, t->tb->nodes[0].value);
            pv_difftree_destroy(t);
            t = NULL;
        } else
            CHECK(false, "difftree_with_both_entries_builds", "%s", err.msg);
    }

    /* The same tree asked in B's fids, rooted at B's small. */
    q.by_root = true;
    q.root = fid_of(b, NULL, "small");
    if (pv_difftree_build(d, &q, true, NULL, &t, &err) == PV_OK) {
        CHECK(t->nodes[0].a != PV_DIFF_NONE && t->nodes[0].b != PV_DIFF_NONE &&
                  fabs(t->ta->nodes[0].value - 0.005) < 1e-12,
              "root_in_b_fids_is_translated", "a %u", t->nodes[0].a);
        pv_difftree_destroy(t);
        t = NULL;
    } else
        CHECK(false, "root_in_b_fids_builds", "%s", err.msg);
    q.root = fid_of(b, NULL, "fresh");
    if (pv_difftree_build(d, &q, true, NULL, &t, &err) == PV_OK) {
        CHECK(!t->ta && t->tb && t->nodes[0].a == PV_DIFF_NONE, "root_missing_in_a_leaves_a_empty",
              "ta %p", (void *)t->ta);
        pv_difftree_destroy(t);
        t = NULL;
    } else
        CHECK(false, "root_of_b_only_builds", "%s", err.msg);
    q.root = 99;
    CHECK(pv_difftree_build(d, &q, false, NULL, &t, &err) == PV_E_NOTFOUND, "bad_root_is_not_found",
          "built");

    /* A diff with itself: every node in both, the same values. */
    pv_diff_destroy(d);
    d = diff(b, b);
    q = (struct pv_tree_query){.depth = 5, .cutoff = 0.001, .max_nodes = 1000};
    if (d && pv_difftree_build(d, &q, false, NULL, &t, &err) == PV_OK) {
        bool same = t->nnodes == t->ta->nnodes;
        for (size_t i = 0; i < t->nnodes; i++)
            same = same && t->nodes[i].a != PV_DIFF_NONE && t->nodes[i].b != PV_DIFF_NONE &&
                   t->ta->nodes[t->nodes[i].a].value == t->tb->nodes[t->nodes[i].b].value;
        CHECK(same, "self_difftree_has_zero_deltas", "%zu nodes", t->nnodes);
        pv_difftree_destroy(t);
    }
done:
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
}

int main(void)
{
    self_diff_is_all_zeros();
    moved_added_removed_and_builtins();
    a_name_twice_is_not_moved();
    other_root_pairs_by_suffix();
    equal_suffixes_do_not_pair();
    roots_are_the_most_frequent();
    rows_sort_and_filter();
    tree_over_both_runs();
    return check_done();
}
