/* udp_payloads.c: one request per well-known UDP port, for -sU.
 *
 * Each payload is a minimal, well-formed request that the protocol's
 * servers answer (even if only with an error), written here byte by byte
 * from the RFC or specification named beside it.  The bytes are constant:
 * the engine sends the same datagram on every try, so a reply cannot be
 * told from another by content, only by the socket it arrives on (each
 * probe has its own).  Identifiers inside (DNS IDs, cookies, transaction
 * numbers) spell "ps" or "pscan" so a capture shows whose traffic it is.
 *
 * Ports not listed get an empty datagram: no service is obliged to answer
 * it, but a closed port still sends an ICMP port unreachable. */
#include <string.h>

#include "pscan/udp_payloads.h"

/* DNS, RFC 1035 4.1: a standard query (no recursion) for the TXT record
 * version.bind in class CHAOS, which most servers answer with their
 * version, and the rest with an error: either way, an answer. */
static const uint8_t dns_version[] = {
    0x70, 0x73,                   /* ID "ps" */
    0x00, 0x00,                   /* QR=0 query, OPCODE=0, RD=0 */
    0x00, 0x01, 0x00, 0x00,       /* QDCOUNT=1, ANCOUNT=0 */
    0x00, 0x00, 0x00, 0x00,       /* NSCOUNT=0, ARCOUNT=0 */
    7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 4, 'b', 'i', 'n', 'd', 0,
    0x00, 0x10,                   /* QTYPE TXT */
    0x00, 0x03,                   /* QCLASS CH */
};

/* mDNS, RFC 6762 + RFC 6763 9: "which services are here?" as a PTR query
 * for _services._dns-sd._udp.local, class IN with the unicast-response
 * bit (5.4).  Sent from a port other than 5353, it is a legacy unicast
 * query (6.7): the responder answers us directly, echoing the ID. */
static const uint8_t mdns_services[] = {
    0x70, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    9, '_', 's', 'e', 'r', 'v', 'i', 'c', 'e', 's',
    7, '_', 'd', 'n', 's', '-', 's', 'd',
    4, '_', 'u', 'd', 'p',
    5, 'l', 'o', 'c', 'a', 'l', 0,
    0x00, 0x0c,                   /* QTYPE PTR */
    0x80, 0x01,                   /* QU bit + class IN */
};

/* NTP, RFC 5905 7.3: a 48-byte client packet.  LI=0, VN=4, Mode=3
 * (client); a non-zero transmit timestamp, which the server copies into
 * its reply's origin field. */
static const uint8_t ntp_client[48] = {
    0x23, 0x00, 0x06, 0xec, /* LI/VN/Mode, stratum 0, poll 2^6, precision 2^-20 */
    [40] = 0x70, 0x73, 0x63, 0x61, 0x6e, 0x00, 0x00, 0x01, /* transmit timestamp */
};

/* SNMP, RFC 3416 (PDU) over RFC 1901 (v2c message), in BER (X.690):
 *   Message ::= SEQUENCE { version INTEGER (1 = v2c), community OCTET
 *   STRING "public", GetRequest-PDU [0] { request-id, error-status 0,
 *   error-index 0, SEQUENCE OF { SEQUENCE { name OID, value NULL } } } }
 * asking for sysDescr.0 (1.3.6.1.2.1.1.1.0).  Agents silently drop a
 * message with a community they do not know, so "public" is a guess. */
#define SNMP_GET_SYSDESCR(version)                                           \
    {                                                                        \
        0x30, 0x29,                         /* Message, 41 bytes */          \
        0x02, 0x01, version,                /* version */                    \
        0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c',                            \
        0xa0, 0x1c,                         /* GetRequest-PDU, 28 bytes */   \
        0x02, 0x04, 0x70, 0x73, 0x63, 0x6e, /* request-id */                 \
        0x02, 0x01, 0x00,                   /* error-status */               \
        0x02, 0x01, 0x00,                   /* error-index */                \
        0x30, 0x0e,                         /* VarBindList, 14 bytes */      \
        0x30, 0x0c,                         /* VarBind, 12 bytes */          \
        0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00,          \
        0x05, 0x00,                         /* NULL */                       \
    }
static const uint8_t snmp_v2c[] = SNMP_GET_SYSDESCR(0x01);
static const uint8_t snmp_v1[] = SNMP_GET_SYSDESCR(0x00);

/* SSDP, UPnP Device Architecture 2.0 1.3.2: a unicast M-SEARCH for every
 * device and service. */
static const char ssdp_msearch[] =
    "M-SEARCH * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "MAN: \"ssdp:discover\"\r\n"
    "MX: 1\r\n"
    "ST: ssdp:all\r\n"
    "\r\n";

/* NetBIOS name service, RFC 1002 4.2.17 (NODE STATUS REQUEST): the
 * wildcard name "*" padded with NULs to 16 bytes, in first-level encoding
 * (RFC 1001 14.1: each half-byte plus 'A': '*' = 0x2A -> "CK", NUL ->
 * "AA"), type NBSTAT, class IN. */
static const uint8_t netbios_nbstat[] = {
    0x70, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 'C', 'K', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
    'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 0x00,
    0x00, 0x21, /* NBSTAT */
    0x00, 0x01, /* IN */
};

/* SIP, RFC 3261 11: OPTIONS asks a server what it supports; every
 * mandatory header (8.1.1) is present, and the Via branch starts with the
 * RFC's magic cookie "z9hG4bK".  The .invalid names (RFC 6761) resolve
 * nowhere; servers answer to the datagram's source (18.2.2). */
static const char sip_options[] =
    "OPTIONS sip:probe@pscan.invalid SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pscan.invalid:5060;branch=z9hG4bK-pscan-probe;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:probe@pscan.invalid>\r\n"
    "From: <sip:pscan@pscan.invalid>;tag=pscan\r\n"
    "Call-ID: pscan-probe@pscan.invalid\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Contact: <sip:pscan@pscan.invalid>\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* TFTP, RFC 1350 5: a read request (opcode 1), file name, mode "octet".
 * A server answers from a new port (its transfer ID), with the first data
 * block or, far more likely, an ERROR packet. */
static const uint8_t tftp_rrq[] = {
    0x00, 0x01, 'p', 's', 'c', 'a', 'n', '.', 'p', 'r', 'o', 'b', 'e', 0x00,
    'o', 'c', 't', 'e', 't', 0x00,
};

/* ISAKMP/IKEv1, RFC 2408 3.1-3.6 and RFC 2409 (main mode, Appendix A
 * attribute values): a header for an Identity Protection exchange
 * carrying one SA payload (DOI IPsec, SIT_IDENTITY_ONLY) with one ISAKMP
 * proposal of one KEY_IKE transform: AES-CBC-128, SHA, pre-shared key,
 * MODP group 14, 28800 seconds.  Attributes are in the short TV form. */
static const uint8_t ike_main_mode[] = {
    'p', 's', 'c', 'a', 'n', 'i', 'k', 'e', /* initiator cookie */
    0, 0, 0, 0, 0, 0, 0, 0,                 /* responder cookie */
    0x01,                                   /* next payload: SA */
    0x10,                                   /* version 1.0 */
    0x02,                                   /* exchange: Identity Protection */
    0x00,                                   /* flags */
    0x00, 0x00, 0x00, 0x00,                 /* message ID */
    0x00, 0x00, 0x00, 0x54,                 /* length 84 */
    /* SA payload */
    0x00, 0x00, 0x00, 0x38,                 /* next none, length 56 */
    0x00, 0x00, 0x00, 0x01,                 /* DOI IPsec */
    0x00, 0x00, 0x00, 0x01,                 /* situation identity only */
    /* Proposal payload */
    0x00, 0x00, 0x00, 0x2c,                 /* last, length 44 */
    0x01, 0x01, 0x00, 0x01,                 /* #1, PROTO_ISAKMP, SPI size 0, 1 transform */
    /* Transform payload */
    0x00, 0x00, 0x00, 0x24,                 /* last, length 36 */
    0x01, 0x01, 0x00, 0x00,                 /* #1, KEY_IKE, reserved */
    0x80, 0x01, 0x00, 0x07,                 /* encryption: AES-CBC */
    0x80, 0x0e, 0x00, 0x80,                 /* key length 128 */
    0x80, 0x02, 0x00, 0x02,                 /* hash: SHA */
    0x80, 0x03, 0x00, 0x01,                 /* authentication: pre-shared key */
    0x80, 0x04, 0x00, 0x0e,                 /* group: MODP 2048 */
    0x80, 0x0b, 0x00, 0x01,                 /* life type: seconds */
    0x80, 0x0c, 0x70, 0x80,                 /* life duration: 28800 */
};

/* memcached, protocol.txt "UDP protocol": an 8-byte frame header
 * (request ID, sequence 0, 1 datagram, reserved) before a text command. */
static const uint8_t memcached_stats[] = {
    0x70, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 's', 't', 'a', 't', 's', '\r', '\n',
};

/* ONC RPC, RFC 5531 9 with the portmapper of RFC 1833 3: a CALL to
 * program 100000 version 2, procedure 0 (NULL), with AUTH_NONE
 * credentials and verifier; every field a 4-byte XDR integer. */
static const uint8_t rpc_portmap_null[] = {
    0x70, 0x73, 0x63, 0x6e, /* xid */
    0, 0, 0, 0,             /* CALL */
    0, 0, 0, 2,             /* RPC version 2 */
    0, 1, 0x86, 0xa0,       /* program 100000 */
    0, 0, 0, 2,             /* version 2 */
    0, 0, 0, 0,             /* procedure NULL */
    0, 0, 0, 0, 0, 0, 0, 0, /* credentials AUTH_NONE, length 0 */
    0, 0, 0, 0, 0, 0, 0, 0, /* verifier AUTH_NONE, length 0 */
};

/* DTLS 1.2, RFC 6347 4.1 (record) and 4.2.2 (handshake header) around a
 * TLS 1.2 ClientHello (RFC 5246 7.4.1.2): empty session ID and cookie,
 * four common suites (ECDHE-ECDSA/ECDHE-RSA/RSA with AES-128-GCM, RSA with
 * AES-128-CBC-SHA), null compression, and the extensions an ECDHE server
 * needs (RFC 8422 supported groups and point formats, RFC 5246 signature
 * algorithms).  A server answers with a HelloVerifyRequest, a ServerHello
 * or an alert. */
static const uint8_t dtls_client_hello[] = {
    0x16, 0xfe, 0xfd,                   /* handshake, DTLS 1.2 */
    0x00, 0x00,                         /* epoch */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* sequence number */
    0x00, 0x5a,                         /* length 90 */
    0x01,                               /* ClientHello */
    0x00, 0x00, 0x4e,                   /* length 78 */
    0x00, 0x00,                         /* message_seq */
    0x00, 0x00, 0x00,                   /* fragment_offset */
    0x00, 0x00, 0x4e,                   /* fragment_length 78 */
    0xfe, 0xfd,                         /* client_version DTLS 1.2 */
    'p', 's', 'c', 'a', 'n', '-', 'd', 't', 'l', 's', '-', 'c', 'l', 'i', 'e', 'n', /* random */
    't', '-', 'h', 'e', 'l', 'l', 'o', '-', 'r', 'a', 'n', 'd', 'o', 'm', '-', '!',
    0x00,                               /* session_id: empty */
    0x00,                               /* cookie: empty */
    0x00, 0x08, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9c, 0x00, 0x2f, /* cipher suites */
    0x01, 0x00,                         /* compression: null */
    0x00, 0x1c,                         /* extensions, 28 bytes */
    0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, /* groups: x25519, P-256 */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, /* point formats: uncompressed */
    0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, /* sig algs */
};

/* QUIC, RFC 9000 17.2 and 6: a long-header packet whose version,
 * 0x1a2a3a4a, has the reserved 0x?a?a?a?a pattern (15) no server speaks,
 * so a QUIC server answers with a Version Negotiation packet.  Padded to
 * 1200 bytes: servers ignore shorter first datagrams (14.1). */
static const uint8_t quic_vn[1200] = {
    0xc3,                         /* long header, fixed bit, "Initial" */
    0x1a, 0x2a, 0x3a, 0x4a,       /* version: forces negotiation */
    0x08, 'p', 's', 'c', 'a', 'n', 'd', 'c', 'i', /* destination CID */
    0x08, 'p', 's', 'c', 'a', 'n', 's', 'c', 'i', /* source CID */
};

struct payload {
    uint16_t port;
    const char *name;
    const uint8_t *data;
    size_t len;
};

#define P(port, name, arr) {port, name, (const uint8_t *)(arr), sizeof(arr)}
#define PS(port, name, str) {port, name, (const uint8_t *)(str), sizeof(str) - 1}

/* Sorted by port; a port's payloads in the order retries use them. */
static const struct payload payloads[] = {
    P(53, "dns-version-bind", dns_version),
    P(69, "tftp-rrq", tftp_rrq),
    P(111, "rpc-portmap-null", rpc_portmap_null),
    P(123, "ntp-client", ntp_client),
    P(137, "netbios-nbstat", netbios_nbstat),
    P(161, "snmp-v2c-get", snmp_v2c),
    P(161, "snmp-v1-get", snmp_v1),
    P(443, "quic-vn", quic_vn),
    P(443, "dtls-client-hello", dtls_client_hello),
    P(500, "ike-main-mode", ike_main_mode),
    PS(1900, "ssdp-msearch", ssdp_msearch),
    P(4433, "dtls-client-hello", dtls_client_hello),
    PS(5060, "sip-options", sip_options),
    P(5353, "mdns-services", mdns_services),
    P(11211, "memcached-stats", memcached_stats),
};

enum { NPAYLOADS = sizeof payloads / sizeof payloads[0] };

static const uint8_t empty[1];

/* The first table entry for port, or NPAYLOADS. */
static size_t first_of(uint16_t port)
{
    size_t lo = 0, hi = NPAYLOADS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (payloads[mid].port < port) lo = mid + 1;
        else hi = mid;
    }
    return lo < NPAYLOADS && payloads[lo].port == port ? lo : NPAYLOADS;
}

unsigned ps_udp_payload_count(uint16_t port)
{
    size_t i = first_of(port);
    unsigned n = 0;
    while (i + n < NPAYLOADS && payloads[i + n].port == port) n++;
    return n ? n : 1;
}

const uint8_t *ps_udp_payload_n(uint16_t port, unsigned i, size_t *len)
{
    size_t f = first_of(port);
    *len = 0;
    if (f == NPAYLOADS) return i == 0 ? empty : NULL;
    if (i >= ps_udp_payload_count(port)) return NULL;
    *len = payloads[f + i].len;
    return payloads[f + i].data;
}

const uint8_t *ps_udp_payload(uint16_t port, size_t *len)
{
    return ps_udp_payload_n(port, 0, len);
}

const char *ps_udp_payload_name(uint16_t port, unsigned i)
{
    size_t f = first_of(port);
    if (f == NPAYLOADS) return i == 0 ? "empty" : NULL;
    return i < ps_udp_payload_count(port) ? payloads[f + i].name : NULL;
}

int ps_udp_reply_elsewhere(uint16_t port)
{
    return port == 69;
}
