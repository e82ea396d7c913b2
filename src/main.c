/* main.c: the only place that prints errors and decides the exit status.
 * It dispatches: `pscan diff`, `pscan report`, `pscan --resume FILE`, help and version,
 * and the scan itself (app/run.c).
 *
 * Exit status: 0 the scan ran to its end, 1 bad usage or input (nothing
 * was scanned), 2 a run-time failure, 3 --expect found a port its policy
 * does not allow. */
#include <stdio.h>
#include <string.h>

#include "pscan/app.h"
#include "pscan/audit_cmd.h"
#include "pscan/cli.h"
#include "pscan/diff.h"
#include "pscan/escape.h"
#include "pscan/resume.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "diff") == 0) return ps_diff_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "report") == 0) {
        ps_err rerr = {{0}};
        int rr = ps_audit_main(argc - 1, argv + 1, &rerr);
        if (rr == PS_EINPUT || rr == PS_ERUNTIME) {
            fputs("pscan report: ", stderr);
            ps_esc_puts(stderr, rerr.msg, PS_ESC_TEXT);
            fputc('\n', stderr);
        }
        return rr;
    }

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
    case PS_CLI_SCAN: r = ps_app_scan(&cli, &resume, argc, argv, &err); break;
    }
out:
    if (r) fprintf(stderr, "pscan: %s\n", err.msg);
    ps_cli_free(&cli);
    ps_resume_free(&resume);
    return r;
}
