/* run.c: one scan, from the understood command line to the exit status.
 *
 * A run is a short list of steps, each below in its own function:
 *
 *   1. plan      which engines run, in which order: the TCP scan (SYN with
 *                raw-socket rights, else connect), then the UDP scan of
 *                -sU; a resumed run starts with the engine it left.
 *   2. discover  host discovery when asked or worth it (run_discover.c):
 *                the port scan then works on the hosts found up only.
 *   3. report    the results store and its writers (report/), told which
 *                hosts discovery found and why.
 *   4. rights    before root is given up (privdrop.h): the local-info
 *                snapshot and the resume-file keeper; -sV starts; the last
 *                capabilities go once the engine holds its raw handles.
 *   5. phases    the engines, one after the other; hosts are written by the
 *                last one, so a TCP+UDP run prints each host once.
 *   6. finish    -sV drains, the report writes what is left, and a stop
 *                leaves the resume file.
 *
 * The one mutable global of pscan lives here: the flag the signal handler
 * sets.  Engines read it through ps_scan_ctx.stop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/app.h"
#include "pscan/privdrop.h"
#include "pscan/scan.h"

#include "app_int.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_requested) signal(SIGINT, SIG_DFL); /* a second ^C kills */
    stop_requested = 1;
}

static void install_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Everything one run holds, so the steps can be functions of their own. */
struct run {
    ps_cli *cli;
    const ps_resume *resume;
    int argc;
    char **argv;
    const struct ps_scanner_ops *phase[2];
    int nphases, first;
    char scan_name[32];
    ps_priv priv;
    const ps_ports *ports; /* none for -sn, or when discovery found no host */
    int port_scan;
    ps_report *report;
    ps_detect detect;
    ps_resume_out resume_out;
};

/* ---- 1. plan ---------------------------------------------------------------- */

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

static int plan(struct run *r, ps_err *e)
{
    const ps_config *cfg = &r->cli->cfg;
    r->nphases = 0;
    if (ps_config_tcp_scan(cfg) && !(r->phase[r->nphases++] = choose_tcp(cfg, e))) return PS_ERUNTIME;
    if (cfg->udp_scan) r->phase[r->nphases++] = &ps_scan_udp;
    /* A resumed run starts with the phase that was interrupted. */
    if (r->resume->argc) {
        while (r->first < r->nphases && strcmp(r->phase[r->first]->name, r->resume->engine) != 0) r->first++;
        if (r->first == r->nphases)
            return ps_fail(e, PS_EINPUT, "the interrupted scan was a %s scan; this one would be a %s scan "
                           "(were the rights different?)", r->resume->engine, r->phase[0]->name);
    }
    snprintf(r->scan_name, sizeof r->scan_name, "%s%s%s", r->phase[0]->name, r->nphases > 1 ? "+" : "",
             r->nphases > 1 ? r->phase[1]->name : "");
    return PS_OK;
}

/* ---- 2, 3. discover and report ------------------------------------------- */

static int discover_and_report(struct run *r, ps_err *e)
{
    ps_cli *cli = r->cli;
    ps_up_list up = {0};
    uint64_t asked = 0;
    int discovered = ps_app_wants_discovery(cli), rc = PS_OK;
    if (discovered && (rc = ps_app_discover(cli, &up, &asked, &stop_requested, e))) goto out;
    if (discovered && up.n == 0 && !cli->cfg.quiet)
        fprintf(stderr, "pscan: no host answered host discovery; if they are up but block the probes, try -Pn\n");
    /* A resumed scan's positions count in the same target set: discovery
     * must have found the same number of hosts up as the first time. */
    if (r->resume->argc && ps_targets_count(cli->targets) != r->resume->hosts) {
        rc = ps_fail(e, PS_EINPUT, "the targets changed since the interruption (%llu hosts then, %llu now): "
                     "cannot resume", (unsigned long long)r->resume->hosts,
                     (unsigned long long)ps_targets_count(cli->targets));
        goto out;
    }
    static const ps_ports no_ports;
    r->port_scan = !(cli->cfg.ping_only || (discovered && up.n == 0));
    r->ports = r->port_scan ? &cli->ports : &no_ports;
    r->report = ps_report_new(&cli->cfg, cli->targets, r->ports, e);
    if (!r->report) {
        rc = e->msg[0] ? PS_EINPUT : ps_fail(e, PS_ERUNTIME, "out of memory");
        goto out;
    }
    if (discovered) ps_app_report_up(r->report, cli->targets, &up, asked);
out:
    ps_up_list_free(&up);
    return rc;
}

/* ---- 4. rights ------------------------------------------------------------ */

static int on_handles_open(void *priv, ps_err *e)
{
    return ps_priv_drop_all(priv, e);
}

/* Privileges (privdrop.h).  Before the drop to a user: the local-info
 * snapshot (it reads other users' /proc/PID/fd) and, for a port scan, the
 * resume-file keeper (the user may not create files here).  The engine
 * calls on_handles_open once its raw handles are open, and the last
 * capabilities go there; with several engines in one run, only the last
 * one that needs rights should get it (connect and UDP need none). */
static int drop_rights(struct run *r, ps_err *e)
{
    int rc = PS_OK;
    if (ps_priv_changes_user(&r->priv)) {
        ps_report_snapshot_local(r->report);
        if (r->port_scan) rc = ps_resume_out_keep(&r->resume_out, e);
    }
    if (!rc && r->cli->cfg.version_detect) rc = ps_detect_start(&r->detect, &r->cli->cfg, r->report, r->argv[0], e);
    if (!rc) rc = ps_priv_to_user(&r->priv, e);
    if (!rc && !r->port_scan) rc = ps_priv_drop_all(&r->priv, e);
    return rc;
}

/* ---- 5, 6. phases and finish ---------------------------------------------- */

/* Save where an interrupted run got to: the engine that was running and
 * how far it got, or the start of the next engine when it had finished. */
static void on_interrupt(struct run *r, const struct ps_scanner_ops *ran, const struct ps_scanner_ops *next,
                         const ps_scan_state *state)
{
    ps_err e;
    uint64_t done = state->done, total = state->total, hosts = ps_targets_count(r->cli->targets);
    if (done >= total) {
        if (!next) return;
        ran = next;
        done = 0;
    }
    if (ps_resume_out_save(&r->resume_out, ran->name, state->seed, done, hosts, &e) != PS_OK)
        fprintf(stderr, "pscan: interrupted; the results above are partial (%s)\n", e.msg);
    else if (ran == next)
        fprintf(stderr, "pscan: interrupted before the %s scan; the results above are partial. "
                "Continue with: pscan --resume %s\n", ran->name, PS_RESUME_FILE);
    else
        fprintf(stderr, "pscan: interrupted in the %s scan with %llu of %llu done; the results above are partial. "
                "Continue with: pscan --resume %s\n", ran->name, (unsigned long long)done,
                (unsigned long long)total, PS_RESUME_FILE);
}

static int run_phases(struct run *r, ps_err *e)
{
    ps_scan_state state = {0};
    const struct ps_scanner_ops *ran = r->phase[r->first], *next = NULL;
    int rc = PS_OK;
    ps_report_begin(r->report, r->port_scan ? r->scan_name : "ping", r->argc, r->argv);
    /* Hosts are emitted by the last phase only: the earlier ones keep
     * their results for it. */
    ps_report_hold(r->report, r->first < r->nphases - 1);
    for (int i = r->first; r->port_scan && i < r->nphases && !rc && !stop_requested; i++) {
        if (i == r->nphases - 1) ps_report_hold(r->report, 0);
        /* Only the SYN engine needs rights, and it runs first; the
         * others call on_handles_open at their start, a no-op then. */
        ps_scan_ctx ctx = {&r->cli->cfg, r->cli->targets, r->ports, r->report, &stop_requested,
                           i == r->first ? r->resume->done : 0, &state, on_handles_open, &r->priv};
        memset(&state, 0, sizeof state);
        ran = r->phase[i];
        next = i + 1 < r->nphases ? r->phase[i + 1] : NULL;
        rc = ran->run(&ctx, e);
    }
    ps_err derr;
    int dr = ps_detect_finish(&r->detect, &derr);
    if (!rc && dr) {
        rc = dr;
        *e = derr;
    }
    ps_report_finish(r->report);
    if (!rc && stop_requested) on_interrupt(r, ran, next, &state);
    return rc ? rc : ps_report_status(r->report);
}

int ps_app_scan(ps_cli *cli, const ps_resume *resume, int argc, char **argv, ps_err *e)
{
    struct run r = {.cli = cli, .resume = resume, .argc = argc, .argv = argv};
    if (cli->cfg.list_only) return ps_app_list(cli, e);
    uint64_t special = ps_targets_special_removed(cli->targets);
    if (special && !cli->cfg.quiet)
        fprintf(stderr, "pscan: skipping %llu multicast, broadcast or reserved address%s (--allow-special scans them)\n",
                (unsigned long long)special, special == 1 ? "" : "es");
    install_signals();
    int rc = ps_app_check_routes(cli, e);
    if (!rc) rc = ps_priv_plan(&r.priv, &cli->cfg, e);
    if (!rc) rc = plan(&r, e);
    if (!rc) rc = discover_and_report(&r, e);
    if (rc) return rc;
    ps_resume_out_init(&r.resume_out, PS_RESUME_FILE, argc, argv);
    rc = drop_rights(&r, e);
    if (!rc) rc = run_phases(&r, e);
    else ps_detect_finish(&r.detect, NULL);
    ps_resume_out_close(&r.resume_out);
    ps_report_free(r.report);
    ps_detect_free(&r.detect);
    return rc;
}
