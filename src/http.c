/* http.c - the libmicrohttpd adapter (see http.h): the request cycle,
 * and the daemon's open and close.
 *
 * One request: headers arrive (first call of on_request), the body arrives
 * in pieces (later calls), then the api module answers.  An upload over
 * --max-upload is refused with 413 as soon as that is known: from
 * Content-Length before any byte is read, or once the bytes received pass
 * the limit (the rest is discarded, never kept).
 *
 * What a request is (an upload, an answer fixed by a profile's bytes) the
 * api module says (pv_api_classify), and so are its answers and errors:
 * this module knows only HTTP.  Profile data is answered with an ETag (304
 * on If-None-Match), and from the answers kept gzipped in the shared cache
 * (answers.h) once it has been rendered: both are known here before any
 * work.  How a response is sent (its headers, gzip, kept, streamed, the
 * web UI's pages) is http_send.c's; heavy requests and uploads run off the
 * pool threads in http_work.c.
 *
 * Connections are limited in number (--max-connections, and per client
 * address --max-connections-per-ip: libmicrohttpd refuses the rest at
 * accept) and in time: a request's headers are due within
 * --header-timeout of the accept, or of the request before on a kept-alive
 * connection, however slowly they trickle in (the deadline module).  The
 * listening socket is bound by listen.c and handed to libmicrohttpd. */
#include "http_private.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "answers.h"
#include "deadline.h"
#include "hashmap.h"
#include "jobs.h"
#include "listen.h"
#include "stream.h"
#include "upload.h"

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
    if (r->owes_answer)
        h->answers_owed--;
    fprintf(stderr, "%s %s %d %zu %.1fms%s\n", r->method, r->path ? r->path : "?", r->status,
            r->bytes, pv_elapsed_ms(&r->start),
            why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    pv_upload_fini(&r->up);
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

/* ---- requests ----------------------------------------------------------- */

static const char *get_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *get_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* pv_hashmap_fnv() over the path and the query: the ETag's second half. */
static void fnv(uint64_t *h, const char *s)
{
    *h = pv_hashmap_fnv(*h, s, strlen(s));
}

static enum MHD_Result hash_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    uint64_t *h = cls;
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
    uint64_t q = PV_HASHMAP_FNV_BASIS;
    fnv(&q, url);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, hash_arg, &q);
    /* Memory data attached later changes what a profile's answers show:
     * the ids attached are part of the tag. */
    char stamp[48];
    snprintf(stamp, sizeof stamp, "%016llx", (unsigned long long)pv_api_memory_stamp(
                                                 api, route->profile, route->profile_b));
    fnv(&q, stamp);
    snprintf(etag, PV_CACHE_KEY_MAX, "\"%s%s%s-%016llx\"", route->profile,
             route->pair ? "-" : "", route->profile_b, (unsigned long long)q);
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
        if (a && pv_http_etag_matches(conn, etag)) {
            pv_answers_release(h->cache, a);
            return pv_http_send_not_modified(conn, r, etag);
        }
        if (a)
            return pv_http_send_kept(conn, r, a, etag, head);
        if (pv_http_etag_matches(conn, etag) && route_profiles_exist(h->api, &r->route))
            return pv_http_send_not_modified(conn, r, etag);
    }
    struct pv_request req = {
        .method = method, .path = url, .arg = get_arg, .header = get_header, .ctx = conn,
        /* an upload whose thread could not start is answered here */
        .body = (const uint8_t *)r->up.body, .body_len = r->up.len, .upload_name = r->up.name,
        .gone = pv_http_client_gone, .gone_ctx = r, .light = true};
    if (pv_api_is_heavy(h->api, &req))
        return pv_http_start_job(h, conn, r, etag, head);
    struct pv_response res;
    pv_api_handle(h->api, &req, &res);
    if (res.heavy) /* more work than it looked: finish it as a job */
        return pv_http_start_job(h, conn, r, etag, head);
    return pv_http_send_answer(h, conn, r, &res, etag, head);
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
        pv_api_classify(method, url, get_arg, conn, &r->route);
        if (r->route.upload) {
            const char *cl =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > h->cfg.max_upload_bytes)
                return pv_http_send_failure(conn, r, PV_E_TOO_LARGE,
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
            pv_upload_feed(&r->up, upload_data, *upload_data_size);
        *upload_data_size = 0; /* bodies of other requests are ignored */
        return MHD_YES;
    }
    bool upload = r->route.upload;
    if (upload && r->stage == UPLOAD_RECEIVING)
        pv_upload_finish(&r->up);
    if (upload && r->up.too_large)
        return pv_http_send_failure(conn, r, PV_E_TOO_LARGE,
                            "the upload is larger than the server's limit of %zu bytes",
                            h->cfg.max_upload_bytes);
    if (upload && r->up.refused.code)
        return pv_http_send_error(conn, r, &r->up.refused);
    if (upload && r->stage == UPLOAD_WORKING)
        return MHD_YES; /* resumed early: the worker is not done */
    if (upload && r->stage == UPLOAD_DONE) {
        char *body = r->res.body ? r->res.body : strdup("");
        r->res.body = NULL;
        r->retry_after_s = r->res.retry_after_s;
        return pv_http_send_body(conn, r, r->res.status, r->res.content_type, body, r->res.len,
                                 NULL, false);
    }
    if (upload && !pv_http_suspend_for_work(h)) {
        struct pv_response res;
        pv_http_stopping_answer(&res);
        return pv_http_send_answer(h, conn, r, &res, "", false);
    }
    if (upload && pv_http_start_upload(r, conn))
        return MHD_YES;
    if (r->job == JOB_WORKING)
        return MHD_YES; /* resumed early: the job is not done */
    if (r->job == JOB_DONE) {
        r->job = JOB_NONE;
        return pv_http_send_answer(h, conn, r, &r->res, r->etag, r->head);
    }

    if (r->route.ours)
        return answer_api(h, conn, r, url, method);
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return pv_http_send_failure(conn, r, PV_E_METHOD, "pages are read with GET");
    return pv_http_send_page(h, conn, r, url, !strcmp(method, "HEAD"));
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
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)PV_HTTP_PARSE_STACK_BYTES,
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

enum { OWED_ANSWERS_WAIT_MS = 5000 };

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
    /* Work that finished just before resumed its connection, and a pool
     * thread may not have sent that answer yet: stopping now cut a stored
     * upload's 201 (check_writers' stop test, now and then under ASan).
     * Those answers go out first, but a client that does not read its
     * answer holds the stop for OWED_ANSWERS_WAIT_MS at most. */
    for (int ms = 0; h->answers_owed > 0 && ms < OWED_ANSWERS_WAIT_MS; ms += 10)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    MHD_stop_daemon(h->daemon); /* closes every connection: each forgets its deadline */
    if (listen_fd != MHD_INVALID_SOCKET)
        pv_listen_close(listen_fd);
    pv_jobs_destroy(h->jobs);   /* waits for the last job threads to return */
    pv_deadline_destroy(h->deadlines);
    pthread_mutex_destroy(&h->library_log.lock);
    free(h);
}
