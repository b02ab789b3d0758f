/* upload.h - an upload's body as it arrives: raw bytes, or the one part
 * named "file" of a multipart/form-data body, kept within a byte limit.
 *
 * The http module hands over each piece libmicrohttpd reads.  Every
 * failure (over the limit, a malformed multipart body, out of memory) is
 * noted for the answer, and the rest of the body is read and dropped: an
 * answer sent before the body is all in makes libmicrohttpd close the
 * connection with bytes unread, and the client may get a reset instead of
 * the answer.  The framing counts toward the limit: a multipart body over
 * it is refused even when its file part alone would fit.
 *
 * A file whose first bytes are gzip's (1f 8b) is inflated as it arrives
 * (gunzip.h), and what it inflates to is held to the same limit: a bomb is
 * refused (PV_E_TOO_LARGE) once its output passes it, and a damaged or
 * truncated stream is PV_E_FORMAT.  The body is then the inflated bytes,
 * so a profile's id is the same gzipped or not. */
#ifndef PV_UPLOAD_H
#define PV_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv.h"

struct MHD_Connection;
struct MHD_PostProcessor;
struct pv_gunzip;

struct pv_upload {
    char *body;            /* the file's bytes so far (malloc'd), or NULL */
    size_t len;
    char *name;            /* the multipart part's file name (malloc'd), or NULL */
    bool too_large;        /* over the limit: nothing is kept */
    pv_err refused;        /* why it is refused; code PV_OK: it is not */
    /* private to upload.c */
    size_t cap, limit;
    size_t received;       /* body bytes, multipart framing included */
    struct MHD_PostProcessor *pp;
    unsigned file_parts;   /* parts named "file" seen */
    uint64_t file_end;     /* offset after the last piece of the current "file" part */
    bool plain;            /* the file's first bytes are not gzip's */
    struct pv_gunzip *gunzip; /* they are: the inflater its bytes go through */
};

/* Start receiving conn's body (caller memory u) within limit bytes, as
 * its Content-Type says: multipart/form-data, raw, or refused at once (a
 * URL-encoded form, another multipart kind: PV_E_MEDIA; no usable
 * boundary: PV_E_USAGE).  Cannot fail otherwise. */
void pv_upload_init(struct pv_upload *u, struct MHD_Connection *conn, size_t limit);

/* Feed the next n bytes of the body in: a raw body's are copied, a
 * multipart body's go through its parser, a gzip file's through the
 * inflater.  data is not kept.  Cannot fail: what goes wrong refuses the
 * upload (too_large, refused). */
void pv_upload_feed(struct pv_upload *u, const char *data, size_t n);

/* The body is all in: a multipart body must have ended at its closing
 * boundary and held one part named file, a gzip file at the end of its
 * last member (its inflated bytes become body).  Again, it does nothing. */
void pv_upload_finish(struct pv_upload *u);

/* Let go of the body now (it is stored, or refused), and of a gzip body's
 * inflater; the name stays. */
void pv_upload_drop_body(struct pv_upload *u);

/* Free everything u holds. */
void pv_upload_fini(struct pv_upload *u);

#endif
