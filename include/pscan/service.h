/* service.h: version detection (-sV), the engine that names what answers.
 *
 * Give the engine a probe database and submit (address, port, protocol)
 * triples as the port scan finds them open; it connects, sends probes,
 * matches replies and calls back once per submission with a ps_svc_result.
 * The engine runs its own event loop on its own thread:
 *
 *     ps_svc_engine *s = ps_svc_new(db, &opts, on_result, ctx, &err);
 *     ps_svc_start(s);
 *     ... ps_svc_submit(s, &addr, 22, PS_TCP); ...   (any thread, any time)
 *     ps_svc_finish(s);   (no more submissions; returns once all reported)
 *     ps_svc_free(s);
 *
 * The callback runs on the engine thread, one call at a time, exactly once
 * per successful ps_svc_submit; it must not call back into the engine
 * except ps_svc_submit.  The result it gets is valid only during the call.
 * The probe database must outlive the engine (results point into it).
 * See docs/service-engine.md and the essay in src/service/engine.c. */
#ifndef PSCAN_SERVICE_H
#define PSCAN_SERVICE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/probedb.h"
#include "pscan/proto.h"
#include "pscan/transport.h"

typedef struct ps_svc_opts {
    int intensity;          /* 0-9 (default 7): probes of rarity <= intensity,
                               plus every probe that lists the port */
    int max_parallelism;    /* open connections in total (default 256), capped
                               by RLIMIT_NOFILE less a reserve */
    int max_per_host;       /* open connections to one host (default 64) */
    int probes_per_port;    /* probes in flight on one port at once (default 8:
                               a silent port is done in about a second) */
    int connect_timeout_ms; /* default 3000 */
    int min_wait_ms;        /* shortest wait for a reply or banner (default 250) */
    int max_wait_ms;        /* longest wait for one reply (default 3000); also
                               capped by the probe's totalwaitms */
    int port_timeout_ms;    /* everything for one port (default 20000) */
    int tls;                /* try TLS (default 1) */
    size_t max_reply;       /* bytes kept of one reply (default 65536) */
    int retry;              /* the patient second pass (default 1; see below) */
    FILE *trace;            /* NULL, or where every lane's story is told
                               (--version-trace) */
    volatile sig_atomic_t *stop; /* NULL, or a flag that, once set, ends
                               every port at once: each is reported with
                               cut = 1 and what it had found (see below) */
} ps_svc_opts;

/* Fill o with the defaults above. */
void ps_svc_opts_default(ps_svc_opts *o);

enum ps_svc_status {
    PS_SVC_MATCH,      /* a match line named it (info filled) */
    PS_SVC_SOFT,       /* only a softmatch named it (info.soft = 1) */
    PS_SVC_UNKNOWN,    /* open, spoke or stayed silent, nothing matched;
                          also: excluded by the database, or unreachable */
    PS_SVC_TCPWRAPPED, /* accepted, then closed by the peer with no data */
    PS_SVC_CLOSED,     /* refused (TCP RST / ICMP unreachable) at -sV time */
};

/* How a result was reached.  A TCP port the first pass could not name
 * while it stayed silent or showed trouble (why) is tried again once its
 * host's first pass is over: gently (two connections at most) and with
 * waits scaled from what the server showed.  GAVE_UP: the retry learnt
 * nothing more either. */
enum ps_svc_pass { PS_SVC_FIRST, PS_SVC_RETRY, PS_SVC_GAVE_UP };

/* What the first pass saw that a retry may cure, most telling first. */
enum ps_svc_why {
    PS_WHY_NONE,
    PS_WHY_HANDSHAKE, /* a TLS handshake timed out */
    PS_WHY_CONNECT,   /* a connect timed out */
    PS_WHY_DROPPED,   /* a connection was closed before any data */
    PS_WHY_REFUSED,   /* a connect was refused after others got through */
    PS_WHY_LATE,      /* a greeting came much later than this host's others */
    PS_WHY_SILENT,    /* nothing was said on any connection */
    PS_WHY_COUNT
};

typedef struct ps_svc_result {
    ps_addr addr;
    uint16_t port;
    enum ps_proto proto;
    enum ps_svc_status status;
    int tls;              /* found through TLS: print the service as ssl/NAME
                             (ssl/unknown when nothing matched inside) */
    ps_service_info info; /* service name without the "ssl/" */
    const char *probe;    /* probe that matched; for an unmatched service,
                             the probe whose reply is in banner; or NULL */
    uint8_t banner[512];  /* first bytes the service sent (raw) */
    size_t banner_len;
    ps_tls_info cert;     /* protocol, cipher, certificate (when tls) */
    int has_cert;         /* cert.subject etc. filled (a certificate came) */
    double rtt_ms;        /* shortest TCP connect time seen; -1 if none */
    double elapsed_ms;    /* from first connection to the report */
    uint8_t pass;         /* enum ps_svc_pass */
    uint8_t why;          /* enum ps_svc_why: why it was retried (NONE on
                             the first pass) */
    int cut;              /* opts.stop ended it before it was done: the rest
                             is what it had (status UNKNOWN and no banner
                             when it had not started) */
} ps_svc_result;

typedef void (*ps_svc_cb)(void *ctx, const ps_svc_result *r);
typedef struct ps_svc_engine ps_svc_engine;

/* o may be NULL for defaults; out-of-range values are PS_EINPUT naming the
 * field.  Returns NULL and fills e on failure. */
ps_svc_engine *ps_svc_new(const ps_probedb *db, const ps_svc_opts *o,
                          ps_svc_cb cb, void *ctx, ps_err *e);
/* Start the engine thread.  Submissions made before are kept. */
int ps_svc_start(ps_svc_engine *s);
/* Queue one service; thread-safe.  PS_EINPUT for a bad address, port 0 or
 * after ps_svc_finish; PS_ERUNTIME when out of memory. */
int ps_svc_submit(ps_svc_engine *s, const ps_addr *a, uint16_t port, enum ps_proto proto);
/* The same, with the host name the user gave (sent as TLS SNI). */
int ps_svc_submit_name(ps_svc_engine *s, const ps_addr *a, uint16_t port,
                       enum ps_proto proto, const char *hostname);
/* No more submissions: wait until every one is reported, then stop the
 * thread (starts it first if ps_svc_start was never called). */
int ps_svc_finish(ps_svc_engine *s);
/* Finishes first if needed. */
void ps_svc_free(ps_svc_engine *s);

/* A result in a malloc'd block of the bytes it needs (pack.c), and back:
 * ps_svc_unpack(ps_svc_pack(r)) equals r field by field.  NULL when out
 * of memory. */
uint8_t *ps_svc_pack(const ps_svc_result *r);
void ps_svc_unpack(const uint8_t *packed, ps_svc_result *out);

/* The status as a word: "match", "softmatch", "unknown", "tcpwrapped",
 * "closed". */
const char *ps_svc_status_name(enum ps_svc_status st);
/* "first", "retry", "gave-up". */
const char *ps_svc_pass_name(enum ps_svc_pass p);
/* A token for JSON ("tls-timeout", "connect-timeout", "closed-empty",
 * "refused", "late", "silent"; "" for NONE) and words for people. */
const char *ps_svc_why_name(enum ps_svc_why w);
const char *ps_svc_why_text(enum ps_svc_why w);

/* The ordered probe plan for one port (exposed for tests and --explain):
 * writes up to max probes to out, returns how many.  tls selects the
 * sslports lists.  See plan.c for the order. */
size_t ps_svc_plan(const ps_probedb *db, enum ps_proto proto, uint16_t port, int tls,
                   int intensity, const ps_probe **out, size_t max);

#endif
