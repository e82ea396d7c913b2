/* policy.h: the CI policy behind --expect FILE, which open ports are
 * allowed where.
 *
 *   # comment
 *   198.18.0.0/24   tcp/22, tcp/443
 *   198.18.0.5      tcp/22 tcp/23          # a host overrides its network
 *   127.0.0.1       22,80 udp/53
 *   10.0.0.1-20     T:80,443 U:53
 *   *               none
 *
 * One rule per line: a host part (an address, a CIDR network, an nmap
 * octet range, or '*' for any address), white space, then the allowed
 * ports: items separated by commas or blanks, each "tcp/SPEC", "udp/SPEC",
 * or SPEC in pscan's -p syntax (T:/U: switch the protocol for the items
 * after them; TCP by default), or the single word "none".  For an address
 * the most specific matching rule applies: the one covering the fewest
 * addresses, '*' last, the earlier line on a tie.  An address no rule
 * covers allows nothing.
 *
 *   tls 198.18.0.0/24  tcp/443,8443  min-days=30 min-version=TLSv1.2
 *
 * A line that starts with the word "tls" states what the TLS service on
 * those ports must offer: a certificate valid for at least min-days more
 * days, a protocol version at least min-version.  For a port of a host,
 * the most specific tls line that covers the host and lists the port
 * applies; tls lines allow nothing (the port lines still do that).
 * docs/ci.md has the whole story. */
#ifndef PSCAN_POLICY_H
#define PSCAN_POLICY_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/ports.h"
#include "pscan/result.h"

typedef struct ps_policy ps_policy;

/* Read a policy; on a bad line e says "WHAT:LINE: problem" (PS_EINPUT). */
int ps_policy_load_stream(ps_policy **out, FILE *f, const char *what, ps_err *e);
int ps_policy_load_file(ps_policy **out, const char *path, ps_err *e);
void ps_policy_free(ps_policy *p);

size_t ps_policy_nrules(const ps_policy *p);

/* The rule that applies to a: its allowed ports (never NULL) and line, or
 * NULL and *line = 0 when no rule covers a. */
const ps_ports *ps_policy_rule_for(const ps_policy *p, const ps_addr *a, int *line);

/* Does the policy allow port/proto open on a?  *line: the deciding rule's
 * line (0 when none covers a). */
int ps_policy_allows(const ps_policy *p, const ps_addr *a, enum ps_proto proto, uint16_t port, int *line);
/* Is port/proto in ps? */
int ps_policy_ports_have(const ps_ports *ps, enum ps_proto proto, uint16_t port);

/* ---- tls lines (policy_tls.c parses their requirements) ------------------ */

/* TLS versions, oldest first; 0 is "unknown / no requirement". */
enum ps_tls_version { PS_TLSV_NONE, PS_TLSV_SSL3, PS_TLSV_1_0, PS_TLSV_1_1, PS_TLSV_1_2, PS_TLSV_1_3 };

typedef struct ps_tls_rule {
    int line;
    int min_days;    /* the certificate's days left must be at least this; -1: no requirement */
    int min_version; /* enum ps_tls_version; PS_TLSV_NONE: no requirement */
} ps_tls_rule;

/* The tls line that applies to port/proto on a: 1 and *out, or 0. */
int ps_policy_tls_for(const ps_policy *p, const ps_addr *a, enum ps_proto proto, uint16_t port, ps_tls_rule *out);
/* The line of the first tls line, or 0 (they need -sV results). */
int ps_policy_first_tls_line(const ps_policy *p);
/* After the host part of a tls line: port items and key=value words. */
int ps_policy_tls_parse(char *rest, ps_ports *ports, ps_tls_rule *out, ps_err *e);
/* One port item ("tcp/443", "T:80", "22-25") into ports; *udp carries
 * the T:/U: switch from item to item. */
int ps_policy_port_item(ps_ports *ports, char *item, int *udp, ps_err *e);
/* "TLSv1.2" (as OpenSSL names a connection's version; "1.2" also) to its
 * rank, PS_TLSV_NONE when unknown; and back. */
int ps_tls_version_rank(const char *name);
const char *ps_tls_version_name(int rank);
/* Whole days from now to an ISO 8601 UTC time ("2026-01-31T12:00:00Z",
 * as the TLS fields hold it), rounded down (negative: expired).  1 and
 * *days, or 0 when the text is not such a time. */
int ps_cert_days_left(const char *not_after, time_t now, long *days);

/* ---- checking a host (policy_check.c) ----------------------------------- */

enum ps_check_kind {
    PS_CHECK_OPEN,     /* an open port: allowed (pass) or unexpected (fail) */
    PS_CHECK_EXPECTED, /* --expect-strict: a listed port that is not open (fail) */
    PS_CHECK_CERT_DAYS,   /* a tls line's min-days */
    PS_CHECK_TLS_VERSION, /* a tls line's min-version */
};

typedef struct ps_policy_check {
    enum ps_check_kind kind;
    int failed;
    enum ps_proto proto;
    uint16_t port;
    int line;          /* the deciding policy line; 0: none covers the host */
    char what[64];     /* the check, for a test case: "443/tcp open", "443/tcp certificate valid 30 days" */
    char message[256]; /* the outcome in a sentence, without "pscan: " */
} ps_policy_check;

typedef void (*ps_policy_check_cb)(void *ctx, const ps_host_result *h, const ps_policy_check *c);

/* Every check the policy makes of one host's results, passed and failed,
 * in port order.  scanned (may be NULL) tells "not scanned" from "not
 * open" for --expect-strict; now is the time certificates are judged at. */
void ps_policy_check_host(const ps_policy *p, const ps_host_result *h, const ps_ports *scanned, int strict,
                          time_t now, ps_policy_check_cb cb, void *ctx);

#endif
