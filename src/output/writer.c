/* writer.c: opening and closing output writers: which writer a format
 * gets, and which file (standard output, a new file, or the first run's
 * file to append to on --resume).  What the writers share is row.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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


/* --resume's XML: the first of PATH.resumed, PATH.resumed.2, ... that does
 * not exist yet, created (O_EXCL: an earlier resumed run's file is never
 * overwritten). */
static FILE *open_resumed(const char *path, char *name, size_t len, ps_err *e)
{
    for (int k = 1; k <= 1000; k++) {
        if (k == 1) snprintf(name, len, "%s.resumed", path);
        else snprintf(name, len, "%s.resumed.%d", path, k);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) continue;
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (f) return f;
        int err = errno;
        if (fd >= 0) close(fd);
        ps_fail(e, PS_EINPUT, "cannot write '%s': %s", name, strerror(err));
        return NULL;
    }
    ps_fail(e, PS_EINPUT, "cannot write '%s.resumed': a thousand resumed runs' files are there already", path);
    return NULL;
}

int ps_writer_open(ps_writer *w, const ps_output_spec *spec, const ps_config *cfg,
                   const ps_ports *ports, ps_err *e)
{
    char name[4200];
    memset(w, 0, sizeof *w);
    w->ops = ops_for(spec->format);
    if (!w->ops) return ps_fail(e, PS_EINPUT, "output format %d is not available", (int)spec->format);
    w->cfg = cfg;
    w->ports = ports;
    ps_ephemeral_range(&w->eph_lo, &w->eph_hi);
    snprintf(name, sizeof name, "%s", spec->path);
    if (spec->format == PS_OUT_POLICY) { /* reads its file, writes to stderr */
        w->fp = stderr;
        snprintf(name, sizeof name, "standard error");
    } else if (strcmp(spec->path, "-") == 0) {
        w->fp = stdout;
        snprintf(name, sizeof name, "standard output");
    } else if (cfg->resuming && (spec->format == PS_OUT_XML || spec->format == PS_OUT_HTML ||
                                 spec->format == PS_OUT_JUNIT)) {
        /* One document per run (XML, HTML, JUnit): the resumed run's gets its own file. */
        if (!(w->fp = open_resumed(spec->path, name, sizeof name, e))) return PS_EINPUT;
        w->owns_fp = 1;
    } else {
        /* A resumed run adds to the first run's lines. */
        w->fp = fopen(spec->path, cfg->resuming ? "a" : "w");
        if (!w->fp) return ps_fail(e, PS_EINPUT, "cannot write '%s': %s", spec->path, strerror(errno));
        w->owns_fp = 1;
    }
    if (!(w->name = strdup(name))) {
        ps_writer_close(w);
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    }
    int r = w->ops->open ? w->ops->open(w, spec->path, e) : PS_OK;
    if (r) ps_writer_close(w);
    return r;
}

int ps_writer_check(ps_writer *w)
{
    /* errno is the failed write's: the event's own calls are all this
     * thread did since the report cleared it. */
    if (!w->err && w->fp && ferror(w->fp)) w->err = errno ? errno : EIO;
    return w->err;
}

int ps_writer_end(ps_writer *w)
{
    if (!w->fp) return w->err;
    errno = 0;
    if (fflush(w->fp) != 0 && !w->err) w->err = errno ? errno : EIO;
    ps_writer_check(w);
    if (w->owns_fp) {
        errno = 0;
        if (fclose(w->fp) != 0 && !w->err) w->err = errno ? errno : EIO;
    }
    w->fp = NULL;
    return w->err;
}

void ps_writer_close(ps_writer *w)
{
    if (w->ops && w->ops->close) w->ops->close(w);
    ps_writer_end(w);
    free(w->name);
    w->name = NULL;
    w->ops = NULL;
}
