/* audit_int.h: what the files of src/audit/ (pscan report) share: the
 * reader of JSON Lines results (audit_read.c, with the port objects of
 * audit_port.c) and the baseline comparison (audit_baseline.c).  Private
 * to src/audit/. */
#ifndef PSCAN_AUDIT_INT_H
#define PSCAN_AUDIT_INT_H

#include "pscan/audit.h"
#include "pscan/json.h"
#include "pscan/service.h"

/* Read one file's JSON Lines into a: scans, host results (port lines for
 * hosts that have no host line, as a scan cut short leaves them), and
 * summaries.  Unknown types and fields are ignored; a schema newer than 1
 * is refused.  PS_EINPUT "NAME:LINE: problem". */
int ps_audit_read_jsonl(ps_audit *a, const char *buf, size_t len, const char *name, ps_err *e);

/* The rows of one host line, rebuilt as the writers see them. */
typedef struct audit_rows {
    ps_port_result *rows;
    size_t n, cap;
    ps_svc_result *svcs; /* rows[i].svc points here once all are read */
    int *svc_of;         /* rows[i]'s index in svcs, or -1 */
    size_t capof, nsvc, capsvc;
} audit_rows;

/* One port object into r (PS_EINPUT naming the field). */
int ps_audit_read_port(const ps_json *p, size_t obj, audit_rows *r, ps_err *e);
/* Point the rows at their service results (after the last read_port). */
void ps_audit_rows_link(audit_rows *r);
void ps_audit_rows_free(audit_rows *r);

/* The changes from the baseline file to the inputs (already in memory). */
int ps_audit_baseline(ps_audit *a, const char *baseline, char *const *bufs, const size_t *lens,
                      char *const *names, int n, ps_err *e);

#endif
