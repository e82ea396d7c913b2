/* test_localinfo.c: the local process lookup (localinfo.h).
 *
 * Without arguments: unit tests.  /proc/net parsing and escaping are fed
 * text directly; the /proc walk runs on a fake /proc tree built in a temp
 * directory (fd links are plain symlinks reading "socket:[N]"); the live
 * part binds sockets in this process on loopback and asks who owns them.
 *
 * With arguments it is the driver tests/integration/localinfo.sh uses:
 *   test_localinfo query ADDR PORT tcp|udp   one line of key=value
 *   test_localinfo local ADDR                "local=0|1"
 *   test_localinfo bench N                   N snapshots, timings */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "local/localinfo_int.h"
#include "unit.h"

/* An array as a plain pointer, for CHECK_STR's NULL test. */
static const char *S(const char *p)
{
    return p;
}

/* ------------------------------------------------------- /proc/net lines */

/* A /proc/net address word as this machine's kernel prints it. */
static void native_hex(const uint8_t *bytes, int nwords, char *out)
{
    for (int i = 0; i < nwords; i++) {
        uint32_t w;
        memcpy(&w, bytes + 4 * i, 4);
        sprintf(out + 8 * i, "%08X", w);
    }
}

static void test_parse_v4_listen(void)
{
    static const uint8_t lo2[4] = {127, 0, 0, 2};
    char hex[9], line[256];
    ps_li_sock s;

    native_hex(lo2, 1, hex);
    snprintf(line, sizeof line,
             "   3: %s:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   "
             "65534        0 314933 1 000000002cc7c79c 100 0 0 10 0\n", hex);
    CHECK(ps_li_parse_proc_net_line(line, AF_INET, PS_TCP, &s) == 1, "listen line");
    CHECK(s.bound.family == AF_INET && s.bound.u.v4 == 0x7f000002u, "addr %08x", s.bound.u.v4);
    CHECK(s.port == 8080, "port %u", s.port);
    CHECK(s.uid == 65534, "uid %u", s.uid);
    CHECK(s.inode == 314933, "inode %llu", (unsigned long long)s.inode);
    CHECK(s.proto == PS_TCP && s.netns == -1, "proto/netns");

    /* A sample as a little-endian kernel writes it. */
    uint32_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    if (first == 1) {
        CHECK(ps_li_parse_proc_net_line("   0: 0100007F:6DB0 00000000:0000 0A 00000000:00000000 "
                                        "00:00000000 00000000     0        0 314933 1 000000002cc7c79c "
                                        "100 0 0 10 0", AF_INET, PS_TCP, &s) == 1, "sample");
        CHECK(s.bound.u.v4 == 0x7f000001u && s.port == 28080, "sample addr/port");
    }
}

static void test_parse_v6_and_states(void)
{
    uint8_t a6[16] = {0};
    char hex[33], line[300];
    ps_li_sock s;

    a6[15] = 1;
    native_hex(a6, 4, hex);
    for (int st = 1; st <= 11; st++) {
        snprintf(line, sizeof line,
                 "  0: %s:0016 00000000000000000000000000000000:0000 %02X 00000000:00000000 "
                 "00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0", hex, st);
        int r = ps_li_parse_proc_net_line(line, AF_INET6, PS_TCP, &s);
        /* Only LISTEN (0A) is a listener; connections and the rest are not. */
        CHECK(r == (st == 10), "tcp6 state %02X: %d", st, r);
    }
    CHECK(s.bound.family == AF_INET6 && s.bound.u.v6[15] == 1 && s.bound.u.v6[0] == 0, "::1");
    CHECK(s.port == 22 && s.v6only == -1 && s.inode == 4242, "port/v6only/inode");

    /* UDP: 07 (unconnected) counts, 01 (connected) does not, port 0 does not. */
    CHECK(ps_li_parse_proc_net_line("  7: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 "
                                    "00000000   101        0 999 2 0000000000000000 0",
                                    AF_INET, PS_UDP, &s) == 1, "udp 07");
    CHECK(s.port == 53 && s.proto == PS_UDP && s.uid == 101, "udp fields");
    CHECK(ps_li_parse_proc_net_line("  7: 0100007F:0035 0200007F:0035 01 00000000:00000000 00:00000000 "
                                    "00000000   101        0 999 2 0000000000000000 0",
                                    AF_INET, PS_UDP, &s) == 0, "udp connected");
    CHECK(ps_li_parse_proc_net_line("  7: 0100007F:0000 00000000:0000 07 00000000:00000000 00:00000000 "
                                    "00000000   101        0 999 2 0000000000000000 0",
                                    AF_INET, PS_UDP, &s) == 0, "udp port 0");
    /* TCP 07 is a closed socket, not a listener. */
    CHECK(ps_li_parse_proc_net_line("  7: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 "
                                    "00000000   101        0 999 2 0000000000000000 0",
                                    AF_INET, PS_TCP, &s) == 0, "tcp close");
    /* Header and blank lines. */
    CHECK(ps_li_parse_proc_net_line("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                                    "retrnsmt   uid  timeout inode", AF_INET, PS_TCP, &s) == 0, "header");
    CHECK(ps_li_parse_proc_net_line("\n", AF_INET, PS_TCP, &s) == 0, "blank");
}

static void test_parse_malformed(void)
{
    static const char *bad[] = {
        "0: 0100007F:1F90",                                        /* truncated */
        "  0: 0100007G:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1",       /* non-hex */
        "  0: 0100007F1F90 00000000:0000 0A 0:0 0:0 0 0 0 1",        /* no colon */
        "  0: 0100007F:1F9 00000000:0000 0A 0:0 0:0 0 0 0 1",        /* short port */
        "  0: 0100007F:1F900 00000000:0000 0A 0:0 0:0 0 0 0 1",      /* long port */
        "  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 99999999999 0 1", /* uid > 32 bits */
        "  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 99999999999999999999999", /* inode overflow */
        "  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0",         /* no inode */
        "  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 -1 0 1",      /* negative uid */
        "  x: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1",       /* bad slot */
        "  0: 0100007F:1F90 00000000:0000 A 0:0 0:0 0 0 0 1",        /* short state */
        "  0: \x1b[2J:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1",        /* hostile bytes */
        "  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1\x1b",    /* junk after inode */
    };
    ps_li_sock s;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(ps_li_parse_proc_net_line(bad[i], AF_INET, PS_TCP, &s) == -1, "bad[%zu] accepted", i);
    /* An IPv4 line is malformed as IPv6 (short address). */
    CHECK(ps_li_parse_proc_net_line("  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1",
                                    AF_INET6, PS_TCP, &s) == -1, "v4 line as v6");
    CHECK(ps_li_parse_proc_net_line("  0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1",
                                    AF_INET, PS_TCP, &s) == 1, "minimal good line");
    CHECK(ps_li_parse_proc_net_line(NULL, AF_INET, PS_TCP, &s) == -1, "NULL");
    CHECK(ps_li_parse_proc_net_line("", AF_UNIX, PS_TCP, &s) == -1, "family");
}

/* The parser against the real kernel's text: a socket we bind shows up in
 * /proc/net/tcp with the address, port and inode sock_diag reports. */
static void test_proc_net_matches_netlink(void)
{
    ps_li_socks nl = {0}, pr = {0};
    ps_err e = {{0}};
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int all = 0, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    size_t hits = 0;

    sa.sin_addr.s_addr = htonl(0x7f000002u);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        CHECK(0, "set-up: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    CHECK(ps_li_socks_read(&nl, &all, &e) == PS_OK, "sock_diag: %s", e.msg);
    CHECK(ps_li_socks_read_proc(&pr, "/proc/net", AF_INET, PS_TCP, &e) == PS_OK, "/proc/net/tcp: %s", e.msg);
    CHECK(ps_li_socks_read_proc(&pr, "/proc/net", AF_INET6, PS_UDP, &e) == PS_OK, "/proc/net/udp6: %s", e.msg);
    for (size_t i = 0; i < nl.n; i++) {
        const ps_li_sock *a = &nl.v[i];
        if (a->proto != PS_TCP || a->bound.family != AF_INET || a->port != ntohs(sa.sin_port) ||
            a->bound.u.v4 != 0x7f000002u)
            continue;
        for (size_t j = 0; j < pr.n; j++) {
            const ps_li_sock *b = &pr.v[j];
            if (b->inode == a->inode && b->port == a->port && b->bound.u.v4 == a->bound.u.v4 &&
                b->uid == a->uid && b->proto == PS_TCP)
                hits++;
        }
    }
    CHECK(hits == 1, "our listener in both tables: %zu", hits);
    ps_li_socks_free(&nl);
    ps_li_socks_free(&pr);
    close(fd);

    /* Missing IPv6 files mean no IPv6, not an error; a missing IPv4 one is. */
    CHECK(ps_li_socks_read_proc(&pr, "/nonexistent", AF_INET6, PS_TCP, &e) == PS_OK && pr.n == 0, "no tcp6");
    CHECK(ps_li_socks_read_proc(&pr, "/nonexistent", AF_INET, PS_TCP, &e) == PS_ERUNTIME, "no tcp");
    ps_li_socks_free(&pr);
}

/* ------------------------------------------------------------- escaping */

static void test_escape(void)
{
    static const char argv_raw[] = "evil\0\x1b[2J\x1b]0;pwned\x07\0a\\b\0\x9b\xff\0\0";
    char out[256];

    ps_li_escape(argv_raw, sizeof argv_raw - 1, out, sizeof out);
    CHECK_STR(S(out), "evil \\x1b[2J\\x1b]0;pwned\\x07 a\\\\b \\x9b\\xff");
    for (const char *p = out; *p; p++)
        CHECK(*p >= 0x20 && *p <= 0x7e, "unprintable byte 0x%02x", (unsigned char)*p);

    ps_li_escape("", 0, out, sizeof out);
    CHECK_STR(S(out), "");
    ps_li_escape("\0\0", 2, out, sizeof out);
    CHECK_STR(S(out), "");
    CHECK(ps_li_escape("abc", 3, out, 4) == 3, "exact fit");
    CHECK_STR(S(out), "abc");
    ps_li_escape("abcd", 4, out, 4);
    CHECK_STR(S(out), "...");
    ps_li_escape("abcdef", 6, out, 6);
    CHECK_STR(S(out), "ab...");
    ps_li_escape("abcdef", 6, out, 1);
    CHECK_STR(S(out), "");
}

/* A cut never leaves half an escape, always says "...", and is a prefix of
 * the full text. */
static void test_escape_cut(void)
{
    static const char raw[] = "\x1b\\\x01x\\\\\x7f\xc3\xa9 z\x1b";
    char full[128], out[128];
    size_t flen = ps_li_escape(raw, sizeof raw - 1, full, sizeof full);

    for (size_t cap = 1; cap <= flen + 1; cap++) {
        size_t n = ps_li_escape(raw, sizeof raw - 1, out, cap);
        CHECK(n < cap && strlen(out) == n, "cap %zu: length %zu", cap, n);
        if (cap == flen + 1) {
            CHECK_STR(S(out), full);
            continue;
        }
        if (cap >= 4)
            CHECK(n >= 3 && strcmp(out + n - 3, "...") == 0, "cap %zu: '%s' lacks ...", cap, out);
        size_t body = n >= 3 ? n - 3 : 0;
        CHECK(strncmp(out, full, body) == 0, "cap %zu: '%s' not a prefix of '%s'", cap, out, full);
        /* The body ends on an escape boundary of the full text. */
        size_t p = 0;
        while (p < body) {
            size_t len = full[p] != '\\' ? 1 : full[p + 1] == 'x' ? 4 : 2;
            p += len;
        }
        CHECK(p == body, "cap %zu: cut inside an escape: '%s'", cap, out);
    }
}

/* ---------------------------------------------------------- fake /proc */

static char fake_root[256];

static void fake_write(const char *rel, const char *data, size_t n)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", fake_root, rel);
    f = fopen(path, "w");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void fake_mkdir(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fake_root, rel);
    mkdir(path, 0755);
}

static void fake_link(const char *rel, const char *target)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fake_root, rel);
    if (symlink(target, path) != 0)
        printf("# symlink %s: %s\n", path, strerror(errno));
}

static void fake_proc(int pid, int ppid, const char *comm, const char *cmdline, size_t cmdlen, unsigned uid)
{
    char rel[64], buf[512];
    int n;

    snprintf(rel, sizeof rel, "%d", pid);
    fake_mkdir(rel);
    snprintf(rel, sizeof rel, "%d/fd", pid);
    fake_mkdir(rel);
    snprintf(rel, sizeof rel, "%d/ns", pid);
    fake_mkdir(rel);
    snprintf(rel, sizeof rel, "%d/ns/net", pid);
    fake_write(rel, "", 0);
    /* a comm with ") S 1" inside, as a hostile process could choose */
    n = snprintf(buf, sizeof buf, "%d (%s) x) S %d 1 1 0 -1\n", pid, comm, ppid);
    snprintf(rel, sizeof rel, "%d/stat", pid);
    fake_write(rel, buf, (size_t)n);
    n = snprintf(buf, sizeof buf, "%s\n", comm);
    snprintf(rel, sizeof rel, "%d/comm", pid);
    fake_write(rel, buf, (size_t)n);
    snprintf(rel, sizeof rel, "%d/cmdline", pid);
    fake_write(rel, cmdline, cmdlen);
    n = snprintf(buf, sizeof buf, "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t0\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
                 comm, uid, uid, uid);
    snprintf(rel, sizeof rel, "%d/status", pid);
    fake_write(rel, buf, (size_t)n);
}

static void test_fake_proc(void)
{
    ps_li_procs p = {0};
    ps_err e = {{0}};
    ps_proc_info pi;
    size_t first = 0, n;

    snprintf(fake_root, sizeof fake_root, "%s/pscan-li-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(fake_root)) {
        CHECK(0, "mkdtemp: %s", strerror(errno));
        return;
    }
    fake_mkdir("self");
    fake_mkdir("self/ns");
    fake_write("self/ns/net", "", 0);
    fake_mkdir("not-a-pid");
    fake_mkdir("0123");
    fake_proc(1, 0, "systemd", "/sbin/init\0", 11, 0);
    fake_proc(100, 1, "web", "web\0-c\0/etc/web.conf\0", 21, 65534);
    fake_proc(101, 100, "web", "web\0worker\0", 11, 65534);
    fake_proc(102, 100, "web", "web\0worker\0", 11, 65534);
    fake_proc(200, 1, "ev\x1b[1mil", "ev\x1b[1mil\0\x1b]0;x\x07\0", 16, 4000000000u);
    fake_link("1/fd/7", "socket:[555]");
    fake_link("1/fd/8", "socket:[999]");
    fake_link("100/fd/3", "socket:[555]");
    fake_link("100/fd/4", "/dev/null");
    fake_link("100/fd/5", "socket:[777]");
    fake_link("101/fd/3", "socket:[555]");
    fake_link("102/fd/3", "socket:[555]");
    fake_link("102/fd/9", "socket:[12x]");
    fake_link("200/fd/0", "socket:[888]");
    fake_link("200/fd/1", "socket:[888]x");
    fake_link("200/fd/2", "pipe:[888]");

    CHECK(ps_li_procs_scan(&p, fake_root, &e) == PS_OK, "scan: %s", e.msg);
    CHECK(p.npids == 5, "npids %zu", p.npids);
    CHECK(p.nrefs == 7, "nrefs %zu", p.nrefs);
    CHECK(p.denied == 0 && !p.truncated, "denied %zu", p.denied);
    CHECK(p.own_netns != 0, "own netns");

    n = ps_li_procs_holders(&p, 555, &first);
    CHECK(n == 4, "holders of 555: %zu", n);
    /* pid 1 hands sockets on, 101/102 are children of holder 100: the master is 100. */
    CHECK(ps_li_procs_pick(&p, fake_root, first, n) == 100, "pick %d", ps_li_procs_pick(&p, fake_root, first, n));
    n = ps_li_procs_holders(&p, 777, &first);
    CHECK(n == 1 && p.refs[first].pid == 100, "777");
    CHECK(ps_li_procs_holders(&p, 888, &first) == 1, "888 once (the malformed link ignored)");
    CHECK(ps_li_procs_holders(&p, 556, &first) == 0, "absent inode");
    CHECK(ps_li_procs_holders(&p, 0, &first) == 0, "inode 0");

    CHECK(ps_li_proc_fill(fake_root, 100, &pi) == PS_OK, "fill 100");
    CHECK(pi.pid == 100, "pid");
    CHECK_STR(S(pi.name), "web");
    CHECK_STR(S(pi.cmdline), "web -c /etc/web.conf");
    CHECK_STR(S(pi.user), "nobody");
    CHECK(ps_li_proc_fill(fake_root, 200, &pi) == PS_OK, "fill 200");
    CHECK_STR(S(pi.name), "ev\\x1b[1mil");
    CHECK_STR(S(pi.cmdline), "ev\\x1b[1mil \\x1b]0;x\\x07");
    CHECK_STR(S(pi.user), "4000000000");
    CHECK(ps_li_proc_fill(fake_root, 300, &pi) != PS_OK, "gone process");

    /* A /proc/net-style directory: good lines counted, a bad one refused. */
    static const char good[] =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1\n"
        "   1: 0100007F:0017 0100007F:9999 01 00000000:00000000 00:00000000 00000000     0        0 556 1\n";
    ps_li_socks t = {0};
    char dir[300];
    fake_mkdir("net");
    fake_write("net/tcp", good, sizeof good - 1);
    snprintf(dir, sizeof dir, "%s/net", fake_root);
    CHECK(ps_li_socks_read_proc(&t, dir, AF_INET, PS_TCP, &e) == PS_OK && t.n == 1, "good file: %zu", t.n);
    static const char bad[] = "  0: 0100007F:0016 00000000:0000 07 \x1b[31m\n";
    fake_write("net/udp", bad, sizeof bad - 1);
    CHECK(ps_li_socks_read_proc(&t, dir, AF_INET, PS_UDP, &e) == PS_ERUNTIME, "bad file accepted");
    CHECK(strstr(e.msg, "malformed line 1") != NULL, "message: %s", e.msg);
    ps_li_socks_free(&t);

    /* pid 1 alone (a socket it has not handed on yet) is named. */
    n = ps_li_procs_holders(&p, 999, &first);
    CHECK(n == 1 && ps_li_procs_pick(&p, fake_root, first, n) == 1, "pid 1 alone");
    ps_li_procs_free(&p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fake_root);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", fake_root);
}

/* ------------------------------------------------------------ live */

static int bind_listen(int family, const char *addr, int type, int v6only, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        return -1;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &s4->sin_addr);
        len = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
        len = sizeof *s6;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (type == SOCK_STREAM && listen(fd, 4) < 0) ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static ps_addr A(const char *s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    if (ps_addr_parse(s, &a) != 0)
        printf("# bad test address %s\n", s);
    return a;
}

static void my_comm(char *out, size_t len)
{
    FILE *f = fopen("/proc/self/comm", "r");
    out[0] = '\0';
    if (f) {
        if (fgets(out, (int)len, f))
            out[strcspn(out, "\n")] = '\0';
        fclose(f);
    }
}

static void test_live(void)
{
    ps_err e = {{0}};
    ps_localinfo *li = ps_localinfo_new(&e);
    ps_proc_info pi;
    uint16_t p2 = 0, p6 = 0, pu = 0, pm = 0, plate = 0;
    int f2, f6, fu, fm, flate;
    char comm[64];
    ps_addr a;

    my_comm(comm, sizeof comm);
    f2 = bind_listen(AF_INET, "127.0.0.2", SOCK_STREAM, 0, &p2);
    f6 = bind_listen(AF_INET6, "::1", SOCK_STREAM, 1, &p6);
    fu = bind_listen(AF_INET, "127.0.0.1", SOCK_DGRAM, 0, &pu);
    fm = bind_listen(AF_INET6, "::ffff:127.0.0.3", SOCK_STREAM, 0, &pm);
    CHECK(li && f2 >= 0 && fu >= 0, "set-up: %s", strerror(errno));
    if (!li || f2 < 0 || fu < 0)
        goto out;

    a = A("127.0.0.2");
    CHECK(ps_localinfo_lookup(li, &a, p2, PS_TCP, &pi) == PS_OK, "lookup: %s", ps_localinfo_error(li));
    CHECK(pi.found && pi.visible && !pi.other_netns, "127.0.0.2:%u found %d visible %d", p2, pi.found, pi.visible);
    CHECK(pi.pid == (int)getpid(), "pid %d, want %d", pi.pid, (int)getpid());
    CHECK_STR(S(pi.name), comm);
    CHECK_STR(S(pi.bind), "127.0.0.2");
    a = A("127.0.0.1");
    ps_localinfo_lookup(li, &a, p2, PS_TCP, &pi);
    CHECK(!pi.found || strcmp(pi.bind, "127.0.0.2") != 0, "127.0.0.2's socket taken for 127.0.0.1");
    a = A("127.0.0.2");
    ps_localinfo_lookup(li, &a, p2, PS_UDP, &pi);
    CHECK(!pi.found || pi.pid != (int)getpid(), "TCP socket found for UDP");

    a = A("127.0.0.1");
    ps_localinfo_lookup(li, &a, pu, PS_UDP, &pi);
    CHECK(pi.found && pi.pid == (int)getpid(), "udp 127.0.0.1:%u", pu);
    CHECK_STR(S(pi.bind), "127.0.0.1");
    a = A("::ffff:127.0.0.1"); /* mapped form is the same target */
    ps_localinfo_lookup(li, &a, pu, PS_UDP, &pi);
    CHECK(pi.found && pi.pid == (int)getpid(), "udp via ::ffff:127.0.0.1");

    if (f6 >= 0) {
        a = A("::1");
        ps_localinfo_lookup(li, &a, p6, PS_TCP, &pi);
        CHECK(pi.found && pi.pid == (int)getpid(), "::1 v6only");
        CHECK_STR(S(pi.bind), "::1");
        a = A("127.0.0.1");
        ps_localinfo_lookup(li, &a, p6, PS_TCP, &pi);
        CHECK(!pi.found || pi.pid != (int)getpid(), "v6-only socket taken for IPv4");
    } else {
        printf("# no IPv6: ::1 part skipped\n");
    }
    if (fm >= 0) {
        a = A("127.0.0.3");
        ps_localinfo_lookup(li, &a, pm, PS_TCP, &pi);
        CHECK(pi.found && pi.pid == (int)getpid(), "::ffff:127.0.0.3 socket for 127.0.0.3");
        CHECK_STR(S(pi.bind), "::ffff:127.0.0.3");
    }

    /* A snapshot is a snapshot: a new listener shows after refresh only. */
    flate = bind_listen(AF_INET, "127.0.0.2", SOCK_STREAM, 0, &plate);
    a = A("127.0.0.2");
    ps_localinfo_lookup(li, &a, plate, PS_TCP, &pi);
    CHECK(!pi.found, "new socket seen without refresh");
    CHECK(ps_localinfo_refresh(li, &e) == PS_OK, "refresh: %s", e.msg);
    ps_localinfo_lookup(li, &a, plate, PS_TCP, &pi);
    CHECK(pi.found && pi.pid == (int)getpid(), "new socket after refresh");
    if (flate >= 0)
        close(flate);

    ps_localinfo_stats st;
    ps_localinfo_get_stats(li, &st);
    CHECK(st.procs > 0 && st.listeners >= 2 && st.sock_fds >= 2, "stats %zu %zu %zu", st.procs, st.listeners,
          st.sock_fds);
    CHECK(st.via_netlink == 1, "sock_diag not used");
    if (geteuid() == 0)
        CHECK(ps_localinfo_complete(li) == 1, "root sees everything");

    /* Bad arguments. */
    CHECK(ps_localinfo_lookup(li, NULL, 1, PS_TCP, &pi) == PS_EINPUT, "NULL addr");
    a.family = AF_UNIX;
    CHECK(ps_localinfo_lookup(li, &a, 1, PS_TCP, &pi) == PS_EINPUT, "bad family");
    a = A("127.0.0.1");
    CHECK(ps_localinfo_lookup(li, &a, 1, (enum ps_proto)7, &pi) == PS_EINPUT, "bad proto");
    CHECK(ps_localinfo_lookup(NULL, &a, 1, PS_TCP, &pi) == PS_EINPUT, "NULL li");
out:
    if (f2 >= 0)
        close(f2);
    if (f6 >= 0)
        close(f6);
    if (fu >= 0)
        close(fu);
    if (fm >= 0)
        close(fm);
    ps_localinfo_free(li);
}

/* Two sockets on one port (SO_REUSEPORT): the more specific one wins, as in
 * the kernel: an AF_INET socket on 127.0.0.1 beats an AF_INET6 one on
 * ::ffff:127.0.0.1 for an IPv4 target; with it gone the mapped one takes it. */
static void test_live_specificity(void)
{
    struct sockaddr_in s4 = {.sin_family = AF_INET};
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
    socklen_t len = sizeof s6;
    int one = 1, off = 0, f6, f4 = -1;
    ps_localinfo *li = ps_localinfo_new(NULL);
    ps_proc_info pi;
    ps_addr a = A("127.0.0.1");

    f6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
    if (f6 < 0 || setsockopt(f6, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        setsockopt(f6, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0 ||
        bind(f6, (struct sockaddr *)&s6, sizeof s6) < 0 || listen(f6, 4) < 0 ||
        getsockname(f6, (struct sockaddr *)&s6, &len) < 0) {
        printf("# SO_REUSEPORT set-up failed (%s): skipped\n", strerror(errno));
        goto out;
    }
    f4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    s4.sin_addr.s_addr = htonl(0x7f000001u);
    s4.sin_port = s6.sin6_port;
    if (f4 < 0 || setsockopt(f4, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(f4, (struct sockaddr *)&s4, sizeof s4) < 0 || listen(f4, 4) < 0) {
        printf("# second socket on one port refused (%s): skipped\n", strerror(errno));
        goto out;
    }
    ps_localinfo_lookup(li, &a, ntohs(s6.sin6_port), PS_TCP, &pi);
    CHECK(pi.found && pi.pid == (int)getpid(), "found");
    CHECK_STR(S(pi.bind), "127.0.0.1");
    close(f4);
    f4 = -1;
    ps_localinfo_refresh(li, NULL);
    ps_localinfo_lookup(li, &a, ntohs(s6.sin6_port), PS_TCP, &pi);
    CHECK(pi.found && pi.pid == (int)getpid(), "found after close");
    CHECK_STR(S(pi.bind), "::ffff:127.0.0.1");
out:
    if (f4 >= 0)
        close(f4);
    if (f6 >= 0)
        close(f6);
    ps_localinfo_free(li);
}

static void test_is_local(void)
{
    ps_localinfo *li = ps_localinfo_new(NULL);
    static const struct {
        const char *a;
        int want;
    } cases[] = {
        {"127.0.0.1", 1}, {"127.255.255.254", 1}, {"127.0.0.2", 1}, {"::1", 1},
        {"::ffff:127.0.0.1", 1}, {"0.0.0.0", 1}, {"::", 1},
        {"192.0.2.1", 0}, {"2001:db8::dead:beef", 0}, {"128.0.0.1", 0}, {"::2", 0},
        {"198.18.255.253", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_addr a = A(cases[i].a);
        CHECK(ps_localinfo_is_local(li, &a) == cases[i].want, "%s: want %d", cases[i].a, cases[i].want);
    }
    ps_addr bad = {.family = AF_UNIX};
    CHECK(ps_localinfo_is_local(li, &bad) == 0, "AF_UNIX");
    CHECK(ps_localinfo_is_local(li, NULL) == 0, "NULL");
    ps_localinfo_free(li);
    ps_localinfo_free(NULL);
}

/* ------------------------------------------------------------- driver */

static int cmd_query(int argc, char **argv)
{
    ps_localinfo *li;
    ps_proc_info pi;
    ps_addr a;
    char *end;
    unsigned long port;
    enum ps_proto proto;
    int rc;

    if (argc != 5 || ps_addr_parse(argv[2], &a) != 0)
        return 1;
    port = strtoul(argv[3], &end, 10);
    if (*end || port > 65535)
        return 1;
    if (strcmp(argv[4], "tcp") == 0)
        proto = PS_TCP;
    else if (strcmp(argv[4], "udp") == 0)
        proto = PS_UDP;
    else
        return 1;
    li = ps_localinfo_new(NULL);
    rc = ps_localinfo_lookup(li, &a, (uint16_t)port, proto, &pi);
    if (rc != PS_OK) {
        fprintf(stderr, "lookup: %s\n", ps_localinfo_error(li));
        ps_localinfo_free(li);
        return 2;
    }
    printf("found=%d visible=%d other_netns=%d complete=%d local=%d pid=%d user=%s name=%s name_source=%s "
           "bind=%s cmdline=%s\n",
           pi.found, pi.visible, pi.other_netns, ps_localinfo_complete(li), ps_localinfo_is_local(li, &a), pi.pid,
           pi.user, pi.name, pi.name_source ? pi.name_source : "", pi.bind, pi.cmdline);
    ps_localinfo_free(li);
    return 0;
}

static int cmd_local(int argc, char **argv)
{
    ps_localinfo *li;
    ps_addr a;
    if (argc != 3 || ps_addr_parse(argv[2], &a) != 0)
        return 1;
    li = ps_localinfo_new(NULL);
    printf("local=%d\n", ps_localinfo_is_local(li, &a));
    ps_localinfo_free(li);
    return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmd_bench(int argc, char **argv)
{
    double ms[100];
    int n = argc == 3 ? atoi(argv[2]) : 10;
    ps_localinfo_stats st = {0};

    if (n < 1 || n > 100)
        return 1;
    for (int i = 0; i < n; i++) {
        ps_err e;
        ps_localinfo *li = ps_localinfo_new(&e);
        if (!li || ps_localinfo_refresh(li, &e) != PS_OK) {
            fprintf(stderr, "snapshot: %s\n", e.msg);
            ps_localinfo_free(li);
            return 2;
        }
        ps_localinfo_get_stats(li, &st);
        ms[i] = st.snapshot_ms;
        ps_localinfo_free(li);
    }
    qsort(ms, (size_t)n, sizeof ms[0], dbl_cmp);
    printf("snapshots=%d procs=%zu denied=%zu sock_fds=%zu listeners=%zu netlink=%d ms_min=%.2f ms_median=%.2f "
           "ms_max=%.2f\n",
           n, st.procs, st.procs_denied, st.sock_fds, st.listeners, st.via_netlink, ms[0], ms[n / 2], ms[n - 1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "query") == 0)
            return cmd_query(argc, argv);
        if (strcmp(argv[1], "local") == 0)
            return cmd_local(argc, argv);
        if (strcmp(argv[1], "bench") == 0)
            return cmd_bench(argc, argv);
        fprintf(stderr, "usage: test_localinfo [query ADDR PORT tcp|udp | local ADDR | bench N]\n");
        return 1;
    }
    RUN(test_parse_v4_listen);
    RUN(test_parse_v6_and_states);
    RUN(test_parse_malformed);
    RUN(test_proc_net_matches_netlink);
    RUN(test_escape);
    RUN(test_escape_cut);
    RUN(test_fake_proc);
    RUN(test_is_local);
    RUN(test_live);
    RUN(test_live_specificity);
    return UNIT_END();
}
