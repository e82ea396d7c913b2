/* decode.c: bounds-checked parsing of captured frames (see
 * include/pscan/decode.h for what comes out).
 *
 * Every layer works on a (pointer, length) view of the bytes left, and
 * every read is preceded by a length check against that view, which never
 * extends past caplen.  Lengths taken from headers (IPv4 total length,
 * IPv6 payload length, extension header lengths) only ever shrink the view:
 * a header that claims more than was captured is clamped (snaplen cuts
 * frames, and ICMP quotes are cut by design), one that claims less than
 * its own header is malformed.  Loops over tags and extension headers have
 * fixed bounds, so no input can make the decoder spin.
 *
 * Two details worth knowing:
 *  - Linux loopback captured with DLT_EN10MB is Ethernet with zero MACs,
 *    so it needs no special case; Ethernet frames are padded to 60 bytes,
 *    which is why the IP length, not caplen, bounds the L4 view.
 *  - An ICMP error quotes the original IP header plus at least 8 bytes of
 *    its payload (RFC 792; RFC 4443 quotes as much as fits in 1280 bytes).
 *    8 bytes of TCP hold both ports and the sequence number -- our cookie
 *    -- so the receiver can validate ICMP errors as strictly as SYN-ACKs. */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "pscan/checksum.h"
#include "pscan/decode.h"

#define ETHERTYPE_IPV4_ 0x0800
#define ETHERTYPE_IPV6_ 0x86dd
#define ETHERTYPE_VLAN_ 0x8100
#define ETHERTYPE_QINQ_ 0x88a8
#define MAX_VLAN_TAGS 2

typedef struct view {
    const uint8_t *p;
    size_t len;
} view;

/* What the IP layer found: addresses, protocol and the payload's view. */
typedef struct ip_info {
    int family;
    ps_addr src, dst;
    uint8_t ttl, proto;
    int has_l4; /* payload starts with the upper-layer header */
    view l4;
} ip_info;

/* Find the network layer: *ip is the L3 view, *ethertype its ethertype
 * (0 when the link type carries no type and the version nibble decides). */
static int link_layer(int dlt, const uint8_t *f, size_t caplen, view *ip, unsigned *ethertype)
{
    size_t off;
    unsigned type;
    int tags;

    switch (dlt) {
    case DLT_EN10MB:
        if (caplen < 14)
            return PS_DEC_TRUNCATED;
        off = 14;
        type = ps_get_be16(f + 12);
        for (tags = 0; tags < MAX_VLAN_TAGS &&
                       (type == ETHERTYPE_VLAN_ || type == ETHERTYPE_QINQ_); tags++) {
            if (caplen < off + 4)
                return PS_DEC_TRUNCATED;
            type = ps_get_be16(f + off + 2);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL: /* 16 bytes; protocol (ethertype) last */
        if (caplen < 16)
            return PS_DEC_TRUNCATED;
        off = 16;
        type = ps_get_be16(f + 14);
        break;
    case DLT_LINUX_SLL2: /* 20 bytes; protocol (ethertype) first */
        if (caplen < 20)
            return PS_DEC_TRUNCATED;
        off = 20;
        type = ps_get_be16(f);
        break;
    case DLT_RAW:
        off = 0;
        type = 0;
        break;
    case DLT_IPV4:
        off = 0;
        type = ETHERTYPE_IPV4_;
        break;
    case DLT_IPV6:
        off = 0;
        type = ETHERTYPE_IPV6_;
        break;
    default:
        return PS_DEC_UNSUPPORTED;
    }
    if (type != 0 && type != ETHERTYPE_IPV4_ && type != ETHERTYPE_IPV6_)
        return PS_DEC_UNSUPPORTED;
    ip->p = f + off;
    ip->len = caplen - off;
    *ethertype = type;
    return PS_DEC_OK;
}

static int ipv4_layer(view v, ip_info *out)
{
    size_t hlen, total;

    if (v.len < 20)
        return PS_DEC_TRUNCATED;
    if ((v.p[0] >> 4) != 4)
        return PS_DEC_MALFORMED;
    hlen = (size_t)(v.p[0] & 0x0f) * 4;
    total = ps_get_be16(v.p + 2);
    if (hlen < 20 || total < hlen)
        return PS_DEC_MALFORMED;
    if (v.len < hlen)
        return PS_DEC_TRUNCATED;
    if (total > v.len)
        total = v.len; /* cut by snaplen or by an ICMP quote */

    out->family = AF_INET;
    out->src.family = out->dst.family = AF_INET;
    out->src.u.v4 = ps_get_be32(v.p + 12);
    out->dst.u.v4 = ps_get_be32(v.p + 16);
    out->ttl = v.p[8];
    out->proto = v.p[9];
    /* A non-first fragment carries no upper-layer header. */
    out->has_l4 = (ps_get_be16(v.p + 6) & 0x1fff) == 0;
    out->l4.p = v.p + hlen;
    out->l4.len = total - hlen;
    return PS_DEC_OK;
}

/* Skip IPv6 extension headers; on return out->proto is the upper layer. */
static int ipv6_ext_headers(view *v, ip_info *out)
{
    uint8_t nh = out->proto;
    int n;

    for (n = 0; n <= PS_DECODE_MAX_EXT; n++) {
        size_t hlen;
        switch (nh) {
        case IPPROTO_HOPOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_DSTOPTS:
        case 135: /* mobility */
        case 139: /* HIP */
        case 140: /* shim6 */
            if (v->len < 2)
                return PS_DEC_TRUNCATED;
            hlen = ((size_t)v->p[1] + 1) * 8;
            break;
        case IPPROTO_AH:
            if (v->len < 2)
                return PS_DEC_TRUNCATED;
            hlen = ((size_t)v->p[1] + 2) * 4;
            break;
        case IPPROTO_FRAGMENT:
            if (v->len < 8)
                return PS_DEC_TRUNCATED;
            hlen = 8;
            if ((ps_get_be16(v->p + 2) & 0xfff8) != 0)
                out->has_l4 = 0; /* non-first fragment */
            break;
        case IPPROTO_ESP:
            return PS_DEC_UNSUPPORTED; /* the rest is encrypted */
        default:
            out->proto = nh; /* upper layer (or 59, no next header) */
            if (nh == IPPROTO_NONE)
                out->has_l4 = 0;
            return PS_DEC_OK;
        }
        if (n == PS_DECODE_MAX_EXT)
            break;
        if (v->len < hlen)
            return PS_DEC_TRUNCATED;
        nh = v->p[0];
        v->p += hlen;
        v->len -= hlen;
        if (!out->has_l4) { /* nothing after a non-first fragment header */
            out->proto = nh;
            return PS_DEC_OK;
        }
    }
    return PS_DEC_UNSUPPORTED;
}

static int ipv6_layer(view v, ip_info *out)
{
    size_t plen;
    view rest;

    if (v.len < 40)
        return PS_DEC_TRUNCATED;
    if ((v.p[0] >> 4) != 6)
        return PS_DEC_MALFORMED;
    plen = ps_get_be16(v.p + 4);
    if (plen == 0 || plen > v.len - 40)
        plen = v.len - 40; /* jumbogram, snaplen or ICMP quote */

    out->family = AF_INET6;
    out->src.family = out->dst.family = AF_INET6;
    memcpy(out->src.u.v6, v.p + 8, 16);
    memcpy(out->dst.u.v6, v.p + 24, 16);
    out->ttl = v.p[7];
    out->proto = v.p[6];
    out->has_l4 = 1;
    rest.p = v.p + 40;
    rest.len = plen;
    {
        int rc = ipv6_ext_headers(&rest, out);
        if (rc != PS_DEC_OK)
            return rc;
    }
    out->l4 = rest;
    return PS_DEC_OK;
}

static int ip_layer(view v, unsigned ethertype, ip_info *out)
{
    unsigned version;

    if (v.len < 1)
        return PS_DEC_TRUNCATED;
    version = v.p[0] >> 4;
    if (ethertype == ETHERTYPE_IPV4_ || (ethertype == 0 && version == 4))
        return ipv4_layer(v, out);
    if (ethertype == ETHERTYPE_IPV6_ || (ethertype == 0 && version == 6))
        return ipv6_layer(v, out);
    return PS_DEC_MALFORMED;
}

static int is_icmp_error(int family, uint8_t type)
{
    if (family == AF_INET)
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    return type >= 1 && type <= 4; /* unreach, too big, time exceeded, param */
}

/* Parse the packet quoted in an ICMP error, leniently: the quote may be
 * cut anywhere, and whatever we learn is flagged as present or not. */
static void icmp_quote(view q, int family, ps_decoded *out)
{
    ip_info in;
    ps_decoded_inner *r = &out->inner;

    memset(&in, 0, sizeof in);
    if (ip_layer(q, family == AF_INET ? ETHERTYPE_IPV4_ : ETHERTYPE_IPV6_, &in) != PS_DEC_OK)
        return;
    out->has_inner = 1;
    r->src = in.src;
    r->dst = in.dst;
    r->proto = in.proto;
    if (!in.has_l4 || in.l4.len < 4)
        return;
    if (in.proto == IPPROTO_TCP || in.proto == IPPROTO_UDP || in.proto == IPPROTO_SCTP ||
        in.proto == IPPROTO_UDPLITE) {
        r->has_ports = 1;
        r->sport = ps_get_be16(in.l4.p);
        r->dport = ps_get_be16(in.l4.p + 2);
        if (in.proto == IPPROTO_TCP && in.l4.len >= 8) {
            r->has_seq = 1;
            r->seq = ps_get_be32(in.l4.p + 4);
        }
    }
}

static int transport_layer(const ip_info *ip, ps_decoded *out)
{
    const uint8_t *p = ip->l4.p;
    size_t len = ip->l4.len;

    switch (ip->proto) {
    case IPPROTO_TCP:
        if (len < 20)
            return PS_DEC_TRUNCATED;
        if ((p[12] >> 4) < 5)
            return PS_DEC_MALFORMED;
        out->sport = ps_get_be16(p);
        out->dport = ps_get_be16(p + 2);
        out->seq = ps_get_be32(p + 4);
        out->ack = ps_get_be32(p + 8);
        out->tcp_flags = p[13];
        out->window = ps_get_be16(p + 14);
        return PS_DEC_OK;
    case IPPROTO_UDP:
        if (len < 8)
            return PS_DEC_TRUNCATED;
        out->sport = ps_get_be16(p);
        out->dport = ps_get_be16(p + 2);
        return PS_DEC_OK;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if ((ip->proto == IPPROTO_ICMP) != (ip->family == AF_INET))
            return PS_DEC_MALFORMED; /* ICMPv4 in IPv6 or the reverse */
        if (len < 8)
            return PS_DEC_TRUNCATED;
        out->icmp_type = p[0];
        out->icmp_code = p[1];
        if (is_icmp_error(ip->family, p[0])) {
            view q = { p + 8, len - 8 };
            icmp_quote(q, ip->family, out);
        }
        return PS_DEC_OK;
    default:
        return PS_DEC_OK; /* some other protocol: addresses only */
    }
}

int ps_decode(int dlt, const uint8_t *frame, size_t caplen, ps_decoded *out)
{
    view l3;
    unsigned ethertype;
    ip_info ip;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&ip, 0, sizeof ip);
    if (!frame)
        return PS_DEC_TRUNCATED;
    rc = link_layer(dlt, frame, caplen, &l3, &ethertype);
    if (rc != PS_DEC_OK)
        return rc;
    rc = ip_layer(l3, ethertype, &ip);
    if (rc != PS_DEC_OK)
        return rc;
    out->family = ip.family;
    out->src = ip.src;
    out->dst = ip.dst;
    out->ttl = ip.ttl;
    out->proto = ip.proto;
    if (!ip.has_l4)
        return PS_DEC_UNSUPPORTED;
    return transport_layer(&ip, out);
}

const char *ps_decode_status_str(int status)
{
    switch (status) {
    case PS_DEC_OK: return "ok";
    case PS_DEC_TRUNCATED: return "truncated";
    case PS_DEC_MALFORMED: return "malformed";
    case PS_DEC_UNSUPPORTED: return "unsupported";
    default: return "unknown";
    }
}
