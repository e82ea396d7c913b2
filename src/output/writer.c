/* writer.c: opening and closing output writers, and what they share. */
#include <errno.h>
#include <string.h>

#include "pscan/output.h"
#include "pscan/services.h"

static const struct ps_writer_ops *ops_for(enum ps_output_format f)
{
    switch (f) {
    case PS_OUT_NORMAL: return &ps_out_normal;
    default: return NULL;
    }
}

int ps_writer_open(ps_writer *w, const ps_output_spec *spec, const ps_config *cfg, ps_err *e)
{
    memset(w, 0, sizeof *w);
    w->ops = ops_for(spec->format);
    if (!w->ops) return ps_fail(e, PS_EINPUT, "output format %d is not available", (int)spec->format);
    w->cfg = cfg;
    if (spec->format == PS_OUT_POLICY) { /* reads its file, writes to stderr */
        w->fp = stderr;
    } else if (strcmp(spec->path, "-") == 0) {
        w->fp = stdout;
    } else {
        w->fp = fopen(spec->path, "w");
        if (!w->fp) return ps_fail(e, PS_EINPUT, "cannot write '%s': %s", spec->path, strerror(errno));
        w->owns_fp = 1;
    }
    return w->ops->open ? w->ops->open(w, spec->path, e) : PS_OK;
}

void ps_writer_close(ps_writer *w)
{
    if (w->ops && w->ops->close) w->ops->close(w);
    if (w->fp) fflush(w->fp);
    if (w->owns_fp && w->fp) fclose(w->fp);
    w->fp = NULL;
}

const char *ps_port_service(const ps_port_result *p, char *buf, size_t len)
{
    const char *name = ps_service_name(p->port, p->proto);
    snprintf(buf, len, "%s", name ? name : "unknown");
    return buf;
}
