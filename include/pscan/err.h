/* err.h: errors are values.
 *
 * Library code never exits and never prints: a fallible function returns
 * PS_OK (0) or one of the PS_E* classes below and writes one human sentence
 * into a caller-owned ps_err.  The classes double as pscan's exit statuses,
 * so main() can hand them straight to exit(). */
#ifndef PSCAN_ERR_H
#define PSCAN_ERR_H

#include <stddef.h>

enum {
    PS_OK = 0,
    PS_EINPUT = 1,   /* bad usage or input: options, targets, ports, files */
    PS_ERUNTIME = 2, /* the scan itself failed: sockets, memory, devices,
                        an output that could not be written */
    PS_EPOLICY = 3,  /* --expect: a port its policy does not allow */
    PS_ESTOPPED = 4, /* interrupted (SIGINT, SIGTERM): valid but partial
                        results, and a resume file */
};

typedef struct ps_err {
    char msg[512];
} ps_err;

/* Format a message into e (if non-NULL) and return code, so callers can
 * write `return ps_fail(e, PS_EINPUT, "bad port '%s'", tok);`. */
int ps_fail(ps_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
