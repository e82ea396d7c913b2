/* policy.c: --expect FILE, the CI policy of allowed open ports (format in
 * policy.h and docs/ci.md), and the writer that checks every host against it.
 *
 * Parsing reuses pscan's own grammars: port items go to ps_ports_parse_ex
 * (so "22-25", "ssh", "T:80,U:53" mean what they mean after -p), and host
 * parts other than CIDR networks go to the target parser (single
 * addresses and nmap octet ranges), with a resolver that refuses names: a
 * policy must not change with DNS.  CIDR networks are kept as address and
 * prefix, because an IPv6 network larger than 2^64 addresses cannot be
 * counted by ps_targets and a policy may well say "2001:db8::/32".
 *
 * "Most specific" is measured as the number of addresses a rule covers
 * (a /24 is 256, "10.0.0.1-5" is 5, an address is 1, '*' is more than
 * anything), which orders CIDR prefixes and octet ranges alike.
 *
 * Lines that start with "tls" (policy_tls.c) state what the TLS service
 * on some ports must offer; they allow nothing.
 *
 * The checks made of a host's results, and the --expect writer that
 * prints the failed ones, are policy_check.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/output.h"
#include "pscan/policy.h"
#include "pscan/targets.h"

enum { MAX_LINE = 4096, MAX_RULES = 65536 };

struct rule {
    int line;
    int any;             /* '*' */
    int cidr;            /* net/prefix below, else targets */
    ps_addr net;
    unsigned prefix;
    ps_targets *targets;
    ps_u128 size;        /* addresses covered; any: all ones */
    ps_ports ports;
    char *text;          /* the host part, for duplicate detection */
    int tls;             /* a "tls HOST PORTS OPTIONS" line (policy_tls.c) */
    ps_tls_rule req;     /* its requirements */
};

struct ps_policy {
    struct rule *r;
    size_t n, cap;
};

void ps_policy_free(ps_policy *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        ps_targets_free(p->r[i].targets);
        ps_ports_free(&p->r[i].ports);
        free(p->r[i].text);
    }
    free(p->r);
    free(p);
}

size_t ps_policy_nrules(const ps_policy *p)
{
    return p ? p->n : 0;
}

static int refuse_names(void *ctx, const char *name, int family, ps_addr *out, ps_err *e)
{
    (void)ctx, (void)family, (void)out;
    return ps_fail(e, PS_EINPUT, "'%s' is a name; a policy takes addresses and networks only", name);
}

/* "ADDR/PREFIX" into r; 1 if tok is a CIDR (r filled or *rc set), 0 if not. */
static int parse_cidr(const char *tok, struct rule *r, int *rc, ps_err *e)
{
    const char *slash = strchr(tok, '/');
    char addr[64];
    *rc = PS_OK;
    if (!slash || strpbrk(tok, "-*,")) return 0; /* octet ranges: the target parser */
    size_t alen = (size_t)(slash - tok);
    const char *pfx = slash + 1;
    unsigned v = 0;
    size_t nd = strlen(pfx);
    if (alen == 0 || alen >= sizeof addr || nd == 0 || nd > 3 || strspn(pfx, "0123456789") != nd) {
        *rc = ps_fail(e, PS_EINPUT, "bad network '%s'", tok);
        return 1;
    }
    for (size_t i = 0; i < nd; i++) v = v * 10 + (unsigned)(pfx[i] - '0');
    memcpy(addr, tok, alen);
    addr[alen] = '\0';
    if (ps_addr_parse(addr, &r->net)) {
        *rc = ps_fail(e, PS_EINPUT, "bad network '%s': '%s' is not an address", tok, addr);
        return 1;
    }
    unsigned bits = r->net.family == AF_INET ? 32 : 128;
    if (v > bits) {
        *rc = ps_fail(e, PS_EINPUT, "bad network '%s': prefix /%u is longer than %u bits", tok, v, bits);
        return 1;
    }
    r->cidr = 1;
    r->prefix = v;
    r->size = bits - v >= 128 ? ~(ps_u128)0 : (ps_u128)1 << (bits - v);
    return 1;
}

static int in_cidr(const struct rule *r, const ps_addr *a)
{
    if (a->family != r->net.family) return 0;
    if (r->prefix == 0) return 1;
    if (a->family == AF_INET) {
        uint32_t mask = r->prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> r->prefix);
        return ((a->u.v4 ^ r->net.u.v4) & mask) == 0;
    }
    ps_u128 x = ps_addr6_to_u128(a->u.v6) ^ ps_addr6_to_u128(r->net.u.v6);
    return r->prefix >= 128 ? x == 0 : (x >> (128 - r->prefix)) == 0;
}

static int parse_host(const char *tok, struct rule *r, ps_err *e)
{
    int rc;
    if (strcmp(tok, "*") == 0) {
        r->any = 1;
        r->size = ~(ps_u128)0;
        return PS_OK;
    }
    if (parse_cidr(tok, r, &rc, e)) return rc;
    r->targets = ps_targets_new(AF_UNSPEC);
    if (!r->targets) return ps_fail(e, PS_ERUNTIME, "out of memory");
    ps_targets_set_resolver(r->targets, refuse_names, NULL);
    if ((rc = ps_targets_add(r->targets, tok, e)) || (rc = ps_targets_finalize(r->targets, e))) return rc;
    r->size = ps_targets_count(r->targets);
    return PS_OK;
}

/* The allowed ports: items separated by commas or blanks. */
static int parse_ports(char *s, struct rule *r, ps_err *e)
{
    int udp = 0, n = 0, none = 0;
    for (char *save = NULL, *it = strtok_r(s, ", \t", &save); it; it = strtok_r(NULL, ", \t", &save)) {
        int rc;
        n++;
        if (strcmp(it, "none") == 0) {
            none = 1;
            continue;
        }
        if ((rc = ps_policy_port_item(&r->ports, it, &udp, e))) return rc;
    }
    if (n == 0) return ps_fail(e, PS_EINPUT, "no ports after the host (write 'none' to allow none)");
    if (none && n > 1) return ps_fail(e, PS_EINPUT, "'none' cannot be combined with ports");
    return PS_OK;
}

static int parse_line(ps_policy *p, char *line, ps_err *e)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *s = line + strspn(line, " \t\r\n");
    s[strcspn(s, "\r\n")] = '\0';
    if (!*s) return PS_OK;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t') return ps_fail(e, PS_EINPUT, "control character in line");
    int tls = strncmp(s, "tls", 3) == 0 && (s[3] == ' ' || s[3] == '\t' || !s[3]);
    if (tls) s += 3 + strspn(s + 3, " \t");
    char *host = s, *rest = s + strcspn(s, " \t,");
    if (*rest == ',') return ps_fail(e, PS_EINPUT, "missing blank between the host and its ports");
    if (*rest) *rest++ = '\0';
    if (!*host) return ps_fail(e, PS_EINPUT, "'tls' needs a host, ports and requirements");
    if (p->n == MAX_RULES) return ps_fail(e, PS_EINPUT, "more than %d rules", MAX_RULES);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct rule *r = realloc(p->r, cap * sizeof *r);
        if (!r) return ps_fail(e, PS_ERUNTIME, "out of memory");
        p->r = r;
        p->cap = cap;
    }
    struct rule *r = &p->r[p->n++];
    memset(r, 0, sizeof *r);
    r->text = strdup(host);
    if (!r->text) return ps_fail(e, PS_ERUNTIME, "out of memory");
    r->tls = tls;
    int rc = parse_host(host, r, e);
    if (!rc && tls) rc = ps_policy_tls_parse(rest, &r->ports, &r->req, e);
    else if (!rc) rc = parse_ports(rest, r, e);
    return rc;
}

static int cmp_text(const void *a, const void *b)
{
    const struct rule *x = *(struct rule *const *)a, *y = *(struct rule *const *)b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* The same host part twice is almost surely a mistake: say where. */
static int check_duplicates(const ps_policy *p, const char *what, ps_err *e)
{
    if (p->n < 2) return PS_OK;
    struct rule **v = malloc(p->n * sizeof *v);
    if (!v) return ps_fail(e, PS_ERUNTIME, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (!p->r[i].tls) v[n++] = &p->r[i]; /* tls lines may share a host part */
    qsort(v, n, sizeof *v, cmp_text);
    int rc = PS_OK;
    for (size_t i = 1; i < n && !rc; i++)
        if (strcmp(v[i]->text, v[i - 1]->text) == 0) {
            char t[128];
            ps_esc_buf(t, sizeof t, v[i]->text, strlen(v[i]->text), PS_ESC_TEXT);
            rc = ps_fail(e, PS_EINPUT, "%s:%d: '%s' already has a rule on line %d", what, v[i]->line, t,
                         v[i - 1]->line);
        }
    free(v);
    return rc;
}

int ps_policy_load_stream(ps_policy **out, FILE *f, const char *what, ps_err *e)
{
    *out = NULL;
    ps_policy *p = calloc(1, sizeof *p);
    char *buf = malloc(MAX_LINE + 2);
    int rc = PS_OK, lineno = 0;
    if (!p || !buf) {
        rc = ps_fail(e, PS_ERUNTIME, "out of memory");
        goto out;
    }
    for (;;) {
        size_t n = 0;
        int c, nul = 0;
        /* Read one line by hand: fgets cannot tell a NUL byte from the end. */
        while ((c = getc(f)) != EOF && c != '\n') {
            if (c == 0) nul = 1;
            if (n <= MAX_LINE) buf[n++] = (char)c;
        }
        if (c == EOF && n == 0) break;
        lineno++;
        buf[n] = '\0';
        ps_err sub = {{0}};
        if (nul) rc = ps_fail(&sub, PS_EINPUT, "NUL byte in line");
        else if (n > MAX_LINE) rc = ps_fail(&sub, PS_EINPUT, "line longer than %d bytes", MAX_LINE);
        else {
            size_t before = p->n;
            rc = parse_line(p, buf, &sub);
            if (p->n > before) p->r[p->n - 1].line = lineno;
        }
        if (rc) {
            rc = ps_fail(e, rc, "%s:%d: %s", what, lineno, sub.msg);
            goto out;
        }
        if (c == EOF) break;
    }
    if (ferror(f)) {
        rc = ps_fail(e, PS_EINPUT, "error reading '%s': %s", what, strerror(errno));
        goto out;
    }
    if (p->n == 0) {
        rc = ps_fail(e, PS_EINPUT, "%s: no rules (an empty policy would forbid every open port; "
                     "write '* none' if that is meant)", what);
        goto out;
    }
    rc = check_duplicates(p, what, e);
out:
    free(buf);
    if (rc) ps_policy_free(p);
    else *out = p;
    return rc;
}

int ps_policy_load_file(ps_policy **out, const char *path, ps_err *e)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return ps_fail(e, PS_EINPUT, "cannot read policy '%s': %s", path, strerror(errno));
    int rc = ps_policy_load_stream(out, f, path, e);
    fclose(f);
    return rc;
}

static int covers(const struct rule *r, const ps_addr *a)
{
    if (r->any) return 1;
    if (r->cidr) return in_cidr(r, a);
    return ps_targets_contains(r->targets, a);
}

const ps_ports *ps_policy_rule_for(const ps_policy *p, const ps_addr *a, int *line)
{
    const struct rule *best = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const struct rule *r = &p->r[i];
        if (r->tls || !covers(r, a)) continue;
        /* Strictly smaller wins; '*' only when nothing else matched. */
        if (!best || (best->any && !r->any) || (!r->any && !best->any && r->size < best->size)) best = r;
    }
    *line = best ? best->line : 0;
    return best ? &best->ports : NULL;
}

static int has_port(const uint16_t *v, size_t n, uint16_t port)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] == port) return 1;
        if (v[mid] < port) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int ps_policy_ports_have(const ps_ports *ps, enum ps_proto proto, uint16_t port)
{
    return proto == PS_UDP ? has_port(ps->udp, ps->nudp, port) : has_port(ps->tcp, ps->ntcp, port);
}

int ps_policy_tls_for(const ps_policy *p, const ps_addr *a, enum ps_proto proto, uint16_t port, ps_tls_rule *out)
{
    const struct rule *best = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const struct rule *r = &p->r[i];
        if (!r->tls || !covers(r, a) || !ps_policy_ports_have(&r->ports, proto, port)) continue;
        if (!best || (best->any && !r->any) || (!r->any && !best->any && r->size < best->size)) best = r;
    }
    if (!best) return 0;
    *out = best->req;
    out->line = best->line;
    return 1;
}

int ps_policy_first_tls_line(const ps_policy *p)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (p->r[i].tls) return p->r[i].line;
    return 0;
}

int ps_policy_allows(const ps_policy *p, const ps_addr *a, enum ps_proto proto, uint16_t port, int *line)
{
    const ps_ports *ps = ps_policy_rule_for(p, a, line);
    return ps && ps_policy_ports_have(ps, proto, port);
}
