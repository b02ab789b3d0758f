/* http.h - the HTTP server: libmicrohttpd, limits, static assets, the
 * request log.  Routes and JSON are the api module's. */
#ifndef PV_HTTP_H
#define PV_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "pv.h"

struct pv_http_config {
    const char *host;        /* address to bind: "127.0.0.1", "0.0.0.0", "::1" */
    uint16_t port;           /* 0: any free port (see pv_http_port) */
    unsigned threads;        /* worker threads */
    size_t max_upload_bytes;
    const char *web_root;    /* serve the UI from this folder, or NULL: embedded */
};

struct pv_http;

/* Start serving in background threads; api is borrowed until stop. */
pv_code pv_http_start(const struct pv_http_config *cfg, struct pv_api *api, struct pv_http **out,
                      pv_err *err);
uint16_t pv_http_port(const struct pv_http *h);
/* Stop accepting, finish the requests in progress, free everything. */
void pv_http_stop(struct pv_http *h);

#endif
