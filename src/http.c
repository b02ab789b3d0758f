/* http.c - the libmicrohttpd adapter (see http.h).
 *
 * One request: headers arrive (first call of on_request), the body arrives
 * in pieces (later calls), then the api module answers.  An upload over
 * --max-upload is refused with 413 as soon as that is known: from
 * Content-Length before any byte is read, or once the bytes received pass
 * the limit (the rest is discarded, never kept).
 *
 * What a request is (an upload, an answer fixed by a profile's bytes) the
 * api module says (pv_api_classify), and so are its answers and errors:
 * this module knows only HTTP.  Every response carries a
 * Content-Security-Policy that forbids inline scripts and styles and every
 * other origin; profile data is answered with an ETag (304 on
 * If-None-Match), and from the answers kept gzipped in the shared cache
 * (answers.h) once it has been rendered.
 *
 * Connections are limited in number (--max-connections, and per client
 * address --max-connections-per-ip: libmicrohttpd refuses the rest at
 * accept) and in time: a request's headers are due within
 * --header-timeout of the accept, or of the request before on a kept-alive
 * connection, however slowly they trickle in (the deadline module).
 *
 * Requests the api module judges heavy (big trees, stack exports, loading a
 * big profile) run as jobs (jobs.h) off the pool threads, so /healthz and
 * small answers keep flowing; past the jobs' slots and waiting places they
 * get 503 with Retry-After.  Their work stops when the client hangs up.
 * Large answers are streamed (stream.h): chunks are written as the socket
 * takes them, so memory holds one chunk, not the answer.  The listening
 * socket is bound by listen.c and handed to libmicrohttpd. */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "answers.h"
#include "deadline.h"
#include "jobs.h"
#include "listen.h"
#include "pages.h"
#include "stream.h"
#include "upload.h"
#include "vec.h"

struct pv_http {
    struct MHD_Daemon *daemon;
    struct pv_api *api;
    struct pv_http_config cfg;
    uint16_t port;
    struct pv_cache *cache;  /* the api's: rendered answers beside its models */
    /* Connections suspended while an upload or a job works on a thread of
     * its own.  MHD panics (abort) when it stops with one still suspended:
     * close waits for this to drop to zero, and once it sets stopping no
     * new one starts (see suspend_for_work). */
    _Atomic int suspended;
    _Atomic bool stopping;
    struct pv_deadline *deadlines;
    struct library_log {     /* see log_library */
        pthread_mutex_t lock;
        time_t second;
        unsigned lines, dropped;
    } library_log;
    struct pv_jobs *jobs;    /* heavy requests */
};

/* The marshal reader recurses up to 2000 levels (as CPython does); thread
 * stacks otherwise follow RLIMIT_STACK, or glibc's default when that is
 * unlimited.  Measured need: under 2 MB even with ASan; this is headroom,
 * and costs address space only. */
enum { PARSE_STACK_BYTES = 16 << 20 };

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

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
    char *name_arg;          /* ?name=, copied: the worker may not read the connection */
    char *attach_arg;        /* ?attach=, likewise */
    struct pv_response res;
    enum { UPLOAD_RECEIVING, UPLOAD_WORKING, UPLOAD_DONE } stage;
    /* a heavy request runs as a job (see answer_api): */
    int fd;                  /* the client's socket: has it hung up? */
    enum { JOB_NONE, JOB_WORKING, JOB_DONE } job;
    struct arg_copy *args;
    size_t nargs, args_cap;
    char etag[PV_CACHE_KEY_MAX];
    bool head;
    unsigned retry_after_s;  /* the answer's Retry-After, or 0 */
};

/* ---- connections ------------------------------------------------------- */

/* The socket's deadline, kept in libmicrohttpd's per-socket slot. */
static struct pv_deadline_sock *deadline_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Accept starts the header deadline; close ends it (libmicrohttpd tells
 * us before it closes the descriptor, so the sweeper never shuts down a
 * socket that reuses the number). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct pv_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        pv_deadline_forget(h->deadlines, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    *socket_context = pv_deadline_watch(h->deadlines, ci->connect_fd);
    if (!*socket_context)
        shutdown(ci->connect_fd, SHUT_RDWR); /* no memory to watch it: no deadline-free sockets */
}

/* The request line is in (its headers may not be): name the request, so
 * a deadline that ends it can say which one. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct pv_http *h = cls;
    pv_deadline_label(h->deadlines, deadline_of(conn), uri);
    return NULL; /* on_request still starts from *req_cls == NULL */
}

/* A request whose headers missed their deadline, in the request log's
 * format (the method is not known yet).  A connection closed with no
 * request line (idle, or the line still coming) had no request to log. */
static void log_header_deadline(void *cls, const char *uri, double waited_ms)
{
    if (uri)
        fprintf(stderr, "- %s 408 0 %.1fms (headers incomplete: closed)\n", uri, waited_ms);
}

/* libmicrohttpd's own messages, at most LIBRARY_LINES_PER_S a second:
 * it writes one for every connection it refuses at a limit, and a log
 * must not cost more than the flood it reports. */
enum { LIBRARY_LINES_PER_S = 10 };

/* MHD aborts on a broken invariant of its own (such as stopping with a
 * connection suspended); the log must say so, not leave a bare SIGABRT. */
static void on_library_panic(void *cls, const char *file, unsigned line, const char *reason)
{
    (void)cls;
    fprintf(stderr, "pstatsviz: internal error: libmicrohttpd panics at %s:%u: %s\n",
            file ? file : "?", line, reason ? reason : "");
    abort();
}

static void log_library(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void log_library(void *cls, const char *fmt, va_list ap)
{
    struct library_log *l = cls;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    pthread_mutex_lock(&l->lock);
    if (t.tv_sec != l->second) {
        l->second = t.tv_sec;
        l->lines = 0;
    }
    if (l->lines >= LIBRARY_LINES_PER_S) {
        l->dropped++;
    } else {
        l->lines++;
        if (l->dropped)
            fprintf(stderr, "(%u more libmicrohttpd messages not shown)\n", l->dropped);
        l->dropped = 0;
        vfprintf(stderr, fmt, ap);
    }
    pthread_mutex_unlock(&l->lock);
}

/* One line per request: method, path, status, bytes, milliseconds. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why)
{
    struct pv_http *h = cls;
    /* the next request on this connection has its headers' full time */
    pv_deadline_restart(h->deadlines, deadline_of(conn));
    struct req *r = *req_cls;
    if (!r)
        return;
    fprintf(stderr, "%s %s %d %zu %.1fms%s\n", r->method, r->path ? r->path : "?", r->status,
            r->bytes, pv_elapsed_ms(&r->start),
            why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    pv_upload_fini(&r->up);
    free(r->name_arg);
    free(r->attach_arg);
    for (size_t i = 0; i < r->nargs; i++) {
        free(r->args[i].key);
        free(r->args[i].value);
    }
    free(r->args);
    pv_stream_destroy(r->res.stream);
    free(r->res.body);
    free(r->path);
    free(r);
    *req_cls = NULL;
}

/* ---- responses ---------------------------------------------------------- */

static void common_headers(struct MHD_Response *resp, const char *content_type)
{
    MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* links carry profile ids: do not hand them to other sites */
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static bool accepts_gzip(struct MHD_Connection *conn)
{
    const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    return ae && strstr(ae, "gzip");
}

static bool etag_matches(struct MHD_Connection *conn, const char *etag)
{
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    return inm && etag[0] && (strstr(inm, etag) || !strcmp(inm, "*"));
}

static void cache_headers(struct MHD_Response *resp, const struct req *r, const char *etag)
{
    if (etag && etag[0]) {
        MHD_add_response_header(resp, "ETag", etag);
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
    } else
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->retry_after_s) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", r->retry_after_s);
        MHD_add_response_header(resp, "Retry-After", secs);
    }
}

/* Queue resp (taken) with status and the headers of every answer. */
static enum MHD_Result queue(struct MHD_Connection *conn, struct req *r, int status,
                             struct MHD_Response *resp, const char *content_type, bool gzipped,
                             const char *etag, size_t len)
{
    common_headers(resp, content_type);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    if (gzipped)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    cache_headers(resp, r, etag);
    r->status = status;
    r->bytes = len;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Queue body (taken: freed here) with status, gzipped when the client
 * takes it and it pays. */
static enum MHD_Result send_body(struct MHD_Connection *conn, struct req *r, int status,
                                 const char *content_type, char *body, size_t len,
                                 const char *etag, bool head)
{
    bool gzipped = false;
    if (len >= PV_ANSWERS_GZIP_MIN_BYTES && accepts_gzip(conn)) {
        size_t zlen;
        char *z = pv_answers_gzip_dup(body, len, &zlen);
        if (z) {
            free(body);
            body = z;
            len = zlen;
            gzipped = true;
        }
    }
    if (head) {
        free(body);
        body = NULL;
        len = 0;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    return queue(conn, r, status, resp, content_type, gzipped, etag, len);
}

static void release_answer(void *cls)
{
    struct pv_answer *a = cls;
    pv_answers_release(a->cache, a);
}

/* Queue a kept answer (held: released here) as a 200: its bytes as they
 * are kept, which MHD reads until it is done with them, or inflated for a
 * client that does not take gzip. */
static enum MHD_Result send_kept(struct MHD_Connection *conn, struct req *r, struct pv_answer *a,
                                 const char *etag, bool head)
{
    const char *type = a->content_type;
    if (head || (a->gzipped && !accepts_gzip(conn))) {
        size_t len = 0;
        char *plain = head ? NULL : pv_answers_plain_dup(a, &len);
        pv_answers_release(a->cache, a);
        if (!head && !plain)
            return MHD_NO;
        return send_body(conn, r, 200, type, plain, len, etag, head);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        a->len, a->bytes, release_answer, a);
    if (!resp) {
        pv_answers_release(a->cache, a);
        return MHD_NO;
    }
    return queue(conn, r, 200, resp, type, a->gzipped, etag, a->len);
}

static enum MHD_Result send_not_modified(struct MHD_Connection *conn, struct req *r,
                                         const char *etag)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    r->status = 304;
    r->bytes = 0;
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Queue the api's error answer for err: its JSON and status are the api's. */
static enum MHD_Result send_error(struct MHD_Connection *conn, struct req *r, const pv_err *err)
{
    struct pv_response res;
    pv_api_error(&res, err, NULL);
    r->retry_after_s = res.retry_after_s;
    return send_body(conn, r, res.status, res.content_type, res.body, res.len, NULL, false);
}

static enum MHD_Result send_failure(struct MHD_Connection *conn, struct req *r, pv_code code,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result send_failure(struct MHD_Connection *conn, struct req *r, pv_code code,
                                    const char *fmt, ...)
{
    pv_err err = {.code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    return send_error(conn, r, &err);
}

/* ---- streamed answers --------------------------------------------------- */

/* Answers up to this size are written whole before they are sent, so they
 * can be kept (answers.h) and gzipped in one go (a default tree
 * of the 100k-function profile is 210 KB); larger ones are streamed, and
 * each holds no more than this while it waits for the client. */
enum { INLINE_MAX_BYTES = 1 << 20 };

/* Bytes MHD asks for at a time, and our gzip output buffer. */
enum { STREAM_CHUNK = 64 * 1024 };

struct streamed {
    struct pv_stream *s;
    struct req *r;       /* for the log: valid while MHD reads (see on_completed) */
    bool gzip, zdone;
    z_stream z;
    char *zbuf;
    size_t zlen, zoff;   /* compressed bytes waiting: zbuf[zoff..zlen) */
};

static void free_streamed(void *cls)
{
    struct streamed *st = cls;
    pv_stream_destroy(st->s);
    if (st->gzip)
        deflateEnd(&st->z);
    free(st->zbuf);
    free(st);
}

/* MHD's content reader: the next bytes of the answer, written now. */
static ssize_t read_streamed(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct streamed *st = cls;
    pv_err err = {0};
    size_t n;
    for (;;) {
        if (st->gzip && st->zoff < st->zlen) {
            n = st->zlen - st->zoff < max ? st->zlen - st->zoff : max;
            memcpy(buf, st->zbuf + st->zoff, n);
            st->zoff += n;
            break;
        }
        if (st->gzip && st->zdone)
            return MHD_CONTENT_READER_END_OF_STREAM;
        const char *data = pv_stream_peek(st->s, &n);
        if (!n && !pv_stream_done(st->s)) {
            /* The client took what we had: write the next piece. */
            if (pv_stream_fill(st->s, STREAM_CHUNK, &err)) {
                fprintf(stderr, "pstatsviz: %s: answer cut short: %s\n", st->r->path, err.msg);
                return MHD_CONTENT_READER_END_WITH_ERROR;
            }
            data = pv_stream_peek(st->s, &n);
        }
        if (!st->gzip) {
            if (!n)
                return MHD_CONTENT_READER_END_OF_STREAM;
            n = n < max ? n : max;
            memcpy(buf, data, n);
            pv_stream_consume(st->s, n);
            break;
        }
        bool last = pv_stream_done(st->s); /* then all that is left is in data */
        st->z.next_in = (Bytef *)data;
        st->z.avail_in = (uInt)n;
        st->z.next_out = (Bytef *)st->zbuf;
        st->z.avail_out = STREAM_CHUNK;
        int rc = deflate(&st->z, last ? Z_FINISH : Z_NO_FLUSH);
        pv_stream_consume(st->s, n - st->z.avail_in);
        st->zoff = 0;
        st->zlen = STREAM_CHUNK - st->z.avail_out;
        st->zdone = rc == Z_STREAM_END;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    st->r->bytes += n;
    return (ssize_t)n;
}

/* Queue a 200 whose body s (taken) writes while it is sent. */
static enum MHD_Result send_stream(struct MHD_Connection *conn, struct req *r,
                                   const char *content_type, struct pv_stream *s,
                                   const char *etag)
{
    struct streamed *st = calloc(1, sizeof *st);
    if (!st) {
        pv_stream_destroy(s);
        return MHD_NO;
    }
    st->s = s;
    st->r = r;
    if (accepts_gzip(conn)) {
        /* Level 1: a pool thread compresses while others wait on it, and
         * JSON of repeated keys shrinks well even so (a 28 MB tree: 5 MB). */
        st->zbuf = malloc(STREAM_CHUNK);
        st->gzip = st->zbuf && deflateInit2(&st->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                                            Z_DEFAULT_STRATEGY) == Z_OK;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_CHUNK, read_streamed, st,
                                          free_streamed);
    if (!resp) {
        free_streamed(st);
        return MHD_NO;
    }
    return queue(conn, r, 200, resp, content_type, st->gzip, etag, 0);
}

/* Write res's stream up to INLINE_MAX_BYTES; when that is all of it, it
 * becomes res's body.  A stream that fails before a byte is sent becomes
 * a 500. */
static void fill_inline(struct pv_response *res)
{
    pv_err err = {0};
    if (!res->stream)
        return;
    if (pv_stream_fill(res->stream, INLINE_MAX_BYTES, &err)) {
        pv_stream_destroy(res->stream);
        pv_api_error(res, &err, NULL); /* nothing is sent yet: an error can be */
        return;
    }
    if (!pv_stream_done(res->stream))
        return;
    size_t len;
    const char *data = pv_stream_peek(res->stream, &len);
    char *body = malloc(len + 1);
    if (!body)
        return; /* stream it after all */
    memcpy(body, data, len);
    pv_stream_destroy(res->stream);
    res->stream = NULL;
    res->body = body;
    res->len = len;
}

/* ---- pages of the web UI ---------------------------------------------- */

static enum MHD_Result send_page(struct pv_http *h, struct MHD_Connection *conn, struct req *r,
                                 const char *path, bool head)
{
    struct pv_page pg;
    pv_err err = {0};
    if (pv_pages_init(&pg, h->cfg.web_root, path, &err))
        return send_error(conn, r, &err);
    if (!pg.etag) { /* read from --web-root: for development, kept nowhere */
        char *body = malloc(pg.len + 1);
        if (body)
            memcpy(body, pg.data, pg.len);
        enum MHD_Result ok = body ? send_body(conn, r, 200, pg.content_type, body, pg.len, NULL,
                                              head)
                                  : MHD_NO;
        pv_pages_fini(&pg);
        return ok;
    }
    if (etag_matches(conn, pg.etag))
        return send_not_modified(conn, r, pg.etag);
    /* Embedded files are answers like any other: gzipped once, kept. */
    struct pv_answer *a = pv_answers_get(h->cache, pg.etag);
    if (!a)
        a = pv_answers_add(h->cache, pg.etag, "", pg.content_type, pg.data, pg.len);
    if (a)
        return send_kept(conn, r, a, pg.etag, head);
    char *body = malloc(pg.len + 1);
    if (!body)
        return MHD_NO;
    memcpy(body, pg.data, pg.len);
    return send_body(conn, r, 200, pg.content_type, body, pg.len, pg.etag, head);
}

/* ---- requests ----------------------------------------------------------- */

static const char *get_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *get_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* FNV-1a, 64 bits, over the path and the query: the ETag's second half. */
#define FNV_OFFSET 1469598103934665603ul
#define FNV_PRIME 1099511628211ul

static void fnv(unsigned long *h, const char *s)
{
    for (; *s; s++)
        *h = (*h ^ (unsigned char)*s) * FNV_PRIME;
}

static enum MHD_Result hash_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    unsigned long *h = cls;
    fnv(h, key);
    fnv(h, "=");
    fnv(h, value ? value : "");
    fnv(h, "&");
    return MHD_YES;
}

/* The ETag of an answer fixed by profiles: their ids, and a hash of the
 * path and the query, which fix the rest.  (The ids are spelled out, so
 * that a query made to collide with another's hash can only name the same
 * profiles.) */
static void etag_of(struct pv_api *api, struct MHD_Connection *conn, const char *url,
                    const struct pv_api_route *route, char etag[PV_CACHE_KEY_MAX])
{
    unsigned long q = FNV_OFFSET;
    fnv(&q, url);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, hash_arg, &q);
    /* Memory data attached later changes what a profile's answers show:
     * the ids attached are part of the tag. */
    char stamp[48];
    snprintf(stamp, sizeof stamp, "%016llx", (unsigned long long)pv_api_memory_stamp(
                                                 api, route->profile, route->profile_b));
    fnv(&q, stamp);
    snprintf(etag, PV_CACHE_KEY_MAX, "\"%s%s%s-%016lx\"", route->profile,
             route->pair ? "-" : "", route->profile_b, q);
}

/* Whether the profiles an ETag names are all still stored. */
static bool route_profiles_exist(struct pv_api *api, const struct pv_api_route *route)
{
    return pv_api_profile_exists(api, route->profile) &&
           (!route->pair || pv_api_profile_exists(api, route->profile_b));
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decoding of the path and the query, in place, except "%00":
 * decoded, it would end the C string early, so that a profile's path
 * with "%00" after its id read as the profile.  Kept as the three characters, it names
 * nothing and matches no parameter's syntax. */
static size_t unescape_keeping_nul(void *cls, struct MHD_Connection *conn, char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 && (lo = hex_digit(r[2])) >= 0 &&
            (hi | lo)) {
            *w++ = (char)(hi << 4 | lo);
            r += 3;
        } else
            *w++ = *r++;
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* Send what the api answered (res's body and stream are taken).  An
 * immutable 200 is kept, gzipped, under its ETag, in its profile's group,
 * and sent from there. */
static enum MHD_Result send_answer(struct pv_http *h, struct MHD_Connection *conn, struct req *r,
                                   struct pv_response *res, const char *etag, bool head)
{
    fill_inline(res);
    bool kept = r->route.immutable && res->status == 200;
    r->retry_after_s = res->retry_after_s;
    struct pv_stream *stream = res->stream;
    char *body = res->body;
    res->stream = NULL;
    res->body = NULL;
    if (stream && !head)
        return send_stream(conn, r, res->content_type, stream, kept ? etag : NULL);
    pv_stream_destroy(stream);
    if (kept && body) {
        const char *group = r->route.pair ? PV_API_PAIR_GROUP : r->route.profile;
        struct pv_answer *a = pv_answers_add(h->cache, etag, group, res->content_type,
                                             body, res->len);
        /* Sent as kept, unless the kept bytes are gzip this client does
         * not take: it gets the plain body in hand, not one inflated. */
        if (a && (!a->gzipped || (accepts_gzip(conn) && !head))) {
            free(body);
            return send_kept(conn, r, a, etag, head);
        }
        pv_answers_release(h->cache, a);
    }
    if (stream || (!body && res->status != 204)) {
        free(body);
        body = strdup("");
        res->len = 0;
    }
    return send_body(conn, r, res->status, res->content_type, body, res->len, kept ? etag : NULL,
                     head);
}

/* ---- heavy requests, as jobs -------------------------------------------- */

enum { BUSY_RETRY_AFTER_S = 5 };

/* Whether the client hung up: a job asks now and then while it works.  A
 * hang-up shows as POLLRDHUP (the peer's FIN) or POLLHUP/POLLERR (a reset);
 * unread bytes alone (a pipelined request) are not one. */
static bool client_gone(void *ctx)
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

static void run_job(void *ctx, bool started)
{
    struct req *r = ctx;
    if (!started)
        pv_api_busy(&r->res, "the server is busy with other large requests: try again shortly",
                    BUSY_RETRY_AFTER_S);
    else if (client_gone(r))
        pv_api_busy(&r->res, "the client has gone", 0); /* nobody will read it */
    else {
        struct pv_request req = {.method = r->method, .path = r->path, .arg = copied_arg,
                                 .ctx = r, .gone = client_gone, .gone_ctx = r};
        pv_api_handle(r->http->api, &req, &r->res);
        /* write small answers here rather than on a pool thread */
        fill_inline(&r->res);
    }
    r->job = JOB_DONE;
    struct pv_http *h = r->http; /* r is the pool's again once resumed */
    MHD_resume_connection(r->conn);
    pv_api_thread_done(h->api);
    h->suspended--;
}

/* Count a connection about to be suspended; false when the server is
 * stopping.  The count goes up before stopping is read, and close sets
 * stopping before it reads the count: one of the two sees the other. */
static bool suspend_for_work(struct pv_http *h)
{
    h->suspended++;
    if (!h->stopping)
        return true;
    h->suspended--;
    return false;
}

static void stopping_answer(struct pv_response *res)
{
    pv_api_busy(res, "the server is stopping", BUSY_RETRY_AFTER_S);
}

/* Suspend the connection and run the request as a job; answer 503 at once
 * when the jobs are all taken. */
static enum MHD_Result start_job(struct pv_http *h, struct MHD_Connection *conn, struct req *r,
                                 const char *etag, bool head)
{
    /* copy_arg stops at the first allocation that fails: then fewer */
    int nargs = MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, copy_arg, r);
    if (nargs < 0 || r->nargs != (size_t)nargs)
        return send_failure(conn, r, PV_E_NOMEM, "out of memory copying the query");
    snprintf(r->etag, sizeof r->etag, "%s", etag);
    r->head = head;
    r->conn = conn;
    struct pv_response res;
    if (!suspend_for_work(h)) {
        stopping_answer(&res);
        return send_answer(h, conn, r, &res, etag, head);
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
    return send_answer(h, conn, r, &res, etag, head);
}

static enum MHD_Result answer_api(struct pv_http *h, struct MHD_Connection *conn, struct req *r,
                                  const char *url, const char *method)
{
    bool head = !strcmp(method, "HEAD");
    char etag[PV_CACHE_KEY_MAX] = "";
    /* An immutable answer's ETag is known before any work, and so is a
     * kept answer. */
    if (r->route.immutable) {
        etag_of(h->api, conn, url, &r->route, etag);
        struct pv_answer *a = pv_answers_get(h->cache, etag);
        if (a && etag_matches(conn, etag)) {
            pv_answers_release(h->cache, a);
            return send_not_modified(conn, r, etag);
        }
        if (a)
            return send_kept(conn, r, a, etag, head);
        if (etag_matches(conn, etag) && route_profiles_exist(h->api, &r->route))
            return send_not_modified(conn, r, etag);
    }
    struct pv_request req = {
        .method = method, .path = url, .arg = get_arg, .header = get_header, .ctx = conn,
        /* an upload whose thread could not start is answered here */
        .body = (const uint8_t *)r->up.body, .body_len = r->up.len, .upload_name = r->up.name,
        .gone = client_gone, .gone_ctx = r, .light = true};
    if (pv_api_is_heavy(h->api, &req))
        return start_job(h, conn, r, etag, head);
    struct pv_response res;
    pv_api_handle(h->api, &req, &res);
    if (res.heavy) /* more work than it looked: finish it as a job */
        return start_job(h, conn, r, etag, head);
    return send_answer(h, conn, r, &res, etag, head);
}

/* ---- uploads, off the pool ---------------------------------------------- */

/* Parsing and storing a large upload takes a second.  On a pool thread that
 * would stall every connection that thread accepted, so the connection is
 * suspended and the work runs on a thread of its own; resuming it lets the
 * pool send the answer. */
static const char *upload_arg(void *ctx, const char *name)
{
    struct req *r = ctx;
    return !strcmp(name, "name") ? r->name_arg : !strcmp(name, "attach") ? r->attach_arg : NULL;
}

static void *upload_worker(void *arg)
{
    struct req *r = arg;
    struct pv_request req = {.method = r->method, .path = r->path, .arg = upload_arg,
                             .ctx = r, .body = (const uint8_t *)r->up.body,
                             .body_len = r->up.len, .upload_name = r->up.name};
    pv_api_handle(r->http->api, &req, &r->res);
    pv_upload_drop_body(&r->up); /* the bytes are stored or refused: let them go now */
    r->stage = UPLOAD_DONE;
    struct pv_http *h = r->http; /* r is the pool's again once resumed */
    MHD_resume_connection(r->conn);
    pv_api_thread_done(h->api);
    h->suspended--;
    return NULL;
}

/* Start the worker; false when no thread can be had (then answer here).
 * The caller counted the suspension (suspend_for_work). */
static bool start_upload(struct req *r, struct MHD_Connection *conn)
{
    const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
    r->name_arg = name ? strdup(name) : NULL;
    const char *attach = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "attach");
    r->attach_arg = attach ? strdup(attach) : NULL;
    r->conn = conn;
    r->stage = UPLOAD_WORKING;
    MHD_suspend_connection(conn);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, PARSE_STACK_BYTES);
    bool ok = pthread_create(&t, &attr, upload_worker, r) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        r->stage = UPLOAD_RECEIVING;
        MHD_resume_connection(conn);
        r->http->suspended--;
    }
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct pv_http *h = cls;
    struct req *r = *req_cls;
    if (!r) {
        /* Headers are in: set up, refuse early what we can. */
        pv_deadline_hold(h->deadlines, deadline_of(conn));
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        snprintf(r->method, sizeof r->method, "%s", method);
        r->path = strdup(url);
        r->http = h;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        r->fd = ci ? ci->connect_fd : -1;
        *req_cls = r;
        pv_api_classify(method, url, &r->route);
        if (r->route.pair)
            pv_api_classify_pair(&r->route,
                                 MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "a"),
                                 MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "b"));
        if (r->route.upload) {
            const char *cl =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > h->cfg.max_upload_bytes)
                return send_failure(conn, r, PV_E_TOO_LARGE,
                                    "the upload is larger than the server's limit of %zu bytes",
                                    h->cfg.max_upload_bytes);
            pv_upload_init(&r->up, conn, h->cfg.max_upload_bytes);
            return MHD_YES;
        }
        /* Answer on the next call: a response queued before MHD has read
         * the whole request makes it close the connection (no keep-alive). */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->route.upload)
            pv_upload_take(&r->up, upload_data, *upload_data_size);
        *upload_data_size = 0; /* bodies of other requests are ignored */
        return MHD_YES;
    }
    bool upload = r->route.upload;
    if (upload && r->stage == UPLOAD_RECEIVING)
        pv_upload_finish(&r->up);
    if (upload && r->up.too_large)
        return send_failure(conn, r, PV_E_TOO_LARGE,
                            "the upload is larger than the server's limit of %zu bytes",
                            h->cfg.max_upload_bytes);
    if (upload && r->up.refused.code)
        return send_error(conn, r, &r->up.refused);
    if (upload && r->stage == UPLOAD_WORKING)
        return MHD_YES; /* resumed early: the worker is not done */
    if (upload && r->stage == UPLOAD_DONE) {
        char *body = r->res.body ? r->res.body : strdup("");
        r->res.body = NULL;
        r->retry_after_s = r->res.retry_after_s;
        return send_body(conn, r, r->res.status, r->res.content_type, body, r->res.len, NULL,
                         false);
    }
    if (upload && !suspend_for_work(h)) {
        struct pv_response res;
        stopping_answer(&res);
        return send_answer(h, conn, r, &res, "", false);
    }
    if (upload && start_upload(r, conn))
        return MHD_YES;
    if (r->job == JOB_WORKING)
        return MHD_YES; /* resumed early: the job is not done */
    if (r->job == JOB_DONE) {
        r->job = JOB_NONE;
        return send_answer(h, conn, r, &r->res, r->etag, r->head);
    }

    if (r->route.ours)
        return answer_api(h, conn, r, url, method);
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return send_failure(conn, r, PV_E_METHOD, "pages are read with GET");
    return send_page(h, conn, r, url, !strcmp(method, "HEAD"));
}

/* ---- open and close ----------------------------------------------------- */

pv_code pv_http_open(const struct pv_http_config *cfg, struct pv_api *api, struct pv_http **out,
                      pv_err *err)
{
    struct pv_http *h = calloc(1, sizeof *h);
    if (!h)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    h->api = api;
    h->cache = pv_api_cache(api);
    h->cfg = *cfg;
    if (!h->cfg.max_connections)
        h->cfg.max_connections = PV_HTTP_MAX_CONNECTIONS;
    if (!h->cfg.max_connections_per_ip)
        h->cfg.max_connections_per_ip = PV_HTTP_MAX_CONNECTIONS_PER_IP;
    if (!h->cfg.header_timeout_ms)
        h->cfg.header_timeout_ms = PV_HTTP_HEADER_TIMEOUT_MS;
    pv_code rc = pv_deadline_create(h->cfg.header_timeout_ms, log_header_deadline, h,
                                    &h->deadlines, err);
    if (rc != PV_OK) {
        free(h);
        return rc;
    }
    unsigned threads = cfg->threads ? cfg->threads : 1;
    struct pv_jobs_config jc = {
        .slots = cfg->heavy_slots ? cfg->heavy_slots : threads / 2 ? threads / 2 : 1,
        .max_wait_ms = cfg->heavy_wait_ms ? cfg->heavy_wait_ms : 15000};
    jc.waiting = cfg->heavy_waiting ? cfg->heavy_waiting : 8 * jc.slots;
    if (pv_jobs_create(&jc, &h->jobs, err)) {
        pv_deadline_destroy(h->deadlines);
        free(h);
        return err->code;
    }
    /* our socket, handed to libmicrohttpd (listen.h says why) */
    struct pv_listen_socket sock;
    if (pv_listen_open(cfg->host, cfg->port, cfg->port_tries, &sock, err))
        goto fail_listen;
    h->port = sock.port;
    pthread_mutex_init(&h->library_log.lock, NULL);
    MHD_set_panic_func(on_library_panic, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (sock.ipv6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(
        flags, h->port, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, log_library, &h->library_log, /* first: covers start-up */
        MHD_OPTION_LISTEN_SOCKET, sock.fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 1),
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)PARSE_STACK_BYTES,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_keeping_nul, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        /* idle time between reads of a request under way, and while a
         * response waits for a slow reader: the header deadline is shorter */
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->cfg.max_connections_per_ip,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, h, MHD_OPTION_END);
    if (!h->daemon) {
        pv_err_set(err, PV_E_IO, "cannot serve on %s port %u: libmicrohttpd would not start",
                   cfg->host, h->port);
        goto fail_daemon;
    }
    *out = h;
    return PV_OK;

fail_daemon:
    /* The socket stays open: whether a failed start closed it differs
     * between libmicrohttpd versions, and a second close could hit another
     * thread's descriptor.  The process stops anyway. */
    pthread_mutex_destroy(&h->library_log.lock);
fail_listen:
    pv_jobs_destroy(h->jobs);
    pv_deadline_destroy(h->deadlines);
    free(h);
    return err->code;
}

uint16_t pv_http_port(const struct pv_http *h)
{
    return h->port;
}

void pv_http_close(struct pv_http *h)
{
    if (!h)
        return;
    /* MHD must not stop with a connection suspended: no upload or job
     * starts from here on (a kept-alive connection may still ask for one),
     * and those under way finish. */
    h->stopping = true;
    /* the listening socket is ours again (libmicrohttpd's contract) */
    MHD_socket listen_fd = MHD_quiesce_daemon(h->daemon);
    while (h->suspended > 0)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    MHD_stop_daemon(h->daemon); /* closes every connection: each forgets its deadline */
    if (listen_fd != MHD_INVALID_SOCKET)
        pv_listen_close(listen_fd);
    pv_jobs_destroy(h->jobs);   /* waits for the last job threads to return */
    pv_deadline_destroy(h->deadlines);
    pthread_mutex_destroy(&h->library_log.lock);
    free(h);
}
