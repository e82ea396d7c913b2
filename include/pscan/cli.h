/* cli.h: the command line.
 *
 * One option table (src/cli/cli.c) feeds the parser, `--help`, docs/usage.md
 * and the man page docs/pscan.1 (`make docs` regenerates both with
 * `pscan --help-format=markdown|man`, and the test suite checks that the
 * committed files match), so the four cannot drift apart.
 *
 * Conventions are nmap's: single-dash multi-letter options (-sT, -Pn, -iL),
 * arguments attached or separate (-p22, -p 22), long options with
 * `--name value` or `--name=value`, options and targets in any order, and
 * `--` ending the options. */
#ifndef PSCAN_CLI_H
#define PSCAN_CLI_H

#include <stdio.h>

#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/ports.h"
#include "pscan/targets.h"

enum ps_cli_action {
    PS_CLI_SCAN,
    PS_CLI_HELP,
    PS_CLI_VERSION,
    PS_CLI_DOC_MARKDOWN,
    PS_CLI_DOC_MAN,
};

typedef struct ps_cli {
    enum ps_cli_action action;
    ps_config cfg;
    ps_targets *targets; /* finalised; owned, freed by ps_cli_free */
    ps_ports ports;
    ps_ports ping_syn, ping_ack, ping_udp; /* -PS/-PA/-PU ports, if given */
    char *owned[8]; /* strings the parser made (-oA paths) */
    int nowned;
} ps_cli;

/* Parse argv into cli.  On PS_EINPUT, e names the bad token. */
int ps_cli_parse(ps_cli *cli, int argc, char **argv, ps_err *e);
void ps_cli_free(ps_cli *cli);

void ps_cli_help(FILE *out);
void ps_cli_doc_markdown(FILE *out);
void ps_cli_doc_man(FILE *out);

#endif
