/* audit.h: the audit document, what the HTML report (-oH, pscan report
 * --html) and the JUnit report (-oU, pscan report --junit) show.
 *
 * It is built the same way from a running scan (the -oH/-oU writers,
 * output/audit_writer.c) and from result files (pscan report, audit/):
 * host results (ps_host_result, the writers' own view; the reader of
 * JSON Lines rebuilds them) go through ps_audit_add_host, which names
 * services as every writer does (row.c), keeps the open ports, and runs
 * the --expect policy over them (policy_check.c).  So a report of a file
 * says what the scan itself would have said.
 *
 * Strings are kept raw, as the server sent them, in one pool (ps_str is an
 * offset, 0 the empty string); the renderers escape them for their
 * format.  Memory is about 150 bytes per open port plus its strings: a
 * /16 with 100,000 open ports is some 30 MB. */
#ifndef PSCAN_AUDIT_H
#define PSCAN_AUDIT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/policy.h"
#include "pscan/result.h"

typedef uint32_t ps_str;

/* One scan (a "scan" line of a file, or the running scan). */
typedef struct ps_audit_scan {
    ps_str source;         /* the file it came from, or 0 */
    ps_str version, start, scan_type, args;
    double elapsed;        /* seconds, < 0 unknown */
    uint64_t hosts, hosts_up, ports; /* targets, up (from the summary), ports per host */
    int have_summary, version_detect, expect; /* the command line had --expect */
} ps_audit_scan;

typedef struct ps_audit_host {
    ps_addr addr;
    ps_str name, status;
    uint32_t nopen;        /* set by ps_audit_sort */
    uint32_t seq;          /* order of arrival: the first listing wins */
} ps_audit_host;

enum {
    PS_AP_SVC = 1,       /* -sV ran on the port */
    PS_AP_TLS = 2,       /* reached through TLS */
    PS_AP_CERT = 4,      /* a certificate came */
    PS_AP_MISMATCH = 8,  /* -sV named a service the registry does not */
    PS_AP_UNKNOWN = 16,  /* -sV named nothing: banner holds what it said */
    PS_AP_GUESS = 32,    /* service is the registry's name: nothing was probed */
};

enum { PS_DAYS_UNKNOWN = INT32_MIN };

typedef struct ps_audit_port {
    ps_addr host;
    ps_str hostname;
    uint16_t port;
    uint8_t proto, flags;
    int32_t days_left;     /* the certificate's, at the scan; PS_DAYS_UNKNOWN */
    ps_str service;        /* as rows show it: "ssl/http", "ssh", "http?" */
    ps_str version;        /* "product version (info)" */
    ps_str registry;       /* IANA's name, or 0 */
    ps_str reason;
    ps_str tls_version, cipher, subject, issuer, sans, not_before, not_after, sha256;
    ps_str banner;         /* an unidentified service's first bytes, escaped as text */
    uint32_t seq;          /* order of arrival: the first listing wins */
} ps_audit_port;

typedef struct ps_audit_check {
    ps_addr host;
    uint8_t kind, failed, proto; /* enum ps_check_kind, 0/1, enum ps_proto */
    uint16_t port;
    int line;
    ps_str what, message;
    uint32_t order;        /* keeps the checker's order within a host */
} ps_audit_check;

/* A difference from the baseline (pscan diff's, one line each). */
typedef struct ps_audit_change {
    char kind;             /* '+' opened, '-' closed, '~' changed, 'H' host only now, 'h' host only before */
    ps_addr host;
    uint8_t proto;
    uint16_t port;
    ps_str text;           /* the rest of pscan diff's line */
} ps_audit_change;

#define PS_AUDIT_ARRAY(T, name) T *name; size_t n##name, cap##name

typedef struct ps_audit {
    char *pool;
    size_t npool, cappool;
    PS_AUDIT_ARRAY(ps_audit_scan, scans);
    PS_AUDIT_ARRAY(ps_audit_host, hosts);
    PS_AUDIT_ARRAY(ps_audit_port, ports);
    PS_AUDIT_ARRAY(ps_audit_check, checks);
    PS_AUDIT_ARRAY(ps_audit_change, changes);
    /* Set before hosts are added, when a policy is checked. */
    const ps_policy *policy;
    const ps_ports *scanned; /* the ports scanned, when known (strict mode's "not scanned") */
    int strict;
    ps_str policy_name;
    ps_str baseline_name;  /* non-zero: the changes section is shown */
    time_t generated;
    int oom;               /* a string or entry could not be stored */
    int sorted;
} ps_audit;

void ps_audit_init(ps_audit *a);
void ps_audit_free(ps_audit *a);
/* Store n bytes (raw) as a string; 0 for none (or out of memory: a->oom). */
ps_str ps_audit_str(ps_audit *a, const char *s, size_t n);
ps_str ps_audit_cstr(ps_audit *a, const char *s);
/* A stored string ("" for 0). */
const char *ps_audit_s(const ps_audit *a, ps_str s);

/* Append entries; PS_ERUNTIME when out of memory. */
int ps_audit_add_scan(ps_audit *a, const ps_audit_scan *s, ps_err *e);
int ps_audit_add_change(ps_audit *a, const ps_audit_change *c, ps_err *e);
/* One host's complete results: its open ports, and the policy's checks
 * (certificates judged at now).  A host listed again (another file) adds
 * its ports; a port listed again is the first listing's. */
int ps_audit_add_host(ps_audit *a, const ps_host_result *h, time_t now, ps_err *e);
/* Sort hosts, ports and checks by address, protocol, port (renderers do). */
void ps_audit_sort(ps_audit *a);

/* Counts the summaries show. */
typedef struct ps_audit_totals {
    uint64_t hosts_scanned, hosts_up, open, tls, certs, expired, soon, checks, failed;
    double elapsed;        /* summed over the scans, < 0 unknown */
} ps_audit_totals;
enum { PS_AUDIT_SOON_DAYS = 30 }; /* a certificate with fewer days left is marked */
void ps_audit_totals_get(const ps_audit *a, ps_audit_totals *t);

/* The reports (audit_html.c, audit_junit.c); sort a first.  They write to
 * fp and return PS_OK or PS_ERUNTIME when the writes failed. */
int ps_audit_html(ps_audit *a, FILE *fp, ps_err *e);
int ps_audit_junit(ps_audit *a, FILE *fp, ps_err *e);

#endif
