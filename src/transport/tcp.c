/* tcp.c: the plain-socket transports, TCP streams and connected UDP.
 *
 * Both are thin: a non-blocking socket, connect(2), recv/send with
 * MSG_NOSIGNAL so a reset peer never raises SIGPIPE.  The TCP connect result
 * is read from SO_ERROR once the socket turns writable.  A connected UDP
 * socket is how the kernel tells us of an ICMP port unreachable: the next
 * recv fails with ECONNREFUSED, which the engine reads as "closed". */
#include <errno.h>
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

static int sock_open(ps_conn *c, const struct sockaddr *sa, socklen_t salen, int type)
{
    c->err = 0;
    c->want = 0;
    int fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->err = errno;
        return PS_IO_ERR;
    }
    c->fd = fd;
    if (connect(fd, sa, salen) == 0) {
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
    return sock_open(c, sa, salen, SOCK_DGRAM);
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
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->want = PS_WANT_READ;
        return PS_IO_AGAIN;
    }
    c->err = errno;
    return PS_IO_ERR;
}

static ssize_t sock_write(ps_conn *c, const void *buf, size_t n)
{
    ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->want = PS_WANT_WRITE;
        return PS_IO_AGAIN;
    }
    c->err = errno;
    return PS_IO_ERR;
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
    .handshake = tcp_handshake, /* a UDP connect completes at once */
    .read = sock_read,
    .write = sock_write,
    .close = sock_close,
};
