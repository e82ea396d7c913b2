/* test_cli.c: the command-line parser, table-driven.
 *
 * Each case is an argument vector and either the error the parser must
 * give (a substring naming the bad token) or checks on the result. */
#include <stdarg.h>
#include <stdlib.h>

#include "pscan/cli.h"
#include "unit.h"

/* Parse a NULL-terminated list of arguments. */
static int parse(ps_cli *cli, ps_err *e, ...)
{
    char *argv[32] = {"pscan"};
    int argc = 1;
    va_list ap;
    va_start(ap, e);
    for (char *a; (a = va_arg(ap, char *)) && argc < 31;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    e->msg[0] = 0;
    return ps_cli_parse(cli, argc, argv, e);
}

struct bad_case {
    const char *args[6];
    const char *want; /* substring of the error message */
};

static void test_bad_input(void)
{
    static const struct bad_case cases[] = {
        {{"-p", "0", "127.0.0.1"}, "0"},
        {{"-p", "65536", "127.0.0.1"}, "65536"},
        {{"-p", "80-22", "127.0.0.1"}, "80-22"},
        {{"-p", "22x", "127.0.0.1"}, "22x"},
        {{"-p"}, "-p needs an argument"},
        {{"--bogus", "127.0.0.1"}, "--bogus"},
        {{"-sX", "127.0.0.1"}, "-sX"},
        {{"-p", "22"}, "no targets"},
        {{"198.18.0.0/33"}, "198.18.0.0/33"},
        {{"300.1.1.1"}, "300.1.1.1"},
        {{"1.2.3"}, "1.2.3"},
        {{"-iL", "/nonexistent/targets.txt"}, "/nonexistent/targets.txt"},
        {{"--top-ports", "0", "127.0.0.1"}, "--top-ports"},
        {{"--top-ports", "ten", "127.0.0.1"}, "ten"},
        {{"-p", "22", "--top-ports", "10", "127.0.0.1"}, "conflict"},
        {{"-4", "-6", "127.0.0.1"}, "conflict"},
        {{"-T", "9", "127.0.0.1"}, "9"},
        {{"--max-retries", "-1", "127.0.0.1"}, "-1"},
        {{"--initial-rtt-timeout", "fast", "127.0.0.1"}, "fast"},
        {{"--min-rate", "100", "--max-rate", "10", "127.0.0.1"}, "--min-rate"},
        {{"--min-rtt-timeout", "5s", "--max-rtt-timeout", "1s", "127.0.0.1"}, "--min-rtt-timeout"},
        {{"--exclude", "127.0.0.1", "127.0.0.1"}, "no targets"},
        {{"--top-ports=", "127.0.0.1"}, "--top-ports"},
        {{"-p", "U:53", "127.0.0.1"}, "UDP"},
        {{"-sU", "-p", "T:22", "127.0.0.1"}, "-sS or -sT"},
        {{"-sS", "-sT", "127.0.0.1"}, "-sT"},
        /* Options that would do nothing here (issue 19). */
        {{"--expect-strict", "127.0.0.1"}, "--expect-strict works only with --expect"},
        {{"--probe-db", "/etc/hostname", "127.0.0.1"}, "add -sV"},
        {{"--no-nmap-db", "127.0.0.1"}, "add -sV"},
        {{"-sV", "--probe-db", "/tmp", "127.0.0.1"}, "'/tmp' is a directory"},
        {{"-sn", "-sV", "127.0.0.1"}, "-sV does not go with it"},
        {{"-sn", "-p", "22", "127.0.0.1"}, "-p does not go with it"},
        {{"-sn", "--top-ports", "10", "127.0.0.1"}, "--top-ports does not go with it"},
        {{"-sn", "-sU", "127.0.0.1"}, "-sU does not go with it"},
        {{"--stats-every", "0", "127.0.0.1"}, "--stats-every: '0' is not a time above 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bad_case *c = &cases[i];
        ps_cli cli;
        ps_err e;
        int r = parse(&cli, &e, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4], c->args[5]);
        CHECK(r == PS_EINPUT, "case %zu (%s ...): got %d, want PS_EINPUT", i, c->args[0], r);
        CHECK(strstr(e.msg, c->want) != NULL, "case %zu: message '%s' lacks '%s'", i, e.msg, c->want);
        ps_cli_free(&cli);
    }
}

/* -sS/-sT with -sU: one run, both protocols. */
static void test_tcp_and_udp(void)
{
    ps_cli cli;
    ps_err e;
    int r = parse(&cli, &e, "-sS", "-sU", "-p", "53,T:80,U:161", "127.0.0.1", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(cli.cfg.scan_type == PS_SCAN_SYN && cli.cfg.udp_scan && ps_config_tcp_scan(&cli.cfg), "both scans");
    CHECK(cli.ports.ntcp == 2 && cli.ports.tcp[0] == 53 && cli.ports.tcp[1] == 80, "tcp ports: bare 53 and T:80");
    CHECK(cli.ports.nudp == 2 && cli.ports.udp[0] == 53 && cli.ports.udp[1] == 161, "udp ports: bare 53 and U:161");
    ps_cli_free(&cli);

    r = parse(&cli, &e, "-sU", "-sT", "127.0.0.1", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(cli.ports.ntcp == 1000 && cli.ports.nudp == 1000, "defaults: top 1000 of each (%zu, %zu)",
          cli.ports.ntcp, cli.ports.nudp);
    ps_cli_free(&cli);

    r = parse(&cli, &e, "-sU", "-p", "53", "127.0.0.1", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(!ps_config_tcp_scan(&cli.cfg) && cli.ports.ntcp == 0 && cli.ports.nudp == 1, "-sU alone: UDP only");
    ps_cli_free(&cli);
}

static void test_forms(void)
{
    ps_cli cli;
    ps_err e;
    int r = parse(&cli, &e, "-sT", "-p22,80", "-vv", "-Pn", "--open", "127.0.0.1", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(cli.cfg.scan_type == PS_SCAN_CONNECT, "scan type %d", cli.cfg.scan_type);
    CHECK(cli.cfg.verbose == 2, "verbose %d", cli.cfg.verbose);
    CHECK(cli.cfg.no_ping && cli.cfg.open_only, "flags");
    CHECK(cli.ports.ntcp == 2 && cli.ports.tcp[0] == 22 && cli.ports.tcp[1] == 80, "ports");
    CHECK(ps_targets_count(cli.targets) == 1, "one target");
    ps_cli_free(&cli);

    r = parse(&cli, &e, "127.0.0.1", "--top-ports=10", "--max-retries=0", "--", "-not-an-option.invalid", NULL);
    CHECK(r == PS_EINPUT && strstr(e.msg, "-not-an-option.invalid"), "-- makes targets: %d %s", r, e.msg);
    ps_cli_free(&cli);

    r = parse(&cli, &e, "127.0.0.1", "--top-ports=10", "--max-retries=0", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(cli.ports.ntcp == 10, "top 10 gives %zu", cli.ports.ntcp);
    CHECK(cli.cfg.max_retries == 0, "retries %d", cli.cfg.max_retries);
    ps_cli_free(&cli);
}

static void test_defaults_and_timing(void)
{
    ps_cli cli;
    ps_err e;
    int r = parse(&cli, &e, "127.0.0.1", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(cli.ports.ntcp == 1000, "default is the top 1000, got %zu", cli.ports.ntcp);
    CHECK(cli.cfg.max_retries == 2 && cli.cfg.initial_rtt_ms == 1000, "T3 defaults");
    ps_cli_free(&cli);

    r = parse(&cli, &e, "-T5", "--max-retries", "4", "127.0.0.1", NULL);
    CHECK(r == PS_OK, "%s", e.msg);
    CHECK(cli.cfg.max_retries == 4, "explicit beats template: %d", cli.cfg.max_retries);
    CHECK(cli.cfg.max_rtt_ms == 300, "T5 max rtt %d", cli.cfg.max_rtt_ms);
    ps_cli_free(&cli);

    r = parse(&cli, &e, "-T", "aggressive", "--initial-rtt-timeout", "250ms", "127.0.0.1", NULL);
    CHECK(r == PS_OK && cli.cfg.initial_rtt_ms == 250 && cli.cfg.max_rtt_ms == 1250, "T4 + explicit");
    ps_cli_free(&cli);
}

static void test_actions(void)
{
    ps_cli cli;
    ps_err e;
    CHECK(parse(&cli, &e, "--help", NULL) == PS_OK && cli.action == PS_CLI_HELP, "help");
    ps_cli_free(&cli);
    CHECK(parse(&cli, &e, "-h", NULL) == PS_OK && cli.action == PS_CLI_HELP, "-h");
    ps_cli_free(&cli);
    CHECK(parse(&cli, &e, "--version", NULL) == PS_OK && cli.action == PS_CLI_VERSION, "version");
    ps_cli_free(&cli);
    CHECK(parse(&cli, &e, "--help-format=man", NULL) == PS_OK && cli.action == PS_CLI_DOC_MAN, "man");
    ps_cli_free(&cli);
    CHECK(parse(&cli, &e, "--help-format", "pdf", NULL) == PS_EINPUT, "bad format");
    ps_cli_free(&cli);
}

int main(void)
{
    RUN(test_bad_input);
    RUN(test_forms);
    RUN(test_tcp_and_udp);
    RUN(test_defaults_and_timing);
    RUN(test_actions);
    return UNIT_END();
}
