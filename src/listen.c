/* listen.c - the server's listening socket (see listen.h). */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bind and listen on ai's address at port + 0, 1, ... (tries in all)
 * while each is in use.  SO_REUSEADDR as libmicrohttpd sets it: a
 * restarted server is not kept off its port by connections in TIME_WAIT. */
static pv_code bind_first_free(const struct addrinfo *ai, const char *host, uint16_t port,
                               unsigned tries, struct pv_listen_socket *out, pv_err *err)
{
    int why = 0;
    for (unsigned i = 0; i < tries; i++) {
        struct sockaddr_storage addr;
        memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
        uint16_t want = (uint16_t)(port + i);
        if (ai->ai_family == AF_INET6)
            ((struct sockaddr_in6 *)&addr)->sin6_port = htons(want);
        else
            ((struct sockaddr_in *)&addr)->sin_port = htons(want);
        /* non-blocking: the pool's threads all wait on it, one wins accept() */
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return pv_err_set(err, PV_E_IO, "cannot listen on %s: %s", host, strerror(errno));
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (ai->ai_family == AF_INET6) /* "::" means IPv6 only, as before */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        if (bind(fd, (struct sockaddr *)&addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
            struct sockaddr_storage got;
            socklen_t got_len = sizeof got;
            if (getsockname(fd, (struct sockaddr *)&got, &got_len) == 0)
                want = ntohs(ai->ai_family == AF_INET6
                                 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                 : ((struct sockaddr_in *)&got)->sin_port);
            *out = (struct pv_listen_socket){
                .fd = fd, .port = want, .ipv6 = ai->ai_family == AF_INET6};
            return PV_OK;
        }
        why = errno;
        close(fd);
        if (why != EADDRINUSE)
            break;
    }
    if (why == EADDRINUSE && tries > 1)
        return pv_err_set(err, PV_E_IO, "cannot listen on %s: ports %u to %u are all in use",
                          host, port, port + tries - 1);
    return pv_err_set(err, PV_E_IO, "cannot listen on %s port %u: %s", host, port,
                      strerror(why));
}

pv_code pv_listen_open(const char *host, uint16_t port, unsigned tries,
                       struct pv_listen_socket *out, pv_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *ai;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int gai = getaddrinfo(host, service, &hints, &ai);
    if (gai)
        return pv_err_set(err, PV_E_USAGE, "--host %s: %s (give an IP address)", host,
                          gai_strerror(gai));
    if (tries < 1 || !port)
        tries = 1;
    if (tries > 65536u - port)
        tries = 65536u - port;
    pv_code rc = bind_first_free(ai, host, port, tries, out, err);
    freeaddrinfo(ai);
    return rc;
}

void pv_listen_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
