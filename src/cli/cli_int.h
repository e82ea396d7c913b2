/* cli_int.h: the option table's types, shared by the parser (cli.c), the
 * table itself (cli_options.c) and the help and manual writers (cli_doc.c). */
#ifndef PSCAN_CLI_INT_H
#define PSCAN_CLI_INT_H

#include <stddef.h>
#include <stdint.h>

enum opt_id {
    O_HELP, O_VERSION, O_HELP_FORMAT, O_RESUME,
    O_INPUT_LIST, O_EXCLUDE, O_EXCLUDE_FILE, O_IPV4, O_IPV6, O_NO_DNS,
    O_NO_PING, O_ALLOW_SPECIAL, O_ALLOW_LARGE,
    O_PING_ONLY, O_LIST_SCAN, O_REVERSE_DNS, O_PING_ARP, O_PING_ECHO, O_PING_TIMESTAMP, O_PING_SYN, O_PING_ACK, O_PING_UDP,
    O_NO_ARP_PING,
    O_SCAN_CONNECT, O_SCAN_SYN, O_SCAN_UDP,
    O_PORTS, O_TOP_PORTS, O_EXCLUDE_PORTS,
    O_TIMING, O_MAX_RETRIES, O_LOSS_RETRIES, O_LOSS_TIME, O_INITIAL_RTT, O_MIN_RTT, O_MAX_RTT,
    O_MIN_RATE, O_MAX_RATE, O_MAX_PARALLELISM,
    O_OPEN, O_VERBOSE, O_DEBUG,
    O_SEED, O_SHARD, O_IFACE, O_SOURCE_IP, O_SOURCE_PORT,
    O_OUT_NORMAL, O_OUT_JSON, O_OUT_XML, O_OUT_GREP, O_OUT_HTML, O_OUT_JUNIT, O_OUT_ALL, O_QUIET, O_STATS_EVERY,
    O_EXPECT, O_EXPECT_STRICT, O_NO_LOCAL_INFO,
    O_VERSION_DETECT, O_VERSION_INTENSITY, O_VERSION_LIGHT, O_VERSION_ALL, O_PROBE_DB, O_NO_NMAP_DB, O_VERSION_TRACE, O_NO_VERSION_RETRY,
    O_USER, O_NO_PRIVDROP,
};

enum {
    F_ARG = 1,    /* takes an argument */
    F_JOIN = 2,   /* the argument may be attached: -p22, -T4 */
    F_REPEAT = 4, /* letters may repeat: -vv, -dd */
    F_HIDDEN = 8, /* not in --help or the docs */
    F_OPTJOIN = 16, /* an optional argument, attached only: -PS, -PS22,80 */
};

/* What the parser does with an option.  Most options store one value in
 * one ps_config field (option_row.field, its offset); K_CALL rows have a
 * case of their own in cli.c's apply_call(). */
enum opt_kind {
    K_CALL,   /* a case in apply_call() */
    K_SET,    /* int field = lo */
    K_COUNT,  /* int field += 1, once per letter (-vvv) */
    K_BITS,   /* unsigned field |= lo */
    K_INT,    /* int field = the argument, a whole number from lo to hi */
    K_TIME,   /* int field = the argument as a time (500ms, 2s), in ms, at least lo */
    K_RATE,   /* double field = the argument, a rate above 0, at most 1e9 */
    K_STRING, /* const char *field = the argument */
    K_OUTPUT, /* one more output, format lo (enum ps_output_format), to the argument */
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
    enum opt_kind kind;
    size_t field;      /* offsetof(ps_config, ...) */
    long lo, hi;
    int timing;        /* stored apart, laid over the -T template at the end */
};

/* Exactly len decimal digits, no sign or space, no overflow: 0, else -1
 * (cli_shard.c). */
int ps_cli_digits(const char *s, size_t len, uint64_t *out);
/* --shard K/N, auto or auto/N (cli_shard.c). */
struct ps_config;
struct ps_err;
int ps_cli_shard(struct ps_config *c, const char *arg, struct ps_err *e);

extern const struct option_row ps_cli_options[];
extern const size_t ps_cli_noptions;
extern const char *const ps_cli_groups[]; /* group headings, in order */
extern const size_t ps_cli_ngroups;

#endif
