/* listener.c: a small TCP server that the integration tests scan.
 *
 *   listener [-6] [-o] [-b BANNER] [-c] [-s] [-t SECONDS] ADDR PORT [PORT...]
 *
 * It binds and listens on every PORT of ADDR (port 0 lets the kernel pick
 * one), then prints exactly one line to stdout, "ready PID PORT...", with the
 * ports really bound, in argument order, and flushes it.  Tests wait for that
 * line instead of sleeping: once it is printed every socket is listening.
 *
 * Connections are accepted from one epoll loop.  By default each gets the
 * banner (-b, with "\r\n" appended) and stays open until the peer closes;
 * -c closes it right after the banner; -s never writes anything, banner or
 * not, and just holds the connection.  Whatever the peer sends is read and
 * discarded.
 *
 * The process always ends by itself: after -t seconds (default 60, at most
 * 3600), enforced both by the loop's deadline and by alarm() in case the loop
 * were ever stuck.  SIGTERM/SIGINT end it at once (default action).
 * -6 uses IPv6; -o sets IPV6_V6ONLY (without it "::" also takes IPv4, as
 * Linux does by default).  Errors go to stderr with exit status 2 (1 for bad
 * usage), before the ready line is printed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LS_MAX_PORTS 1024
#define LS_MAX_CONNS 4096
#define LS_MAX_SECONDS 3600
#define LS_BANNER_MAX 1024

struct ls_opts {
    int family;
    int v6only;
    int close_now;
    int silent;
    long seconds;
    const char *banner;
    const char *addr;
};

static void ls_usage(void)
{
    fprintf(stderr, "usage: listener [-6] [-o] [-b BANNER] [-c] [-s] [-t SECONDS] ADDR PORT [PORT...]\n");
}

/* A decimal number in [lo, hi] with nothing after it, or -1. */
static long ls_number(const char *s, long lo, long hi)
{
    char *end;
    long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    return v;
}

static double ls_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bind and listen on one port; returns the fd and stores the bound port. */
static int ls_open(const struct ls_opts *o, long port, int *bound)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    int fd;

    memset(&ss, 0, sizeof ss);
    if (o->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, o->addr, &s6->sin6_addr) != 1) {
            fprintf(stderr, "listener: bad IPv6 address '%s'\n", o->addr);
            return -1;
        }
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, o->addr, &s4->sin_addr) != 1) {
            fprintf(stderr, "listener: bad IPv4 address '%s'\n", o->addr);
            return -1;
        }
        len = sizeof *s4;
    }

    fd = socket(o->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("listener: socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (o->family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &o->v6only, sizeof o->v6only) < 0) {
        perror("listener: IPV6_V6ONLY");
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        fprintf(stderr, "listener: bind %s port %ld: %s\n", o->addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, 128) < 0) {
        perror("listener: listen");
        close(fd);
        return -1;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        perror("listener: getsockname");
        close(fd);
        return -1;
    }
    *bound = ntohs(o->family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Accept every pending connection on a listening socket. */
static void ls_accept(int ep, int lfd, const struct ls_opts *o, const char *banner,
                      size_t blen, int *nconns)
{
    for (int i = 0; i < LS_MAX_CONNS; i++) {
        struct epoll_event ev;
        int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (c < 0)
            return; /* EAGAIN, or a transient error: try again on the next event */
        if (!o->silent && blen > 0) {
            ssize_t w = write(c, banner, blen);
            (void)w; /* a peer that is already gone is not our problem */
        }
        if (o->close_now || *nconns >= LS_MAX_CONNS) {
            close(c);
            continue;
        }
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = (uint64_t)c << 1 | 1; /* low bit: a connection, not a listener */
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0) {
            close(c);
            continue;
        }
        (*nconns)++;
    }
}

/* Read and discard; close on EOF or error. */
static void ls_drain(int c, int *nconns)
{
    char buf[4096];

    for (int i = 0; i < 64; i++) {
        ssize_t r = read(c, buf, sizeof buf);
        if (r > 0)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close(c); /* closing removes it from the epoll set */
        (*nconns)--;
        return;
    }
}

int main(int argc, char **argv)
{
    struct ls_opts o = { .family = AF_INET, .seconds = 60 };
    int fds[LS_MAX_PORTS], ports[LS_MAX_PORTS];
    char banner[LS_BANNER_MAX + 3];
    size_t blen = 0;
    int nports, ep, opt, nconns = 0;
    double deadline;

    while ((opt = getopt(argc, argv, "6ob:cst:")) != -1) {
        switch (opt) {
        case '6': o.family = AF_INET6; break;
        case 'o': o.v6only = 1; break;
        case 'b': o.banner = optarg; break;
        case 'c': o.close_now = 1; break;
        case 's': o.silent = 1; break;
        case 't':
            o.seconds = ls_number(optarg, 1, LS_MAX_SECONDS);
            if (o.seconds < 0) {
                fprintf(stderr, "listener: bad -t '%s' (1..%d)\n", optarg, LS_MAX_SECONDS);
                return 1;
            }
            break;
        default: ls_usage(); return 1;
        }
    }
    if (argc - optind < 2 || argc - optind - 1 > LS_MAX_PORTS) {
        ls_usage();
        return 1;
    }
    o.addr = argv[optind];
    if (o.banner) {
        blen = strlen(o.banner);
        if (blen > LS_BANNER_MAX) {
            fprintf(stderr, "listener: banner longer than %d bytes\n", LS_BANNER_MAX);
            return 1;
        }
        memcpy(banner, o.banner, blen);
        memcpy(banner + blen, "\r\n", 3);
        blen += 2;
    }

    alarm((unsigned)o.seconds + 2);
    deadline = ls_now() + (double)o.seconds;

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("listener: epoll_create1");
        return 2;
    }
    nports = argc - optind - 1;
    for (int i = 0; i < nports; i++) {
        struct epoll_event ev;
        long p = ls_number(argv[optind + 1 + i], 0, 65535);

        if (p < 0) {
            fprintf(stderr, "listener: bad port '%s'\n", argv[optind + 1 + i]);
            return 1;
        }
        fds[i] = ls_open(&o, p, &ports[i]);
        if (fds[i] < 0)
            return 2;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.u64 = (uint64_t)fds[i] << 1;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
            perror("listener: epoll_ctl");
            return 2;
        }
    }

    printf("ready %ld", (long)getpid());
    for (int i = 0; i < nports; i++)
        printf(" %d", ports[i]);
    printf("\n");
    if (fflush(stdout) != 0)
        return 2;

    for (;;) {
        struct epoll_event evs[64];
        double left = deadline - ls_now();
        int n;

        if (left <= 0)
            break;
        n = epoll_wait(ep, evs, 64, (int)(left * 1000) + 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("listener: epoll_wait");
            return 2;
        }
        for (int i = 0; i < n; i++) {
            int fd = (int)(evs[i].data.u64 >> 1);
            if (evs[i].data.u64 & 1)
                ls_drain(fd, &nconns);
            else
                ls_accept(ep, fd, &o, banner, blen, &nconns);
        }
    }
    return 0;
}
