/* The write gate (store.h): connections that share it write one at a
 * time, in the order they asked; a full line answers PV_E_BUSY at once;
 * a delete that waits too long leaves the line without breaking it, even
 * from its middle.  Each thread has its own connection, as in the server.
 * Every import sleeps inside its transaction (PSTATSVIZ_TEST_IMPORT_FAULT,
 * set while no other thread runs), so the order is in our hands: the next
 * thread starts only when the gate shows the last one in line.
 *
 * usage: test_store_gate DIR   (DIR: a scratch folder for databases) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "marshal_writer.h"
#include "import.h"
#include "store.h"

/* How long each import holds the write turn: the window in which the next
 * thread must open its connection, parse and get in line.  300 ms was
 * missed now and then under ThreadSanitizer at load averages of 10 on two
 * cores (four_writers_line_up).  More than the delete's wait where a
 * delete must give up while the writer before it still writes. */
enum { IMPORT_SLEEP_MS = 1000, LONG_IMPORT_SLEEP_MS = PV_STORE_DELETE_WAIT_MS + 500 };

static const char *db_path;
static struct pv_store_gate *gate;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A one-function stats file; tag makes its bytes, and so its id, its own. */
static void tiny_profile(struct w *w, int tag)
{
    char file[32];
    snprintf(file, sizeof file, "gate_%d.py", tag);
    w->n = 0;
    byte(w, '{');
    key(w, file, 1, "f");
    stats(w, 1, 1, 0.001, 0.001);
    byte(w, '0');
    byte(w, '0');
}

struct job {
    bool delete;
    int tag;                        /* import: the profile's tag */
    const char *id, *token;         /* delete */
    pv_code rc;
    pv_err err;
    double done_ms;
    char stored_id[PV_STORE_ID_HEX + 1];
    char stored_token[PV_STORE_TOKEN_HEX + 1];
    pthread_t thread;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    struct pv_store *s = NULL;
    if ((j->rc = pv_store_open(db_path, &s, &j->err)))
        return NULL;
    pv_store_set_gate(s, gate);
    if (j->delete)
        j->rc = pv_store_delete(s, j->id, j->token, &j->err);
    else {
        struct w w;
        struct pv_store_record res;
        tiny_profile(&w, j->tag);
        j->rc = pv_import_bytes(s, w.b, w.n, "gate.prof", NULL, &res, &j->err);
        if (!j->rc) {
            memcpy(j->stored_id, res.id, sizeof j->stored_id);
            memcpy(j->stored_token, res.delete_token, sizeof j->stored_token);
            free(res.name);
        }
    }
    j->done_ms = now_ms();
    pv_store_close(s);
    return NULL;
}

/* Start j, and wait until the gate shows it writing (queued == 0) or
 * waiting as the queued'th in line. */
static bool start_and_wait(struct job *j, unsigned queued)
{
    if (pthread_create(&j->thread, NULL, run_job, j))
        return false;
    double deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
        struct pv_store_gate_load load;
        pv_store_gate_peek(gate, &load);
        if (load.writing && load.queued == queued)
            return true;
        usleep(2000);
    }
    return false;
}

/* Only while no other thread runs: setenv is not thread-safe. */
static void set_import_sleep(int ms)
{
    char fault[32];
    snprintf(fault, sizeof fault, "sleep:%d", ms);
    setenv("PSTATSVIZ_TEST_IMPORT_FAULT", fault, 1);
}

static void make_gate(unsigned max_queued)
{
    pv_err err;
    struct pv_store_gate_limits lim = {.max_parsing = 8, .max_queued_writes = max_queued};
    if (pv_store_gate_create(&lim, &gate, &err)) {
        printf("FAIL gate: %s\n", err.msg);
        exit(1);
    }
}

static void writes_go_one_at_a_time_in_arrival_order(void)
{
    make_gate(8);
    struct job jobs[4] = {{.tag = 1}, {.tag = 2}, {.tag = 3}, {.tag = 4}};
    bool lined_up = true;
    for (unsigned k = 0; k < 4; k++)
        lined_up &= start_and_wait(&jobs[k], k);
    for (int k = 0; k < 4; k++)
        pthread_join(jobs[k].thread, NULL);
    CHECK(lined_up, "four_writers_line_up", "the gate never showed them in line");
    for (int k = 0; k < 4; k++)
        CHECK(jobs[k].rc == PV_OK, "each_writer_stores", "writer %d: %s", k, jobs[k].err.msg);
    for (int k = 1; k < 4; k++)
        CHECK(jobs[k].done_ms - jobs[k - 1].done_ms >= IMPORT_SLEEP_MS * 0.9,
              "each_writes_after_the_one_before", "writer %d done %.0f ms after %d", k,
              jobs[k].done_ms - jobs[k - 1].done_ms, k - 1);
    struct pv_store_gate_load load;
    pv_store_gate_peek(gate, &load);
    CHECK(!load.writing && !load.queued && !load.parsing, "the_gate_is_empty_after", "%d %u %u",
          load.writing, load.queued, load.parsing);
    pv_store_gate_destroy(gate);
}

static void a_full_line_is_busy_at_once(void)
{
    make_gate(1);
    struct job writing = {.tag = 11}, waiting = {.tag = 12}, late = {.tag = 13};
    bool lined_up = start_and_wait(&writing, 0) && start_and_wait(&waiting, 1);
    run_job(&late);
    pthread_join(writing.thread, NULL);
    pthread_join(waiting.thread, NULL);
    CHECK(lined_up, "one_writes_one_waits", "the gate never showed them in line");
    /* "At once" as an order of events, not a number of milliseconds: the
     * answer came while the first writer still held its turn, so it did
     * not wait for a place in line to free. */
    CHECK(late.rc == PV_E_BUSY && strstr(late.err.msg, "waiting to be written") &&
              late.done_ms < writing.done_ms,
          "one_more_is_busy_at_once", "code %d, %.0f ms after the writer was done: %s", late.rc,
          late.done_ms - writing.done_ms, late.err.msg);
    CHECK(writing.rc == PV_OK && waiting.rc == PV_OK, "the_two_in_line_store", "%s / %s",
          writing.err.msg, waiting.err.msg);
    pv_store_gate_destroy(gate);
}

/* The delete gives up after PV_STORE_DELETE_WAIT_MS while the first
 * writer still writes, so from the middle of the line: one waits before
 * it, one behind it, and both still get their turn. */
static void a_delete_that_gives_up_leaves_the_line_whole(void)
{
    make_gate(8);
    struct job victim = {.tag = 20};
    run_job(&victim);
    set_import_sleep(LONG_IMPORT_SLEEP_MS);
    struct job ahead[2] = {{.tag = 21}, {.tag = 22}}, behind = {.tag = 23};
    struct job del = {.delete = true, .id = victim.stored_id, .token = victim.stored_token};
    bool lined_up = victim.rc == PV_OK && start_and_wait(&ahead[0], 0) &&
                    start_and_wait(&ahead[1], 1);
    double t0 = now_ms();
    lined_up = lined_up && start_and_wait(&del, 2) && start_and_wait(&behind, 3);
    pthread_join(ahead[0].thread, NULL);
    pthread_join(ahead[1].thread, NULL);
    pthread_join(del.thread, NULL);
    pthread_join(behind.thread, NULL);
    double waited = del.done_ms - t0;
    CHECK(lined_up, "two_writers_a_delete_and_a_writer_line_up", "the gate never showed them");
    CHECK(del.rc == PV_E_BUSY && strstr(del.err.msg, "did not move") &&
              waited >= PV_STORE_DELETE_WAIT_MS * 0.95 && del.done_ms < ahead[0].done_ms,
          "the_delete_gives_up_in_the_middle_of_the_line", "code %d after %.0f ms: %s", del.rc,
          waited, del.err.msg);
    CHECK(ahead[1].rc == PV_OK && ahead[1].done_ms > ahead[0].done_ms,
          "the_one_before_it_still_writes", "code %d: %s", ahead[1].rc, ahead[1].err.msg);
    CHECK(behind.rc == PV_OK && behind.done_ms > ahead[1].done_ms, "the_one_behind_it_still_writes",
          "code %d: %s", behind.rc, behind.err.msg);
    struct pv_store *s = NULL;
    struct pv_store_record res;
    pv_err err;
    bool kept = !pv_store_open(db_path, &s, &err) && !pv_store_find(s, victim.stored_id, &res, &err);
    if (kept)
        free(res.name);
    pv_store_close(s);
    CHECK(kept, "the_refused_delete_deleted_nothing", "%s", err.msg);
    struct pv_store_gate_load load;
    pv_store_gate_peek(gate, &load);
    CHECK(!load.writing && !load.queued, "the_line_is_empty_after", "%d %u", load.writing,
          load.queued);
    pv_store_gate_destroy(gate);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_store_gate DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/store_gate_%d.db", argv[1], (int)getpid());
    db_path = path;
    set_import_sleep(IMPORT_SLEEP_MS);
    writes_go_one_at_a_time_in_arrival_order();
    a_full_line_is_busy_at_once();
    a_delete_that_gives_up_leaves_the_line_whole();
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return check_done();
}
