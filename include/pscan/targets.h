/* targets.h: the set of addresses to scan.
 *
 * A target set is kept as sorted, merged, disjoint ranges (IPv4 and IPv6
 * apart), never as a list of addresses: `198.0.0.0/8` is one range, and
 * `198.18.0-3.1-254` four.  Memory is O(ranges) whatever the address count.
 * Exclusions are subtracted from the ranges when the set is finalised, so
 * every later stage (and every count) already sees the true set.
 *
 * Address i of the set (0 <= i < count) is found by binary search over the
 * ranges' prefix sums: IPv4 ranges come first, then IPv6, each ascending. */
#ifndef PSCAN_TARGETS_H
#define PSCAN_TARGETS_H

#include <stdint.h>
#include <stdio.h>

#include "pscan/addr.h"
#include "pscan/err.h"

typedef struct ps_targets ps_targets;

/* family: AF_UNSPEC, or AF_INET / AF_INET6 to restrict hostname lookups (-4/-6). */
ps_targets *ps_targets_new(int family);
void ps_targets_free(ps_targets *t);

/* One target token: IPv4/IPv6 literal, CIDR (v4 or v6), nmap octet ranges
 * ("198.18.0-3.1-254", "10.0.0.*", "10.0.0.1,3,5"), or a hostname (resolved
 * once, first address; the name is remembered for output). */
int ps_targets_add(ps_targets *t, const char *spec, ps_err *e);
/* One address, with the host name it came from (or NULL): how the hosts
 * host discovery found up become the port scan's targets. */
int ps_targets_add_addr(ps_targets *t, const ps_addr *a, const char *name, ps_err *e);
/* A file of target tokens separated by white space, '#' starts a comment;
 * path "-" reads standard input (-iL). */
int ps_targets_add_file(ps_targets *t, const char *path, ps_err *e);
/* Exclusions: a comma-separated list (--exclude) or a file (--excludefile). */
int ps_targets_exclude(ps_targets *t, const char *list, ps_err *e);
int ps_targets_exclude_file(ps_targets *t, const char *path, ps_err *e);
/* The file readers on an open stream (what names it in messages); used by
 * the two above, and by tests and the fuzzer through fmemopen(). */
int ps_targets_add_stream(ps_targets *t, FILE *f, const char *what, ps_err *e);
int ps_targets_exclude_stream(ps_targets *t, FILE *f, const char *what, ps_err *e);

/* How a hostname becomes one address.  The default resolver uses
 * getaddrinfo() (family as given to ps_targets_new; for AF_UNSPEC the first
 * IPv4 result, else the first IPv6) and refuses "*.invalid" without asking
 * (RFC 6761).  Tests and the fuzzer install their own so they never touch
 * DNS.  name has already been checked to be a well-formed DNS name. */
typedef int (*ps_resolve_fn)(void *ctx, const char *name, int family, ps_addr *out, ps_err *e);
void ps_targets_set_resolver(ps_targets *t, ps_resolve_fn fn, void *ctx);
int ps_resolve_default(void *ctx, const char *name, int family, ps_addr *out, ps_err *e);
/* drop = 1: finalize drops addresses no probe should go to: 0.0.0.0/8,
 * multicast and reserved 224.0.0.0/3 (with 255.255.255.255), ::, and
 * ff00::/8.  The command line sets it unless --allow-special. */
void ps_targets_drop_special(ps_targets *t, int drop);
/* How many addresses finalize dropped for being special. */
uint64_t ps_targets_special_removed(const ps_targets *t);
/* Merge, subtract exclusions, and fail with PS_EINPUT if nothing is left. */
int ps_targets_finalize(ps_targets *t, ps_err *e);

uint64_t ps_targets_count(const ps_targets *t);
size_t ps_targets_nranges(const ps_targets *t);
/* Address number i (0 <= i < count) in the order described above. */
void ps_targets_get(const ps_targets *t, uint64_t i, ps_addr *out);
/* Is a in the final set? (binary search) */
int ps_targets_contains(const ps_targets *t, const ps_addr *a);
/* The inverse of ps_targets_get: 1 and *idx if a is in the set, else 0. */
int ps_targets_index(const ps_targets *t, const ps_addr *a, uint64_t *idx);
/* The hostname the user gave for a, or NULL. */
const char *ps_targets_name(const ps_targets *t, const ps_addr *a);

#endif
