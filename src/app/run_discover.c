/* run_discover.c: host discovery as the first step of a run.  Discovery
 * (discover/) finds the hosts that are up; this step turns them into the
 * target set the port scan works on, with the names the user gave, and
 * tells the report why each one is up, so that a host found by ARP whose
 * every port is filtered is still listed. */
#include <stdlib.h>

#include "app_int.h"

static void on_up(void *ctx, uint64_t idx, const ps_discover_result *res)
{
    ps_up_list *u = ctx;
    (void)idx;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        ps_addr *a = realloc(u->addr, cap * sizeof *a);
        if (a) u->addr = a;
        ps_discover_result *r = realloc(u->res, cap * sizeof *r);
        if (r) u->res = r;
        if (!a || !r) return;
        u->cap = cap;
    }
    u->addr[u->n] = res->addr;
    u->res[u->n++] = *res;
}

/* Discovery runs for -sn, for any -P method, and by default before a port
 * scan of more than 256 addresses with more than 4 ports each: there the
 * four discovery probes per host cost less than the ports of the hosts they
 * rule out.  With 4 ports or fewer, probing the ports is the cheaper test
 * of life.  -Pn never runs it. */
int ps_app_wants_discovery(const ps_cli *cli)
{
    const ps_config *c = &cli->cfg;
    if (c->no_ping) return 0;
    if (c->ping_only || c->ping_methods) return 1;
    return ps_targets_count(cli->targets) > 256 && cli->ports.ntcp + cli->ports.nudp > 4;
}

static void discover_opts(const ps_cli *cli, ps_discover_opts *d)
{
    const ps_config *c = &cli->cfg;
    ps_discover_opts_default(d);
    d->methods = c->ping_methods;
    if (c->disable_arp_ping)
        d->methods = (d->methods ? d->methods : PS_PING_DEFAULT) & ~(unsigned)(PS_PING_ARP | PS_PING_ND);
    d->syn_ports = cli->ping_syn;
    d->ack_ports = cli->ping_ack;
    d->udp_ports = cli->ping_udp;
    d->max_retries = c->max_retries;
    d->initial_rtt_ms = c->initial_rtt_ms;
    d->min_rtt_ms = c->min_rtt_ms;
    d->max_rtt_ms = c->max_rtt_ms;
    d->max_rate = c->max_rate;
    d->iface = c->iface;
    d->source_ip = c->has_source_ip ? &c->source_ip : NULL;
}

int ps_app_discover(ps_cli *cli, ps_up_list *up, uint64_t *asked, volatile sig_atomic_t *stop, ps_err *e)
{
    ps_discover_opts d;
    discover_opts(cli, &d);
    *asked = ps_targets_count(cli->targets);
    int r = ps_discover_run(&d, cli->targets, on_up, up, stop, e);
    if (r || up->n == 0) return r;
    ps_targets *t = ps_targets_new(cli->cfg.family);
    if (!t) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (size_t i = 0; i < up->n && !r; i++)
        r = ps_targets_add_addr(t, &up->addr[i], ps_targets_name(cli->targets, &up->addr[i]), e);
    if (!r) r = ps_targets_finalize(t, e);
    if (r) {
        ps_targets_free(t);
        return r;
    }
    ps_targets_free(cli->targets);
    cli->targets = t;
    return PS_OK;
}

void ps_app_report_up(ps_report *report, const ps_targets *t, const ps_up_list *up, uint64_t asked)
{
    ps_report_set_hosts_total(report, asked);
    for (size_t i = 0; i < up->n; i++) {
        uint64_t idx;
        if (ps_targets_index(t, &up->addr[i], &idx))
            ps_report_host_up(report, idx, up->res[i].rtt_s, up->res[i].reason,
                              up->res[i].has_mac ? up->res[i].mac : NULL);
    }
}

void ps_up_list_free(ps_up_list *up)
{
    free(up->addr);
    free(up->res);
    up->addr = NULL;
    up->res = NULL;
    up->n = up->cap = 0;
}
