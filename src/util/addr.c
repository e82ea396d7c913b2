/* addr.c: the address type shared by every stage (see include/pscan/addr.h).
 *
 * Owns text <-> binary conversion, the total order used by the target set,
 * 128-bit conversion for IPv6 arithmetic and the sockaddr a socket needs.
 *
 * The IPv4 literal parser is ours rather than inet_aton()'s: inet_aton()
 * accepts "127.1", "0x7f.0.0.1" and "0177.0.0.1", and a scanner that reads
 * "010.0.0.1" as 8.0.0.1 would scan the wrong host.  Here an IPv4 literal is
 * exactly four decimal numbers 0..255 of one to three digits; "010" is ten. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pscan/addr.h"

int ps_addr_parse_octet(const char *s, size_t len, unsigned *out)
{
    unsigned v = 0;
    if (len == 0 || len > 3)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 255)
        return -1;
    *out = v;
    return 0;
}

int ps_addr_parse_v4(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    size_t start = 0;
    int octets = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        unsigned o;
        if (octets == 4 || ps_addr_parse_octet(s + start, i - start, &o) != 0)
            return -1;
        v = (v << 8) | o;
        octets++;
        start = i + 1;
    }
    if (octets != 4)
        return -1;
    *out = v;
    return 0;
}

int ps_addr_parse(const char *s, ps_addr *out)
{
    uint32_t v4;
    struct in6_addr in6;
    if (!s)
        return -1;
    memset(out, 0, sizeof *out);
    if (ps_addr_parse_v4(s, strlen(s), &v4) == 0) {
        out->family = AF_INET;
        out->u.v4 = v4;
        return 0;
    }
    /* inet_pton(AF_INET6) rejects zone ids ("fe80::1%eth0"), as we want:
     * a zone is an interface choice, not part of the address. */
    if (strchr(s, ':') && inet_pton(AF_INET6, s, &in6) == 1) {
        out->family = AF_INET6;
        memcpy(out->u.v6, &in6, 16);
        return 0;
    }
    return -1;
}

const char *ps_addr_str(const ps_addr *a, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    buf[0] = '\0';
    if (a->family == AF_INET) {
        struct in_addr in = {.s_addr = htonl(a->u.v4)};
        if (!inet_ntop(AF_INET, &in, buf, (socklen_t)len))
            buf[0] = '\0';
    } else if (a->family == AF_INET6) {
        if (!inet_ntop(AF_INET6, a->u.v6, buf, (socklen_t)len))
            buf[0] = '\0';
    }
    return buf;
}

int ps_addr_cmp(const ps_addr *a, const ps_addr *b)
{
    if (a->family != b->family)
        return a->family == AF_INET ? -1 : (b->family == AF_INET ? 1 : (a->family < b->family ? -1 : 1));
    if (a->family == AF_INET)
        return a->u.v4 < b->u.v4 ? -1 : a->u.v4 > b->u.v4;
    if (a->family == AF_INET6) {
        int c = memcmp(a->u.v6, b->u.v6, 16);
        return c < 0 ? -1 : c > 0;
    }
    return 0;
}

ps_u128 ps_addr6_to_u128(const uint8_t v6[16])
{
    ps_u128 x = 0;
    for (int i = 0; i < 16; i++)
        x = (x << 8) | v6[i];
    return x;
}

void ps_u128_to_addr6(ps_u128 x, uint8_t v6[16])
{
    for (int i = 15; i >= 0; i--) {
        v6[i] = (uint8_t)x;
        x >>= 8;
    }
}

socklen_t ps_addr_to_sockaddr(const ps_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sin->sin_addr.s_addr = htonl(a->u.v4);
        return (socklen_t)sizeof *sin;
    }
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        memcpy(&sin6->sin6_addr, a->u.v6, 16);
        return (socklen_t)sizeof *sin6;
    }
    return 0;
}

int ps_addr_bind_source(int fd, int family, const ps_addr *src)
{
    if (!src || src->family != family) return 0;
    struct sockaddr_storage ss;
    socklen_t len = ps_addr_to_sockaddr(src, 0, &ss);
    return bind(fd, (struct sockaddr *)&ss, len);
}
