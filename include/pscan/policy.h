/* policy.h: the CI policy behind --expect FILE, which open ports are
 * allowed where.
 *
 *   # comment
 *   198.18.0.0/24   tcp/22, tcp/443
 *   198.18.0.5      tcp/22 tcp/23          # a host overrides its network
 *   127.0.0.1       22,80 udp/53
 *   10.0.0.1-20     T:80,443 U:53
 *   *               none
 *
 * One rule per line: a host part (an address, a CIDR network, an nmap
 * octet range, or '*' for any address), white space, then the allowed
 * ports: items separated by commas or blanks, each "tcp/SPEC", "udp/SPEC",
 * or SPEC in pscan's -p syntax (T:/U: switch the protocol for the items
 * after them; TCP by default), or the single word "none".  For an address
 * the most specific matching rule applies: the one covering the fewest
 * addresses, '*' last, the earlier line on a tie.  An address no rule
 * covers allows nothing.  docs/ci.md has the whole story. */
#ifndef PSCAN_POLICY_H
#define PSCAN_POLICY_H

#include <stdint.h>
#include <stdio.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/ports.h"

typedef struct ps_policy ps_policy;

/* Read a policy; on a bad line e says "WHAT:LINE: problem" (PS_EINPUT). */
int ps_policy_load_stream(ps_policy **out, FILE *f, const char *what, ps_err *e);
int ps_policy_load_file(ps_policy **out, const char *path, ps_err *e);
void ps_policy_free(ps_policy *p);

size_t ps_policy_nrules(const ps_policy *p);

/* The rule that applies to a: its allowed ports (never NULL) and line, or
 * NULL and *line = 0 when no rule covers a. */
const ps_ports *ps_policy_rule_for(const ps_policy *p, const ps_addr *a, int *line);

/* Does the policy allow port/proto open on a?  *line: the deciding rule's
 * line (0 when none covers a). */
int ps_policy_allows(const ps_policy *p, const ps_addr *a, enum ps_proto proto, uint16_t port, int *line);

#endif
