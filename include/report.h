/* report.h - what pstats prints, from the model: the sorted function list
 * (sort_stats), the print_stats / print_callers / print_callees tables, and
 * the canonical JSON that tests/oracle.py prints.
 *
 * Order is pstats' exactly: its sort keys, ties kept in the file's dict
 * order, and for lists under 64 entries CPython's own binary insertion sort,
 * so even NaN times (which compare neither less nor greater) order the same. */
#ifndef PV_REPORT_H
#define PV_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
 * the unknown word. */
pv_code pv_sort_parse(const char *words, struct pv_sort *out, pv_err *err);
/* pstats' description: "cumulative time", "internal time, call count"... */
void pv_sort_describe(const struct pv_sort *s, char *buf, size_t cap);

/* The fids of the real (non-phantom) functions in pstats' order.  *fids is
 * malloc'd (caller frees), p->nreal entries. */
pv_code pv_report_sorted(const struct pv_profile *p, const struct pv_sort *s, uint32_t **fids,
                         pv_err *err);

/* The selection of pstats' print_* calls: a POSIX extended regex over the
 * labels (NULL: none), then the first `limit` rows (-1: all). */
struct pv_select {
    const char *regex;
    long limit;
};

/* Print what pstats.Stats(title).sort_stats(s).print_stats(sel...) prints.
 * PV_E_USAGE for a bad regex. */
pv_code pv_report_print_stats(const struct pv_profile *p, const char *title,
                              const struct pv_sort *s, const struct pv_select *sel, FILE *out,
                              pv_err *err);
/* ... print_callers(sel...) (callers = true) or print_callees(sel...). */
pv_code pv_report_print_calls(const struct pv_profile *p, const struct pv_sort *s,
                              const struct pv_select *sel, bool callers, FILE *out,
                              pv_err *err);
/* The rows of print_stats as JSON, in the shape of `oracle.py --top N`. */
pv_code pv_report_top_json(const struct pv_profile *p, const struct pv_sort *s,
                           const struct pv_select *sel, FILE *out, pv_err *err);
/* The canonical JSON of `oracle.py FILE` (reader: "pstatsviz"), all at
 * once.  PV_E_IO when out fails. */
pv_code pv_report_export_json(const struct pv_profile *p, FILE *out, pv_err *err);

/* The same piece by piece, for answers streamed with bounded memory.  A
 * cursor lives in caller memory and reads p, which must outlive it. */
struct pv_json_export {
    const struct pv_profile *p;
    int part;      /* head, functions, edges, done */
    uint32_t next; /* the next function or edge */
    bool first;
};
void pv_report_json_export_init(struct pv_json_export *x, const struct pv_profile *p);
/* Write the next `records` records (the head, a function, an edge, the
 * tail) to out; true once the whole export is written.  One record is
 * about the size of its file and function names, escaped.  Cannot fail
 * (check ferror(out)). */
bool pv_report_json_export_next(struct pv_json_export *x, FILE *out, size_t records);
/* An upper bound of the export's size in bytes, found without writing it:
 * exact but for times, counted at the longest a double prints (24 bytes).
 * Each long string is measured once, so a 1 MiB name shared by 20,000
 * functions costs one scan.  Fails only with PV_E_NOMEM. */
pv_code pv_report_json_export_bound(const struct pv_profile *p, uint64_t *bytes, pv_err *err);

#endif
