/* cli_diff.c - `pstatsviz diff A B`: two runs compared function by
 * function, as a terminal table in the manner of pstats' print_stats, or
 * as the JSON document of GET /api/diff (--json).
 *
 *   pstatsviz diff A B [--sort KEY] [-n N|all] [--json] [--db PATH]
 *
 * A and B are stats files or ids in the database.  Failures are one line
 * on stderr, as for every subcommand. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_diff.h"
#include "cli_private.h"
#include "diff.h"
#include "profile.h"
#include "store.h"

struct diff_opts {
    const char *db, *sort;
    const char *args[2];
    int nargs;
    long limit; /* -1: all */
    bool json;
};

static int parse_diff_opts(int argc, char **argv, struct diff_opts *o)
{
    *o = (struct diff_opts){.sort = "delta", .limit = 25};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool valued = !strcmp(a, "--db") || !strcmp(a, "--sort") || !strcmp(a, "-n");
        if (valued && i + 1 >= argc)
            return pv_cli_usage_error("%s needs a value", a);
        if (!strcmp(a, "--db"))
            o->db = argv[++i];
        else if (!strcmp(a, "--sort"))
            o->sort = argv[++i];
        else if (!strcmp(a, "-n")) {
            if (pv_cli_parse_limit(argv[++i], &o->limit))
                return PV_CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--json"))
            o->json = true;
        else if (a[0] == '-' && a[1])
            return pv_cli_usage_error("unknown option %s", a);
        else if (o->nargs < 2)
            o->args[o->nargs++] = a;
        else
            return pv_cli_usage_error("diff takes two profiles, A and B; one more: %s", a);
    }
    if (o->nargs != 2)
        return pv_cli_usage_error("%s", "diff needs two profiles: A and B (files or ids)");
    return 0;
}

/* ---- the table ---------------------------------------------------------- */

/* pstats' ncalls column: "nc", or "nc/cc" for recursive functions. */
static void calls_text(const struct pv_diff_side *s, char buf[48])
{
    if (!s->present)
        snprintf(buf, 48, "-");
    else if (s->nc != s->cc)
        snprintf(buf, 48, "%" PRId64 "/%" PRId64, s->nc, s->cc);
    else
        snprintf(buf, 48, "%" PRId64, s->nc);
}

static void time_text(const struct pv_diff_side *s, double v, char buf[32])
{
    if (s->present)
        snprintf(buf, 32, "%.3f", v);
    else
        snprintf(buf, 32, "-");
}

static void change_text(double a, double b, char buf[32])
{
    double r = pv_diff_ratio(a, b);
    if (isnan(r))
        snprintf(buf, 32, "%s", b == a ? "0.0%" : "new");
    else
        snprintf(buf, 32, "%+.1f%%", 100 * r);
}

static const char *mark_of(const struct pv_diff_row *r)
{
    if (r->a == PV_DIFF_NONE)
        return "  [added]";
    if (r->b == PV_DIFF_NONE)
        return "  [removed]";
    if (r->rule == PV_DIFF_SUFFIX)
        return "  [other root]";
    return r->line_moved ? "  [moved]" : "";
}

static void print_head(const struct pv_diff *d, const char *name_a, const char *name_b)
{
    const struct pv_profile *a = d->a, *b = d->b;
    char ct[32], cc[32];
    printf("A  %s: %" PRId64 " function calls (%" PRId64 " primitive calls) in %.3f seconds\n",
           name_a, a->total_calls, a->prim_calls, a->total_tt);
    printf("B  %s: %" PRId64 " function calls (%" PRId64 " primitive calls) in %.3f seconds\n",
           name_b, b->total_calls, b->prim_calls, b->total_tt);
    change_text(a->total_tt, b->total_tt, ct);
    change_text((double)a->total_calls, (double)b->total_calls, cc);
    printf("   change: %+.3f seconds (%s), %+" PRId64 " calls (%s)\n", b->total_tt - a->total_tt,
           ct, b->total_calls - a->total_calls, cc);
    printf("   functions: %zu paired (%zu exact, %zu moved, %zu under another root), %zu added, "
           "%zu removed\n",
           d->count[PV_DIFF_EXACT] + d->count[PV_DIFF_MOVED] + d->count[PV_DIFF_SUFFIX],
           d->count[PV_DIFF_EXACT], d->count[PV_DIFF_MOVED], d->count[PV_DIFF_SUFFIX], d->added,
           d->removed);
    if (d->root_a && d->root_b)
        printf("   roots: %s (A) = %s (B)\n", d->root_a, d->root_b);
}

static void print_table(const struct pv_diff *d, const struct pv_diff_select *sel,
                        const uint32_t *rows, size_t n, size_t shown)
{
    printf("\n   Ordered by: %s (%s)\n", pv_diff_sort_name(sel->key),
           sel->descending ? "largest first" : "smallest first");
    if (shown < n)
        printf("   List reduced from %zu to %zu due to restriction <%zu>\n", n, shown, shown);
    printf("\n%11s %11s %10s %10s %10s %10s %10s %8s  %s\n", "ncalls A", "ncalls B", "tottime A",
           "tottime B", "cumtime A", "cumtime B", "delta", "change", "filename:lineno(function)");
    for (size_t i = 0; i < shown; i++) {
        const struct pv_diff_row *r = &d->rows[rows[i]];
        struct pv_diff_side a, b;
        pv_diff_side_of(d, r, false, &a);
        pv_diff_side_of(d, r, true, &b);
        char na[48], nb[48], ta[32], tb[32], ca[32], cb[32], ch[32];
        calls_text(&a, na);
        calls_text(&b, nb);
        time_text(&a, a.tt, ta);
        time_text(&b, b.tt, tb);
        time_text(&a, a.ct, ca);
        time_text(&b, b.ct, cb);
        change_text(a.ct, b.ct, ch);
        char *label = pv_profile_label_dup(r->a != PV_DIFF_NONE ? d->a : d->b,
                                           r->a != PV_DIFF_NONE ? r->a : r->b, 0, NULL);
        printf("%11s %11s %10s %10s %10s %10s %+10.3f %8s  %s%s\n", na, nb, ta, tb, ca, cb,
               b.ct - a.ct, ch, label ? label : "?", mark_of(r));
        free(label);
    }
}

/* ---- the command -------------------------------------------------------- */

/* An argument that was read from the database, not from a file (as
 * pv_cli_load_profile decides: a file of that name comes first). */
static bool is_id(const char *s)
{
    return pv_cli_looks_like_id(s) && access(s, F_OK) != 0;
}

int pv_cli_diff_main(int argc, char **argv)
{
    struct diff_opts o;
    int status = parse_diff_opts(argc, argv, &o);
    if (status)
        return status;
    pv_err err = {0};
    struct pv_diff_select sel = {0};
    if (pv_diff_sort_parse(o.sort, &sel.key, &err)) {
        fprintf(stderr, "pstatsviz: --sort: %s\n", err.msg);
        return PV_CLI_EXIT_USAGE;
    }
    sel.descending = pv_diff_sort_descending(sel.key);
    struct pv_profile *a = NULL, *b = NULL;
    struct pv_diff *d = NULL;
    uint32_t *rows = NULL;
    size_t n = 0;
    if ((status = pv_cli_load_profile(o.args[0], o.db, &a)) ||
        (status = pv_cli_load_profile(o.args[1], o.db, &b)))
        goto destroy_profiles;
    if (pv_diff_create(a, b, &d, &err) || pv_diff_select(d, &sel, &rows, &n, &err)) {
        fprintf(stderr, "pstatsviz: diff: %s\n", err.msg);
        status = PV_CLI_EXIT_FAIL;
        goto destroy_profiles;
    }
    size_t shown = o.limit < 0 || (size_t)o.limit > n ? n : (size_t)o.limit;
    if (o.json) {
        cJSON *doc = pv_api_diff_document(d, is_id(o.args[0]) ? o.args[0] : NULL,
                                          is_id(o.args[1]) ? o.args[1] : NULL, &sel, rows, n, 0,
                                          shown);
        char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
        cJSON_Delete(doc);
        if (!text) {
            fputs("pstatsviz: diff: out of memory\n", stderr);
            status = PV_CLI_EXIT_FAIL;
            goto destroy_profiles;
        }
        puts(text);
        free(text);
    } else {
        print_head(d, o.args[0], o.args[1]);
        print_table(d, &sel, rows, n, shown);
    }
    if (fflush(stdout)) {
        fputs("pstatsviz: diff: writing the output failed\n", stderr);
        status = PV_CLI_EXIT_FAIL;
    }
destroy_profiles:
    free(rows);
    pv_diff_destroy(d);
    pv_profile_destroy(a);
    pv_profile_destroy(b);
    return status;
}
