/* writer.c: opening and closing output writers: which writer a format
 * gets, and which file (standard output, a new file, or the first run's
 * file to append to on --resume).  What the writers share is row.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/hostlimits.h"
#include "pscan/output.h"

static const struct ps_writer_ops *ops_for(enum ps_output_format f)
{
    switch (f) {
    case PS_OUT_NORMAL: return &ps_out_normal;
    case PS_OUT_JSON: return &ps_out_json;
    case PS_OUT_XML: return &ps_out_xml;
    case PS_OUT_GREP: return &ps_out_grep;
    case PS_OUT_POLICY: return &ps_out_policy;
    case PS_OUT_HTML: return &ps_out_html;
    case PS_OUT_JUNIT: return &ps_out_junit;
    }
    return NULL;
}


int ps_writer_open(ps_writer *w, const ps_output_spec *spec, const ps_config *cfg,
                   const ps_ports *ports, ps_err *e)
{
    memset(w, 0, sizeof *w);
    w->ops = ops_for(spec->format);
    if (!w->ops) return ps_fail(e, PS_EINPUT, "output format %d is not available", (int)spec->format);
    w->cfg = cfg;
    w->ports = ports;
    ps_ephemeral_range(&w->eph_lo, &w->eph_hi);
    if (spec->format == PS_OUT_POLICY) { /* reads its file, writes to stderr */
        w->fp = stderr;
    } else if (strcmp(spec->path, "-") == 0) {
        w->fp = stdout;
    } else if (cfg->resuming && (spec->format == PS_OUT_XML || spec->format == PS_OUT_HTML ||
                                 spec->format == PS_OUT_JUNIT)) {
        /* One document per run (XML, HTML, JUnit): the resumed run's gets its own file. */
        char path[4096];
        snprintf(path, sizeof path, "%s.resumed", spec->path);
        w->fp = fopen(path, "w");
        if (!w->fp) return ps_fail(e, PS_EINPUT, "cannot write '%s': %s", path, strerror(errno));
        w->owns_fp = 1;
    } else {
        /* A resumed run adds to the first run's lines. */
        w->fp = fopen(spec->path, cfg->resuming ? "a" : "w");
        if (!w->fp) return ps_fail(e, PS_EINPUT, "cannot write '%s': %s", spec->path, strerror(errno));
        w->owns_fp = 1;
    }
    int r = w->ops->open ? w->ops->open(w, spec->path, e) : PS_OK;
    if (r) ps_writer_close(w);
    return r;
}

void ps_writer_close(ps_writer *w)
{
    if (w->ops && w->ops->close) w->ops->close(w);
    if (w->fp) fflush(w->fp);
    if (w->owns_fp && w->fp) fclose(w->fp);
    w->fp = NULL;
    w->ops = NULL;
}
