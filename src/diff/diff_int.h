/* diff_int.h: what the readers of diff/ (diff_json.c, diff_xml.c) share:
 * building the result they read (diff_result.c).  Private to src/diff/. */
#ifndef PSCAN_DIFF_INT_H
#define PSCAN_DIFF_INT_H

#include "pscan/diff.h"

/* Add entries, keeping the model sorted
 * later.  Return PS_ERUNTIME when out of memory. */
int ps_diff_add_port(ps_diff_result *r, const ps_diff_port *p, ps_err *e);
int ps_diff_add_host(ps_diff_result *r, const ps_addr *a, ps_err *e);
/* Copy a decoded string of n bytes into a fixed field (cut, NUL-ended). */
void ps_diff_copy(char *dst, size_t cap, const char *src, size_t n);

#endif
