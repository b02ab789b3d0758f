/* deadline.c - header deadlines (see deadline.h).
 *
 * The watched sockets are one doubly linked list under one mutex; the
 * sweeper walks all of it on every tick.  A server holds at most
 * --max-connections sockets (1,000 by default), so a walk is a few
 * microseconds, and a list with no order to keep makes hold and restart
 * O(1). */
#include "deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum {
    LABEL_BYTES = 201,
    /* The sweeper reports at most this many expiries per pass, outside the
     * lock; the rest wait for the next pass, which then comes at once. */
    BATCH = 32,
};

struct pv_deadline_sock {
    struct pv_deadline_sock *prev, *next;
    int fd;
    uint64_t since_ns;   /* accept, or the end of the request before */
    bool held;           /* headers complete: no deadline */
    bool expired;        /* shut down already: never twice */
    char label[LABEL_BYTES];
};

struct pv_deadline {
    pthread_mutex_t lock;
    pthread_cond_t wake;   /* on CLOCK_MONOTONIC: destroy signals it */
    pthread_t thread;
    bool stopping;
    uint64_t timeout_ns, tick_ns;
    struct pv_deadline_sock *head;
    unsigned count;
    pv_deadline_expired_fn *expired;
    void *cls;
};

struct expiry {
    char label[LABEL_BYTES];
    bool labelled;
    double waited_ms;
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Shut down the sockets past their deadline, up to BATCH of them, noting
 * each in out.  Returns how many; *more when some were left for later. */
static size_t sweep_locked(struct pv_deadline *d, uint64_t now, struct expiry *out, bool *more)
{
    size_t n = 0;
    *more = false;
    for (struct pv_deadline_sock *s = d->head; s; s = s->next) {
        if (s->held || s->expired || now - s->since_ns < d->timeout_ns)
            continue;
        if (n == BATCH) {
            *more = true;
            break;
        }
        /* SHUT_RD makes the owner's next read return end-of-file, so it
         * closes the socket on its own thread; SHUT_WR tells the client. */
        shutdown(s->fd, SHUT_RDWR);
        s->expired = true;
        out[n].labelled = s->label[0] != '\0';
        memcpy(out[n].label, s->label, sizeof out[n].label);
        out[n].waited_ms = (double)(now - s->since_ns) / 1e6;
        n++;
    }
    return n;
}

static void *sweeper(void *arg)
{
    struct pv_deadline *d = arg;
    struct expiry batch[BATCH];
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        bool more = false;
        size_t n = sweep_locked(d, now_ns(), batch, &more);
        if (n && d->expired) {
            /* The callback logs; a slow stderr must not stall the server
             * threads that wait for this lock on every accept and close. */
            pthread_mutex_unlock(&d->lock);
            for (size_t i = 0; i < n; i++)
                d->expired(d->cls, batch[i].labelled ? batch[i].label : NULL, batch[i].waited_ms);
            pthread_mutex_lock(&d->lock);
        }
        if (more)
            continue;
        uint64_t at = now_ns() + d->tick_ns;
        struct timespec ts = {.tv_sec = (time_t)(at / 1000000000u),
                              .tv_nsec = (long)(at % 1000000000u)};
        while (!d->stopping && pthread_cond_timedwait(&d->wake, &d->lock, &ts) != ETIMEDOUT)
            ; /* spurious wake-ups wait again; a stop ends the loop */
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

pv_code pv_deadline_create(unsigned timeout_ms, pv_deadline_expired_fn *expired, void *cls,
                           struct pv_deadline **out, pv_err *err)
{
    if (!timeout_ms)
        return pv_err_set(err, PV_E_USAGE, "header timeout: 0 ms (at least 1 ms)");
    struct pv_deadline *d = calloc(1, sizeof *d);
    if (!d)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    d->timeout_ns = (uint64_t)timeout_ms * 1000000u;
    /* Eight passes per timeout: a deadline is met to within 1/8 of it,
     * and an idle server wakes at most 100 times a second. */
    d->tick_ns = d->timeout_ns / 8;
    if (d->tick_ns < 10000000u)
        d->tick_ns = 10000000u;
    if (d->tick_ns > 250000000u)
        d->tick_ns = 250000000u;
    d->expired = expired;
    d->cls = cls;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca))
        goto free_deadline;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&d->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (rc)
        goto free_deadline;
    pthread_mutex_init(&d->lock, NULL);
    if (pthread_create(&d->thread, NULL, sweeper, d))
        goto destroy_lock_and_wake;
    *out = d;
    return PV_OK;

destroy_lock_and_wake:
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
free_deadline:
    free(d);
    return pv_err_set(err, PV_E_NOMEM, "cannot start the header-deadline thread");
}

void pv_deadline_destroy(struct pv_deadline *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    while (d->head) {
        struct pv_deadline_sock *s = d->head;
        d->head = s->next;
        free(s);
    }
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

struct pv_deadline_sock *pv_deadline_watch(struct pv_deadline *d, int fd)
{
    struct pv_deadline_sock *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->since_ns = now_ns();
    pthread_mutex_lock(&d->lock);
    s->next = d->head;
    if (d->head)
        d->head->prev = s;
    d->head = s;
    d->count++;
    pthread_mutex_unlock(&d->lock);
    return s;
}

void pv_deadline_forget(struct pv_deadline *d, struct pv_deadline_sock *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&d->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        d->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    d->count--;
    pthread_mutex_unlock(&d->lock);
    free(s);
}

void pv_deadline_hold(struct pv_deadline *d, struct pv_deadline_sock *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&d->lock);
    s->held = true;
    pthread_mutex_unlock(&d->lock);
}

void pv_deadline_restart(struct pv_deadline *d, struct pv_deadline_sock *s)
{
    if (!s)
        return;
    uint64_t now = now_ns();
    pthread_mutex_lock(&d->lock);
    s->held = false;
    s->since_ns = now;
    s->label[0] = '\0';
    pthread_mutex_unlock(&d->lock);
}

void pv_deadline_label(struct pv_deadline *d, struct pv_deadline_sock *s, const char *label)
{
    if (!s)
        return;
    pthread_mutex_lock(&d->lock);
    snprintf(s->label, sizeof s->label, "%s", label ? label : "");
    pthread_mutex_unlock(&d->lock);
}

unsigned pv_deadline_count(struct pv_deadline *d)
{
    pthread_mutex_lock(&d->lock);
    unsigned n = d->count;
    pthread_mutex_unlock(&d->lock);
    return n;
}
