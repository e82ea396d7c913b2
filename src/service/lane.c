/* lane.c: one connection carrying one probe, as a small state machine.
 *
 *   CONNECT -> (HANDSHAKE, TLS only) -> SEND (skipped for an empty payload)
 *           -> READ -> closed
 *
 * Each state has a deadline in the engine's timer heap.  READ ends at the
 * first of: a hard match (the job is done), end of stream, reset, the
 * reply buffer full (opts.max_reply), the reply wait (scaled from the RTT,
 * capped by the probe's totalwaitms), or a quiet period after the last
 * bytes (a reply that has stopped coming is complete; we need not wait out
 * the full wait).  Bytes are matched as they come, but only each time the
 * buffer has grown by half since the last try (and once at the end), so a
 * server trickling one byte at a time costs O(log size) match passes, not
 * one per byte.  Reads per readiness event are bounded for fairness.
 *
 * A lane reports how it ended to its job (job.c) and then is closed; its
 * memory lives until the end of the loop iteration (the reap), because
 * epoll events already fetched may still point at it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/epoll.h>

#include "pscan/recog.h"

#include "svc.h"

#define LANE_READS_PER_EVENT 32
#define LANE_BUF_FIRST 2048

static socklen_t job_sockaddr(const svc_job *job, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    const ps_addr *a = &job->r.addr;
    if (a->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(job->r.port);
        s4->sin_addr.s_addr = htonl(a->u.v4);
        return sizeof *s4;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(job->r.port);
    memcpy(&s6->sin6_addr, a->u.v6, 16);
    return sizeof *s6;
}

static void lane_watch(svc_lane *l, int want)
{
    uint32_t ev = 0;
    if (want & PS_WANT_READ)
        ev |= EPOLLIN;
    if (want & PS_WANT_WRITE)
        ev |= EPOLLOUT;
    if (!ev)
        ev = EPOLLIN;
    if (ev == l->ev)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = l};
    if (epoll_ctl(l->eng->epfd, l->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, l->c.fd, &e) == 0)
        l->ev = ev;
}

static void lane_arm(svc_lane *l)
{
    int64_t w = l->deadline;
    if (l->quiet && l->quiet < w)
        w = l->quiet;
    if (w > l->job->deadline)
        w = l->job->deadline;
    l->wake = w;
    svc_heap_set(l->eng, l);
}

/* Try the matches on what has arrived; 1 when that finished the job. */
static int lane_match(svc_lane *l)
{
    svc_job *job = l->job;
    if (l->len == 0 || l->len == l->matched_at || job->done)
        return 0;
    ps_service_info info, rec;
    const char *only = svc_job_only(job);
    int rc = ps_probe_match(l->eng->db, l->probe, l->buf, l->len, only, &info);
    /* The recognisers read every reply too; the more specific answer wins
     * (a tie goes to the probe file's match, which is the product's own). */
    int rl = ps_recog(l->buf, l->len, job->r.proto, &rec);
    if (rl && only && strcmp(rec.service, only) != 0) rl = 0;
    /* A match naming TLS ("ssl", "ssl/http") knows how the service is
     * wrapped, which no recogniser does: it stands. */
    if (rc > 0 && strncasecmp(info.service, "ssl", 3) == 0) rl = 0;
    l->matched_at = l->len;
    if (rl > (rc > 0 ? ps_info_level(&info) : 0)) return svc_job_on_recog(job, l, &rec);
    return svc_job_on_match(job, l, rc, &info);
}

/* The lane is over: last match, close, tell the job. */
static const char *const end_words[] = {
    [END_REPLY] = "reply over", [END_EOF] = "closed by the peer", [END_RESET] = "reset",
    [END_CONNFAIL] = "connect failed", [END_HSFAIL] = "TLS handshake failed",
};

static void lane_end(svc_lane *l, enum lane_end why)
{
    svc_job *job = l->job;
    if (lane_match(l))
        return; /* the job finished and closed us */
    if (l->st == LANE_DEAD)
        return;
    svc_trace(l, "%s (%s), %zu bytes in all", end_words[why], l->c.err ? strerror(l->c.err) : "no error", l->len);
    svc_lane_close(l);
    svc_job_lane_done(job, l, why);
}

static void lane_read(svc_lane *l)
{
    struct ps_svc_engine *eng = l->eng;
    int got = 0, full = 0;
    for (int i = 0; i < LANE_READS_PER_EVENT; i++) {
        if (l->len >= eng->o.max_reply) {
            full = 1;
            break;
        }
        if (l->len == l->cap) {
            size_t ncap = l->cap ? l->cap * 2 : LANE_BUF_FIRST;
            if (ncap > eng->o.max_reply)
                ncap = eng->o.max_reply;
            uint8_t *nb = realloc(l->buf, ncap);
            if (!nb) {
                full = 1;
                break;
            }
            l->buf = nb;
            l->cap = ncap;
        }
        ssize_t n = l->c.t->read(&l->c, l->buf + l->len, l->cap - l->len);
        if (n > 0) {
            l->len += (size_t)n;
            got = 1;
            continue;
        }
        if (n == 0)
            l->eof = 1;
        else if (n == PS_IO_ERR)
            l->reset = 1;
        else
            lane_watch(l, l->c.want);
        break;
    }
    if (got && !l->t_first) {
        l->t_first = eng->now;
        svc_trace(l, "%zu bytes, %.1f ms after %s", l->len, (double)(l->t_first - l->t_wait) / 1000.0,
                  l->sent ? "the probe" : "the connect");
        svc_flow_first_byte(l);
    }
    if (got)
        svc_job_seen_bytes(l->job, l);
    if (l->st == LANE_DEAD)
        return; /* seeing TLS bytes may have cancelled this plain lane */
    if (got && (l->matched_at == 0 || l->len >= l->matched_at + l->matched_at / 2) &&
        lane_match(l))
        return;
    if (l->eof || l->reset || full) {
        lane_end(l, l->eof ? END_EOF : l->reset ? END_RESET : END_REPLY);
        return;
    }
    if (got) {
        l->quiet = eng->now + svc_job_quiet_us(l->job);
        lane_arm(l);
    }
}

static void lane_begin_read(svc_lane *l)
{
    l->st = LANE_READ;
    l->t_wait = l->eng->now;
    l->deadline = l->eng->now + svc_job_wait_us(l->job, l->probe);
    l->quiet = 0;
    lane_watch(l, PS_WANT_READ);
    lane_arm(l);
    lane_read(l); /* TLS may hold decrypted bytes already; plain gets EAGAIN */
}

static void lane_send(svc_lane *l)
{
    size_t plen = 0;
    const uint8_t *payload = ps_probe_payload(l->probe, &plen);
    while (l->sent < plen) {
        ssize_t n = l->c.t->write(&l->c, payload + l->sent, plen - l->sent);
        if (n > 0) {
            l->sent += (size_t)n;
            continue;
        }
        if (n == PS_IO_AGAIN) {
            lane_watch(l, l->c.want);
            return;
        }
        /* The peer went away before taking the probe: what it said (if
         * anything) is still worth reading. */
        l->reset = 1;
        lane_read(l);
        if (l->st != LANE_DEAD)
            lane_end(l, END_RESET);
        return;
    }
    lane_begin_read(l);
}

static void lane_ready(svc_lane *l)
{
    if (l->track == 1) {
        svc_trace(l, "TLS up after %.1f ms", (double)(l->eng->now - l->t_conn) / 1000.0);
        svc_job_tls_ok(l->job, l);
    }
    if (l->st == LANE_DEAD || l->job->done)
        return;
    size_t plen = 0;
    ps_probe_payload(l->probe, &plen);
    if (plen == 0) {
        lane_begin_read(l);
        return;
    }
    l->st = LANE_SEND;
    l->sent = 0;
    l->deadline = l->eng->now + svc_job_wait_us(l->job, l->probe);
    lane_arm(l);
    lane_send(l);
}

static void lane_connected(svc_lane *l)
{
    struct ps_svc_engine *eng = l->eng;
    l->t_conn = eng->now;
    int64_t rtt = l->t_conn - l->t_open;
    if (rtt < 1)
        rtt = 1;
    if (!l->job->host->rtt_us || rtt < l->job->host->rtt_us)
        l->job->host->rtt_us = rtt;
    if (!l->job->rtt_us || rtt < l->job->rtt_us)
        l->job->rtt_us = rtt;
    l->job->connected_once = 1;
    svc_trace(l, "connected in %.1f ms", (double)rtt / 1000.0);
    svc_flow_connected(l);
    if (l->track == 1) {
        l->st = LANE_HANDSHAKE;
        l->deadline = eng->now + svc_job_handshake_us(l->job);
        lane_arm(l);
    }
}

static void lane_progress(svc_lane *l)
{
    int rc = l->c.t->handshake(&l->c);
    if (l->c.connected && !l->t_conn)
        lane_connected(l);
    if (rc == PS_IO_AGAIN) {
        lane_watch(l, l->c.want);
        return;
    }
    if (rc == PS_IO_ERR) {
        lane_end(l, l->t_conn ? END_HSFAIL : END_CONNFAIL);
        return;
    }
    lane_ready(l);
}

static int local_failure(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM ||
           err == EADDRNOTAVAIL || err == EAGAIN;
}

int svc_lane_start(svc_job *job, int track)
{
    struct ps_svc_engine *eng = job->eng;
    svc_track *tr = &job->tr[track];
    svc_lane *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    l->eng = eng;
    l->job = job;
    l->track = track;
    l->heap_i = SIZE_MAX;
    l->plan_i = tr->next;
    l->probe = tr->plan[tr->next];
    const ps_transport *t = job->r.proto == PS_UDP ? &ps_transport_udp
                            : track == 1           ? &ps_transport_tls
                                                   : &ps_transport_tcp;
    ps_conn_init(&l->c, t);
    l->c.tls_ctx = eng->tls;
    l->c.sni = job->sni;
    l->t_open = eng->now;

    struct sockaddr_storage ss;
    socklen_t sl = job_sockaddr(job, &ss);
    int rc = t->open(&l->c, (struct sockaddr *)&ss, sl);
    if (rc == PS_IO_ERR && local_failure(l->c.err)) {
        t->close(&l->c);
        free(l);
        return -1;
    }
    /* From here the lane counts, whatever happens next. */
    tr->next++;
    tr->lanes++;
    job->nlanes++;
    job->host->nlanes++;
    eng->nlanes++;
    l->next = job->lanes;
    if (job->lanes)
        job->lanes->prev = l;
    job->lanes = l;
    l->st = LANE_CONNECT;
    l->deadline = eng->now + (int64_t)eng->o.connect_timeout_ms * 1000 * (job->pass ? 2 : 1);
    if ((l->retry = job->pass))
        eng->nretry++, job->host->nretry++;

    if (rc == PS_IO_ERR) {
        lane_end(l, END_CONNFAIL);
        return 0;
    }
    lane_arm(l);
    if (rc == PS_IO_AGAIN) {
        lane_watch(l, l->c.want);
        return 0;
    }
    lane_progress(l); /* connected at once (UDP, sometimes loopback) */
    return 0;
}

void svc_lane_event(svc_lane *l, uint32_t events)
{
    (void)events;
    switch (l->st) {
    case LANE_CONNECT:
    case LANE_HANDSHAKE:
        lane_progress(l);
        break;
    case LANE_SEND:
        lane_send(l);
        break;
    case LANE_READ:
        lane_read(l);
        break;
    case LANE_DEAD:
        break;
    }
}

void svc_lane_timeout(svc_lane *l)
{
    svc_job *job = l->job;
    if (l->eng->now >= job->deadline) {
        svc_job_expire(job);
        return;
    }
    switch (l->st) {
    case LANE_CONNECT:
        l->c.err = ETIMEDOUT;
        lane_end(l, END_CONNFAIL);
        break;
    case LANE_HANDSHAKE:
        l->c.err = ETIMEDOUT;
        lane_end(l, END_HSFAIL);
        break;
    case LANE_SEND:
    case LANE_READ:
        lane_end(l, END_REPLY);
        break;
    case LANE_DEAD:
        break;
    }
}
