/* hostile.c: a TCP server that misbehaves on purpose, one way per port.
 *
 *   hostile ADDR PORT:MODE [PORT:MODE...] [-t SECONDS] [-s SEED]
 *
 * The hostile-input suite (tests/integration/hostile.sh) scans it: a scanner
 * reads bytes from servers it does not trust and must never crash, hang,
 * grow without bound, or print what it read raw.  Each PORT (0: the kernel
 * picks) is served in one MODE:
 *
 *   stream      sends without end, as fast as the socket takes it: every
 *               byte value, a newline now and then
 *   trickle     one byte a second, forever ("220-" and a line that never ends)
 *   bigline     one 10 MiB line without a newline, then holds the connection
 *   nul         an FTP banner that nmap-style probes match (ProFTPD), whose
 *               captured field is terminal escapes (ESC[2J, OSC 0 title BEL,
 *               OSC 52 clipboard, cursor moves), NUL bytes, invalid UTF-8,
 *               C1 bytes and a bidi override; then a line of NULs and escapes
 *   nulraw      a banner that matches nothing: NULs, escapes, C1, invalid
 *               UTF-8 (the "unknown service, here is what it said" path)
 *   nulhttp     silent until spoken to, then an HTTP reply whose Server
 *               header (matched and captured by the UPnP rule) and body are
 *               the same hostile bytes; then closes
 *   closemid    on the first bytes read (or after 200 ms of silence) sends
 *               half a TLS ServerHello and closes
 *   reset       resets (SO_LINGER 0, then close: an RST) at random moments:
 *               at once, after part of a banner, on the first bytes read, or
 *               after a random delay up to 1 s
 *   tlsgarbage  answers anything it reads (a ClientHello, a plain probe)
 *               with a TLS record header followed by garbage; four variants
 *               in turn: a full-size record of random bytes, a record longer
 *               than TLS allows, an alert of nonsense, a handshake message
 *               claiming 16 MiB; then holds the connection
 *   noread      accepts and never reads; a tiny receive buffer, so the
 *               peer's writes soon block; closes when the peer goes
 *   slowaccept  listen backlog 1, accepts one connection a second, sends an
 *               SSH banner and holds it
 *   banner      a plain SSH banner, then holds (the target of the SYN-proxy
 *               test, where every port is redirected to one listener)
 *   markup      an FTP banner that the ProFTPD rule matches, whose captured
 *               field is HTML and script meant to run in a report (a
 *               <script>, an onerror handler, a tag that closes the table),
 *               all without ')' so the rule captures all of it; then holds
 *   markupraw   the same markup in a banner nothing matches (the report's
 *               "what it said" path); then holds
 *
 * When every socket listens it prints one line, "ready PID PORT...", the
 * ports really bound in argument order, and flushes it.  It always ends by
 * itself after -t SECONDS (default 60, at most 3600), by the loop's deadline
 * and by alarm() as a backstop; SIGTERM ends it at once.
 *
 * One epoll loop, no threads.  Memory is bounded: at most HS_MAX_CONNS
 * connections (more are reset at accept), a small fixed record per
 * connection, and every byte sent comes from buffers built once at start.
 * A connection's output is "byte i of SRC, modulo its length, until TOTAL
 * bytes", which covers a banner (TOTAL = length), a 10 MiB line (a 64 KiB
 * buffer of 'A', TOTAL = 10 MiB) and an endless stream (TOTAL = max).
 * Timers (trickle ticks, delayed sends, resets, slow accepts) are a deadline
 * per connection or listener, found by a linear scan: HS_MAX_CONNS is small. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HS_MAX_PORTS 64
#define HS_MAX_CONNS 1024
#define HS_MAX_SECONDS 3600
#define HS_CHUNK 65536
#define HS_BIGLINE (10u * 1024 * 1024)
#define HS_GARBAGE 20000
#define HS_FOREVER UINT64_MAX

enum hs_mode {
    HM_STREAM, HM_TRICKLE, HM_BIGLINE, HM_NUL, HM_NULRAW, HM_NULHTTP, HM_CLOSEMID,
    HM_RESET, HM_TLSGARBAGE, HM_NOREAD, HM_SLOWACCEPT, HM_BANNER, HM_MARKUP, HM_MARKUPRAW, HM_COUNT
};

static const char *const hs_mode_names[HM_COUNT] = {
    "stream", "trickle", "bigline", "nul", "nulraw", "nulhttp", "closemid",
    "reset", "tlsgarbage", "noread", "slowaccept", "banner", "markup", "markupraw",
};

/* What a connection does once its output is all sent. */
enum hs_after { HA_HOLD, HA_CLOSE, HA_RESET };

struct hs_conn {
    int fd;                     /* -1: free slot */
    uint32_t gen;               /* bumped at each reuse: stale events miss */
    int mode;
    int after;                  /* enum hs_after */
    int writing;                /* EPOLLOUT is armed */
    int got_data;               /* read something already */
    int reset_on_read;          /* reset mode: RST when the first bytes come */
    int act_at_timer;           /* what the timer does: see hs_timer() */
    const unsigned char *src;   /* output: src[i % src_len] for i < total */
    size_t src_len;
    uint64_t total, sent;
    double timer;               /* 0: none */
};

struct hs_listener {
    int fd, mode, port;
    double next_accept;         /* slowaccept only */
};

/* Everything the loop owns; built in main(), passed down. */
struct hs_state {
    int ep;
    struct hs_listener ls[HS_MAX_PORTS];
    int nls;
    struct hs_conn *conns;      /* HS_MAX_CONNS slots */
    unsigned long accepted;
    uint64_t rng;
    unsigned char pattern[HS_CHUNK];    /* stream */
    unsigned char aaaa[HS_CHUNK];       /* bigline */
    unsigned char garbage[4][5 + HS_GARBAGE];
    size_t garbage_len[4];
};

/* ------------------------------------------------------------ fixed bytes */

/* The hostile part: every byte a terminal might act on.  Kept free of ')',
 * '\r' and '\n' so that the FTP rule's "([^)\r\n]*)" captures all of it. */
#define HS_EVIL \
    "\x1b[2J\x1b[H"                     /* clear the screen, cursor home */ \
    "\x1b]0;pwned-title\x07"            /* OSC 0: window title */ \
    "\x1b]52;c;cHduZWQ=\x07"            /* OSC 52: write the clipboard */ \
    "\x1b[10;10H\x1b[5A\x1b[31m"        /* cursor moves, red */ \
    "\x00\x00nul\x00"                   /* NUL bytes */ \
    "\x9b" "31m\x9d" "0;c1\x9c\x85"     /* C1: CSI, OSC, ST, NEL */ \
    "\xc3\x28\xff\xfe\xed\xa0\x80"      /* invalid UTF-8, a surrogate */ \
    "\xe2\x80\xae" "desrever"           /* U+202E right-to-left override */ \
    "\x07\x08\x7f"                      /* BEL, BS, DEL */

static const unsigned char hs_nul_banner[] =
    "220 ProFTPD Server (" HS_EVIL ") [198.18.0.2]\r\n"
    "\x00\x00\x00\x00" HS_EVIL "\x00\x00\r\n";

static const unsigned char hs_nulraw_banner[] =
    "\x00\x00\x00\x00\x00\x00\x00\x00" HS_EVIL "\x00\x00\x00\x00" HS_EVIL "\r\n";

static const unsigned char hs_nulhttp_reply[] =
    "HTTP/1.0 200 OK\r\n"
    "Server: " HS_EVIL " UPnP/1.0 MiniUPnPd/2.3\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<title>" HS_EVIL "</title>\x00\x00" HS_EVIL "\r\n";

/* What would run, or reshape the page, if a report wrote it raw: each
 * piece marks <body> (data-pwned) or adds an element with id "pwned". */
#define HS_MARKUP \
    "<script>document.body.dataset.pwned=1</script>" \
    "\"'><img src=x onerror=document.body.dataset.pwned=2>" \
    "</td></tr></table><h1 id=pwned>injected</h1>" \
    "<svg onload=document.body.dataset.pwned=3>" \
    "<!-- ]]> &amp; &#x3c; <style>body{display:none}</style>"

static const unsigned char hs_markup_banner[] = "220 ProFTPD Server (" HS_MARKUP ") [198.18.0.2]\r\n";
static const unsigned char hs_markupraw_banner[] = "\x00\x01" HS_MARKUP "\r\n";

static const unsigned char hs_ssh_banner[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";

static const unsigned char hs_trickle_text[] =
    "220-trickle: a line that never ends, one byte a second ";

/* Half of a TLS 1.2 ServerHello.  The record says 74 bytes of handshake
 * (type 2, length 70: version, random, a 32-byte session id, cipher,
 * compression); only 33 of those 74 follow before the close. */
static const unsigned char hs_half_hello[] = {
    0x16, 0x03, 0x03, 0x00, 0x4a,
    0x02, 0x00, 0x00, 0x46,
    0x03, 0x03,
    0x5f, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
};

#define HS_LEN(a) (sizeof(a) - 1) /* a string literal without its final NUL */

/* ----------------------------------------------------------------- helpers */

static void hs_usage(void)
{
    fprintf(stderr, "usage: hostile ADDR PORT:MODE [PORT:MODE...] [-t SECONDS] [-s SEED]\nmodes:");
    for (int m = 0; m < HM_COUNT; m++)
        fprintf(stderr, " %s", hs_mode_names[m]);
    fprintf(stderr, "\n");
}

/* A decimal number in [lo, hi] with nothing after it, or -1. */
static long hs_number(const char *s, long lo, long hi)
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

static double hs_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: enough for "random moments" and garbage bytes. */
static uint64_t hs_rand(struct hs_state *st)
{
    st->rng ^= st->rng >> 12;
    st->rng ^= st->rng << 25;
    st->rng ^= st->rng >> 27;
    return st->rng * 0x2545f4914f6cdd1dULL;
}

static void hs_build_buffers(struct hs_state *st)
{
    /* stream: every byte value, and a newline every 200 bytes so that line
     * readers get lines as well as one endless one. */
    for (size_t i = 0; i < HS_CHUNK; i++)
        st->pattern[i] = (i % 200 == 199) ? '\n' : (unsigned char)(i * 7 + 3);
    memset(st->aaaa, 'A', sizeof st->aaaa);

    static const unsigned char hdr[4][5] = {
        { 0x16, 0x03, 0x03, 0x40, 0x00 }, /* handshake, 16384 bytes: all garbage */
        { 0x16, 0x03, 0x01, 0xff, 0xff }, /* 65535: longer than TLS allows */
        { 0x15, 0x03, 0x03, 0x00, 0x02 }, /* an alert, then garbage after it */
        { 0x16, 0x03, 0x03, 0x00, 0x04 }, /* a handshake message of 16 MiB ... */
    };
    for (int v = 0; v < 4; v++) {
        memcpy(st->garbage[v], hdr[v], 5);
        for (size_t i = 5; i < sizeof st->garbage[v]; i++)
            st->garbage[v][i] = (unsigned char)hs_rand(st);
        st->garbage_len[v] = sizeof st->garbage[v];
    }
    /* ... whose header is the record's body: ServerHello, length 0xffffff. */
    memcpy(st->garbage[3] + 5, "\x02\xff\xff\xff", 4);
}

/* Bind and listen; returns the fd and stores the bound port. */
static int hs_open(const char *addr, long port, int mode, int *bound)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    int one = 1, fd;

    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        len = sizeof *s6;
    } else {
        fprintf(stderr, "hostile: bad address '%s'\n", addr);
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("hostile: socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (mode == HM_NOREAD) {
        /* Inherited by accepted sockets: the kernel rounds it up to its
         * minimum (a few KiB), which a scanner's writes soon fill. */
        int small = 1;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        fprintf(stderr, "hostile: bind %s port %ld: %s\n", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, mode == HM_SLOWACCEPT ? 1 : 511) < 0) {
        perror("hostile: listen");
        close(fd);
        return -1;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        perror("hostile: getsockname");
        close(fd);
        return -1;
    }
    *bound = ntohs(ss.ss_family == AF_INET6 ? s6->sin6_port : s4->sin_port);
    return fd;
}

/* ------------------------------------------------------------ connections */

static void hs_close(struct hs_conn *c, int rst)
{
    if (c->fd < 0)
        return;
    if (rst) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
}

/* An epoll key: bit 63 set for a connection, its generation in bits 16-47
 * and its slot below; a listener's key is its index. */
static uint64_t hs_conn_key(const struct hs_state *st, const struct hs_conn *c)
{
    return (uint64_t)1 << 63 | (uint64_t)c->gen << 16 | (uint64_t)(c - st->conns);
}

static void hs_arm(struct hs_state *st, struct hs_conn *c, int writing)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLRDHUP | (c->mode == HM_NOREAD ? 0u : (uint32_t)EPOLLIN) |
                (writing ? (uint32_t)EPOLLOUT : 0u);
    ev.data.u64 = hs_conn_key(st, c);
    if (epoll_ctl(st->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        hs_close(c, 0);
    else
        c->writing = writing;
}

/* Send what the connection still owes, as far as the socket takes it. */
static void hs_flush(struct hs_state *st, struct hs_conn *c)
{
    /* Bounded per call so that one endless stream cannot starve the rest. */
    for (int round = 0; round < 64 && c->fd >= 0 && c->sent < c->total; round++) {
        size_t off = (size_t)(c->sent % c->src_len);
        size_t n = c->src_len - off;
        ssize_t w;

        if (c->total - c->sent < n)
            n = (size_t)(c->total - c->sent);
        w = send(c->fd, c->src + off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c->writing)
                    hs_arm(st, c, 1);
                return;
            }
            if (errno == EINTR)
                continue;
            hs_close(c, 0);
            return;
        }
        c->sent += (uint64_t)w;
    }
    if (c->fd < 0)
        return;
    if (c->sent < c->total) { /* the round limit: come back on EPOLLOUT */
        if (!c->writing)
            hs_arm(st, c, 1);
        return;
    }
    if (c->after == HA_CLOSE || c->after == HA_RESET) {
        hs_close(c, c->after == HA_RESET);
        return;
    }
    if (c->writing)
        hs_arm(st, c, 0);
}

static void hs_send(struct hs_state *st, struct hs_conn *c, const unsigned char *src, size_t len,
                    uint64_t total, int after)
{
    c->src = src;
    c->src_len = len;
    c->total = total;
    c->sent = 0;
    c->after = after;
    hs_flush(st, c);
}

/* What a mode does when a connection is accepted. */
static void hs_on_accept(struct hs_state *st, struct hs_conn *c, double now)
{
    uint64_t r;

    switch (c->mode) {
    case HM_STREAM: hs_send(st, c, st->pattern, sizeof st->pattern, HS_FOREVER, HA_HOLD); break;
    case HM_TRICKLE: c->timer = now; break;
    case HM_BIGLINE: hs_send(st, c, st->aaaa, sizeof st->aaaa, HS_BIGLINE, HA_HOLD); break;
    case HM_NUL: hs_send(st, c, hs_nul_banner, HS_LEN(hs_nul_banner), HS_LEN(hs_nul_banner), HA_HOLD); break;
    case HM_NULRAW:
        hs_send(st, c, hs_nulraw_banner, HS_LEN(hs_nulraw_banner), HS_LEN(hs_nulraw_banner), HA_HOLD);
        break;
    case HM_NULHTTP: break; /* speaks when spoken to */
    case HM_CLOSEMID: c->timer = now + 0.2; break;
    case HM_RESET:
        r = hs_rand(st);
        switch (r % 4) {
        case 0: hs_close(c, 1); break;
        case 1: /* part of a banner, then an RST soon after */
            hs_send(st, c, hs_ssh_banner, HS_LEN(hs_ssh_banner), 1 + (r >> 8) % (HS_LEN(hs_ssh_banner) - 1),
                    HA_HOLD);
            if (c->fd >= 0)
                c->timer = now + (double)((r >> 16) % 300) / 1000.0;
            break;
        case 2: c->reset_on_read = 1; break;
        default: c->timer = now + (double)((r >> 16) % 1000) / 1000.0; break;
        }
        break;
    case HM_TLSGARBAGE: break; /* answers what it reads */
    case HM_NOREAD: break;
    case HM_SLOWACCEPT:
    case HM_BANNER: hs_send(st, c, hs_ssh_banner, HS_LEN(hs_ssh_banner), HS_LEN(hs_ssh_banner), HA_HOLD); break;
    case HM_MARKUP:
        hs_send(st, c, hs_markup_banner, HS_LEN(hs_markup_banner), HS_LEN(hs_markup_banner), HA_HOLD);
        break;
    case HM_MARKUPRAW:
        hs_send(st, c, hs_markupraw_banner, HS_LEN(hs_markupraw_banner), HS_LEN(hs_markupraw_banner), HA_HOLD);
        break;
    default: break;
    }
}

/* What a mode does with the first bytes it reads. */
static void hs_on_first_data(struct hs_state *st, struct hs_conn *c)
{
    unsigned v;

    switch (c->mode) {
    case HM_NULHTTP:
        hs_send(st, c, hs_nulhttp_reply, HS_LEN(hs_nulhttp_reply), HS_LEN(hs_nulhttp_reply), HA_CLOSE);
        break;
    case HM_CLOSEMID:
        c->timer = 0;
        hs_send(st, c, hs_half_hello, sizeof hs_half_hello, sizeof hs_half_hello, HA_CLOSE);
        break;
    case HM_RESET:
        if (c->reset_on_read)
            hs_close(c, 1);
        break;
    case HM_TLSGARBAGE:
        v = (unsigned)((uintptr_t)(c - st->conns) % 4);
        hs_send(st, c, st->garbage[v], st->garbage_len[v], st->garbage_len[v], HA_HOLD);
        break;
    default: break;
    }
}

/* A connection's deadline has come. */
static void hs_timer(struct hs_state *st, struct hs_conn *c, double now)
{
    c->timer = 0;
    switch (c->mode) {
    case HM_TRICKLE: {
        /* One byte, if the previous one has left; then the next tick. */
        if (c->sent >= c->total) {
            c->src = hs_trickle_text;
            c->src_len = HS_LEN(hs_trickle_text);
            c->total++;
            c->after = HA_HOLD;
            hs_flush(st, c);
        }
        if (c->fd >= 0)
            c->timer = now + 1.0;
        break;
    }
    case HM_CLOSEMID:
        hs_send(st, c, hs_half_hello, sizeof hs_half_hello, sizeof hs_half_hello, HA_CLOSE);
        break;
    case HM_RESET: hs_close(c, 1); break;
    default: break;
    }
}

/* Read and discard; the first bytes may make the mode act. */
static void hs_read(struct hs_state *st, struct hs_conn *c)
{
    static unsigned char sink[16384];

    for (int i = 0; i < 16 && c->fd >= 0; i++) {
        ssize_t r = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (r > 0) {
            if (!c->got_data) {
                c->got_data = 1;
                hs_on_first_data(st, c);
            }
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r < 0 && errno == EINTR)
            continue;
        hs_close(c, 0); /* EOF or error */
    }
}

static void hs_accept(struct hs_state *st, struct hs_listener *l, int max, double now)
{
    for (int k = 0; k < max; k++) {
        struct epoll_event ev;
        struct hs_conn *c = NULL;
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0)
            return; /* EAGAIN, or a transient error: the next event retries */
        st->accepted++;
        for (int i = 0; i < HS_MAX_CONNS; i++) {
            if (st->conns[i].fd < 0) {
                c = &st->conns[i];
                break;
            }
        }
        if (!c) { /* full: bounded memory beats politeness */
            struct hs_conn tmp = { .fd = fd };
            hs_close(&tmp, 1);
            continue;
        }
        uint32_t gen = c->gen + 1;
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->gen = gen;
        c->mode = l->mode;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLRDHUP | (c->mode == HM_NOREAD ? 0u : (uint32_t)EPOLLIN);
        ev.data.u64 = hs_conn_key(st, c);
        if (epoll_ctl(st->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            hs_close(c, 0);
            continue;
        }
        hs_on_accept(st, c, now);
    }
}

/* Parse PORT:MODE. */
static int hs_parse_spec(const char *arg, long *port, int *mode)
{
    char num[8];
    const char *colon = strchr(arg, ':');
    size_t n;

    if (!colon || (n = (size_t)(colon - arg)) == 0 || n >= sizeof num)
        return -1;
    memcpy(num, arg, n);
    num[n] = '\0';
    *port = hs_number(num, 0, 65535);
    if (*port < 0)
        return -1;
    for (int m = 0; m < HM_COUNT; m++) {
        if (strcmp(colon + 1, hs_mode_names[m]) == 0) {
            *mode = m;
            return 0;
        }
    }
    return -1;
}

/* The soonest timer of any connection or slow listener, or `deadline`. */
static double hs_next_timer(const struct hs_state *st, double deadline)
{
    double t = deadline;

    for (int i = 0; i < st->nls; i++)
        if (st->ls[i].mode == HM_SLOWACCEPT && st->ls[i].next_accept < t)
            t = st->ls[i].next_accept;
    for (int i = 0; i < HS_MAX_CONNS; i++)
        if (st->conns[i].fd >= 0 && st->conns[i].timer > 0 && st->conns[i].timer < t)
            t = st->conns[i].timer;
    return t;
}

static void hs_run_timers(struct hs_state *st, double now)
{
    for (int i = 0; i < st->nls; i++) {
        struct hs_listener *l = &st->ls[i];
        if (l->mode == HM_SLOWACCEPT && l->next_accept <= now) {
            hs_accept(st, l, 1, now);
            l->next_accept = now + 1.0;
        }
    }
    for (int i = 0; i < HS_MAX_CONNS; i++) {
        struct hs_conn *c = &st->conns[i];
        if (c->fd >= 0 && c->timer > 0 && c->timer <= now)
            hs_timer(st, c, now);
    }
}

int main(int argc, char **argv)
{
    static struct hs_state st;
    const char *addr = NULL;
    const char *specs[HS_MAX_PORTS];
    int nspecs = 0;
    long seconds = 60;
    unsigned long long seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
    double deadline;

    /* Options may come before, between or after the positional arguments. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-t") == 0 || strcmp(a, "-s") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (a[1] == 't') {
                seconds = hs_number(v, 1, HS_MAX_SECONDS);
                if (seconds < 0) {
                    fprintf(stderr, "hostile: bad -t '%s' (1..%d)\n", v ? v : "", HS_MAX_SECONDS);
                    return 1;
                }
            } else {
                char *end;
                errno = 0;
                seed = v ? strtoull(v, &end, 10) : 0;
                if (!v || errno || *end || !*v) {
                    fprintf(stderr, "hostile: bad -s '%s'\n", v ? v : "");
                    return 1;
                }
            }
        } else if (a[0] == '-') {
            hs_usage();
            return 1;
        } else if (!addr) {
            addr = a;
        } else if (nspecs < HS_MAX_PORTS) {
            specs[nspecs++] = a;
        } else {
            fprintf(stderr, "hostile: more than %d ports\n", HS_MAX_PORTS);
            return 1;
        }
    }
    if (!addr || nspecs == 0) {
        hs_usage();
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)seconds + 2);
    deadline = hs_now() + (double)seconds;
    st.rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
    hs_build_buffers(&st);
    st.conns = calloc(HS_MAX_CONNS, sizeof *st.conns);
    if (!st.conns) {
        perror("hostile: calloc");
        return 2;
    }
    for (int i = 0; i < HS_MAX_CONNS; i++)
        st.conns[i].fd = -1;
    st.ep = epoll_create1(EPOLL_CLOEXEC);
    if (st.ep < 0) {
        perror("hostile: epoll_create1");
        return 2;
    }
    for (int i = 0; i < nspecs; i++) {
        struct hs_listener *l = &st.ls[st.nls];
        struct epoll_event ev;
        long port;

        if (hs_parse_spec(specs[i], &port, &l->mode) < 0) {
            fprintf(stderr, "hostile: bad PORT:MODE '%s'\n", specs[i]);
            hs_usage();
            return 1;
        }
        l->fd = hs_open(addr, port, l->mode, &l->port);
        if (l->fd < 0)
            return 2;
        st.nls++;
        if (l->mode == HM_SLOWACCEPT) { /* accepted by the timer, not by events */
            l->next_accept = hs_now() + 1.0;
            continue;
        }
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.u64 = (uint64_t)(st.nls - 1);
        if (epoll_ctl(st.ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
            perror("hostile: epoll_ctl");
            return 2;
        }
    }

    printf("ready %ld", (long)getpid());
    for (int i = 0; i < st.nls; i++)
        printf(" %d", st.ls[i].port);
    printf("\n");
    if (fflush(stdout) != 0)
        return 2;

    for (;;) {
        struct epoll_event evs[64];
        double now = hs_now(), next;
        int n, wait_ms;

        if (now >= deadline)
            break;
        next = hs_next_timer(&st, deadline);
        wait_ms = next <= now ? 0 : (int)((next - now) * 1000.0) + 1;
        n = epoll_wait(st.ep, evs, 64, wait_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("hostile: epoll_wait");
            return 2;
        }
        now = hs_now();
        for (int i = 0; i < n; i++) {
            uint64_t d = evs[i].data.u64;
            uint32_t e = evs[i].events;
            if (!(d >> 63)) {
                hs_accept(&st, &st.ls[d], 256, now);
                continue;
            }
            struct hs_conn *c = &st.conns[d & 0xffff];
            if (c->fd < 0 || c->gen != (uint32_t)(d >> 16))
                continue; /* closed (and maybe reused) earlier in this batch */
            if (e & EPOLLIN)
                hs_read(&st, c);
            if (c->fd >= 0 && (e & EPOLLOUT))
                hs_flush(&st, c);
            if (c->fd >= 0 && c->mode == HM_NOREAD && (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                hs_close(c, 0);
            else if (c->fd >= 0 && (e & (EPOLLHUP | EPOLLERR)))
                hs_close(c, 0);
        }
        hs_run_timers(&st, now);
    }
    return 0;
}
