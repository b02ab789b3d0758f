/* memory.h - memory data as pstatsviz keeps and answers it: an mprof
 * recording (mprof.h) or a line report (memlines.h), told apart by its
 * content, and its canonical JSON.
 *
 * The JSON (docs/API.md, "Memory data") is written here once, at import,
 * and stored: every number as Python's repr() writes the double read from
 * the file (jsonw.h), so nothing is rounded on the way.  The body is an
 * object without the fields a store adds (id, name, created, attached_to);
 * the summary is the few fields an upload answers with.  An mprof
 * recording's samples are kept apart, packed (PV_MEMORY_SAMPLE_BYTES each:
 * two native doubles, MiB then time; a child's sample is an int64 index
 * first), since a million of them would make a 40 MB JSON text. */
#ifndef PV_MEMORY_H
#define PV_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memlines.h"
#include "mprof.h"
#include "pv.h"

enum pv_memory_kind { PV_MEMORY_NONE, PV_MEMORY_MPROF, PV_MEMORY_LINES };

enum { PV_MEMORY_SAMPLE_BYTES = 16, PV_MEMORY_CHILD_SAMPLE_BYTES = 24 };

/* What buf is, by its first PV_MEMORY_SNIFF_BYTES (see mprof.h and
 * memlines.h: a line report's first "Filename: " must come within them,
 * after whatever the program printed first).  Cannot fail. */
enum { PV_MEMORY_SNIFF_BYTES = 64 << 10 };
enum pv_memory_kind pv_memory_sniff(const uint8_t *buf, size_t len);

/* "mprof" or "lines" ("" for PV_MEMORY_NONE). */
const char *pv_memory_kind_name(enum pv_memory_kind kind);

/* A parsed file: one of the two is set. */
struct pv_memory {
    enum pv_memory_kind kind;
    struct pv_mprof *mprof;
    struct pv_memlines *lines;
};

/* Read buf as the kind pv_memory_sniff() says.  PV_E_SHAPE when it is
 * neither kind; else the reader's failures.  On success *out is yours
 * (pv_memory_destroy). */
pv_code pv_memory_parse(const uint8_t *buf, size_t len, struct pv_memory **out, pv_err *err);
void pv_memory_destroy(struct pv_memory *m);

/* The largest memory the file shows, MiB.  Cannot fail. */
double pv_memory_peak_mib(const struct pv_memory *m);

/* The body and the summary as JSON objects, NUL-terminated and malloc'd;
 * PV_E_NOMEM on failure (nothing allocated then). */
pv_code pv_memory_body_json(const struct pv_memory *m, char **out, pv_err *err);
pv_code pv_memory_summary_json(const struct pv_memory *m, char **out, pv_err *err);

/* The samples of an mprof recording as a store keeps them (borrowed from
 * m, valid until pv_memory_destroy; NULL and 0 for a line report). */
void pv_memory_samples(const struct pv_memory *m, const void **samples, size_t *samples_bytes,
                       const void **children, size_t *children_bytes);

/* Packed samples written as JSON: [[mib,t],...] for the main process, and
 * {"<index>":[[mib,t],...],...} for children (in the order they first
 * appear).  A write error shows in ferror(out); out of memory, the text
 * ends in a line that is no JSON, so that it cannot pass for the data. */
void pv_memory_write_samples(FILE *out, const void *samples, size_t samples_bytes);
void pv_memory_write_children(FILE *out, const void *children, size_t children_bytes);

#endif
