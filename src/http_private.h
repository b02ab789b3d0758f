/* http_private.h - what http.c shares with http_send.c (responses) and
 * http_work.c (work off the pool threads): the server, one request's state,
 * and the calls between them.  Inside the http module only. */
#ifndef PV_HTTP_PRIVATE_H
#define PV_HTTP_PRIVATE_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "answers.h"
#include "api.h"
#include "cache.h"
#include "http.h"
#include "pv.h"
#include "upload.h"

struct pv_deadline;
struct pv_jobs;

/* The marshal reader recurses up to 2000 levels (as CPython does); thread
 * stacks otherwise follow RLIMIT_STACK, or glibc's default when that is
 * unlimited.  Measured need: under 2 MB even with ASan; this is headroom,
 * and costs address space only.  For the pool's threads and uploads' own. */
enum { PV_HTTP_PARSE_STACK_BYTES = 16 << 20 };

struct pv_http {
    struct MHD_Daemon *daemon;
    struct pv_api *api;
    struct pv_http_config cfg;
    uint16_t port;
    struct pv_cache *cache;  /* the api's: rendered answers beside its models */
    /* Connections suspended while an upload or a job works on a thread of
     * its own.  MHD panics (abort) when it stops with one still suspended:
     * close waits for this to drop to zero, and once it sets stopping no
     * new one starts (see pv_http_suspend_for_work). */
    _Atomic int suspended;
    /* Answers of work done off the pool (an upload stored, a job's answer)
     * whose connection is resumed but not yet answered: close waits for
     * these too, a while, or the stop could cut a stored upload's 201. */
    _Atomic int answers_owed;
    _Atomic bool stopping;
    struct pv_deadline *deadlines;
    struct library_log {     /* see log_library */
        pthread_mutex_t lock;
        time_t second;
        unsigned lines, dropped;
    } library_log;
    struct pv_jobs *jobs;    /* heavy requests */
};

/* A query argument, copied: a job may not read the connection. */
struct arg_copy {
    char *key, *value;
};

/* What one connection's request accumulates between calls. */
struct req {
    struct timespec start;
    char method[16];
    char *path;              /* for the log */
    int status;
    size_t bytes;
    struct pv_api_route route; /* what the api says it is */
    struct pv_upload up;     /* an upload's body, as it arrives */
    /* an upload is parsed and stored on a thread of its own: */
    struct pv_http *http;
    struct MHD_Connection *conn;
    struct pv_response res;
    enum { UPLOAD_RECEIVING, UPLOAD_WORKING, UPLOAD_DONE } stage;
    /* a heavy request runs as a job (see answer_api): */
    int fd;                  /* the client's socket: has it hung up? */
    enum { JOB_NONE, JOB_WORKING, JOB_DONE } job;
    bool owes_answer;        /* counted in answers_owed until on_completed */
    struct arg_copy *args;   /* the query, copied for a job or an upload's worker */
    size_t nargs, args_cap;
    char etag[PV_CACHE_KEY_MAX];
    bool head;
    unsigned retry_after_s;  /* the answer's Retry-After, or 0 */
};

/* ---- http_send.c: responses --------------------------------------------- */

/* Each pv_http_send_ call queues one response on conn, records its status
 * and size in r for the log, and returns what on_request returns (MHD_NO:
 * no response could be made or queued; libmicrohttpd closes the
 * connection). */

/* Whether the request's If-None-Match names etag ("" names nothing). */
bool pv_http_etag_matches(struct MHD_Connection *conn, const char *etag);

/* Queue body (taken: freed here) with status, gzipped when the client
 * takes it and it pays; head: the headers alone.  etag NULL or "": the
 * answer is not to be stored (Cache-Control: no-store). */
enum MHD_Result pv_http_send_body(struct MHD_Connection *conn, struct req *r, int status,
                                  const char *content_type, char *body, size_t len,
                                  const char *etag, bool head);

/* Queue a kept answer (held: released here) as a 200: its bytes as they
 * are kept, which MHD reads until it is done with them, or inflated for a
 * client that does not take gzip. */
enum MHD_Result pv_http_send_kept(struct MHD_Connection *conn, struct req *r,
                                  struct pv_answer *a, const char *etag, bool head);

/* Queue a 304 Not Modified for etag. */
enum MHD_Result pv_http_send_not_modified(struct MHD_Connection *conn, struct req *r,
                                          const char *etag);

/* Queue the api's error answer for err: its JSON and status are the api's. */
enum MHD_Result pv_http_send_error(struct MHD_Connection *conn, struct req *r, const pv_err *err);

/* The same for an error of code with a formatted message. */
enum MHD_Result pv_http_send_failure(struct MHD_Connection *conn, struct req *r, pv_code code,
                                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Write res's stream up to INLINE_MAX_BYTES (http_send.c); when that is
 * all of it, it becomes res's body.  A stream that fails before a byte is
 * sent makes res a 500.  Does nothing to a res with no stream. */
void pv_http_fill_inline(struct pv_response *res);

/* Send what the api answered (res's body and stream are taken), under
 * etag when r's route is immutable.  An immutable 200 is kept, gzipped,
 * under its ETag, in its profile's group, and sent from there. */
enum MHD_Result pv_http_send_answer(struct pv_http *h, struct MHD_Connection *conn,
                                    struct req *r, struct pv_response *res, const char *etag,
                                    bool head);

/* Send the web UI's page at path: embedded (ETagged, 304 on If-None-Match,
 * kept gzipped), or read from --web-root; an unknown one is the api's 404. */
enum MHD_Result pv_http_send_page(struct pv_http *h, struct MHD_Connection *conn,
                                  struct req *r, const char *path, bool head);

/* ---- http_work.c: work off the pool threads ----------------------------- */

/* Whether the client of ctx (a struct req) hung up: long work asks now and
 * then (pv_request.gone). */
bool pv_http_client_gone(void *ctx);

/* Count a connection about to be suspended; false when the server is
 * stopping (then nothing was counted: answer with
 * pv_http_stopping_answer). */
bool pv_http_suspend_for_work(struct pv_http *h);

/* res becomes the 503 of a server that is stopping. */
void pv_http_stopping_answer(struct pv_response *res);

/* Suspend the connection and run the request as a job; answer 503 at once
 * when the jobs are all taken.  The job's answer is sent by the call of
 * on_request that follows its resumption (r->job is JOB_DONE). */
enum MHD_Result pv_http_start_job(struct pv_http *h, struct MHD_Connection *conn, struct req *r,
                                  const char *etag, bool head);

/* Copy the query, suspend the connection and parse and store r's upload
 * on a thread of its own; false when no thread can be had or the copy runs
 * out of memory (the connection is not suspended, the count is given back:
 * answer it here).  The caller counted the suspension
 * (pv_http_suspend_for_work).  Its answer is sent by the call of
 * on_request that follows its resumption (r->stage is UPLOAD_DONE). */
bool pv_http_start_upload(struct req *r, struct MHD_Connection *conn);

#endif
