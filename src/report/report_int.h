/* report_int.h: the results store's own structures, shared by the three
 * files of report/: the store itself (report_store.c: records in an
 * open-addressing hash table), host results (report_host.c: building what
 * a writer sees of one host) and the API the engines call (report.c).
 * Private to src/report/.
 *
 * Locking: every function here is called with ps_report.lock held. */
#ifndef PSCAN_REPORT_INT_H
#define PSCAN_REPORT_INT_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/report.h"
#include "pscan/service.h"

enum {
    HIDE_THRESHOLD = 25, /* a state with more ports folds into "Not shown" */
    ALL_OPEN_MIN = 64,   /* fewer scanned ports open is not suspicious */
    SVC_PER_HOST = 256,  /* -sV stops after this many open ports of a host */
};

struct open_port {
    uint32_t port_idx;
    uint8_t reason;
    int16_t ttl;
};

/* A closed or filtered port whose reason differs from the first one seen
 * for its state (an admin-prohibited among port-unreachables, say). */
struct odd_reason {
    uint32_t port_idx;
    uint8_t reason;
};

/* A growable array of fixed-size items; an empty one costs 16 bytes. */
struct vec {
    void *v;
    uint32_t n, cap;
};

/* What few hosts need: -sV bookkeeping and odd reasons. */
struct extra {
    const char *up_reason; /* host discovery said up, and why (static) */
    uint8_t mac[6];
    int has_mac;
    int scan_done;   /* the port scan has nothing more for this host */
    uint32_t submitted; /* ports handed to -sV */
    uint32_t pending; /* -sV results still to come */
    struct vec svc;  /* uint8_t *, packed ps_svc_result (ps_svc_pack), in arrival order */
    struct vec odd;  /* struct odd_reason */
};

/* Kept small: a live /16 has 65,536 of these. */
struct record {
    uint64_t idx;
    float latency_s;                    /* smallest round trip seen, < 0: none */
    uint32_t counts[PS_ST_FILTERED + 1]; /* ports per answered state */
    uint8_t reason[PS_ST_FILTERED + 1]; /* first reason seen per state */
    struct vec open;                    /* struct open_port */
    struct extra *x;                    /* NULL until needed */
    uint8_t states[];                   /* 2 bits per port index */
};

/* One protocol's coverage (report.h): units [lo, hi) are this run's. */
struct cover {
    int set, by_host;
    ps_slice slice;
    uint64_t nports;       /* ports of this protocol */
    uint64_t lo, hi;       /* hi: UINT64_MAX while the engine runs */
    uint64_t pairs_before; /* by_host: the slice's pairs in hosts below lo */
    uint64_t pairs_after;  /* set by ps_report_finish */
};

struct ps_report {
    pthread_mutex_t lock;
    const ps_config *cfg;
    const ps_targets *targets;
    const ps_ports *ports;
    size_t nports;
    ps_writer writers[PS_MAX_OUTPUTS + 2];
    int nwriters;
    double start_s;     /* ps_mono_s() at ps_report_begin */
    uint64_t next_done; /* hosts below this were emitted */
    struct record **slots;
    size_t nslots, nrecords;
    ps_scan_summary sum;
    ps_svc_engine *svc; /* -sV: open ports are handed to it */
    ps_localinfo *li;   /* the process behind ports of this machine */
    uint64_t hosts_total; /* addresses asked about, if more than the targets */
    int li_noted;       /* said once that some owners are hidden */
    int hold;           /* an earlier phase of a TCP+UDP run: emit nothing */
    struct cover cover[2]; /* per protocol, PS_TCP and PS_UDP */
    int stopped, discovery_cut;
};

/* Every writer that has a handler for event ev gets it, unless one of its
 * writes failed already; each is checked after (output.h, write errors). */
#define FAN_OUT(r, ev, ...)                                                              \
    do {                                                                                 \
        for (int fan_i_ = 0; fan_i_ < (r)->nwriters; fan_i_++) {                        \
            ps_writer *fan_w_ = &(r)->writers[fan_i_];                                  \
            if (fan_w_->err || !fan_w_->ops->ev) continue;                              \
            errno = 0;                                                                   \
            fan_w_->ops->ev(fan_w_, __VA_ARGS__);                                       \
            ps_writer_check(fan_w_);                                                     \
        }                                                                                \
    } while (0)

/* ---- the store (report_store.c) ------------------------------------------- */

/* Room for one more item of `size` bytes at the end, or NULL. */
void *rep_vec_push(struct vec *a, size_t size);
/* The record's rarely needed part, allocated on first use (NULL: no memory). */
struct extra *rep_extra(struct record *rec);
void rep_record_free(struct record *rec);
/* The slot of host idx: its record, or the empty slot where it would go. */
struct record **rep_find(ps_report *r, uint64_t idx);
/* Host idx's record, made on first use; NULL when out of memory. */
struct record *rep_get(ps_report *r, uint64_t idx);
/* Take a record out of its slot (it is not freed). */
void rep_remove(ps_report *r, struct record **slot);
enum ps_state rep_state(const struct record *rec, size_t port_idx);
/* Port index i as (protocol, number). */
void rep_port_of(const ps_report *r, size_t i, enum ps_proto *proto, uint16_t *port);
/* The report's index of (proto, port), if it was scanned: 1 and *idx. */
int rep_port_index(const ps_report *r, enum ps_proto proto, uint16_t port, size_t *idx);

/* ---- host results (report_host.c) ----------------------------------------- */

/* Did the host itself answer (not only a router about it)?  All its ports
 * counted, scanned by this run or not. */
int rep_host_answered(const struct record *rec);

/* Build host idx's result from rec (NULL: nothing answered) and hand it to
 * every writer, if this run scanned any of its pairs and it is up (or -Pn);
 * adds to the scan's totals. */
void rep_emit(ps_report *r, uint64_t idx, struct record *rec);
/* Port index i of host idx: -1 when this run scanned it, else why not
 * (enum ps_unscanned).  *unit: its coverage unit, when it is in the slice. */
int rep_unscanned(const ps_report *r, uint64_t idx, size_t i, uint64_t *unit);

/* ---- coverage (report_cover.c) -------------------------------------------- */

/* At the end: the summary's counts of pairs not scanned, and how far each
 * protocol got (ps_report_cover_get). */
void rep_cover_totals(ps_report *r);
/* A -sV result for port index i of host idx was cut short by a stop. */
void rep_cover_cut(ps_report *r, uint64_t idx, size_t i);
/* Is any pair left out of this run (so rep_unscanned must be asked)? */
int rep_cover_partial(const ps_report *r);
/* May this run have scanned a pair of host idx?  (0 only when certain not:
 * outside every host-by-host engine's range; cheap, for hosts without a
 * record under -Pn.) */
int rep_host_in_run(const ps_report *r, uint64_t idx);

#endif
