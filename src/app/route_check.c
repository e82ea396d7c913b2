/* route_check.c: -e and -S checked against the routes before a scan.
 *
 * A forced interface or source address that no reply can come back
 * through used to end in "0 hosts up" after the full timeout, the scan
 * having sent into the wrong place.  So for the first and last target of
 * each family, the kernel's own route must leave by the -e interface, and
 * a -S source must be able to receive the answers: a loopback source
 * (127/8, ::1) only for targets routed over lo.  One clear error otherwise,
 * before anything is sent. */
#include <stdio.h>
#include <string.h>

#include "pscan/route.h"

#include "app_int.h"

static int is_loopback_addr(const ps_addr *a)
{
    static const uint8_t one[16] = {[15] = 1};
    if (a->family == AF_INET) return (a->u.v4 >> 24) == 127;
    return memcmp(a->u.v6, one, 16) == 0;
}

static int check_one(const ps_config *c, const ps_addr *a, ps_err *e)
{
    char dst[PS_ADDRSTRLEN], src[PS_ADDRSTRLEN];
    ps_route natural;
    ps_route_opts ro = {.skip_neigh = 1};
    ps_addr_str(a, dst, sizeof dst);
    if (ps_route_lookup(a, &ro, &natural, e) != PS_OK)
        return ps_fail(e, PS_EINPUT, "no route to %s (see 'ip route get %s')", dst, dst);
    if (c->iface && strcmp(c->iface, natural.ifname) != 0)
        return ps_fail(e, PS_EINPUT, "-e %s: %s is routed through %s, not %s (see 'ip route get %s'): "
                       "no reply could come back", c->iface, dst, natural.ifname, c->iface, dst);
    if (c->has_source_ip && c->source_ip.family == a->family && is_loopback_addr(&c->source_ip) &&
        !natural.is_loopback)
        return ps_fail(e, PS_EINPUT, "-S %s: a loopback source cannot get answers from %s (routed through %s)",
                       ps_addr_str(&c->source_ip, src, sizeof src), dst, natural.ifname);
    return PS_OK;
}

int ps_app_check_routes(const ps_cli *cli, ps_err *e)
{
    const ps_config *c = &cli->cfg;
    uint64_t n = ps_targets_count(cli->targets);
    if ((!c->iface && !c->has_source_ip) || n == 0) return PS_OK;
    /* IPv4 targets come first in the set, IPv6 after: the two ends and
     * the last IPv4 / first IPv6 address cover both families. */
    uint64_t probe[3] = {0, n - 1, 0};
    int np = 2, r = PS_OK;
    ps_addr first, last;
    ps_targets_get(cli->targets, 0, &first);
    ps_targets_get(cli->targets, n - 1, &last);
    if (first.family != last.family) {
        uint64_t lo = 0, hi = n;
        while (lo < hi) { /* the first IPv6 address */
            uint64_t mid = lo + (hi - lo) / 2;
            ps_addr a;
            ps_targets_get(cli->targets, mid, &a);
            if (a.family == AF_INET) lo = mid + 1;
            else hi = mid;
        }
        probe[np++] = lo;
    }
    for (int i = 0; i < np && !r; i++) {
        ps_addr a;
        ps_targets_get(cli->targets, probe[i], &a);
        r = check_one(c, &a, e);
    }
    return r;
}
