/* udp_drive.c: run the UDP engine from the command line, until pscan's
 * own command line has -sU.
 *
 *   udp_drive [pscan options] -p PORTS TARGET...
 *
 * The arguments are pscan's: they go through its parser as a connect scan
 * (-sT is added), then the TCP port list becomes the UDP one and
 * ps_scan_udp runs with the report and writers pscan would use, so the
 * output (normal, -oJ, -oX...) is pscan's.  Prints "udp_drive: N s" on
 * standard error at the end.  Exit status as pscan's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/cli.h"
#include "pscan/report.h"
#include "pscan/udp.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    char **av = calloc((size_t)argc + 2, sizeof *av);
    if (!av) return 2;
    av[0] = argv[0];
    av[1] = "-sT";
    for (int i = 1; i < argc; i++) av[i + 1] = argv[i];
    ps_cli cli;
    ps_err err = {{0}};
    int r = ps_cli_parse(&cli, argc + 1, av, &err);
    if (r) {
        fprintf(stderr, "udp_drive: %s\n", err.msg);
        free(av);
        return r;
    }
    if (cli.action != PS_CLI_SCAN) {
        ps_cli_free(&cli);
        free(av);
        return 0;
    }
    cli.ports.udp = cli.ports.tcp;
    cli.ports.nudp = cli.ports.ntcp;
    cli.ports.tcp = NULL;
    cli.ports.ntcp = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    ps_report *report = ps_report_new(&cli.cfg, cli.targets, &cli.ports, &err);
    if (!report) {
        fprintf(stderr, "udp_drive: %s\n", err.msg);
        ps_cli_free(&cli);
        free(av);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ps_scan_ctx ctx = {&cli.cfg, cli.targets, &cli.ports, report, &stop};
    ps_report_begin(report, ps_scan_udp.name, argc, argv);
    r = ps_scan_udp.run(&ctx, &err);
    ps_report_finish(report);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r) fprintf(stderr, "udp_drive: %s\n", err.msg);
    fprintf(stderr, "udp_drive: %.3f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    ps_report_free(report);
    ps_cli_free(&cli);
    free(av);
    return r;
}
