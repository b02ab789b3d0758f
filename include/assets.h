/* assets.h - the web UI's files, embedded at build time from web/ by
 * tools/embed_assets.py (or read from --web-root while developing). */
#ifndef PV_ASSETS_H
#define PV_ASSETS_H

#include <stddef.h>

struct pv_asset {
    const char *path;         /* URL path: "/index.html", "/js/api.js" */
    const char *content_type;
    const char *etag;         /* quoted strong ETag */
    const unsigned char *data;
    size_t len;
};

/* Terminated by an entry whose path is NULL. */
extern const struct pv_asset PV_ASSETS[];

#endif
