/* diff.h: `pscan diff OLD NEW`, what changed between two scans.
 *
 * Each file is read into the same small model, one entry per host and
 * port, whatever it was written as: pscan's JSON Lines (-oJ), or XML in
 * nmap's format (pscan's -oX or nmap's own).  Two small readers do the
 * parsing (no library): diff_json.c, over the strict RFC 8259 parser of
 * json.h (which also serves the tests as a JSON validator), and diff_xml.c, a well-formedness
 * checking XML tokenizer that knows nmap's elements.  Both take hostile
 * input (they are fuzzed: tests/fuzz/fuzz_diff.c): bounded nesting,
 * bounded sizes, and every error names the file and line.
 *
 * The comparison is per (host, protocol, port) over open ports: a port
 * open only in NEW was opened, one open only in OLD was closed (its NEW
 * state said when known), one open in both changed if its service name
 * ("ssl/" included), product or version differ.  A host present in only
 * one file is a difference too.
 *
 * Both readers read a port whose service nothing named the same way:
 * service "" (JSON: a -sV service with a null name, or service_source
 * "none"; XML: name="unknown", as pscan and nmap write it).  The registry's
 * name counts only where -sV did not look (JSON: no "service" object; XML:
 * method="table"), as the writers show it. */
#ifndef PSCAN_DIFF_H
#define PSCAN_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/json.h" /* ps_json_check, which the tests use beside the readers */

typedef struct ps_diff_port {
    ps_addr host;
    uint8_t proto;     /* enum ps_proto */
    uint16_t port;
    char state[24];    /* "open", "closed", "filtered", "open|filtered" ... */
    char service[80];  /* "ssh", "ssl/http", "" when unknown */
    char product[128];
    char version[96];
    int line;          /* where the file says it */
} ps_diff_port;

typedef struct ps_diff_result {
    ps_diff_port *ports;
    size_t nports, capports;
    ps_addr *hosts;    /* hosts the file reports up */
    size_t nhosts, caphosts;
    int cut_line;      /* JSON Lines: the last line, cut short without its
                          newline (a killed scan), was left out; 0: none */
} ps_diff_result;

/* Read one file (format sniffed from its first byte); name is used in
 * messages.  PS_EINPUT with "NAME:LINE: problem" when malformed. */
int ps_diff_read(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e);
int ps_diff_read_json(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e);
int ps_diff_read_xml(ps_diff_result *out, const char *buf, size_t len, const char *name, ps_err *e);
int ps_diff_read_file(ps_diff_result *out, const char *path, ps_err *e);
/* A whole file ("-": standard input) into a malloc'd *buf (NULL when
 * empty), at most 512 MiB. */
int ps_diff_load(const char *path, char **buf, size_t *len, ps_err *e);
void ps_diff_result_free(ps_diff_result *r);

/* Print the differences from old to new on out (escaped for a terminal);
 * returns how many there are. */
size_t ps_diff_compare(const ps_diff_result *old, const ps_diff_result *new_, FILE *out);

/* The same differences one by one (pscan report's changes section): kind
 * '+' opened, '-' closed, '~' changed, 'H' a host only in new, 'h' only in
 * old.  old and new_ (either NULL) are the two sides of a port; pointers
 * are valid during the call only. */
typedef struct ps_diff_change {
    char kind;
    const ps_addr *host;
    const ps_diff_port *old, *new_;
    int host_in_old, host_in_new;
} ps_diff_change;
typedef void (*ps_diff_cb)(void *ctx, const ps_diff_change *c);
/* Returns how many, or (size_t)-1 when out of memory. */
size_t ps_diff_walk(const ps_diff_result *old, const ps_diff_result *new_, ps_diff_cb cb, void *ctx);
/* What pscan diff prints after "+ 8080/tcp " (or "+ host ADDR "):
 * "opened: http-proxy (port not in OLD)", escaped for a terminal. */
void ps_diff_describe(FILE *out, const ps_diff_change *c);

/* The command: prints, returns 0 equal, 1 different, 2 error. */
int ps_diff_main(int argc, char **argv);

#endif
