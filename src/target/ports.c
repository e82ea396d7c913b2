/* ports.c: the port sets of -p, --exclude-ports and --top-ports.
 *
 * A spec is a comma-separated list of items (docs/ports.md has the full
 * story with examples):
 *
 *   item   := [ "T:" | "U:" ] target
 *   target := port | [port] "-" [port] | service-name
 *
 * "T:" and "U:" switch the protocol for their own item and every later one
 * until the next switch; items before any switch go to the caller's
 * default protocols (TCP for ps_ports_parse).  An open range end means 1 or
 * 65535.  A target that is only digits and dashes is numeric; anything else
 * is looked up as an IANA service name (src/target/iana.c), which also lets
 * legacy names that begin with a digit ("3com-tsmux") work.
 *
 * Every operation works on a 65536-bit bitmap per protocol, so duplicates
 * merge for free and the result comes out sorted; the bitmap is built from
 * the current set plus (or minus) the spec, and only when the whole spec
 * parsed and the new arrays were allocated does the set change.  A failed
 * call therefore leaves the set exactly as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/ports.h"
#include "pscan/iana.h"

enum { BITMAP_BYTES = 65536 / 8, NAME_MAX_LEN = 63, SHOW_MAX = 60 };

struct portbits {
    uint8_t b[2][BITMAP_BYTES]; /* indexed by enum ps_proto */
};

/* Which protocols an item applies to: bit (1 << PS_TCP), (1 << PS_UDP). */
enum { M_TCP = 1 << PS_TCP, M_UDP = 1 << PS_UDP };

/* Copy len bytes of tok into buf for an error message: printable ASCII as
 * is, anything else as \xNN, cut after SHOW_MAX characters, so a hostile
 * spec can neither flood the message nor put escape codes on a terminal. */
static const char *show(char *buf, size_t cap, const char *tok, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)tok[i];
        if (i == SHOW_MAX) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    buf[o] = 0;
    return buf;
}

#define SHOWBUF char shown_[SHOW_MAX * 4 + 16]
#define SHOW(tok, len) show(shown_, sizeof shown_, (tok), (len))

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void set_bit(uint8_t *b, unsigned port)
{
    b[port >> 3] |= (uint8_t)(1u << (port & 7));
}

/* Set ports lo..hi (1 <= lo <= hi <= 65535): whole bytes by memset, so "-"
 * repeated a thousand times stays cheap. */
static void set_range(uint8_t *b, unsigned lo, unsigned hi)
{
    while (lo <= hi && (lo & 7))
        set_bit(b, lo++);
    if (lo > hi) return;
    size_t whole = (hi - lo + 1) / 8;
    memset(b + (lo >> 3), 0xff, whole);
    lo += (unsigned)whole * 8;
    while (lo <= hi)
        set_bit(b, lo++);
}

/* Parse a run of digits into *v.  Returns 0 on success, -1 if the run is
 * empty or holds a non-digit, -2 if the value is above 65535 (digits are
 * still checked to the end, so "99999999999999999999x" is garbage, not an
 * overflow, and no amount of digits can overflow the accumulator). */
static int parse_num(const char *s, size_t len, unsigned *v)
{
    unsigned x = 0;
    int big = 0;
    if (len == 0) return -1;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i])) return -1;
        if (!big) {
            x = x * 10 + (unsigned)(s[i] - '0');
            if (x > 65535) big = 1;
        }
    }
    *v = x;
    return big ? -2 : 0;
}

static void add_to(struct portbits *pb, int mask, unsigned lo, unsigned hi)
{
    if (mask & M_TCP) set_range(pb->b[PS_TCP], lo, hi);
    if (mask & M_UDP) set_range(pb->b[PS_UDP], lo, hi);
}

/* A numeric target, t[0..len) made only of digits and dashes. */
static int parse_range(struct portbits *pb, int mask, const char *t, size_t len,
                       const char *item, size_t ilen, ps_err *e)
{
    SHOWBUF;
    const char *dash = memchr(t, '-', len);
    unsigned lo, hi;
    int rlo, rhi;
    if (!dash) {
        rlo = parse_num(t, len, &lo);
        hi = lo;
        rhi = rlo;
    } else {
        size_t nlo = (size_t)(dash - t), nhi = len - nlo - 1;
        lo = 1;
        hi = 65535;
        rlo = nlo ? parse_num(t, nlo, &lo) : 0;
        rhi = nhi ? parse_num(dash + 1, nhi, &hi) : 0;
    }
    if (rlo == -1 || rhi == -1)
        return ps_fail(e, PS_EINPUT, "bad port '%s'", SHOW(item, ilen));
    if (rlo == -2 || rhi == -2)
        return ps_fail(e, PS_EINPUT, "port out of range (1-65535) in '%s'",
                       SHOW(item, ilen));
    if (lo == 0 || hi == 0)
        return ps_fail(e, PS_EINPUT, "port 0 is not allowed in '%s'", SHOW(item, ilen));
    if (lo > hi)
        return ps_fail(e, PS_EINPUT, "reversed port range '%s'", SHOW(item, ilen));
    add_to(pb, mask, lo, hi);
    return PS_OK;
}

/* A service-name target: looked up separately for each protocol the item
 * applies to, added where registered; an error only if registered for none. */
static int parse_name(struct portbits *pb, int mask, const char *t, size_t len,
                      const char *item, size_t ilen, ps_err *e)
{
    SHOWBUF;
    char name[NAME_MAX_LEN + 1];
    int found = 0, plausible = len <= NAME_MAX_LEN;
    for (size_t i = 0; plausible && i < len; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f) plausible = 0;
    if (plausible) {
        memcpy(name, t, len);
        name[len] = 0;
        for (int proto = PS_TCP; proto <= PS_UDP; proto++) {
            if (!(mask & (1 << proto))) continue;
            int port = ps_service_port(name, (enum ps_proto)proto);
            if (port >= 1 && port <= 65535) {
                set_bit(pb->b[proto], (unsigned)port);
                found = 1;
            }
        }
    }
    if (found) return PS_OK;
    unsigned char c0 = (unsigned char)t[0];
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z')))
        return ps_fail(e, PS_EINPUT, "bad port '%s'", SHOW(item, ilen));
    return ps_fail(e, PS_EINPUT, "unknown service name '%s' for %s", SHOW(item, ilen),
                   mask == M_TCP ? "tcp" : mask == M_UDP ? "udp" : "tcp or udp");
}

/* One trimmed, non-empty item.  *mode is the current protocol mask, which
 * a T:/U: prefix changes for this item and the ones after it. */
static int parse_item(struct portbits *pb, int *mode, const char *item, size_t ilen,
                      ps_err *e)
{
    SHOWBUF;
    const char *t = item;
    size_t len = ilen;
    if (len >= 2 && t[1] == ':') {
        switch (t[0]) {
        case 'T': case 't': *mode = M_TCP; break;
        case 'U': case 'u': *mode = M_UDP; break;
        default:
            return ps_fail(e, PS_EINPUT, "unknown protocol prefix in '%s' (use T: or U:)",
                           SHOW(item, ilen));
        }
        t += 2;
        len -= 2;
        while (len && is_space(*t)) t++, len--;
        if (len == 0)
            return ps_fail(e, PS_EINPUT, "protocol switch '%s' has no port after it",
                           SHOW(item, ilen));
    }
    if (*mode == 0)
        return ps_fail(e, PS_EINPUT, "'%s' has no protocol: prefix it with T: or U:",
                       SHOW(item, ilen));
    if (memchr(t, ':', len))
        return ps_fail(e, PS_EINPUT, "bad port '%s'", SHOW(item, ilen));
    size_t i = 0;
    while (i < len && (is_digit(t[i]) || t[i] == '-')) i++;
    if (i == len) {
        if (memchr(t, '-', len) != memrchr(t, '-', len))
            return ps_fail(e, PS_EINPUT, "bad port '%s'", SHOW(item, ilen));
        return parse_range(pb, *mode, t, len, item, ilen, e);
    }
    return parse_name(pb, *mode, t, len, item, ilen, e);
}

/* Parse the whole spec into pb (which the caller zeroed or pre-loaded). */
static int parse_spec(struct portbits *pb, const char *spec, int mode, ps_err *e)
{
    SHOWBUF;
    if (!spec) return ps_fail(e, PS_EINPUT, "no port specification given");
    const char *s = spec;
    while (is_space(*s)) s++;
    if (*s == 0) return ps_fail(e, PS_EINPUT, "empty port specification");
    for (s = spec;;) {
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        const char *a = s, *b = end;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        if (a == b)
            return ps_fail(e, PS_EINPUT, "empty item in port list '%s'",
                           SHOW(spec, strlen(spec)));
        int rc = parse_item(pb, &mode, a, (size_t)(b - a), e);
        if (rc) return rc;
        if (*end == 0) return PS_OK;
        s = end + 1;
    }
}

static void load(uint8_t *b, const uint16_t *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        if (a[i]) set_bit(b, a[i]);
}

/* The ports of bitmap b as a fresh sorted array (NULL when empty). */
static int to_array(const uint8_t *b, uint16_t **out, size_t *n)
{
    size_t count = 0, k = 0;
    for (size_t i = 0; i < BITMAP_BYTES; i++)
        count += (size_t)__builtin_popcount(b[i]);
    *out = NULL;
    *n = 0;
    if (count == 0) return 0;
    uint16_t *a = malloc(count * sizeof *a);
    if (!a) return -1;
    for (size_t i = 0; i < BITMAP_BYTES; i++)
        for (unsigned bit = 0; b[i] && bit < 8; bit++)
            if (b[i] & (1u << bit)) a[k++] = (uint16_t)(i * 8 + bit);
    *out = a;
    *n = count;
    return 0;
}

/* Replace p's arrays with the contents of pb, or change nothing on failure. */
static int commit(ps_ports *p, const struct portbits *pb, ps_err *e)
{
    uint16_t *tcp, *udp;
    size_t ntcp, nudp;
    if (to_array(pb->b[PS_TCP], &tcp, &ntcp))
        return ps_fail(e, PS_ERUNTIME, "out of memory for the port list");
    if (to_array(pb->b[PS_UDP], &udp, &nudp)) {
        free(tcp);
        return ps_fail(e, PS_ERUNTIME, "out of memory for the port list");
    }
    free(p->tcp);
    free(p->udp);
    p->tcp = tcp;
    p->ntcp = ntcp;
    p->udp = udp;
    p->nudp = nudp;
    return PS_OK;
}

static struct portbits *bits_of(const ps_ports *p)
{
    struct portbits *pb = calloc(1, sizeof *pb);
    if (pb) {
        load(pb->b[PS_TCP], p->tcp, p->ntcp);
        load(pb->b[PS_UDP], p->udp, p->nudp);
    }
    return pb;
}

int ps_ports_parse_ex(ps_ports *p, const char *spec, int default_tcp,
                      int default_udp, ps_err *e)
{
    if (!p) return ps_fail(e, PS_EINPUT, "no port set given");
    struct portbits *pb = bits_of(p);
    if (!pb) return ps_fail(e, PS_ERUNTIME, "out of memory for the port list");
    int mode = (default_tcp ? M_TCP : 0) | (default_udp ? M_UDP : 0);
    int rc = parse_spec(pb, spec, mode, e);
    if (rc == PS_OK) rc = commit(p, pb, e);
    free(pb);
    return rc;
}

int ps_ports_parse(ps_ports *p, const char *spec, ps_err *e)
{
    return ps_ports_parse_ex(p, spec, 1, 0, e);
}

/* Unprefixed items of an exclusion apply to both protocols: "never touch
 * 9100" should hold whatever scan types are active. */
int ps_ports_exclude(ps_ports *p, const char *spec, ps_err *e)
{
    if (!p) return ps_fail(e, PS_EINPUT, "no port set given");
    struct portbits *keep = bits_of(p), *drop = calloc(1, sizeof *drop);
    int rc;
    if (!keep || !drop) {
        rc = ps_fail(e, PS_ERUNTIME, "out of memory for the port list");
    } else if ((rc = parse_spec(drop, spec, M_TCP | M_UDP, e)) == PS_OK) {
        for (int proto = 0; proto < 2; proto++)
            for (size_t i = 0; i < BITMAP_BYTES; i++)
                keep->b[proto][i] &= (uint8_t)~drop->b[proto][i];
        rc = commit(p, keep, e);
    }
    free(keep);
    free(drop);
    return rc;
}

/* Adds the first n ports of pscan's ranking (src/target/top_ports.c) to the set. */
int ps_ports_top(ps_ports *p, enum ps_proto proto, int n, ps_err *e)
{
    if (!p) return ps_fail(e, PS_EINPUT, "no port set given");
    if (proto != PS_TCP && proto != PS_UDP)
        return ps_fail(e, PS_EINPUT, "unknown protocol %d for top ports", (int)proto);
    if (n < 1 || n > 65535)
        return ps_fail(e, PS_EINPUT, "top ports count '%d' out of range (1-65535)", n);
    uint16_t *list = malloc((size_t)n * sizeof *list);
    struct portbits *pb = list ? bits_of(p) : NULL;
    int rc;
    if (!pb) {
        rc = ps_fail(e, PS_ERUNTIME, "out of memory for the port list");
    } else {
        int got = ps_top_ports(proto, n, list);
        for (int i = 0; i < got; i++)
            if (list[i]) set_bit(pb->b[proto], list[i]);
        rc = got == n ? commit(p, pb, e)
                      : ps_fail(e, PS_ERUNTIME, "top ports list has %d ports, %d wanted",
                                got, n);
    }
    free(list);
    free(pb);
    return rc;
}

void ps_ports_free(ps_ports *p)
{
    if (!p) return;
    free(p->tcp);
    free(p->udp);
    memset(p, 0, sizeof *p);
}
