/* err.c: the one helper behind ps_err (see include/pscan/err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "pscan/err.h"

int ps_fail(ps_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
