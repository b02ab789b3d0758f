/* stream.c - answers written piece by piece (see stream.h).
 *
 * The FILE* is glibc's fopencookie over our own buffer: producers keep
 * writing with stdio, the same code that writes to a file for the CLI. */
#include "stream.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* An empty buffer larger than this is given back. */
enum { SHRINK_BYTES = 256 * 1024 };

/* The buffer's first size. */
enum { FIRST_BYTES = 64 * 1024 };

struct pv_stream {
    pv_stream_next_fn next;
    void (*destroy)(void *ctx);
    void *ctx;
    FILE *f;
    char *buf;
    size_t start, end, cap; /* waiting bytes: buf[start..end) */
    uint64_t written, max_bytes;
    bool done, over, nomem;
};

/* fopencookie's write: append to the buffer.  0 is its way to fail. */
static ssize_t sink_write(void *cookie, const char *data, size_t n)
{
    struct pv_stream *s = cookie;
    if (s->max_bytes && n > s->max_bytes - s->written) {
        s->over = true;
        return 0;
    }
    if (s->start == s->end) {
        s->start = s->end = 0;
        if (s->cap > SHRINK_BYTES && n <= SHRINK_BYTES) {
            /* A first large fill (or one huge record) is behind us: do
             * not keep its memory for the rest of a long stream. */
            free(s->buf);
            s->buf = NULL;
            s->cap = 0;
        }
    }
    if (n > s->cap - s->end) {
        if (s->start) { /* move what waits to the front before growing */
            memmove(s->buf, s->buf + s->start, s->end - s->start);
            s->end -= s->start;
            s->start = 0;
        }
        /* At least FIRST_BYTES: a piece is some kilobytes, and doubling
         * up from vec's 64 would copy it a dozen times. */
        size_t need = s->end + n < FIRST_BYTES ? FIRST_BYTES : s->end + n;
        if (n > s->cap - s->end && !pv_vec_reserve((void **)&s->buf, &s->cap, need, 1)) {
            s->nomem = true;
            return 0;
        }
    }
    memcpy(s->buf + s->end, data, n);
    s->end += n;
    s->written += n;
    return (ssize_t)n;
}

pv_code pv_stream_create(pv_stream_next_fn next, void (*destroy)(void *ctx), void *ctx,
                         uint64_t max_bytes, struct pv_stream **out, pv_err *err)
{
    struct pv_stream *s = calloc(1, sizeof *s);
    if (!s)
        goto destroy_ctx;
    *s = (struct pv_stream){.next = next, .destroy = destroy, .ctx = ctx, .max_bytes = max_bytes};
    s->f = fopencookie(s, "w", (cookie_io_functions_t){.write = sink_write});
    if (!s->f)
        goto free_stream;
    /* One thread at a time (stream.h): stdio's per-call locking would be
     * a fifth of a tree's writing time. */
    __fsetlocking(s->f, FSETLOCKING_BYCALLER);
    *out = s;
    return PV_OK;

free_stream:
    free(s);
destroy_ctx:
    if (destroy)
        destroy(ctx);
    return pv_err_set(err, PV_E_NOMEM, "out of memory for a stream");
}

void pv_stream_destroy(struct pv_stream *s)
{
    if (!s)
        return;
    fclose(s->f); /* may write into buf: before freeing it */
    if (s->destroy)
        s->destroy(s->ctx);
    free(s->buf);
    free(s);
}

pv_code pv_stream_fill(struct pv_stream *s, size_t want, pv_err *err)
{
    while (!s->done && s->end - s->start < want) {
        pv_code rc = s->next(s->ctx, s->f, &s->done, err);
        if (fflush(s->f) || s->over || s->nomem) {
            char budget[32];
            pv_format_count(s->max_bytes, budget);
            return s->over     ? pv_err_set(err, PV_E_LIMIT,
                                            "the answer passed its budget of %s bytes", budget)
                   : s->nomem ? pv_err_set(err, PV_E_NOMEM, "out of memory in a stream")
                              : pv_err_set(err, PV_E_IO, "writing a stream failed");
        }
        if (rc)
            return rc;
    }
    return PV_OK;
}

const char *pv_stream_peek(const struct pv_stream *s, size_t *len)
{
    *len = s->end - s->start;
    return s->buf ? s->buf + s->start : "";
}

void pv_stream_consume(struct pv_stream *s, size_t n)
{
    s->start += n;
}

bool pv_stream_done(const struct pv_stream *s)
{
    return s->done;
}

uint64_t pv_stream_written(const struct pv_stream *s)
{
    return s->written;
}
