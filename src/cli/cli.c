/* cli.c: the command-line parser.
 *
 * It reads the option table (cli_options.c), applies each option to the
 * configuration, checks the combinations, and builds the target and port
 * sets so every error names the user's own token. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pscan/cli.h"

#include "cli_int.h"


/* ---- value parsers ------------------------------------------------------ */

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out, ps_err *e)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return ps_fail(e, PS_EINPUT, "%s: '%s' is not a number from %ld to %ld", opt, s, lo, hi);
    *out = v;
    return PS_OK;
}

static int parse_rate(const char *opt, const char *s, double *out, ps_err *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v > 0) || v > 1e9)
        return ps_fail(e, PS_EINPUT, "%s: '%s' is not a rate (per second, above 0, at most 1e9)", opt, s);
    *out = v;
    return PS_OK;
}

/* nmap's time syntax: "500ms", "2s", "1.5m", "1h", or seconds. */
static int parse_time_ms(const char *opt, const char *s, int *out, ps_err *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mult = 1000;
    if (end == s || errno || v < 0) goto bad;
    if (strcmp(end, "ms") == 0) mult = 1;
    else if (strcmp(end, "s") == 0 || *end == 0) mult = 1000;
    else if (strcmp(end, "m") == 0) mult = 60000;
    else if (strcmp(end, "h") == 0) mult = 3600000;
    else goto bad;
    v *= mult;
    if (v > 24.0 * 3600000) goto bad;
    *out = (int)v;
    return PS_OK;
bad:
    return ps_fail(e, PS_EINPUT, "%s: '%s' is not a time (examples: 500ms, 2s, 1m)", opt, s);
}

/* -T0..-T5: timeouts and retries in the spirit of nmap's templates. */
static void apply_timing(ps_config *c, int level)
{
    static const struct { int init, min, max, retries, par; } t[6] = {
        {300000, 100, 300000, 10, 1}, {15000, 100, 15000, 10, 1},
        {1000, 100, 10000, 10, 1},    {1000, 100, 10000, 2, 0},
        {500, 100, 1250, 2, 0},       {250, 50, 300, 1, 0},
    };
    c->initial_rtt_ms = t[level].init;
    c->min_rtt_ms = t[level].min;
    c->max_rtt_ms = t[level].max;
    c->max_retries = t[level].retries;
    if (t[level].par) c->max_parallelism = t[level].par;
}

/* ---- the parser ---------------------------------------------------------- */

struct parse_state {
    ps_cli *cli;
    int saw_ports, saw_ipv4, saw_ipv6, timing;
    struct ps_config explicit_timing; /* explicit values win over -T */
    const char *target_files[64];
    int ntarget_files;
    const char *excludes[64];
    int nexcludes;
    const char *exclude_files[16];
    int nexclude_files;
};

static int add_output(struct parse_state *st, enum ps_output_format f, const char *path, ps_err *e)
{
    ps_config *c = &st->cli->cfg;
    int stdout_users = 0;
    if (c->noutputs == PS_MAX_OUTPUTS) return ps_fail(e, PS_EINPUT, "too many output files (at most %d)", PS_MAX_OUTPUTS);
    for (int i = 0; i < c->noutputs; i++) {
        if (strcmp(c->outputs[i].path, path) == 0 && strcmp(path, "-") != 0)
            return ps_fail(e, PS_EINPUT, "output file '%s' named twice", path);
        stdout_users += strcmp(c->outputs[i].path, "-") == 0;
    }
    if (strcmp(path, "-") == 0 && stdout_users)
        return ps_fail(e, PS_EINPUT, "only one output can go to standard output ('-')");
    c->outputs[c->noutputs++] = (ps_output_spec){f, path};
    return PS_OK;
}

/* ---- options with a case of their own ------------------------------------ */

static int push_arg(const char **list, int *n, int cap, const char *arg, const char *what, ps_err *e)
{
    if (*n == cap) return ps_fail(e, PS_EINPUT, "%s: given too often (at most %d)", what, cap);
    list[(*n)++] = arg;
    return PS_OK;
}

static int help_format(ps_cli *cli, const char *arg, ps_err *e)
{
    if (strcmp(arg, "markdown") == 0) cli->action = PS_CLI_DOC_MARKDOWN;
    else if (strcmp(arg, "man") == 0) cli->action = PS_CLI_DOC_MAN;
    else return ps_fail(e, PS_EINPUT, "--help-format: '%s' is not markdown or man", arg);
    return PS_OK;
}

/* -PS, -PA, -PU: the method, and its ports when given (-PS22,80). */
static int ping_ports(ps_config *c, unsigned bit, const char *arg, const char **ports)
{
    c->ping_methods |= bit;
    if (arg && *arg) *ports = arg;
    return PS_OK;
}

static int scan_type(ps_config *c, enum ps_scan_type want, const char *name, ps_err *e)
{
    if (c->scan_type != PS_SCAN_DEFAULT && c->scan_type != want)
        return ps_fail(e, PS_EINPUT, "%s conflicts with the TCP scan type given before it (-sS and -sT "
                       "are two ways to the same answer: pick one)", name);
    c->scan_type = want;
    return PS_OK;
}

static int seed(ps_config *c, const char *arg, ps_err *e)
{
    if (ps_cli_digits(arg, strlen(arg), &c->seed))
        return ps_fail(e, PS_EINPUT, "--seed: '%s' is not a decimal number from 0 to 2^64-1", arg);
    c->seed_given = 1;
    return PS_OK;
}

static int timing(struct parse_state *st, const char *arg, ps_err *e)
{
    static const char *const names[6] = {"paranoid", "sneaky", "polite", "normal", "aggressive", "insane"};
    long v;
    for (int i = 0; i < 6; i++)
        if (strcasecmp(arg, names[i]) == 0) {
            st->timing = i + 1;
            return PS_OK;
        }
    int r = parse_int("-T", arg, 0, 5, &v, e);
    if (!r) st->timing = (int)v + 1;
    return r;
}

/* -oA BASE: BASE.nmap, BASE.xml, BASE.gnmap and BASE.jsonl. */
static int output_all(struct parse_state *st, const char *arg, ps_err *e)
{
    static const struct { enum ps_output_format f; const char *ext; } all[] = {
        {PS_OUT_NORMAL, ".nmap"}, {PS_OUT_XML, ".xml"}, {PS_OUT_GREP, ".gnmap"}, {PS_OUT_JSON, ".jsonl"},
    };
    if (strcmp(arg, "-") == 0) return ps_fail(e, PS_EINPUT, "-oA needs a file name base, not '-'");
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (st->cli->nowned == 8) return ps_fail(e, PS_EINPUT, "-oA given too often");
        char *path = malloc(strlen(arg) + 8);
        if (!path) return ps_fail(e, PS_ERUNTIME, "out of memory");
        sprintf(path, "%s%s", arg, all[i].ext);
        st->cli->owned[st->cli->nowned++] = path;
        int r = add_output(st, all[i].f, path, e);
        if (r) return r;
    }
    return PS_OK;
}

static int apply_call(struct parse_state *st, const struct option_row *o, const char *name, const char *arg,
                      ps_err *e)
{
    ps_cli *cli = st->cli;
    ps_config *c = &cli->cfg;
    switch (o->id) {
    case O_HELP: cli->action = PS_CLI_HELP; return PS_OK;
    case O_VERSION: cli->action = PS_CLI_VERSION; return PS_OK;
    case O_HELP_FORMAT: return help_format(cli, arg, e);
    case O_RESUME: return ps_fail(e, PS_EINPUT, "--resume %s must be the only option: 'pscan --resume FILE'", arg);
    case O_INPUT_LIST: return push_arg(st->target_files, &st->ntarget_files, 64, arg, "-iL", e);
    case O_EXCLUDE: return push_arg(st->excludes, &st->nexcludes, 64, arg, "--exclude", e);
    case O_EXCLUDE_FILE: return push_arg(st->exclude_files, &st->nexclude_files, 16, arg, "--excludefile", e);
    case O_PROBE_DB: return push_arg(c->probe_dbs, &c->nprobe_dbs, PS_MAX_PROBE_DBS, arg, "--probe-db", e);
    case O_IPV4: st->saw_ipv4 = 1; c->family = AF_INET; return PS_OK;
    case O_IPV6: st->saw_ipv6 = 1; c->family = AF_INET6; return PS_OK;
    case O_PING_SYN: return ping_ports(c, PS_PING_SYN, arg, &c->ping_syn_ports);
    case O_PING_ACK: return ping_ports(c, PS_PING_ACK, arg, &c->ping_ack_ports);
    case O_PING_UDP: return ping_ports(c, PS_PING_UDP, arg, &c->ping_udp_ports);
    case O_SCAN_CONNECT: return scan_type(c, PS_SCAN_CONNECT, name, e);
    case O_SCAN_SYN: return scan_type(c, PS_SCAN_SYN, name, e);
    case O_SEED: return seed(c, arg, e);
    case O_SHARD: return ps_cli_shard(c, arg, e);
    case O_TIMING: return timing(st, arg, e);
    case O_OUT_ALL: return output_all(st, arg, e);
    case O_IFACE:
        if (if_nametoindex(arg) == 0)
            return ps_fail(e, PS_EINPUT, "%s: no such network interface '%s' (see 'ip link')", name, arg);
        c->iface = arg;
        return PS_OK;
    case O_SOURCE_IP:
        if (ps_addr_parse(arg, &c->source_ip) != 0)
            return ps_fail(e, PS_EINPUT, "%s: '%s' is not an IP address", name, arg);
        c->has_source_ip = 1;
        return PS_OK;
    case O_PORTS:
        if (c->ports) return ps_fail(e, PS_EINPUT, "-p given twice ('%s' and '%s'): combine them with commas", c->ports, arg);
        c->ports = arg;
        st->saw_ports = 1;
        return PS_OK;
    case O_USER:
        if (!*arg || strlen(arg) > 64) return ps_fail(e, PS_EINPUT, "--user: '%s' is not a user name", arg);
        c->run_user = arg;
        return PS_OK;
    default: return ps_fail(e, PS_ERUNTIME, "option %s has no handler", name);
    }
}

/* One option: the table says where its value goes, or that it has a case
 * of its own. */
static int apply(struct parse_state *st, const struct option_row *o, const char *name, const char *arg, ps_err *e)
{
    ps_config *c = o->timing ? &st->explicit_timing : &st->cli->cfg;
    char *f = (char *)c + o->field;
    long v;
    int r;
    switch (o->kind) {
    case K_CALL: return apply_call(st, o, name, arg, e);
    case K_SET: *(int *)f = (int)o->lo; return PS_OK;
    case K_COUNT: (*(int *)f)++; return PS_OK;
    case K_BITS: *(unsigned *)f |= (unsigned)o->lo; return PS_OK;
    case K_INT:
        if ((r = parse_int(name, arg, o->lo, o->hi, &v, e))) return r;
        *(int *)f = (int)v;
        return PS_OK;
    case K_TIME:
        if ((r = parse_time_ms(name, arg, (int *)f, e))) return r;
        if (*(int *)f < o->lo) return ps_fail(e, PS_EINPUT, "%s: '%s' is not a time above 0", name, arg);
        return PS_OK;
    case K_RATE: return parse_rate(name, arg, (double *)f, e);
    case K_STRING: *(const char **)f = arg; return PS_OK;
    case K_OUTPUT: return add_output(st, (enum ps_output_format)o->lo, arg, e);
    }
    return ps_fail(e, PS_ERUNTIME, "option %s has no handler", name);
}

/* Find the row for token tok.  *arg is set when the argument is attached
 * (-p22, --top-ports=10); *count for repeated letters (-vvv). */
static const struct option_row *lookup(const char *tok, const char **arg, int *count)
{
    *arg = NULL;
    *count = 1;
    for (size_t i = 0; i < ps_cli_noptions; i++) {
        const struct option_row *o = &ps_cli_options[i];
        for (int k = 0; k < 2; k++) {
            const char *n = k ? o->alias : o->name;
            if (!n) continue;
            size_t len = strlen(n);
            if (strcmp(tok, n) == 0) return o;
            if (strncmp(tok, n, len) != 0) continue;
            if (n[1] == '-' && tok[len] == '=' && (o->flags & F_ARG)) {
                *arg = tok + len + 1;
                return o;
            }
            if (n[1] != '-' && (o->flags & (F_JOIN | F_OPTJOIN))) {
                *arg = tok + len;
                return o;
            }
            if (n[1] != '-' && (o->flags & F_REPEAT)) {
                const char *p = tok + len;
                while (*p == n[1]) p++;
                if (*p == 0) {
                    *count = (int)(p - tok) - 1;
                    return o;
                }
            }
        }
    }
    return NULL;
}


/* -S must be an address of this machine (replies must come back to it)
 * and of the targets' family. */
static int check_source_ip(const ps_addr *src_addr, const ps_targets *t, ps_err *e)
{
    ps_addr a = *src_addr, first, last;
    struct sockaddr_storage ss;
    char src[PS_ADDRSTRLEN];
    ps_addr_str(&a, src, sizeof src);
    uint64_t n = ps_targets_count(t);
    if (n) {
        ps_targets_get(t, 0, &first);
        ps_targets_get(t, n - 1, &last);
        if (first.family != a.family || last.family != a.family)
            return ps_fail(e, PS_EINPUT, "-S: %s is an IPv%c address, but the targets include IPv%c ones",
                           src, a.family == AF_INET ? '4' : '6', a.family == AF_INET ? '6' : '4');
    }
    socklen_t len = ps_addr_to_sockaddr(&a, 0, &ss);
    int fd = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ps_fail(e, PS_ERUNTIME, "-S: socket: %s", strerror(errno));
    int r = bind(fd, (struct sockaddr *)&ss, len), err = errno;
    close(fd);
    if (r < 0 && err == EADDRNOTAVAIL)
        return ps_fail(e, PS_EINPUT, "-S: %s is not an address of this machine (see 'ip addr')", src);
    if (r < 0) return ps_fail(e, PS_ERUNTIME, "-S: cannot use %s: %s", src, strerror(err));
    return PS_OK;
}

static int build_sets(struct parse_state *st, const char **targets, int ntargets, ps_err *e)
{
    ps_cli *cli = st->cli;
    ps_config *c = &cli->cfg;
    int r;

    cli->targets = ps_targets_new(c->family);
    if (!cli->targets) return ps_fail(e, PS_ERUNTIME, "out of memory");
    for (int i = 0; i < ntargets; i++)
        if ((r = ps_targets_add(cli->targets, targets[i], e))) return r;
    for (int i = 0; i < st->ntarget_files; i++)
        if ((r = ps_targets_add_file(cli->targets, st->target_files[i], e))) return r;
    for (int i = 0; i < st->nexcludes; i++)
        if ((r = ps_targets_exclude(cli->targets, st->excludes[i], e))) return r;
    for (int i = 0; i < st->nexclude_files; i++)
        if ((r = ps_targets_exclude_file(cli->targets, st->exclude_files[i], e))) return r;
    ps_targets_drop_special(cli->targets, !c->allow_special);
    if ((r = ps_targets_finalize(cli->targets, e))) return r;
    if (ps_targets_count(cli->targets) > (1u << 24) && !c->allow_large)
        return ps_fail(e, PS_EINPUT, "the targets hold %llu addresses, more than a /8: pass --allow-large if you mean it",
                       (unsigned long long)ps_targets_count(cli->targets));

    if (c->has_source_ip && (r = check_source_ip(&c->source_ip, cli->targets, e))) return r;

    int udp = c->udp_scan, tcp = ps_config_tcp_scan(c);
    if (c->ports) {
        if ((r = ps_ports_parse_ex(&cli->ports, c->ports, tcp, udp, e))) return r;
    } else {
        int n = c->top_ports ? c->top_ports : 1000;
        if (tcp && (r = ps_ports_top(&cli->ports, PS_TCP, n, e))) return r;
        if (udp && (r = ps_ports_top(&cli->ports, PS_UDP, n, e))) return r;
    }
    if (c->exclude_ports && (r = ps_ports_exclude(&cli->ports, c->exclude_ports, e))) return r;
    if (cli->ports.ntcp + cli->ports.nudp == 0)
        return ps_fail(e, PS_EINPUT, "no ports left to scan");
    if (cli->ports.nudp && !udp)
        return ps_fail(e, PS_EINPUT, "-p: UDP ports (U:) need a UDP scan (-sU)");
    if (cli->ports.ntcp && !tcp)
        return ps_fail(e, PS_EINPUT, "-p: TCP ports (T:) need a TCP scan: add -sS or -sT to -sU");
    if (c->ping_syn_ports && (r = ps_ports_parse_ex(&cli->ping_syn, c->ping_syn_ports, 1, 0, e))) return r;
    if (c->ping_ack_ports && (r = ps_ports_parse_ex(&cli->ping_ack, c->ping_ack_ports, 1, 0, e))) return r;
    if (c->ping_udp_ports && (r = ps_ports_parse_ex(&cli->ping_udp, c->ping_udp_ports, 0, 1, e))) return r;
    return PS_OK;
}

/* The option a token names, with its argument (attached, or the next
 * token: *i advances past it). */
static int read_option(const char *tok, int argc, char **argv, int *i, const struct option_row **row,
                       const char **argp, int *count, ps_err *e)
{
    const char *arg;
    const struct option_row *o = lookup(tok, &arg, count);
    if (!o) return ps_fail(e, PS_EINPUT, "unknown option '%s' (see pscan --help)", tok);
    if ((o->flags & F_OPTJOIN) && (!arg || !*arg)) {
        arg = NULL; /* -PS alone: the default ports */
    } else if ((o->flags & F_ARG) && (!arg || !*arg)) {
        if (arg && !*arg && o->name[1] == '-') return ps_fail(e, PS_EINPUT, "%s needs a value after '='", o->name);
        if (*i + 1 >= argc) return ps_fail(e, PS_EINPUT, "%s needs an argument (%s)", o->name, o->arg);
        arg = argv[++*i];
    }
    *row = o;
    *argp = arg;
    return PS_OK;
}

/* Every token: options applied in order, the rest kept as targets. */
static int read_args(struct parse_state *st, int argc, char **argv, const char **targets, int *ntargets, ps_err *e)
{
    int only_targets = 0, r = PS_OK;
    for (int i = 1; i < argc && r == PS_OK; i++) {
        const char *tok = argv[i], *arg = NULL;
        const struct option_row *o = NULL;
        int count;
        if (only_targets || tok[0] != '-' || tok[1] == 0) {
            targets[(*ntargets)++] = tok;
            continue;
        }
        if (strcmp(tok, "--") == 0) {
            only_targets = 1;
            continue;
        }
        if ((r = read_option(tok, argc, argv, &i, &o, &arg, &count, e))) break;
        for (int k = 0; k < count && r == PS_OK; k++) r = apply(st, o, o->name, arg, e);
    }
    return r;
}

/* -sL sends nothing: an option that would send, or an output it does
 * not write, is a mistake.  -R only means something with -sL. */
static int check_list(const struct parse_state *st, ps_err *e)
{
    const ps_config *c = &st->cli->cfg;
    if (c->reverse_dns && !c->list_only) return ps_fail(e, PS_EINPUT, "-R (reverse DNS) works only with -sL");
    if (!c->list_only) return PS_OK;
    const char *clash = c->scan_type == PS_SCAN_SYN ? "-sS" : c->scan_type == PS_SCAN_CONNECT ? "-sT"
                        : c->udp_scan ? "-sU" : c->version_detect ? "-sV" : c->ping_only ? "-sn"
                        : c->ping_methods ? "-P" : st->saw_ports ? "-p" : c->top_ports ? "--top-ports"
                        : c->expect_file ? "--expect" : NULL;
    if (clash) return ps_fail(e, PS_EINPUT, "-sL lists the targets and sends nothing: %s does not go with it", clash);
    for (int i = 0; i < c->noutputs; i++)
        if (c->outputs[i].format != PS_OUT_NORMAL && c->outputs[i].format != PS_OUT_JSON)
            return ps_fail(e, PS_EINPUT, "-sL writes the normal output (-oN) and JSON Lines (-oJ) only");
    return PS_OK;
}

/* Options that would do nothing in this combination are refused: the user
 * meant something, and silence would hide that it did not happen. */
static int check_useless(const struct parse_state *st, ps_err *e)
{
    const ps_config *c = &st->cli->cfg;
    struct stat sb;
    if (c->expect_strict && !c->expect_file)
        return ps_fail(e, PS_EINPUT, "--expect-strict works only with --expect FILE (it makes that policy strict)");
    if (c->nprobe_dbs && !c->version_detect)
        return ps_fail(e, PS_EINPUT, "--probe-db loads probes for service detection: add -sV, or leave it out");
    if (c->no_nmap_db && !c->version_detect)
        return ps_fail(e, PS_EINPUT, "--no-nmap-db changes what service detection loads: add -sV, or leave it out");
    if ((c->version_trace || c->no_version_retry) && !c->version_detect)
        return ps_fail(e, PS_EINPUT, "%s is about service detection: add -sV, or leave it out",
                       c->version_trace ? "--version-trace" : "--no-version-retry");
    for (int i = 0; i < c->nprobe_dbs; i++)
        if (stat(c->probe_dbs[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            return ps_fail(e, PS_EINPUT, "--probe-db: '%s' is a directory; it takes a probe file "
                           "(nmap-service-probes syntax)", c->probe_dbs[i]);
    if (!c->ping_only) return PS_OK;
    const char *clash = c->version_detect ? "-sV" : c->udp_scan ? "-sU" : st->saw_ports ? "-p"
                        : c->top_ports ? "--top-ports" : c->exclude_ports ? "--exclude-ports" : NULL;
    if (clash)
        return ps_fail(e, PS_EINPUT, "-sn finds the hosts that are up and scans no port: %s does not go with it "
                       "(host discovery's own ports are given with -PS, -PA and -PU)", clash);
    return PS_OK;
}

/* Options that exclude each other, and the timing: the -T template first,
 * explicit values over it. */
static int settle(struct parse_state *st, ps_err *e)
{
    ps_config *c = &st->cli->cfg;
    const ps_config *x = &st->explicit_timing;
    int r;
    if (st->saw_ipv4 && st->saw_ipv6) return ps_fail(e, PS_EINPUT, "-4 and -6 conflict: choose one");
    if (st->saw_ports && c->top_ports) return ps_fail(e, PS_EINPUT, "-p and --top-ports conflict: choose one");
    if (c->run_user && c->no_privdrop)
        return ps_fail(e, PS_EINPUT, "--user %s and --no-privdrop conflict: choose one", c->run_user);
    if ((r = check_list(st, e))) return r;
    if ((r = check_useless(st, e))) return r;
    if (c->nshards > 1 && !c->seed_given)
        return ps_fail(e, PS_EINPUT, "--shard %u/%u needs --seed: the parts split one order only if every part "
                       "has the same seed (e.g. --seed 42)", c->shard + 1, c->nshards);
    if (c->min_rate && c->max_rate && c->min_rate > c->max_rate)
        return ps_fail(e, PS_EINPUT, "--min-rate %g is above --max-rate %g", c->min_rate, c->max_rate);
    apply_timing(c, st->timing ? st->timing - 1 : 3);
    if (x->max_retries >= 0) c->max_retries = x->max_retries;
    if (x->initial_rtt_ms) c->initial_rtt_ms = x->initial_rtt_ms;
    if (x->min_rtt_ms) c->min_rtt_ms = x->min_rtt_ms;
    if (x->max_rtt_ms) c->max_rtt_ms = x->max_rtt_ms;
    if (x->max_parallelism) c->max_parallelism = x->max_parallelism;
    if (c->min_rtt_ms > c->max_rtt_ms) return ps_fail(e, PS_EINPUT, "--min-rtt-timeout is above --max-rtt-timeout");
    return PS_OK;
}

int ps_cli_parse(ps_cli *cli, int argc, char **argv, ps_err *e)
{
    struct parse_state st;
    const char **targets = calloc((size_t)argc + 1, sizeof *targets);
    int ntargets = 0, r;

    memset(cli, 0, sizeof *cli);
    memset(&st, 0, sizeof st);
    st.cli = cli;
    st.explicit_timing.max_retries = -1;
    if (!targets) return ps_fail(e, PS_ERUNTIME, "out of memory");
    cli->cfg.max_retries = -1;
    cli->cfg.loss_retries = -1;
    cli->cfg.version_intensity = 7;
    cli->cfg.nshards = 1;

    r = read_args(&st, argc, argv, targets, &ntargets, e);
    if (!r && cli->action == PS_CLI_SCAN) {
        r = settle(&st, e);
        if (!r && ntargets == 0 && st.ntarget_files == 0) r = ps_fail(e, PS_EINPUT, "no targets given (see pscan --help)");
        if (!r) r = build_sets(&st, targets, ntargets, e);
    }
    free(targets);
    return r;
}

void ps_cli_free(ps_cli *cli)
{
    for (int i = 0; i < cli->nowned; i++) free(cli->owned[i]);
    cli->nowned = 0;
    ps_targets_free(cli->targets);
    ps_ports_free(&cli->ports);
    ps_ports_free(&cli->ping_syn);
    ps_ports_free(&cli->ping_ack);
    ps_ports_free(&cli->ping_udp);
    cli->targets = NULL;
}

