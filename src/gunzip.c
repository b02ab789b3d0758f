/* gunzip.c - gzip inflated piece by piece within a limit (see gunzip.h). */
#include "gunzip.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vec.h"

/* Output grows by at most this much per inflate() call, so the limit is
 * checked at least this often. */
enum { OUT_STEP_BYTES = 256 * 1024 };

struct pv_gunzip {
    z_stream z;
    uint8_t *out;
    size_t len, cap, max_out_bytes;
    uint64_t fed;             /* compressed bytes taken, for messages */
    unsigned members;         /* gzip members begun */
    bool in_member;           /* inside a member: the input may not end here */
    pv_err failed;            /* the first failure; code PV_OK: none */
};

bool pv_gunzip_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

pv_code pv_gunzip_create(size_t max_out_bytes, struct pv_gunzip **out, pv_err *err)
{
    struct pv_gunzip *g = calloc(1, sizeof *g);
    if (!g)
        return pv_err_set(err, PV_E_NOMEM, "out of memory for an inflater");
    /* 16 + 15: a gzip header and trailer around a deflate stream with the
     * largest window, which gzip(1) and Python always use */
    if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
        free(g);
        return pv_err_set(err, PV_E_NOMEM, "out of memory for an inflater");
    }
    g->max_out_bytes = max_out_bytes;
    *out = g;
    return PV_OK;
}

/* Remember the first failure, drop the output: nothing of it will be used. */
static pv_code fail(struct pv_gunzip *g, pv_err *err, pv_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static pv_code fail(struct pv_gunzip *g, pv_err *err, pv_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->failed.msg, sizeof g->failed.msg, fmt, ap);
    va_end(ap);
    g->failed.code = code;
    free(g->out);
    g->out = NULL;
    g->len = g->cap = 0;
    if (err)
        *err = g->failed;
    return code;
}

/* zlib's word for a damaged stream, in ours. */
static pv_code data_error(struct pv_gunzip *g, pv_err *err, size_t offset)
{
    const char *why = g->z.msg ? g->z.msg : "damaged data";
    if (g->members > 1 && !strcmp(why, "incorrect header check"))
        return fail(g, err, PV_E_FORMAT,
                    "gzip: bytes after the end of the data (from offset %zu) are not another "
                    "gzip member", offset);
    return fail(g, err, PV_E_FORMAT, "gzip: %s near compressed offset %zu", why, offset);
}

pv_code pv_gunzip_feed(struct pv_gunzip *g, const uint8_t *buf, size_t len, pv_err *err)
{
    if (g->failed.code) {
        if (err)
            *err = g->failed;
        return g->failed.code;
    }
    /* zlib counts in uInt: feed a huge buffer in pieces */
    while (len) {
        size_t piece = len < (size_t)1 << 30 ? len : (size_t)1 << 30;
        g->z.next_in = (Bytef *)(uintptr_t)buf;
        g->z.avail_in = (uInt)piece;
        while (g->z.avail_in) {
            if (!g->in_member) {
                g->members++;
                g->in_member = true;
            }
            /* room for one more step, and one byte past the limit to see
             * that it is passed */
            size_t room = g->max_out_bytes - g->len + 1;
            size_t step = room < OUT_STEP_BYTES ? room : OUT_STEP_BYTES;
            if (!pv_vec_reserve((void **)&g->out, &g->cap, g->len + step, 1))
                return fail(g, err, PV_E_NOMEM, "out of memory for %zu inflated bytes",
                            g->len + step);
            g->z.next_out = g->out + g->len;
            g->z.avail_out = (uInt)step;
            size_t offset = (size_t)(g->fed + (piece - g->z.avail_in));
            int rc = inflate(&g->z, Z_NO_FLUSH);
            g->len += step - g->z.avail_out;
            if (g->len > g->max_out_bytes)
                return fail(g, err, PV_E_TOO_LARGE,
                            "gzip: it inflates to more than the limit of %zu bytes",
                            g->max_out_bytes);
            if (rc == Z_STREAM_END) {
                /* the next bytes, if any, must be another member */
                g->in_member = false;
                inflateReset(&g->z);
            } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
                return data_error(g, err, offset);
            } else if (rc == Z_MEM_ERROR) {
                return fail(g, err, PV_E_NOMEM, "out of memory while inflating");
            } else if (rc == Z_BUF_ERROR && g->z.avail_out) {
                break; /* no progress possible: zlib wants more input */
            }
        }
        g->fed += piece;
        buf += piece;
        len -= piece;
    }
    return PV_OK;
}

pv_code pv_gunzip_finish(struct pv_gunzip *g, uint8_t **out, size_t *out_len, pv_err *err)
{
    if (g->failed.code) {
        if (err)
            *err = g->failed;
        return g->failed.code;
    }
    if (g->in_member || !g->members)
        return fail(g, err, PV_E_FORMAT,
                    "gzip: the data ends early, after %llu compressed bytes (a truncated "
                    "file or upload?)", (unsigned long long)g->fed);
    if (!g->out && !(g->out = malloc(1)))
        return fail(g, err, PV_E_NOMEM, "out of memory");
    *out = g->out;
    *out_len = g->len;
    g->out = NULL;
    g->len = g->cap = 0;
    return PV_OK;
}

size_t pv_gunzip_inflated_bytes(const struct pv_gunzip *g)
{
    return g->len;
}

void pv_gunzip_destroy(struct pv_gunzip *g)
{
    if (!g)
        return;
    inflateEnd(&g->z);
    free(g->out);
    free(g);
}

pv_code pv_gunzip_inflate(const uint8_t *buf, size_t len, size_t max_out_bytes, uint8_t **out,
                          size_t *out_len, pv_err *err)
{
    struct pv_gunzip *g = NULL; /* set by create; -O3 gcc cannot tell */
    if (pv_gunzip_create(max_out_bytes, &g, err))
        return err->code;
    pv_code rc = pv_gunzip_feed(g, buf, len, err);
    if (rc == PV_OK)
        rc = pv_gunzip_finish(g, out, out_len, err);
    pv_gunzip_destroy(g);
    return rc;
}
