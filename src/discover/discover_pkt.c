/* discover_pkt.c: host discovery's probes and the reading of their answers
 * (the packet layer of discover_int.h).
 *
 * Probes are built by hand rather than with libnet: seven small fixed
 * layouts, each a few dozen bytes, with every checksum computed by
 * checksum.c.  Written this way they are pure functions, testable byte by
 * byte without a device or privileges, and the numbers that carry the
 * cookie sit where the parser below expects them.
 *
 * Where the cookie goes, and how it comes back:
 *   ICMP echo / timestamp  id = cookie >> 16, seq = cookie & 0xffff; the
 *                          reply copies both.
 *   TCP SYN                seq = cookie; SYN-ACK and RST acknowledge it with
 *                          ack = cookie + 1.
 *   TCP ACK                seq = ack = cookie; the RST a host sends for an
 *                          unexpected ACK takes its sequence number from our
 *                          ack field (RFC 9293 3.10.7.1), so RST.seq = cookie.
 *   UDP                    4 bytes of payload = cookie; the ICMP port
 *                          unreachable quotes it (and our ports).
 *   TCP / UDP              the source port is sport_lo + cookie % SPAN, so
 *                          even a reply that carries no cookie number (a
 *                          UDP answer) is checked against 8 bits of it.
 * Each kind has its own cookie (the kind is hashed in), so an answer to one
 * kind never passes for another.  ARP and NDP cannot carry one.
 *
 * The parser reads Ethernet (one 802.1Q tag allowed), then ARP, IPv4 or
 * IPv6 (no extension headers: answers to our probes carry none), and only
 * the answers discovery uses.  An ICMP error proves the host is up only if
 * the host sent it: port and protocol unreachable (only a destination
 * sends those, from whichever of its addresses it likes -- a host answering
 * for a whole range uses its primary one), or another code whose source is
 * the probed address itself.  A router's host unreachable proves nothing. */
#include <netinet/in.h>
#include <string.h>

#include "pscan/checksum.h"
#include "discover_int.h"

enum {
    ETH_LEN = 14,
    ET_IPV4 = 0x0800,
    ET_ARP = 0x0806,
    ET_IPV6 = 0x86dd,
    ET_VLAN = 0x8100,
    MIN_FRAME = 60, /* Ethernet minimum without FCS: ARP is padded to it */
};

uint32_t ps_disc_cookie(const ps_disc_keys *k, enum ps_disc_kind kind, const ps_addr *us,
                        const ps_addr *target, uint16_t port)
{
    /* The kind takes the place of the source port in the hashed tuple. */
    return ps_cookie_addr(&k->key, us, target, (uint16_t)(0x5d00 + kind), port);
}

uint16_t ps_disc_sport(const ps_disc_keys *k, uint32_t cookie)
{
    return (uint16_t)(k->sport_lo + (cookie & (PS_DISC_SPORT_SPAN - 1)));
}

/* ---- building --------------------------------------------------------- */

static void eth_header(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    static const uint8_t zero[6];
    memcpy(f, dst ? dst : zero, 6);
    memcpy(f + 6, src ? src : zero, 6);
    ps_put_be16(f + 12, type);
}

/* IP header for an L4 segment of l4len bytes; returns the header length. */
static size_t ip_header(uint8_t *p, const ps_addr *us, const ps_addr *dst, uint8_t proto,
                        size_t l4len, uint8_t ttl, uint16_t ip_id)
{
    if (us->family == AF_INET) {
        memset(p, 0, 20);
        p[0] = 0x45;
        ps_put_be16(p + 2, (uint16_t)(20 + l4len));
        ps_put_be16(p + 4, ip_id);
        p[8] = ttl;
        p[9] = proto;
        ps_put_be32(p + 12, us->u.v4);
        ps_put_be32(p + 16, dst->u.v4);
        ps_put_be16(p + 10, ps_csum_ipv4_header(p, 20));
        return 20;
    }
    memset(p, 0, 40);
    p[0] = 0x60;
    ps_put_be16(p + 4, (uint16_t)l4len);
    p[6] = proto;
    p[7] = ttl;
    memcpy(p + 8, us->u.v6, 16);
    memcpy(p + 24, dst->u.v6, 16);
    return 40;
}

static uint16_t l4_csum(const ps_addr *us, const ps_addr *dst, uint8_t proto, const uint8_t *seg,
                        size_t len)
{
    if (us->family == AF_INET)
        return proto == IPPROTO_ICMP ? ps_csum(seg, len)
                                     : ps_csum_l4_v4(us->u.v4, dst->u.v4, proto, seg, len);
    return ps_csum_l4_v6(us->u.v6, dst->u.v6, proto, seg, len);
}

static size_t build_arp(const ps_addr *us, const uint8_t mac[6], const ps_addr *target, uint8_t *f)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memset(f, 0, MIN_FRAME);
    eth_header(f, bcast, mac, ET_ARP);
    uint8_t *a = f + ETH_LEN;
    ps_put_be16(a, 1);       /* hardware: Ethernet */
    ps_put_be16(a + 2, ET_IPV4);
    a[4] = 6;
    a[5] = 4;
    ps_put_be16(a + 6, 1);   /* request */
    memcpy(a + 8, mac, 6);
    ps_put_be32(a + 14, us->u.v4);
    /* target hardware address stays zero */
    ps_put_be32(a + 24, target->u.v4);
    return MIN_FRAME;
}

/* Neighbour solicitation to the target's solicited-node multicast group
 * (ff02::1:ff + its last 24 bits), hop limit 255 as RFC 4861 requires, with
 * our link-layer address as an option so the answer can come straight back. */
static size_t build_ns(const ps_addr *us, const uint8_t mac[6], const ps_addr *target, uint8_t *f)
{
    ps_addr group = {.family = AF_INET6};
    group.u.v6[0] = 0xff;
    group.u.v6[1] = 0x02;
    group.u.v6[11] = 0x01;
    group.u.v6[12] = 0xff;
    memcpy(group.u.v6 + 13, target->u.v6 + 13, 3);
    uint8_t edst[6] = {0x33, 0x33, 0xff, target->u.v6[13], target->u.v6[14], target->u.v6[15]};
    eth_header(f, edst, mac, ET_IPV6);
    size_t ih = ip_header(f + ETH_LEN, us, &group, IPPROTO_ICMPV6, 32, 255, 0);
    uint8_t *m = f + ETH_LEN + ih;
    memset(m, 0, 32);
    m[0] = 135;
    memcpy(m + 8, target->u.v6, 16);
    m[24] = 1; /* source link-layer address, 1 x 8 bytes */
    m[25] = 1;
    memcpy(m + 26, mac, 6);
    ps_put_be16(m + 2, l4_csum(us, &group, IPPROTO_ICMPV6, m, 32));
    return ETH_LEN + ih + 32;
}

static size_t build_icmp(const ps_disc_keys *k, enum ps_disc_kind kind, const ps_addr *us,
                         const ps_addr *target, uint8_t *f)
{
    uint32_t c = ps_disc_cookie(k, kind, us, target, 0);
    int v6 = us->family == AF_INET6;
    size_t len = kind == PS_DK_TIMESTAMP ? 20 : 8;
    uint8_t proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    eth_header(f, NULL, NULL, v6 ? ET_IPV6 : ET_IPV4);
    size_t ih = ip_header(f + ETH_LEN, us, target, proto, len, 64, (uint16_t)(c ^ (c >> 16)));
    uint8_t *m = f + ETH_LEN + ih;
    memset(m, 0, len);
    m[0] = kind == PS_DK_TIMESTAMP ? 13 : v6 ? 128 : 8;
    ps_put_be16(m + 4, (uint16_t)(c >> 16));
    ps_put_be16(m + 6, (uint16_t)c);
    /* Timestamp: originate, receive and transmit times left at 0; hosts
     * answer regardless, and the reply's are not used. */
    ps_put_be16(m + 2, l4_csum(us, target, proto, m, len));
    return ETH_LEN + ih + len;
}

static size_t build_tcp(const ps_disc_keys *k, enum ps_disc_kind kind, const ps_addr *us,
                        const ps_addr *target, uint16_t port, uint8_t *f)
{
    uint32_t c = ps_disc_cookie(k, kind, us, target, port);
    int syn = kind == PS_DK_SYN;
    size_t len = syn ? 24 : 20; /* a SYN carries one option: MSS */
    eth_header(f, NULL, NULL, us->family == AF_INET6 ? ET_IPV6 : ET_IPV4);
    size_t ih = ip_header(f + ETH_LEN, us, target, IPPROTO_TCP, len, 64, (uint16_t)(c ^ (c >> 16)));
    uint8_t *t = f + ETH_LEN + ih;
    memset(t, 0, len);
    ps_put_be16(t, ps_disc_sport(k, c));
    ps_put_be16(t + 2, port);
    ps_put_be32(t + 4, c);
    if (!syn) ps_put_be32(t + 8, c);
    t[12] = (uint8_t)((len / 4) << 4);
    t[13] = syn ? 0x02 : 0x10;
    ps_put_be16(t + 14, 1024);
    if (syn) {
        t[20] = 2; /* MSS */
        t[21] = 4;
        ps_put_be16(t + 22, 1460);
    }
    ps_put_be16(t + 16, l4_csum(us, target, IPPROTO_TCP, t, len));
    return ETH_LEN + ih + len;
}

static size_t build_udp(const ps_disc_keys *k, const ps_addr *us, const ps_addr *target,
                        uint16_t port, uint8_t *f)
{
    uint32_t c = ps_disc_cookie(k, PS_DK_UDP, us, target, port);
    size_t len = 8 + 4;
    eth_header(f, NULL, NULL, us->family == AF_INET6 ? ET_IPV6 : ET_IPV4);
    size_t ih = ip_header(f + ETH_LEN, us, target, IPPROTO_UDP, len, 64, (uint16_t)(c ^ (c >> 16)));
    uint8_t *u = f + ETH_LEN + ih;
    ps_put_be16(u, ps_disc_sport(k, c));
    ps_put_be16(u + 2, port);
    ps_put_be16(u + 4, (uint16_t)len);
    ps_put_be16(u + 6, 0);
    ps_put_be32(u + 8, c);
    uint16_t sum = l4_csum(us, target, IPPROTO_UDP, u, len);
    ps_put_be16(u + 6, sum ? sum : 0xffff);
    return ETH_LEN + ih + len;
}

size_t ps_disc_build(const ps_disc_keys *k, enum ps_disc_kind kind, const ps_addr *us,
                     const uint8_t us_mac[6], const ps_addr *target, uint16_t port, uint8_t *out,
                     size_t cap)
{
    if (cap < PS_DISC_FRAME_MAX || us->family != target->family ||
        (us->family != AF_INET && us->family != AF_INET6))
        return 0;
    int v4 = us->family == AF_INET;
    switch (kind) {
    case PS_DK_ARP: return v4 ? build_arp(us, us_mac, target, out) : 0;
    case PS_DK_ND: return v4 ? 0 : build_ns(us, us_mac, target, out);
    case PS_DK_TIMESTAMP: return v4 ? build_icmp(k, kind, us, target, out) : 0;
    case PS_DK_ECHO: return build_icmp(k, kind, us, target, out);
    case PS_DK_SYN:
    case PS_DK_ACK: return build_tcp(k, kind, us, target, port, out);
    case PS_DK_UDP: return build_udp(k, us, target, port, out);
    case PS_DK_COUNT: break;
    }
    return 0;
}

/* ---- reading answers ---------------------------------------------------- */

/* One IP packet: addresses, protocol and the upper-layer bytes. */
struct ip_view {
    ps_addr src, dst;
    int ttl;
    uint8_t proto;
    const uint8_t *l4;
    size_t l4len;
};

/* Parse an IP header of the given version at p (len bytes available).
 * Lengths in the header only shrink the view (quotes are cut short). */
static int ip_parse(const uint8_t *p, size_t len, int v6, struct ip_view *ip)
{
    memset(ip, 0, sizeof *ip);
    if (!v6) {
        if (len < 20 || (p[0] >> 4) != 4) return 0;
        size_t hl = (size_t)(p[0] & 15) * 4, tot = ps_get_be16(p + 2);
        if (hl < 20 || len < hl || tot < hl) return 0;
        if ((ps_get_be16(p + 6) & 0x1fff) != 0) return 0; /* not the first fragment */
        if (tot > len) tot = len;
        ip->src.family = ip->dst.family = AF_INET;
        ip->src.u.v4 = ps_get_be32(p + 12);
        ip->dst.u.v4 = ps_get_be32(p + 16);
        ip->ttl = p[8];
        ip->proto = p[9];
        ip->l4 = p + hl;
        ip->l4len = tot - hl;
        return 1;
    }
    if (len < 40 || (p[0] >> 4) != 6) return 0;
    size_t pl = ps_get_be16(p + 4);
    if (pl > len - 40) pl = len - 40;
    ip->src.family = ip->dst.family = AF_INET6;
    memcpy(ip->src.u.v6, p + 8, 16);
    memcpy(ip->dst.u.v6, p + 24, 16);
    ip->ttl = p[7];
    ip->proto = p[6];
    ip->l4 = p + 40;
    ip->l4len = pl;
    return 1;
}

static void add_cand(ps_disc_reply *r, enum ps_disc_kind kind, uint32_t value, int has_value)
{
    if (r->ncand >= 2) return;
    r->cand[r->ncand].kind = kind;
    r->cand[r->ncand].value = value;
    r->cand[r->ncand].has_value = has_value;
    r->ncand++;
}

static int parse_arp(const uint8_t *a, size_t len, ps_disc_reply *r)
{
    if (len < 28 || ps_get_be16(a) != 1 || ps_get_be16(a + 2) != ET_IPV4 || a[4] != 6 ||
        a[5] != 4 || ps_get_be16(a + 6) != 2)
        return 0;
    r->reason = "arp-response";
    r->ttl = -1;
    memcpy(r->mac, a + 8, 6);
    r->host.family = r->us.family = AF_INET;
    r->host.u.v4 = ps_get_be32(a + 14);
    r->us.u.v4 = ps_get_be32(a + 24);
    add_cand(r, PS_DK_ARP, 0, 0);
    return 1;
}

/* A neighbour advertisement: solicited, hop limit 255, for the target
 * address it names; the MAC from its target link-layer option if any. */
static int parse_na(const struct ip_view *ip, ps_disc_reply *r)
{
    const uint8_t *m = ip->l4;
    if (ip->l4len < 24 || m[1] != 0 || ip->ttl != 255 || !(m[4] & 0x40)) return 0;
    r->reason = "nd-response";
    r->host.family = AF_INET6;
    memcpy(r->host.u.v6, m + 8, 16);
    for (size_t off = 24; off + 8 <= ip->l4len;) {
        size_t olen = (size_t)m[off + 1] * 8;
        if (olen == 0 || off + olen > ip->l4len) break;
        if (m[off] == 2 && olen >= 8) memcpy(r->mac, m + off + 2, 6);
        off += olen;
    }
    add_cand(r, PS_DK_ND, 0, 0);
    return 1;
}

static const char *unreach_reason(int v6, uint8_t code)
{
    if (!v6) {
        switch (code) {
        case 0: return "net-unreach";
        case 2: return "proto-unreach";
        case 3: return "port-unreach";
        case 9: case 10: case 13: return "admin-prohibited";
        default: return "host-unreach";
        }
    }
    switch (code) {
    case 0: return "net-unreach";
    case 1: return "admin-prohibited";
    case 4: return "port-unreach";
    default: return "host-unreach";
    }
}

/* A destination unreachable quoting one of our probes, sent by the probed
 * host itself.  Which probe: the quoted protocol (and TCP flags, ICMP type)
 * say; the quoted sequence / id / payload is the cookie. */
static int parse_unreach(const struct ip_view *ip, int v6, ps_disc_reply *r)
{
    const uint8_t *m = ip->l4;
    struct ip_view q;
    if (ip->l4len < 8 || !ip_parse(m + 8, ip->l4len - 8, v6, &q)) return 0;
    if (ps_addr_cmp(&q.src, &ip->dst) != 0) return 0;
    /* Port and protocol unreachable come only from the destination's own
     * stack (routers do not send them), whichever of its addresses it
     * answers from; the other codes count only from the target's address. */
    int final = v6 ? m[1] == 4 : m[1] == 2 || m[1] == 3;
    if (!final && ps_addr_cmp(&q.dst, &ip->src) != 0) return 0;
    r->host = q.dst;
    r->reason = unreach_reason(v6, m[1]);
    const uint8_t *l = q.l4;
    size_t n = q.l4len;
    if (q.proto == IPPROTO_TCP && n >= 8) {
        r->our_port = ps_get_be16(l);
        r->port = ps_get_be16(l + 2);
        uint32_t seq = ps_get_be32(l + 4);
        int flags = n >= 14 ? l[13] : -1;
        if (flags < 0 || (flags & 0x02)) add_cand(r, PS_DK_SYN, seq, 1);
        if (flags < 0 || (flags & 0x12) == 0x10) add_cand(r, PS_DK_ACK, seq, 1);
    } else if (q.proto == IPPROTO_UDP && n >= 8) {
        r->our_port = ps_get_be16(l);
        r->port = ps_get_be16(l + 2);
        if (n >= 12) add_cand(r, PS_DK_UDP, ps_get_be32(l + 8), 1);
        else add_cand(r, PS_DK_UDP, 0, 0);
    } else if (q.proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) && n >= 8) {
        uint32_t v = ps_get_be32(l + 4);
        if (l[0] == (v6 ? 128 : 8)) add_cand(r, PS_DK_ECHO, v, 1);
        else if (!v6 && l[0] == 13) add_cand(r, PS_DK_TIMESTAMP, v, 1);
    }
    return r->ncand > 0;
}

static int parse_icmp(const struct ip_view *ip, int v6, ps_disc_reply *r)
{
    const uint8_t *m = ip->l4;
    if (ip->l4len < 8) return 0;
    uint32_t idseq = ps_get_be32(m + 4);
    if (!v6) {
        if (m[0] == 0 && m[1] == 0) {
            r->reason = "echo-reply";
            add_cand(r, PS_DK_ECHO, idseq, 1);
            return 1;
        }
        if (m[0] == 14 && m[1] == 0 && ip->l4len >= 20) {
            r->reason = "timestamp-reply";
            add_cand(r, PS_DK_TIMESTAMP, idseq, 1);
            return 1;
        }
        return m[0] == 3 ? parse_unreach(ip, 0, r) : 0;
    }
    if (m[0] == 129 && m[1] == 0) {
        r->reason = "echo-reply";
        add_cand(r, PS_DK_ECHO, idseq, 1);
        return 1;
    }
    if (m[0] == 136) return parse_na(ip, r);
    return m[0] == 1 ? parse_unreach(ip, 1, r) : 0;
}

static int parse_tcp(const struct ip_view *ip, ps_disc_reply *r)
{
    const uint8_t *t = ip->l4;
    if (ip->l4len < 20) return 0;
    r->port = ps_get_be16(t);
    r->our_port = ps_get_be16(t + 2);
    uint32_t seq = ps_get_be32(t + 4), ack = ps_get_be32(t + 8);
    uint8_t fl = t[13];
    if ((fl & 0x12) == 0x12) {
        r->reason = "syn-ack";
        add_cand(r, PS_DK_SYN, ack - 1u, 1);
        return 1;
    }
    if (!(fl & 0x04)) return 0;
    r->reason = "reset";
    /* A reset answering our SYN acknowledges it; one answering our ACK
     * carries our ack number as its sequence number. */
    if (fl & 0x10) add_cand(r, PS_DK_SYN, ack - 1u, 1);
    add_cand(r, PS_DK_ACK, seq, 1);
    return 1;
}

int ps_disc_parse(const uint8_t *f, size_t caplen, ps_disc_reply *r)
{
    memset(r, 0, sizeof *r);
    if (!f || caplen < ETH_LEN) return 0;
    memcpy(r->eth_dst, f, 6);
    memcpy(r->eth_src, f + 6, 6);
    size_t off = ETH_LEN;
    uint16_t type = ps_get_be16(f + 12);
    if (type == ET_VLAN) {
        if (caplen < off + 4) return 0;
        type = ps_get_be16(f + off + 2);
        off += 4;
    }
    const uint8_t *p = f + off;
    size_t len = caplen - off;
    memcpy(r->mac, r->eth_src, 6);
    if (type == ET_ARP) return parse_arp(p, len, r);
    if (type != ET_IPV4 && type != ET_IPV6) return 0;
    int v6 = type == ET_IPV6;
    struct ip_view ip;
    if (!ip_parse(p, len, v6, &ip)) return 0;
    r->host = ip.src;
    r->us = ip.dst;
    r->ttl = ip.ttl;
    switch (ip.proto) {
    case IPPROTO_ICMP:
        return !v6 && parse_icmp(&ip, 0, r);
    case IPPROTO_ICMPV6:
        return v6 && parse_icmp(&ip, 1, r);
    case IPPROTO_TCP:
        return parse_tcp(&ip, r);
    case IPPROTO_UDP:
        if (ip.l4len < 8) return 0;
        r->port = ps_get_be16(ip.l4);
        r->our_port = ps_get_be16(ip.l4 + 2);
        r->reason = "udp-response";
        add_cand(r, PS_DK_UDP, 0, 0);
        return 1;
    default:
        return 0;
    }
}

int ps_disc_check(const ps_disc_keys *k, const ps_disc_reply *r)
{
    if (r->host.family != r->us.family) return -1;
    for (int i = 0; i < r->ncand && i < 2; i++) {
        enum ps_disc_kind kind = r->cand[i].kind;
        uint32_t v = r->cand[i].value;
        uint32_t c;
        switch (kind) {
        case PS_DK_ARP:
        case PS_DK_ND:
            return (int)kind;
        case PS_DK_ECHO:
        case PS_DK_TIMESTAMP:
            if (r->cand[i].has_value && v == ps_disc_cookie(k, kind, &r->us, &r->host, 0))
                return (int)kind;
            break;
        case PS_DK_SYN:
        case PS_DK_ACK:
        case PS_DK_UDP:
            c = ps_disc_cookie(k, kind, &r->us, &r->host, r->port);
            if (r->our_port == ps_disc_sport(k, c) && (!r->cand[i].has_value || v == c))
                return (int)kind;
            break;
        case PS_DK_COUNT:
            break;
        }
    }
    return -1;
}
