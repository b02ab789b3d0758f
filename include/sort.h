/* sort.h - pstats' orderings: the sort keys sort_stats takes, and the
 * functions in the order it gives.
 *
 * Order is pstats' exactly: its sort keys, ties kept in the file's dict
 * order, and for lists under 64 entries CPython's own binary insertion sort,
 * so even NaN times (which compare neither less nor greater) order the same. */
#ifndef PV_SORT_H
#define PV_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"

typedef enum {
    PV_SORT_CALLS,      /* "calls", "ncalls": nc, descending */
    PV_SORT_PCALLS,     /* "pcalls": cc, descending */
    PV_SORT_TIME,       /* "time", "tottime": tt, descending */
    PV_SORT_CUMULATIVE, /* "cumulative", "cumtime": ct, descending */
    PV_SORT_FILENAME,   /* "filename", "module": file, ascending */
    PV_SORT_LINE,       /* "line" */
    PV_SORT_NAME,       /* "name" */
    PV_SORT_NFL,        /* "nfl": name, file, line */
    PV_SORT_STDNAME,    /* "stdname": the printed label */
    /* not pstats' (its table shows them but cannot sort by them): */
    PV_SORT_TT_PERCALL, /* tt / nc, descending */
    PV_SORT_CT_PERCALL, /* ct / cc, descending */
    PV_SORT_KEYS        /* how many there are */
} pv_sort_key;

enum { PV_SORT_MAX_KEYS = 8 };

struct pv_sort {
    pv_sort_key keys[PV_SORT_MAX_KEYS];
    int nkeys;
    bool reverse;   /* the opposite direction; ties stay in pstats' order */
};

/* Parse "cumulative" or "tottime,calls" (pstats' names).  PV_E_USAGE names
 * the unknown word; *out is untouched then. */
pv_code pv_sort_parse(const char *words, struct pv_sort *out, pv_err *err);
/* pstats' description: "cumulative time", "internal time, call count"...
 * Cannot fail (the text is cut at cap). */
void pv_sort_describe(const struct pv_sort *s, char *buf, size_t cap);

/* The fids of the real (non-phantom) functions in pstats' order.  *fids is
 * malloc'd (caller frees), p->nreal entries.  Fails only with PV_E_NOMEM,
 * leaving *fids untouched. */
pv_code pv_sort_fids(const struct pv_profile *p, const struct pv_sort *s, uint32_t **fids,
                     pv_err *err);

#endif
