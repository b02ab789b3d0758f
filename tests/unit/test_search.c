/* Unit tests of the whole-profile search (search.h): the matches' time
 * together on small stats dicts written as marshal bytes, and the heaviest
 * path to a function. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "profile_table.h"
#include "search.h"
#include "tree.h"

/*   main (10) -> a (6) -> b (4) -> c (4, 3 of it from b) -> x (1)
 *        \-> c (1 of it)     \-> self-recursive r (1)
 *   p (2) <-> q (1): called by main, and by each other
 *   u <-> v: nothing else calls them (no entry point reaches them) */
static const struct fn FNS[] = {
    {"m.py", 1, "main", 1, 1, 0.5, 10, false},
    {"m.py", 2, "a", 1, 1, 1, 6, false},
    {"m.py", 3, "b", 1, 1, 0, 4, false},
    {"m.py", 4, "c", 2, 2, 3, 4, false},
    {"m.py", 5, "x", 1, 1, 1, 1, false},
    {"m.py", 6, "r", 1, 3, 1, 1, false},
    {"m.py", 7, "p", 1, 2, 1, 2, false},
    {"m.py", 8, "q", 1, 1, 0.5, 1, false},
    {"m.py", 9, "u", 1, 1, 1, 1, false},
    {"m.py", 10, "v", 1, 1, 1, 1, false},
};
enum { MAIN, A, B, C, X, R, P, Q, U, V, NFNS };

static const struct call CALLS[] = {
    {MAIN, A, 1, 1, 1, 6, false},
    {A, B, 1, 1, 0, 4, false},
    {B, C, 1, 1, 2.5, 3, false},
    {MAIN, C, 1, 1, 0.5, 1, false},
    {C, X, 1, 1, 1, 1, false},
    {MAIN, R, 1, 1, 0.5, 1, false},
    {R, R, 2, 0, 0.5, 0.6, false},
    {MAIN, P, 1, 1, 0.5, 2, false},
    {P, Q, 1, 1, 0.5, 1, false},
    {Q, P, 1, 0, 0.5, 0.5, false},
    {U, V, 1, 1, 1, 1, false},
    {V, U, 1, 1, 1, 1, false},
    {-1, 0, 0, 0, 0, 0, false},
};

static bool eq(double a, double b)
{
    return fabs(a - b) <= 1e-12 * fmax(1, fmax(fabs(a), fabs(b)));
}

/* fids follow the table: its rows are in (file, line, name) order */
static const struct {
    const char *name;
    uint32_t fids[4];
    size_t n;
    double expected;
} TIME_ROWS[] = {
    {"no_match_takes_no_time", {0}, 0, 0},
    {"one_match_takes_its_ct", {B}, 1, 4},
    {"a_chain_counts_its_top_once", {A, B}, 2, 6},
    {"a_chain_with_the_root_is_the_root", {MAIN, A, C, X}, 4, 10},
    {"a_shared_callee_counts_its_share_outside_the_match", {A, C}, 2, 6 + 4 - 3},
    {"time_flows_through_functions_that_do_not_match", {B, X}, 2, 4 + 1 - 0.75},
    {"self_recursion_counts_the_outermost_calls", {R}, 1, 1},
    {"mutual_recursion_counts_each_once", {P, Q}, 2, 2},
    {"a_cycle_no_entry_reaches_counts_each_once", {U, V}, 2, 1},
};

static void time_rows(const struct pv_profile *p)
{
    for (size_t i = 0; i < sizeof TIME_ROWS / sizeof *TIME_ROWS; i++) {
        double got = -1;
        pv_err err = {0};
        pv_code rc = pv_search_time(p, TIME_ROWS[i].fids, TIME_ROWS[i].n, &got, &err);
        CHECK(rc == PV_OK && eq(got, TIME_ROWS[i].expected), TIME_ROWS[i].name,
              "rc %d (%s), %.17g seconds, expected %.17g", rc, err.msg, got,
              TIME_ROWS[i].expected);
    }
}

static const struct {
    const char *name;
    uint32_t fid;
    size_t max;
    pv_code rc;
    uint32_t path[6];
    size_t len;
    double value;
} PATH_ROWS[] = {
    {"an_entry_point_is_its_own_path", MAIN, 64, PV_OK, {MAIN}, 1, 10},
    {"the_path_takes_the_heavier_caller", C, 64, PV_OK, {MAIN, A, B, C}, 4, 3},
    {"the_path_goes_on_below_a_shared_callee", X, 64, PV_OK, {MAIN, A, B, C, X}, 5, 0.75},
    {"a_recursive_function_is_reached_once", R, 64, PV_OK, {MAIN, R}, 2, 1},
    {"mutual_recursion_gives_no_loop", Q, 64, PV_OK, {MAIN, P, Q}, 3, 1},
    {"a_function_no_entry_reaches_is_not_found", U, 64, PV_E_NOTFOUND, {0}, 0, 0},
    {"a_path_over_max_is_a_limit", X, 4, PV_E_LIMIT, {0}, 0, 0},
    {"a_fid_out_of_range_is_not_found", NFNS, 64, PV_E_NOTFOUND, {0}, 0, 0},
};

static void path_rows(const struct pv_profile *p, const struct pv_entry *entries,
                      size_t nentries)
{
    for (size_t i = 0; i < sizeof PATH_ROWS / sizeof *PATH_ROWS; i++) {
        uint32_t path[64] = {0};
        size_t len = 99;
        double value = -1;
        pv_err err = {0};
        pv_code rc = pv_search_path(p, entries, nentries, PATH_ROWS[i].fid, path,
                                    PATH_ROWS[i].max, &len, &value, &err);
        bool ok = rc == PATH_ROWS[i].rc;
        if (rc == PV_OK)
            ok = ok && len == PATH_ROWS[i].len &&
                 !memcmp(path, PATH_ROWS[i].path, len * sizeof *path) &&
                 eq(value, PATH_ROWS[i].value);
        else
            ok = ok && len == 99 && value == -1; /* outputs untouched */
        CHECK(ok, PATH_ROWS[i].name, "rc %d (%s), %zu steps, first %u, last %u, value %g", rc,
              err.msg, rc ? 0 : len, path[0], rc ? 0 : path[len ? len - 1 : 0], value);
    }
}

int main(void)
{
    struct pv_profile *p = profile_from_tables(FNS, NFNS, CALLS);
    struct pv_entry *entries = NULL;
    size_t nentries = 0;
    pv_err err;
    if (!p || pv_tree_entries(p, &entries, &nentries, &err)) {
        printf("FAIL setup\n");
        return 1;
    }
    time_rows(p);
    path_rows(p, entries, nentries);
    free(entries);
    pv_profile_destroy(p);
    return check_done();
}
