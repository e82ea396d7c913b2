/* audit_cmd.h: `pscan report`, audit reports from result files.
 *
 *   pscan report --html | --junit [-o FILE] [--baseline OLD]
 *                [--expect POLICY [--expect-strict]] SCAN.jsonl...
 *
 * Reads one or more JSON Lines results (-oJ; "-" is standard input), a
 * merged sharded scan included, into the audit document (audit.h) and
 * writes the HTML report or the policy's checks as JUnit XML (src/audit/,
 * docs/output.md). */
#ifndef PSCAN_AUDIT_CMD_H
#define PSCAN_AUDIT_CMD_H

#include "pscan/err.h"

/* argv[0] is "report".  Returns the exit status: 0, 3 when the policy is
 * violated, or PS_EINPUT / PS_ERUNTIME with e set (main prints it). */
int ps_audit_main(int argc, char **argv, ps_err *e);

#endif
