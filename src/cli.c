/* cli.c: the option table, its parser, and the help and docs it generates.
 *
 * Every option pscan accepts is one row of `options[]` below.  The parser
 * reads the table; `--help` prints its one-line texts; `--help-format=
 * markdown` and `--help-format=man` print docs/usage.md and docs/pscan.1
 * from the same rows (with the longer `doc` text where a row has one).
 * Adding an option is adding a row and a case in apply(). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "pscan/cli.h"
#include "pscan/discover.h"

enum opt_id {
    O_HELP, O_VERSION, O_HELP_FORMAT, O_RESUME,
    O_INPUT_LIST, O_EXCLUDE, O_EXCLUDE_FILE, O_IPV4, O_IPV6, O_NO_DNS,
    O_NO_PING, O_ALLOW_SPECIAL, O_ALLOW_LARGE,
    O_PING_ONLY, O_PING_ARP, O_PING_ECHO, O_PING_TIMESTAMP, O_PING_SYN, O_PING_ACK, O_PING_UDP,
    O_NO_ARP_PING,
    O_SCAN_CONNECT, O_SCAN_SYN, O_SCAN_UDP,
    O_PORTS, O_TOP_PORTS, O_EXCLUDE_PORTS,
    O_TIMING, O_MAX_RETRIES, O_INITIAL_RTT, O_MIN_RTT, O_MAX_RTT,
    O_MIN_RATE, O_MAX_RATE, O_MAX_PARALLELISM,
    O_OPEN, O_VERBOSE, O_DEBUG,
    O_SEED, O_SHARD, O_IFACE, O_SOURCE_IP, O_SOURCE_PORT,
    O_OUT_NORMAL, O_OUT_JSON, O_OUT_XML, O_OUT_GREP, O_OUT_ALL, O_QUIET, O_STATS_EVERY,
    O_EXPECT, O_EXPECT_STRICT, O_NO_LOCAL_INFO,
    O_VERSION_DETECT, O_VERSION_INTENSITY, O_VERSION_LIGHT, O_VERSION_ALL, O_PROBE_DB,
};

enum {
    F_ARG = 1,    /* takes an argument */
    F_JOIN = 2,   /* the argument may be attached: -p22, -T4 */
    F_REPEAT = 4, /* letters may repeat: -vv, -dd */
    F_HIDDEN = 8, /* not in --help or the docs */
    F_OPTJOIN = 16, /* an optional argument, attached only: -PS, -PS22,80 */
};

struct option_row {
    enum opt_id id;
    const char *name;  /* as typed: "-p", "--top-ports" */
    const char *alias; /* or NULL */
    const char *arg;   /* argument placeholder, or NULL */
    unsigned flags;
    const char *group;
    const char *help;  /* one line */
    const char *doc;   /* paragraph for the manual, or NULL for `help` */
};

#define G_TARGET "TARGET SPECIFICATION"
#define G_DISCOVERY "HOST DISCOVERY"
#define G_SCAN "SCAN TECHNIQUES"
#define G_PORTS "PORT SPECIFICATION"
#define G_SERVICE "SERVICE/VERSION DETECTION"
#define G_TIMING "TIMING AND PERFORMANCE"
#define G_OUTPUT "OUTPUT"
#define G_MISC "MISC"

static const struct option_row options[] = {
    {O_INPUT_LIST, "-iL", NULL, "FILE", F_ARG, G_TARGET,
     "Read targets from FILE ('-' for standard input)",
     "Read target specifications from FILE, separated by white space or new "
     "lines; '#' starts a comment. '-' reads standard input."},
    {O_EXCLUDE, "--exclude", NULL, "LIST", F_ARG, G_TARGET,
     "Exclude hosts or networks (comma-separated)",
     "Never scan these targets: a comma-separated list in the same syntax "
     "as targets. Exclusions are subtracted from the target ranges before "
     "anything is sent."},
    {O_EXCLUDE_FILE, "--excludefile", NULL, "FILE", F_ARG, G_TARGET,
     "Exclude the targets listed in FILE", NULL},
    {O_IPV4, "-4", NULL, NULL, 0, G_TARGET,
     "Resolve host names to IPv4 addresses only", NULL},
    {O_IPV6, "-6", NULL, NULL, 0, G_TARGET,
     "Resolve host names to IPv6 addresses only",
     "Resolve host names to IPv6 addresses only. IPv6 literals and "
     "networks are accepted without -6."},
    {O_ALLOW_SPECIAL, "--allow-special", NULL, NULL, 0, G_TARGET,
     "Also scan multicast, broadcast and reserved addresses",
     "Also scan addresses pscan skips by default: 0.0.0.0/8, multicast and "
     "reserved 224.0.0.0/3 (with 255.255.255.255), :: and ff00::/8. Without "
     "it they are dropped from the target set with a note on standard error."},
    {O_ALLOW_LARGE, "--allow-large", NULL, NULL, 0, G_TARGET,
     "Allow a target set larger than a /8 (16,777,216 addresses)", NULL},
    {O_NO_DNS, "-n", NULL, NULL, 0, G_DISCOVERY,
     "Never do reverse DNS resolution (pscan never does it; accepted for nmap compatibility)",
     NULL},
    {O_NO_PING, "-Pn", NULL, NULL, 0, G_DISCOVERY,
     "Treat every target as up: report hosts even when nothing answered",
     "Treat every target as up. Without -Pn a host is reported only if "
     "at least one probe got an answer (an open or closed port, or an ICMP "
     "error); with it, hosts whose every port is filtered are listed too."},
    {O_PING_ONLY, "-sn", NULL, NULL, 0, G_DISCOVERY,
     "Host discovery only: list the hosts that are up, scan no port",
     "Host discovery only. With raw-socket rights, targets on the local link "
     "are asked by ARP (IPv4) or neighbour solicitation (IPv6); others get an "
     "ICMP echo, a TCP SYN to 443, a TCP ACK to 80 and an ICMP timestamp "
     "request, each reply validated by a cookie. Without those rights, a TCP "
     "connect to 80 and 443 (an answer or a refusal means up). Addresses of "
     "this machine are up without a probe. Discovery also runs before a port "
     "scan when a -P option is given, or when the targets hold more than 256 "
     "addresses and more than 4 ports are scanned on each (with fewer, the "
     "port probes are the cheaper test of life); -Pn skips it. The port scan "
     "then covers the hosts found up. See docs/discovery.md."},
    {O_PING_ARP, "-PR", NULL, NULL, 0, G_DISCOVERY, "Discovery by ARP / neighbour solicitation (local link)", NULL},
    {O_PING_ECHO, "-PE", NULL, NULL, 0, G_DISCOVERY, "Discovery by ICMP echo request", NULL},
    {O_PING_TIMESTAMP, "-PP", NULL, NULL, 0, G_DISCOVERY, "Discovery by ICMP timestamp request", NULL},
    {O_PING_SYN, "-PS", NULL, "[PORTS]", F_ARG | F_OPTJOIN, G_DISCOVERY,
     "Discovery by TCP SYN to PORTS (default 443), e.g. -PS22,80", NULL},
    {O_PING_ACK, "-PA", NULL, "[PORTS]", F_ARG | F_OPTJOIN, G_DISCOVERY,
     "Discovery by TCP ACK to PORTS (default 80)", NULL},
    {O_PING_UDP, "-PU", NULL, "[PORTS]", F_ARG | F_OPTJOIN, G_DISCOVERY,
     "Discovery by UDP to PORTS (default 40125): a port unreachable means up", NULL},
    {O_NO_ARP_PING, "--disable-arp-ping", NULL, NULL, 0, G_DISCOVERY,
     "Do not use ARP / neighbour solicitation, even on the local link", NULL},
    {O_SCAN_CONNECT, "-sT", NULL, NULL, 0, G_SCAN,
     "TCP connect() scan (needs no privileges)",
     "TCP connect() scan: a full handshake through the kernel for every "
     "port, many at once on non-blocking sockets. Needs no privileges. "
     "A port is open when the handshake completes, closed when the target "
     "answers with a reset, filtered when nothing answers after the "
     "retries or an ICMP error says the port is unreachable."},
    {O_SCAN_SYN, "-sS", NULL, NULL, 0, G_SCAN,
     "TCP SYN scan: stateless raw packets (the default with raw-socket rights)",
     "TCP SYN scan, the default when pscan may open raw sockets (root or "
     "CAP_NET_RAW); without those rights pscan says so once and falls back to "
     "-sT. Probes are built from one packet template and sent in batches; "
     "each carries a keyed cookie in its sequence number, so replies are "
     "validated without a table of outstanding probes. SYN-ACK means open, "
     "RST closed, ICMP unreachable filtered; probes still unanswered after "
     "the round-trip timeout are resent (only those) up to --max-retries "
     "times, and then reported filtered."},
    {O_SCAN_UDP, "-sU", NULL, NULL, 0, G_SCAN,
     "UDP scan: protocol payloads, paced to the target's ICMP rate limit",
     "UDP scan with ordinary sockets (no privileges needed). Well-known ports "
     "get a payload their service answers (DNS, NTP, SNMP, SSDP, mDNS, "
     "NetBIOS, SIP, TFTP, IKE, memcached, RPC, DTLS, QUIC); others an empty "
     "datagram. A reply means open, ICMP port unreachable closed, another "
     "ICMP unreachable filtered, and silence open|filtered. Closed ports are "
     "only known from ICMP errors, which hosts rate-limit (Linux: 1 a second "
     "for IPv4 after a burst of 6): pscan measures the target's limit and "
     "paces to it, and checks each round with a canary port so silence is "
     "never mistaken for open|filtered. With -sU, ports without a T:/U: "
     "prefix are UDP ports, and the default is the 1000 most common UDP "
     "ports. TCP and UDP scans run separately for now."},
    {O_PORTS, "-p", NULL, "PORTS", F_ARG | F_JOIN, G_PORTS,
     "Ports to scan: 22; 1-1024; -p- for all; 22,80,T:443,U:53; ssh,http",
     "Ports to scan. A comma-separated list of ports (22), ranges (1-1024, "
     "and open-ended 1- or -1024), service names from the IANA registry "
     "(ssh, http) and protocol prefixes T: and U: that apply to what "
     "follows them. '-p-' is every port from 1 to 65535. Port 0 is not "
     "scanned."},
    {O_TOP_PORTS, "--top-ports", NULL, "N", F_ARG, G_PORTS,
     "Scan the N most common ports (default: 1000)",
     "Scan the N most common ports in pscan's own ranking (see "
     "docs/ports.md). Without -p or --top-ports, pscan scans the top 1000."},
    {O_EXCLUDE_PORTS, "--exclude-ports", NULL, "PORTS", F_ARG, G_PORTS,
     "Do not scan these ports", NULL},
    {O_VERSION_DETECT, "-sV", NULL, NULL, 0, G_SERVICE,
     "Name the service, product and version behind each open port",
     "Talk to every open port until its service is named: the banner first, "
     "then the probes that list the port, then the rest by rarity up to the "
     "intensity, several at once and with waits scaled from the measured "
     "round-trip time. TLS is detected and the probes run again inside it "
     "(the service then reads ssl/NAME). Probes come from pscan's own "
     "database (probes/ in the source tree, or PREFIX/share/pscan/probes; "
     "the PSCAN_PROBES environment variable overrides) and --probe-db files. "
     "It starts on each port as soon as the port scan finds it open."},
    {O_VERSION_INTENSITY, "--version-intensity", NULL, "0-9", F_ARG, G_SERVICE,
     "Try probes up to this rarity (default 7)", NULL},
    {O_VERSION_LIGHT, "--version-light", NULL, NULL, 0, G_SERVICE,
     "Intensity 2: the likely probes only", NULL},
    {O_VERSION_ALL, "--version-all", NULL, NULL, 0, G_SERVICE,
     "Intensity 9: every probe", NULL},
    {O_PROBE_DB, "--probe-db", NULL, "FILE", F_ARG, G_SERVICE,
     "Load more probes from FILE (nmap-service-probes syntax; repeatable)",
     "Load more probes from FILE, in the nmap-service-probes syntax (see "
     "docs/probes.md); may be given up to 8 times. An installed nmap's "
     "/usr/share/nmap/nmap-service-probes loads this way (it stays under "
     "nmap's licence and is read, never copied)."},
    {O_TIMING, "-T", NULL, "0-5", F_ARG | F_JOIN, G_TIMING,
     "Timing template: 0 paranoid ... 3 normal (default) ... 5 insane",
     "Timing template. Higher is faster and less patient: -T4 and -T5 lower "
     "the round-trip timeouts and retries, -T0 to -T2 raise them and scan "
     "one probe at a time. Explicit timing options override the template."},
    {O_MAX_RETRIES, "--max-retries", NULL, "N", F_ARG, G_TIMING,
     "Resend an unanswered probe at most N times (default 2)", NULL},
    {O_INITIAL_RTT, "--initial-rtt-timeout", NULL, "TIME", F_ARG, G_TIMING,
     "Timeout before the first round-trip time is measured (default 1s)",
     "Probe timeout used until round-trip times have been measured "
     "(default 1s). TIME is a number with an optional unit: ms, s, m, h "
     "(seconds when none is given)."},
    {O_MIN_RTT, "--min-rtt-timeout", NULL, "TIME", F_ARG, G_TIMING,
     "Lower bound of the adaptive probe timeout (default 100ms)", NULL},
    {O_MAX_RTT, "--max-rtt-timeout", NULL, "TIME", F_ARG, G_TIMING,
     "Upper bound of the adaptive probe timeout (default 10s)", NULL},
    {O_MIN_RATE, "--min-rate", NULL, "N", F_ARG, G_TIMING,
     "Send at least N probes per second", NULL},
    {O_MAX_RATE, "--max-rate", "--rate", "N", F_ARG, G_TIMING,
     "Send at most N probes per second", NULL},
    {O_MAX_PARALLELISM, "--max-parallelism", NULL, "N", F_ARG, G_TIMING,
     "At most N probes (connections) outstanding at once",
     "At most N probes outstanding at once. For the connect scan this is "
     "the number of sockets open at a time; it is also capped by the "
     "process's file-descriptor limit (RLIMIT_NOFILE), which pscan raises "
     "to its hard maximum."},
    {O_SEED, "--seed", NULL, "N", F_ARG, G_TIMING,
     "Seed of the probe order (SYN scan): the same seed gives the same order",
     NULL},
    {O_SHARD, "--shard", NULL, "K/N", F_ARG, G_TIMING,
     "Scan only part K of N of the probe space (1-based; same --seed on every part)",
     "Split one scan across N machines or processes: part K (1 to N) takes "
     "the K-th of N equal slices of the shuffled probe order. The parts do "
     "not overlap and together cover every probe, provided every part is "
     "given the same --seed and the same targets and ports."},
    {O_IFACE, "-e", NULL, "IFACE", F_ARG, G_TIMING,
     "Send and capture on this interface (SYN scan)", NULL},
    {O_SOURCE_IP, "-S", "--source-ip", "ADDR", F_ARG, G_TIMING,
     "Source address of the probes (SYN scan)", NULL},
    {O_SOURCE_PORT, "-g", "--source-port", "PORT", F_ARG, G_TIMING,
     "Use this one source port (SYN scan; default: a range outside the ephemeral ports)", NULL},
    {O_OUT_NORMAL, "-oN", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write the normal report to FILE ('-' for standard output)", NULL},
    {O_OUT_JSON, "-oJ", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write JSON Lines to FILE: one object per result as found, a summary last",
     "Write JSON Lines to FILE: one object per open port as it is found, one "
     "per host when it is complete, and a final summary object. The schema is "
     "versioned and described in docs/output.md."},
    {O_OUT_XML, "-oX", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write XML in nmap's format (valid against nmap.dtd) to FILE", NULL},
    {O_OUT_GREP, "-oG", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write grepable output (one line per host) to FILE", NULL},
    {O_OUT_ALL, "-oA", NULL, "BASE", F_ARG, G_OUTPUT,
     "Write BASE.nmap, BASE.xml, BASE.gnmap and BASE.jsonl at once", NULL},
    {O_QUIET, "-q", NULL, NULL, 0, G_OUTPUT,
     "Quiet: no progress line and no notes on standard error", NULL},
    {O_STATS_EVERY, "--stats-every", NULL, "TIME", F_ARG, G_OUTPUT,
     "Print a progress line on standard error every TIME",
     "Print a progress line (rate, percentage done, time left, open ports "
     "found) on standard error every TIME. On a terminal pscan keeps one "
     "live status line anyway; --stats-every is for logs."},
    {O_EXPECT, "--expect", NULL, "FILE", F_ARG, G_OUTPUT,
     "CI policy: open ports allowed per host or network; others exit 3",
     "Check the results against a policy of open ports allowed per host or "
     "network (format in docs/ci.md). Every open port the policy does not "
     "allow gets one line on standard error and the exit status is 3."},
    {O_EXPECT_STRICT, "--expect-strict", NULL, NULL, 0, G_OUTPUT,
     "With --expect: expected ports found closed also fail (exit 3)", NULL},
    {O_NO_LOCAL_INFO, "--no-local-info", NULL, NULL, 0, G_OUTPUT,
     "Do not name the local process behind open ports of this machine", NULL},
    {O_OPEN, "--open", NULL, NULL, 0, G_OUTPUT,
     "Show only open ports", NULL},
    {O_VERBOSE, "-v", NULL, NULL, F_REPEAT, G_OUTPUT,
     "More output: open ports as they are found (-vv for more)", NULL},
    {O_DEBUG, "-d", NULL, NULL, F_REPEAT, G_OUTPUT,
     "Debugging output on standard error (-dd for more)", NULL},
    {O_RESUME, "--resume", NULL, "FILE", F_ARG, G_MISC,
     "Continue an interrupted scan from its state file (alone on the line)",
     "Continue a scan that was interrupted (Ctrl-C or SIGTERM). An interrupted "
     "scan writes its command line, the seed of its probe order and how far it "
     "got to pscan.resume in the current directory; 'pscan --resume "
     "pscan.resume' runs the rest without repeating finished work. The resumed "
     "run appends to the first run's normal, grepable and JSON Lines files and "
     "writes its XML to FILE.resumed. Must be the only option."},
    {O_VERSION, "--version", "-V", NULL, 0, G_MISC,
     "Print the version and exit", NULL},
    {O_HELP, "--help", "-h", NULL, 0, G_MISC, "Print this help and exit", NULL},
    {O_HELP_FORMAT, "--help-format", NULL, "FORMAT", F_ARG | F_HIDDEN, G_MISC,
     "Print the manual as markdown or man (troff)", NULL},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static const char *const group_order[] = {
    G_TARGET, G_DISCOVERY, G_SCAN, G_PORTS, G_SERVICE, G_TIMING, G_OUTPUT, G_MISC,
};

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
        return ps_fail(e, PS_EINPUT, "%s: '%s' is not a rate from 0 to 1e9 per second", opt, s);
    *out = v;
    return PS_OK;
}

/* Exactly len decimal digits, no sign or space, no overflow. */
static int parse_u64_digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
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

static int apply(struct parse_state *st, const struct option_row *o, const char *name, const char *arg, ps_err *e)
{
    ps_config *c = &st->cli->cfg;
    long v;
    int r;
    switch (o->id) {
    case O_HELP: st->cli->action = PS_CLI_HELP; return PS_OK;
    case O_RESUME: return ps_fail(e, PS_EINPUT, "--resume %s must be the only option: 'pscan --resume FILE'", arg);
    case O_VERSION: st->cli->action = PS_CLI_VERSION; return PS_OK;
    case O_HELP_FORMAT:
        if (strcmp(arg, "markdown") == 0) st->cli->action = PS_CLI_DOC_MARKDOWN;
        else if (strcmp(arg, "man") == 0) st->cli->action = PS_CLI_DOC_MAN;
        else return ps_fail(e, PS_EINPUT, "--help-format: '%s' is not markdown or man", arg);
        return PS_OK;
    case O_INPUT_LIST:
        if (st->ntarget_files == 64) return ps_fail(e, PS_EINPUT, "-iL: too many files");
        st->target_files[st->ntarget_files++] = arg;
        return PS_OK;
    case O_EXCLUDE:
        if (st->nexcludes == 64) return ps_fail(e, PS_EINPUT, "--exclude: given too often");
        st->excludes[st->nexcludes++] = arg;
        return PS_OK;
    case O_EXCLUDE_FILE:
        if (st->nexclude_files == 16) return ps_fail(e, PS_EINPUT, "--excludefile: too many files");
        st->exclude_files[st->nexclude_files++] = arg;
        return PS_OK;
    case O_IPV4: st->saw_ipv4 = 1; c->family = AF_INET; return PS_OK;
    case O_IPV6: st->saw_ipv6 = 1; c->family = AF_INET6; return PS_OK;
    case O_NO_DNS: c->no_dns = 1; return PS_OK;
    case O_ALLOW_SPECIAL: c->allow_special = 1; return PS_OK;
    case O_PING_ONLY: c->ping_only = 1; return PS_OK;
    case O_PING_ARP: c->ping_methods |= PS_PING_ARP | PS_PING_ND; return PS_OK;
    case O_PING_ECHO: c->ping_methods |= PS_PING_ECHO; return PS_OK;
    case O_PING_TIMESTAMP: c->ping_methods |= PS_PING_TIMESTAMP; return PS_OK;
    case O_PING_SYN:
        c->ping_methods |= PS_PING_SYN;
        if (arg && *arg) c->ping_syn_ports = arg;
        return PS_OK;
    case O_PING_ACK:
        c->ping_methods |= PS_PING_ACK;
        if (arg && *arg) c->ping_ack_ports = arg;
        return PS_OK;
    case O_PING_UDP:
        c->ping_methods |= PS_PING_UDP;
        if (arg && *arg) c->ping_udp_ports = arg;
        return PS_OK;
    case O_NO_ARP_PING: c->disable_arp_ping = 1; return PS_OK;
    case O_ALLOW_LARGE: c->allow_large = 1; return PS_OK;
    case O_NO_PING: c->no_ping = 1; return PS_OK;
    case O_SCAN_CONNECT:
    case O_SCAN_SYN:
    case O_SCAN_UDP: {
        enum ps_scan_type want = o->id == O_SCAN_SYN ? PS_SCAN_SYN : o->id == O_SCAN_UDP ? PS_SCAN_UDP : PS_SCAN_CONNECT;
        if (c->scan_type != PS_SCAN_DEFAULT && c->scan_type != want)
            return ps_fail(e, PS_EINPUT, "%s conflicts with the scan type given before it: run TCP (-sS/-sT) and "
                           "UDP (-sU) scans separately", name);
        c->scan_type = want;
        return PS_OK;
    }
    case O_SEED:
        if (parse_u64_digits(arg, strlen(arg), &c->seed))
            return ps_fail(e, PS_EINPUT, "--seed: '%s' is not a decimal number from 0 to 2^64-1", arg);
        c->seed_given = 1;
        return PS_OK;
    case O_SHARD: {
        const char *slash = strchr(arg, '/');
        uint64_t k, n;
        if (!slash || parse_u64_digits(arg, (size_t)(slash - arg), &k) ||
            parse_u64_digits(slash + 1, strlen(slash + 1), &n) || n == 0 || k == 0 || k > n || n > 1000000)
            return ps_fail(e, PS_EINPUT, "--shard: '%s' is not K/N with 1 <= K <= N <= 1000000", arg);
        c->shard = (unsigned)(k - 1);
        c->nshards = (unsigned)n;
        return PS_OK;
    }
    case O_IFACE: c->iface = arg; return PS_OK;
    case O_SOURCE_IP: {
        ps_addr a;
        if (ps_addr_parse(arg, &a) != 0)
            return ps_fail(e, PS_EINPUT, "%s: '%s' is not an IP address", name, arg);
        c->source_ip = arg;
        return PS_OK;
    }
    case O_SOURCE_PORT:
        if ((r = parse_int(name, arg, 1, 65535, &v, e))) return r;
        c->source_port = (int)v;
        return PS_OK;
    case O_PORTS:
        if (c->ports) return ps_fail(e, PS_EINPUT, "-p given twice ('%s' and '%s'): combine them with commas", c->ports, arg);
        c->ports = arg;
        st->saw_ports = 1;
        return PS_OK;
    case O_TOP_PORTS:
        if ((r = parse_int(name, arg, 1, 65535, &v, e))) return r;
        c->top_ports = (int)v;
        return PS_OK;
    case O_EXCLUDE_PORTS: c->exclude_ports = arg; return PS_OK;
    case O_TIMING: {
        const char *a = arg;
        static const char *const names[6] = {"paranoid", "sneaky", "polite", "normal", "aggressive", "insane"};
        for (int i = 0; i < 6; i++)
            if (strcasecmp(a, names[i]) == 0) { st->timing = i + 1; return PS_OK; }
        if ((r = parse_int("-T", a, 0, 5, &v, e))) return r;
        st->timing = (int)v + 1;
        return PS_OK;
    }
    case O_MAX_RETRIES:
        if ((r = parse_int(name, arg, 0, 50, &v, e))) return r;
        st->explicit_timing.max_retries = (int)v;
        return PS_OK;
    case O_INITIAL_RTT: return parse_time_ms(name, arg, &st->explicit_timing.initial_rtt_ms, e);
    case O_MIN_RTT: return parse_time_ms(name, arg, &st->explicit_timing.min_rtt_ms, e);
    case O_MAX_RTT: return parse_time_ms(name, arg, &st->explicit_timing.max_rtt_ms, e);
    case O_MIN_RATE: return parse_rate(name, arg, &c->min_rate, e);
    case O_MAX_RATE: return parse_rate(name, arg, &c->max_rate, e);
    case O_MAX_PARALLELISM:
        if ((r = parse_int(name, arg, 1, 1000000, &v, e))) return r;
        st->explicit_timing.max_parallelism = (int)v;
        return PS_OK;
    case O_OUT_NORMAL: return add_output(st, PS_OUT_NORMAL, arg, e);
    case O_OUT_JSON: return add_output(st, PS_OUT_JSON, arg, e);
    case O_OUT_XML: return add_output(st, PS_OUT_XML, arg, e);
    case O_OUT_GREP: return add_output(st, PS_OUT_GREP, arg, e);
    case O_OUT_ALL: {
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
            if ((r = add_output(st, all[i].f, path, e))) return r;
        }
        return PS_OK;
    }
    case O_QUIET: c->quiet = 1; return PS_OK;
    case O_STATS_EVERY: return parse_time_ms(name, arg, &c->stats_every_ms, e);
    case O_EXPECT: c->expect_file = arg; return PS_OK;
    case O_EXPECT_STRICT: c->expect_strict = 1; return PS_OK;
    case O_NO_LOCAL_INFO: c->no_local_info = 1; return PS_OK;
    case O_VERSION_DETECT: c->version_detect = 1; return PS_OK;
    case O_VERSION_INTENSITY:
        if ((r = parse_int(name, arg, 0, 9, &v, e))) return r;
        c->version_intensity = (int)v;
        return PS_OK;
    case O_VERSION_LIGHT: c->version_intensity = 2; return PS_OK;
    case O_VERSION_ALL: c->version_intensity = 9; return PS_OK;
    case O_PROBE_DB:
        if (c->nprobe_dbs == PS_MAX_PROBE_DBS) return ps_fail(e, PS_EINPUT, "--probe-db given more than %d times", PS_MAX_PROBE_DBS);
        c->probe_dbs[c->nprobe_dbs++] = arg;
        return PS_OK;
    case O_OPEN: c->open_only = 1; return PS_OK;
    case O_VERBOSE: c->verbose++; return PS_OK;
    case O_DEBUG: c->debug++; return PS_OK;
    }
    return ps_fail(e, PS_ERUNTIME, "option %s has no handler", name);
}

/* Find the row for token tok.  *arg is set when the argument is attached
 * (-p22, --top-ports=10); *count for repeated letters (-vvv). */
static const struct option_row *lookup(const char *tok, const char **arg, int *count)
{
    *arg = NULL;
    *count = 1;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option_row *o = &options[i];
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

    int udp = c->scan_type == PS_SCAN_UDP;
    if (c->ports) {
        if ((r = ps_ports_parse_ex(&cli->ports, c->ports, !udp, udp, e))) return r;
    } else {
        if ((r = ps_ports_top(&cli->ports, udp ? PS_UDP : PS_TCP, c->top_ports ? c->top_ports : 1000, e)))
            return r;
    }
    if (c->exclude_ports && (r = ps_ports_exclude(&cli->ports, c->exclude_ports, e))) return r;
    if (cli->ports.ntcp + cli->ports.nudp == 0)
        return ps_fail(e, PS_EINPUT, "no ports left to scan");
    if (cli->ports.nudp && !udp)
        return ps_fail(e, PS_EINPUT, "-p: UDP ports (U:) need a UDP scan (-sU)");
    if (cli->ports.ntcp && udp)
        return ps_fail(e, PS_EINPUT, "-p: TCP ports (T:) need a TCP scan: run -sU and -sS/-sT separately");
    if (c->ping_syn_ports && (r = ps_ports_parse_ex(&cli->ping_syn, c->ping_syn_ports, 1, 0, e))) return r;
    if (c->ping_ack_ports && (r = ps_ports_parse_ex(&cli->ping_ack, c->ping_ack_ports, 1, 0, e))) return r;
    if (c->ping_udp_ports && (r = ps_ports_parse_ex(&cli->ping_udp, c->ping_udp_ports, 0, 1, e))) return r;
    return PS_OK;
}

int ps_cli_parse(ps_cli *cli, int argc, char **argv, ps_err *e)
{
    struct parse_state st;
    const char **targets = calloc((size_t)argc + 1, sizeof *targets);
    int ntargets = 0, r = PS_OK, only_targets = 0;

    memset(cli, 0, sizeof *cli);
    memset(&st, 0, sizeof st);
    st.cli = cli;
    st.explicit_timing.max_retries = -1;
    if (!targets) return ps_fail(e, PS_ERUNTIME, "out of memory");
    cli->cfg.max_retries = -1;
    cli->cfg.version_intensity = 7;
    cli->cfg.nshards = 1;

    for (int i = 1; i < argc && r == PS_OK; i++) {
        const char *tok = argv[i];
        if (only_targets || tok[0] != '-' || tok[1] == 0) {
            targets[ntargets++] = tok;
            continue;
        }
        if (strcmp(tok, "--") == 0) {
            only_targets = 1;
            continue;
        }
        const char *arg;
        int count;
        const struct option_row *o = lookup(tok, &arg, &count);
        if (!o) {
            r = ps_fail(e, PS_EINPUT, "unknown option '%s' (see pscan --help)", tok);
            break;
        }
        if ((o->flags & F_OPTJOIN) && (!arg || !*arg)) {
            arg = NULL; /* -PS alone: the default ports */
        } else if ((o->flags & F_ARG) && (!arg || !*arg)) {
            if (arg && !*arg && o->name[1] == '-') {
                r = ps_fail(e, PS_EINPUT, "%s needs a value after '='", o->name);
                break;
            }
            if (i + 1 >= argc) {
                r = ps_fail(e, PS_EINPUT, "%s needs an argument (%s)", o->name, o->arg);
                break;
            }
            arg = argv[++i];
        }
        for (int k = 0; k < count && r == PS_OK; k++)
            r = apply(&st, o, o->name, arg, e);
    }
    if (r) goto out;
    if (cli->action != PS_CLI_SCAN) goto out;

    ps_config *c = &cli->cfg;
    if (st.saw_ipv4 && st.saw_ipv6) { r = ps_fail(e, PS_EINPUT, "-4 and -6 conflict: choose one"); goto out; }
    if (st.saw_ports && c->top_ports) { r = ps_fail(e, PS_EINPUT, "-p and --top-ports conflict: choose one"); goto out; }
    if (c->min_rate && c->max_rate && c->min_rate > c->max_rate) {
        r = ps_fail(e, PS_EINPUT, "--min-rate %g is above --max-rate %g", c->min_rate, c->max_rate);
        goto out;
    }

    /* Timing: the template first, then explicit values over it. */
    apply_timing(c, st.timing ? st.timing - 1 : 3);
    if (st.explicit_timing.max_retries >= 0) c->max_retries = st.explicit_timing.max_retries;
    if (st.explicit_timing.initial_rtt_ms) c->initial_rtt_ms = st.explicit_timing.initial_rtt_ms;
    if (st.explicit_timing.min_rtt_ms) c->min_rtt_ms = st.explicit_timing.min_rtt_ms;
    if (st.explicit_timing.max_rtt_ms) c->max_rtt_ms = st.explicit_timing.max_rtt_ms;
    if (st.explicit_timing.max_parallelism) c->max_parallelism = st.explicit_timing.max_parallelism;
    if (c->min_rtt_ms > c->max_rtt_ms) {
        r = ps_fail(e, PS_EINPUT, "--min-rtt-timeout is above --max-rtt-timeout");
        goto out;
    }

    if (ntargets == 0 && st.ntarget_files == 0) {
        r = ps_fail(e, PS_EINPUT, "no targets given (see pscan --help)");
        goto out;
    }
    r = build_sets(&st, targets, ntargets, e);
out:
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

/* ---- help and documents ------------------------------------------------ */

static const char synopsis[] = "pscan [options] TARGET...";
static const char summary[] =
    "pscan finds open ports fast and names what answers on them.";
static const char targets_text[] =
    "Targets are IPv4 or IPv6 addresses, networks in CIDR notation "
    "(198.18.0.0/24, 2001:db8::/120), nmap-style octet ranges "
    "(198.18.0-3.1-254) and host names (resolved once, first address).";
static const char exit_text[][2][80] = {
    {"0", "the scan ran to its end"},
    {"1", "bad usage or input: nothing was scanned"},
    {"2", "the scan failed at run time (sockets, memory, devices)"},
};
static const char example_text[][2][80] = {
    {"pscan -sT 127.0.0.1 -p-", "every TCP port of this machine"},
    {"pscan -sT 198.18.0.0/24 --top-ports 100", "the 100 most common ports of a /24"},
    {"pscan -sT -iL hosts.txt --exclude 198.18.0.1 -p 22,80,443", "a list, less one host"},
};

static void opt_label(const struct option_row *o, char *buf, size_t len)
{
    if (o->alias && o->arg) snprintf(buf, len, "%s, %s %s", o->alias, o->name, o->arg);
    else if (o->alias) snprintf(buf, len, "%s, %s", o->alias, o->name);
    else if (o->arg) snprintf(buf, len, "%s %s", o->name, o->arg);
    else snprintf(buf, len, "%s", o->name);
}

void ps_cli_help(FILE *out)
{
    char label[64];
    fprintf(out, "pscan %s: %s\nUsage: %s\n%s\n", PSCAN_VERSION, summary, synopsis, targets_text);
    for (size_t g = 0; g < sizeof group_order / sizeof group_order[0]; g++) {
        fprintf(out, "%s:\n", group_order[g]);
        for (size_t i = 0; i < NOPTIONS; i++) {
            const struct option_row *o = &options[i];
            if (o->group != group_order[g] || (o->flags & F_HIDDEN)) continue;
            opt_label(o, label, sizeof label);
            fprintf(out, "  %-26s %s\n", label, o->help);
        }
    }
    fprintf(out, "EXAMPLES:\n");
    for (size_t i = 0; i < sizeof example_text / sizeof example_text[0]; i++)
        fprintf(out, "  %s\n", example_text[i][0]);
    fprintf(out, "See the pscan(1) manual page or docs/usage.md for more.\n");
}

void ps_cli_doc_markdown(FILE *out)
{
    char label[64];
    fprintf(out, "# pscan usage\n\n<!-- Generated by `make docs` from the option table in src/cli.c: do not edit. -->\n\n");
    fprintf(out, "```\n%s\n```\n\n%s\n\n%s\n", synopsis, summary, targets_text);
    for (size_t g = 0; g < sizeof group_order / sizeof group_order[0]; g++) {
        fprintf(out, "\n## %s\n", group_order[g]);
        for (size_t i = 0; i < NOPTIONS; i++) {
            const struct option_row *o = &options[i];
            if (o->group != group_order[g] || (o->flags & F_HIDDEN)) continue;
            opt_label(o, label, sizeof label);
            fprintf(out, "\n### `%s`\n\n%s\n", label, o->doc ? o->doc : o->help);
        }
    }
    fprintf(out, "\n## EXIT STATUS\n\n");
    for (size_t i = 0; i < sizeof exit_text / sizeof exit_text[0]; i++)
        fprintf(out, "- `%s`: %s\n", exit_text[i][0], exit_text[i][1]);
    fprintf(out, "\n## EXAMPLES\n\n");
    for (size_t i = 0; i < sizeof example_text / sizeof example_text[0]; i++)
        fprintf(out, "- `%s`: %s\n", example_text[i][0], example_text[i][1]);
}

/* troff needs leading dots and backslashes escaped, and '-' as '\-'. */
static void man_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'') fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", out);
        else if (*s == '-') fputs("\\-", out);
        else fputc(*s, out);
    }
}

void ps_cli_doc_man(FILE *out)
{
    fprintf(out, ".\\\" Generated by `make docs` from the option table in src/cli.c: do not edit.\n");
    fprintf(out, ".TH PSCAN 1 \"\" \"pscan %s\" \"User Commands\"\n", PSCAN_VERSION);
    fprintf(out, ".SH NAME\npscan \\- fast port scanner and service identifier\n");
    fprintf(out, ".SH SYNOPSIS\n.B pscan\n[\\fIoptions\\fR] \\fITARGET\\fR...\n");
    fprintf(out, ".SH DESCRIPTION\n");
    man_text(out, summary);
    fprintf(out, "\n.PP\n");
    man_text(out, targets_text);
    fprintf(out, "\n");
    for (size_t g = 0; g < sizeof group_order / sizeof group_order[0]; g++) {
        fprintf(out, ".SH %s\n", group_order[g]);
        for (size_t i = 0; i < NOPTIONS; i++) {
            const struct option_row *o = &options[i];
            if (o->group != group_order[g] || (o->flags & F_HIDDEN)) continue;
            fprintf(out, ".TP\n");
            if (o->alias) {
                fprintf(out, "\\fB");
                man_text(out, o->alias);
                fprintf(out, "\\fR, ");
            }
            fprintf(out, "\\fB");
            man_text(out, o->name);
            fprintf(out, "\\fR");
            if (o->arg) {
                fprintf(out, " \\fI");
                man_text(out, o->arg);
                fprintf(out, "\\fR");
            }
            fprintf(out, "\n");
            man_text(out, o->doc ? o->doc : o->help);
            fprintf(out, "\n");
        }
    }
    fprintf(out, ".SH EXIT STATUS\n");
    for (size_t i = 0; i < sizeof exit_text / sizeof exit_text[0]; i++) {
        fprintf(out, ".TP\n.B %s\n", exit_text[i][0]);
        man_text(out, exit_text[i][1]);
        fprintf(out, "\n");
    }
    fprintf(out, ".SH EXAMPLES\n");
    for (size_t i = 0; i < sizeof example_text / sizeof example_text[0]; i++) {
        fprintf(out, ".TP\n.B ");
        man_text(out, example_text[i][0]);
        fprintf(out, "\n");
        man_text(out, example_text[i][1]);
        fprintf(out, "\n");
    }
    fprintf(out, ".SH SEE ALSO\n.BR nmap (1),\n.BR masscan (1),\n.BR zmap (1)\n");
}
