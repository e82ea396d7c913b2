/* template.c: build the SYN template with libnet once, patch it per probe
 * (see include/pscan/template.h).
 *
 * libnet is used in its build-only mode: libnet_init(LIBNET_NONE, NULL)
 * opens no socket and no device (so it needs no privileges), the
 * libnet_build_* calls stack TCP options, TCP, IP and optionally Ethernet,
 * and libnet_pblock_coalesce assembles the bytes.  (libnet_adv_cull_packet
 * refuses in this mode: it wants an "advanced" injection mode, which opens
 * a device.)  We then recompute both checksums ourselves over the finished
 * bytes rather than rely on libnet's checksum fill-in, so the template is
 * correct by our own definition, the one the tests check.
 *
 * The template carries zeros in every per-probe field (destination address,
 * ports, sequence number); its checksums cover those zeros.  Patching a
 * field is then RFC 1624 eqn. 3 with old value 0:
 *     HC' = ~(~HC + ~0 + new)
 * summed over all changed 16-bit words in one accumulator and folded once.
 * Fields outside every checksum (the IPv6 flow label) are just written. */
#include <libnet.h>
#include <string.h>

#include "pscan/checksum.h"
#include "pscan/template.h"

#define TCP_HDR_LEN 40 /* 20 bytes of header + 20 of options */
#define TCP_OPT_LEN 20
#define TTL 64

/* The options of a Linux client's SYN, in Linux's order. */
static void tcp_options(uint8_t opt[TCP_OPT_LEN], uint16_t mss, uint32_t tsval)
{
    uint8_t *p = opt;

    *p++ = 2; *p++ = 4; ps_put_be16(p, mss); p += 2;          /* MSS */
    *p++ = 4; *p++ = 2;                                     /* SACK permitted */
    *p++ = 8; *p++ = 10; ps_put_be32(p, tsval); p += 4;       /* timestamps */
    ps_put_be32(p, 0); p += 4;                              /*   echo reply 0 */
    *p++ = 1;                                               /* NOP */
    *p++ = 3; *p++ = 3; *p++ = 7;                           /* window scale 7 */
}

/* Ask libnet for the packet bytes; returns PS_OK and fills t->frame. */
static int libnet_assemble(ps_template *t, const ps_template_opts *o, ps_err *e)
{
    char errbuf[LIBNET_ERRBUF_SIZE];
    libnet_t *l;
    uint8_t opt[TCP_OPT_LEN], *pkt = NULL;
    uint32_t pkt_len = 0;
    int v6 = (o->src.family == AF_INET6);
    uint16_t mss = v6 ? 1440 : 1460, win = v6 ? 64800 : 64240;
    int rc = PS_ERUNTIME;

    errbuf[0] = '\0';
    l = libnet_init(LIBNET_NONE, NULL, errbuf);
    if (!l)
        return ps_fail(e, PS_ERUNTIME, "libnet_init failed: %s", errbuf);

    tcp_options(opt, mss, (uint32_t)(o->entropy >> 16));
    if (libnet_build_tcp_options(opt, TCP_OPT_LEN, l, 0) < 0 ||
        libnet_build_tcp(0, 0, 0, 0, TH_SYN, win, 0, 0, TCP_HDR_LEN, NULL, 0, l, 0) < 0)
        goto libnet_error;
    if (v6) {
        struct libnet_in6_addr src, dst;
        memcpy(&src, o->src.u.v6, 16);
        memset(&dst, 0, sizeof dst);
        if (libnet_build_ipv6(0, t->flow, TCP_HDR_LEN, IPPROTO_TCP, TTL, src, dst,
                              NULL, 0, l, 0) < 0)
            goto libnet_error;
    } else {
        if (libnet_build_ipv4(LIBNET_IPV4_H + TCP_HDR_LEN, 0, t->ip_id, IP_DF, TTL,
                              IPPROTO_TCP, 0, htonl(o->src.u.v4), 0, NULL, 0, l, 0) < 0)
            goto libnet_error;
    }
    if (o->link == PS_LINK_ETHERNET &&
        libnet_build_ethernet(o->dst_mac, o->src_mac, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP,
                              NULL, 0, l, 0) < 0)
        goto libnet_error;
    if (libnet_pblock_coalesce(l, &pkt, &pkt_len) < 0)
        goto libnet_error;
    if (pkt_len != t->len) {
        rc = ps_fail(e, PS_ERUNTIME, "libnet built a %u-byte SYN, expected %zu",
                     pkt_len, t->len);
        goto out;
    }
    memcpy(t->frame, pkt, pkt_len);
    rc = PS_OK;
    goto out;

libnet_error:
    rc = ps_fail(e, PS_ERUNTIME, "libnet could not build the SYN template: %s",
                 libnet_geterror(l));
out:
    if (pkt)
        libnet_adv_free_packet(l, pkt);
    libnet_destroy(l);
    return rc;
}

int ps_template_build(ps_template *t, const ps_template_opts *o, ps_err *e)
{
    uint8_t *ip, *tcp;
    size_t l3len;
    int rc;

    if (o->link != PS_LINK_ETHERNET && o->link != PS_LINK_RAW)
        return ps_fail(e, PS_EINPUT, "unknown link type '%d' for the SYN template", o->link);
    if (o->src.family != AF_INET && o->src.family != AF_INET6)
        return ps_fail(e, PS_EINPUT, "source address family '%d' is neither IPv4 nor IPv6",
                       o->src.family);

    memset(t, 0, sizeof *t);
    t->family = o->src.family;
    t->l3_off = (o->link == PS_LINK_ETHERNET) ? LIBNET_ETH_H : 0;
    l3len = (t->family == AF_INET6) ? LIBNET_IPV6_H : LIBNET_IPV4_H;
    t->l4_off = t->l3_off + l3len;
    t->len = t->l4_off + TCP_HDR_LEN;
    t->ip_id = (uint16_t)o->entropy;
    t->flow = (uint32_t)(o->entropy >> 44) & 0xfffff;

    rc = libnet_assemble(t, o, e);
    if (rc != PS_OK)
        return rc;

    ip = t->frame + t->l3_off;
    tcp = t->frame + t->l4_off;
    ps_put_be16(tcp + 16, 0);
    if (t->family == AF_INET) {
        ps_put_be16(ip + 10, 0);
        t->ip_csum = ps_csum_ipv4_header(ip, l3len);
        ps_put_be16(ip + 10, t->ip_csum);
        t->tcp_csum = ps_csum_l4_v4(o->src.u.v4, 0, IPPROTO_TCP, tcp, TCP_HDR_LEN);
    } else {
        static const uint8_t zero[16];
        t->tcp_csum = ps_csum_l4_v6(o->src.u.v6, zero, IPPROTO_TCP, tcp, TCP_HDR_LEN);
    }
    ps_put_be16(tcp + 16, t->tcp_csum);
    return PS_OK;
}

size_t ps_template_patch(const ps_template *t, uint8_t *out, const ps_addr *dst,
                         uint16_t dport, uint16_t sport, uint32_t seq)
{
    uint8_t *ip, *tcp;
    uint64_t acc;

    if (dst->family != t->family)
        return 0;
    memcpy(out, t->frame, t->len);
    ip = out + t->l3_off;
    tcp = out + t->l4_off;
    acc = ps_csum_acc_start(t->tcp_csum);

    if (t->family == AF_INET) {
        /* The IP ID varies per probe: the random base xor cookie bits. */
        uint16_t id = t->ip_id ^ (uint16_t)(seq >> 16);
        uint64_t ipacc = ps_csum_acc_start(t->ip_csum);
        ipacc = ps_csum_acc16(ipacc, t->ip_id, id);
        ipacc = ps_csum_acc32(ipacc, 0, dst->u.v4);
        ps_put_be16(ip + 4, id);
        ps_put_be32(ip + 16, dst->u.v4);
        ps_put_be16(ip + 10, ps_csum_finish(ipacc));
        acc = ps_csum_acc32(acc, 0, dst->u.v4);
    } else {
        /* The flow label (not checksummed) varies per probe like a real
         * stack's per-flow label; the address enters the TCP pseudo header. */
        uint32_t flow = (t->flow ^ seq) & 0xfffff;
        int i;
        ip[1] = (uint8_t)((ip[1] & 0xf0) | (flow >> 16));
        ip[2] = (uint8_t)(flow >> 8);
        ip[3] = (uint8_t)flow;
        memcpy(ip + 24, dst->u.v6, 16);
        for (i = 0; i < 16; i += 2)
            acc = ps_csum_acc16(acc, 0, ps_get_be16(dst->u.v6 + i));
    }
    acc = ps_csum_acc16(acc, 0, sport);
    acc = ps_csum_acc16(acc, 0, dport);
    acc = ps_csum_acc32(acc, 0, seq);
    ps_put_be16(tcp, sport);
    ps_put_be16(tcp + 2, dport);
    ps_put_be32(tcp + 4, seq);
    ps_put_be16(tcp + 16, ps_csum_finish(acc));
    return t->len;
}
