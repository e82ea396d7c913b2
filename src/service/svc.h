/* svc.h: the service engine's private types, shared by engine.c (the
 * loop, the public calls), sched.c (hosts and who gets the next lane),
 * flow.c (how many lanes a host and a port may have, from what they show),
 * lane.c (one connection running one probe), job.c (one port: which
 * probes, TLS or not, what the answer is), retry.c (the patient second
 * pass), wait.c (how long each wait is), plan.c (which probes, and
 * the TLS track), lane_set.c (the timer heap, closing lanes), trace.c
 * (--version-trace) and names.c (the words for statuses).  Everything
 * here is touched by the engine thread only, except the inbox fields of
 * struct ps_svc_engine, which the mutex guards. */
#ifndef PSCAN_SVC_INTERNAL_H
#define PSCAN_SVC_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "pscan/service.h"

/* Windows at the start (flow.c): lanes a new host, a new port may have. */
#define SVC_HOST_WINDOW0 16
#define SVC_JOB_WINDOW0 4
/* A retrying port's lanes at once. */
#define SVC_RETRY_LANES 2
/* Ports of a host retried for silence alone (retry.c). */
#define SVC_SILENT_RETRIES 4

typedef struct svc_lane svc_lane;
typedef struct svc_job svc_job;
typedef struct svc_host svc_host;

enum lane_state { LANE_CONNECT, LANE_HANDSHAKE, LANE_SEND, LANE_READ, LANE_DEAD };

/* Why a lane ended (svc_job_lane_done). */
enum lane_end {
    END_REPLY,     /* wait, quiet period or size cap reached */
    END_EOF,       /* peer closed the stream */
    END_RESET,     /* peer reset (or refused a UDP datagram) */
    END_CONNFAIL,  /* TCP connect refused / failed / timed out */
    END_HSFAIL,    /* TLS handshake failed or timed out */
};

/* One connection carrying one probe. */
struct svc_lane {
    struct ps_svc_engine *eng;
    svc_job *job;
    svc_lane *next, *prev; /* the job's lanes */
    svc_lane *dead_next;   /* reap list */
    int track;             /* 0 plain, 1 TLS */
    size_t plan_i;         /* index of probe in the track's plan */
    const ps_probe *probe;
    ps_conn c;
    enum lane_state st;
    uint32_t ev;           /* epoll events registered (0: none) */
    int64_t t_open, t_conn, t_wait; /* microseconds, monotonic */
    int64_t t_first;       /* first byte of the reply (0: none yet) */
    int64_t deadline;      /* end of the current state */
    int64_t quiet;         /* end of the silence after the last bytes (0: none) */
    int64_t wake;          /* min(deadline, quiet): the heap key */
    size_t heap_i;         /* position in the timer heap, SIZE_MAX if absent */
    size_t sent;
    uint8_t *buf;
    size_t len, cap, matched_at;
    int eof, reset;
    int retry;             /* counted in the retry lanes (sched.c) */
};

enum track_state { TRACK_OFF, TRACK_RUN, TRACK_PAUSED, TRACK_STOP };
/* The retry's steps (retry.c): waiting for the host's first pass to end;
 * the NULL probe and a TLS handshake alone; then the rest of the plan. */
enum retry_stage { RETRY_WAIT, RETRY_PROBE, RETRY_FULL };

/* A congestion window (flow.c), TCP's way: lanes allowed at once. */
typedef struct svc_flow {
    double cwnd, ssthresh, max;
    int64_t calm_until; /* one cut per episode: none again before this */
} svc_flow;
enum tls_state { TLS_NONE, TLS_TRYING, TLS_OK, TLS_FAILED };

/* A sequence of probes over one transport. */
typedef struct svc_track {
    const ps_probe **plan;
    size_t n, next;
    int lanes;
    enum track_state st;
    int bytes; /* some lane of this track received data */
} svc_track;

/* One (host, port, proto) being identified. */
struct svc_job {
    struct ps_svc_engine *eng;
    svc_host *host;
    svc_job *next, *prev; /* the host's active jobs */
    svc_job *done_next;   /* reap list */
    ps_svc_result r;
    char *sni;
    svc_track tr[2];
    enum tls_state tls;
    svc_lane *lanes;
    int nlanes;
    int64_t t_start, deadline, rtt_us;
    int connected_once, any_bytes, done;
    svc_flow flow;      /* this (address, port)'s window */
    int pass;           /* 0 first, 1 the retry (retry.c) */
    enum retry_stage stage;
    unsigned trouble;   /* 1 << ps_svc_why: what this pass has seen */
    unsigned first_trouble; /* the first pass's, once retrying */
    int wrapped;        /* the NULL probe's connection was closed empty */
    int tls_late;       /* a handshake timed out (not refused): retry may try again */
    int have_soft, soft_track;
    ps_service_info soft;
    /* The most specific recogniser's reading so far (recog.h). */
    int have_rec, rec_track;
    ps_service_info rec;
    const char *rec_probe;
    /* The best hard match without a version so far: the job goes on, with
     * the probes that can name that service, for a more specific one. */
    int have_hard, hard_tls;
    int hold; /* named with a product: no new probes, the running ones may add */
    ps_service_info hard;
    const char *hard_probe;
    const char *soft_probe;
    int have_ssl, ssl_rc, ssl_inner; /* a plain match named ssl (inner: ssl/NAME) */
    ps_service_info ssl;
    const char *ssl_probe;
    int banner_track;
    size_t banner_rank;
};

typedef struct svc_pending {
    struct svc_pending *next;
    uint16_t port;
    enum ps_proto proto;
    char *sni;
} svc_pending;

struct svc_host {
    ps_addr addr;
    svc_host *hnext;        /* hash chain */
    svc_host *rnext, *rprev; /* round-robin ring */
    svc_pending *phead, *ptail;
    svc_job *jobs;
    int njobs, nlanes;
    int ndone;      /* finished jobs not yet reported (they point here) */
    int nfirst;     /* queued or running in their first pass */
    int nretry;     /* lanes of retrying jobs */
    int nsilent;    /* ports retried for silence alone */
    int nwait;      /* retrying jobs waiting for the first pass to end */
    int64_t rtt_us; /* shortest connect seen, 0 while unknown */
    int64_t rtt_max_us, fb_max_us; /* slowest connect, slowest greeting */
    svc_flow flow;  /* this address's window */
};

typedef struct svc_submit {
    ps_addr addr;
    uint16_t port;
    enum ps_proto proto;
    char *sni;
} svc_submit;

struct ps_svc_engine {
    const ps_probedb *db;
    ps_svc_opts o;
    ps_svc_cb cb;
    void *ctx;
    ps_tls_ctx *tls;
    int epfd, evfd;
    size_t nprobes;
    int64_t wrapped_us; /* tcpwrapped window of the NULL probe */

    pthread_mutex_t mu; /* guards the four fields below */
    svc_submit *in;
    size_t nin, capin;
    int finishing;

    pthread_t thr;
    int started, joined;

    /* engine thread only */
    int64_t now;
    svc_host **htab;
    size_t hcap, nhosts;
    svc_host *ring;
    size_t nring, npending;
    svc_lane **heap;
    size_t nheap, capheap;
    int nlanes, njobs;
    int64_t backoff_until;
    int nwait;          /* jobs in RETRY_WAIT, all hosts */
    int64_t retry_wake; /* earliest calm end a queued retry waits for (0: none) */
    svc_lane *dead;
    svc_job *done;
    int stopped; /* opts.stop was seen: every port has been ended */
    int nretry;  /* lanes of retrying jobs, all hosts */
    uint32_t *greet_min; /* per TCP port: the fastest greeting, us (flow.c) */
    int64_t t0;  /* the engine's start, for the trace */
};

/* sched.c */
svc_host *svc_host_get(struct ps_svc_engine *eng, const ps_addr *a);
/* Start lanes while there is room; hosts take turns. */
void svc_fill(struct ps_svc_engine *eng);
/* Free closed lanes, report finished jobs, forget idle hosts. */
void svc_reap(struct ps_svc_engine *eng);

/* flow.c */
void svc_flow_init(svc_flow *f, double start, double max);
/* Lanes the window allows now. */
int svc_flow_room(const svc_flow *f);
/* A lane connected (t_conn set). */
void svc_flow_connected(svc_lane *l);
/* The first bytes of a reply arrived. */
void svc_flow_first_byte(svc_lane *l);
/* Trouble on a lane (why): noted on the job, and both windows shrink. */
void svc_flow_trouble(svc_lane *l, enum ps_svc_why why);

/* retry.c */
/* Would a retry help a job about to end with status st? 1: it began. */
int svc_retry_begin(svc_job *job, enum ps_svc_status st, int only_ssl);
/* The retry's say in svc_job_pick_track: -1 no lane now, 0/1 the track,
 * 2 no objection (the usual rules apply). */
int svc_retry_pick(svc_job *job);
/* The retry's NULL-and-handshake step ended: 1 if it goes on to the full
 * plan, 0 if the job is over. */
int svc_retry_escalate(svc_job *job);
/* A job leaves RETRY_WAIT (it starts, or it was ended while waiting). */
void svc_retry_unwait(svc_job *job);

/* trace.c: with opts.trace, one line per event. */
void svc_trace(const svc_lane *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void svc_trace_job(const svc_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* lane_set.c */
/* Put l in the timer heap at its wake time, or move it there. */
void svc_heap_set(struct ps_svc_engine *eng, svc_lane *l);
void svc_heap_del(struct ps_svc_engine *eng, svc_lane *l);
/* Close without reporting to the job (cancel); freed at the reap. */
void svc_lane_close(svc_lane *l);
void svc_lane_free(svc_lane *l);

/* lane.c */
/* Open a lane for the job's next probe on track.  0 on success (the lane
 * may already have ended, synchronously), -1 on a local failure (no
 * sockets, no memory: retry later; nothing changed). */
int svc_lane_start(svc_job *job, int track);
void svc_lane_event(svc_lane *l, uint32_t events);
void svc_lane_timeout(svc_lane *l);

/* job.c */
svc_job *svc_job_new(struct ps_svc_engine *eng, svc_host *h, svc_pending *p);
/* Track for the next lane, or -1 when the job wants none now.  Steps the
 * plans past probes a softmatch has made pointless. */
int svc_job_pick_track(svc_job *job);
/* A reply was matched with result rc (ps_probe_match); returns 1 when the
 * job is finished. */
int svc_job_on_match(svc_job *job, svc_lane *l, int rc, const ps_service_info *info);
/* A recogniser (recog.h) read more from a reply than its probe's matches:
 * a candidate answer, like a softmatch, that the job may still better. */
int svc_job_on_recog(svc_job *job, svc_lane *l, const ps_service_info *info);
void svc_job_seen_bytes(svc_job *job, svc_lane *l);
/* The service a reply must name to count, once a softmatch or a hard
 * match without a version named it; NULL before. */
const char *svc_job_only(const svc_job *job);
void svc_job_tls_ok(svc_job *job, svc_lane *l);
void svc_job_lane_done(svc_job *job, svc_lane *l, enum lane_end why);
void svc_job_expire(svc_job *job);
void svc_job_report_free(svc_job *job);

/* plan.c (besides ps_svc_plan) */
/* Is p the NULL probe (TCP, no payload)? */
int svc_is_null_probe(const ps_probe *p);
/* Start the job's TLS track (its plan built on first use): tls TRYING,
 * or FAILED when no probe is left for it. */
void svc_job_tls_begin(svc_job *job);

/* wait.c: waits for this job, from the host's measured RTT. */
int64_t svc_job_wait_us(const svc_job *job, const ps_probe *p);
int64_t svc_job_quiet_us(const svc_job *job);
int64_t svc_job_handshake_us(const svc_job *job);
/* A retrying job's: the reply wait for probe p (normal: what the first
 * pass would wait), and the patient wait of its NULL probe and handshake. */
int64_t svc_retry_wait_us(const svc_job *job, const ps_probe *p, int64_t normal);
int64_t svc_retry_patient_us(const svc_job *job);

#endif
