/* syn_int.h: the SYN engine's state, shared by its three files: the
 * scheduler and sender (scan_syn.c), the receiver thread (syn_recv.c) and
 * the set-up and tear-down of routes, templates, senders and the capture
 * (syn_setup.c).  Private to the SYN engine. */
#ifndef PSCAN_SYN_INT_H
#define PSCAN_SYN_INT_H

#include <pthread.h>
#include <stdint.h>

#include "pscan/cookie.h"
#include "pscan/pacer.h"
#include "pscan/permute.h"
#include "pscan/recv.h"
#include "pscan/route.h"
#include "pscan/rtt.h"
#include "pscan/scan.h"
#include "pscan/sender.h"
#include "pscan/sendq.h"
#include "pscan/template.h"

enum {
    CHUNK = 1 << 16,  /* positions per chunk */
    NCHUNKS = 64,     /* chunks in flight at most */
    BLOCK = 256,      /* send-time granularity */
    BATCH = 256,      /* frames per send call */
    SPORT_SPAN = 256, /* source ports used, a power of two */
    HELPER_MIN = 1 << 16, /* probes for which a helper sender pays */
    EVBATCH = 512,    /* receiver outcomes handed over at once */
    MAX_COPIES = 8,   /* copies of one probe in a pass, on a lossy path */
    LOSS_MIN_SAMPLES = 16, /* pass-0 answers before the loss estimate counts */
};
#define LOSS_MAX 0.9 /* a higher estimate is a dead path, not a lossy one */

/* The receiver reads id, active, pass, bits and block_sent of any chunk
 * at any time (mark()), so the scheduler writes those with atomic stores
 * (it reads its own writes plainly); the other fields are the scheduler's
 * alone. */
struct chunk {
    uint64_t id;       /* positions [id * CHUNK, ...) of the slice */
    uint64_t len;
    int active;        /* set last and cleared first, with release */
    int pass;          /* pass being sent, or last one sent when done */
    int sending;       /* a pass is under way */
    uint64_t cursor;
    double pass_end;   /* when the last pass finished */
    double base_end;   /* when pass 0 finished: extra passes are bounded from it */
    uint64_t opened;   /* first answers saying open (the receiver adds, atomically) */
    /* The scheduler's view at the last pass decision (see next_pass). */
    uint64_t ans_mark, open_mark, n_pass0;
    int copies, copy;  /* copies of each probe in this pass, the one being sent */
    int extra;         /* passes beyond --max-retries, for loss */
    uint64_t bits[CHUNK / 64];
    double block_sent[CHUNK / BLOCK]; /* pass-0 send time per block */
};

/* One address family's way out. */
struct path {
    int ready;
    ps_route route;
    ps_template tpl;
    ps_sender *sender;
    ps_sender *sender2; /* the helper thread's, or NULL */
};

/* Batch buffers: one being built, and the ones the helper sender may
 * hold (sendq.h: PS_SENDQ_DEPTH). */
enum { NBUF = PS_SENDQ_DEPTH + 1 };

struct syn {
    const ps_scan_ctx *ctx;
    const ps_config *cfg;
    uint64_t nports, total, first, count;
    ps_permute perm;
    ps_cookie_key key;
    struct path v4, v6;
    ps_recv *recv;
    int dlt;
    ps_pacer pacer;
    uint16_t sport_lo;
    uint32_t *port_index; /* port -> index + 1, 0 if not scanned */
    struct chunk *chunks;  /* ring of NCHUNKS */
    uint64_t next_chunk, nchunks;
    double start;

    /* Batch being built in buffer cur; the helper may hold the others. */
    uint8_t frames[NBUF][BATCH][PS_TEMPLATE_MAX];
    ps_frame batch[NBUF][BATCH];
    int cur;
    struct path *batch_path;
    size_t nbatch;
    ps_sendq *helper; /* a second sending thread, or NULL */

    /* The receiver's: outcomes waiting to go to the report and the RTT
     * estimator, which take one lock per batch rather than per reply; and
     * the time the current capture batch is handled (0: not read yet),
     * with the clocks' offset that turns capture stamps into it. */
    ps_port_event ev[EVBATCH];
    size_t nev;
    double rx_now, rx_off; /* the batch's monotonic time, and realtime - monotonic */

    /* Shared with the receiver. */
    pthread_mutex_t rtt_lock;
    ps_rtt rtt;
    volatile int recv_stop;
    int recv_err;
    ps_err recv_e;

    /* Loss: the estimate of one try's miss rate q = answers first got in
     * pass 1 / answers of pass 0, over chunks whose pass 1 was one copy;
     * the bounds on extra passes (--loss-retries, --loss-time); the share
     * of the 0.5 expected missed opens allowed each chunk. */
    uint64_t q_num, q_den;
    int max_extra;
    double extra_time, hidden_ok;
    uint64_t extra_passes;

    /* Counters (sender's; receiver's are atomics). */
    uint64_t sent, resent;
    uint64_t gave_up; /* probes whose chunk retired unanswered */
    uint64_t skip_below; /* --resume: positions finished by the earlier run */
    uint64_t resume_at;  /* after a stop: the first unfinished position */
    uint64_t answered, opened, dup, bad_cookie, foreign, decode_err;
};

/* The cookie ignores the source port, which is derived from it: a reply
 * is ours if its ack matches and its port is one the cookie allows. */
static inline uint32_t syn_cookie(const struct syn *s, const ps_addr *src, const ps_addr *dst, uint16_t dport)
{
    return ps_cookie_addr(&s->key, src, dst, 0, dport);
}

/* The RTT estimate is shared with the receiver thread, which samples it. */
double syn_rto(struct syn *s);

/* syn_recv.c: the receiver thread's body (arg: the struct syn). */
void *syn_recv_main(void *arg);

/* syn_setup.c: the probe order, the paths out, the capture and the pacer;
 * and everything they hold, released. */
int syn_setup(struct syn *s, ps_err *e);
void syn_teardown(struct syn *s);

#endif
