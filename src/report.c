/* report.c - pstats' text printouts: print_stats, print_callers and
 * print_callees, and the selection they share (see report.h).
 *
 * Source: CPython 3.11 Lib/pstats.py (print_stats, print_line,
 * print_call_line, eval_print_amount). */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

/* ---- selection ---------------------------------------------------------- */

/* Python's repr() of s, as pstats names a regex restriction (%r): quoted,
 * with backslashes, the quote and control characters escaped.  Other
 * characters are kept, as repr keeps printable ones.  Malloc'd, or NULL
 * when out of memory. */
static char *py_repr(const char *s)
{
    /* repr quotes with ' unless only " avoids an escape */
    char quote = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    size_t n = strlen(s);
    char *out = malloc(4 * n + 3), *o = out;
    if (!out)
        return NULL;
    *o++ = quote;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == quote || *c == '\\') {
            *o++ = '\\';
            *o++ = (char)*c;
        } else if (*c == '\t' || *c == '\n' || *c == '\r') {
            *o++ = '\\';
            *o++ = *c == '\t' ? 't' : *c == '\n' ? 'n' : 'r';
        } else if (*c < 0x20 || *c == 0x7f)
            o += sprintf(o, "\\x%02x", *c);
        else
            *o++ = (char)*c;
    }
    *o++ = quote;
    *o = '\0';
    return out;
}

/* Apply eval_print_amount's restrictions; fills msg with pstats' notes. */
static pv_code select_rows(const struct pv_profile *p, const struct pv_report_select *sel,
                           uint32_t *fids, size_t *n, char *msg, size_t cap, pv_err *err)
{
    size_t at = strlen(msg);
    if (sel->regex) {
        regex_t re;
        if (pv_pattern_compile(sel->regex, false, &re, err))
            return err->code;
        size_t kept = 0;
        for (size_t i = 0; i < *n; i++) {
            char *label = pv_profile_label_dup(p, fids[i], 0, NULL);
            if (!label) {
                regfree(&re);
                return pv_err_set(err, PV_E_NOMEM, "out of memory");
            }
            if (regexec(&re, label, 0, NULL, 0) == 0)
                fids[kept++] = fids[i];
            free(label);
        }
        regfree(&re);
        if (kept != *n) {
            char *shown = py_repr(sel->regex);
            at += (size_t)snprintf(msg + at, at < cap ? cap - at : 0,
                                   "   List reduced from %zu to %zu due to restriction <%s>\n",
                                   *n, kept, shown ? shown : sel->regex);
            free(shown);
        }
        *n = kept;
    }
    if (sel->limit >= 0 && (size_t)sel->limit < *n) {
        snprintf(msg + at, at < cap ? cap - at : 0,
                 "   List reduced from %zu to %ld due to restriction <%ld>\n", *n, sel->limit,
                 sel->limit);
        *n = (size_t)sel->limit;
    }
    return PV_OK;
}

pv_code pv_report_rows(const struct pv_profile *p, const struct pv_sort *s,
                       const struct pv_report_select *sel, uint32_t **fids, size_t *n, char *msg,
                       size_t cap, pv_err *err)
{
    if (pv_sort_fids(p, s, fids, err))
        return err->code;
    char how[160];
    pv_sort_describe(s, how, sizeof how);
    snprintf(msg, cap, "   Ordered by: %s\n", how);
    *n = p->nreal;
    if (select_rows(p, sel, *fids, n, msg, cap, err)) {
        free(*fids);
        return err->code;
    }
    return PV_OK;
}

/* ---- printing ----------------------------------------------------------- */

void pv_report_format_calls(char out[48], int64_t nc, int64_t cc)
{
    if (nc != cc)
        snprintf(out, 48, "%" PRId64 "/%" PRId64, nc, cc);
    else
        snprintf(out, 48, "%" PRId64, nc);
}

static size_t code_points(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

static void f8(FILE *out, double x)
{
    fprintf(out, "%8.3f", x);
}

static void print_ljust(FILE *out, const char *s, size_t n, size_t width)
{
    fwrite(s, 1, n, out);
    for (size_t k = code_points(s, n); k < width; k++)
        fputc(' ', out);
}

static void print_label(FILE *out, const struct pv_profile *p, uint32_t fid, size_t width)
{
    size_t n;
    char *label = pv_profile_label_dup(p, fid, 0, &n);
    if (label)
        print_ljust(out, label, n, width);
    free(label);
}

static size_t label_width(const struct pv_profile *p, uint32_t fid)
{
    size_t n;
    char *label = pv_profile_label_dup(p, fid, 0, &n);
    size_t w = label ? code_points(label, n) : 0;
    free(label);
    return w;
}

pv_code pv_report_print_stats(const struct pv_profile *p, const char *title,
                              const struct pv_sort *s, const struct pv_report_select *sel,
                              FILE *out, pv_err *err)
{
    uint32_t *fids;
    size_t n;
    char msg[1024];
    if (pv_report_rows(p, s, sel, &fids, &n, msg, sizeof msg, err))
        return err->code;
    if (title)
        fprintf(out, "%s\n\n", title);
    fprintf(out, "         %" PRId64 " function calls ", p->total_calls);
    if (p->total_calls != p->prim_calls)
        fprintf(out, "(%" PRId64 " primitive calls) ", p->prim_calls);
    fprintf(out, "in %.3f seconds\n\n", p->total_tt);
    if (n) {
        fprintf(out, "%s\n", msg);
        fputs("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n", out);
        for (size_t i = 0; i < n; i++) {
            const struct pv_func *f = &p->funcs[fids[i]];
            char calls[48];
            pv_report_format_calls(calls, f->nc, f->cc);
            fprintf(out, "%9s ", calls);
            f8(out, f->tt);
            fputc(' ', out);
            if (f->nc == 0)
                fputs("         ", out);
            else {
                f8(out, f->tt / (double)f->nc);
                fputc(' ', out);
            }
            f8(out, f->ct);
            fputc(' ', out);
            if (f->cc == 0)
                fputs("         ", out);
            else {
                f8(out, f->ct / (double)f->cc);
                fputc(' ', out);
            }
            print_label(out, p, fids[i], 0);
            fputc('\n', out);
        }
        fputs("\n\n", out);
    }
    free(fids);
    return PV_OK;
}

static void print_call_line(FILE *out, const struct pv_profile *p, size_t width, uint32_t fid,
                            bool callers)
{
    print_label(out, p, fid, width);
    fputs(callers ? "<- " : "-> ", out);
    uint32_t lo = callers ? p->callers_at[fid] : p->callees_at[fid];
    uint32_t hi = callers ? p->callers_at[fid + 1] : p->callees_at[fid + 1];
    if (lo == hi) {
        fputc('\n', out);
        return;
    }
    /* Ranges are in fid order of the other end: pstats' sorted(keys). */
    for (uint32_t k = lo; k < hi; k++) {
        const struct pv_edge *e = &p->edges[callers ? p->by_callee[k] : k];
        uint32_t other = callers ? e->caller : e->callee;
        size_t indent = k == lo ? 0 : 1;
        if (!pv_profile_edge_count_only(p, e)) {
            for (size_t i = 0; i < indent * (width + 1); i++)
                fputc(' ', out);
            char calls[48];
            pv_report_format_calls(calls, e->nc, e->cc);
            fprintf(out, "%*s ", (int)(7 + 2 * indent), calls);
            f8(out, e->tt);
            fputc(' ', out);
            f8(out, e->ct);
            fputs("  ", out);
            print_label(out, p, other, 0);
        } else {
            for (size_t i = 0; i < indent * (width + 3); i++)
                fputc(' ', out);
            print_label(out, p, other, 0);
            /* pstats prints the cumulative time of the listed function */
            fprintf(out, "(%" PRId64 ") ", e->nc);
            f8(out, p->funcs[other].ct);
        }
        fputc('\n', out);
    }
}

pv_code pv_report_print_calls(const struct pv_profile *p, const struct pv_sort *s,
                              const struct pv_report_select *sel, bool callers, FILE *out,
                              pv_err *err)
{
    uint32_t *fids;
    size_t n;
    char msg[1024];
    if (pv_report_rows(p, s, sel, &fids, &n, msg, sizeof msg, err))
        return err->code;
    if (!n) {
        free(fids);
        return PV_OK;
    }
    size_t width = 0;
    uint32_t from = n < p->nreal ? 0 : 1; /* all listed: pstats' max_name_len */
    for (size_t i = 0; i < (from ? p->nfuncs : n); i++) {
        uint32_t f = from ? (uint32_t)i : fids[i];
        if (from && (p->funcs[f].flags & PV_FUNC_PHANTOM))
            continue;
        size_t w = label_width(p, f);
        if (w > width)
            width = w;
    }
    width += 2;
    fprintf(out, "%s\n", msg);
    print_ljust(out, "Function ", 9, width);
    fputs(callers ? "was called by...\n" : "called...\n", out);
    /* pstats shows the sub-header when the first non-empty callers dict in
     * dict order holds tuples (new-style) */
    uint32_t first = UINT32_MAX, first_order = UINT32_MAX;
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (!(p->funcs[f].flags & PV_FUNC_PHANTOM) && p->callers_at[f] < p->callers_at[f + 1] &&
            p->funcs[f].order < first_order) {
            first = f;
            first_order = p->funcs[f].order;
        }
    if (first != UINT32_MAX &&
        !pv_profile_edge_count_only(p, &p->edges[p->by_callee[p->callers_at[first]]])) {
        for (size_t i = 0; i < width; i++)
            fputc(' ', out);
        fputs("    ncalls  tottime  cumtime\n", out);
    }
    for (size_t i = 0; i < n; i++)
        print_call_line(out, p, width, fids[i], callers);
    fputs("\n\n", out);
    free(fids);
    return PV_OK;
}
