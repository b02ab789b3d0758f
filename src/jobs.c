/* jobs.c - heavy work off the pool threads (see jobs.h).
 *
 * One detached thread per job: a waiting job is a thread blocked on a
 * condition variable with its own deadline, which makes "wait at most
 * max_wait_ms" exact without a timer thread.  Threads cost address space
 * while they wait, and there are at most slots + waiting of them. */
#include "jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct pv_jobs {
    struct pv_jobs_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot freed, or a thread ended */
    unsigned running, waiting, threads;
    bool stopping;          /* destroy: waiting jobs give up at once */
};

struct job {
    struct pv_jobs *j;
    void (*fn)(void *ctx, bool started);
    void *ctx;
};

pv_code pv_jobs_create(const struct pv_jobs_config *cfg, struct pv_jobs **out, pv_err *err)
{
    struct pv_jobs *j = calloc(1, sizeof *j);
    if (!j)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    j->cfg = *cfg;
    if (j->cfg.slots < 1)
        j->cfg.slots = 1;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* deadlines must not move with the wall clock */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&j->changed, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&j->lock, NULL);
    *out = j;
    return PV_OK;
}

static void *run(void *arg)
{
    struct job job = *(struct job *)arg;
    struct pv_jobs *j = job.j;
    free(arg);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += j->cfg.max_wait_ms / 1000;
    deadline.tv_nsec += (long)(j->cfg.max_wait_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&j->lock);
    int rc = 0;
    while (j->running >= j->cfg.slots && rc != ETIMEDOUT && !j->stopping)
        rc = pthread_cond_timedwait(&j->changed, &j->lock, &deadline);
    bool started = j->running < j->cfg.slots && !j->stopping;
    j->waiting--;
    j->running += started;
    pthread_mutex_unlock(&j->lock);

    job.fn(job.ctx, started);

    pthread_mutex_lock(&j->lock);
    j->running -= started;
    j->threads--;
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

bool pv_jobs_submit(struct pv_jobs *j, void (*fn)(void *ctx, bool started), void *ctx)
{
    struct job *job = malloc(sizeof *job);
    if (!job)
        return false;
    *job = (struct job){j, fn, ctx};
    pthread_mutex_lock(&j->lock);
    if (j->running + j->waiting >= j->cfg.slots + j->cfg.waiting) {
        pthread_mutex_unlock(&j->lock);
        free(job);
        return false;
    }
    j->waiting++;
    j->threads++;
    pthread_mutex_unlock(&j->lock);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool ok = pthread_create(&t, &attr, run, job) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        pthread_mutex_lock(&j->lock);
        j->waiting--;
        j->threads--;
        pthread_cond_broadcast(&j->changed);
        pthread_mutex_unlock(&j->lock);
        free(job);
    }
    return ok;
}

void pv_jobs_destroy(struct pv_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = true;
    pthread_cond_broadcast(&j->changed);
    while (j->threads)
        pthread_cond_wait(&j->changed, &j->lock);
    pthread_mutex_unlock(&j->lock);
    pthread_cond_destroy(&j->changed);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
