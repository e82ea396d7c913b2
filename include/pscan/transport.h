/* transport.h: byte streams the service engine talks through.
 *
 * A transport is a const struct of function pointers over one connection
 * (ps_conn): plain TCP, TLS over TCP, and UDP to one host.  Every operation is
 * non-blocking: when it cannot progress it returns PS_IO_AGAIN and sets
 * c->want to the readiness (PS_WANT_READ / PS_WANT_WRITE) the caller must
 * wait for in its event loop before calling again.  TLS may want to write
 * while the caller reads (and the reverse), which is why `want` is reported
 * per call rather than implied by the operation.
 *
 * Writes on a connection the peer has reset can raise SIGPIPE (OpenSSL
 * writes through write(2)); a thread using these transports must block or
 * ignore SIGPIPE (the service engine blocks it on its own thread). */
#ifndef PSCAN_TRANSPORT_H
#define PSCAN_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "pscan/err.h"

/* Results of open / handshake, and negative results of read / write. */
enum {
    PS_IO_OK = 0,
    PS_IO_AGAIN = -1, /* would block: wait for c->want, call again */
    PS_IO_ERR = -2,   /* failed: c->err holds an errno value */
};

enum { PS_WANT_READ = 1, PS_WANT_WRITE = 2 };

typedef struct ps_tls_ctx ps_tls_ctx; /* shared client context (tls.c) */

typedef struct ps_conn {
    const struct ps_transport *t;
    int fd;         /* -1 when closed */
    int want;       /* after PS_IO_AGAIN: PS_WANT_READ and/or PS_WANT_WRITE */
    int err;        /* errno of the last failure; EPROTO for a TLS failure */
    int connected;  /* the TCP (or UDP) socket is connected */
    void *tls;      /* SSL *, TLS back-end only */
    ps_tls_ctx *tls_ctx; /* set before open for the TLS back-end */
    const char *sni;     /* host name to send as SNI, or NULL for none */
    struct sockaddr_storage peer; /* UDP: where datagrams go, and come from */
    socklen_t peerlen;
} ps_conn;

typedef struct ps_transport {
    const char *name;
    /* Create a non-blocking socket and start connecting: PS_IO_OK when
     * already connected, PS_IO_AGAIN (want write) while in progress,
     * PS_IO_ERR on failure. */
    int (*open)(ps_conn *c, const struct sockaddr *sa, socklen_t salen);
    /* Drive the connection until usable (TCP connect result, then the TLS
     * handshake): PS_IO_OK, PS_IO_AGAIN or PS_IO_ERR (ECONNREFUSED when
     * refused, EPROTO for a failed handshake, ECONNRESET when the peer
     * closed during it). */
    int (*handshake)(ps_conn *c);
    /* > 0 bytes read, 0 at end of stream, or PS_IO_AGAIN / PS_IO_ERR. */
    ssize_t (*read)(ps_conn *c, void *buf, size_t n);
    /* > 0 bytes written, or PS_IO_AGAIN / PS_IO_ERR. */
    ssize_t (*write)(ps_conn *c, const void *buf, size_t n);
    /* Release everything; safe on a never-opened or closed connection. */
    void (*close)(ps_conn *c);
} ps_transport;

extern const ps_transport ps_transport_tcp;
extern const ps_transport ps_transport_udp;
extern const ps_transport ps_transport_tls;

/* A closed connection using transport t. */
void ps_conn_init(ps_conn *c, const ps_transport *t);

/* What a TLS handshake revealed.  Strings are NUL-terminated, empty when
 * unknown; bytes outside printable ASCII are written as \xHH. */
typedef struct ps_tls_info {
    char version[16];    /* "TLSv1.3" */
    char cipher[64];     /* OpenSSL name, "TLS_AES_256_GCM_SHA384" */
    char subject[256];   /* RFC 2253, "CN=localhost,O=pscan" */
    char issuer[256];
    char sans[512];      /* "DNS:localhost, IP:127.0.0.1" */
    char not_before[32]; /* ISO 8601 UTC, "2025-01-31T12:00:00Z" */
    char not_after[32];
    char sha256[97];     /* of the DER certificate, "AB:CD:..." (95 chars) */
} ps_tls_info;

/* Client context: any protocol version OpenSSL still speaks, no
 * certificate verification (we identify, we do not trust), no session
 * cache.  One per engine; used by one thread at a time. */
ps_tls_ctx *ps_tls_ctx_new(ps_err *e);
void ps_tls_ctx_free(ps_tls_ctx *ctx);

/* Fill out from a connection whose handshake completed.  Returns 1 when a
 * peer certificate was present, 0 when not (version and cipher are still
 * filled), -1 when c is not a finished TLS connection. */
int ps_tls_info_get(const ps_conn *c, ps_tls_info *out);

/* Largest certificate ps_tls_cert_summary_der takes (TLS 1.2 caps the
 * whole chain at 16 MiB; no real leaf certificate is near 1 MiB). */
#define PS_TLS_CERT_MAX (1 << 20)

/* Fill the certificate fields of out (subject, issuer, sans, not_before,
 * not_after, sha256; version and cipher are left empty) from one DER
 * X.509 certificate of len bytes, exactly what ps_tls_info_get reports for
 * a peer sending it.  No verification of any kind.  PS_OK, or PS_EINPUT
 * (out all empty, e says why) for bytes that are not exactly one
 * certificate: empty, over PS_TLS_CERT_MAX, unparsable, or followed by
 * more bytes. */
int ps_tls_cert_summary_der(const uint8_t *der, size_t len, ps_tls_info *out, ps_err *e);

/* Do these bytes start like a TLS record a server sends (handshake or
 * alert, version 3.x)?  Used to spot a TLS service behind a plain probe. */
int ps_tls_looks_like(const uint8_t *buf, size_t len);

#endif
