/* discover.c: host discovery with raw packets (include/pscan/discover.h),
 * and the entry point that picks it or the unprivileged fallback.
 *
 * Hosts go through a sliding window of WINDOW slots, in target order: a
 * host enters the window (its route is looked up, it is classed as local,
 * on-link or routed, and its first probes go out), stays while it is
 * unanswered, and leaves when it answers (up: the callback fires) or when
 * its last try has had its timeout (down).  Only unanswered hosts are asked
 * again, with exactly the probes of their first try.  The window advances
 * past its oldest host, so at most WINDOW hosts are in flight.
 *
 * Per host, what is sent depends on the way there (ps_route_lookup):
 *   this machine (local address or a route via lo)  nothing: up at once;
 *   on-link Ethernet (no gateway)   ARP (IPv4) / neighbour solicitation
 *                                   (IPv6) as link-layer frames, if those
 *                                   methods are on; else the IP methods;
 *   through a gateway               the IP methods.
 * IP probes go through the layer-3 sender (raw IP sockets): the kernel
 * routes them and resolves the next hop, on-link or not.  ARP and NDP go
 * out as frames on the interface (AF_PACKET, or libnet).  Every target must
 * leave by one interface, where the capture listens.
 *
 * Timeouts are TCP's RTO (RFC 6298) over the round trips of answers to
 * first tries (Karn: a retried host's answer cannot be timed), clamped to
 * [min_rtt, max_rtt]; before the first sample, initial_rtt.  A host costs
 * at most max_tries timeouts, so a run is bounded by the window arithmetic;
 * a deadline derived from it backs that up.
 *
 * Receiving runs on its own thread: ps_disc_parse + ps_disc_check validate
 * the answer (cookie or, for ARP/NDP, an outstanding solicitation), and it
 * is recorded in the host's slot under the lock.  Callbacks run on the
 * caller's thread, from the window scan, outside the lock. */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "discover_int.h"
#include "pscan/caps.h"
#include "pscan/clock.h"
#include "pscan/hostlimits.h"
#include "pscan/pacer.h"
#include "pscan/recv.h"
#include "pscan/route.h"
#include "pscan/sender.h"

enum {
    WINDOW = 1024,     /* hosts in flight */
    BATCH = 64,        /* frames per send call */
    NEW_PER_STEP = 64, /* hosts entering the window per scan of it */
};

struct slot {
    uint64_t host;
    ps_addr addr, src;
    unsigned kinds;     /* 1 << ps_disc_kind for each kind sent */
    int active, onlink, tries, up, fired;
    double last_sent;
    ps_discover_result res;
};

struct batch {
    uint8_t frames[BATCH][PS_DISC_FRAME_MAX];
    ps_frame f[BATCH];
    size_t n;
};

struct fired {
    uint64_t host;
    ps_discover_result res;
};

struct disc {
    const ps_disc_run *run;
    unsigned methods;
    const uint16_t *ports[PS_DK_COUNT]; /* per kind, NULL for ICMP/ARP/ND */
    size_t nports[PS_DK_COUNT];
    ps_disc_keys keys;

    /* The way out, opened for the first host that needs packets. */
    int open, ifindex;
    char ifname[PS_IFNAMSIZ];
    uint8_t mac[6];
    ps_sender *link, *l3;
    ps_recv *recv;
    ps_pacer pacer;
    struct batch lb, ib; /* link-layer and layer-3 frames */
    pthread_t th;
    int th_started;
    int recv_stop; /* atomic */
    int recv_err;  /* atomic */
    ps_err recv_e;

    pthread_mutex_t lock; /* slots, RTT, receiver counters */
    struct slot *slots;
    uint64_t lo, hi;
    ps_rtt rtt;
    struct fired *fire;
};

static const uint16_t default_syn[] = {443}, default_ack[] = {80}, default_udp[] = {40125};

/* ---- sending ------------------------------------------------------------ */

static int flush(struct batch *b, ps_sender *s, ps_err *e)
{
    if (!b->n) return PS_OK;
    size_t n = b->n;
    b->n = 0;
    return ps_sender_send(s, b->f, n, e);
}

static int queue(struct disc *d, int link, enum ps_disc_kind kind, const struct slot *s, uint16_t port,
                 ps_err *e)
{
    struct batch *b = link ? &d->lb : &d->ib;
    if (b->n == BATCH) {
        int r = flush(b, link ? d->link : d->l3, e);
        if (r) return r;
    }
    uint8_t *f = b->frames[b->n];
    size_t len = ps_disc_build(&d->keys, kind, &s->src, d->mac, &s->addr, port, f, PS_DISC_FRAME_MAX);
    if (!len) return PS_OK; /* the kind does not apply to this family */
    b->f[b->n++] = (ps_frame){f, (uint32_t)len};
    return PS_OK;
}

static size_t probes_of(const struct disc *d, unsigned kinds)
{
    size_t n = 0;
    for (int k = 0; k < PS_DK_COUNT; k++)
        if (kinds & (1u << k)) n += d->ports[k] ? d->nports[k] : 1;
    return n;
}

/* One try for a host: every probe of its kinds.  The slot's try count and
 * send time are updated under the lock, before the frames leave. */
static int send_try(struct disc *d, uint64_t idx, ps_err *e)
{
    const ps_disc_run *run = d->run;
    struct slot *s = &d->slots[idx % WINDOW];
    size_t want = probes_of(d, s->kinds);
    for (size_t got = 0; got < want && !ps_disc_stopping(run);)
        got += ps_pacer_acquire(&d->pacer, (uint32_t)(want - got));
    pthread_mutex_lock(&d->lock);
    int first = s->tries == 0;
    s->tries++;
    s->last_sent = ps_mono_s();
    pthread_mutex_unlock(&d->lock);
    for (int k = 0; k < PS_DK_COUNT; k++) {
        if (!(s->kinds & (1u << k))) continue;
        int link = k == PS_DK_ARP || k == PS_DK_ND;
        size_t np = d->ports[k] ? d->nports[k] : 1;
        for (size_t i = 0; i < np; i++) {
            int r = queue(d, link, (enum ps_disc_kind)k, s, d->ports[k] ? d->ports[k][i] : 0, e);
            if (r) return r;
        }
    }
    if (first) run->st->sent += want;
    else run->st->resent += want;
    return PS_OK;
}

/* ---- receiving ---------------------------------------------------------- */

static void on_packet(void *ctx, const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
                      const struct timeval *ts)
{
    struct disc *d = ctx;
    ps_disc_reply r;
    (void)wirelen;
    (void)ts;
    if (!ps_disc_parse(pkt, caplen, &r)) return;
    int kind = ps_disc_check(&d->keys, &r);
    uint64_t idx = 0;
    int known = kind >= 0 && ps_targets_index(d->run->t, &r.host, &idx);
    double now = ps_mono_s();
    pthread_mutex_lock(&d->lock);
    ps_discover_stats *st = d->run->st;
    struct slot *s = &d->slots[idx % WINDOW];
    if (kind < 0) {
        st->bad_cookie++;
    } else if (!known || !s->active || s->host != idx || !(s->kinds & (1u << kind)) ||
               ps_addr_cmp(&r.us, &s->src) != 0 ||
               ((kind == PS_DK_ARP || kind == PS_DK_ND) && memcmp(r.eth_dst, d->mac, 6) != 0)) {
        st->stray++; /* not (or no longer) asked for, or not to us */
    } else {
        st->replies++;
        if (!s->up) {
            s->up = 1;
            s->res = (ps_discover_result){.addr = s->addr, .up = 1, .reason = r.reason, .ttl = r.ttl,
                                          .rtt_s = now - s->last_sent};
            if (s->onlink) {
                memcpy(s->res.mac, r.mac, 6);
                s->res.has_mac = 1;
            }
            if (s->tries == 1) ps_rtt_sample(&d->rtt, s->res.rtt_s);
        }
    }
    pthread_mutex_unlock(&d->lock);
}

static void *recv_main(void *arg)
{
    struct disc *d = arg;
    while (!__atomic_load_n(&d->recv_stop, __ATOMIC_ACQUIRE)) {
        int got = 0;
        if (ps_recv_next_batch(d->recv, on_packet, d, 256, 5, &got, &d->recv_e)) {
            __atomic_store_n(&d->recv_err, 1, __ATOMIC_RELEASE);
            break;
        }
    }
    return NULL;
}

/* ---- set-up ------------------------------------------------------------- */


/* Senders and capture on the interface of the first host that needs them. */
static int open_path(struct disc *d, const ps_route *rt, ps_err *e)
{
    d->open = 1;
    d->ifindex = rt->ifindex;
    snprintf(d->ifname, sizeof d->ifname, "%s", rt->ifname);
    snprintf(d->run->st->ifname, sizeof d->run->st->ifname, "%s", rt->ifname);
    memcpy(d->mac, rt->src_mac, 6);
    ps_sender_cfg sc = {.ifindex = rt->ifindex, .ifname = d->ifname, .batch = BATCH};
    int r;
    if (d->methods & (PS_PING_ARP | PS_PING_ND) && (r = ps_sender_open_link(&sc, &d->link, e))) return r;
    if (d->methods & ~(unsigned)(PS_PING_ARP | PS_PING_ND) && (r = ps_sender_open_l3(&sc, &d->l3, e))) return r;
    char filter[256];
    snprintf(filter, sizeof filter,
             "(arp and arp[6:2] == 2) or icmp or icmp6 or ((tcp or udp) and dst portrange %u-%u)",
             d->keys.sport_lo, d->keys.sport_lo + PS_DISC_SPORT_SPAN - 1);
    ps_recv_cfg rc = {.ifname = d->ifname, .filter = filter, .buffer_mb = 4, .inbound_only = 1};
    if ((r = ps_recv_open(&rc, &d->recv, e))) return r;
    if (ps_recv_datalink(d->recv) != DLT_EN10MB)
        return ps_fail(e, PS_ERUNTIME, "discovery: %s is not an Ethernet interface", d->ifname);
    if (pthread_create(&d->th, NULL, recv_main, d) != 0)
        return ps_fail(e, PS_ERUNTIME, "cannot start the discovery receiver thread");
    d->th_started = 1;
    return PS_OK;
}

static int route_of(const struct disc *d, const ps_addr *a, ps_route *rt, ps_err *e)
{
    const ps_discover_opts *o = d->run->o;
    ps_route_opts ro = {.ifname = o->iface, .skip_neigh = 1};
    if (o->source_ip && o->source_ip->family == a->family) ro.source = o->source_ip;
    return ps_route_lookup(a, &ro, rt, e);
}

/* Bring host idx into the window: classify it and send its first try. */
static int activate(struct disc *d, uint64_t idx, ps_err *e)
{
    const ps_disc_run *run = d->run;
    struct slot n = {.host = idx};
    ps_targets_get(run->t, idx, &n.addr);
    ps_route rt;
    ps_err why;
    int local = ps_localinfo_is_local(run->li, &n.addr);
    if (!local) {
        int r = route_of(d, &n.addr, &rt, &why);
        if (r == PS_EINPUT) {
            *e = why;
            return r;
        }
        if (r) { /* no route (or not a usable one): down, nothing sent */
            if (!run->st->unrouted++)
                snprintf(run->st->unrouted_why, sizeof run->st->unrouted_why, "%.159s", why.msg);
        } else if (rt.is_loopback) {
            local = 1;
        } else {
            if (!d->open && (r = open_path(d, &rt, e))) return r;
            if (rt.ifindex != d->ifindex) {
                char a[PS_ADDRSTRLEN];
                return ps_fail(e, PS_EINPUT, "targets leave by different interfaces (%s for %s, not %s): "
                               "discover them separately or choose one with -e", rt.ifname,
                               ps_addr_str(&n.addr, a, sizeof a), d->ifname);
            }
            n.src = rt.src;
            n.onlink = !rt.has_gateway;
            int v4 = n.addr.family == AF_INET;
            if (n.onlink && v4 && (d->methods & PS_PING_ARP)) n.kinds = 1u << PS_DK_ARP;
            else if (n.onlink && !v4 && (d->methods & PS_PING_ND)) n.kinds = 1u << PS_DK_ND;
            else {
                if (d->methods & PS_PING_ECHO) n.kinds |= 1u << PS_DK_ECHO;
                if (v4 && (d->methods & PS_PING_TIMESTAMP)) n.kinds |= 1u << PS_DK_TIMESTAMP;
                if (d->methods & PS_PING_SYN) n.kinds |= 1u << PS_DK_SYN;
                if (d->methods & PS_PING_ACK) n.kinds |= 1u << PS_DK_ACK;
                if (d->methods & PS_PING_UDP) n.kinds |= 1u << PS_DK_UDP;
            }
            n.active = n.kinds != 0;
        }
    }
    if (local) {
        n.active = n.up = 1;
        n.res = (ps_discover_result){.addr = n.addr, .up = 1, .reason = "localhost-response", .ttl = -1};
        run->st->local++;
    }
    pthread_mutex_lock(&d->lock);
    d->slots[idx % WINDOW] = n;
    pthread_mutex_unlock(&d->lock);
    return n.active && !n.up ? send_try(d, idx, e) : PS_OK;
}

/* All targets of a family must leave by one interface: compare the routes
 * of its first and last address up front, so a mix fails before anything
 * is sent (the per-host check catches what lies between). */
static int precheck(struct disc *d, ps_err *e)
{
    const ps_targets *t = d->run->t;
    uint64_t n = d->run->n, last4 = 0;
    int has4 = 0;
    ps_addr a;
    for (uint64_t lo = 0, hi = n; lo < hi;) { /* IPv4 comes first */
        uint64_t mid = lo + (hi - lo) / 2;
        ps_targets_get(t, mid, &a);
        if (a.family == AF_INET) last4 = mid, has4 = 1, lo = mid + 1;
        else hi = mid;
    }
    uint64_t ends[4] = {0, last4, has4 ? last4 + 1 : 0, n - 1};
    int ifindex = 0;
    char first_if[PS_IFNAMSIZ] = "";
    for (int i = 0; i < 4; i++) {
        if (ends[i] >= n) continue;
        ps_targets_get(t, ends[i], &a);
        ps_route rt;
        ps_err why;
        if (ps_localinfo_is_local(d->run->li, &a)) continue;
        int r = route_of(d, &a, &rt, &why);
        if (r == PS_EINPUT) {
            *e = why;
            return r;
        }
        if (r || rt.is_loopback) continue;
        if (!ifindex) {
            ifindex = rt.ifindex;
            snprintf(first_if, sizeof first_if, "%s", rt.ifname);
        } else if (rt.ifindex != ifindex) {
            char s[PS_ADDRSTRLEN];
            return ps_fail(e, PS_EINPUT, "targets leave by different interfaces (%s and %s for %s): "
                           "discover them separately or choose one with -e", first_if, rt.ifname,
                           ps_addr_str(&a, s, sizeof s));
        }
    }
    return PS_OK;
}

/* ---- the window ---------------------------------------------------------- */

/* One pass over the window: collect answered hosts, retire finished ones,
 * resend to the due ones, admit new ones.  *wake: when something is due;
 * *busy: there was work, look again at once; *done: every host decided.
 * Returns PS_OK or the error of a send or a route. */
static int step(struct disc *d, double *wake, int *busy, int *done, ps_err *e)
{
    const ps_disc_run *run = d->run;
    double now = ps_mono_s();
    int stopping = ps_disc_stopping(run);
    uint64_t resend[WINDOW];
    size_t nfire = 0, nres = 0;
    *wake = now + 0.005;
    pthread_mutex_lock(&d->lock);
    double rto = ps_rtt_timeout(&d->rtt);
    for (uint64_t i = d->lo; i < d->hi; i++) {
        struct slot *s = &d->slots[i % WINDOW];
        if (!s->active) continue;
        if (s->up) {
            if (!s->fired) {
                d->fire[nfire++] = (struct fired){s->host, s->res};
                s->fired = 1;
            }
            s->active = 0;
            continue;
        }
        double due = s->last_sent + rto;
        if (stopping || (now >= due && s->tries >= run->max_tries)) s->active = 0; /* down */
        else if (now >= due) resend[nres++] = i;
        else if (due < *wake) *wake = due;
    }
    while (d->lo < d->hi && !d->slots[d->lo % WINDOW].active) d->lo++;
    run->st->rto_s = rto;
    pthread_mutex_unlock(&d->lock);

    for (size_t i = 0; i < nfire; i++) {
        run->st->up++;
        if (run->cb) run->cb(run->ctx, d->fire[i].host, &d->fire[i].res);
    }
    int r;
    for (size_t i = 0; i < nres; i++)
        if ((r = send_try(d, resend[i], e))) return r;
    for (int k = 0; k < NEW_PER_STEP && !stopping && d->hi < run->n && d->hi - d->lo < WINDOW; k++)
        if ((r = activate(d, d->hi++, e))) return r;
    if (d->link && (r = flush(&d->lb, d->link, e))) return r;
    if (d->l3 && (r = flush(&d->ib, d->l3, e))) return r;
    *done = d->lo >= run->n || (stopping && d->lo >= d->hi);
    *busy = nfire || nres || (d->hi < run->n && d->hi - d->lo < WINDOW && !stopping);
    return PS_OK;
}

static int raw_run(const ps_disc_run *run, ps_err *e)
{
    const ps_discover_opts *o = run->o;
    struct disc *d = calloc(1, sizeof *d);
    if (!d) return ps_fail(e, PS_ERUNTIME, "out of memory");
    d->run = run;
    d->rtt = run->rtt;
    d->methods = o->methods ? o->methods & PS_PING_ALL : PS_PING_DEFAULT;
    d->ports[PS_DK_SYN] = o->syn_ports.ntcp ? o->syn_ports.tcp : default_syn;
    d->nports[PS_DK_SYN] = o->syn_ports.ntcp ? o->syn_ports.ntcp : 1;
    d->ports[PS_DK_ACK] = o->ack_ports.ntcp ? o->ack_ports.tcp : default_ack;
    d->nports[PS_DK_ACK] = o->ack_ports.ntcp ? o->ack_ports.ntcp : 1;
    d->ports[PS_DK_UDP] = o->udp_ports.nudp ? o->udp_ports.udp : o->udp_ports.ntcp ? o->udp_ports.tcp : default_udp;
    d->nports[PS_DK_UDP] = o->udp_ports.nudp ? o->udp_ports.nudp : o->udp_ports.ntcp ? o->udp_ports.ntcp : 1;
    pthread_mutex_init(&d->lock, NULL);
    int r = PS_OK;
    d->slots = calloc(WINDOW, sizeof *d->slots);
    d->fire = calloc(WINDOW, sizeof *d->fire);
    if (!d->slots || !d->fire) r = ps_fail(e, PS_ERUNTIME, "out of memory");
    if (!r) r = ps_cookie_key_random(&d->keys.key, e);
    d->keys.sport_lo = ps_sport_base(PS_DISC_SPORT_SPAN);
    if (!r) r = ps_pacer_init(&d->pacer, o->max_rate > 0 ? (uint64_t)o->max_rate : 0, BATCH, e);
    if (!r) r = precheck(d, e);
    while (!r) {
        if (__atomic_load_n(&d->recv_err, __ATOMIC_ACQUIRE)) {
            r = ps_fail(e, PS_ERUNTIME, "discovery receiver: %s", d->recv_e.msg);
            break;
        }
        double wake;
        int busy = 0, done = 0;
        r = step(d, &wake, &busy, &done, e);
        if (r || done) break;
        if (busy) continue;
        double left = wake - ps_mono_s();
        if (left > 0.002) left = 0.002;
        if (left > 0) {
            struct timespec ts = {0, (long)(left * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    if (d->th_started) {
        __atomic_store_n(&d->recv_stop, 1, __ATOMIC_RELEASE);
        pthread_join(d->th, NULL);
    }
    ps_sender_close(d->link);
    ps_sender_close(d->l3);
    if (d->recv) ps_recv_close(d->recv);
    pthread_mutex_destroy(&d->lock);
    free(d->slots);
    free(d->fire);
    free(d);
    return r;
}

/* ---- entry points --------------------------------------------------------- */

void ps_discover_opts_default(ps_discover_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_retries = -1;
}

int ps_discover_privileged(void)
{
    return ps_can_raw(NULL) == PS_OK;
}

int ps_discover_run_stats(const ps_discover_opts *o, const ps_targets *t, ps_discover_cb cb,
                          void *ctx, volatile sig_atomic_t *stop, ps_discover_stats *st,
                          ps_err *e)
{
    ps_discover_stats local_st;
    if (!st) st = &local_st;
    memset(st, 0, sizeof *st);
    if (!o || !t) return ps_fail(e, PS_EINPUT, "discovery: no options or no targets");
    if (o->methods & ~PS_PING_ALL) return ps_fail(e, PS_EINPUT, "discovery: unknown method bits 0x%x", o->methods);
    if (o->max_rate < 0) return ps_fail(e, PS_EINPUT, "discovery: negative --max-rate");
    ps_disc_run run = {.o = o, .t = t, .cb = cb, .ctx = ctx, .stop = stop, .st = st};
    run.n = ps_targets_count(t);
    st->hosts = run.n;
    int retries = o->max_retries < 0 ? 2 : o->max_retries > 50 ? 50 : o->max_retries;
    run.max_tries = retries + 1;
    if (o->min_rtt_ms > 0 && o->max_rtt_ms > 0 && o->min_rtt_ms > o->max_rtt_ms)
        return ps_fail(e, PS_EINPUT, "discovery: min RTT above max RTT");
    ps_rtt_init_ms(&run.rtt, o->initial_rtt_ms, o->min_rtt_ms, o->max_rtt_ms);
    double start = ps_mono_s();
    /* Every host leaves the window within max_tries timeouts; windows
     * overlap, so this is generous.  Sending at max_rate adds its time. */
    double per_window = run.max_tries * run.rtt.max_s + 1.0;
    run.deadline = start + ((double)run.n / WINDOW + 1) * per_window + 10;
    if (o->max_rate > 0) run.deadline += (double)run.n * 8 * (retries + 1) / o->max_rate;
    if (!run.n) return PS_OK;
    run.li = ps_localinfo_new(e);
    if (!run.li) return PS_ERUNTIME;
    int r;
    if (o->unprivileged || !ps_discover_privileged()) {
        st->unprivileged = 1;
        r = ps_disc_connect_run(&run, e);
    } else {
        r = raw_run(&run, e);
    }
    ps_localinfo_free(run.li);
    st->elapsed_s = ps_mono_s() - start;
    return r;
}

int ps_discover_run(const ps_discover_opts *o, const ps_targets *t, ps_discover_cb cb, void *ctx,
                    volatile sig_atomic_t *stop, ps_err *e)
{
    return ps_discover_run_stats(o, t, cb, ctx, stop, NULL, e);
}
