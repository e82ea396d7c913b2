/* targets_set.c: the finished target set (see include/pscan/targets.h).
 *
 * ps_targets_finalize() sorts and merges the interval vectors targets.c
 * built, subtracts the exclusions (and, unless asked not to, the addresses
 * no probe should go to) with one sweep each, and records for each final
 * range how many addresses come before it; address i is then a binary
 * search over those prefix sums, and an address's number the reverse. */
#include <stdlib.h>
#include <string.h>

#include "pscan/targets.h"

#include "targets_int.h"

static int name_cmp(const void *pa, const void *pb)
{
    const name_entry *a = pa, *b = pb;
    int c = ps_addr_cmp(&a->addr, &b->addr);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static ps_u128 span_total(const spanvec *sv)
{
    ps_u128 n = 0;
    for (size_t i = 0; i < sv->n; i++)
        n += sv->v[i].hi - sv->v[i].lo + 1;
    return n;
}

/* Addresses a probe must never go to unless the user insists: "this
 * network" 0.0.0.0/8, multicast 224.0.0.0/4, reserved 240.0.0.0/4 with the
 * limited broadcast 255.255.255.255, and IPv6 multicast ff00::/8 and ::. */
static int drop_special(ps_targets *t, ps_err *e)
{
    static const struct { int f; const char *lo, *hi; } special[] = {
        {V4, "0.0.0.0", "0.255.255.255"},
        {V4, "224.0.0.0", "255.255.255.255"},
        {V6, "::", "::"},
        {V6, "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    };
    spanvec sp[2] = {{0}};
    int rc = PS_OK;
    for (size_t i = 0; i < sizeof special / sizeof special[0] && !rc; i++) {
        ps_addr lo, hi;
        ps_addr_parse(special[i].lo, &lo);
        ps_addr_parse(special[i].hi, &hi);
        rc = special[i].f == V4 ? ps_spanvec_push(&sp[V4], lo.u.v4, hi.u.v4, e)
                                : ps_spanvec_push(&sp[V6], ps_addr6_to_u128(lo.u.v6), ps_addr6_to_u128(hi.u.v6), e);
    }
    for (int f = 0; f < 2 && !rc; f++) {
        ps_u128 before = span_total(&t->inc[f]);
        rc = ps_spanvec_subtract(&t->inc[f], &sp[f], e);
        t->special_removed += before - span_total(&t->inc[f]);
    }
    free(sp[V4].v);
    free(sp[V6].v);
    return rc;
}

void ps_targets_drop_special(ps_targets *t, int drop)
{
    t->drop_special = drop;
}

uint64_t ps_targets_special_removed(const ps_targets *t)
{
    return t->special_removed > UINT64_MAX ? UINT64_MAX : (uint64_t)t->special_removed;
}

int ps_targets_finalize(ps_targets *t, ps_err *e)
{
    size_t n4, n6;
    ps_u128 total = 0;
    int rc;
    if (t->finalized)
        return PS_OK;
    if (t->inc[V4].n == 0 && t->inc[V6].n == 0)
        return ps_fail(e, PS_EINPUT, "no targets given");
    for (int f = 0; f < 2; f++) {
        ps_spanvec_merge(&t->inc[f]);
        ps_spanvec_merge(&t->exc[f]);
        if ((rc = ps_spanvec_subtract(&t->inc[f], &t->exc[f], e)) != 0)
            return rc;
    }
    if (t->inc[V4].n + t->inc[V6].n == 0)
        return ps_fail(e, PS_EINPUT, "no targets left after exclusions");
    if (t->drop_special && (rc = drop_special(t, e)) != 0)
        return rc;
    n4 = t->inc[V4].n;
    n6 = t->inc[V6].n;
    if (n4 + n6 == 0)
        return ps_fail(e, PS_EINPUT, "every target is a multicast, broadcast or reserved address "
                       "(0.0.0.0/8, 224.0.0.0/3, ff00::/8): pass --allow-special to scan them");
    t->before = malloc((n4 + n6) * sizeof *t->before);
    if (!t->before)
        return ps_fail(e, PS_ERUNTIME, "out of memory for %zu address ranges", n4 + n6);
    for (size_t j = 0; j < n4 + n6; j++) {
        const span *s = j < n4 ? &t->inc[V4].v[j] : &t->inc[V6].v[j - n4];
        t->before[j] = (uint64_t)total;
        total += s->hi - s->lo; /* size - 1: cannot wrap even for ::/0 */
        total += 1;
        if (total > UINT64_MAX || total == 0) {
            free(t->before);
            t->before = NULL;
            return ps_fail(e, PS_EINPUT, "the target set holds 2^64 addresses or more, which "
                           "does not fit a 64-bit count; exclude some or use longer prefixes");
        }
    }
    t->count = (uint64_t)total;
    if (t->nnames > 1)
        qsort(t->names, t->nnames, sizeof *t->names, name_cmp);
    t->finalized = 1;
    return PS_OK;
}

uint64_t ps_targets_count(const ps_targets *t)
{
    return t->finalized ? t->count : 0;
}

size_t ps_targets_nranges(const ps_targets *t)
{
    return t->inc[V4].n + t->inc[V6].n;
}

void ps_targets_get(const ps_targets *t, uint64_t i, ps_addr *out)
{
    size_t n4 = t->inc[V4].n, lo = 0, hi = n4 + t->inc[V6].n;
    memset(out, 0, sizeof *out);
    if (!t->finalized || i >= t->count)
        return;
    while (hi - lo > 1) { /* last range whose first address number is <= i */
        size_t mid = lo + (hi - lo) / 2;
        if (t->before[mid] <= i)
            lo = mid;
        else
            hi = mid;
    }
    if (lo < n4) {
        out->family = AF_INET;
        out->u.v4 = (uint32_t)(t->inc[V4].v[lo].lo + (i - t->before[lo]));
    } else {
        out->family = AF_INET6;
        ps_u128_to_addr6(t->inc[V6].v[lo - n4].lo + (i - t->before[lo]), out->u.v6);
    }
}

int ps_targets_index(const ps_targets *t, const ps_addr *a, uint64_t *idx)
{
    const spanvec *sv;
    ps_u128 x;
    size_t lo = 0, hi;
    if (!t->finalized || (a->family != AF_INET && a->family != AF_INET6))
        return 0;
    sv = &t->inc[a->family == AF_INET6];
    x = a->family == AF_INET6 ? ps_addr6_to_u128(a->u.v6) : a->u.v4;
    hi = sv->n;
    while (lo < hi) { /* first range with hi >= x */
        size_t mid = lo + (hi - lo) / 2;
        if (sv->v[mid].hi < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= sv->n || sv->v[lo].lo > x)
        return 0;
    if (idx) /* IPv6 ranges are numbered after every IPv4 range */
        *idx = t->before[(a->family == AF_INET6 ? t->inc[0].n : 0) + lo] +
               (uint64_t)(x - sv->v[lo].lo);
    return 1;
}

int ps_targets_contains(const ps_targets *t, const ps_addr *a)
{
    return ps_targets_index(t, a, NULL);
}

const char *ps_targets_name(const ps_targets *t, const ps_addr *a)
{
    if (!t->finalized) {
        for (size_t i = 0; i < t->nnames; i++)
            if (ps_addr_cmp(&t->names[i].addr, a) == 0)
                return t->names[i].name;
        return NULL;
    }
    size_t lo = 0, hi = t->nnames;
    while (lo < hi) { /* first entry >= a: the earliest name given for it */
        size_t mid = lo + (hi - lo) / 2;
        if (ps_addr_cmp(&t->names[mid].addr, a) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->nnames && ps_addr_cmp(&t->names[lo].addr, a) == 0 ? t->names[lo].name : NULL;
}
