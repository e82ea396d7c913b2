/* plain.c: the plain-socket transports, TCP streams and UDP.
 *
 * Both are thin: a non-blocking socket, recv/send with MSG_NOSIGNAL so a
 * reset peer never raises SIGPIPE.  The TCP connect result is read from
 * SO_ERROR once the socket turns writable.
 *
 * The UDP socket is not connected: some servers answer from another port
 * than the one asked (TFTP replies from a fresh transfer ID, RFC 1350 4),
 * and a connected socket would drop that answer.  So datagrams go out
 * with sendto and are taken back from the target's address, whatever the
 * port; anything from elsewhere is read and discarded.  IP_RECVERR keeps
 * what connecting gave: an ICMP port unreachable about our datagram makes
 * the next recv fail with ECONNREFUSED, which the engine reads as
 * "closed". */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pscan/transport.h"

void ps_conn_init(ps_conn *c, const ps_transport *t)
{
    c->t = t;
    c->fd = -1;
    c->want = 0;
    c->err = 0;
    c->connected = 0;
    c->tls = NULL;
    c->tls_ctx = NULL;
    c->sni = NULL;
}

/* The outcome of a read or write: bytes, or "wait for `want`", or an
 * error kept in c->err. */
static ssize_t io_result(ps_conn *c, ssize_t r, int want)
{
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->want = want;
        return PS_IO_AGAIN;
    }
    c->err = errno;
    return PS_IO_ERR;
}

/* A non-blocking socket of `type` stored in c, or PS_IO_ERR. */
static int new_socket(ps_conn *c, int family, int type)
{
    c->err = 0;
    c->want = 0;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->err = errno;
        return PS_IO_ERR;
    }
    c->fd = fd;
    return PS_IO_OK;
}

static int sock_open(ps_conn *c, const struct sockaddr *sa, socklen_t salen, int type)
{
    if (new_socket(c, sa->sa_family, type))
        return PS_IO_ERR;
    if (connect(c->fd, sa, salen) == 0) {
        c->connected = 1;
        return PS_IO_OK;
    }
    if (errno == EINPROGRESS) {
        c->want = PS_WANT_WRITE;
        return PS_IO_AGAIN;
    }
    c->err = errno;
    return PS_IO_ERR;
}

static int tcp_open(ps_conn *c, const struct sockaddr *sa, socklen_t salen)
{
    return sock_open(c, sa, salen, SOCK_STREAM);
}

static int udp_open(ps_conn *c, const struct sockaddr *sa, socklen_t salen)
{
    if (salen > sizeof c->peer) {
        c->err = EINVAL;
        return PS_IO_ERR;
    }
    if (new_socket(c, sa->sa_family, SOCK_DGRAM))
        return PS_IO_ERR;
    int v6 = sa->sa_family == AF_INET6, on = 1;
    if (setsockopt(c->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &on, sizeof on) < 0) {
        c->err = errno;
        close(c->fd);
        c->fd = -1;
        return PS_IO_ERR;
    }
    memcpy(&c->peer, sa, salen);
    c->peerlen = salen;
    c->connected = 1;
    return PS_IO_OK;
}

/* Is this datagram's source the target host (any port)? */
static int from_peer(const ps_conn *c, const struct sockaddr_storage *from)
{
    if (from->ss_family != c->peer.ss_family) return 0;
    if (from->ss_family == AF_INET)
        return ((const struct sockaddr_in *)from)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)&c->peer)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
                  &((const struct sockaddr_in6 *)&c->peer)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* A datagram from the target, skipping (a bounded number of) strays. */
static ssize_t udp_read(ps_conn *c, void *buf, size_t n)
{
    for (int stray = 0; stray < 64; stray++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(c->fd, buf, n, 0, (struct sockaddr *)&from, &fl);
        if (r < 0 || from_peer(c, &from))
            return io_result(c, r, PS_WANT_READ);
    }
    c->want = PS_WANT_READ;
    return PS_IO_AGAIN;
}

static ssize_t udp_write(ps_conn *c, const void *buf, size_t n)
{
    ssize_t r = sendto(c->fd, buf, n, MSG_NOSIGNAL, (const struct sockaddr *)&c->peer, c->peerlen);
    return io_result(c, r, PS_WANT_WRITE);
}

/* Called when the connecting socket is writable (or at any later time). */
static int tcp_handshake(ps_conn *c)
{
    if (c->connected)
        return PS_IO_OK;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr == 0) {
        c->connected = 1;
        return PS_IO_OK;
    }
    if (soerr == EINPROGRESS || soerr == EALREADY) {
        c->want = PS_WANT_WRITE;
        return PS_IO_AGAIN;
    }
    c->err = soerr;
    return PS_IO_ERR;
}

static ssize_t sock_read(ps_conn *c, void *buf, size_t n)
{
    return io_result(c, recv(c->fd, buf, n, 0), PS_WANT_READ);
}

static ssize_t sock_write(ps_conn *c, const void *buf, size_t n)
{
    return io_result(c, send(c->fd, buf, n, MSG_NOSIGNAL), PS_WANT_WRITE);
}

static void sock_close(ps_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->connected = 0;
}

const ps_transport ps_transport_tcp = {
    .name = "tcp",
    .open = tcp_open,
    .handshake = tcp_handshake,
    .read = sock_read,
    .write = sock_write,
    .close = sock_close,
};

const ps_transport ps_transport_udp = {
    .name = "udp",
    .open = udp_open,
    .handshake = tcp_handshake, /* nothing to wait for: connected is set */
    .read = udp_read,
    .write = udp_write,
    .close = sock_close,
};
