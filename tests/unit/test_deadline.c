/* Unit tests of header deadlines: socket pairs stand for connections; the
 * watched end is shut down, or not, and the other end reads end-of-file,
 * or not.  The timeout is 200 ms, so the whole table runs in about a
 * second; bounds below the timeout are exact (a monotonic clock), bounds
 * above it are generous for a loaded machine. */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "deadline.h"

enum { TIMEOUT_MS = 200, GIVE_UP_MS = 5000 };

enum how {
    UNTOUCHED,          /* watched, nothing more */
    HELD,               /* headers complete at once */
    HELD_THEN_RESTART,  /* headers complete, request done after TIMEOUT_MS/2 */
    FORGOTTEN,          /* closed by its owner at once */
};

struct row {
    const char *name;
    enum how how;
    const char *label;
    bool shut; /* expected: the other end reads end-of-file */
};

static const struct row rows[] = {
    {"untouched_socket_is_shut_down_after_the_timeout", UNTOUCHED, NULL, true},
    {"labelled_socket_is_shut_down_after_the_timeout", UNTOUCHED, "/api/slow", true},
    {"socket_with_complete_headers_is_kept", HELD, NULL, false},
    {"restart_gives_the_next_request_a_whole_timeout", HELD_THEN_RESTART, "/restart", true},
    {"forgotten_socket_is_left_alone", FORGOTTEN, NULL, false},
};
enum { NROWS = sizeof rows / sizeof rows[0] };

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static int seen_unlabelled, seen_slow, seen_restart, seen_other;
static double seen_min_waited_ms = 1e9;

static void on_expired(void *cls, const char *label, double waited_ms)
{
    pthread_mutex_lock(&seen_lock);
    if (!label)
        seen_unlabelled++;
    else if (!strcmp(label, "/api/slow"))
        seen_slow++;
    else if (!strcmp(label, "/restart"))
        seen_restart++;
    else
        seen_other++;
    if (waited_ms < seen_min_waited_ms)
        seen_min_waited_ms = waited_ms;
    pthread_mutex_unlock(&seen_lock);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static bool reads_eof(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

int main(void)
{
    struct pv_deadline *d = NULL;
    pv_err err = {0};
    CHECK(pv_deadline_create(0, NULL, NULL, &d, &err) == PV_E_USAGE && !d,
          "zero_timeout_is_a_usage_error", "%s", err.msg);
    if (pv_deadline_create(TIMEOUT_MS, on_expired, NULL, &d, &err) != PV_OK) {
        printf("FAIL create: %s\n", err.msg);
        return 1;
    }

    int pair[NROWS][2];
    struct pv_deadline_sock *sock[NROWS];
    double eof_at[NROWS], restarted_at = 0;
    double t0 = now_ms();
    for (int i = 0; i < NROWS; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair[i])) {
            printf("FAIL socketpair\n");
            return 1;
        }
        eof_at[i] = -1;
        sock[i] = pv_deadline_watch(d, pair[i][0]);
        CHECK(sock[i] != NULL, rows[i].name, "watch failed");
        if (rows[i].label)
            pv_deadline_label(d, sock[i], rows[i].label);
        if (rows[i].how == HELD || rows[i].how == HELD_THEN_RESTART)
            pv_deadline_hold(d, sock[i]);
        if (rows[i].how == FORGOTTEN) {
            pv_deadline_forget(d, sock[i]);
            sock[i] = NULL;
        }
    }
    CHECK(pv_deadline_count(d) == NROWS - 1, "count_follows_watch_and_forget", "%u watched",
          pv_deadline_count(d));

    /* Watch the other ends until every expected end-of-file has come and
     * four timeouts have passed, or GIVE_UP_MS. */
    for (;;) {
        double t = now_ms() - t0;
        if (!restarted_at && t >= TIMEOUT_MS / 2.0)
            for (int i = 0; i < NROWS; i++)
                if (rows[i].how == HELD_THEN_RESTART) {
                    restarted_at = now_ms() - t0;
                    pv_deadline_restart(d, sock[i]);
                    /* the label belongs to the request just done */
                    pv_deadline_label(d, sock[i], "/restart");
                }
        bool waiting = false;
        for (int i = 0; i < NROWS; i++) {
            if (eof_at[i] < 0 && reads_eof(pair[i][1]))
                eof_at[i] = now_ms() - t0;
            waiting |= rows[i].shut && eof_at[i] < 0;
        }
        if ((!waiting && t > 4 * TIMEOUT_MS) || t > GIVE_UP_MS)
            break;
        usleep(5000);
    }

    for (int i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        double not_before = r->how == HELD_THEN_RESTART ? restarted_at + TIMEOUT_MS : TIMEOUT_MS;
        if (r->shut)
            CHECK(eof_at[i] >= not_before, r->name,
                  "end-of-file at %.0f ms, expected at or after %.0f ms", eof_at[i], not_before);
        else
            CHECK(eof_at[i] < 0, r->name, "end-of-file at %.0f ms, expected none", eof_at[i]);
    }
    pthread_mutex_lock(&seen_lock);
    CHECK(seen_unlabelled == 1 && seen_slow == 1 && seen_restart == 1 && !seen_other,
          "each_expiry_is_reported_once_with_its_label",
          "unlabelled %d, /api/slow %d, /restart %d, other %d", seen_unlabelled, seen_slow,
          seen_restart, seen_other);
    CHECK(seen_min_waited_ms >= TIMEOUT_MS, "reported_wait_is_at_least_the_timeout", "%.1f ms",
          seen_min_waited_ms);
    pthread_mutex_unlock(&seen_lock);

    /* destroy frees what is still watched; the sockets stay the caller's */
    pv_deadline_destroy(d);
    pv_deadline_destroy(NULL);
    for (int i = 0; i < NROWS; i++) {
        close(pair[i][0]);
        close(pair[i][1]);
    }
    return check_done();
}
