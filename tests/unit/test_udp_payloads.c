/* test_udp_payloads.c: every UDP payload parses back as its protocol says.
 *
 * Each test reads a payload with a small parser written from the same
 * specification (header counts, BER and ISAKMP lengths, DTLS record and
 * handshake lengths, QUIC long header), so a byte typed wrong in
 * udp_payloads.c shows up as a length or count that does not add up. */
#include <stdint.h>

#include "pscan/udp_payloads.h"
#include "unit.h"

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be24(const uint8_t *p)
{
    return (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
}

static void test_table(void)
{
    static const uint16_t known[] = {53, 69, 111, 123, 137, 161, 443, 500, 1900, 4433, 5060, 5353, 11211};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        uint16_t port = known[i];
        unsigned n = ps_udp_payload_count(port);
        CHECK(n >= 1, "port %u: %u payloads", port, n);
        for (unsigned k = 0; k < n; k++) {
            size_t len = 0;
            const uint8_t *p = ps_udp_payload_n(port, k, &len);
            CHECK(p && len > 0, "port %u payload %u: empty", port, k);
            CHECK(ps_udp_payload_name(port, k) != NULL, "port %u payload %u: no name", port, k);
        }
        size_t len = 99;
        CHECK(ps_udp_payload_n(port, n, &len) == NULL, "port %u: payload past the end", port);
    }
    CHECK(ps_udp_payload_count(443) == 2, "443: QUIC and DTLS");
    CHECK(ps_udp_payload_count(161) == 2, "161: v2c and v1");
    CHECK_STR(ps_udp_payload_name(443, 0), "quic-vn");
    /* Ports without a payload: one empty datagram. */
    static const uint16_t none[] = {1, 7, 52, 54, 65535};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        size_t len = 99;
        const uint8_t *p = ps_udp_payload(none[i], &len);
        CHECK(p != NULL && len == 0, "port %u: want an empty payload, len %zu", none[i], len);
        CHECK(ps_udp_payload_count(none[i]) == 1, "port %u: one payload", none[i]);
        CHECK_STR(ps_udp_payload_name(none[i], 0), "empty");
        CHECK(ps_udp_payload_n(none[i], 1, &len) == NULL, "port %u: second payload", none[i]);
    }
    CHECK(ps_udp_reply_elsewhere(69), "TFTP answers from another port");
    CHECK(!ps_udp_reply_elsewhere(53), "DNS answers from its port");
}

/* DNS-style message (RFC 1035 4.1): header counts, then QDCOUNT questions
 * whose names end in the root label; returns the offset after them, or 0. */
static size_t dns_questions(const uint8_t *p, size_t len, unsigned *qtype, unsigned *qclass)
{
    if (len < 12) return 0;
    unsigned qd = be16(p + 4);
    if (be16(p + 6) || be16(p + 8) || be16(p + 10) || qd != 1) return 0;
    if (p[2] & 0x80) return 0; /* QR: must be a query */
    size_t off = 12;
    for (int labels = 0; labels < 128; labels++) {
        if (off >= len) return 0;
        unsigned l = p[off++];
        if (l == 0) {
            if (off + 4 > len) return 0;
            *qtype = be16(p + off);
            *qclass = be16(p + off + 2);
            return off + 4;
        }
        if (l > 63 || off + l > len) return 0;
        off += l;
    }
    return 0;
}

static void test_dns(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(53, &len);
    unsigned t = 0, c = 0;
    size_t end = dns_questions(p, len, &t, &c);
    CHECK(end == len, "DNS question ends at %zu of %zu", end, len);
    CHECK(t == 16 && c == 3, "TXT/CH, got %u/%u", t, c);
    CHECK(memcmp(p + 12, "\7version\4bind\0", 14) == 0, "qname version.bind");
}

static void test_mdns(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(5353, &len);
    unsigned t = 0, c = 0;
    size_t end = dns_questions(p, len, &t, &c);
    CHECK(end == len, "mDNS question ends at %zu of %zu", end, len);
    CHECK(t == 12, "PTR, got %u", t);
    CHECK(c == 0x8001, "QU + IN, got %#x", c);
    CHECK(be16(p) != 0, "legacy unicast wants a non-zero ID");
}

static void test_netbios(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(137, &len);
    unsigned t = 0, c = 0;
    size_t end = dns_questions(p, len, &t, &c);
    CHECK(end == len, "NBSTAT question ends at %zu of %zu", end, len);
    CHECK(t == 0x21 && c == 1, "NBSTAT/IN, got %#x/%u", t, c);
    CHECK(p[12] == 32, "encoded name is 32 bytes, got %u", p[12]);
    /* First-level decoding (RFC 1001 14.1): two letters per byte. */
    uint8_t name[16];
    int ok = 1;
    for (int i = 0; i < 16; i++) {
        uint8_t hi = p[13 + 2 * i], lo = p[14 + 2 * i];
        ok &= hi >= 'A' && hi <= 'P' && lo >= 'A' && lo <= 'P';
        name[i] = (uint8_t)((hi - 'A') << 4 | (lo - 'A'));
    }
    CHECK(ok, "encoded name uses A..P only");
    CHECK(name[0] == '*', "decoded name starts with '*', got %#x", name[0]);
    int zeros = 1;
    for (int i = 1; i < 16; i++) zeros &= name[i] == 0;
    CHECK(zeros, "the wildcard is padded with NULs");
}

/* BER (X.690) definite lengths: every TLV fits its parent exactly. */
static int ber_walk(const uint8_t *p, size_t len, int depth, int *count)
{
    size_t off = 0;
    if (depth > 16) return 0;
    while (off < len) {
        if (len - off < 2) return 0;
        uint8_t tag = p[off];
        size_t l = p[off + 1], hdr = 2;
        if (l & 0x80) {
            size_t nb = l & 0x7f;
            if (nb == 0 || nb > 2 || len - off < 2 + nb) return 0;
            l = 0;
            for (size_t i = 0; i < nb; i++) l = l << 8 | p[off + 2 + i];
            hdr += nb;
        }
        if (len - off - hdr < l) return 0;
        (*count)++;
        if (tag & 0x20) /* constructed: SEQUENCE, GetRequest-PDU */
            if (!ber_walk(p + off + hdr, l, depth + 1, count)) return 0;
        off += hdr + l;
    }
    return off == len;
}

static void test_snmp(void)
{
    for (unsigned k = 0; k < 2; k++) {
        size_t len;
        const uint8_t *p = ps_udp_payload_n(161, k, &len);
        int count = 0;
        CHECK(p && ber_walk(p, len, 0, &count), "payload %u: BER lengths add up", k);
        CHECK(count == 11, "payload %u: 11 TLVs, got %d", k, count);
        CHECK(p[0] == 0x30 && (size_t)p[1] + 2 == len, "payload %u: one outer SEQUENCE", k);
        CHECK(p[2] == 0x02 && p[3] == 1 && p[4] == (k == 0 ? 1 : 0), "payload %u: version", k);
        CHECK(p[5] == 0x04 && p[6] == 6 && memcmp(p + 7, "public", 6) == 0, "community public");
        CHECK(p[13] == 0xa0, "GetRequest-PDU, got %#x", p[13]);
        static const uint8_t oid[] = {0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0, 0x05, 0x00};
        CHECK(len > sizeof oid && memcmp(p + len - sizeof oid, oid, sizeof oid) == 0, "sysDescr.0 = NULL last");
    }
}

static void test_ntp(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(123, &len);
    CHECK(len == 48, "48 bytes, got %zu", len);
    CHECK((p[0] & 7) == 3 && (p[0] >> 3 & 7) == 4 && p[0] >> 6 == 0, "LI 0, VN 4, mode 3: %#x", p[0]);
    CHECK(be32(p + 40) || be32(p + 44), "transmit timestamp set");
}

/* Text protocols: CRLF lines only, ending with an empty line. */
static void check_text(uint16_t port, const char *start)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(port, &len);
    CHECK(len > 4 && memcmp(p + len - 4, "\r\n\r\n", 4) == 0, "port %u ends with CRLF CRLF", port);
    CHECK(len >= strlen(start) && memcmp(p, start, strlen(start)) == 0, "port %u starts with %s", port, start);
    int bare = 0;
    for (size_t i = 0; i < len; i++) bare += p[i] == '\n' && (i == 0 || p[i - 1] != '\r');
    CHECK(bare == 0, "port %u: %d bare LF", port, bare);
}

static void test_text(void)
{
    check_text(1900, "M-SEARCH * HTTP/1.1\r\n");
    check_text(5060, "OPTIONS sip:");
    size_t len;
    const char *sip = (const char *)ps_udp_payload(5060, &len);
    static const char *const must[] = {"\r\nVia: SIP/2.0/UDP ", ";branch=z9hG4bK", "\r\nMax-Forwards: ", "\r\nTo: ",
                                       "\r\nFrom: ", "\r\nCall-ID: ", "\r\nCSeq: 1 OPTIONS\r\n",
                                       "\r\nContent-Length: 0\r\n"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        CHECK(memmem(sip, len, must[i], strlen(must[i])) != NULL, "SIP has %s", must[i]);
}

static void test_tftp(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(69, &len);
    CHECK(len > 4 && be16(p) == 1, "RRQ opcode");
    const uint8_t *z1 = memchr(p + 2, 0, len - 2);
    CHECK(z1 && z1 > p + 2, "a file name");
    if (!z1) return;
    size_t rest = len - (size_t)(z1 + 1 - p);
    CHECK(rest == 6 && memcmp(z1 + 1, "octet", 6) == 0, "mode octet, NUL, nothing after");
}

static void test_ike(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(500, &len);
    CHECK(len >= 28 && be32(p + 24) == len, "header length %u vs %zu", be32(p + 24), len);
    CHECK(p[16] == 1 && p[17] == 0x10 && p[18] == 2, "SA next, v1.0, main mode");
    CHECK(be32(p + 8) == 0 && be32(p + 12) == 0, "responder cookie zero");
    const uint8_t *sa = p + 28;
    CHECK(be16(sa + 2) == len - 28 && sa[0] == 0, "SA payload fills the message");
    CHECK(be32(sa + 4) == 1 && be32(sa + 8) == 1, "DOI IPsec, identity only");
    const uint8_t *prop = sa + 12;
    CHECK(be16(prop + 2) == be16(sa + 2) - 12, "proposal fills the SA");
    CHECK(prop[5] == 1 && prop[6] == 0 && prop[7] == 1, "ISAKMP, no SPI, one transform");
    const uint8_t *tr = prop + 8;
    unsigned tlen = be16(tr + 2);
    CHECK(tlen == be16(prop + 2) - 8, "transform fills the proposal");
    CHECK(tr[5] == 1, "KEY_IKE");
    int tv = 1;
    for (unsigned off = 8; off + 4 <= tlen; off += 4) tv &= (tr[off] & 0x80) != 0;
    CHECK(tv && (tlen - 8) % 4 == 0, "attributes all TV");
}

static void test_memcached(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(11211, &len);
    CHECK(len == 15 && be16(p + 2) == 0 && be16(p + 4) == 1 && be16(p + 6) == 0, "frame header");
    CHECK(memcmp(p + 8, "stats\r\n", 7) == 0, "stats command");
}

static void test_rpc(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(111, &len);
    CHECK(len == 40, "40 bytes, got %zu", len);
    CHECK(be32(p + 4) == 0 && be32(p + 8) == 2, "CALL, RPC v2");
    CHECK(be32(p + 12) == 100000 && be32(p + 16) == 2 && be32(p + 20) == 0, "portmapper v2 NULL");
    CHECK(be32(p + 24) == 0 && be32(p + 28) == 0 && be32(p + 32) == 0 && be32(p + 36) == 0, "AUTH_NONE");
}

static void check_dtls(const uint8_t *p, size_t len)
{
    CHECK(len > 25 && p[0] == 22 && be16(p + 1) == 0xfefd, "handshake record, DTLS 1.2");
    CHECK(be16(p + 11) == len - 13, "record length %u vs %zu", be16(p + 11), len - 13);
    const uint8_t *h = p + 13;
    unsigned hl = be24(h + 1);
    CHECK(h[0] == 1 && hl == len - 25 && be24(h + 9) == hl && be24(h + 6) == 0, "one unfragmented ClientHello");
    const uint8_t *b = h + 12, *end = p + len;
    CHECK(be16(b) == 0xfefd, "client_version");
    b += 2 + 32;
    b += 1 + b[0]; /* session id */
    b += 1 + b[0]; /* cookie */
    unsigned cs = be16(b);
    CHECK(cs && cs % 2 == 0, "cipher suites length %u", cs);
    b += 2 + cs;
    b += 1 + b[0]; /* compression */
    unsigned el = be16(b);
    b += 2;
    CHECK(b + el == end, "extensions fill the message");
    int n = 0;
    while (b + 4 <= end && n < 32) {
        b += 4 + be16(b + 2);
        n++;
    }
    CHECK(b == end && n == 3, "3 extensions, lengths add up (%d)", n);
}

static void test_dtls(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(4433, &len);
    check_dtls(p, len);
    p = ps_udp_payload_n(443, 1, &len);
    CHECK(p != NULL, "443 has DTLS second");
    if (p) check_dtls(p, len);
}

static void test_quic(void)
{
    size_t len;
    const uint8_t *p = ps_udp_payload(443, &len);
    CHECK(len >= 1200, "at least 1200 bytes, got %zu", len);
    CHECK((p[0] & 0xc0) == 0xc0, "long header with the fixed bit");
    CHECK((be32(p + 1) & 0x0f0f0f0fu) == 0x0a0a0a0au, "a reserved version: %#x", be32(p + 1));
    unsigned dcid = p[5], scid = p[6 + dcid];
    CHECK(dcid <= 20 && scid <= 20, "connection ID lengths %u %u", dcid, scid);
}

int main(void)
{
    RUN(test_table);
    RUN(test_dns);
    RUN(test_mdns);
    RUN(test_netbios);
    RUN(test_snmp);
    RUN(test_ntp);
    RUN(test_text);
    RUN(test_tftp);
    RUN(test_ike);
    RUN(test_memcached);
    RUN(test_rpc);
    RUN(test_dtls);
    RUN(test_quic);
    return UNIT_END();
}
