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
#include "pscan/report.h"
#include "pscan/scan.h"

static volatile sig_atomic_t stop_requested;

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
    case PS_SCAN_SYN:
        if (ps_scan_syn.available(cfg, e)) return NULL;
        return &ps_scan_syn;
    case PS_SCAN_DEFAULT:
        if (ps_scan_syn.available(cfg, &why) == PS_OK) return &ps_scan_syn;
        if (!cfg->quiet) fprintf(stderr, "pscan: %s; using a connect scan (-sT)\n", why.msg);
        return &ps_scan_connect;
    }
    return &ps_scan_connect;
}

int main(int argc, char **argv)
{
    ps_cli cli;
    ps_err err = {{0}};
    if (argc > 1 && strcmp(argv[1], "diff") == 0) return ps_diff_main(argc - 1, argv + 1);
    int r = ps_cli_parse(&cli, argc, argv, &err);
    if (r) {
        fprintf(stderr, "pscan: %s\n", err.msg);
        ps_cli_free(&cli);
        return r;
    }
    switch (cli.action) {
    case PS_CLI_HELP: ps_cli_help(stdout); ps_cli_free(&cli); return 0;
    case PS_CLI_VERSION: printf("pscan %s\n", PSCAN_VERSION); ps_cli_free(&cli); return 0;
    case PS_CLI_DOC_MARKDOWN: ps_cli_doc_markdown(stdout); ps_cli_free(&cli); return 0;
    case PS_CLI_DOC_MAN: ps_cli_doc_man(stdout); ps_cli_free(&cli); return 0;
    case PS_CLI_SCAN: break;
    }

    uint64_t special = ps_targets_special_removed(cli.targets);
    if (special && !cli.cfg.quiet)
        fprintf(stderr, "pscan: skipping %llu multicast, broadcast or reserved address%s (--allow-special scans them)\n",
                (unsigned long long)special, special == 1 ? "" : "es");
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    const struct ps_scanner_ops *scanner = choose_scanner(&cli.cfg, &err);
    if (!scanner) {
        fprintf(stderr, "pscan: -sS: %s\n", err.msg);
        ps_cli_free(&cli);
        return PS_ERUNTIME;
    }
    ps_report *report = ps_report_new(&cli.cfg, cli.targets, &cli.ports, &err);
    if (!report) {
        fprintf(stderr, "pscan: %s\n", err.msg[0] ? err.msg : "out of memory");
        ps_cli_free(&cli);
        return err.msg[0] ? PS_EINPUT : PS_ERUNTIME;
    }
    ps_detect detect = {0};
    if (cli.cfg.version_detect && (r = ps_detect_start(&detect, &cli.cfg, report, argv[0], &err))) {
        fprintf(stderr, "pscan: %s\n", err.msg);
        ps_detect_finish(&detect, &err);
        ps_report_free(report);
        ps_cli_free(&cli);
        return r;
    }
    ps_scan_ctx ctx = {&cli.cfg, cli.targets, &cli.ports, report, &stop_requested};
    ps_report_begin(report, scanner->name, argc, argv);
    r = scanner->run(&ctx, &err);
    ps_err derr;
    int dr = ps_detect_finish(&detect, &derr);
    if (!r && dr) {
        r = dr;
        err = derr;
    }
    ps_report_finish(report);
    if (r) fprintf(stderr, "pscan: %s\n", err.msg);
    else if (stop_requested) fprintf(stderr, "pscan: interrupted; the results above are partial\n");
    if (!r) r = ps_report_status(report);
    ps_report_free(report);
    ps_cli_free(&cli);
    return r;
}
