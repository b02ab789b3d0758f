/* listen.h - the server's listening socket: an IP address and a port (or
 * the next free one) bound and listened on, for libmicrohttpd to accept
 * from (http.c).  Binding it here, not in the library, makes a port in
 * use our error to word, once, and lets the next port be tried. */
#ifndef PV_LISTEN_H
#define PV_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

#include "pv.h"

struct pv_listen_socket {
    int fd;        /* non-blocking, close-on-exec */
    uint16_t port; /* the one bound: the port asked for 0 is the kernel's pick */
    bool ipv6;     /* host was an IPv6 address (bound IPv6 only) */
};

/* Listen on host (a numeric IP address: PV_E_USAGE otherwise) at port;
 * with tries over 1 and a port that is not 0, the next tries - 1 ports
 * are tried in turn while each is in use.  On success *out holds the
 * socket, yours to close (pv_listen_close, or whoever it is handed to);
 * on failure nothing is open and err says which ports were tried. */
pv_code pv_listen_open(const char *host, uint16_t port, unsigned tries,
                       struct pv_listen_socket *out, pv_err *err);

/* Close the socket fd; a negative fd is none.  Cannot fail. */
void pv_listen_close(int fd);

#endif
