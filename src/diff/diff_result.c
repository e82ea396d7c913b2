/* diff_result.c: building a ps_diff_result (diff.h), as the JSON and XML
 * readers do: entries appended, strings cut to their fields. */
#include <stdlib.h>
#include <string.h>

#include "pscan/json.h"

#include "diff_int.h"

void ps_diff_copy(char *dst, size_t cap, const char *src, size_t n)
{
    ps_json_copy(dst, cap, src, n);
}

int ps_diff_add_port(ps_diff_result *r, const ps_diff_port *p, ps_err *e)
{
    if (r->nports == r->capports) {
        size_t cap = r->capports ? r->capports * 2 : 64;
        ps_diff_port *v = realloc(r->ports, cap * sizeof *v);
        if (!v) return ps_fail(e, PS_ERUNTIME, "out of memory");
        r->ports = v;
        r->capports = cap;
    }
    r->ports[r->nports++] = *p;
    return PS_OK;
}

int ps_diff_add_host(ps_diff_result *r, const ps_addr *a, ps_err *e)
{
    if (r->nhosts == r->caphosts) {
        size_t cap = r->caphosts ? r->caphosts * 2 : 16;
        ps_addr *v = realloc(r->hosts, cap * sizeof *v);
        if (!v) return ps_fail(e, PS_ERUNTIME, "out of memory");
        r->hosts = v;
        r->caphosts = cap;
    }
    r->hosts[r->nhosts++] = *a;
    return PS_OK;
}

void ps_diff_result_free(ps_diff_result *r)
{
    free(r->ports);
    free(r->hosts);
    memset(r, 0, sizeof *r);
}
