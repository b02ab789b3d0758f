/* upload.c - an upload's body as it arrives, within its limit, inflated
 * if it is gzip (see upload.h). */
#include "upload.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gunzip.h"
#include "vec.h"

/* A part header line must fit in this buffer: a longer one fails the
 * parse (400), it is not kept. */
enum { PART_HEADER_MAX_BYTES = 64 * 1024 };

/* The bytes kept so far; an inflater under way stays. */
static void drop_kept_bytes(struct pv_upload *u)
{
    free(u->body);
    u->body = NULL;
    u->len = u->cap = 0;
}

void pv_upload_drop_body(struct pv_upload *u)
{
    drop_kept_bytes(u);
    pv_gunzip_destroy(u->gunzip); /* with what it inflated so far */
    u->gunzip = NULL;
}

/* Refuse the upload (the first reason stays); its bytes will not be used. */
static void refuse(struct pv_upload *u, pv_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(struct pv_upload *u, pv_code code, const char *fmt, ...)
{
    if (u->refused.code)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->refused.msg, sizeof u->refused.msg, fmt, ap);
    va_end(ap);
    u->refused.code = code;
    pv_upload_drop_body(u);
}

static bool append(struct pv_upload *u, const char *data, size_t n)
{
    if (u->too_large || !n)
        return true; /* an empty file part comes as n == 0 with no buffer yet */
    if (n > u->limit - u->len) {
        u->too_large = true; /* drop what we have: it will not be used */
        pv_upload_drop_body(u);
        return true;
    }
    if (!pv_vec_reserve((void **)&u->body, &u->cap, u->len + n, 1))
        return false;
    memcpy(u->body + u->len, data, n);
    u->len += n;
    return true;
}

/* Refuse the upload with the inflater's failure: past the limit is 413
 * like a body too large, with the reason. */
static void refuse_gzip(struct pv_upload *u, const pv_err *err)
{
    if (err->code == PV_E_TOO_LARGE)
        refuse(u, PV_E_TOO_LARGE, "the upload inflates (gzip) to more than the server's limit "
               "of %zu bytes", u->limit);
    else
        refuse(u, err->code, "%s", err->msg);
}

/* The file's next n bytes.  Its first two say whether it is gzip: until
 * then they are kept; then a gzip file's bytes go through the inflater as
 * they come, and are not kept. */
static void take_file_bytes(struct pv_upload *u, const char *data, size_t n)
{
    pv_err err = {0};
    if (u->gunzip) {
        if (pv_gunzip_feed(u->gunzip, (const uint8_t *)data, n, &err))
            refuse_gzip(u, &err);
        return;
    }
    if (!append(u, data, n)) {
        refuse(u, PV_E_NOMEM, "out of memory for a %zu-byte upload", u->len + n);
        return;
    }
    if (u->plain || u->len < 2 || u->too_large)
        return;
    if (!pv_gunzip_is_gzip((const uint8_t *)u->body, u->len)) {
        u->plain = true;
        return;
    }
    if (pv_gunzip_create(u->limit, &u->gunzip, &err)) {
        refuse(u, err.code, "%s", err.msg);
        return;
    }
    if (pv_gunzip_feed(u->gunzip, (const uint8_t *)u->body, u->len, &err))
        refuse_gzip(u, &err);
    else
        drop_kept_bytes(u);
}

static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data,
                                     uint64_t off, size_t size)
{
    struct pv_upload *u = cls;
    if (u->refused.code)
        return MHD_YES; /* read on to the end, keep nothing */
    if (!key) {
        /* RFC 7578 4.2: every part has a Content-Disposition with a name.
         * A part without one is most often a stray boundary line inside
         * the file's bytes. */
        refuse(u, PV_E_USAGE,
               "malformed multipart body: a part without a Content-Disposition name "
               "(does the file contain the boundary?)");
        return MHD_YES;
    }
    if (strcmp(key, "file"))
        return MHD_YES; /* other fields are ignored */
    /* A part's first piece comes at offset 0, possibly empty, possibly
     * twice (an empty piece, then data); a 0 after data is a new part. */
    if (off == 0 && (!u->file_parts || u->file_end > 0)) {
        if (++u->file_parts > 1) {
            refuse(u, PV_E_USAGE, "multipart body has %u parts named file, expected one",
                   u->file_parts);
            return MHD_YES;
        }
    }
    u->file_end = off + size;
    if (filename && !u->name)
        u->name = strdup(filename);
    take_file_bytes(u, data, size);
    return MHD_YES;
}

void pv_upload_init(struct pv_upload *u, struct MHD_Connection *conn, size_t limit)
{
    *u = (struct pv_upload){.limit = limit};
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
        u->pp = MHD_create_post_processor(conn, PART_HEADER_MAX_BYTES, on_post_field, u);
        if (!u->pp)
            refuse(u, PV_E_USAGE,
                   "multipart/form-data without a usable boundary= in Content-Type "
                   "(missing, empty or over 32 KiB)");
    } else if (ct && (!strncasecmp(ct, "multipart/", 10) ||
                      !strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
        /* a form posted without enctype, or another multipart kind: its
         * bytes are not the file */
        refuse(u, PV_E_MEDIA,
               "send the file raw (application/octet-stream) or as the file field of "
               "multipart/form-data");
    }
}

void pv_upload_feed(struct pv_upload *u, const char *data, size_t n)
{
    u->received += n;
    if (u->too_large)
        return;
    if (u->received > u->limit || u->received < n) {
        u->too_large = true;
        pv_upload_drop_body(u);
        return;
    }
    if (u->refused.code)
        return;
    if (u->pp) {
        if (MHD_post_process(u->pp, data, n) != MHD_YES)
            refuse(u, PV_E_USAGE,
                   "malformed multipart body in bytes %zu to %zu: a part header line over "
                   "64 KiB, a boundary not followed by a line end, or data after the "
                   "closing boundary", u->received - n, u->received);
    } else {
        take_file_bytes(u, data, n);
    }
}

/* A gzip body is all in: its inflated bytes become the body. */
static void finish_gzip(struct pv_upload *u)
{
    pv_err err = {0};
    uint8_t *out;
    size_t len;
    if (pv_gunzip_finish(u->gunzip, &out, &len, &err)) {
        refuse_gzip(u, &err); /* drops the inflater too */
        return;
    }
    pv_upload_drop_body(u);
    u->body = (char *)out;
    u->len = u->cap = len;
}

void pv_upload_finish(struct pv_upload *u)
{
    if (u->pp) {
        bool complete = MHD_destroy_post_processor(u->pp) == MHD_YES;
        u->pp = NULL;
        if (u->too_large)
            return;
        if (!complete)
            refuse(u, PV_E_USAGE,
                   "malformed multipart body: it ends inside a part, before the closing "
                   "boundary (%zu bytes received)", u->received);
        else if (!u->file_parts)
            refuse(u, PV_E_USAGE,
                   "multipart body has no part named file (does the boundary in Content-Type "
                   "match the one in the body?)");
    }
    if (u->gunzip && !u->too_large && !u->refused.code)
        finish_gzip(u);
}

void pv_upload_fini(struct pv_upload *u)
{
    if (u->pp)
        MHD_destroy_post_processor(u->pp);
    pv_upload_drop_body(u);
    free(u->name);
    *u = (struct pv_upload){0};
}
