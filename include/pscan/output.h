/* output.h: one interface, several writers.
 *
 * Every writer receives the same events in the same order: begin, then
 * `port` for each open port as it is found (streaming), `host` once per
 * reported host when its results are complete, and `end`.  Writers flush
 * events at most every 50 ms (ps_writer_flush) and always at the end, so
 * results show while a scan runs and an interrupted one ends valid.
 * The report (report.c) serialises calls: writers need no locking.
 *
 * Write errors.  Writers write through stdio without checking each call;
 * the stream's error indicator remembers a failure, and the report looks
 * at it after every event (ps_writer_check): the first failure is kept in
 * err, that writer gets no more events, and the others go on.  The end
 * (ps_writer_end) flushes and closes, checked too.
 *
 * Writers: normal.c (-oN, and standard output), json.c (-oJ, JSON Lines),
 * xml.c (-oX, nmap's DTD), grep.c (-oG), policy.c (--expect), and the
 * reports written at the end, audit_writer.c (-oH HTML, -oU JUnit).  Bytes a
 * server chose are written only through escape.h.  The formats are
 * described in docs/output.md, the policy in docs/ci.md. */
#ifndef PSCAN_OUTPUT_H
#define PSCAN_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/iana.h"
#include "pscan/ports.h"
#include "pscan/result.h"

typedef struct ps_writer ps_writer;

struct ps_writer_ops {
    const char *name;
    /* Optional: set up after the file is open (load a policy, allocate priv). */
    int (*open)(ps_writer *w, const char *path, ps_err *e);
    void (*begin)(ps_writer *w, const ps_scan_info *info);
    void (*port)(ps_writer *w, const ps_addr *addr, const char *name, const ps_port_result *p);
    void (*host)(ps_writer *w, const ps_host_result *h);
    void (*end)(ps_writer *w, const ps_scan_summary *s);
    /* Optional: what this writer makes of the scan for the exit status
     * (0, or 3 for a policy violation). */
    int (*status)(ps_writer *w);
    void (*close)(ps_writer *w); /* optional: free priv */
};

struct ps_writer {
    const struct ps_writer_ops *ops;
    FILE *fp;
    int owns_fp;
    const ps_config *cfg;
    const ps_ports *ports; /* the ports being scanned (may be NULL in tests) */
    double last_flush;     /* ps_writer_flush's clock */
    void *priv;
    /* This system's ephemeral port range, read once when the writer opens
     * (/proc/sys/net/ipv4/ip_local_port_range; 32768-60999 if unreadable). */
    uint16_t eph_lo, eph_hi;
    char *name; /* the file as errors name it ("standard output") */
    int err;    /* errno of its first failed write, 0 while none */
};

extern const struct ps_writer_ops ps_out_normal;
extern const struct ps_writer_ops ps_out_json;
extern const struct ps_writer_ops ps_out_xml;
extern const struct ps_writer_ops ps_out_grep;
extern const struct ps_writer_ops ps_out_policy;
extern const struct ps_writer_ops ps_out_html;  /* -oH, audit_writer.c */
extern const struct ps_writer_ops ps_out_junit; /* -oU */

/* Open the writer for spec (path "-" = stdout).  On --resume (cfg->resuming)
 * files are appended to, but XML (one document per run) goes to a new
 * FILE.resumed, FILE.resumed.2, ...: no earlier output is overwritten. */
int ps_writer_open(ps_writer *w, const ps_output_spec *spec, const ps_config *cfg,
                   const ps_ports *ports, ps_err *e);
/* After an event: did a write fail?  Keeps the first failure in w->err;
 * returns it (0: none). */
int ps_writer_check(ps_writer *w);
/* No more events: flush and close the file (not standard output or
 * error), checked.  Returns w->err. */
int ps_writer_end(ps_writer *w);
/* Free everything (ends the file first if ps_writer_end was not called). */
void ps_writer_close(ps_writer *w);
/* Flush unless the last flush was under 50 ms ago (host and port events). */
void ps_writer_flush(ps_writer *w);

/* ---- what the writers share (row.c) ------------------------------------- */

/* Where the service name of a row came from: what the wire said (-sV:
 * a match, a protocol's shape, TLS, a wrapper closing), the registry
 * (a port scan without -sV, or a port -sV did not see open), or nowhere. */
enum ps_name_source { PS_NAME_NONE, PS_NAME_REGISTRY, PS_NAME_PROBED };
const char *ps_name_source_name(enum ps_name_source s); /* "none", "registry", "probed" */

/* The service name a row shows: what -sV learned ("ssl/http" through
 * TLS, "tcpwrapped", "ssl/unknown"); for an open port -sV ran on but
 * could not name, "unknown", never the registry's guess; otherwise the
 * registry's name, or "unknown".  w may be NULL (as without -sV).  *src
 * (may be NULL) says where the name came from.  Raw: escape it. */
const char *ps_port_service(const ps_writer *w, const ps_port_result *p, char *buf, size_t len,
                            enum ps_name_source *src);
/* "product version (info)" from -sV, or "" when nothing is known.  Raw. */
const char *ps_port_version(const ps_port_result *p, char *buf, size_t len);
/* Did -sV name a service (a match or a softmatch)? */
int ps_port_identified(const ps_port_result *p);

/* Registry versus reality for one port. */
typedef struct ps_port_registry {
    const char *name;          /* registered name, or NULL */
    enum ps_reg_status status; /* assigned, reserved, unassigned, dynamic */
    int ephemeral;             /* inside this system's ephemeral range */
    int mismatch;              /* -sV named a service the registry does not */
} ps_port_registry;
void ps_port_registry_get(const ps_writer *w, const ps_port_result *p, ps_port_registry *out);
const char *ps_reg_status_name(enum ps_reg_status s);
/* Do a registered name and a detected one denote the same service?  Equal
 * names, the registry's TLS name ("https" for "http"), a shared first word
 * ("http-alt" for "http-proxy"), and a few well-known aliases agree. */
int ps_svc_names_agree(const char *registered, const char *detected);

/* The summary's note on pairs not scanned, for the normal, XML and
 * grepable summaries: "; 1002 of 1503 host-port pairs not scanned (1002
 * other-shard)", or "" when this run scanned them all.  Returns buf. */
const char *ps_summary_unscanned(const ps_scan_summary *s, char *buf, size_t len);

/* ISO 8601 UTC with milliseconds, "2025-01-31T12:00:00.123Z"; returns buf. */
const char *ps_iso8601(const struct timespec *ts, char *buf, size_t len);
/* Its inverse, for readers of result files: 1 with *ts (milliseconds
 * kept), 0 (and *ts zero) when s (may be NULL) does not start with one. */
int ps_iso8601_parse(const char *s, struct timespec *ts);
/* The ports of one protocol as a compact range list, "1-1024,8080". */
void ps_ports_ranges(FILE *fp, const uint16_t *v, size_t n);

#endif
