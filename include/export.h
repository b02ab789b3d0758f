/* export.h - a whole profile for other tools, written piece by piece.
 *
 * Three formats: the canonical JSON of oracle.py (the report module's),
 * speedscope's file format and flamegraph.pl's collapsed stacks.  The last
 * two are made from the tree module's full tree (every path, no cutoff),
 * so they carry its estimates where cProfile's data has no stacks.
 *
 * An export is sized before a byte is written (pv_export_bound), so a
 * server can refuse one over its budget with a clear error instead of
 * finding out 20 GB later; then it is written a piece at a time, so memory
 * stays bounded by the largest piece (about one function's names), not by
 * the whole. */
#ifndef PV_EXPORT_H
#define PV_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "pv.h"

typedef enum { PV_EXPORT_JSON, PV_EXPORT_SPEEDSCOPE, PV_EXPORT_COLLAPSED } pv_export_format;

/* "json", "speedscope" or "collapsed"; PV_E_USAGE names the word. */
pv_code pv_export_format_parse(const char *word, pv_export_format *out, pv_err *err);
/* The MIME type of a format: a static string. */
const char *pv_export_content_type(pv_export_format format);

/* Exports larger than this are refused unless the caller says otherwise
 * (serve --max-export, export --max-export).  The canonical JSON of the
 * 100k-function synthetic profile is 211 MB; a 1.9 MB file whose 20,000
 * functions share one 1 MiB file name would be 20 GB of JSON, since the
 * format repeats the file name in every function and every edge. */
#define PV_EXPORT_DEFAULT_MAX_BYTES ((uint64_t)1 << 30)

struct pv_entry; /* tree.h */
struct pv_export;

/* Get ready to write p (borrowed: it must outlive the export) in format;
 * name is the profile's name (speedscope shows it; copied).  The stack
 * formats build the tree here, from p's entry points as pv_tree_entries()
 * gave them (nentries of them, borrowed for the call; NULL: found here,
 * for a caller that keeps none, like the CLI), asking stop (may be NULL)
 * now and then whether to go on.  On success *out is yours
 * (pv_export_destroy).  On failure *out is untouched: PV_E_LIMIT or
 * PV_E_CANCELLED from the tree build, PV_E_NOMEM. */
pv_code pv_export_create(const struct pv_profile *p, const struct pv_entry *entries,
                         size_t nentries, const char *name, pv_export_format format,
                         bool (*stop)(void *ctx), void *stop_ctx, struct pv_export **out,
                         pv_err *err);

/* At least as many bytes as the export will write, and at most 24 more
 * per number with a fraction (times are counted at the longest a double
 * prints).  Cannot fail. */
uint64_t pv_export_bound(const struct pv_export *x);

/* Write the next piece (a few hundred records) to out; *done once all is
 * written.  PV_E_NOMEM, or PV_E_IO when out has failed. */
pv_code pv_export_write_next(struct pv_export *x, FILE *out, bool *done, pv_err *err);

void pv_export_destroy(struct pv_export *x);

/* Create, check the budget, write everything to out, destroy.  PV_E_LIMIT
 * when the bound passes max_bytes (0: no budget): then nothing is written
 * and err says both numbers. */
pv_code pv_export_write(const struct pv_profile *p, const char *name, pv_export_format format,
                        uint64_t max_bytes, FILE *out, pv_err *err);

/* The message of an export over its budget, for every caller alike. */
pv_code pv_export_over_budget(uint64_t bound, uint64_t max_bytes, pv_err *err);

#endif
