/* http.h - the HTTP server: libmicrohttpd, limits, bodies, compression,
 * caching headers, the request log.  Routes, JSON and error answers are
 * the api module's; the web UI's files the pages module's. */
#ifndef PV_HTTP_H
#define PV_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "pv.h"

/* Connection limits, the defaults of `serve` (README "Limits" says why). */
enum {
    PV_HTTP_MAX_CONNECTIONS = 1000,
    PV_HTTP_MAX_CONNECTIONS_PER_IP = 64,
    PV_HTTP_HEADER_TIMEOUT_MS = 10000,
};

struct pv_http_config {
    const char *host;        /* address to bind: "127.0.0.1", "0.0.0.0", "::1" */
    uint16_t port;           /* 0: any free port (see pv_http_port) */
    unsigned port_tries;     /* over 1: when port is in use, try the next ones,
                                this many ports in all (0 or 1: port only) */
    unsigned threads;        /* worker threads */
    size_t max_upload_bytes;
    const char *web_root;    /* serve the UI from this folder, or NULL: embedded */
    /* 0 in any of these: the PV_HTTP_ default */
    unsigned max_connections;        /* open at once, from everyone */
    unsigned max_connections_per_ip; /* open at once, from one address */
    unsigned header_timeout_ms;      /* a request's headers are due within this
                                        of the accept, or of the request before */
    /* Heavy requests (pv_api_is_heavy) run off the worker threads: at most
     * heavy_slots at once (0: half the threads, at least 1), with
     * heavy_waiting more (0: 8 per slot) waiting up to heavy_wait_ms
     * (0: 15 s) for a slot; the rest are answered 503 with Retry-After. */
    unsigned heavy_slots, heavy_waiting, heavy_wait_ms;
};

struct pv_http;

/* Listen and serve in background threads; api is borrowed until
 * pv_http_close().  On failure (the port or ports are in use, a bad
 * --host) err says so in one line, and nothing is left running. */
pv_code pv_http_open(const struct pv_http_config *cfg, struct pv_api *api, struct pv_http **out,
                     pv_err *err);
uint16_t pv_http_port(const struct pv_http *h);
/* Stop accepting, finish the requests in progress, free everything.
 * NULL does nothing. */
void pv_http_close(struct pv_http *h);

#endif
