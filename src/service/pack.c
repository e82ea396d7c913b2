/* pack.c: a -sV result in as few bytes as it needs.
 *
 * A ps_svc_result is 3 KB of fixed arrays (banner, certificate, the match
 * fields), nearly all zeros.  The report keeps every result until its host
 * is written, which for a SYN scan is the end of the scan: 10,000 open
 * ports would hold 30 MB.  Packed, a result is a small fixed header, then
 * each text field as a NUL-ended string (empty ones cost one byte), then
 * the banner's bytes: typically 100-300 bytes.  Unpacking restores the
 * struct exactly (every field is NUL-terminated inside its array). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/service.h"

/* Everything that is not a text field or the banner. */
struct head {
    ps_addr addr;
    uint16_t port;
    enum ps_proto proto;
    enum ps_svc_status status;
    int tls, has_cert, ncpe, soft, cut;
    uint8_t pass, why;
    const char *probe;
    size_t banner_len;
    double rtt_ms, elapsed_ms;
};

#define FIELD(f) {offsetof(ps_svc_result, f), sizeof(((ps_svc_result *)0)->f)}
static const struct {
    size_t off, size;
} fields[] = {
    FIELD(info.service), FIELD(info.product), FIELD(info.version), FIELD(info.info),
    FIELD(info.hostname), FIELD(info.ostype), FIELD(info.devicetype), FIELD(info.cpe[0]),
    FIELD(info.cpe[1]), FIELD(info.cpe[2]), FIELD(info.cpe[3]), FIELD(cert.version),
    FIELD(cert.cipher), FIELD(cert.subject), FIELD(cert.issuer), FIELD(cert.sans),
    FIELD(cert.not_before), FIELD(cert.not_after), FIELD(cert.sha256),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

uint8_t *ps_svc_pack(const ps_svc_result *r)
{
    size_t blen = r->banner_len < sizeof r->banner ? r->banner_len : sizeof r->banner;
    size_t len[NFIELDS], total = sizeof(struct head) + blen;
    for (size_t i = 0; i < NFIELDS; i++) {
        len[i] = strnlen((const char *)r + fields[i].off, fields[i].size - 1);
        total += len[i] + 1;
    }
    uint8_t *out = malloc(total), *p = out;
    if (!out) return NULL;
    struct head h = {r->addr, r->port, r->proto, r->status, r->tls, r->has_cert, r->info.ncpe,
                     r->info.soft, r->cut, r->pass, r->why, r->probe, blen, r->rtt_ms, r->elapsed_ms};
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    for (size_t i = 0; i < NFIELDS; i++) {
        memcpy(p, (const char *)r + fields[i].off, len[i]);
        p += len[i];
        *p++ = 0;
    }
    memcpy(p, r->banner, blen);
    return out;
}

void ps_svc_unpack(const uint8_t *in, ps_svc_result *r)
{
    struct head h;
    memcpy(&h, in, sizeof h);
    in += sizeof h;
    memset(r, 0, sizeof *r);
    r->addr = h.addr;
    r->port = h.port;
    r->proto = h.proto;
    r->status = h.status;
    r->tls = h.tls;
    r->has_cert = h.has_cert;
    r->info.ncpe = h.ncpe;
    r->info.soft = h.soft;
    r->cut = h.cut;
    r->pass = h.pass;
    r->why = h.why;
    r->probe = h.probe;
    r->banner_len = h.banner_len;
    r->rtt_ms = h.rtt_ms;
    r->elapsed_ms = h.elapsed_ms;
    for (size_t i = 0; i < NFIELDS; i++) {
        size_t n = strlen((const char *)in);
        memcpy((char *)r + fields[i].off, in, n); /* n < size: packed so */
        in += n + 1;
    }
    memcpy(r->banner, in, h.banner_len);
}
