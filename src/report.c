/* report.c - pstats' orderings and printouts (see report.h).
 *
 * Sources: CPython 3.11 Lib/pstats.py (sort_stats, TupleComp,
 * print_stats, print_line, print_call_line, eval_print_amount) and
 * Objects/listobject.c (count_run, binarysort) for the exact order of short
 * lists. */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "pattern.h"

/* ---- sort keys ---------------------------------------------------------- */

static const struct {
    const char *word;
    pv_sort_key key;
    const char *describe;
} SORT_WORDS[] = {
    {"calls", PV_SORT_CALLS, "call count"},
    {"ncalls", PV_SORT_CALLS, "call count"},
    {"cumtime", PV_SORT_CUMULATIVE, "cumulative time"},
    {"cumulative", PV_SORT_CUMULATIVE, "cumulative time"},
    {"filename", PV_SORT_FILENAME, "file name"},
    {"line", PV_SORT_LINE, "line number"},
    {"module", PV_SORT_FILENAME, "file name"},
    {"name", PV_SORT_NAME, "function name"},
    {"nfl", PV_SORT_NFL, "name/file/line"},
    {"pcalls", PV_SORT_PCALLS, "primitive call count"},
    {"stdname", PV_SORT_STDNAME, "standard name"},
    {"time", PV_SORT_TIME, "internal time"},
    {"tottime", PV_SORT_TIME, "internal time"},
};

enum { NWORDS = sizeof SORT_WORDS / sizeof SORT_WORDS[0] };

pv_code pv_sort_parse(const char *words, struct pv_sort *out, pv_err *err)
{
    struct pv_sort s = {.nkeys = 0};
    const char *w = words;
    while (*w) {
        size_t n = strcspn(w, ",");
        int found = -1;
        for (int k = 0; k < NWORDS; k++)
            if (strlen(SORT_WORDS[k].word) == n && !strncmp(SORT_WORDS[k].word, w, n))
                found = k;
        if (found < 0 || s.nkeys == PV_SORT_MAX_KEYS)
            return pv_err_set(err, PV_E_USAGE,
                              "unknown sort key '%.*s' (use cumulative, tottime, ncalls, pcalls, "
                              "name, filename, line, nfl or stdname)",
                              (int)(n > 40 ? 40 : n), w);
        s.keys[s.nkeys++] = SORT_WORDS[found].key;
        w += n;
        if (*w == ',')
            w++;
    }
    if (!s.nkeys)
        return pv_err_set(err, PV_E_USAGE, "empty sort key");
    *out = s;
    return PV_OK;
}

void pv_sort_describe(const struct pv_sort *s, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->nkeys && at < cap; i++)
        for (int k = 0; k < NWORDS; k++)
            if (SORT_WORDS[k].key == s->keys[i]) {
                at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "",
                                       SORT_WORDS[k].describe);
                break;
            }
}

/* ---- comparison, as pstats' TupleComp ----------------------------------- */

struct sorter {
    const struct pv_profile *p;
    const struct pv_sort *s;
    char **labels; /* for "stdname" only */
};

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    int r = memcmp(a, b, na < nb ? na : nb);
    return r ? r : (na > nb) - (na < nb);
}

static int cmp_str(const struct pv_profile *p, uint32_t h1, uint32_t h2)
{
    size_t n1, n2;
    const char *a = pv_profile_str(p, h1, &n1), *b = pv_profile_str(p, h2, &n2);
    return h1 == h2 ? 0 : cmp_bytes(a, n1, b, n2);
}

/* Python's a < b and a > b: both false for NaN, so NaN ties. */
static int cmp_num(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_int(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* A per-call time; functions never called (count 0) come last. */
static double per_call(double t, int64_t n)
{
    return n ? t / (double)n : -HUGE_VAL;
}

/* < 0 when fid x sorts before fid y. */
static int compare(const struct sorter *st, uint32_t x, uint32_t y)
{
    const struct pv_func *a = &st->p->funcs[x], *b = &st->p->funcs[y];
    for (int i = 0; i < st->s->nkeys; i++) {
        int r = 0;
        switch (st->s->keys[i]) {
        case PV_SORT_CALLS: r = -cmp_int(a->nc, b->nc); break;
        case PV_SORT_PCALLS: r = -cmp_int(a->cc, b->cc); break;
        case PV_SORT_TIME: r = -cmp_num(a->tt, b->tt); break;
        case PV_SORT_CUMULATIVE: r = -cmp_num(a->ct, b->ct); break;
        case PV_SORT_FILENAME: r = cmp_str(st->p, a->file, b->file); break;
        case PV_SORT_LINE: r = cmp_int(a->line, b->line); break;
        case PV_SORT_NAME: r = cmp_str(st->p, a->name, b->name); break;
        case PV_SORT_NFL:
            r = cmp_str(st->p, a->name, b->name);
            if (!r)
                r = cmp_str(st->p, a->file, b->file);
            if (!r)
                r = cmp_int(a->line, b->line);
            break;
        case PV_SORT_STDNAME: r = strcmp(st->labels[x], st->labels[y]); break;
        case PV_SORT_TT_PERCALL: r = -cmp_num(per_call(a->tt, a->nc), per_call(b->tt, b->nc)); break;
        case PV_SORT_CT_PERCALL: r = -cmp_num(per_call(a->ct, a->cc), per_call(b->ct, b->cc)); break;
        case PV_SORT_KEYS: break; /* a count, not a key */
        }
        if (r)
            return r;
    }
    return 0;
}

static bool less(const struct sorter *st, uint32_t x, uint32_t y)
{
    int r = compare(st, x, y);
    return st->s->reverse ? r > 0 : r < 0;
}

/* CPython's list.sort for fewer than 64 items: count the first run
 * (reversing a strictly descending one), then binary insertion. */
static void cpython_small_sort(const struct sorter *st, uint32_t *a, size_t n)
{
    if (n < 2)
        return;
    size_t run = 2;
    if (less(st, a[1], a[0])) {
        while (run < n && less(st, a[run], a[run - 1]))
            run++;
        for (size_t i = 0, j = run - 1; i < j; i++, j--) {
            uint32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    } else
        while (run < n && !less(st, a[run], a[run - 1]))
            run++;
    for (size_t start = run; start < n; start++) {
        uint32_t pivot = a[start];
        size_t l = 0, r = start;
        do {
            size_t mid = l + ((r - l) >> 1);
            if (less(st, pivot, a[mid]))
                r = mid;
            else
                l = mid + 1;
        } while (l < r);
        memmove(a + l + 1, a + l, (start - l) * sizeof *a);
        a[l] = pivot;
    }
}

/* A stable merge sort: for a consistent order any stable sort gives
 * Python's result; it stays memory-safe for inconsistent ones (NaN). */
static void merge_sort(const struct sorter *st, uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(st, a, tmp, h);
    merge_sort(st, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = less(st, a[j], a[i]) ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

pv_code pv_report_sorted(const struct pv_profile *p, const struct pv_sort *s, uint32_t **fids,
                         pv_err *err)
{
    struct sorter st = {.p = p, .s = s};
    uint32_t *a = malloc(((size_t)p->nreal + 1) * sizeof *a);
    if (!a)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    /* pstats builds its list in dict order */
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (!(p->funcs[f].flags & PV_FUNC_PHANTOM))
            a[p->funcs[f].order] = f;
    bool stdname = false;
    for (int i = 0; i < s->nkeys; i++)
        stdname |= s->keys[i] == PV_SORT_STDNAME;
    if (stdname) {
        st.labels = calloc(p->nfuncs + 1, sizeof *st.labels);
        for (uint32_t f = 0; st.labels && f < p->nfuncs; f++)
            if (!(st.labels[f] = pv_profile_label_dup(p, f, 0, NULL))) {
                for (uint32_t g = 0; g < f; g++)
                    free(st.labels[g]);
                free(st.labels);
                st.labels = NULL;
            }
        if (!st.labels) {
            free(a);
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        }
    }
    /* CPython's own algorithm where it is pstats' order; a reversed order
     * is ours, and any stable sort gives it */
    if (p->nreal < 64 && !s->reverse)
        cpython_small_sort(&st, a, p->nreal);
    else {
        uint32_t *tmp = malloc((size_t)p->nreal * sizeof *tmp);
        if (!tmp) {
            free(a);
            a = NULL;
        } else
            merge_sort(&st, a, tmp, p->nreal);
        free(tmp);
    }
    if (st.labels) {
        for (uint32_t f = 0; f < p->nfuncs; f++)
            free(st.labels[f]);
        free(st.labels);
    }
    if (!a)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    *fids = a;
    return PV_OK;
}

/* pstats' ncalls column: "nc/cc" where recursion makes them differ. */
static void format_calls(char out[48], int64_t nc, int64_t cc)
{
    if (nc != cc)
        snprintf(out, 48, "%" PRId64 "/%" PRId64, nc, cc);
    else
        snprintf(out, 48, "%" PRId64, nc);
}

/* ---- selection ---------------------------------------------------------- */

/* Apply eval_print_amount's restrictions; fills msg with pstats' notes. */
static pv_code select_rows(const struct pv_profile *p, const struct pv_select *sel,
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
        if (kept != *n)
            at += (size_t)snprintf(msg + at, at < cap ? cap - at : 0,
                                   "   List reduced from %zu to %zu due to restriction <'%s'>\n",
                                   *n, kept, sel->regex);
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

/* ---- printing ----------------------------------------------------------- */

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

/* Sort, select, and say what pstats says above its tables. */
static pv_code prepare(const struct pv_profile *p, const struct pv_sort *s,
                       const struct pv_select *sel, uint32_t **fids, size_t *n, char *msg,
                       size_t cap, pv_err *err)
{
    if (pv_report_sorted(p, s, fids, err))
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

pv_code pv_report_print_stats(const struct pv_profile *p, const char *title,
                              const struct pv_sort *s, const struct pv_select *sel, FILE *out,
                              pv_err *err)
{
    uint32_t *fids;
    size_t n;
    char msg[1024];
    if (prepare(p, s, sel, &fids, &n, msg, sizeof msg, err))
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
            format_calls(calls, f->nc, f->cc);
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
        if (!(e->flags & PV_EDGE_COUNT_ONLY)) {
            for (size_t i = 0; i < indent * (width + 1); i++)
                fputc(' ', out);
            char calls[48];
            format_calls(calls, e->nc, e->cc);
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
                              const struct pv_select *sel, bool callers, FILE *out,
                              pv_err *err)
{
    uint32_t *fids;
    size_t n;
    char msg[1024];
    if (prepare(p, s, sel, &fids, &n, msg, sizeof msg, err))
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
        !(p->edges[p->by_callee[p->callers_at[first]]].flags & PV_EDGE_COUNT_ONLY)) {
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

/* ---- JSON ---------------------------------------------------------------- */

static void write_str(FILE *out, const struct pv_profile *p, uint32_t h)
{
    size_t n;
    const char *s = pv_profile_str(p, h, &n);
    pv_jsonw_string(out, s, n);
}

/* The canonical JSON's fixed text, shared by the writer and the sizer so
 * the two cannot drift apart. */
static const char J_HEAD[] = "{\"reader\": \"pstatsviz\", \"total_calls\": ",
                  J_PRIM[] = ", \"prim_calls\": ", J_TOTAL_TT[] = ", \"total_tt\": ",
                  J_FUNCS[] = ", \"functions\": [", J_EDGES[] = "], \"edges\": [",
                  J_TAIL[] = "]}\n", J_SEP[] = ", ", J_FILE[] = "{\"file\": ",
                  J_LINE[] = ", \"line\": ", J_NAME[] = ", \"name\": ", J_CC[] = ", \"cc\": ",
                  J_NC[] = ", \"nc\": ", J_TT[] = ", \"tt\": ", J_CT[] = ", \"ct\": ",
                  J_CALLER[] = "{\"caller\": ", J_CALLEE[] = ", \"callee\": ",
                  J_COUNT_ONLY_CC[] = ", \"cc\": null, \"nc\": ",
                  J_COUNT_ONLY_TAIL[] = ", \"tt\": null, \"ct\": null}";
#define LIT(s) (sizeof(s) - 1)

static void write_key(FILE *out, const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    fputc('[', out);
    write_str(out, p, f->file);
    fprintf(out, ", %" PRId64 ", ", f->line);
    write_str(out, p, f->name);
    fputc(']', out);
}

/* The JSON length of a profile string, each long one measured once. */
static uint64_t str_len(struct pv_jsonw_lengths *l, const struct pv_profile *p, uint32_t h)
{
    size_t n;
    const char *s = pv_profile_str(p, h, &n);
    return pv_jsonw_lengths_get(l, h, s, n);
}

static uint64_t key_len(struct pv_jsonw_lengths *l, const struct pv_profile *p,
                        const struct pv_func *f)
{
    return 1 + str_len(l, p, f->file) + 2 + pv_jsonw_int_len(f->line) + 2 +
           str_len(l, p, f->name) + 1;
}

static void write_func(FILE *out, const struct pv_profile *p, const struct pv_func *f)
{
    fputs(J_FILE, out);
    write_str(out, p, f->file);
    fprintf(out, "%s%" PRId64 "%s", J_LINE, f->line, J_NAME);
    write_str(out, p, f->name);
    fprintf(out, "%s%" PRId64 "%s%" PRId64 "%s", J_CC, f->cc, J_NC, f->nc, J_TT);
    pv_jsonw_double(out, f->tt);
    fputs(J_CT, out);
    pv_jsonw_double(out, f->ct);
    fputc('}', out);
}

static void write_edge(FILE *out, const struct pv_profile *p, const struct pv_edge *ed)
{
    fputs(J_CALLER, out);
    write_key(out, p, ed->caller);
    fputs(J_CALLEE, out);
    write_key(out, p, ed->callee);
    if (ed->flags & PV_EDGE_COUNT_ONLY) {
        fprintf(out, "%s%" PRId64 "%s", J_COUNT_ONLY_CC, ed->nc, J_COUNT_ONLY_TAIL);
        return;
    }
    fprintf(out, "%s%" PRId64 "%s%" PRId64 "%s", J_CC, ed->cc, J_NC, ed->nc, J_TT);
    pv_jsonw_double(out, ed->tt);
    fputs(J_CT, out);
    pv_jsonw_double(out, ed->ct);
    fputc('}', out);
}

enum { PART_HEAD, PART_FUNCS, PART_EDGES, PART_DONE };

void pv_report_json_export_init(struct pv_json_export *x, const struct pv_profile *p)
{
    *x = (struct pv_json_export){.p = p, .part = PART_HEAD, .next = 0, .first = true};
}

bool pv_report_json_export_next(struct pv_json_export *x, FILE *out, size_t records)
{
    const struct pv_profile *p = x->p;
    for (size_t r = 0; r < records && x->part != PART_DONE; r++) {
        switch (x->part) {
        case PART_HEAD:
            fprintf(out, "%s%" PRId64 "%s%" PRId64 "%s", J_HEAD, p->total_calls, J_PRIM,
                    p->prim_calls, J_TOTAL_TT);
            pv_jsonw_double(out, p->total_tt);
            fputs(J_FUNCS, out);
            x->part = PART_FUNCS;
            break;
        case PART_FUNCS:
            while (x->next < p->nfuncs && (p->funcs[x->next].flags & PV_FUNC_PHANTOM))
                x->next++;
            if (x->next == p->nfuncs) {
                fputs(J_EDGES, out);
                x->part = PART_EDGES;
                x->next = 0;
                x->first = true;
                break;
            }
            if (!x->first)
                fputs(J_SEP, out);
            x->first = false;
            write_func(out, p, &p->funcs[x->next++]);
            break;
        case PART_EDGES:
            if (x->next == p->nedges) {
                fputs(J_TAIL, out);
                x->part = PART_DONE;
                break;
            }
            if (!x->first)
                fputs(J_SEP, out);
            x->first = false;
            write_edge(out, p, &p->edges[x->next++]);
            break;
        }
    }
    return x->part == PART_DONE;
}

pv_code pv_report_json_export_bound(const struct pv_profile *p, uint64_t *bytes, pv_err *err)
{
    uint64_t *keys = malloc(((size_t)p->nfuncs + 1) * sizeof *keys);
    if (!keys)
        return pv_err_set(err, PV_E_NOMEM, "out of memory measuring the export");
    struct pv_jsonw_lengths l;
    pv_jsonw_lengths_init(&l);
    uint64_t n = LIT(J_HEAD) + pv_jsonw_int_len(p->total_calls) + LIT(J_PRIM) +
                 pv_jsonw_int_len(p->prim_calls) + LIT(J_TOTAL_TT) + PV_JSONW_DOUBLE_MAX_LEN + LIT(J_FUNCS) +
                 LIT(J_EDGES) + LIT(J_TAIL);
    bool first = true;
    for (uint32_t fid = 0; fid < p->nfuncs; fid++) {
        const struct pv_func *f = &p->funcs[fid];
        keys[fid] = key_len(&l, p, f);
        if (f->flags & PV_FUNC_PHANTOM)
            continue;
        n += (first ? 0 : LIT(J_SEP)) + LIT(J_FILE) + str_len(&l, p, f->file) +
             LIT(J_LINE) + pv_jsonw_int_len(f->line) + LIT(J_NAME) + str_len(&l, p, f->name) +
             LIT(J_CC) + pv_jsonw_int_len(f->cc) + LIT(J_NC) + pv_jsonw_int_len(f->nc) + LIT(J_TT) +
             PV_JSONW_DOUBLE_MAX_LEN + LIT(J_CT) + PV_JSONW_DOUBLE_MAX_LEN + 1;
        first = false;
    }
    for (uint32_t e = 0; e < p->nedges; e++) {
        const struct pv_edge *ed = &p->edges[e];
        n += (e ? LIT(J_SEP) : 0) + LIT(J_CALLER) + keys[ed->caller] + LIT(J_CALLEE) +
             keys[ed->callee];
        if (ed->flags & PV_EDGE_COUNT_ONLY)
            n += LIT(J_COUNT_ONLY_CC) + pv_jsonw_int_len(ed->nc) + LIT(J_COUNT_ONLY_TAIL);
        else
            n += LIT(J_CC) + pv_jsonw_int_len(ed->cc) + LIT(J_NC) + pv_jsonw_int_len(ed->nc) + LIT(J_TT) +
                 PV_JSONW_DOUBLE_MAX_LEN + LIT(J_CT) + PV_JSONW_DOUBLE_MAX_LEN + 1;
    }
    pv_jsonw_lengths_fini(&l);
    free(keys);
    *bytes = n;
    return PV_OK;
}

pv_code pv_report_export_json(const struct pv_profile *p, FILE *out, pv_err *err)
{
    struct pv_json_export x;
    pv_report_json_export_init(&x, p);
    while (!pv_report_json_export_next(&x, out, 1024) && !ferror(out))
        ;
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the export failed");
    return PV_OK;
}

static void write_ratio(FILE *out, double num, int64_t den)
{
    if (den == 0)
        fputs("null", out);
    else
        pv_jsonw_double(out, num / (double)den);
}

pv_code pv_report_top_json(const struct pv_profile *p, const struct pv_sort *s,
                           const struct pv_select *sel, FILE *out, pv_err *err)
{
    uint32_t *fids;
    size_t n;
    char msg[1024], how[160];
    if (prepare(p, s, sel, &fids, &n, msg, sizeof msg, err))
        return err->code;
    pv_sort_describe(s, how, sizeof how);
    fprintf(out, "{\"sort_type\": \"%s\", \"total_calls\": %" PRId64 ", \"prim_calls\": %" PRId64
                 ", \"total_tt\": ",
            how, p->total_calls, p->prim_calls);
    pv_jsonw_double(out, p->total_tt);
    fputs(", \"rows\": [", out);
    for (size_t i = 0; i < n; i++) {
        const struct pv_func *f = &p->funcs[fids[i]];
        char calls[48];
        format_calls(calls, f->nc, f->cc);
        fprintf(out, "%s{\"ncalls\": \"%s\", \"tottime\": ", i ? ", " : "", calls);
        pv_jsonw_double(out, f->tt);
        fputs(", \"percall_tottime\": ", out);
        write_ratio(out, f->tt, f->nc);
        fputs(", \"cumtime\": ", out);
        pv_jsonw_double(out, f->ct);
        fputs(", \"percall_cumtime\": ", out);
        write_ratio(out, f->ct, f->cc);
        size_t ln;
        char *label = pv_profile_label_dup(p, fids[i], 0, &ln);
        if (!label) {
            free(fids);
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        }
        fputs(", \"function\": ", out);
        pv_jsonw_string(out, label, ln);
        free(label);
        fputs(", \"file\": ", out);
        write_str(out, p, f->file);
        fprintf(out, ", \"line\": %" PRId64 ", \"name\": ", f->line);
        write_str(out, p, f->name);
        fputc('}', out);
    }
    fputs("]}\n", out);
    free(fids);
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the report failed");
    return PV_OK;
}
