/* deadline.h - header deadlines: a request's headers must be complete
 * within a fixed time of the connection's accept (or, on a kept-alive
 * connection, of the end of the request before), however slowly the bytes
 * trickle in.  libmicrohttpd's own timeout restarts on every byte it
 * reads, so a client sending one byte every few seconds keeps a connection
 * forever, and a thousand such clients fill the server; this module ends
 * them.
 *
 * One thread sweeps the watched sockets several times per timeout and
 * shuts down (shutdown(2), never close(2): the descriptor stays its
 * owner's) those past their deadline.  The owner then reads end-of-file
 * and closes the socket as it closes any other.  The module knows nothing
 * of HTTP: its caller says when a request's headers are complete (hold)
 * and when the request is done (restart). */
#ifndef PV_DEADLINE_H
#define PV_DEADLINE_H

#include "pv.h"

struct pv_deadline;      /* the sweeper thread and the sockets it watches */
struct pv_deadline_sock; /* one watched socket */

/* Told on the sweeper thread about each socket it shut down: the label
 * last given to pv_deadline_label (NULL if none) and the milliseconds since
 * its deadline started.  Called without the module's lock held; must not
 * call back into the module. */
typedef void pv_deadline_expired_fn(void *cls, const char *label, double waited_ms);

/* Start the sweeper.  expired may be NULL.  On success *out is yours
 * (pv_deadline_destroy); on failure *out is untouched. */
pv_code pv_deadline_create(unsigned timeout_ms, pv_deadline_expired_fn *expired, void *cls,
                           struct pv_deadline **out, pv_err *err);

/* Stop the sweeper and free it with whatever is still watched (the sockets
 * themselves are left alone).  NULL does nothing. */
void pv_deadline_destroy(struct pv_deadline *d);

/* Watch fd from now: its first request's headers are due within the
 * timeout.  NULL when out of memory; fd is then not watched.  The result
 * is valid until pv_deadline_forget. */
struct pv_deadline_sock *pv_deadline_watch(struct pv_deadline *d, int fd);

/* Stop watching and free s.  Call it before fd is closed: the sweeper may
 * otherwise shut down a new socket that reuses the number.  NULL does
 * nothing. */
void pv_deadline_forget(struct pv_deadline *d, struct pv_deadline_sock *s);

/* The headers are complete: no deadline until pv_deadline_restart. */
void pv_deadline_hold(struct pv_deadline *d, struct pv_deadline_sock *s);

/* The request is done: the next request's headers are due within the
 * timeout from now.  Clears the label. */
void pv_deadline_restart(struct pv_deadline *d, struct pv_deadline_sock *s);

/* Name the pending request for the expired callback (a copy is kept, cut
 * at 200 bytes). */
void pv_deadline_label(struct pv_deadline *d, struct pv_deadline_sock *s, const char *label);

/* Sockets watched now (for tests and the log). */
unsigned pv_deadline_count(struct pv_deadline *d);

#endif
