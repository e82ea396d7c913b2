/* recog_dir.c: directory-like protocols whose answers name the server:
 * DNS (a CHAOS TXT "version.bind" / "version.server" answer is the
 * server's own description of itself) and LDAP (the root DSE read by an
 * anonymous base-object search: vendorName, vendorVersion, and OpenLDAP's
 * objectClass OpenLDAProotDSE).  Both are parsed field by field with every
 * length checked; a valid answer that names nothing still names the
 * protocol. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "recog_int.h"

/* ---- DNS ----------------------------------------------------------------- */

/* What DNS servers say their version is, as pscan names them. */
static const struct {
    const char *prefix; /* start of the TXT text */
    const char *product;
} dns_products[] = {
    {"dnsmasq-", "dnsmasq"},
    {"Knot DNS ", "Knot DNS"},
    {"NSD ", "NSD"},
    {"unbound ", "Unbound"},
    {"PowerDNS Authoritative Server ", "PowerDNS Authoritative Server"},
    {"PowerDNS Recursor ", "PowerDNS Recursor"},
    {"dnsdist ", "dnsdist"},
    {"Microsoft DNS ", "Microsoft DNS"},
};

/* Skip a (possibly compressed) name at p[*i]; -1 on a malformed one. */
static int dns_skip_name(const uint8_t *p, size_t n, size_t *i)
{
    for (int labels = 0; *i < n && labels < 128; labels++) {
        uint8_t l = p[*i];
        if (l == 0) {
            (*i)++;
            return 0;
        }
        if ((l & 0xc0) == 0xc0) {
            *i += 2;
            return *i <= n ? 0 : -1;
        }
        if (l & 0xc0) return -1;
        *i += 1u + l;
    }
    return -1;
}

/* The first TXT string of the first answer, into text. */
static int dns_first_txt(const uint8_t *p, size_t n, char *text, size_t cap)
{
    size_t i = 12;
    if (dns_skip_name(p, n, &i) || i + 4 > n) return 0; /* the question */
    i += 4;
    if (dns_skip_name(p, n, &i) || i + 10 > n) return 0; /* the answer's owner */
    uint32_t type = rg_be16(p + i), rdlen = rg_be16(p + i + 8);
    i += 10;
    if (type != 16 || rdlen == 0 || i + rdlen > n || p[i] + 1u > rdlen) return 0;
    return rg_copy(text, cap, (const char *)p + i + 1, p[i]) > 0;
}

int rg_dns(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    size_t n = in->n;
    if (in->proto == PS_TCP) { /* a 2-byte length first */
        if (n < 14 || rg_be16(p) + 2u > n || rg_be16(p) < 12) return 0;
        n = rg_be16(p);
        p += 2;
    }
    if (n < 12 || !(p[2] & 0x80) || (p[2] & 0x78) || rg_be16(p + 4) != 1) return 0; /* a response, QUERY, one question */
    unsigned rcode = p[3] & 0x0f;
    if (rcode > 5) return 0;
    int lv = rg_fill(out, "domain", NULL, 0, NULL, 0);
    char text[96];
    if (rcode != 0 || rg_be16(p + 6) == 0 || !dns_first_txt(p, n, text, sizeof text)) return lv;
    for (size_t k = 0; k < sizeof dns_products / sizeof dns_products[0]; k++) {
        size_t pl = strlen(dns_products[k].prefix);
        if (strncasecmp(text, dns_products[k].prefix, pl) == 0) {
            const char *v = text + pl;
            size_t vl = strcspn(v, " (");
            return rg_fill(out, "domain", dns_products[k].product, strlen(dns_products[k].product), v, vl);
        }
    }
    /* BIND answers with its bare version: "9.18.49-1~deb12u3-Debian". */
    if (text[0] == '9' && text[1] == '.') {
        size_t vl = strcspn(text, "-");
        lv = rg_fill(out, "domain", "ISC BIND", 8, text, vl);
        if (text[vl]) rg_copy(out->info, sizeof out->info, text + vl + 1, strlen(text + vl + 1));
        return lv;
    }
    rg_copy(out->info, sizeof out->info, text, strlen(text));
    return lv;
}

/* ---- LDAP ---------------------------------------------------------------- */

/* A BER element at p[*i]: its tag, and its content at [*start, *end). */
static int ber(const uint8_t *p, size_t n, size_t *i, uint8_t *tag, size_t *start, size_t *end)
{
    if (*i + 2 > n) return -1;
    *tag = p[(*i)++];
    size_t len = p[(*i)++];
    if (len & 0x80) {
        int k = (int)(len & 0x7f);
        if (k == 0 || k > 4 || *i + (size_t)k > n) return -1;
        for (len = 0; k--;) len = len << 8 | p[(*i)++];
    }
    if (len > n - *i) return -1;
    *start = *i;
    *end = *i + len;
    *i = *end;
    return 0;
}

/* One attribute of a SearchResultEntry: what it says of the server. */
static void ldap_attr(const uint8_t *p, size_t s, size_t e, ps_service_info *out)
{
    uint8_t tag;
    size_t i = s, ts, te, vs, ve;
    if (ber(p, e, &i, &tag, &ts, &te) || tag != 0x04 || ber(p, e, &i, &tag, &vs, &ve) || tag != 0x31) return;
    const char *type = (const char *)p + ts;
    size_t tl = te - ts;
    for (size_t j = vs; j < ve;) {
        size_t a, b;
        if (ber(p, ve, &j, &tag, &a, &b) || tag != 0x04) return;
        const char *v = (const char *)p + a;
        size_t vl = b - a;
        if (tl == 10 && strncasecmp(type, "vendorName", 10) == 0) rg_copy(out->product, sizeof out->product, v, vl);
        else if (tl == 13 && strncasecmp(type, "vendorVersion", 13) == 0)
            rg_copy(out->version, sizeof out->version, v, vl);
        else if (tl == 11 && strncasecmp(type, "objectClass", 11) == 0 && vl == 15 &&
                 strncasecmp(v, "OpenLDAProotDSE", 15) == 0 && !out->product[0])
            rg_copy(out->product, sizeof out->product, "OpenLDAP", 8);
    }
}

int rg_ldap(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    size_t i = 0, s, e, ms, me, os, oe;
    uint8_t tag;
    if (in->n < 7 || p[0] != 0x30 || ber(p, in->n, &i, &tag, &s, &e)) return 0;
    size_t j = s;
    if (ber(p, e, &j, &tag, &ms, &me) || tag != 0x02 || me - ms > 4) return 0; /* messageID */
    if (ber(p, e, &j, &tag, &os, &oe) || (tag & 0xe0) != 0x60) return 0;       /* [APPLICATION n] */
    unsigned op = tag & 0x1f;
    if (op != 1 && op != 4 && op != 5 && op != 24 && op != 7 && op != 9 && op != 11 && op != 13 && op != 15)
        return 0; /* not a response */
    rg_fill(out, "ldap", NULL, 0, NULL, 0);
    if (op != 4) return 1;
    size_t k = os, as, ae, ns, ne;
    if (ber(p, oe, &k, &tag, &ns, &ne) || tag != 0x04 || ber(p, oe, &k, &tag, &as, &ae) || tag != 0x30) return 1;
    for (size_t a = as; a < ae;) {
        size_t x, y;
        if (ber(p, ae, &a, &tag, &x, &y) || tag != 0x30) break;
        ldap_attr(p, x, y, out);
    }
    if (!out->product[0]) out->version[0] = 0;
    return ps_info_level(out);
}
