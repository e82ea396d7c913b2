/* cli_options.c: every option pscan accepts, one row each.
 *
 * The parser (cli.c) reads these rows; --help and the manual (cli_doc.c)
 * print them, so docs/usage.md and docs/pscan.1 (`make docs`) cannot drift
 * from what the parser does.  A row that only stores a value into one
 * ps_config field says which and how (the macros below); the others have
 * a case in cli.c's apply_call().  Adding an option is adding a row. */
#include <stddef.h>

#include "pscan/config.h"

#include "cli_int.h"

#define CALL .kind = K_CALL /* a case in cli.c */
#define AT(f) .field = offsetof(ps_config, f)
#define FLAG(f) .kind = K_SET, AT(f), .lo = 1
#define SET(f, v) .kind = K_SET, AT(f), .lo = (v)
#define COUNT(f) .kind = K_COUNT, AT(f)
#define BITS(f, b) .kind = K_BITS, AT(f), .lo = (b)
#define INT(f, a, b) .kind = K_INT, AT(f), .lo = (a), .hi = (b)
#define TIME(f) .kind = K_TIME, AT(f)
#define RATE(f) .kind = K_RATE, AT(f)
#define STRING(f) .kind = K_STRING, AT(f)
#define OUTPUT(fmt) .kind = K_OUTPUT, .lo = (fmt)
/* Timing values are kept apart and laid over the -T template at the end. */
#define TIMING_INT(f, a, b) INT(f, a, b), .timing = 1
#define TIMING_TIME(f) TIME(f), .timing = 1

#define G_TARGET "TARGET SPECIFICATION"
#define G_DISCOVERY "HOST DISCOVERY"
#define G_SCAN "SCAN TECHNIQUES"
#define G_PORTS "PORT SPECIFICATION"
#define G_SERVICE "SERVICE/VERSION DETECTION"
#define G_TIMING "TIMING AND PERFORMANCE"
#define G_OUTPUT "OUTPUT"
#define G_MISC "MISC"

const struct option_row ps_cli_options[] = {
    {O_INPUT_LIST, "-iL", NULL, "FILE", F_ARG, G_TARGET,
     "Read targets from FILE ('-' for standard input)",
     "Read target specifications from FILE, separated by white space or new "
     "lines; '#' starts a comment. '-' reads standard input.", CALL},
    {O_EXCLUDE, "--exclude", NULL, "LIST", F_ARG, G_TARGET,
     "Exclude hosts or networks (comma-separated)",
     "Never scan these targets: a comma-separated list in the same syntax "
     "as targets. Exclusions are subtracted from the target ranges before "
     "anything is sent.", CALL},
    {O_EXCLUDE_FILE, "--excludefile", NULL, "FILE", F_ARG, G_TARGET,
     "Exclude the targets listed in FILE", NULL, CALL},
    {O_IPV4, "-4", NULL, NULL, 0, G_TARGET,
     "Resolve host names to IPv4 addresses only", NULL, CALL},
    {O_IPV6, "-6", NULL, NULL, 0, G_TARGET,
     "Resolve host names to IPv6 addresses only",
     "Resolve host names to IPv6 addresses only. IPv6 literals and "
     "networks are accepted without -6.", CALL},
    {O_ALLOW_SPECIAL, "--allow-special", NULL, NULL, 0, G_TARGET,
     "Also scan multicast, broadcast and reserved addresses",
     "Also scan addresses pscan skips by default: 0.0.0.0/8, multicast and "
     "reserved 224.0.0.0/3 (with 255.255.255.255), :: and ff00::/8. Without "
     "it they are dropped from the target set with a note on standard error.", FLAG(allow_special)},
    {O_ALLOW_LARGE, "--allow-large", NULL, NULL, 0, G_TARGET,
     "Allow a target set larger than a /8 (16,777,216 addresses)", NULL, FLAG(allow_large)},
    {O_NO_DNS, "-n", NULL, NULL, 0, G_DISCOVERY,
     "Never do reverse DNS resolution (pscan never does it; accepted for nmap compatibility)",
     NULL, FLAG(no_dns)},
    {O_NO_PING, "-Pn", NULL, NULL, 0, G_DISCOVERY,
     "Treat every target as up: report hosts even when nothing answered",
     "Treat every target as up. Without -Pn a host is reported only if "
     "at least one probe got an answer (an open or closed port, or an ICMP "
     "error); with it, hosts whose every port is filtered are listed too.", FLAG(no_ping)},
    {O_LIST_SCAN, "-sL", NULL, NULL, 0, G_DISCOVERY,
     "List scan: print every target a scan would probe, send nothing",
     "List scan: print each address a scan would probe, after --exclude, the "
     "special-address rule and the size limit, in scan order, one line each, "
     "and end. Not one packet is sent (with -R, only the name look-ups). The "
     "way to check a target list before scanning it. Writes the normal output "
     "and, with -oJ, one JSON line per target; no port, ping or -sV option "
     "goes with it.",
     FLAG(list_only)},
    {O_REVERSE_DNS, "-R", NULL, NULL, 0, G_DISCOVERY,
     "With -sL: look up the name of every address (reverse DNS)",
     "With -sL, ask the system's resolver for each address's name (PTR). "
     "This queries DNS servers, so the list is no longer silent; names are "
     "escaped like any other text from the network.",
     FLAG(reverse_dns)},
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
     "then covers the hosts found up. See docs/discovery.md.", FLAG(ping_only)},
    {O_PING_ARP, "-PR", NULL, NULL, 0, G_DISCOVERY, "Discovery by ARP / neighbour solicitation (local link)", NULL, BITS(ping_methods, PS_PING_ARP | PS_PING_ND)},
    {O_PING_ECHO, "-PE", NULL, NULL, 0, G_DISCOVERY, "Discovery by ICMP echo request", NULL, BITS(ping_methods, PS_PING_ECHO)},
    {O_PING_TIMESTAMP, "-PP", NULL, NULL, 0, G_DISCOVERY, "Discovery by ICMP timestamp request", NULL, BITS(ping_methods, PS_PING_TIMESTAMP)},
    {O_PING_SYN, "-PS", NULL, "[PORTS]", F_ARG | F_OPTJOIN, G_DISCOVERY,
     "Discovery by TCP SYN to PORTS (default 443), e.g. -PS22,80", NULL, CALL},
    {O_PING_ACK, "-PA", NULL, "[PORTS]", F_ARG | F_OPTJOIN, G_DISCOVERY,
     "Discovery by TCP ACK to PORTS (default 80)", NULL, CALL},
    {O_PING_UDP, "-PU", NULL, "[PORTS]", F_ARG | F_OPTJOIN, G_DISCOVERY,
     "Discovery by UDP to PORTS (default 40125): a port unreachable means up", NULL, CALL},
    {O_NO_ARP_PING, "--disable-arp-ping", NULL, NULL, 0, G_DISCOVERY,
     "Do not use ARP / neighbour solicitation, even on the local link", NULL, FLAG(disable_arp_ping)},
    {O_SCAN_CONNECT, "-sT", NULL, NULL, 0, G_SCAN,
     "TCP connect() scan (needs no privileges)",
     "TCP connect() scan: a full handshake through the kernel for every "
     "port, many at once on non-blocking sockets. Needs no privileges. "
     "A port is open when the handshake completes, closed when the target "
     "answers with a reset, filtered when nothing answers after the "
     "retries or an ICMP error says the port is unreachable.", CALL},
    {O_SCAN_SYN, "-sS", NULL, NULL, 0, G_SCAN,
     "TCP SYN scan: stateless raw packets (the default with raw-socket rights)",
     "TCP SYN scan, the default when pscan may open raw sockets (root or "
     "CAP_NET_RAW); without those rights pscan says so once and falls back to "
     "-sT. Probes are built from one packet template and sent in batches; "
     "each carries a keyed cookie in its sequence number, so replies are "
     "validated without a table of outstanding probes. SYN-ACK means open, "
     "RST closed, ICMP unreachable filtered; probes still unanswered after "
     "the round-trip timeout are resent (only those) up to --max-retries "
     "times, and then reported filtered.", CALL},
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
     "never mistaken for open|filtered. -sU alone scans UDP only: ports "
     "without a T:/U: prefix are UDP ports, and the default is the 1000 most "
     "common UDP ports. With -sS or -sT as well, the TCP scan runs first and "
     "then the UDP scan, into one report: bare ports are scanned on both "
     "protocols, and the default is the top 1000 of each. With -sV, the "
     "UDP probes of the probe database go to open and open|filtered ports; "
     "a reply makes the port open and names its service.", FLAG(udp_scan)},
    {O_PORTS, "-p", NULL, "PORTS", F_ARG | F_JOIN, G_PORTS,
     "Ports to scan: 22; 1-1024; -p- for all; 22,80,T:443,U:53; ssh,http",
     "Ports to scan. A comma-separated list of ports (22), ranges (1-1024, "
     "and open-ended 1- or -1024), service names from the IANA registry "
     "(ssh, http) and protocol prefixes T: and U: that apply to what "
     "follows them. '-p-' is every port from 1 to 65535. Port 0 is not "
     "scanned.", CALL},
    {O_TOP_PORTS, "--top-ports", NULL, "N", F_ARG, G_PORTS,
     "Scan the N most common ports (default: 1000)",
     "Scan the N most common ports in pscan's own ranking (see "
     "docs/ports.md). Without -p or --top-ports, pscan scans the top 1000.", INT(top_ports, 1, 65535)},
    {O_EXCLUDE_PORTS, "--exclude-ports", NULL, "PORTS", F_ARG, G_PORTS,
     "Do not scan these ports", NULL, STRING(exclude_ports)},
    {O_VERSION_DETECT, "-sV", NULL, NULL, 0, G_SERVICE,
     "Name the service, product and version behind each open port",
     "Talk to every open port until its service is named: the banner first, "
     "then the probes that list the port, then the rest by rarity up to the "
     "intensity, several at once and with waits scaled from the measured "
     "round-trip time. TLS is detected and the probes run again inside it "
     "(the service then reads ssl/NAME). Probes come from pscan's own "
     "database (probes/ in the source tree, or PREFIX/share/pscan/probes; "
     "the PSCAN_PROBES environment variable overrides) and --probe-db files. "
     "It starts on each port as soon as the port scan finds it open.", FLAG(version_detect)},
    {O_VERSION_INTENSITY, "--version-intensity", NULL, "0-9", F_ARG, G_SERVICE,
     "Try probes up to this rarity (default 7)", NULL, INT(version_intensity, 0, 9)},
    {O_VERSION_LIGHT, "--version-light", NULL, NULL, 0, G_SERVICE,
     "Intensity 2: the likely probes only", NULL, SET(version_intensity, 2)},
    {O_VERSION_ALL, "--version-all", NULL, NULL, 0, G_SERVICE,
     "Intensity 9: every probe", NULL, SET(version_intensity, 9)},
    {O_NO_NMAP_DB, "--no-nmap-db", NULL, NULL, 0, G_SERVICE,
     "-sV: use pscan's own probes only, not an installed nmap's",
     "Where nmap is installed, -sV also reads its database "
     "(/usr/share/nmap/nmap-service-probes, or $PSCAN_NMAP_PROBES) after "
     "pscan's own, at run time: it is nmap's, under nmap's licence, and never "
     "part of pscan. Its regexes compile the first time a reply reaches "
     "them, so it costs little start-up. Answers merge by specificity: one "
     "with product and version is never replaced by one with less, whichever "
     "database it came from. --no-nmap-db leaves it out.",
     FLAG(no_nmap_db)},
    {O_VERSION_TRACE, "--version-trace", NULL, NULL, 0, G_SERVICE,
     "-sV: tell every connection's story on standard error",
     "One line per event of every -sV connection on standard error: the "
     "port, the track (tcp or tls) and probe, then what happened (connected "
     "in 0.3 ms, 24 bytes after 1.2 ms, TLS up, closed by the peer, a match, "
     "trouble and the windows it left, the retry). For finding out why a "
     "port was named as it was.", FLAG(version_trace)},
    {O_NO_VERSION_RETRY, "--no-version-retry", NULL, NULL, 0, G_SERVICE,
     "-sV: no patient second pass on ports left unnamed",
     "A TCP port the first pass leaves unnamed while it stayed silent or "
     "showed trouble (timeouts, connections closed empty, late greetings) is "
     "normally tried once more after its host's first pass, two connections "
     "at a time with longer waits; the result says how it was reached "
     "(pass: first, retry or gave-up; see docs/output.md). This turns that "
     "off: faster on silent ports, less complete on struggling servers.", FLAG(no_version_retry)},
    {O_PROBE_DB, "--probe-db", NULL, "FILE", F_ARG, G_SERVICE,
     "Load more probes from FILE (nmap-service-probes syntax; repeatable)",
     "Load more probes from FILE, in the nmap-service-probes syntax (see "
     "docs/probes.md); may be given up to 8 times. An installed nmap's "
     "/usr/share/nmap/nmap-service-probes loads this way (it stays under "
     "nmap's licence and is read, never copied).", CALL},
    {O_TIMING, "-T", NULL, "0-5", F_ARG | F_JOIN, G_TIMING,
     "Timing template: 0 paranoid ... 3 normal (default) ... 5 insane",
     "Timing template. Higher is faster and less patient: -T4 and -T5 lower "
     "the round-trip timeouts and retries, -T0 to -T2 raise them and scan "
     "one probe at a time. Explicit timing options override the template.", CALL},
    {O_MAX_RETRIES, "--max-retries", NULL, "N", F_ARG, G_TIMING,
     "Resend an unanswered probe at most N times (default 2)", NULL, TIMING_INT(max_retries, 0, 50)},
    {O_LOSS_RETRIES, "--loss-retries", NULL, "N", F_ARG, G_TIMING,
     "-sS: at most N more passes where loss may hide open ports (default 10)",
     "For the SYN scan: beyond --max-retries, up to N more passes over the "
     "probes still unanswered, while the loss measured during the scan (the "
     "share of answers that only a retry brought) says open ports may still "
     "be hidden: pscan keeps resending until fewer than half an open port is "
     "expected to be missing in the whole scan. Each of those passes sends "
     "every unanswered probe as many times as that estimate calls for (at "
     "most 8). 0 turns this off. A lossless path answers in the first pass "
     "and costs nothing here.",
     INT(loss_retries, 0, 100)},
    {O_LOSS_TIME, "--loss-time", NULL, "TIME", F_ARG, G_TIMING,
     "-sS: the time those extra passes may take, per chunk of the scan (default 10s)",
     NULL, TIME(loss_time_ms)},
    {O_INITIAL_RTT, "--initial-rtt-timeout", NULL, "TIME", F_ARG, G_TIMING,
     "Timeout before the first round-trip time is measured (default 1s)",
     "Probe timeout used until round-trip times have been measured "
     "(default 1s). TIME is a number with an optional unit: ms, s, m, h "
     "(seconds when none is given).", TIMING_TIME(initial_rtt_ms)},
    {O_MIN_RTT, "--min-rtt-timeout", NULL, "TIME", F_ARG, G_TIMING,
     "Lower bound of the adaptive probe timeout (default 100ms)", NULL, TIMING_TIME(min_rtt_ms)},
    {O_MAX_RTT, "--max-rtt-timeout", NULL, "TIME", F_ARG, G_TIMING,
     "Upper bound of the adaptive probe timeout (default 10s)", NULL, TIMING_TIME(max_rtt_ms)},
    {O_MIN_RATE, "--min-rate", NULL, "N", F_ARG, G_TIMING,
     "Send at least N probes per second (never limiting: pscan sends as fast as --max-rate allows)",
     "Accepted for nmap compatibility. pscan does not slow down on its own: the SYN scan sends as "
     "fast as --max-rate allows (no limit by default) and the connect scan keeps "
     "--max-parallelism connections open, so any minimum is met when the network allows it.", RATE(min_rate)},
    {O_MAX_RATE, "--max-rate", "--rate", "N", F_ARG, G_TIMING,
     "Send at most N probes per second", NULL, RATE(max_rate)},
    {O_MAX_PARALLELISM, "--max-parallelism", NULL, "N", F_ARG, G_TIMING,
     "At most N probes (connections) outstanding at once",
     "At most N probes outstanding at once. For the connect scan this is "
     "the number of sockets open at a time; it is also capped by the "
     "process's file-descriptor limit (RLIMIT_NOFILE), which pscan raises "
     "to its hard maximum.", TIMING_INT(max_parallelism, 1, 1000000)},
    {O_SEED, "--seed", NULL, "N", F_ARG, G_TIMING,
     "Seed of the probe order and of --shard's split: the same seed gives the same order",
     NULL, CALL},
    {O_SHARD, "--shard", NULL, "K/N|auto[/N]", F_ARG, G_TIMING,
     "Scan only part K of N of the probe space (1-based; same --seed on every part); auto: from Slurm or Kubernetes",
     "Split one scan across N machines or processes: part K (1 to N) takes "
     "the K-th of N equal slices of the shuffled order of host-port pairs, for "
     "the SYN, connect and UDP scans alike. The parts do not overlap and "
     "together cover every pair, provided every part is given the same --seed "
     "and the same targets and ports. Each part reports only its own pairs and "
     "counts the others as not scanned (other-shard); --shard needs --seed. "
     "'pscan merge' puts the parts' -oJ files back together. "
     "--shard auto takes K and N from the scheduler that started the run: "
     "a Slurm job array (SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN, "
     "of SLURM_ARRAY_TASK_COUNT tasks) or a Kubernetes Indexed Job "
     "(JOB_COMPLETION_INDEX, of N parts from auto/N or PSCAN_SHARD_COUNT). "
     "See docs/scale-out.md.", CALL},
    {O_IFACE, "-e", NULL, "IFACE", F_ARG, G_TIMING,
     "Send and capture on this interface (SYN scan)", NULL, CALL},
    {O_SOURCE_IP, "-S", "--source-ip", "ADDR", F_ARG, G_TIMING,
     "Source address of the probes (SYN scan)", NULL, CALL},
    {O_SOURCE_PORT, "-g", "--source-port", "PORT", F_ARG, G_TIMING,
     "Use this one source port (SYN scan; default: a range outside the ephemeral ports)", NULL, INT(source_port, 1, 65535)},
    {O_OUT_NORMAL, "-oN", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write the normal report to FILE ('-' for standard output)", NULL, OUTPUT(PS_OUT_NORMAL)},
    {O_OUT_JSON, "-oJ", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write JSON Lines to FILE: one object per result as found, a summary last",
     "Write JSON Lines to FILE: one object per open port as it is found, one "
     "per host when it is complete, and a final summary object. The schema is "
     "versioned and described in docs/output.md.", OUTPUT(PS_OUT_JSON)},
    {O_OUT_XML, "-oX", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write XML in nmap's format (valid against nmap.dtd) to FILE", NULL, OUTPUT(PS_OUT_XML)},
    {O_OUT_GREP, "-oG", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write grepable output (one line per host) to FILE", NULL, OUTPUT(PS_OUT_GREP)},
    {O_OUT_HTML, "-oH", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write a self-contained HTML audit report to FILE",
     "Write an HTML audit report to FILE when the scan ends: policy findings "
     "first (with --expect), a summary, TLS certificates with days to expiry, "
     "and every open port in a table that sorts, filters and pages with its "
     "own few lines of script (and is all there without). One file that loads "
     "nothing, readable offline and printable; 'pscan report --html' makes the "
     "same from -oJ files. See docs/output.md.", OUTPUT(PS_OUT_HTML)},
    {O_OUT_JUNIT, "-oU", NULL, "FILE", F_ARG, G_OUTPUT,
     "Write the --expect policy's checks as JUnit XML to FILE (for CI)",
     "Write the checks of the --expect policy as JUnit XML to FILE when the "
     "scan ends: a test case per open port (allowed, or a failure), per missing "
     "expected port with --expect-strict, and per tls requirement, grouped in a "
     "test suite per host, as GitLab, Jenkins and other CI systems show test "
     "results. Needs --expect. See docs/ci.md.", OUTPUT(PS_OUT_JUNIT)},
    {O_OUT_ALL, "-oA", NULL, "BASE", F_ARG, G_OUTPUT,
     "Write BASE.nmap, BASE.xml, BASE.gnmap and BASE.jsonl at once", NULL, CALL},
    {O_QUIET, "-q", NULL, NULL, 0, G_OUTPUT,
     "Quiet: no progress line and no notes on standard error", NULL, FLAG(quiet)},
    {O_STATS_EVERY, "--stats-every", NULL, "TIME", F_ARG, G_OUTPUT,
     "Print a progress line on standard error every TIME",
     "Print a progress line (rate, percentage done, time left, open ports "
     "found) on standard error every TIME. On a terminal pscan keeps one "
     "live status line anyway; --stats-every is for logs.", TIME(stats_every_ms), .lo = 1},
    {O_EXPECT, "--expect", NULL, "FILE", F_ARG, G_OUTPUT,
     "CI policy: open ports allowed per host or network; others exit 3",
     "Check the results against a policy of open ports allowed per host or "
     "network (format in docs/ci.md); its 'tls' lines also ask the TLS "
     "services on chosen ports for a certificate valid some more days and a "
     "protocol version (they need -sV). Every open port the policy does not "
     "allow, and every requirement not met, gets one line on standard error "
     "and the exit status is 3; -oH shows the findings, -oU writes them as "
     "JUnit XML.", STRING(expect_file)},
    {O_EXPECT_STRICT, "--expect-strict", NULL, NULL, 0, G_OUTPUT,
     "With --expect: expected ports found closed also fail (exit 3)", NULL, FLAG(expect_strict)},
    {O_NO_LOCAL_INFO, "--no-local-info", NULL, NULL, 0, G_OUTPUT,
     "Do not name the local process behind open ports of this machine", NULL, FLAG(no_local_info)},
    {O_OPEN, "--open", NULL, NULL, 0, G_OUTPUT,
     "Show only open ports", NULL, FLAG(open_only)},
    {O_VERBOSE, "-v", NULL, NULL, F_REPEAT, G_OUTPUT,
     "More output: open ports as they are found (-vv for more)", NULL, COUNT(verbose)},
    {O_DEBUG, "-d", NULL, NULL, F_REPEAT, G_OUTPUT,
     "Debugging output on standard error (-dd for more)", NULL, COUNT(debug)},
    {O_USER, "--user", NULL, "NAME", F_ARG, G_MISC,
     "Run as this user once the raw sockets are open (root only; default nobody)",
     "Started as root, pscan does what needs root first (host discovery, "
     "opening the output files, reading who owns local sockets, loading the "
     "probe files), then becomes user NAME (default nobody) keeping only "
     "CAP_NET_RAW and CAP_NET_ADMIN, and drops those too once the port scan "
     "has opened its raw sockets and capture handle. The scan itself, -sV "
     "included, runs with no rights at all. Without root (file capabilities, "
     "see docs/security.md) the user stays the same and only the capabilities "
     "are dropped. An unknown NAME is an error.", CALL},
    {O_NO_PRIVDROP, "--no-privdrop", NULL, NULL, 0, G_MISC,
     "Keep root (or the capabilities pscan started with) for the whole scan",
     "Keep the rights pscan started with until it exits, for debugging. The "
     "PROCESS column does not depend on it: who owns local sockets is read "
     "before any drop.", FLAG(no_privdrop)},
    {O_RESUME, "--resume", NULL, "FILE", F_ARG, G_MISC,
     "Continue an interrupted scan from its state file (alone on the line)",
     "Continue a scan that was interrupted (Ctrl-C or SIGTERM; it exited with "
     "status 4). An interrupted scan writes its command line, the seed of its "
     "probe order and how far each engine got to pscan.resume in the current "
     "directory (atomically: a temporary file renamed over it); 'pscan --resume "
     "pscan.resume' runs the rest without repeating finished work, and neither "
     "run's outputs show a port the other scanned. The resumed run appends to "
     "the first run's normal, grepable and JSON Lines files and writes its XML "
     "to FILE.resumed (FILE.resumed.2 and so on for later ones: nothing is "
     "overwritten). Interrupted again, it saves its state back to FILE; once it "
     "finishes, FILE is marked finished and renamed FILE.done, and resuming a "
     "finished scan is refused. Must be the only option.", CALL},
    {O_VERSION, "--version", "-V", NULL, 0, G_MISC,
     "Print the version and exit", NULL, CALL},
    {O_HELP, "--help", "-h", NULL, 0, G_MISC, "Print this help and exit", NULL, CALL},
    {O_HELP_FORMAT, "--help-format", NULL, "FORMAT", F_ARG | F_HIDDEN, G_MISC,
     "Print the manual as markdown or man (troff)", NULL, CALL},
};

const size_t ps_cli_noptions = sizeof ps_cli_options / sizeof ps_cli_options[0];

const char *const ps_cli_groups[] = {
    G_TARGET, G_DISCOVERY, G_SCAN, G_PORTS, G_SERVICE, G_TIMING, G_OUTPUT, G_MISC,
};
const size_t ps_cli_ngroups = sizeof ps_cli_groups / sizeof ps_cli_groups[0];
