/* Unit tests of pstats' printouts (report.h) and of the same rows as JSON
 * (report_json.h).  The expected text is what pstats prints for the same
 * tables, printed by tests/unit/pstats_expected.py (Python 3.11); the
 * title pstats heads print_stats with is the file's name here (pstats adds
 * its modification time; the CLI does too, see cli.c). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonw.h"
#include "mixed_profile.h"
#include "profile_table.h"
#include "report.h"
#include "report_json.h"

/* The `profile` module's callers are bare counts. */
static const struct fn COUNTS_FUNCS[] = {
    {"p.py", 1, "main", 1, 1, 0.5, 1.5, false},
    {"p.py", 5, "work", 3, 3, 1.0, 1.0, false},
};
static const struct call COUNTS_CALLS[] = {
    {0, 1, 3, 0, 0, 0, true},
    {-1, 0, 0, 0, 0, 0, false},
};

static const struct fn NANS_FUNCS[] = {
    {"n.py", 1, "a", 1, 1, 3.0, 1.0, false}, {"n.py", 2, "b", 1, 1, 5.0, 1.0, false},
    {"n.py", 3, "c", 1, 1, NAN, 1.0, false}, {"n.py", 4, "d", 1, 1, 2.0, 1.0, false},
    {"n.py", 5, "e", 1, 1, 0.5, 1.0, false}, {"n.py", 6, "f", 1, 1, 4.0, 1.0, false},
    {"n.py", 7, "g", 1, 1, 5.0, 1.0, false}, {"n.py", 8, "h", 1, 1, 2.0, 1.0, false},
};

struct table {
    const struct fn *funcs;
    int nfuncs;
    const struct call *calls;
};
static const struct table MIXED = {MIXED_FUNCS, 8, MIXED_CALLS},
                          COUNTS = {COUNTS_FUNCS, 2, COUNTS_CALLS},
                          NANS = {NANS_FUNCS, 8, NO_CALLS};

enum printout { STATS, CALLERS, CALLEES };

static const struct {
    const char *name;
    struct table table;
    enum printout how;
    const char *sort, *regex;
    long limit;
    const char *expected;
} PRINTOUTS[] = {
    {"mixed_print_stats_by_cumulative", MIXED, STATS, "cumulative", NULL, -1,
         "t.prof\n"
         "\n"
         "         23 function calls (20 primitive calls) in 1.812 seconds\n"
         "\n"
         "   Ordered by: cumulative time\n"
         "\n"
         "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
         "        1    0.000    0.000    3.000    3.000 c.py:1(<module>)\n"
         "        1    0.250    0.250    2.000    2.000 a.py:3(alpha)\n"
         "      5/2    0.500    0.100    1.000    0.500 b.py:10(beta)\n"
         "        3    0.500    0.167    1.000    0.333 a.py:20(gamma)\n"
         "        2    0.375    0.188    0.750    0.375 b.py:2(alpha)\n"
         "        7    0.125    0.018    0.125    0.018 {built-in method builtins.len}\n"
         "        4    0.062    0.016    0.062    0.016 {method 'append' of 'list' objects}\n"
         "        0    0.000             0.000          a.py:3(zeta)\n"
         "\n"
         "\n"},
    {"regex_then_limit_are_both_noted", MIXED, STATS, "time,calls", "a\\.py", 2,
         "t.prof\n"
         "\n"
         "         23 function calls (20 primitive calls) in 1.812 seconds\n"
         "\n"
         "   Ordered by: internal time, call count\n"
         "   List reduced from 8 to 3 due to restriction <'a\\\\.py'>\n"
         "   List reduced from 3 to 2 due to restriction <2>\n"
         "\n"
         "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
         "        3    0.500    0.167    1.000    0.333 a.py:20(gamma)\n"
         "        1    0.250    0.250    2.000    2.000 a.py:3(alpha)\n"
         "\n"
         "\n"},
    {"limit_keeps_the_first_rows", MIXED, STATS, "name", NULL, 3,
         "t.prof\n"
         "\n"
         "         23 function calls (20 primitive calls) in 1.812 seconds\n"
         "\n"
         "   Ordered by: function name\n"
         "   List reduced from 8 to 3 due to restriction <3>\n"
         "\n"
         "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
         "        7    0.125    0.018    0.125    0.018 {built-in method builtins.len}\n"
         "        4    0.062    0.016    0.062    0.016 {method 'append' of 'list' objects}\n"
         "        1    0.000    0.000    3.000    3.000 c.py:1(<module>)\n"
         "\n"
         "\n"},
    {"regex_with_a_quote_is_shown_in_double_quotes", MIXED, STATS, "calls", "append' of", -1,
         "t.prof\n"
         "\n"
         "         23 function calls (20 primitive calls) in 1.812 seconds\n"
         "\n"
         "   Ordered by: call count\n"
         "   List reduced from 8 to 1 due to restriction <\"append' of\">\n"
         "\n"
         "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
         "        4    0.062    0.016    0.062    0.016 {method 'append' of 'list' objects}\n"
         "\n"
         "\n"},
    {"callers_of_a_recursive_function", MIXED, CALLERS, "cumulative", "beta", -1,
         "   Ordered by: cumulative time\n"
         "   List reduced from 8 to 1 due to restriction <'beta'>\n"
         "\n"
         "Function       was called by...\n"
         "                   ncalls  tottime  cumtime\n"
         "b.py:10(beta)  <-     2/1    0.200    0.300  a.py:3(alpha)\n"
         "                      2/0    0.200    0.200  a.py:20(gamma)\n"
         "                        1    0.100    0.500  c.py:1(<module>)\n"
         "\n"
         "\n"},
    {"callees_of_every_function", MIXED, CALLEES, "time", NULL, -1,
         "   Ordered by: internal time\n"
         "\n"
         "Function                             called...\n"
         "                                         ncalls  tottime  cumtime\n"
         "b.py:10(beta)                        ->       3    0.500    1.000  a.py:20(gamma)\n"
         "                                              7    0.125    0.125  {built-in method builtins.len}\n"
         "a.py:20(gamma)                       ->     2/0    0.200    0.200  b.py:10(beta)\n"
         "                                              4    0.062    0.062  {method 'append' of 'list' objects}\n"
         "b.py:2(alpha)                        -> \n"
         "a.py:3(alpha)                        ->       2    0.375    0.750  b.py:2(alpha)\n"
         "                                            2/1    0.200    0.300  b.py:10(beta)\n"
         "{built-in method builtins.len}       -> \n"
         "{method 'append' of 'list' objects}  -> \n"
         "c.py:1(<module>)                     ->       1    0.250    2.000  a.py:3(alpha)\n"
         "                                              1    0.100    0.500  b.py:10(beta)\n"
         "a.py:3(zeta)                         -> \n"
         "\n"
         "\n"},
    {"profile_module_stats_have_no_primitive_calls", COUNTS, STATS, "cumulative", NULL, -1,
         "t.prof\n"
         "\n"
         "         4 function calls in 1.500 seconds\n"
         "\n"
         "   Ordered by: cumulative time\n"
         "\n"
         "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
         "        1    0.500    0.500    1.500    1.500 p.py:1(main)\n"
         "        3    1.000    0.333    1.000    0.333 p.py:5(work)\n"
         "\n"
         "\n"},
    {"profile_module_callers_show_counts", COUNTS, CALLERS, "cumulative", NULL, -1,
         "   Ordered by: cumulative time\n"
         "\n"
         "Function      was called by...\n"
         "p.py:1(main)  <- \n"
         "p.py:5(work)  <- p.py:1(main)(3)    1.500\n"
         "\n"
         "\n"},
    {"nan_times_print_as_nan", NANS, STATS, "time", NULL, -1,
         "t.prof\n"
         "\n"
         "         8 function calls in nan seconds\n"
         "\n"
         "   Ordered by: internal time\n"
         "\n"
         "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
         "        1    5.000    5.000    1.000    1.000 n.py:2(b)\n"
         "        1    5.000    5.000    1.000    1.000 n.py:7(g)\n"
         "        1    3.000    3.000    1.000    1.000 n.py:1(a)\n"
         "        1      nan      nan    1.000    1.000 n.py:3(c)\n"
         "        1    4.000    4.000    1.000    1.000 n.py:6(f)\n"
         "        1    2.000    2.000    1.000    1.000 n.py:4(d)\n"
         "        1    2.000    2.000    1.000    1.000 n.py:8(h)\n"
         "        1    0.500    0.500    1.000    1.000 n.py:5(e)\n"
         "\n"
         "\n"},
};

/* What print(...) wrote, NUL-terminated (caller frees), and its code. */
static char *printed(const struct pv_profile *p, enum printout how, const struct pv_sort *s,
                     const struct pv_report_select *sel, pv_code *rc, pv_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        exit(1);
    *rc = how == STATS ? pv_report_print_stats(p, "t.prof", s, sel, f, err)
                       : pv_report_print_calls(p, s, sel, how == CALLERS, f, err);
    fclose(f);
    return buf;
}

static void printouts_are_pstats_printouts(void)
{
    for (size_t i = 0; i < sizeof PRINTOUTS / sizeof PRINTOUTS[0]; i++) {
        const struct table *t = &PRINTOUTS[i].table;
        struct pv_profile *p = profile_from_tables(t->funcs, t->nfuncs, t->calls);
        struct pv_sort s;
        pv_err err = {0};
        if (!p || pv_sort_parse(PRINTOUTS[i].sort, &s, &err)) {
            CHECK(false, PRINTOUTS[i].name, "%s", err.msg);
            pv_profile_destroy(p);
            continue;
        }
        struct pv_report_select sel = {.regex = PRINTOUTS[i].regex, .limit = PRINTOUTS[i].limit};
        pv_code rc;
        char *text = printed(p, PRINTOUTS[i].how, &s, &sel, &rc, &err);
        CHECK(rc == PV_OK && !strcmp(text, PRINTOUTS[i].expected), PRINTOUTS[i].name,
              "rc %d; printed:\n%s\nexpected:\n%s", rc, text, PRINTOUTS[i].expected);
        free(text);
        pv_profile_destroy(p);
    }
}

/* A bad regex is the user's error, and nothing is printed. */
static void bad_regex_is_a_usage_error(void)
{
    struct pv_profile *p = profile_from_tables(MIXED.funcs, MIXED.nfuncs, MIXED.calls);
    struct pv_sort s = {.keys = {PV_SORT_CUMULATIVE}, .nkeys = 1};
    struct pv_report_select sel = {.regex = "(unclosed", .limit = -1};
    for (int how = STATS; p && how <= CALLEES; how++) {
        pv_err err = {0};
        pv_code rc;
        char *text = printed(p, (enum printout)how, &s, &sel, &rc, &err);
        CHECK(rc == PV_E_USAGE && !*text, "bad_regex_is_a_usage_error", "rc %d, printed %s",
              rc, text);
        free(text);
    }
    pv_profile_destroy(p);
}

/* ---- JSON ---------------------------------------------------------------- */

/* The rows of print_stats as oracle.py --top writes them. */
static void top_rows_are_print_stats_rows(void)
{
    struct pv_profile *p = profile_from_tables(MIXED.funcs, MIXED.nfuncs, MIXED.calls);
    struct pv_sort s = {.keys = {PV_SORT_CUMULATIVE}, .nkeys = 1};
    struct pv_report_select sel = {.regex = NULL, .limit = -1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pv_err err = {0};
    pv_code rc = p ? pv_report_json_top(p, &s, &sel, f, &err) : PV_E_FORMAT;
    fclose(f);
    cJSON *doc = cJSON_Parse(buf);
    cJSON *rows = cJSON_GetObjectItem(doc, "rows");
    CHECK(rc == PV_OK && cJSON_GetArraySize(rows) == 8, "top_json_has_every_row", "rc %d: %s",
          rc, buf);
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "sort_type")),
                  "cumulative time") &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "total_calls")) == 23 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "prim_calls")) == 20 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "total_tt")) == 1.8125,
          "top_json_has_the_totals", "%s", buf);
    /* the rows of print_stats by cumulative time, above */
    static const struct {
        const char *function, *ncalls;
        double percall_tottime; /* NAN: null */
    } want[] = {
        {"c.py:1(<module>)", "1", 0.0},
        {"a.py:3(alpha)", "1", 0.25},
        {"b.py:10(beta)", "5/2", 0.1},
        {"a.py:20(gamma)", "3", 0.5 / 3},
        {"b.py:2(alpha)", "2", 0.1875},
        {"{built-in method builtins.len}", "7", 0.125 / 7},
        {"{method 'append' of 'list' objects}", "4", 0.015625},
        {"a.py:3(zeta)", "0", NAN},
    };
    for (int i = 0; i < cJSON_GetArraySize(rows) && i < 8; i++) {
        cJSON *row = cJSON_GetArrayItem(rows, i);
        cJSON *percall = cJSON_GetObjectItem(row, "percall_tottime");
        bool percall_ok = isnan(want[i].percall_tottime)
                              ? cJSON_IsNull(percall)
                              : cJSON_GetNumberValue(percall) == want[i].percall_tottime;
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "function")),
                      want[i].function) &&
                  !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "ncalls")),
                          want[i].ncalls) &&
                  percall_ok,
              "top_json_row_is_the_printed_row", "row %d: %s", i, cJSON_PrintUnformatted(row));
    }
    cJSON_Delete(doc);
    free(buf);
    pv_profile_destroy(p);
}

/* The export, whole or piece by piece, is the same text; its bound is no
 * less, and no more than a double's longest text per time over. */
static void export_pieces_make_the_whole_within_its_bound(void)
{
    struct pv_profile *p = profile_from_tables(MIXED.funcs, MIXED.nfuncs, MIXED.calls);
    if (!p) {
        CHECK(false, "export_profile_parses", "no profile");
        return;
    }
    char *whole = NULL, *pieces = NULL;
    size_t nwhole = 0, npieces = 0;
    FILE *f = open_memstream(&whole, &nwhole);
    pv_err err = {0};
    pv_code rc = pv_report_json_export_write(p, f, &err);
    fclose(f);
    f = open_memstream(&pieces, &npieces);
    struct pv_report_json_export x;
    pv_report_json_export_init(&x, p);
    int calls = 0;
    while (!pv_report_json_export_next(&x, f, 1))
        calls++;
    fclose(f);
    CHECK(rc == PV_OK && nwhole == npieces && !memcmp(whole, pieces, nwhole),
          "export_pieces_make_the_whole", "%zu and %zu bytes", nwhole, npieces);
    /* a record a call: the head, 8 functions, the edges' start, 8 edges and
     * the tail */
    CHECK(calls + 1 == 1 + 8 + 1 + 8 + 1, "one_record_per_piece", "%d calls", calls + 1);
    uint64_t bound = 0;
    rc = pv_report_json_export_bound(p, &bound, &err);
    /* times: total, and tt and ct of 8 functions and 8 edges */
    uint64_t ntimes = 1 + 2 * 8 + 2 * 8;
    CHECK(rc == PV_OK && bound >= nwhole && bound <= nwhole + ntimes * PV_JSONW_DOUBLE_MAX_LEN,
          "export_bound_holds_and_is_tight", "bound %llu for %zu bytes",
          (unsigned long long)bound, nwhole);
    cJSON *doc = cJSON_Parse(whole);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "functions")) == 8 &&
              cJSON_GetArraySize(cJSON_GetObjectItem(doc, "edges")) == 8,
          "export_is_json_with_every_function_and_edge", "%.200s", whole);
    cJSON_Delete(doc);
    free(whole);
    free(pieces);
    pv_profile_destroy(p);
}

int main(void)
{
    printouts_are_pstats_printouts();
    bad_regex_is_a_usage_error();
    top_rows_are_print_stats_rows();
    export_pieces_make_the_whole_within_its_bound();
    return check_done();
}
