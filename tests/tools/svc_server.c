/* svc_server.c: small loopback servers for the service-engine tests.
 *
 *   svc_server [-t TTL] [-a ADDR] MODE PORTS [ARG...]
 *
 * Listens on 127.0.0.1 (or the loopback address ADDR: 127.x.y.z or ::1),
 * on one port ("40001") or a range ("40001-40050"),
 * prints "ready" on stdout once listening, and serves every connection on
 * its own thread.  Exits after TTL seconds (default 120) whatever happens,
 * so a test that dies cannot leave it behind for long.  Modes:
 *
 *   banner TEXT   send TEXT (\r \n \\ escapes) at once, then drain input
 *   silent        accept and never say anything
 *   close         accept and close at once (what tcpwrappers do)
 *   http          read a request, answer an nginx-like HTTP/1.1 200;
 *                 anything that is not HTTP gets closed silently
 *   tls CERT KEY  TLS (OpenSSL), then behave as `http` inside
 *   trickle       send one byte every 50 ms, forever
 *   flood         send as fast as the peer reads, forever
 *   busy MS TEXT  for MS milliseconds from the first connection, close
 *                 every connection at once with nothing said (sshd past
 *                 MaxStartups); after that, as `banner TEXT`
 *   slowtls MS CERT KEY
 *                 wait MS milliseconds before the TLS handshake (a server
 *                 too loaded to answer a ClientHello soon), then as `tls` */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_LISTEN 1024

static const char HTTP_REPLY[] = "HTTP/1.1 200 OK\r\n"
                                 "Server: nginx/1.22.1\r\n"
                                 "Content-Type: text/html\r\n"
                                 "Content-Length: 13\r\n"
                                 "Connection: close\r\n"
                                 "\r\n"
                                 "<p>hello</p>\n";

struct cfg {
    const char *mode;
    char banner[1024];
    size_t banner_len;
    SSL_CTX *tls;
    int ms;         /* busy, slowtls */
    long long busy_until; /* busy: ms on CLOCK_MONOTONIC, 0 before the first */
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct conn {
    const struct cfg *cfg;
    int fd;
};

static void unescape(const char *s, char *out, size_t cap, size_t *len)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            out[o++] = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
    *len = o;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Read until the end of an HTTP request head; 1 if it looks like HTTP. */
static int read_request(int fd, SSL *ssl)
{
    char buf[4096];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        int n = ssl ? SSL_read(ssl, buf + len, (int)(sizeof buf - 1 - len))
                    : (int)read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
        if (len >= 4 && strncmp(buf, "GET ", 4) != 0 && strncmp(buf, "HEAD", 4) != 0 &&
            strncmp(buf, "POST", 4) != 0 && strncmp(buf, "OPTI", 4) != 0)
            return 0;
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            return 1;
    }
    return 0;
}

static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static void *serve(void *arg)
{
    struct conn *c = arg;
    const struct cfg *cfg = c->cfg;
    int fd = c->fd;
    free(c);
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    if (!strcmp(cfg->mode, "banner") || !strcmp(cfg->mode, "busy")) {
        if (write(fd, cfg->banner, cfg->banner_len) < 0) { /* peer gone */ }
        drain(fd);
    } else if (!strcmp(cfg->mode, "silent")) {
        drain(fd);
    } else if (!strcmp(cfg->mode, "http")) {
        if (read_request(fd, NULL))
            if (write(fd, HTTP_REPLY, sizeof HTTP_REPLY - 1) < 0) { /* peer gone */ }
    } else if (!strcmp(cfg->mode, "tls") || !strcmp(cfg->mode, "slowtls")) {
        if (cfg->ms)
            sleep_ms(cfg->ms);
        SSL *ssl = SSL_new(cfg->tls);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1 && read_request(fd, ssl))
            SSL_write(ssl, HTTP_REPLY, (int)sizeof HTTP_REPLY - 1);
        SSL_free(ssl);
        ERR_clear_error();
    } else if (!strcmp(cfg->mode, "trickle")) {
        for (int i = 0; i < 20 * 600; i++) {
            if (write(fd, "x", 1) != 1)
                break;
            sleep_ms(50);
        }
    } else if (!strcmp(cfg->mode, "flood")) {
        char chunk[4096];
        memset(chunk, 'A', sizeof chunk);
        for (long i = 0; i < 1000000; i++)
            if (write(fd, chunk, sizeof chunk) <= 0)
                break;
    }
    /* "close" falls through to here at once */
    close(fd);
    return NULL;
}

/* addr: "127.x.y.z" or "::1" (checked by main). */
static int listen_on(const char *addr, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, addr, &s4->sin_addr);
        sl = sizeof *s4;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int loopback_text(const char *a)
{
    struct in_addr v4;
    return !strcmp(a, "::1") || (inet_pton(AF_INET, a, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127);
}

static int usage(void)
{
    fprintf(stderr, "usage: svc_server [-t TTL] [-a 127.x.y.z|::1] banner|silent|close|http|tls|trickle|flood|"
                    "busy|slowtls PORT[-PORT] [MS] [TEXT | CERT KEY]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int ttl = 120, ai = 1;
    const char *addr = "127.0.0.1";
    while (argc - ai > 2 && argv[ai][0] == '-') {
        if (!strcmp(argv[ai], "-t"))
            ttl = atoi(argv[ai + 1]);
        else if (!strcmp(argv[ai], "-a") && loopback_text(argv[ai + 1]))
            addr = argv[ai + 1];
        else
            return usage();
        ai += 2;
    }
    if (argc - ai < 2 || ttl <= 0)
        return usage();
    struct cfg cfg = {.mode = argv[ai]};
    int lo = 0, hi = 0;
    if (sscanf(argv[ai + 1], "%d-%d", &lo, &hi) < 2)
        hi = lo;
    if (lo < 1 || hi > 65535 || hi < lo || hi - lo >= MAX_LISTEN)
        return usage();
    if (!strcmp(cfg.mode, "busy") || !strcmp(cfg.mode, "slowtls")) {
        if (argc - ai < 3 || (cfg.ms = atoi(argv[ai + 2])) <= 0)
            return usage();
        ai++; /* the rest as for banner, tls */
    }
    if (!strcmp(cfg.mode, "banner") || !strcmp(cfg.mode, "busy")) {
        if (argc - ai < 3)
            return usage();
        unescape(argv[ai + 2], cfg.banner, sizeof cfg.banner, &cfg.banner_len);
    } else if (!strcmp(cfg.mode, "tls") || !strcmp(cfg.mode, "slowtls")) {
        if (argc - ai < 4)
            return usage();
        cfg.tls = SSL_CTX_new(TLS_server_method());
        if (!cfg.tls || SSL_CTX_use_certificate_file(cfg.tls, argv[ai + 2], SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(cfg.tls, argv[ai + 3], SSL_FILETYPE_PEM) != 1) {
            fprintf(stderr, "svc_server: cannot load %s / %s\n", argv[ai + 2], argv[ai + 3]);
            return 1;
        }
    } else if (strcmp(cfg.mode, "silent") && strcmp(cfg.mode, "close") &&
               strcmp(cfg.mode, "http") && strcmp(cfg.mode, "trickle") &&
               strcmp(cfg.mode, "flood")) {
        return usage();
    }
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)ttl);

    static struct pollfd pfd[MAX_LISTEN];
    int n = 0;
    for (int p = lo; p <= hi; p++) {
        int fd = listen_on(addr, p);
        if (fd < 0) {
            fprintf(stderr, "svc_server: cannot listen on port %d: %s\n", p, strerror(errno));
            return 1;
        }
        pfd[n].fd = fd;
        pfd[n++].events = POLLIN;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
            return 1;
        for (int i = 0; i < n; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            int fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            if (!strcmp(cfg.mode, "busy")) {
                long long now = mono_ms();
                if (!cfg.busy_until)
                    cfg.busy_until = now + cfg.ms;
                if (now < cfg.busy_until) {
                    close(fd);
                    continue;
                }
            }
            if (!strcmp(cfg.mode, "close")) {
                close(fd);
                continue;
            }
            struct conn *c = malloc(sizeof *c);
            pthread_t t;
            if (!c) {
                close(fd);
                continue;
            }
            c->cfg = &cfg;
            c->fd = fd;
            if (pthread_create(&t, NULL, serve, c) != 0) {
                close(fd);
                free(c);
                continue;
            }
            pthread_detach(t);
        }
    }
}
