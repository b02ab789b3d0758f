/* memlines.h - memory_profiler's line-by-line report (the text of
 * `python -m memory_profiler script.py`), read strictly.
 *
 * The format, as memory_profiler.py's show_results writes it, for every
 * @profile function that ran:
 *
 *   Filename: <path>
 *   <blank>
 *   Line #    Mem usage    Increment  Occurrences   Line Contents
 *   =============================================================   (as long as the header)
 *        1   21.711 MiB    1.707 MiB           2   @profile        a measured line
 *        2                                         def grow():     a line never measured
 *   <blank>
 *   <blank>
 *
 * from the template "{0:>6} {1:>12} {2:>12}  {3:>10}   {4:<}": numbers
 * right-aligned (they may overflow their width), the source line from
 * column 47 for an unmeasured row, and three spaces after the last number
 * for a measured one.  Before 0.58 there is no Occurrences column
 * ("{0:>6} {1:>12} {2:>12}   {3:<}", source from column 35), and early
 * versions write "MB" for the unit (MiB all the same: they divide by 2^20).
 * Text outside the tables (what the program printed) is skipped; a table
 * itself must be exactly this, or err says "line N: expected ..., got ...".
 * Numbers are read as float() reads them (memtext.h), memory in
 * [0, PV_MEMLINES_MAX_MIB], increments in +-PV_MEMLINES_MAX_MIB.
 *
 * Work and memory are linear in the input. */
#ifndef PV_MEMLINES_H
#define PV_MEMLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "pv.h"

#define PV_MEMLINES_MAX_MIB 1099511627776.0 /* 2^40 */
enum { PV_MEMLINES_MAX_LINE_BYTES = 1 << 20 };

struct pv_memlines_row {
    int64_t line;
    bool measured;  /* false: mem, inc and occ are not given */
    double mem, inc;
    int64_t occ;    /* -1: the report has no Occurrences column */
    const char *text; /* the source line (not NUL-terminated) */
    size_t text_len;
};

struct pv_memlines_func {
    const char *file; /* NUL-terminated */
    const char *name; /* from the first "def" line, NUL-terminated; NULL when none */
    int64_t first_line, last_line;
    int64_t max_inc_line; /* the row after the entry (the first measured row)
                             with the largest positive increment (the first,
                             if tied); 0 when none grew */
    size_t first_row, nrows; /* its rows: rows[first_row .. first_row + nrows) */
};

struct pv_memlines {
    bool unit_mb;         /* the report says MB, not MiB */
    bool has_occurrences; /* the report has the Occurrences column */
    struct pv_memlines_func *funcs; /* in file order, at least one */
    size_t nfuncs;
    struct pv_memlines_row *rows;
    size_t nrows;
    double peak_mib;      /* the largest "Mem usage" */
    struct pv_arena strings; /* where the texts live */
};

/* Whether buf looks like a report: a line "Filename: ..." followed by a
 * blank line and the "Line #" header.  Cannot fail. */
bool pv_memlines_sniff(const uint8_t *buf, size_t len);

/* Read a report.  On success *out is yours (pv_memlines_destroy): its
 * strings are copies, buf may go.  On failure *out is untouched and err
 * names the line. */
pv_code pv_memlines_parse(const uint8_t *buf, size_t len, struct pv_memlines **out, pv_err *err);

void pv_memlines_destroy(struct pv_memlines *r);

#endif
