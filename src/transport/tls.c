/* tls.c: TLS over the TCP transport (OpenSSL), and what a handshake tells.
 *
 * The client is built to identify servers, not to trust them: no
 * certificate verification, every protocol version and cipher OpenSSL will
 * still negotiate (security level 0, TLS 1.0 up), no session cache, SNI
 * only when the caller knows a host name.  The TCP part is delegated to
 * ps_transport_tcp; OpenSSL runs on the connected, non-blocking socket and
 * its WANT_READ / WANT_WRITE become c->want.
 *
 * Certificate fields are copied out as text with hostile bytes escaped:
 * names in RFC 2253 form, subjectAltNames as "DNS:x, IP:y", validity as
 * ISO 8601 UTC, and the SHA-256 of the DER encoding in the colon-separated
 * upper-case form `openssl x509 -fingerprint -sha256` prints.  The same
 * summary is offered over DER bytes (ps_tls_cert_summary_der), which is
 * how the fuzz harness (tests/fuzz/fuzz_cert.c) and the unit tests reach
 * it without a handshake. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pscan/transport.h"

struct ps_tls_ctx {
    SSL_CTX *ssl;
};

ps_tls_ctx *ps_tls_ctx_new(ps_err *e)
{
    ps_tls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        ps_fail(e, PS_ERUNTIME, "out of memory for the TLS context");
        return NULL;
    }
    ctx->ssl = SSL_CTX_new(TLS_client_method());
    if (!ctx->ssl) {
        free(ctx);
        ps_fail(e, PS_ERUNTIME, "cannot create a TLS context: %s",
                ERR_reason_error_string(ERR_get_error()));
        return NULL;
    }
    SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_min_proto_version(ctx->ssl, TLS1_VERSION);
    /* Old servers still answer; failure here only narrows what we can talk to. */
    if (SSL_CTX_set_cipher_list(ctx->ssl, "ALL:@SECLEVEL=0") != 1)
        ERR_clear_error();
    SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                   SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* A server that just closes ends the stream; it is not an error to us. */
    SSL_CTX_set_options(ctx->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    return ctx;
}

void ps_tls_ctx_free(ps_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

static int tls_open(ps_conn *c, const struct sockaddr *sa, socklen_t salen)
{
    if (!c->tls_ctx) {
        c->err = EINVAL;
        return PS_IO_ERR;
    }
    int rc = ps_transport_tcp.open(c, sa, salen);
    if (rc == PS_IO_ERR)
        return rc;
    SSL *s = SSL_new(c->tls_ctx->ssl);
    if (!s || SSL_set_fd(s, c->fd) != 1) {
        SSL_free(s);
        ERR_clear_error();
        c->err = ENOMEM;
        return PS_IO_ERR;
    }
    SSL_set_connect_state(s);
    if (c->sni && *c->sni)
        SSL_set_tlsext_host_name(s, c->sni);
    c->tls = s;
    return rc;
}

/* Map an OpenSSL result to ours; ret is the return of the failed call. */
static int tls_status(ps_conn *c, int ret)
{
    SSL *s = c->tls;
    int serr = SSL_get_error(s, ret);
    int sys = errno;
    ERR_clear_error();
    switch (serr) {
    case SSL_ERROR_WANT_READ:
        c->want = PS_WANT_READ;
        return PS_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        c->want = PS_WANT_WRITE;
        return PS_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        c->err = ECONNRESET;
        return 0; /* orderly close_notify */
    case SSL_ERROR_SYSCALL:
        c->err = sys ? sys : ECONNRESET;
        return sys ? PS_IO_ERR : 0;
    default:
        c->err = EPROTO;
        return PS_IO_ERR;
    }
}

static int tls_handshake(ps_conn *c)
{
    if (!c->connected) {
        int rc = ps_transport_tcp.handshake(c);
        if (rc != PS_IO_OK)
            return rc;
    }
    int ret = SSL_do_handshake(c->tls);
    if (ret == 1)
        return PS_IO_OK;
    int rc = tls_status(c, ret);
    if (rc == 0) { /* peer closed in the middle of the handshake */
        c->err = ECONNRESET;
        return PS_IO_ERR;
    }
    return rc;
}

static ssize_t tls_read(ps_conn *c, void *buf, size_t n)
{
    size_t got = 0;
    int ret = SSL_read_ex(c->tls, buf, n, &got);
    if (ret == 1)
        return (ssize_t)got;
    return tls_status(c, ret);
}

static ssize_t tls_write(ps_conn *c, const void *buf, size_t n)
{
    size_t put = 0;
    int ret = SSL_write_ex(c->tls, buf, n, &put);
    if (ret == 1)
        return (ssize_t)put;
    int rc = tls_status(c, ret);
    return rc == 0 ? PS_IO_ERR : rc;
}

static void tls_close(ps_conn *c)
{
    if (c->tls) {
        SSL_free(c->tls); /* no close_notify: we are not waiting for one */
        c->tls = NULL;
    }
    ERR_clear_error();
    ps_transport_tcp.close(c);
}

const ps_transport ps_transport_tls = {
    .name = "tls",
    .open = tls_open,
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .close = tls_close,
};

/* ---- what the handshake tells ---------------------------------------- */

/* Copy src (n bytes) into dst (size dsz) writing non-printable bytes, the
 * backslash and any byte of `also` as \xHH.  An escape is written whole
 * or not at all; the copy stops at the first byte that does not fit.
 * Returns 1 when all of src was copied, 0 when it was cut. */
static int copy_escaped(char *dst, size_t dsz, const char *src, size_t n, const char *also)
{
    size_t o = 0, i = 0;
    if (!dsz)
        return n == 0;
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\' && !(also && strchr(also, ch))) {
            if (o + 1 >= dsz)
                break;
            dst[o++] = (char)ch;
        } else {
            if (o + 4 >= dsz)
                break;
            o += (size_t)snprintf(dst + o, dsz - o, "\\x%02x", ch);
        }
    }
    dst[o] = '\0';
    return i == n;
}

static void name_text(X509_NAME *name, char *dst, size_t dsz)
{
    dst[0] = '\0';
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        if (n > 0 && p)
            copy_escaped(dst, dsz, p, (size_t)n, NULL);
    }
    BIO_free(b);
}

/* "YYYY-MM-DDTHH:MM:SSZ", always 20 characters (years 0000-9999 are all
 * an ASN.1 time can hold); empty when OpenSSL cannot read the time. */
static void time_text(const ASN1_TIME *t, char *dst, size_t dsz)
{
    struct tm tm;
    dst[0] = '\0';
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        return;
    snprintf(dst, dsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The SAN list is "PREFIX:value" items joined by ", ".  A comma inside a
 * value is escaped too, so that one name can never read as two
 * ("DNS:a.test, IP:198.18.0.1" from a single dNSName).  When an item does
 * not fit, the list ends there with ", ..." (room for it is kept), so what
 * is shown is always a prefix of the certificate's names. */
#define SANS_MORE ", ..."

/* Append "PREFIX:text" (text already escaped, whole when the value was
 * not cut); 0 when it did not fit, and dst then ends with SANS_MORE. */
static int sans_put(char *dst, size_t dsz, const char *prefix, const char *text, int whole)
{
    size_t o = strlen(dst);
    size_t room = dsz - o; /* o < dsz: dst is a string of dsz bytes */
    int w = snprintf(dst + o, room, "%s%s:%s", o ? ", " : "", prefix, text);
    if (whole && w >= 0 && (size_t)w + sizeof SANS_MORE <= room)
        return 1;
    /* It does not fit (with room for the mark after it): end the list. */
    const char *mark = o ? SANS_MORE : "...";
    size_t mlen = strlen(mark);
    dst[o] = '\0';
    if (o + mlen < dsz)
        memcpy(dst + o, mark, mlen + 1);
    return 0;
}

static int sans_add(char *dst, size_t dsz, const char *prefix, const char *val, size_t n)
{
    char esc[sizeof ((ps_tls_info *)0)->sans];
    int whole = copy_escaped(esc, sizeof esc, val, n, ",");
    return sans_put(dst, dsz, prefix, esc, whole);
}

static void sans_text(X509 *cert, char *dst, size_t dsz)
{
    dst[0] = '\0';
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return;
    int more = 1;
    for (int i = 0; more && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
            const ASN1_IA5STRING *s = g->d.ia5;
            const char *pre = g->type == GEN_DNS ? "DNS" : g->type == GEN_EMAIL ? "email" : "URI";
            more = sans_add(dst, dsz, pre, (const char *)ASN1_STRING_get0_data(s),
                            (size_t)ASN1_STRING_length(s));
        } else if (g->type == GEN_IPADD) {
            const unsigned char *ip = ASN1_STRING_get0_data(g->d.ip);
            int len = ASN1_STRING_length(g->d.ip);
            char buf[64] = "";
            if (len == 4) {
                snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
            } else if (len == 16) {
                for (int k = 0; k < 16; k += 2)
                    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%X",
                             k ? ":" : "", (unsigned)(ip[k] << 8 | ip[k + 1]));
            } else {
                /* Not an address (a name-constraint net/mask, garbage):
                 * every byte as \xHH, so that none can pass for an
                 * address written out ("1.2.3.4" in 7 bytes). */
                char raw[sizeof ((ps_tls_info *)0)->sans];
                size_t o = 0;
                int k = 0;
                for (; k < len && o + 4 < sizeof raw; k++)
                    o += (size_t)snprintf(raw + o, sizeof raw - o, "\\x%02x", ip[k]);
                raw[o] = '\0';
                more = sans_put(dst, dsz, "IP", raw, k >= len);
                continue;
            }
            more = sans_add(dst, dsz, "IP", buf, strlen(buf));
        }
    }
    GENERAL_NAMES_free(gens);
}

/* The SHA-256 of cert's DER encoding, "AB:CD:..." (95 characters). */
static void fingerprint_text(X509 *cert, char *dst, size_t dsz)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    dst[0] = '\0';
    if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32 || dsz < 3 * 32)
        return;
    char *o = dst;
    for (unsigned i = 0; i < mdlen; i++) {
        if (i)
            *o++ = ':';
        *o++ = hex[md[i] >> 4];
        *o++ = hex[md[i] & 15];
    }
    *o = '\0';
}

/* The certificate part of ps_tls_info: subject .. sha256.  version and
 * cipher are left as they are. */
static void cert_fields(X509 *cert, ps_tls_info *out)
{
    name_text(X509_get_subject_name(cert), out->subject, sizeof out->subject);
    name_text(X509_get_issuer_name(cert), out->issuer, sizeof out->issuer);
    sans_text(cert, out->sans, sizeof out->sans);
    time_text(X509_get0_notBefore(cert), out->not_before, sizeof out->not_before);
    time_text(X509_get0_notAfter(cert), out->not_after, sizeof out->not_after);
    fingerprint_text(cert, out->sha256, sizeof out->sha256);
    ERR_clear_error();
}

int ps_tls_cert_summary_der(const uint8_t *der, size_t len, ps_tls_info *out, ps_err *e)
{
    memset(out, 0, sizeof *out);
    if (!der || len == 0)
        return ps_fail(e, PS_EINPUT, "empty certificate");
    if (len > PS_TLS_CERT_MAX)
        return ps_fail(e, PS_EINPUT, "certificate of %zu bytes (at most %d)", len,
                       PS_TLS_CERT_MAX);
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    if (!cert) {
        ERR_clear_error();
        return ps_fail(e, PS_EINPUT, "not a DER X.509 certificate (%zu bytes)", len);
    }
    size_t used = (size_t)(p - der);
    if (used != len) {
        X509_free(cert);
        return ps_fail(e, PS_EINPUT, "%zu trailing byte(s) after the DER certificate", len - used);
    }
    cert_fields(cert, out);
    X509_free(cert);
    return PS_OK;
}

int ps_tls_info_get(const ps_conn *c, ps_tls_info *out)
{
    memset(out, 0, sizeof *out);
    if (c->t != &ps_transport_tls || !c->tls || !SSL_is_init_finished(c->tls))
        return -1;
    SSL *s = c->tls;
    snprintf(out->version, sizeof out->version, "%s", SSL_get_version(s));
    const char *cipher = SSL_get_cipher_name(s);
    snprintf(out->cipher, sizeof out->cipher, "%s", cipher ? cipher : "");
    X509 *cert = SSL_get1_peer_certificate(s);
    if (!cert)
        return 0;
    cert_fields(cert, out);
    X509_free(cert);
    return 1;
}

int ps_tls_looks_like(const uint8_t *buf, size_t len)
{
    /* content type 21 (alert) or 22 (handshake), version 3.0 .. 3.4 */
    return len >= 3 && (buf[0] == 0x15 || buf[0] == 0x16) && buf[1] == 0x03 &&
           buf[2] <= 0x04;
}
