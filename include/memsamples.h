/* memsamples.h - an mprof recording's samples downsampled for drawing
 * (GET /api/memory/<id>/samples, docs/API.md): the minimum and maximum of
 * each of width buckets of equal time over a window, the main process's
 * and the children's summed, and the nearest samples just outside the
 * window, from which a chart carries its line into it.  The samples are
 * streamed from the store in one pass (two with children). */
#ifndef PV_MEMSAMPLES_H
#define PV_MEMSAMPLES_H

#include <stddef.h>
#include <stdio.h>

#include "pv.h"
#include "store.h"

struct pv_memsamples;

/* The samples of the stored recording id over [t0, t1] (t0 <= t1) in
 * width buckets: on success *out is yours (pv_memsamples_destroy).
 * PV_E_LIMIT when its children times width pass 2^20 buckets, PV_E_NOMEM,
 * or the store's failures (PV_E_NOTFOUND for an unknown id). */
pv_code pv_memsamples_read(struct pv_store *s, const char *id, double t0, double t1,
                           size_t width, struct pv_memsamples **out, pv_err *err);

/* Their JSON document, {"t0", "t1", "width", "main", "before", "after",
 * "children", "children_before", "children_after"}, to f.  Cannot fail
 * (f's own errors show when it is closed). */
void pv_memsamples_write(FILE *f, const struct pv_memsamples *m);

/* NULL does nothing. */
void pv_memsamples_destroy(struct pv_memsamples *m);

#endif
