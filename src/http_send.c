/* http_send.c - the http module's responses: headers, ETag and 304, gzip,
 * kept answers, streamed answers, and the web UI's pages (see
 * http_private.h).
 *
 * Every response carries a Content-Security-Policy that forbids inline
 * scripts and styles and every other origin.  An answer the api calls
 * immutable (a profile's data) is sent with an ETag, kept gzipped in the
 * shared cache (answers.h) once it has been rendered, and sent from there.
 * Large answers are streamed (stream.h): chunks are written as the socket
 * takes them, so memory holds one chunk, not the answer.  When and what to
 * answer is http.c's; the bytes of an answer are the api's or the pages
 * module's. */
#include "http_private.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "answers.h"
#include "pages.h"
#include "stream.h"

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

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

bool pv_http_etag_matches(struct MHD_Connection *conn, const char *etag)
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

enum MHD_Result pv_http_send_body(struct MHD_Connection *conn, struct req *r, int status,
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

enum MHD_Result pv_http_send_kept(struct MHD_Connection *conn, struct req *r,
                                  struct pv_answer *a, const char *etag, bool head)
{
    const char *type = a->content_type;
    if (head || (a->gzipped && !accepts_gzip(conn))) {
        size_t len = 0;
        char *plain = head ? NULL : pv_answers_plain_dup(a, &len);
        pv_answers_release(a->cache, a);
        if (!head && !plain)
            return MHD_NO;
        return pv_http_send_body(conn, r, 200, type, plain, len, etag, head);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        a->len, a->bytes, release_answer, a);
    if (!resp) {
        pv_answers_release(a->cache, a);
        return MHD_NO;
    }
    return queue(conn, r, 200, resp, type, a->gzipped, etag, a->len);
}

enum MHD_Result pv_http_send_not_modified(struct MHD_Connection *conn, struct req *r,
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

enum MHD_Result pv_http_send_error(struct MHD_Connection *conn, struct req *r, const pv_err *err)
{
    struct pv_response res;
    pv_api_error(&res, err, NULL);
    r->retry_after_s = res.retry_after_s;
    return pv_http_send_body(conn, r, res.status, res.content_type, res.body, res.len, NULL, false);
}

enum MHD_Result pv_http_send_failure(struct MHD_Connection *conn, struct req *r, pv_code code,
                                     const char *fmt, ...)
{
    pv_err err = {.code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    return pv_http_send_error(conn, r, &err);
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
    struct req *r;       /* for the log: valid while MHD reads (see http.c, on_completed) */
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

void pv_http_fill_inline(struct pv_response *res)
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

enum MHD_Result pv_http_send_page(struct pv_http *h, struct MHD_Connection *conn,
                                  struct req *r, const char *path, bool head)
{
    struct pv_page pg;
    pv_err err = {0};
    if (pv_pages_init(&pg, h->cfg.web_root, path, &err))
        return pv_http_send_error(conn, r, &err);
    if (!pg.etag) { /* read from --web-root: for development, kept nowhere */
        char *body = malloc(pg.len + 1);
        if (body)
            memcpy(body, pg.data, pg.len);
        enum MHD_Result ok = body ? pv_http_send_body(conn, r, 200, pg.content_type, body,
                                                      pg.len, NULL, head)
                                  : MHD_NO;
        pv_pages_fini(&pg);
        return ok;
    }
    if (pv_http_etag_matches(conn, pg.etag))
        return pv_http_send_not_modified(conn, r, pg.etag);
    /* Embedded files are answers like any other: gzipped once, kept. */
    struct pv_answer *a = pv_answers_get(h->cache, pg.etag);
    if (!a)
        a = pv_answers_add(h->cache, pg.etag, "", pg.content_type, pg.data, pg.len);
    if (a)
        return pv_http_send_kept(conn, r, a, pg.etag, head);
    char *body = malloc(pg.len + 1);
    if (!body)
        return MHD_NO;
    memcpy(body, pg.data, pg.len);
    return pv_http_send_body(conn, r, 200, pg.content_type, body, pg.len, pg.etag, head);
}

/* ---- the api's answers -------------------------------------------------- */

enum MHD_Result pv_http_send_answer(struct pv_http *h, struct MHD_Connection *conn,
                                    struct req *r, struct pv_response *res, const char *etag,
                                    bool head)
{
    pv_http_fill_inline(res);
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
            return pv_http_send_kept(conn, r, a, etag, head);
        }
        pv_answers_release(h->cache, a);
    }
    if (stream || (!body && res->status != 204)) {
        free(body);
        body = strdup("");
        res->len = 0;
    }
    return pv_http_send_body(conn, r, res->status, res->content_type, body, res->len,
                             kept ? etag : NULL, head);
}
