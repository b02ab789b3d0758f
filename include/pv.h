/* pv.h - what every pstatsviz module shares: result codes and the error
 * record that failing functions fill, counts written with thousands
 * separators (pv_format_count), and elapsed time (pv_elapsed_ms).
 *
 * A bad file or request is ordinary work, not a crash: functions that can
 * fail return a pv_code (PV_OK = 0) and describe the failure in the pv_err
 * passed last.  Only the api module maps codes to HTTP statuses. */
#ifndef PV_H
#define PV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum {
    PV_OK = 0,
    PV_E_FORMAT,    /* the bytes are not a marshal stream we can read */
    PV_E_SHAPE,     /* valid marshal, but not a pstats dict */
    PV_E_LIMIT,     /* a size, depth or budget limit was hit */
    PV_E_NOMEM,     /* allocation failed */
    PV_E_IO,        /* reading or writing a file failed */
    PV_E_DB,        /* SQLite said no */
    PV_E_NOTFOUND,  /* no such profile, function or file */
    PV_E_USAGE,     /* a bad argument from the user */
    PV_E_DENIED,    /* wrong token, or outside a source root */
    PV_E_BUSY,      /* too much work queued already: try again later */
    PV_E_FULL,      /* the disk is full, or the database may not grow */
    PV_E_CANCELLED, /* stopped on request: the client went away */
    PV_E_BUDGET,    /* an answer would pass its size or work budget */
    PV_E_TOO_LARGE, /* a request's body is over its limit (--max-upload) */
    PV_E_MEDIA,     /* a request's body is of a type we do not take */
    PV_E_METHOD,    /* a known path, but not with this method */
} pv_code;

typedef struct {
    pv_code code;
    char msg[256];
} pv_err;

/* Fill err (may be NULL) and return code, so callers can write
 * `return pv_err_set(err, PV_E_FORMAT, "offset %zu: ...", off);`. */
pv_code pv_err_set(pv_err *err, pv_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* v with thousands separators, "211,502,803", for messages: cannot fail. */
void pv_format_count(uint64_t v, char buf[32]);

/* Milliseconds on CLOCK_MONOTONIC since t0 (taken on that clock): cannot
 * fail. */
double pv_elapsed_ms(const struct timespec *t0);

#endif
