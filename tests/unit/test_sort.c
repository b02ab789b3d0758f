/* Unit tests of pstats' orderings (sort.h): sort words read as
 * sort_stats reads them, and functions put in the order pstats gives,
 * checked against pstats itself.  The expected orders were printed by
 * tests/unit/pstats_expected.py from the same tables (Python 3.11): ties
 * keep the file's dict order, NaN times order as CPython's binary
 * insertion sort leaves them (under 64 functions), and 70 functions (merge
 * sort) order as Python's stable sort does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mixed_profile.h"
#include "profile_table.h"
#include "sort.h"

static const struct fn NANS[] = {
    {"n.py", 1, "a", 1, 1, 3.0, 1.0, false}, {"n.py", 2, "b", 1, 1, 5.0, 1.0, false},
    {"n.py", 3, "c", 1, 1, NAN, 1.0, false}, {"n.py", 4, "d", 1, 1, 2.0, 1.0, false},
    {"n.py", 5, "e", 1, 1, 0.5, 1.0, false}, {"n.py", 6, "f", 1, 1, 4.0, 1.0, false},
    {"n.py", 7, "g", 1, 1, 5.0, 1.0, false}, {"n.py", 8, "h", 1, 1, 2.0, 1.0, false},
};

/* MANY: 70 functions made as pstats_expected.py makes them. */
enum { NMANY = 70 };
static struct fn many[NMANY];
static char many_files[NMANY][8], many_names[NMANY][8];

static void make_many(void)
{
    for (int i = 0; i < NMANY; i++) {
        snprintf(many_files[i], sizeof many_files[i], "m%d.py", i % 3);
        snprintf(many_names[i], sizeof many_names[i], "f%02d", (i * 37) % 70);
        many[i] = (struct fn){many_files[i], i % 7, many_names[i], i % 4,
                                      i % 4 + i % 2, (i % 5) * 0.25, (i % 6) * 0.5, false};
    }
}

static const struct {
    const char *table, *words;
    int order[NMANY];
} PSTATS_ORDERS[] = {
    {"MIXED", "calls", {3, 1, 7, 4, 5, 0, 2, 6}},
    {"MIXED", "pcalls", {3, 7, 4, 1, 5, 0, 2, 6}},
    {"MIXED", "time", {1, 4, 5, 2, 3, 7, 0, 6}},
    {"MIXED", "cumulative", {0, 2, 1, 4, 5, 3, 7, 6}},
    {"MIXED", "filename", {2, 4, 6, 1, 5, 0, 3, 7}},
    {"MIXED", "line", {3, 7, 0, 5, 2, 6, 1, 4}},
    {"MIXED", "name", {3, 7, 0, 2, 5, 1, 4, 6}},
    {"MIXED", "nfl", {3, 7, 0, 2, 5, 1, 4, 6}},
    {"MIXED", "stdname", {4, 2, 6, 1, 5, 0, 3, 7}},
    {"MIXED", "time,calls", {1, 4, 5, 2, 3, 7, 0, 6}},
    {"MIXED", "filename,line", {2, 6, 4, 5, 1, 0, 3, 7}},
    {"MIXED", "name,cumulative", {3, 7, 0, 2, 5, 1, 4, 6}},
    {"NANS", "calls", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "pcalls", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "time", {1, 6, 0, 2, 5, 3, 7, 4}},
    {"NANS", "cumulative", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "filename", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "line", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "name", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "nfl", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "stdname", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "time,calls", {1, 6, 0, 2, 5, 3, 7, 4}},
    {"NANS", "filename,line", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"NANS", "name,cumulative", {0, 1, 2, 3, 4, 5, 6, 7}},
    {"MANY", "calls", {3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63, 67, 1, 2,
         5, 6, 9, 10, 13, 14, 17, 18, 21, 22, 25, 26, 29, 30, 33, 34, 37, 38, 41, 42, 45, 46,
         49, 50, 53, 54, 57, 58, 61, 62, 65, 66, 69, 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40,
         44, 48, 52, 56, 60, 64, 68}},
    {"MANY", "pcalls", {3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63, 67, 2, 6,
         10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62, 66, 1, 5, 9, 13, 17, 21, 25,
         29, 33, 37, 41, 45, 49, 53, 57, 61, 65, 69, 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40,
         44, 48, 52, 56, 60, 64, 68}},
    {"MANY", "time", {4, 9, 14, 19, 24, 29, 34, 39, 44, 49, 54, 59, 64, 69, 3, 8, 13, 18, 23,
         28, 33, 38, 43, 48, 53, 58, 63, 68, 2, 7, 12, 17, 22, 27, 32, 37, 42, 47, 52, 57, 62,
         67, 1, 6, 11, 16, 21, 26, 31, 36, 41, 46, 51, 56, 61, 66, 0, 5, 10, 15, 20, 25, 30,
         35, 40, 45, 50, 55, 60, 65}},
    {"MANY", "cumulative", {5, 11, 17, 23, 29, 35, 41, 47, 53, 59, 65, 4, 10, 16, 22, 28, 34,
         40, 46, 52, 58, 64, 3, 9, 15, 21, 27, 33, 39, 45, 51, 57, 63, 69, 2, 8, 14, 20, 26,
         32, 38, 44, 50, 56, 62, 68, 1, 7, 13, 19, 25, 31, 37, 43, 49, 55, 61, 67, 0, 6, 12,
         18, 24, 30, 36, 42, 48, 54, 60, 66}},
    {"MANY", "filename", {0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45, 48, 51,
         54, 57, 60, 63, 66, 69, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 43, 46,
         49, 52, 55, 58, 61, 64, 67, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35, 38, 41, 44,
         47, 50, 53, 56, 59, 62, 65, 68}},
    {"MANY", "line", {0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 1, 8, 15, 22, 29, 36, 43, 50, 57,
         64, 2, 9, 16, 23, 30, 37, 44, 51, 58, 65, 3, 10, 17, 24, 31, 38, 45, 52, 59, 66, 4,
         11, 18, 25, 32, 39, 46, 53, 60, 67, 5, 12, 19, 26, 33, 40, 47, 54, 61, 68, 6, 13, 20,
         27, 34, 41, 48, 55, 62, 69}},
    {"MANY", "name", {0, 53, 36, 19, 2, 55, 38, 21, 4, 57, 40, 23, 6, 59, 42, 25, 8, 61, 44,
         27, 10, 63, 46, 29, 12, 65, 48, 31, 14, 67, 50, 33, 16, 69, 52, 35, 18, 1, 54, 37, 20,
         3, 56, 39, 22, 5, 58, 41, 24, 7, 60, 43, 26, 9, 62, 45, 28, 11, 64, 47, 30, 13, 66,
         49, 32, 15, 68, 51, 34, 17}},
    {"MANY", "nfl", {0, 53, 36, 19, 2, 55, 38, 21, 4, 57, 40, 23, 6, 59, 42, 25, 8, 61, 44, 27,
         10, 63, 46, 29, 12, 65, 48, 31, 14, 67, 50, 33, 16, 69, 52, 35, 18, 1, 54, 37, 20, 3,
         56, 39, 22, 5, 58, 41, 24, 7, 60, 43, 26, 9, 62, 45, 28, 11, 64, 47, 30, 13, 66, 49,
         32, 15, 68, 51, 34, 17}},
    {"MANY", "stdname", {0, 21, 42, 63, 36, 57, 15, 9, 30, 51, 3, 24, 45, 66, 18, 39, 60, 12,
         33, 54, 6, 27, 48, 69, 7, 28, 49, 1, 22, 43, 64, 16, 37, 58, 10, 31, 52, 4, 25, 46,
         67, 19, 40, 61, 55, 13, 34, 14, 35, 56, 8, 29, 50, 2, 23, 44, 65, 38, 59, 17, 53, 11,
         32, 5, 26, 47, 68, 20, 41, 62}},
    {"MANY", "time,calls", {19, 39, 59, 9, 14, 29, 34, 49, 54, 69, 4, 24, 44, 64, 3, 23, 43,
         63, 13, 18, 33, 38, 53, 58, 8, 28, 48, 68, 7, 27, 47, 67, 2, 17, 22, 37, 42, 57, 62,
         12, 32, 52, 11, 31, 51, 1, 6, 21, 26, 41, 46, 61, 66, 16, 36, 56, 15, 35, 55, 5, 10,
         25, 30, 45, 50, 65, 0, 20, 40, 60}},
    {"MANY", "filename,line", {0, 21, 42, 63, 15, 36, 57, 9, 30, 51, 3, 24, 45, 66, 18, 39, 60,
         12, 33, 54, 6, 27, 48, 69, 7, 28, 49, 1, 22, 43, 64, 16, 37, 58, 10, 31, 52, 4, 25,
         46, 67, 19, 40, 61, 13, 34, 55, 14, 35, 56, 8, 29, 50, 2, 23, 44, 65, 17, 38, 59, 11,
         32, 53, 5, 26, 47, 68, 20, 41, 62}},
    {"MANY", "name,cumulative", {0, 53, 36, 19, 2, 55, 38, 21, 4, 57, 40, 23, 6, 59, 42, 25, 8,
         61, 44, 27, 10, 63, 46, 29, 12, 65, 48, 31, 14, 67, 50, 33, 16, 69, 52, 35, 18, 1, 54,
         37, 20, 3, 56, 39, 22, 5, 58, 41, 24, 7, 60, 43, 26, 9, 62, 45, 28, 11, 64, 47, 30,
         13, 66, 49, 32, 15, 68, 51, 34, 17}},
};

static struct pv_profile *table_named(const char *name)
{
    if (!strcmp(name, "MIXED"))
        return profile_from_tables(MIXED_FUNCS, 8, MIXED_CALLS);
    if (!strcmp(name, "NANS"))
        return profile_from_tables(NANS, 8, NO_CALLS);
    return profile_from_tables(many, NMANY, NO_CALLS);
}

/* The order s gives, as table rows (a function's dict position), checked
 * against want[0..p->nreal). */
static void check_order(const char *name, const struct pv_profile *p, const struct pv_sort *s,
                        const int *want)
{
    uint32_t *fids = NULL;
    pv_err err = {0};
    if (pv_sort_fids(p, s, &fids, &err)) {
        CHECK(false, name, "%s", err.msg);
        return;
    }
    char got[512] = "";
    size_t at = 0;
    bool same = true;
    for (uint32_t i = 0; i < p->nreal; i++) {
        int row = (int)p->funcs[fids[i]].order;
        same &= row == want[i];
        at += (size_t)snprintf(got + at, at < sizeof got ? sizeof got - at : 0, "%d ", row);
    }
    CHECK(same, name, "got rows %s", got);
    free(fids);
}

static void orders_are_pstats_orders(void)
{
    for (size_t i = 0; i < sizeof PSTATS_ORDERS / sizeof PSTATS_ORDERS[0]; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s_by_%s_is_pstats_order", PSTATS_ORDERS[i].table,
                 PSTATS_ORDERS[i].words);
        struct pv_profile *p = table_named(PSTATS_ORDERS[i].table);
        struct pv_sort s;
        pv_err err = {0};
        if (!p || pv_sort_parse(PSTATS_ORDERS[i].words, &s, &err)) {
            CHECK(false, name, "%s", err.msg);
            pv_profile_destroy(p);
            continue;
        }
        check_order(name, p, &s, PSTATS_ORDERS[i].order);
        pv_profile_destroy(p);
    }
}

/* Orders pstats has not: the table's per-call columns (a function never
 * called goes last) and the reverse of any key (ties keep dict order). */
static void our_orders_follow_their_rules(void)
{
    static const struct {
        const char *name;
        struct pv_sort s;
        int order[8];
    } rows[] = {
        {"tottime_per_call_descends_uncalled_last", {{PV_SORT_TT_PERCALL}, 1, false},
         {2, 5, 4, 1, 3, 7, 0, 6}},
        {"cumtime_per_call_descends_uncalled_last", {{PV_SORT_CT_PERCALL}, 1, false},
         {0, 2, 1, 5, 4, 3, 7, 6}},
        {"reverse_cumulative_ascends_ties_in_dict_order", {{PV_SORT_CUMULATIVE}, 1, true},
         {6, 7, 3, 5, 1, 4, 2, 0}},
        {"reverse_name_descends", {{PV_SORT_NAME}, 1, true}, {6, 4, 1, 2, 5, 0, 7, 3}},
    };
    struct pv_profile *p = profile_from_tables(MIXED_FUNCS, 8, MIXED_CALLS);
    for (size_t i = 0; p && i < sizeof rows / sizeof rows[0]; i++)
        check_order(rows[i].name, p, &rows[i].s, rows[i].order);
    pv_profile_destroy(p);
}

static void sort_words_are_read_as_pstats_reads_them(void)
{
    static const struct {
        const char *name, *words;
        pv_code code;
        int nkeys;
        pv_sort_key first, last;
        const char *described; /* or the error's start */
    } rows[] = {
        {"cumulative_is_cumulative_time", "cumulative", PV_OK, 1, PV_SORT_CUMULATIVE,
         PV_SORT_CUMULATIVE, "cumulative time"},
        {"cumtime_is_its_alias", "cumtime", PV_OK, 1, PV_SORT_CUMULATIVE, PV_SORT_CUMULATIVE,
         "cumulative time"},
        {"ncalls_is_call_count", "ncalls", PV_OK, 1, PV_SORT_CALLS, PV_SORT_CALLS,
         "call count"},
        {"module_is_file_name", "module", PV_OK, 1, PV_SORT_FILENAME, PV_SORT_FILENAME,
         "file name"},
        {"keys_are_comma_separated", "tottime,calls", PV_OK, 2, PV_SORT_TIME, PV_SORT_CALLS,
         "internal time, call count"},
        {"eight_keys_are_allowed", "name,name,name,name,name,name,name,stdname", PV_OK, 8,
         PV_SORT_NAME, PV_SORT_STDNAME,
         "function name, function name, function name, function name, function name, "
         "function name, function name, standard name"},
        {"nine_keys_are_too_many", "line,line,line,line,line,line,line,line,line", PV_E_USAGE,
         0, 0, 0, "unknown sort key 'line'"},
        {"unknown_word_is_named", "cumulative,speed", PV_E_USAGE, 0, 0, 0,
         "unknown sort key 'speed'"},
        {"case_matters", "Time", PV_E_USAGE, 0, 0, 0, "unknown sort key 'Time'"},
        {"empty_is_an_error", "", PV_E_USAGE, 0, 0, 0, "empty sort key"},
        {"empty_word_is_an_error", "time,,calls", PV_E_USAGE, 0, 0, 0, "unknown sort key ''"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pv_sort s = {.nkeys = -1};
        pv_err err = {0};
        pv_code rc = pv_sort_parse(rows[i].words, &s, &err);
        if (rows[i].code != PV_OK) {
            CHECK(rc == rows[i].code && s.nkeys == -1 &&
                      !strncmp(err.msg, rows[i].described, strlen(rows[i].described)),
                  rows[i].name, "rc %d, nkeys %d: %s", rc, s.nkeys, err.msg);
            continue;
        }
        char how[256];
        pv_sort_describe(&s, how, sizeof how);
        CHECK(rc == PV_OK && s.nkeys == rows[i].nkeys && s.keys[0] == rows[i].first &&
                  s.keys[s.nkeys - 1] == rows[i].last && !s.reverse &&
                  !strcmp(how, rows[i].described),
              rows[i].name, "rc %d, %d keys, described '%s'", rc, s.nkeys, how);
    }
}

int main(void)
{
    make_many();
    orders_are_pstats_orders();
    our_orders_follow_their_rules();
    sort_words_are_read_as_pstats_reads_them();
    return check_done();
}
