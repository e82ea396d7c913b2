/* main.c: the only place that prints errors and decides the exit status.
 * It dispatches: `pscan diff`, `pscan merge`, `pscan report`, `pscan --resume FILE`, help and version,
 * and the scan itself (app/run.c).
 *
 * Exit status (err.h): 0 the scan ran to its end, 1 bad usage or input
 * (nothing was scanned), 2 a run-time failure (an output that could not be
 * written included), 3 --expect found a port its policy does not allow,
 * 4 the scan was interrupted (its outputs are valid but partial, and
 * pscan.resume says how to go on).  `pscan diff` has its own (diff.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pscan/app.h"
#include "pscan/audit_cmd.h"
#include "pscan/cli.h"
#include "pscan/diff.h"
#include "pscan/escape.h"
#include "pscan/merge.h"
#include "pscan/resume.h"

/* Help, version and the manual go to standard output: a full disk or a
 * closed pipe there is an error too.  errno is cleared before they print:
 * a text longer than the stdio buffer fails during the printing, not at
 * this flush, and its errno is the reason to tell. */
static int flush_stdout(ps_err *e)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return PS_OK;
    return ps_fail(e, PS_ERUNTIME, "cannot write standard output: %s", errno ? strerror(errno) : "write error");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "diff") == 0) return ps_diff_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "merge") == 0) return ps_merge_main(argc - 1, argv + 1);
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
    ps_app_args args = {.prog = argv[0]};
    int r = PS_OK;
    memset(&cli, 0, sizeof cli);
    /* pscan --resume FILE: the interrupted run's own command line. */
    if (argc > 1 && strcmp(argv[1], "--resume") == 0) {
        if (argc != 3) r = ps_fail(&err, PS_EINPUT, "--resume takes one file and no other argument");
        else r = ps_resume_load(argv[2], &resume, &err);
        if (r) goto out;
        args.resume = &resume;
        args.resume_path = argv[2];
        argc = resume.argc;
        argv = resume.argv;
    }
    args.argc = argc;
    args.argv = argv;
    if ((r = ps_cli_parse(&cli, argc, argv, &err))) goto out;
    if (args.resume) {
        cli.cfg.seed = resume.st.seed;
        cli.cfg.seed_given = 1;
        cli.cfg.resuming = 1;
    }
    if (cli.action != PS_CLI_SCAN) errno = 0;
    switch (cli.action) {
    case PS_CLI_HELP: ps_cli_help(stdout); break;
    case PS_CLI_VERSION: printf("pscan %s\n", PSCAN_VERSION); break;
    case PS_CLI_DOC_MARKDOWN: ps_cli_doc_markdown(stdout); break;
    case PS_CLI_DOC_MAN: ps_cli_doc_man(stdout); break;
    case PS_CLI_SCAN: r = ps_app_scan(&cli, &args, &err); break;
    }
    if (cli.action != PS_CLI_SCAN) r = flush_stdout(&err);
out:
    /* --expect's findings were printed one per line already: 3 has no message. */
    if (r && err.msg[0]) fprintf(stderr, "pscan: %s\n", err.msg);
    ps_cli_free(&cli);
    ps_resume_free(&resume);
    return r;
}
