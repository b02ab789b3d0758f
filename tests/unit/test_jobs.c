/* Unit tests of the heavy-job slots: at most `slots` run at once, at most
 * `waiting` more wait, each for at most max_wait_ms; destroy waits for all.
 * Timings are generous: these check order, not speed. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "jobs.h"

struct probe {
    atomic_int running, most, started, refused, finished;
    int hold_ms;
};

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000},
              NULL);
}

static void job(void *ctx, bool started)
{
    struct probe *p = ctx;
    if (started) {
        int now = atomic_fetch_add(&p->running, 1) + 1;
        int most = atomic_load(&p->most);
        while (now > most && !atomic_compare_exchange_weak(&p->most, &most, now))
            ;
        atomic_fetch_add(&p->started, 1);
        sleep_ms(p->hold_ms);
        atomic_fetch_sub(&p->running, 1);
    } else
        atomic_fetch_add(&p->refused, 1);
    atomic_fetch_add(&p->finished, 1);
}

static void slots_bound_the_jobs_running(void)
{
    struct pv_jobs *j;
    pv_err err;
    struct pv_jobs_config cfg = {.slots = 2, .waiting = 4, .max_wait_ms = 10000};
    struct probe p = {.hold_ms = 100};
    if (pv_jobs_create(&cfg, &j, &err)) {
        CHECK(false, "jobs_are_created", "%s", err.msg);
        return;
    }
    int accepted = 0;
    for (int i = 0; i < 8; i++)
        accepted += pv_jobs_submit(j, job, &p);
    CHECK(accepted == 6, "slots_and_waiting_places_take_six_of_eight", "%d accepted", accepted);
    for (int waited = 0; atomic_load(&p.finished) < 6 && waited < 10000; waited += 10)
        sleep_ms(10);
    pv_jobs_destroy(j);
    CHECK(atomic_load(&p.finished) == 6 && atomic_load(&p.started) == 6,
          "every_accepted_job_runs_in_turn", "%d finished, %d started", atomic_load(&p.finished),
          atomic_load(&p.started));
    CHECK(atomic_load(&p.most) == 2, "no_more_than_two_run_at_once", "%d at once",
          atomic_load(&p.most));
}

static void a_job_waits_no_longer_than_its_bound(void)
{
    struct pv_jobs *j;
    pv_err err;
    struct pv_jobs_config cfg = {.slots = 1, .waiting = 1, .max_wait_ms = 50};
    struct probe p = {.hold_ms = 1000};
    if (pv_jobs_create(&cfg, &j, &err))
        return;
    pv_jobs_submit(j, job, &p);
    sleep_ms(100); /* the first holds the slot */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pv_jobs_submit(j, job, &p);
    while (atomic_load(&p.refused) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 5)
            break;
        sleep_ms(5);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(atomic_load(&p.refused) == 1 && waited < 0.9, "a_waiting_job_gives_up_after_its_bound",
          "refused %d after %.3fs", atomic_load(&p.refused), waited);
    pv_jobs_destroy(j);
    CHECK(atomic_load(&p.started) == 1, "the_holder_ran", "%d", atomic_load(&p.started));
}

static void destroy_sends_the_waiting_away(void)
{
    struct pv_jobs *j;
    pv_err err;
    struct pv_jobs_config cfg = {.slots = 1, .waiting = 3, .max_wait_ms = 60000};
    struct probe p = {.hold_ms = 200};
    if (pv_jobs_create(&cfg, &j, &err))
        return;
    for (int i = 0; i < 4; i++)
        pv_jobs_submit(j, job, &p);
    sleep_ms(50);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pv_jobs_destroy(j);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(atomic_load(&p.refused) == 3 && t1.tv_sec - t0.tv_sec < 5,
          "destroy_does_not_wait_out_the_waiting", "%d refused", atomic_load(&p.refused));
}

int main(void)
{
    slots_bound_the_jobs_running();
    a_job_waits_no_longer_than_its_bound();
    destroy_sends_the_waiting_away();
    return check_done();
}
