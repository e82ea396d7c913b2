/* audit_baseline.c: the report's "changes since" section, `pscan diff
 * BASELINE INPUTS...` as entries of the document.  The diff's own readers
 * and comparison do the work (the baseline may be -oJ or XML, pscan's or
 * nmap's); each change keeps the text pscan diff prints for it. */
#include <stdio.h>
#include <stdlib.h>

#include "pscan/diff.h"

#include "audit_int.h"

struct keep_ctx {
    ps_audit *a;
    ps_err *e;
    int rc;
};

static void keep(void *ctx, const ps_diff_change *c)
{
    struct keep_ctx *k = ctx;
    char *text = NULL;
    size_t n = 0;
    if (k->rc) return;
    FILE *m = open_memstream(&text, &n);
    if (!m) {
        k->rc = ps_fail(k->e, PS_ERUNTIME, "out of memory");
        return;
    }
    ps_diff_describe(m, c);
    fclose(m);
    const ps_diff_port *p = c->new_ ? c->new_ : c->old;
    ps_audit_change ch = {.kind = c->kind, .host = *c->host};
    if (p && c->kind != 'H' && c->kind != 'h') {
        ch.proto = p->proto;
        ch.port = p->port;
    }
    ch.text = ps_audit_str(k->a, text, n);
    free(text);
    k->rc = ps_audit_add_change(k->a, &ch, k->e);
}

int ps_audit_baseline(ps_audit *a, const char *baseline, char *const *bufs, const size_t *lens, char *const *names,
                      int n, ps_err *e)
{
    ps_diff_result old = {0}, cur = {0};
    int rc = ps_diff_read_file(&old, baseline, e);
    for (int i = 0; i < n && !rc; i++) rc = ps_diff_read(&cur, bufs[i] ? bufs[i] : "", lens[i], names[i], e);
    if (!rc) {
        struct keep_ctx k = {a, e, PS_OK};
        size_t count = ps_diff_walk(&old, &cur, keep, &k);
        rc = k.rc;
        if (!rc && count == (size_t)-1) rc = ps_fail(e, PS_ERUNTIME, "out of memory comparing with the baseline");
        a->baseline_name = ps_audit_cstr(a, baseline);
    }
    ps_diff_result_free(&old);
    ps_diff_result_free(&cur);
    return rc;
}
