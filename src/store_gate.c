/* store_gate.c - the store's write gate: one writer at a time among a
 * process's connections, in arrival order, in a bounded line, and a bound
 * on how many imports parse at once (see store.h and store_gate.h). */
#include "store_gate.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* One writer at a time, first come first served: a waiter is a node on the
 * gate's list, granted the turn by the writer that leaves.  A waiter with
 * a deadline takes itself off the list when it passes. */
struct waiter {
    struct waiter *next;
    bool granted;
};

struct pv_store_gate {
    pthread_mutex_t lock;
    pthread_cond_t turn;
    struct pv_store_gate_limits lim;
    unsigned parsing;
    bool writing;
    struct waiter *head, *tail;
    unsigned queued;
    double parse_ms, write_ms;  /* moving averages: what Retry-After says */
};

pv_code pv_store_gate_create(const struct pv_store_gate_limits *lim, struct pv_store_gate **out,
                             pv_err *err)
{
    if (lim->max_parsing < 1)
        return pv_err_set(err, PV_E_USAGE, "max_parsing must be at least 1, not 0");
    struct pv_store_gate *g = calloc(1, sizeof *g);
    if (!g)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    if (pthread_mutex_init(&g->lock, NULL))
        goto free_gate;
    if (pthread_cond_init(&g->turn, NULL))
        goto destroy_lock;
    g->lim = *lim;
    *out = g;
    return PV_OK;

destroy_lock:
    pthread_mutex_destroy(&g->lock);
free_gate:
    free(g);
    return pv_err_set(err, PV_E_NOMEM, "cannot create the write gate's lock");
}

void pv_store_gate_destroy(struct pv_store_gate *g)
{
    if (!g)
        return;
    assert(!g->writing && !g->head && !g->parsing);
    pthread_cond_destroy(&g->turn);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* Seconds, at least 1 and at most 60, from milliseconds. */
static unsigned whole_seconds(double ms)
{
    return ms < 1000 ? 1 : ms > 60000 ? 60 : (unsigned)ceil(ms / 1000);
}

static void average(double *avg, double ms)
{
    *avg = *avg > 0 ? 0.7 * *avg + 0.3 * ms : ms;
}

pv_code pv_store_gate_parse_enter(struct pv_store_gate *g, unsigned *retry_after_s,
                                  pv_err *err)
{
    if (!g)
        return PV_OK;
    pthread_mutex_lock(&g->lock);
    bool full = g->parsing >= g->lim.max_parsing;
    if (full)
        *retry_after_s = whole_seconds(g->parse_ms);
    else
        g->parsing++;
    pthread_mutex_unlock(&g->lock);
    if (full)
        return pv_err_set(err, PV_E_BUSY, "busy: %u uploads are being read already; try again in "
                          "%u s", g->lim.max_parsing, *retry_after_s);
    return PV_OK;
}

void pv_store_gate_parse_leave(struct pv_store_gate *g, double elapsed_ms)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->parsing--;
    average(&g->parse_ms, elapsed_ms);
    pthread_mutex_unlock(&g->lock);
}

pv_code pv_store_gate_write_enter(struct pv_store_gate *g, unsigned wait_ms,
                                  unsigned *retry_after_s, pv_err *err)
{
    if (!g)
        return PV_OK;
    pthread_mutex_lock(&g->lock);
    if (!g->writing) {
        g->writing = true;
        pthread_mutex_unlock(&g->lock);
        return PV_OK;
    }
    if (g->queued >= g->lim.max_queued_writes) {
        *retry_after_s = whole_seconds((g->queued + 1) * g->write_ms);
        pthread_mutex_unlock(&g->lock);
        return pv_err_set(err, PV_E_BUSY, "busy: %u uploads or deletes are waiting to be written "
                          "already; try again in %u s", g->lim.max_queued_writes,
                          *retry_after_s);
    }
    struct waiter w = {0};
    if (g->tail)
        g->tail->next = &w;
    else
        g->head = &w;
    g->tail = &w;
    g->queued++;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline); /* pthread_cond_timedwait's clock */
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    bool timed_out = false;
    while (!w.granted && !timed_out)
        timed_out = wait_ms ? pthread_cond_timedwait(&g->turn, &g->lock, &deadline) == ETIMEDOUT
                            : pthread_cond_wait(&g->turn, &g->lock) != 0;
    if (!w.granted) {
        /* off the line: find the node before ours */
        struct waiter **at = &g->head, *prev = NULL;
        while (*at != &w) {
            prev = *at;
            at = &(*at)->next;
        }
        *at = w.next;
        if (g->tail == &w)
            g->tail = prev;
        g->queued--;
        *retry_after_s = whole_seconds((g->queued + 1) * g->write_ms);
        pthread_mutex_unlock(&g->lock);
        return pv_err_set(err, PV_E_BUSY, "busy: the write queue did not move for %u ms; try "
                          "again in %u s", wait_ms, *retry_after_s);
    }
    pthread_mutex_unlock(&g->lock);
    return PV_OK;
}

void pv_store_gate_write_leave(struct pv_store_gate *g, double elapsed_ms)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    assert(g->writing);
    average(&g->write_ms, elapsed_ms);
    struct waiter *w = g->head;
    if (w) {
        g->head = w->next;
        if (!g->head)
            g->tail = NULL;
        g->queued--;
        w->granted = true; /* g->writing stays true: the turn passes on */
        pthread_cond_broadcast(&g->turn);
    } else
        g->writing = false;
    pthread_mutex_unlock(&g->lock);
}

void pv_store_gate_peek(struct pv_store_gate *g, struct pv_store_gate_load *out)
{
    pthread_mutex_lock(&g->lock);
    *out = (struct pv_store_gate_load){.parsing = g->parsing, .writing = g->writing,
                                       .queued = g->queued};
    pthread_mutex_unlock(&g->lock);
}
