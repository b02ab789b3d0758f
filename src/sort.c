/* sort.c - pstats' orderings: sort keys read as sort_stats reads them, and
 * functions put in its order (see sort.h).
 *
 * Sources: CPython 3.11 Lib/pstats.py (sort_stats, TupleComp) and
 * Objects/listobject.c (count_run, binarysort) for the exact order of short
 * lists. */
#include "sort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    struct pv_profile_labels labels; /* for "stdname" only */
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
        case PV_SORT_STDNAME: r = strcmp(st->labels.of[x], st->labels.of[y]); break;
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

pv_code pv_sort_fids(const struct pv_profile *p, const struct pv_sort *s, uint32_t **fids,
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
    /* Whole, unlike the labels a model keeps for searches (cut at
     * PV_VIEW_TEXT_MAX): pstats orders by the whole label, and two long
     * labels may differ only past the cut. */
    if (stdname && pv_profile_labels_init(&st.labels, p, 0, err)) {
        free(a);
        return err->code;
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
    pv_profile_labels_fini(&st.labels);
    if (!a)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    *fids = a;
    return PV_OK;
}
