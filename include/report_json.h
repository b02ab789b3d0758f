/* report_json.h - pstats' data as JSON: the canonical export that
 * tests/oracle.py prints, and the rows of print_stats (`oracle.py --top N`).
 *
 * Written with the one JSON writer (jsonw.h), so times are Python's repr()
 * and names are escaped as json.dumps escapes them. */
#ifndef PV_REPORT_JSON_H
#define PV_REPORT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "pv.h"
#include "report.h"
#include "sort.h"

/* The rows of print_stats as JSON, in the shape of `oracle.py --top N`.
 * PV_E_USAGE for a bad regex, PV_E_NOMEM, PV_E_IO when out fails. */
pv_code pv_report_json_top(const struct pv_profile *p, const struct pv_sort *s,
                           const struct pv_report_select *sel, FILE *out, pv_err *err);

/* The canonical JSON of `oracle.py FILE` (reader: "pstatsviz"), all at
 * once.  PV_E_IO when out fails. */
pv_code pv_report_json_export_write(const struct pv_profile *p, FILE *out, pv_err *err);

/* The same piece by piece, for answers streamed with bounded memory.  A
 * cursor lives in caller memory and reads p, which must outlive it. */
struct pv_report_json_export {
    const struct pv_profile *p;
    int part;      /* head, functions, edges, done */
    uint32_t next; /* the next function or edge */
    bool first;
};
void pv_report_json_export_init(struct pv_report_json_export *x, const struct pv_profile *p);
/* Write the next `records` records (the head, a function, an edge, the
 * tail) to out; true once the whole export is written.  One record is
 * about the size of its file and function names, escaped.  Cannot fail
 * (check ferror(out)). */
bool pv_report_json_export_next(struct pv_report_json_export *x, FILE *out, size_t records);
/* An upper bound of the export's size in bytes, found without writing it:
 * exact but for times, counted at the longest a double prints
 * (PV_JSONW_DOUBLE_MAX_LEN).  Each long string is measured once, so a
 * 1 MiB name shared by 20,000 functions costs one scan.  Fails only with
 * PV_E_NOMEM. */
pv_code pv_report_json_export_bound(const struct pv_profile *p, uint64_t *bytes, pv_err *err);

#endif
