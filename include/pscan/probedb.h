/* probedb.h: service probe databases in the nmap-service-probes syntax.
 *
 * A database is a list of probes; each probe has a payload to send and the
 * match / softmatch lines that recognise replies.  pscan's own database is a
 * directory of files (probes/NAME.probes), each file one protocol family; a
 * probe that appears in several files (same protocol and name, e.g. the
 * NULL probe) is one probe whose match lists are concatenated in load
 * order, and its payload and settings must agree.  Further files
 * (--probe-db, such as an installed nmap-service-probes) load the same way.
 *
 * Directives: Probe, match, softmatch, ports, sslports, rarity,
 * totalwaitms, tcpwrappedms, fallback, Exclude.  See docs/probes.md.
 * Regexes are compiled with PCRE2 (JIT when available) with match and
 * depth limits, so a hostile reply cannot make matching run away. */
#ifndef PSCAN_PROBEDB_H
#define PSCAN_PROBEDB_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/err.h"
#include "pscan/proto.h"

typedef struct ps_probedb ps_probedb;
typedef struct ps_probe ps_probe;

/* What a match names.  Strings are NUL-terminated, empty when absent. */
typedef struct ps_service_info {
    char service[64];
    char product[128];
    char version[96];
    char info[192];
    char hostname[96];
    char ostype[64];
    char devicetype[64];
    char cpe[4][128];
    int ncpe;
    int soft; /* 1 if only a softmatch named the service */
} ps_service_info;

ps_probedb *ps_probedb_new(void);
void ps_probedb_free(ps_probedb *db);
/* Load one file; on error e names file:line and the problem. */
int ps_probedb_load_file(ps_probedb *db, const char *path, ps_err *e);
/* Load every "*.probes" file of a directory, in name order. */
int ps_probedb_load_dir(ps_probedb *db, const char *dir, ps_err *e);
/* Load from memory; name is used in error messages. */
int ps_probedb_load_buf(ps_probedb *db, const char *name, const char *buf,
                        size_t len, ps_err *e);

size_t ps_probedb_count(const ps_probedb *db);
const ps_probe *ps_probedb_get(const ps_probedb *db, size_t i);
const ps_probe *ps_probedb_find(const ps_probedb *db, enum ps_proto proto,
                                const char *name);
/* Is port excluded from version detection by an Exclude directive? */
int ps_probedb_excluded(const ps_probedb *db, enum ps_proto proto, uint16_t port);
/* Number of match + softmatch lines loaded (all compiled). */
size_t ps_probedb_nmatches(const ps_probedb *db);
/* Check what only the whole database can tell: every fallback name names a
 * probe (of the same protocol if there is one, else of the other).
 * load_dir runs it; after loading single files (--probe-db), call it once
 * the last one is in. */
int ps_probedb_check(const ps_probedb *db, ps_err *e);

/* Probe accessors. */
const char *ps_probe_name(const ps_probe *p);
enum ps_proto ps_probe_proto(const ps_probe *p);
const uint8_t *ps_probe_payload(const ps_probe *p, size_t *len);
int ps_probe_rarity(const ps_probe *p);       /* 1..9, default 5 (NULL: 1) */
int ps_probe_totalwaitms(const ps_probe *p);  /* 0 if not given */
int ps_probe_tcpwrappedms(const ps_probe *p); /* 0 if not given */
int ps_probe_on_port(const ps_probe *p, uint16_t port);    /* in "ports" */
int ps_probe_on_sslport(const ps_probe *p, uint16_t port); /* in "sslports" */
int ps_probe_no_payload(const ps_probe *p); /* marked "no-payload" */
size_t ps_probe_nmatches(const ps_probe *p); /* its own match + softmatch lines */
/* The probes whose matches follow p's own, in order (fallbacks, then NULL
 * for TCP); i < ps_probe_nfallbacks(p). */
size_t ps_probe_nfallbacks(const ps_probe *p);
const ps_probe *ps_probe_fallback(const ps_probe *p, size_t i);

/* Try the probe's matches against a reply, then its fallbacks' (and, for a
 * TCP probe, the NULL probe's last, as nmap does), in file order.
 * Returns 2 for a hard match, 1 for a softmatch only, 0 for none; fills out.
 * With only_service non-NULL (after a softmatch), only matches naming that
 * service are considered; a softmatch found here narrows the rest of the
 * search the same way.  Templates ($1-$9, $P(n), $SUBST(n,"a","b"),
 * $I(n,">")) are expanded; non-printable bytes in expansions are escaped.
 * Safe to call from several threads at once on one loaded db. */
int ps_probe_match(const ps_probedb *db, const ps_probe *p, const uint8_t *reply,
                   size_t len, const char *only_service, ps_service_info *out);
/* Could a reply to p match a line naming service (in p's lines or its
 * fallbacks')?  After a softmatch, probes for which this is 0 need not be
 * sent at all. */
int ps_probe_can_match(const ps_probe *p, const char *service);

#endif
