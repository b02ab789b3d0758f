/* jobs.h - heavy work kept off the server's pool threads, and bounded.
 *
 * A pool thread answers every connection it was given, one call at a time:
 * a one-second tree built there stalls them all, /healthz included.  So a
 * request judged heavy runs as a job, on a thread of its own, while its
 * connection waits suspended.  At most `slots` jobs run at once; at most
 * `waiting` more wait for a slot, each for at most max_wait_ms; a job that
 * finds neither is refused at once, so a burst of heavy requests costs a
 * bounded amount of memory and CPU and the caller can answer 503.
 *
 * Every function is thread-safe. */
#ifndef PV_JOBS_H
#define PV_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "pv.h"

struct pv_jobs_config {
    unsigned slots;       /* jobs running at once, >= 1 */
    unsigned waiting;     /* jobs waiting for a slot */
    unsigned max_wait_ms; /* how long one may wait */
};

struct pv_jobs;

pv_code pv_jobs_create(const struct pv_jobs_config *cfg, struct pv_jobs **out, pv_err *err);

/* Run fn(ctx, true) on a thread of its own once a slot is free, or
 * fn(ctx, false) there when none frees within max_wait_ms.  Returns false,
 * without calling fn, when every slot and waiting place is taken or no
 * thread can be started. */
bool pv_jobs_submit(struct pv_jobs *j, void (*fn)(void *ctx, bool started), void *ctx);

/* Wait until every submitted job has returned (waiting ones are run at
 * once with started = false), then free j. */
void pv_jobs_destroy(struct pv_jobs *j);

#endif
