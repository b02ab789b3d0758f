/* stream.h - an answer written piece by piece into a small buffer.
 *
 * A producer (an export, a tree's JSON) writes its next piece to a FILE*
 * whenever asked; the stream holds that FILE*, which writes into memory,
 * and the consumer (the http module, sending chunks as the socket takes
 * them) empties the buffer between pieces.  Memory holds about one piece,
 * never the whole answer, and a consumer that stops asking stops the
 * work: nothing runs ahead of the client.
 *
 * One thread at a time may use a stream. */
#ifndef PV_STREAM_H
#define PV_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pv.h"

/* Write the next piece to out; set *done after the last one. */
typedef pv_code (*pv_stream_next_fn)(void *ctx, FILE *out, bool *done, pv_err *err);

struct pv_stream;

/* A stream of next(ctx, ...) pieces; ctx is taken: destroy(ctx) runs in
 * pv_stream_destroy, or here when creating fails (PV_E_NOMEM).
 * max_bytes (0: none) is a backstop: a producer that writes more fails
 * with PV_E_LIMIT instead of going on. */
pv_code pv_stream_create(pv_stream_next_fn next, void (*destroy)(void *ctx), void *ctx,
                         uint64_t max_bytes, struct pv_stream **out, pv_err *err);
void pv_stream_destroy(struct pv_stream *s);

/* Ask for pieces until at least want bytes wait in the buffer or the
 * producer is done.  On failure the stream is spoiled: destroy it. */
pv_code pv_stream_fill(struct pv_stream *s, size_t want, pv_err *err);

/* The bytes waiting, borrowed until the next call on s; *len may be 0. */
const char *pv_stream_peek(const struct pv_stream *s, size_t *len);
/* Forget the first n waiting bytes (n <= what peek gave). */
void pv_stream_consume(struct pv_stream *s, size_t n);
/* The producer has written its last piece (bytes may still wait). */
bool pv_stream_done(const struct pv_stream *s);
/* Bytes the producer has written so far. */
uint64_t pv_stream_written(const struct pv_stream *s);

#endif
