/* udp_bind.c: hold bound UDP sockets for the local-process tests.
 *
 *   udp_bind [-6] [-o] [-t SECONDS] ADDR PORT [PORT...]
 *
 * The UDP counterpart of listener.c, with the same contract so that
 * tests/lib/common.sh's listener_start can drive it (LISTENER=udp_bind):
 * binds one unconnected UDP socket on every PORT of ADDR (0: the kernel
 * picks), prints exactly one line "ready PID PORT..." with the ports really
 * bound, then does nothing (datagrams are left unread) until -t seconds
 * (default 60, at most 3600) pass, enforced by the sleep loop and by alarm().
 * -6 uses IPv6, -o sets IPV6_V6ONLY.  Errors go to stderr with status 2
 * (1 for bad usage) before the ready line. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UB_MAX_PORTS 256
#define UB_MAX_SECONDS 3600

static long ub_number(const char *s, long lo, long hi)
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

static int ub_open(int family, int v6only, const char *addr, long port, int *bound)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
            fprintf(stderr, "udp_bind: bad IPv6 address '%s'\n", addr);
            return -1;
        }
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) {
            fprintf(stderr, "udp_bind: bad IPv4 address '%s'\n", addr);
            return -1;
        }
        len = sizeof *s4;
    }
    fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("udp_bind: socket");
        return -1;
    }
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) {
        perror("udp_bind: IPV6_V6ONLY");
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        fprintf(stderr, "udp_bind: bind %s port %ld: %s\n", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        perror("udp_bind: getsockname");
        close(fd);
        return -1;
    }
    *bound = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                      : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    int family = AF_INET, v6only = 0, opt, nports, ports[UB_MAX_PORTS];
    long seconds = 60;
    struct timespec end, now;

    while ((opt = getopt(argc, argv, "6ot:")) != -1) {
        switch (opt) {
        case '6': family = AF_INET6; break;
        case 'o': v6only = 1; break;
        case 't':
            seconds = ub_number(optarg, 1, UB_MAX_SECONDS);
            if (seconds < 0) {
                fprintf(stderr, "udp_bind: bad -t '%s' (1..%d)\n", optarg, UB_MAX_SECONDS);
                return 1;
            }
            break;
        default:
            fprintf(stderr, "usage: udp_bind [-6] [-o] [-t SECONDS] ADDR PORT [PORT...]\n");
            return 1;
        }
    }
    nports = argc - optind - 1;
    if (nports < 1 || nports > UB_MAX_PORTS) {
        fprintf(stderr, "usage: udp_bind [-6] [-o] [-t SECONDS] ADDR PORT [PORT...]\n");
        return 1;
    }
    alarm((unsigned)seconds + 2);
    for (int i = 0; i < nports; i++) {
        long p = ub_number(argv[optind + 1 + i], 0, 65535);
        if (p < 0) {
            fprintf(stderr, "udp_bind: bad port '%s'\n", argv[optind + 1 + i]);
            return 1;
        }
        if (ub_open(family, v6only, argv[optind], p, &ports[i]) < 0)
            return 2;
    }
    printf("ready %ld", (long)getpid());
    for (int i = 0; i < nports; i++)
        printf(" %d", ports[i]);
    printf("\n");
    if (fflush(stdout) != 0)
        return 2;

    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += seconds;
    for (int i = 0; i < 100000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
            break;
        struct timespec nap = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return 0;
}
