/* report.h: from port events to host results to writers.
 *
 * Scan engines report each probe's outcome as (host index, port index,
 * state); the report keeps, for each host that answered at all, a 2-bit
 * state per scanned port plus the details of its open ports, so memory
 * grows with responsive hosts, never with the whole target space.  When a
 * host is done (the connect scan says so as it goes; the SYN scan at the
 * end) its result is built once and handed to every writer.
 *
 * All calls are thread-safe: the SYN receiver and the -sV engine report
 * from their own threads. */
#ifndef PSCAN_REPORT_H
#define PSCAN_REPORT_H

#include <stdint.h>

#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/permute.h"
#include "pscan/ports.h"
#include "pscan/result.h"
#include "pscan/targets.h"

typedef struct ps_report ps_report;

ps_report *ps_report_new(const ps_config *cfg, const ps_targets *t, const ps_ports *p, ps_err *e);
void ps_report_free(ps_report *r);
/* Read who owns this machine's sockets now rather than at the first local
 * host's result: before pscan drops root, while other users' /proc/PID/fd
 * can still be read (privdrop.h).  Only when a target is this machine. */
void ps_report_snapshot_local(ps_report *r);

/* The scan begins: writers get its type, identity (id; spec is filled in
 * here from the targets and ports) and command line. */
void ps_report_begin(ps_report *r, const char *scan_type, const ps_scan_id *id, int argc, char **argv);
/* One probe's outcome.  The first answer for a port wins. rtt_s < 0: none. */
void ps_report_port(ps_report *r, uint64_t host, size_t port_idx, enum ps_state st,
                    enum ps_reason why, int ttl, double rtt_s);
/* A UDP port that stayed silent (open|filtered): nothing is stored, but
 * -sV probes it too, and its answer may settle the state. */
void ps_report_silent(ps_report *r, uint64_t host, size_t port_idx);
/* TCP+UDP runs: while held, hosts are not emitted (ps_report_hosts_done
 * and ps_report_skip_hosts do nothing), so the TCP scan's results wait
 * for the UDP scan's; ps_report_finish emits everything regardless. */
void ps_report_hold(ps_report *r, int hold);
/* ps_report_ports: several outcomes under one lock, as if each were passed
 * to ps_report_port in order (the SYN receiver hands over a capture
 * block's worth at a time). */
typedef struct ps_port_event {
    uint64_t host;
    uint32_t port_idx;
    uint8_t state;  /* enum ps_state */
    uint8_t reason; /* enum ps_reason */
    int16_t ttl;
    float rtt_s;    /* < 0: none */
} ps_port_event;
void ps_report_ports(ps_report *r, const ps_port_event *ev, size_t n);
struct ps_svc_engine;
struct ps_svc_result;
/* -sV: hand every new open port to this engine, whose results come back
 * through ps_report_service; a host is emitted once all its are in. */
void ps_report_set_service(ps_report *r, struct ps_svc_engine *svc);
void ps_report_service(ps_report *r, const struct ps_svc_result *res);
/* The port scan has nothing more for hosts [0, host]: emit them in order
 * (a host still waiting for -sV results follows when they are in). */
void ps_report_hosts_done(ps_report *r, uint64_t upto);
/* Host discovery found the host up (reason is a static string; mac may be
 * NULL): it is reported even if every port turns out filtered. */
void ps_report_host_up(ps_report *r, uint64_t host, double latency_s, const char *reason,
                       const uint8_t *mac);
/* After host discovery the targets are the hosts found up; the summary
 * still counts every address that was asked about. */
void ps_report_set_hosts_total(ps_report *r, uint64_t n);
/* --resume: hosts below `upto` were reported by an earlier run. */
void ps_report_skip_hosts(ps_report *r, uint64_t upto);

/* ---- coverage: which (host, port) pairs this run scans ---------------------
 *
 * A run scans only part of targets x ports when it is one shard of several
 * (--shard), when it resumes an earlier run (the work before the resume
 * position was that run's), or when a stop cuts it short.  Pairs it did
 * not scan are never shown as a state, not even folded into "Not shown":
 * host results count them apart by reason (ps_host_result.not_scanned),
 * the summary totals them, and a host none of whose pairs this run scanned
 * is not reported.  Each protocol's pairs (x = host * nports + port) are
 * ordered by the slice of --shard (permute.h, seeded by `seed`); an
 * engine's work is counted in units: positions of that slice for the SYN
 * scan (by_host 0), hosts for the connect and UDP scans (by_host 1: all
 * of a host's pairs in the slice are done, or none).  A protocol whose
 * coverage is never set is taken as scanned in full. */
/* Before its engine runs: units below lo were an earlier run's, and
 * pairs_before of the slice's pairs with them (--resume; else 0, 0).  Until
 * ps_report_cover_done the engine is taken to be still at work.  PS_EINPUT
 * if --shard cannot split the space. */
int ps_report_cover(ps_report *r, enum ps_proto proto, int by_host, uint64_t seed, uint64_t lo,
                    uint64_t pairs_before, ps_err *e);
/* The engine's units: positions of the slice, or hosts. */
uint64_t ps_report_cover_units(ps_report *r, enum ps_proto proto);
/* A stop left units from `from` on unfinished (the lowest one wins).  An
 * engine that emits hosts as it goes calls it before any such host is
 * emitted. */
void ps_report_cover_stop(ps_report *r, enum ps_proto proto, uint64_t from);
/* The engine has finished every unit below done. */
void ps_report_cover_done(ps_report *r, enum ps_proto proto, uint64_t done);
/* After ps_report_finish: units below *done are finished (a -sV cut may
 * have lowered it below the engine's own), *pairs of the slice's pairs
 * with them (earlier runs' included), of *units in all. */
void ps_report_cover_get(ps_report *r, enum ps_proto proto, uint64_t *done, uint64_t *pairs, uint64_t *units);
/* A stop was asked for: the summary says the results are partial if
 * anything was left (or discovery_cut: host discovery itself was cut). */
void ps_report_stopped(ps_report *r, int discovery_cut);

/* Emit every host not yet emitted, then the summary; then flush and close
 * the output files. */
void ps_report_finish(ps_report *r);
/* After ps_report_finish: PS_ERUNTIME if an output could not be written,
 * e naming each ("cannot write 'FILE': reason"), else PS_OK. */
int ps_report_output_error(ps_report *r, ps_err *e);
/* The exit status the writers ask for (3: a policy violation), else 0. */
int ps_report_status(ps_report *r);
/* Counts so far, for progress lines and exit decisions. */
void ps_report_counts(ps_report *r, ps_scan_summary *out);

#endif
