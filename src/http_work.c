/* http_work.c - the http module's work off the pool threads: heavy
 * requests as jobs, and uploads, while their connections are suspended
 * (see http_private.h).
 *
 * Requests the api module judges heavy (big trees, stack exports, loading a
 * big profile) run as jobs (jobs.h) off the pool threads, so /healthz and
 * small answers keep flowing; past the jobs' slots and waiting places they
 * get 503 with Retry-After.  Their work stops when the client hangs up.
 * An upload is parsed and stored on a thread of its own.  Either way the
 * connection is resumed when the work is done, and http.c sends the answer
 * on the pool; the server's close waits for every suspended connection. */
#include "http_private.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "upload.h"
#include "vec.h"

/* ---- heavy requests, as jobs -------------------------------------------- */

enum { BUSY_RETRY_AFTER_S = 5 };

/* A hang-up shows as POLLRDHUP (the peer's FIN) or POLLHUP/POLLERR (a
 * reset); unread bytes alone (a pipelined request) are not one. */
bool pv_http_client_gone(void *ctx)
{
    const struct req *r = ctx;
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN | POLLRDHUP};
    return r->fd >= 0 && poll(&pfd, 1, 0) > 0 &&
           (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static const char *copied_arg(void *ctx, const char *name)
{
    const struct req *r = ctx;
    for (size_t i = 0; i < r->nargs; i++)
        if (!strcmp(r->args[i].key, name))
            return r->args[i].value;
    return NULL;
}

static enum MHD_Result copy_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    struct req *r = cls;
    if (!pv_vec_reserve((void **)&r->args, &r->args_cap, r->nargs + 1, sizeof *r->args))
        return MHD_NO;
    struct arg_copy *a = r->args;
    a[r->nargs] = (struct arg_copy){strdup(key), value ? strdup(value) : NULL};
    if (!a[r->nargs].key || (value && !a[r->nargs].value)) {
        free(a[r->nargs].key);
        free(a[r->nargs].value);
        return MHD_NO;
    }
    r->nargs++;
    return MHD_YES;
}

/* Copy the query into r, for a thread that may not read the connection;
 * false on out-of-memory. */
static bool copy_args(struct req *r, struct MHD_Connection *conn)
{
    /* copy_arg stops at the first allocation that fails: then fewer */
    int nargs = MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, copy_arg, r);
    return nargs >= 0 && r->nargs == (size_t)nargs;
}

/* The work of r, on a thread of its own, is done and r->res holds the
 * answer: a pool thread sends it once the connection is resumed.  The
 * answer is owed until then (pv_http_close waits for it). */
static void resume_with_answer(struct req *r)
{
    struct pv_http *h = r->http; /* r is the pool's again once resumed */
    r->owes_answer = true;
    h->answers_owed++;
    MHD_resume_connection(r->conn);
    pv_api_thread_done(h->api);
    h->suspended--;
}

static void run_job(void *ctx, bool started)
{
    struct req *r = ctx;
    if (!started)
        pv_api_busy(&r->res, "the server is busy with other large requests: try again shortly",
                    BUSY_RETRY_AFTER_S);
    else if (pv_http_client_gone(r))
        pv_api_busy(&r->res, "the client has gone", 0); /* nobody will read it */
    else {
        struct pv_request req = {.method = r->method, .path = r->path, .arg = copied_arg,
                                 .ctx = r, .gone = pv_http_client_gone, .gone_ctx = r};
        pv_api_handle(r->http->api, &req, &r->res);
        /* write small answers here rather than on a pool thread */
        pv_http_fill_inline(&r->res);
    }
    r->job = JOB_DONE;
    resume_with_answer(r);
}

/* The count goes up before stopping is read, and close sets stopping
 * before it reads the count: one of the two sees the other. */
bool pv_http_suspend_for_work(struct pv_http *h)
{
    h->suspended++;
    if (!h->stopping)
        return true;
    h->suspended--;
    return false;
}

void pv_http_stopping_answer(struct pv_response *res)
{
    pv_api_busy(res, "the server is stopping", BUSY_RETRY_AFTER_S);
}

enum MHD_Result pv_http_start_job(struct pv_http *h, struct MHD_Connection *conn, struct req *r,
                                  const char *etag, bool head)
{
    if (!copy_args(r, conn))
        return pv_http_send_failure(conn, r, PV_E_NOMEM, "out of memory copying the query");
    snprintf(r->etag, sizeof r->etag, "%s", etag);
    r->head = head;
    r->conn = conn;
    struct pv_response res;
    if (!pv_http_suspend_for_work(h)) {
        pv_http_stopping_answer(&res);
        return pv_http_send_answer(h, conn, r, &res, etag, head);
    }
    r->job = JOB_WORKING;
    MHD_suspend_connection(conn);
    if (pv_jobs_submit(h->jobs, run_job, r))
        return MHD_YES;
    r->job = JOB_NONE;
    MHD_resume_connection(conn);
    h->suspended--;
    pv_api_busy(&res, "the server is busy with other large requests: try again shortly",
                BUSY_RETRY_AFTER_S);
    return pv_http_send_answer(h, conn, r, &res, etag, head);
}

/* ---- uploads, off the pool ---------------------------------------------- */

/* Parsing and storing a large upload takes a second.  On a pool thread that
 * would stall every connection that thread accepted, so the connection is
 * suspended and the work runs on a thread of its own; resuming it lets the
 * pool send the answer. */
static void *upload_worker(void *arg)
{
    struct req *r = arg;
    struct pv_request req = {.method = r->method, .path = r->path, .arg = copied_arg,
                             .ctx = r, .body = (const uint8_t *)r->up.body,
                             .body_len = r->up.len, .upload_name = r->up.name};
    pv_api_handle(r->http->api, &req, &r->res);
    pv_upload_drop_body(&r->up); /* the bytes are stored or refused: let them go now */
    r->stage = UPLOAD_DONE;
    resume_with_answer(r);
    return NULL;
}

bool pv_http_start_upload(struct req *r, struct MHD_Connection *conn)
{
    if (!copy_args(r, conn)) {
        r->http->suspended--;
        return false;
    }
    r->conn = conn;
    r->stage = UPLOAD_WORKING;
    MHD_suspend_connection(conn);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, PV_HTTP_PARSE_STACK_BYTES);
    bool ok = pthread_create(&t, &attr, upload_worker, r) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        r->stage = UPLOAD_RECEIVING;
        MHD_resume_connection(conn);
        r->http->suspended--;
    }
    return ok;
}
