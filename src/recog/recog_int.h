/* recog_int.h: what the recognisers of recog/ share: how a reply is read
 * (lines, headers, tokens, big-endian integers, all bounded by the reply),
 * how a field is filled, and the product tables.  Private to src/recog/. */
#ifndef PSCAN_RECOG_INT_H
#define PSCAN_RECOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/recog.h"

/* A reply as the recognisers read it. */
typedef struct rg_in {
    const uint8_t *p;
    size_t n;
    enum ps_proto proto;
} rg_in;

/* A recogniser: fills out and returns its level (ps_info_level), or 0. */
typedef struct rg_recog {
    const char *name;
    int (*fn)(const rg_in *in, ps_service_info *out);
} rg_recog;

/* A product as software names itself in a protocol's text ("Apache" in a
 * Server header, "OpenSSH" in an SSH identification), and how pscan names
 * it (nmap's conventions, so results compare).  service, when set,
 * overrides the protocol family's ("http-proxy" for Squid). */
typedef struct rg_product {
    const char *token;   /* compared without case, whole token */
    const char *product;
    const char *service; /* or NULL */
} rg_product;

/* ---- helpers (recog_util.c) ---------------------------------------------- */

/* Copy n bytes of s into dst (size cap): stops at a control byte, trims
 * blanks at both ends, never cuts a field in the middle of nothing but
 * always terminates.  Returns the length written. */
size_t rg_copy(char *dst, size_t cap, const char *s, size_t n);
/* The line starting at in->p[off] (without its CR LF): *len bytes at
 * *line; returns the offset of the next line, or in->n at the end. */
size_t rg_line(const rg_in *in, size_t off, const char **line, size_t *len);
/* Does in start with the n bytes of s? */
int rg_prefix(const rg_in *in, const char *s);
/* Case-insensitive search for needle in s[0, n): its offset or -1. */
long rg_find(const char *s, size_t n, const char *needle);
/* The value of header name (case-insensitive) in the header block of an
 * HTTP-like reply (lines after the first up to the empty one): 1 and
 * val and vlen, else 0. */
int rg_header(const rg_in *in, const char *name, const char **val, size_t *vlen);
/* The entry of table (NULL-terminated) whose token equals tok[0, n)
 * without case, or NULL. */
const rg_product *rg_product_find(const rg_product *table, const char *tok, size_t n);
/* A "Name/1.2.3", "Name 1.2.3", "Name(1.2.3)" or "Name_1.2" product token
 * at s[0, n): the name's length, and the version (may be empty) at
 * ver and vlen.  Returns 0 when s starts with no name. */
size_t rg_token(const char *s, size_t n, const char **ver, size_t *vlen);
/* Fill out's service, product and version; returns the level. */
int rg_fill(ps_service_info *out, const char *service, const char *product, size_t plen, const char *version,
            size_t vlen);

static inline uint32_t rg_be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t rg_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The recognisers, by file. */
int rg_http(const rg_in *in, ps_service_info *out);   /* recog_http.c: HTTP, RTSP, SIP */
int rg_ssh(const rg_in *in, ps_service_info *out);    /* recog_text.c */
int rg_banner(const rg_in *in, ps_service_info *out); /* FTP, SMTP, POP3, IMAP, NNTP, IRC, XMPP */
int rg_redis(const rg_in *in, ps_service_info *out);
int rg_memcached(const rg_in *in, ps_service_info *out);
int rg_mysql(const rg_in *in, ps_service_info *out);  /* recog_bin.c */
int rg_postgresql(const rg_in *in, ps_service_info *out);
int rg_mqtt(const rg_in *in, ps_service_info *out);
int rg_amqp(const rg_in *in, ps_service_info *out);
int rg_rfb(const rg_in *in, ps_service_info *out);
int rg_smb(const rg_in *in, ps_service_info *out);
int rg_dns(const rg_in *in, ps_service_info *out);    /* recog_dir.c: DNS, LDAP */
int rg_ldap(const rg_in *in, ps_service_info *out);

#endif
