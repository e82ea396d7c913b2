/* run.c: one scan, from the understood command line to the exit status.
 *
 * A run is a short list of steps, each below in its own function:
 *
 *   1. plan      which engines run, in which order: the TCP scan (SYN with
 *                raw-socket rights, else connect), then the UDP scan of
 *                -sU; the seed of the probe order; a resumed run checks
 *                that it plans the engines it left.
 *   2. discover  host discovery when asked or worth it (run_discover.c):
 *                the port scan then works on the hosts found up only.
 *   3. report    the results store and its writers (report/), told which
 *                hosts discovery found and why, and what each engine will
 *                cover (report.h): its shard's slice, and on --resume what
 *                the earlier runs did.
 *   4. rights    before root is given up (privdrop.h): the local-info
 *                snapshot and the resume-file keeper; -sV starts; the last
 *                capabilities go once the engine holds its raw handles.
 *   5. phases    the engines, one after the other, each from where the
 *                earlier runs left it; hosts are written by the last one,
 *                so a TCP+UDP run prints each host once.
 *   6. finish    -sV drains, the report writes what is left, and then the
 *                resume file: an interrupted run saves where each engine
 *                got to; a resumed run that finished marks its file done.
 *
 * A stop (SIGINT, SIGTERM) sets a flag every stage polls: discovery and the
 * engines end within a fraction of a second, -sV ends every port it has
 * (a port it had not finished is left to --resume), the writers finish
 * valid files, and the run returns PS_ESTOPPED (exit status 4) with the
 * resume hint.  A second signal, half a second or more after the first,
 * ends the process at once.
 *
 * The one mutable global of pscan lives here: the flag the signal handler
 * sets.  Engines read it through ps_scan_ctx.stop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "pscan/app.h"
#include "pscan/clock.h"
#include "pscan/privdrop.h"
#include "pscan/scan.h"

#include "app_int.h"

/* 0, or the stop: bit 30 set, and below it when the first signal came
 * (milliseconds of the monotonic clock, modulo 2^30). */
static volatile sig_atomic_t stop_requested;

enum { STOP_MARK = 1 << 30, STOP_MS = STOP_MARK - 1, STOP_AGAIN_MS = 500 };

/* The first SIGINT or SIGTERM asks for a stop; another one at least half a
 * second later ends the process at once.  Closer ones are the same
 * request delivered twice: timeout(1) signals its child and then its
 * process group, a job scheduler and the script it runs each pass one on. */
static void on_signal(int sig)
{
    int now = (int)(ps_mono_ms() & STOP_MS), first = stop_requested;
    if (!first) {
        stop_requested = STOP_MARK | now;
    } else if (((now - (first & STOP_MS)) & STOP_MS) >= STOP_AGAIN_MS) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static void install_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* A write to a slow reader resumes after the handler (stdio would take
     * EINTR for a failed write); waits (poll, epoll) still return EINTR. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Everything one run holds, so the steps can be functions of their own. */
struct run {
    ps_cli *cli;
    const ps_app_args *args;
    const ps_resume *resume; /* resume->argc == 0: a fresh run */
    int argc;
    char **argv;
    const struct ps_scanner_ops *phase[PS_RESUME_PHASES];
    int nphases, ran[PS_RESUME_PHASES], engine_done[PS_RESUME_PHASES];
    uint64_t seed;
    int discovery_cut;
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

/* A resumed run must plan the engines the interrupted one had. */
static int check_resumed_plan(const struct run *r, ps_err *e)
{
    const ps_resume_state *st = &r->resume->st;
    int same = st->nphases == r->nphases;
    for (int i = 0; same && i < r->nphases; i++) same = strcmp(st->phase[i].engine, r->phase[i]->name) == 0;
    if (same) return PS_OK;
    char then[40] = "", now[40] = "";
    for (int i = 0; i < st->nphases; i++)
        snprintf(then + strlen(then), sizeof then - strlen(then), "%s%s", i ? "+" : "", st->phase[i].engine);
    for (int i = 0; i < r->nphases; i++)
        snprintf(now + strlen(now), sizeof now - strlen(now), "%s%s", i ? "+" : "", r->phase[i]->name);
    return ps_fail(e, PS_EINPUT, "the interrupted scan was a %s scan; this one would be a %s scan "
                   "(were the rights different?)", then[0] ? then : "ping", now);
}

static int plan(struct run *r, ps_err *e)
{
    const ps_config *cfg = &r->cli->cfg;
    r->nphases = 0;
    if (ps_config_tcp_scan(cfg) && !(r->phase[r->nphases++] = choose_tcp(cfg, e))) return PS_ERUNTIME;
    if (cfg->udp_scan) r->phase[r->nphases++] = &ps_scan_udp;
    if (r->resume->argc && check_resumed_plan(r, e)) return PS_EINPUT;
    /* One seed for the whole run: the SYN order and every engine's --shard
     * slice; the resumed run's is the interrupted one's (main.c). */
    r->seed = cfg->seed;
    if (!cfg->seed_given && getrandom(&r->seed, sizeof r->seed, 0) != sizeof r->seed)
        return ps_fail(e, PS_ERUNTIME, "cannot draw a random seed: %s", strerror(errno));
    snprintf(r->scan_name, sizeof r->scan_name, "%s%s%s", r->phase[0]->name, r->nphases > 1 ? "+" : "",
             r->nphases > 1 ? r->phase[1]->name : "");
    return PS_OK;
}

/* ---- 2, 3. discover and report ------------------------------------------- */

/* Did the interrupted run get anywhere?  (Not if it was stopped in host
 * discovery: then this run starts afresh, whatever discovery finds.) */
static int resumed_progress(const struct run *r)
{
    for (int i = 0; i < r->resume->st.nphases; i++)
        if (r->resume->st.phase[i].done || r->resume->st.phase[i].pairs) return 1;
    return 0;
}

/* What each engine will cover (report.h): its shard's slice, and what the
 * earlier runs did; a resumed engine must count its work in the same
 * units as before. */
static int plan_cover(struct run *r, ps_err *e)
{
    for (int i = 0; i < r->nphases; i++) {
        const struct ps_scanner_ops *op = r->phase[i];
        const ps_resume_phase *ph = r->resume->argc ? &r->resume->st.phase[i] : NULL;
        int rc = ps_report_cover(r->report, op->proto, op->by_host, r->seed, ph ? ph->done : 0, ph ? ph->pairs : 0, e);
        if (rc) return rc;
        uint64_t units = ps_report_cover_units(r->report, op->proto);
        if (ph && resumed_progress(r) && ph->units != units)
            return ps_fail(e, PS_EINPUT, "the %s scan had %llu %s to do when it was interrupted, this one has %llu "
                           "(targets, ports or shard changed): cannot resume", op->name,
                           (unsigned long long)ph->units, op->by_host ? "hosts" : "probes", (unsigned long long)units);
    }
    return PS_OK;
}

static int discover_and_report(struct run *r, ps_err *e)
{
    ps_cli *cli = r->cli;
    ps_up_list up = {0};
    uint64_t asked = 0;
    int discovered = ps_app_wants_discovery(cli), rc = PS_OK;
    if (discovered && (rc = ps_app_discover(cli, &up, &asked, &stop_requested, e))) goto out;
    r->discovery_cut = discovered && stop_requested;
    if (discovered && up.n == 0 && !cli->cfg.quiet && !stop_requested)
        fprintf(stderr, "pscan: no host answered host discovery; if they are up but block the probes, try -Pn\n");
    /* A resumed scan's positions count in the same target set: discovery
     * must have found the same number of hosts up as the first time. */
    if (resumed_progress(r) && ps_targets_count(cli->targets) != r->resume->st.hosts) {
        rc = ps_fail(e, PS_EINPUT, "the targets changed since the interruption (%llu hosts then, %llu now): "
                     "cannot resume", (unsigned long long)r->resume->st.hosts,
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
    rc = plan_cover(r, e);
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
        rc = ps_resume_out_keep(&r->resume_out, e);
    }
    if (!rc && r->cli->cfg.version_detect)
        rc = ps_detect_start(&r->detect, &r->cli->cfg, r->report, r->argv[0], &stop_requested, e);
    if (!rc) rc = ps_priv_to_user(&r->priv, e);
    if (!rc && !r->port_scan) rc = ps_priv_drop_all(&r->priv, e);
    return rc;
}

/* Which run of its scan this is: 1, then one more for each --resume. */
static unsigned this_run(const struct run *r)
{
    if (!r->resume->argc) return 1;
    return r->resume->st.run ? r->resume->st.run + 1 : 2; /* a file from before "run" lines */
}

/* ---- 5, 6. phases and finish ---------------------------------------------- */

/* Run the engines, each from where the earlier runs left it.  Every engine
 * ends with the report told how far it got (an engine a stop kept from
 * starting got nowhere). */
static int run_phases(struct run *r, ps_err *e)
{
    int rc = PS_OK;
    const ps_config *cfg = &r->cli->cfg;
    ps_scan_id id = {.seed = r->seed, .shard = cfg->shard + 1, .nshards = cfg->nshards ? cfg->nshards : 1,
                     .run = this_run(r)};
    ps_report_begin(r->report, r->port_scan ? r->scan_name : "ping", &id, r->argc, r->argv);
    /* Hosts are emitted by the last phase only: the earlier ones keep
     * their results for it. */
    ps_report_hold(r->report, r->nphases > 1);
    for (int i = 0; i < r->nphases; i++) {
        const struct ps_scanner_ops *op = r->phase[i];
        uint64_t from = r->resume->argc ? r->resume->st.phase[i].done : 0;
        uint64_t units = ps_report_cover_units(r->report, op->proto);
        if (i == r->nphases - 1) ps_report_hold(r->report, 0);
        if (!r->port_scan || rc || stop_requested || (r->resume->argc && from >= units)) {
            ps_report_cover_done(r->report, op->proto, r->port_scan ? from : units);
            r->engine_done[i] = !r->port_scan || from >= units;
            continue;
        }
        /* Only the SYN engine needs rights, and it runs first; the
         * others call on_handles_open at their start, a no-op then. */
        ps_scan_state state = {0};
        ps_scan_ctx ctx = {&r->cli->cfg, r->cli->targets, r->ports, r->report, &stop_requested, r->seed,
                           from, &state, on_handles_open, &r->priv};
        rc = op->run(&ctx, e);
        r->ran[i] = 1;
        r->engine_done[i] = !rc && state.done >= state.total;
        ps_report_cover_done(r->report, op->proto, rc ? from : state.done);
    }
    ps_err derr;
    int dr = ps_detect_finish(&r->detect, &derr);
    if (!rc && dr) {
        rc = dr;
        *e = derr;
    }
    if (stop_requested) ps_report_stopped(r->report, r->discovery_cut);
    ps_report_finish(r->report);
    return rc;
}

/* Where each engine got to, as the report counted it. */
static void state_of(struct run *r, ps_resume_state *st)
{
    memset(st, 0, sizeof *st);
    st->seed = r->seed;
    st->run = this_run(r);
    st->hosts = ps_targets_count(r->cli->targets);
    st->nphases = r->nphases;
    for (int i = 0; i < r->nphases; i++) {
        ps_resume_phase *ph = &st->phase[i];
        snprintf(ph->engine, sizeof ph->engine, "%s", r->phase[i]->name);
        ps_report_cover_get(r->report, r->phase[i]->proto, &ph->done, &ph->pairs, &ph->units);
    }
}

/* An interrupted run: save the state, and say where it stopped and how
 * to go on, as the run's error (PS_ESTOPPED). */
static int interrupted(struct run *r, ps_err *e)
{
    ps_resume_state st;
    ps_scan_summary sum;
    ps_err se;
    state_of(r, &st);
    ps_report_counts(r->report, &sum);
    char where[64] = "during service detection (-sV)";
    if (r->discovery_cut) snprintf(where, sizeof where, "in host discovery");
    for (int i = r->nphases - 1; i >= 0; i--)
        if (r->ran[i] && !r->engine_done[i]) snprintf(where, sizeof where, "in the %s scan", r->phase[i]->name);
    if (ps_resume_out_save(&r->resume_out, &st, &se))
        return ps_fail(e, PS_ESTOPPED, "interrupted %s; the results are partial, and cannot be resumed: %s", where,
                       se.msg);
    char left[80] = "";
    if (sum.pairs)
        snprintf(left, sizeof left, " with %llu of %llu host-port pairs left",
                 (unsigned long long)sum.not_scanned[PS_NS_STOPPED], (unsigned long long)sum.pairs);
    return ps_fail(e, PS_ESTOPPED, "interrupted %s%s; the results are partial. Continue with: %s --resume %s", where,
                   left, r->args->prog, r->resume_out.path);
}

/* The exit status, and the resume file's next state.  A failure first; an
 * output that could not be written (the resume file then stays as it
 * was: what this run found is not all on record); an interruption (both
 * said when both happened); --expect's verdict last. */
static int finish(struct run *r, int rc, ps_err *e)
{
    ps_scan_summary sum;
    ps_err we;
    ps_report_counts(r->report, &sum);
    if (rc) return rc;
    int wr = ps_report_output_error(r->report, &we);
    if (sum.interrupted) {
        rc = interrupted(r, e);
        if (!wr) return rc;
        char msg[2 * sizeof e->msg + 8];
        snprintf(msg, sizeof msg, "%s; also %s", we.msg, e->msg);
        return ps_fail(e, wr, "%s", msg);
    }
    if (wr) {
        *e = we;
        return wr;
    }
    if (r->resume->argc) {
        ps_resume_state st;
        state_of(r, &st);
        if ((rc = ps_resume_out_finish(&r->resume_out, &st, e))) return rc;
    }
    return ps_report_status(r->report);
}

int ps_app_scan(ps_cli *cli, const ps_app_args *args, ps_err *e)
{
    static const ps_resume fresh;
    struct run r = {.cli = cli, .args = args, .resume = args->resume ? args->resume : &fresh, .argc = args->argc,
                    .argv = args->argv};
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
    if (rc) {
        ps_report_free(r.report);
        return rc;
    }
    ps_resume_out_init(&r.resume_out, r.resume->argc ? args->resume_path : PS_RESUME_FILE, r.argc, r.argv);
    rc = drop_rights(&r, e);
    if (!rc) rc = finish(&r, run_phases(&r, e), e);
    else ps_detect_finish(&r.detect, NULL);
    ps_resume_out_close(&r.resume_out);
    ps_report_free(r.report);
    ps_detect_free(&r.detect);
    return rc;
}
