/* pages.h - the web UI's files for a URL: embedded at build time
 * (assets.h), or read from --web-root while developing.
 *
 * "/" and "/index.html" are the upload page, "/p/<anything>" the viewer
 * (which says itself when the id is unknown), "/diff/<a>/<b>" the compare
 * page (which checks the ids), any other path the file of that name under
 * web/.  The pages' scripts are bundles, /js/bundle/<entry module> (built
 * by esbuild, see meson.build); the modules under web/js are not served
 * one by one, except from --web-root, where /js/bundle/<path> is
 * /js/<path>. */
#ifndef PV_PAGES_H
#define PV_PAGES_H

#include <stddef.h>

#include "pv.h"

struct pv_page {
    const char *content_type; /* static text */
    const char *etag;         /* quoted strong ETag of an embedded file, or NULL */
    const unsigned char *data;
    size_t len;
    unsigned char *owned;     /* data read from --web-root (freed by fini), or NULL */
};

/* Fill *out (caller memory) with the file for path: embedded, or from
 * web_root when it is not NULL (never outside it: no "..").  PV_E_NOTFOUND
 * when there is none.  On success *out is yours to pv_pages_fini(). */
pv_code pv_pages_init(struct pv_page *out, const char *web_root, const char *path, pv_err *err);

void pv_pages_fini(struct pv_page *pg);

#endif
