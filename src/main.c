/* main.c: the only place that prints errors and decides the exit status.
 *
 * Exit status: 0 the scan ran to its end, 1 bad usage or input (nothing
 * was scanned), 2 a run-time failure. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/cli.h"
#include "app/sv_setup.h"
#include "pscan/diff.h"
#include "pscan/discover.h"
#include "pscan/privdrop.h"
#include "pscan/resume.h"
#include "pscan/report.h"
#include "pscan/scan.h"

static volatile sig_atomic_t stop_requested;

/* Where an interrupted scan leaves its state (resume.h). */
#define RESUME_FILE "pscan.resume"

static void on_signal(int sig)
{
    (void)sig;
    if (stop_requested) signal(SIGINT, SIG_DFL); /* a second ^C kills */
    stop_requested = 1;
}

/* -sT and -sS as asked; by default SYN when raw sockets may be opened,
 * else connect, and say so once. */
static const struct ps_scanner_ops *choose_tcp(const ps_config *cfg, ps_err *e)
{
    ps_err why;
    switch (cfg->scan_type) {
    case PS_SCAN_CONNECT: return &ps_scan_connect;
    case PS_SCAN_SYN:
        if (ps_scan_syn.available(cfg, &why) == PS_OK) return &ps_scan_syn;
        ps_fail(e, PS_ERUNTIME, "-sS: %s", why.msg);
        return NULL;
    case PS_SCAN_DEFAULT:
        if (ps_scan_syn.available(cfg, &why) == PS_OK) return &ps_scan_syn;
        if (!cfg->quiet) fprintf(stderr, "pscan: %s; using a connect scan (-sT)\n", why.msg);
        return &ps_scan_connect;
    }
    return &ps_scan_connect;
}

/* The engines of this run, in the order they run: the TCP scan, then the
 * UDP scan of -sU.  Returns how many (0 on error). */
static int choose_scanners(const ps_config *cfg, const struct ps_scanner_ops *out[2], ps_err *e)
{
    int n = 0;
    if (ps_config_tcp_scan(cfg) && !(out[n++] = choose_tcp(cfg, e))) return 0;
    if (cfg->udp_scan) out[n++] = &ps_scan_udp;
    return n;
}

/* Save where an interrupted run got to: the engine that was running and
 * how far it got, or the start of the next engine when it had finished. */
static void on_interrupt(const struct ps_scanner_ops *ran, const struct ps_scanner_ops *next,
                         const ps_scan_state *state, uint64_t hosts, ps_resume_out *out)
{
    ps_err e;
    uint64_t done = state->done, total = state->total;
    if (done >= total) {
        if (!next) return;
        ran = next;
        done = 0;
    }
    if (ps_resume_out_save(out, ran->name, state->seed, done, hosts, &e) != PS_OK)
        fprintf(stderr, "pscan: interrupted; the results above are partial (%s)\n", e.msg);
    else if (ran == next)
        fprintf(stderr, "pscan: interrupted before the %s scan; the results above are partial. "
                "Continue with: pscan --resume %s\n", ran->name, RESUME_FILE);
    else
        fprintf(stderr, "pscan: interrupted in the %s scan with %llu of %llu done; the results above are partial. "
                "Continue with: pscan --resume %s\n", ran->name, (unsigned long long)done,
                (unsigned long long)total, RESUME_FILE);
}

/* Privileges (privdrop.h).  Before the drop to a user: the local-info
 * snapshot (it reads other users' /proc/PID/fd) and, for a port scan, the
 * resume-file keeper (the user may not create files here).  The engine
 * calls on_handles_open once its raw handles are open, and the last
 * capabilities go there; with several engines in one run, only the last
 * one that needs rights should get it (connect and UDP need none). */
static int before_drop(const ps_priv *priv, ps_report *report, int port_scan, ps_resume_out *resume_out,
                       ps_err *e)
{
    if (!ps_priv_changes_user(priv)) return PS_OK;
    ps_report_snapshot_local(report);
    return port_scan ? ps_resume_out_keep(resume_out, e) : PS_OK;
}

static int on_handles_open(void *priv, ps_err *e)
{
    return ps_priv_drop_all(priv, e);
}

/* Hosts host discovery found up, in the order it found them. */
struct up_list {
    ps_addr *addr;
    ps_discover_result *res;
    size_t n, cap;
    const ps_targets *from;
};

static void on_up(void *ctx, uint64_t idx, const ps_discover_result *res)
{
    struct up_list *u = ctx;
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
static int wants_discovery(const ps_cli *cli)
{
    const ps_config *c = &cli->cfg;
    if (c->no_ping) return 0;
    if (c->ping_only || c->ping_methods) return 1;
    return ps_targets_count(cli->targets) > 256 && cli->ports.ntcp + cli->ports.nudp > 4;
}

/* Run host discovery and replace the targets with the hosts found up. */
static int discover(ps_cli *cli, struct up_list *up, uint64_t *asked, ps_err *e)
{
    const ps_config *c = &cli->cfg;
    ps_discover_opts d;
    ps_discover_opts_default(&d);
    d.methods = c->ping_methods;
    if (c->disable_arp_ping) d.methods = (d.methods ? d.methods : PS_PING_DEFAULT) & ~(unsigned)(PS_PING_ARP | PS_PING_ND);
    d.syn_ports = cli->ping_syn;
    d.ack_ports = cli->ping_ack;
    d.udp_ports = cli->ping_udp;
    d.max_retries = c->max_retries;
    d.initial_rtt_ms = c->initial_rtt_ms;
    d.min_rtt_ms = c->min_rtt_ms;
    d.max_rtt_ms = c->max_rtt_ms;
    d.max_rate = c->max_rate;
    d.iface = c->iface;
    d.source_ip = c->has_source_ip ? &c->source_ip : NULL;
    up->from = cli->targets;
    *asked = ps_targets_count(cli->targets);
    int r = ps_discover_run(&d, cli->targets, on_up, up, &stop_requested, e);
    if (r || up->n == 0) return r;
    ps_targets *t = ps_targets_new(c->family);
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
    up->from = t;
    return PS_OK;
}

/* The scan proper, once the command line is understood. */
static int scan(ps_cli *cli, const ps_resume *resume, int argc, char **argv, ps_err *err)
{
    uint64_t special = ps_targets_special_removed(cli->targets);
    if (special && !cli->cfg.quiet)
        fprintf(stderr, "pscan: skipping %llu multicast, broadcast or reserved address%s (--allow-special scans them)\n",
                (unsigned long long)special, special == 1 ? "" : "es");
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    ps_priv priv;
    int pr = ps_priv_plan(&priv, &cli->cfg, err);
    if (pr) return pr;
    const struct ps_scanner_ops *phase[2];
    int nphases = choose_scanners(&cli->cfg, phase, err), first = 0;
    if (!nphases) return PS_ERUNTIME;
    /* A resumed run starts with the phase that was interrupted. */
    if (resume->argc) {
        while (first < nphases && strcmp(phase[first]->name, resume->engine) != 0) first++;
        if (first == nphases)
            return ps_fail(err, PS_EINPUT, "the interrupted scan was a %s scan; this one would be a %s scan "
                           "(were the rights different?)", resume->engine, phase[0]->name);
    }
    char scan_name[32];
    snprintf(scan_name, sizeof scan_name, "%s%s%s", phase[0]->name, nphases > 1 ? "+" : "",
             nphases > 1 ? phase[1]->name : "");
    struct up_list up = {0};
    uint64_t asked = 0;
    int discovered = wants_discovery(cli);
    if (discovered) {
        int dr = discover(cli, &up, &asked, err);
        if (dr) {
            free(up.addr);
            free(up.res);
            return dr;
        }
        if (up.n == 0 && !cli->cfg.quiet)
            fprintf(stderr, "pscan: no host answered host discovery; if they are up but block the probes, try -Pn\n");
    }
    /* A resumed scan's positions count in the same target set: discovery
     * must have found the same number of hosts up as the first time. */
    if (resume->argc && ps_targets_count(cli->targets) != resume->hosts) {
        free(up.addr);
        free(up.res);
        return ps_fail(err, PS_EINPUT, "the targets changed since the interruption (%llu hosts then, %llu now): "
                       "cannot resume", (unsigned long long)resume->hosts,
                       (unsigned long long)ps_targets_count(cli->targets));
    }
    static const ps_ports no_ports;
    const ps_ports *ports = cli->cfg.ping_only || (discovered && up.n == 0) ? &no_ports : &cli->ports;
    ps_report *report = ps_report_new(&cli->cfg, cli->targets, ports, err);
    if (!report) {
        free(up.addr);
        free(up.res);
        return err->msg[0] ? PS_EINPUT : ps_fail(err, PS_ERUNTIME, "out of memory");
    }
    if (discovered) {
        ps_report_set_hosts_total(report, asked);
        for (size_t i = 0; i < up.n; i++) {
            uint64_t idx;
            if (ps_targets_index(cli->targets, &up.addr[i], &idx))
                ps_report_host_up(report, idx, up.res[i].rtt_s, up.res[i].reason,
                                  up.res[i].has_mac ? up.res[i].mac : NULL);
        }
    }
    free(up.addr);
    free(up.res);
    int port_scan = !(cli->cfg.ping_only || (discovered && up.n == 0));
    ps_detect detect = {0};
    ps_resume_out resume_out;
    ps_resume_out_init(&resume_out, RESUME_FILE, argc, argv);
    int r = before_drop(&priv, report, port_scan, &resume_out, err);
    if (!r && cli->cfg.version_detect) r = ps_detect_start(&detect, &cli->cfg, report, argv[0], err);
    if (!r) r = ps_priv_to_user(&priv, err);
    if (!r && !port_scan) r = ps_priv_drop_all(&priv, err);
    if (!r) {
        ps_scan_state state = {0};
        const struct ps_scanner_ops *ran = phase[first], *next = NULL;
        ps_report_begin(report, port_scan ? scan_name : "ping", argc, argv);
        /* Hosts are emitted by the last phase only: the earlier ones keep
         * their results for it. */
        ps_report_hold(report, first < nphases - 1);
        for (int i = first; port_scan && i < nphases && !r && !stop_requested; i++) {
            if (i == nphases - 1) ps_report_hold(report, 0);
            /* Only the SYN engine needs rights, and it runs first; the
             * others call on_handles_open at their start, a no-op then. */
            ps_scan_ctx ctx = {&cli->cfg, cli->targets, ports, report, &stop_requested,
                               i == first ? resume->done : 0, &state, on_handles_open, &priv};
            memset(&state, 0, sizeof state);
            ran = phase[i];
            next = i + 1 < nphases ? phase[i + 1] : NULL;
            r = ran->run(&ctx, err);
        }
        ps_err derr;
        int dr = ps_detect_finish(&detect, &derr);
        if (!r && dr) {
            r = dr;
            *err = derr;
        }
        ps_report_finish(report);
        if (!r && stop_requested) on_interrupt(ran, next, &state, ps_targets_count(cli->targets), &resume_out);
        if (!r) r = ps_report_status(report);
    } else {
        ps_detect_finish(&detect, NULL);
    }
    ps_resume_out_close(&resume_out);
    ps_report_free(report);
    ps_detect_free(&detect);
    return r;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "diff") == 0) return ps_diff_main(argc - 1, argv + 1);

    ps_cli cli;
    ps_err err = {{0}};
    ps_resume resume = {0};
    int r = PS_OK;
    memset(&cli, 0, sizeof cli);
    /* pscan --resume FILE: the interrupted run's own command line. */
    if (argc > 1 && strcmp(argv[1], "--resume") == 0) {
        if (argc != 3) r = ps_fail(&err, PS_EINPUT, "--resume takes one file and no other argument");
        else r = ps_resume_load(argv[2], &resume, &err);
        if (r) goto out;
        argc = resume.argc;
        argv = resume.argv;
    }
    if ((r = ps_cli_parse(&cli, argc, argv, &err))) goto out;
    if (resume.argc) {
        cli.cfg.seed = resume.seed;
        cli.cfg.seed_given = 1;
        cli.cfg.resuming = 1;
    }
    switch (cli.action) {
    case PS_CLI_HELP: ps_cli_help(stdout); break;
    case PS_CLI_VERSION: printf("pscan %s\n", PSCAN_VERSION); break;
    case PS_CLI_DOC_MARKDOWN: ps_cli_doc_markdown(stdout); break;
    case PS_CLI_DOC_MAN: ps_cli_doc_man(stdout); break;
    case PS_CLI_SCAN: r = scan(&cli, &resume, argc, argv, &err); break;
    }
out:
    if (r) fprintf(stderr, "pscan: %s\n", err.msg);
    ps_cli_free(&cli);
    ps_resume_free(&resume);
    return r;
}
