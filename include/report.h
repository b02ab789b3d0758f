/* report.h - what pstats prints, from the model: the print_stats,
 * print_callers and print_callees tables, in the order of sort.h.
 *
 * The same rows as JSON are report_json.h's. */
#ifndef PV_REPORT_H
#define PV_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "pv.h"
#include "sort.h"

/* The selection of pstats' print_* calls: a POSIX extended regex over the
 * labels (NULL: none), then the first `limit` rows (-1: all). */
struct pv_report_select {
    const char *regex;
    long limit;
};

/* The rows pstats prints for sort s and selection sel: *fids (malloc'd,
 * caller frees) holds *n fids in order, and msg the lines pstats writes
 * above its table ("   Ordered by: ...", "   List reduced from ...").
 * PV_E_USAGE for a bad regex, PV_E_NOMEM; nothing to free then. */
pv_code pv_report_rows(const struct pv_profile *p, const struct pv_sort *s,
                       const struct pv_report_select *sel, uint32_t **fids, size_t *n, char *msg,
                       size_t cap, pv_err *err);

/* pstats' ncalls column: "nc/cc" where recursion makes them differ, else
 * "nc".  Cannot fail. */
void pv_report_format_calls(char out[48], int64_t nc, int64_t cc);

/* Print what pstats.Stats(title).sort_stats(s).print_stats(sel...) prints.
 * PV_E_USAGE for a bad regex. */
pv_code pv_report_print_stats(const struct pv_profile *p, const char *title,
                              const struct pv_sort *s, const struct pv_report_select *sel,
                              FILE *out, pv_err *err);
/* ... print_callers(sel...) (callers = true) or print_callees(sel...). */
pv_code pv_report_print_calls(const struct pv_profile *p, const struct pv_sort *s,
                              const struct pv_report_select *sel, bool callers, FILE *out,
                              pv_err *err);

#endif
