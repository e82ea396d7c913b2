/* syn_setup.c: what the SYN engine holds while it runs, opened and closed.
 *
 * The probe order (the permutation of the shard's slice, with its seed),
 * a path out per address family (route, packet template, sender, and a
 * second sender for the helper thread on big scans), the capture with a
 * filter for our source ports only, and the pacer.  Every target of a
 * family must leave by the same interface: pscan checks the first and the
 * last of each and refuses otherwise. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "pscan/clock.h"
#include "pscan/hostlimits.h"

#include "syn_int.h"

/* Route, template and sender for one family, from its first target; every
 * other range of that family must leave the same way. */
static int open_path(struct syn *s, struct path *p, const ps_addr *first, ps_err *e)
{
    ps_route_opts ro = {.ifname = s->cfg->iface};
    if (s->cfg->has_source_ip && s->cfg->source_ip.family == first->family) ro.source = &s->cfg->source_ip;
    int r = ps_route_lookup(first, &ro, &p->route, e);
    if (r) return r;
    ps_template_opts to = {.link = PS_LINK_ETHERNET, .src = p->route.src};
    memcpy(to.src_mac, p->route.src_mac, 6);
    memcpy(to.dst_mac, p->route.nexthop_mac, 6);
    if (getrandom(&to.entropy, sizeof to.entropy, 0) != sizeof to.entropy) to.entropy = (uint64_t)ps_mono_s();
    if ((r = ps_template_build(&p->tpl, &to, e))) return r;

    ps_sender_cfg sc = {.ifindex = p->route.ifindex, .ifname = p->route.ifname, .batch = BATCH};
    /* Raw IP when the kernel must route or resolve for us: IPv4 over lo,
     * and on-link targets, each of which has its own MAC. */
    int onlink_many = !p->route.has_gateway && !p->route.is_loopback;
    if (p->route.inject_l3 || onlink_many) {
        r = ps_sender_open_l3(&sc, &p->sender, e);
    } else {
        r = ps_sender_open_link(&sc, &p->sender, e);
        /* A second handle for the helper thread, when the back-end gains
         * from one, the scan is big enough to be worth a thread and there
         * is a second CPU. */
        ps_err ignore;
        if (!r && p->sender->ops->parallel && s->count >= HELPER_MIN && sysconf(_SC_NPROCESSORS_ONLN) > 1 &&
            p->sender->ops->open(&sc, &p->sender2, &ignore) != PS_OK)
            p->sender2 = NULL;
    }
    if (r) return r;
    p->ready = 1;
    return PS_OK;
}

/* The probe order: the permutation of hosts x ports, the shard's slice
 * of it, the chunks, the cookie key and the source ports. */
static int setup_order(struct syn *s, ps_err *e)
{
    uint64_t n = ps_targets_count(s->ctx->targets);
    int r;
    s->nports = s->ctx->ports->ntcp;
    s->total = n * s->nports;
    if (s->nports && s->total / s->nports != n)
        return ps_fail(e, PS_EINPUT, "%llu hosts x %llu ports is too many probes to count",
                       (unsigned long long)n, (unsigned long long)s->nports);
    ps_permute_init(&s->perm, s->total, s->ctx->seed);
    if ((r = ps_shard_range(s->total, s->cfg->shard, s->cfg->nshards ? s->cfg->nshards : 1,
                            &s->first, &s->count, e)))
        return r;
    if ((r = ps_cookie_key_random(&s->key, e))) return r;
    s->nchunks = (s->count + CHUNK - 1) / CHUNK;
    /* Loss (scan_syn.c): fewer than 0.05 open ports expected missing in
     * the whole scan (a 5% chance of missing one), shared among the chunks. */
    s->max_extra = s->cfg->loss_retries < 0 ? 10 : s->cfg->loss_retries;
    s->extra_time = (s->cfg->loss_time_ms > 0 ? s->cfg->loss_time_ms : 10000) / 1000.0;
    s->hidden_ok = 0.05 / (double)(s->nchunks ? s->nchunks : 1);
    /* --resume: positions before resume_from were finished last time. */
    s->skip_below = s->ctx->resume_from < s->count ? s->ctx->resume_from : s->count;
    s->next_chunk = s->skip_below / CHUNK;
    if (s->skip_below == s->count) s->next_chunk = s->nchunks;
    s->resume_at = UINT64_MAX;
    s->sport_lo = ps_sport_base(SPORT_SPAN);

    s->port_index = calloc(65536, sizeof *s->port_index);
    s->chunks = calloc(NCHUNKS, sizeof *s->chunks);
    if (!s->port_index || !s->chunks) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t i = 0; i < s->nports; i++) s->port_index[s->ctx->ports->tcp[i]] = (uint32_t)i + 1;
    return PS_OK;
}

/* The paths out: IPv4 targets come first in the set, IPv6 after; each
 * family's first and last target must leave by one interface. */
static int setup_paths(struct syn *s, ps_err *e)
{
    const ps_targets *t = s->ctx->targets;
    uint64_t n = ps_targets_count(t);
    int r;
    ps_addr a;
    ps_targets_get(t, 0, &a);
    if (a.family == AF_INET && (r = open_path(s, &s->v4, &a, e))) return r;
    ps_targets_get(t, n - 1, &a);
    if (a.family == AF_INET6 && (r = open_path(s, &s->v6, &a, e))) return r;
    if (s->v4.ready && s->v6.ready && s->v4.route.ifindex != s->v6.route.ifindex)
        return ps_fail(e, PS_EINPUT, "IPv4 targets leave by %s and IPv6 targets by %s: scan them separately",
                       s->v4.route.ifname, s->v6.route.ifname);
    /* The last address of each family must take the same way out. */
    for (int fam = 0; fam < 2; fam++) {
        const struct path *p = fam ? &s->v6 : &s->v4;
        if (!p->ready) continue;
        ps_route other;
        ps_err ignore;
        ps_route_opts ro = {.ifname = s->cfg->iface};
        uint64_t idx = fam ? n - 1 : 0;
        if (!fam) /* last IPv4 target */
            for (uint64_t lo = 0, hi = n; lo < hi;) {
                uint64_t mid = lo + (hi - lo) / 2;
                ps_targets_get(t, mid, &a);
                if (a.family == AF_INET) idx = mid, lo = mid + 1;
                else hi = mid;
            }
        ps_targets_get(t, idx, &a);
        if (ps_route_lookup(&a, &ro, &other, &ignore) == PS_OK && other.ifindex != p->route.ifindex) {
            char x[PS_ADDRSTRLEN];
            return ps_fail(e, PS_EINPUT, "targets leave by different interfaces (%s for %s, %s for %s): "
                           "scan them separately or choose one with -e", p->route.ifname,
                           ps_addr_str(&p->route.dst, x, sizeof x), other.ifname, ps_addr_str(&a, x, sizeof x));
        }
    }
    return PS_OK;
}

/* The capture, for answers to our source ports only, and the pacer. */
static int setup_capture(struct syn *s, ps_err *e)
{
    const struct path *any = s->v4.ready ? &s->v4 : &s->v6;
    int r;
    char filter[512];
    if ((r = ps_recv_filter_replies(filter, sizeof filter, s->v4.ready && s->v6.ready ? 0 : any->route.dst.family,
                                    s->cfg->source_port ? (uint16_t)s->cfg->source_port : s->sport_lo,
                                    s->cfg->source_port ? (uint16_t)s->cfg->source_port
                                                        : (uint16_t)(s->sport_lo + SPORT_SPAN - 1), e)))
        return r;
    /* The capture ring absorbs bursts of replies while the receiver thread
     * is not running: 4 MiB holds ~30 ms at a million replies a second.  It
     * counts in our resident memory, and a big one costs ~40 ms to set up. */
    ps_recv_cfg rc = {.ifname = any->route.ifname, .filter = filter,
                      .buffer_mb = s->count <= (1u << 20) ? 4 : 8, .inbound_only = !any->route.is_loopback};
    if ((r = ps_recv_open(&rc, &s->recv, e))) return r;
    s->dlt = ps_recv_datalink(s->recv);
    uint64_t rate = s->cfg->max_rate > 0 ? (uint64_t)s->cfg->max_rate : 0;
    return ps_pacer_init(&s->pacer, rate, BATCH, e);
}

int syn_setup(struct syn *s, ps_err *e)
{
    int r = setup_order(s, e);
    if (!r) r = setup_paths(s, e);
    if (!r) r = setup_capture(s, e);
    return r;
}

static void *close_sender(void *arg)
{
    ps_sender_close(arg);
    return NULL;
}

void syn_teardown(struct syn *s)
{
    ps_sendq_stop(s->helper);
    /* Closing a packet socket waits for an RCU grace period (the kernel's
     * synchronize_net, 5-25 ms each, two for the capture's ring): closed
     * one after another they add up, closed at once they share one. */
    ps_sender *snd[4] = {s->v4.sender, s->v6.sender, s->v4.sender2, s->v6.sender2};
    pthread_t closer[4];
    int closing[4] = {0};
    for (int i = 0; i < 4; i++)
        if (snd[i] && pthread_create(&closer[i], NULL, close_sender, snd[i]) == 0) closing[i] = 1;
        else ps_sender_close(snd[i]);
    if (s->recv) ps_recv_close(s->recv);
    for (int i = 0; i < 4; i++)
        if (closing[i]) pthread_join(closer[i], NULL);
    free(s->port_index);
    free(s->chunks);
    pthread_mutex_destroy(&s->rtt_lock);
}
