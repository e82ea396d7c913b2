/* main.c: the only place that prints errors and decides the exit status.
 *
 * Exit status: 0 the scan ran to its end, 1 bad usage or input (nothing
 * was scanned), 2 a run-time failure. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pscan/cli.h"
#include "pscan/detect.h"
#include "pscan/diff.h"
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
static const struct ps_scanner_ops *choose_scanner(const ps_config *cfg, ps_err *e)
{
    ps_err why;
    switch (cfg->scan_type) {
    case PS_SCAN_CONNECT: return &ps_scan_connect;
    case PS_SCAN_UDP: return &ps_scan_udp;
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

static void on_interrupt(const struct ps_scanner_ops *scanner, const ps_scan_state *state,
                         int argc, char **argv)
{
    ps_err e;
    if (state->done >= state->total) return;
    if (ps_resume_save(RESUME_FILE, scanner->name, state->seed, state->done, argc, argv, &e) == PS_OK)
        fprintf(stderr, "pscan: interrupted with %llu of %llu done; the results above are partial. "
                "Continue with: pscan --resume %s\n", (unsigned long long)state->done,
                (unsigned long long)state->total, RESUME_FILE);
    else
        fprintf(stderr, "pscan: interrupted; the results above are partial (%s)\n", e.msg);
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

    const struct ps_scanner_ops *scanner = choose_scanner(&cli->cfg, err);
    if (!scanner) return PS_ERUNTIME;
    if (resume->argc && strcmp(scanner->name, resume->engine) != 0)
        return ps_fail(err, PS_EINPUT, "the interrupted scan was a %s scan; this one would be a %s scan "
                       "(were the rights different?)", resume->engine, scanner->name);
    ps_report *report = ps_report_new(&cli->cfg, cli->targets, &cli->ports, err);
    if (!report) return err->msg[0] ? PS_EINPUT : ps_fail(err, PS_ERUNTIME, "out of memory");
    ps_detect detect = {0};
    int r = cli->cfg.version_detect ? ps_detect_start(&detect, &cli->cfg, report, argv[0], err) : PS_OK;
    if (!r) {
        ps_scan_state state = {0};
        ps_scan_ctx ctx = {&cli->cfg, cli->targets, &cli->ports, report, &stop_requested, resume->done, &state};
        ps_report_begin(report, scanner->name, argc, argv);
        r = scanner->run(&ctx, err);
        ps_err derr;
        int dr = ps_detect_finish(&detect, &derr);
        if (!r && dr) {
            r = dr;
            *err = derr;
        }
        ps_report_finish(report);
        if (!r && stop_requested) on_interrupt(scanner, &state, argc, argv);
        if (!r) r = ps_report_status(report);
    } else {
        ps_detect_finish(&detect, NULL);
    }
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
