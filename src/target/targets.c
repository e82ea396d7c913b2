/* targets.c: the target set being built (see include/pscan/targets.h):
 * its interval vectors, the names given for addresses, and resolving.  The
 * words that fill it (literals, CIDR, nmap octet ranges, host names,
 * files, --exclude) are read by targets_parse.c; the finished set
 * (finalize, counts, look-ups) is targets_set.c.
 *
 * The set is four vectors of closed intervals [lo, hi] of 128-bit integers:
 * included and excluded, IPv4 and IPv6 apart (an IPv4 address is just a
 * small number).  Nothing is ever expanded to single addresses, so 0.0.0.0/0
 * costs one interval.  While tokens arrive, a full vector is first sorted and
 * merged in place and only grows if that did not free half of it, so a file
 * listing consecutive addresses stays small.  ps_targets_finalize() sorts and
 * merges each vector, subtracts the exclusions with one sweep over both
 * sorted lists, and records for each final range how many addresses come
 * before it; address i is then a binary search over those prefix sums. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/targets.h"

#include "targets_int.h"

#define MAX_SET_RANGES ((size_t)1 << 24) /* vector capacity; half of it may be distinct */

/* ---- interval vectors ---- */

static int span_cmp(const void *pa, const void *pb)
{
    const span *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    return 0;
}

/* Sort and merge overlapping or adjacent intervals, in place. */
void ps_spanvec_merge(spanvec *sv)
{
    size_t out = 0;
    if (sv->n < 2)
        return;
    qsort(sv->v, sv->n, sizeof *sv->v, span_cmp);
    for (size_t i = 1; i < sv->n; i++) {
        span *cur = &sv->v[out];
        const span *nx = &sv->v[i];
        /* cur->hi + 1 would wrap at the top of the space: test it apart. */
        if (cur->hi == ~(ps_u128)0 || nx->lo <= cur->hi + 1) {
            if (nx->hi > cur->hi)
                cur->hi = nx->hi;
        } else {
            sv->v[++out] = *nx;
        }
    }
    sv->n = out + 1;
}

int ps_spanvec_push(spanvec *sv, ps_u128 lo, ps_u128 hi, ps_err *e)
{
    if (sv->n == sv->cap) {
        ps_spanvec_merge(sv);
        if (sv->n > sv->cap / 2 || sv->cap == 0) {
            /* Growing only when merging freed less than half keeps the
             * merges' cost proportional to the pushes. */
            if (sv->cap >= MAX_SET_RANGES)
                return ps_fail(e, PS_EINPUT, "too many separate address ranges (%zu distinct "
                               "after merging; the set holds at most %zu)", sv->n,
                               (size_t)MAX_SET_RANGES);
            size_t ncap = sv->cap ? sv->cap * 2 : 64;
            span *nv = realloc(sv->v, ncap * sizeof *nv);
            if (!nv)
                return ps_fail(e, PS_ERUNTIME, "out of memory for %zu address ranges", ncap);
            sv->v = nv;
            sv->cap = ncap;
        }
    }
    sv->v[sv->n].lo = lo;
    sv->v[sv->n].hi = hi;
    sv->n++;
    return PS_OK;
}

/* inc minus exc, both sorted and merged; the result replaces inc.  One
 * sweep: exclusions wholly below the current range are skipped for good
 * (later ranges are higher still); those overlapping it cut it into pieces. */
int ps_spanvec_subtract(spanvec *inc, const spanvec *exc, ps_err *e)
{
    size_t j = 0, out = 0, cap = inc->n + exc->n;
    span *res;
    if (exc->n == 0 || inc->n == 0)
        return PS_OK;
    res = malloc(cap * sizeof *res);
    if (!res)
        return ps_fail(e, PS_ERUNTIME, "out of memory for %zu address ranges", cap);
    for (size_t i = 0; i < inc->n; i++) {
        ps_u128 lo = inc->v[i].lo, hi = inc->v[i].hi;
        int alive = 1;
        while (j < exc->n && exc->v[j].hi < lo)
            j++;
        for (size_t k = j; k < exc->n && exc->v[k].lo <= hi; k++) {
            if (exc->v[k].lo > lo)
                res[out++] = (span){lo, exc->v[k].lo - 1};
            if (exc->v[k].hi >= hi) {
                alive = 0;
                break;
            }
            lo = exc->v[k].hi + 1; /* < hi, so no wrap */
        }
        if (alive)
            res[out++] = (span){lo, hi};
    }
    free(inc->v);
    inc->v = res;
    inc->n = out;
    inc->cap = cap;
    return PS_OK;
}

/* ---- life cycle ---- */

ps_targets *ps_targets_new(int family)
{
    ps_targets *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->family = (family == AF_INET || family == AF_INET6) ? family : AF_UNSPEC;
    t->resolve = ps_resolve_default;
    return t;
}

void ps_targets_free(ps_targets *t)
{
    if (!t)
        return;
    for (int f = 0; f < 2; f++) {
        free(t->inc[f].v);
        free(t->exc[f].v);
    }
    for (size_t i = 0; i < t->nnames; i++)
        free(t->names[i].name);
    free(t->names);
    free(t->before);
    free(t);
}

void ps_targets_set_resolver(ps_targets *t, ps_resolve_fn fn, void *ctx)
{
    t->resolve = fn ? fn : ps_resolve_default;
    t->resolve_ctx = fn ? ctx : NULL;
}

int ps_tg_remember_name(ps_targets *t, const ps_addr *a, const char *name, ps_err *e)
{
    char *copy;
    if (t->nnames == t->names_cap) {
        size_t ncap = t->names_cap ? t->names_cap * 2 : 16;
        name_entry *nv = realloc(t->names, ncap * sizeof *nv);
        if (!nv)
            return ps_fail(e, PS_ERUNTIME, "out of memory for host names");
        t->names = nv;
        t->names_cap = ncap;
    }
    copy = strdup(name);
    if (!copy)
        return ps_fail(e, PS_ERUNTIME, "out of memory for host names");
    t->names[t->nnames].addr = *a;
    t->names[t->nnames].order = t->nnames;
    t->names[t->nnames].name = copy;
    t->nnames++;
    return PS_OK;
}

int ps_targets_add_addr(ps_targets *t, const ps_addr *a, const char *name, ps_err *e)
{
    int rc;
    if (t->finalized)
        return ps_fail(e, PS_ERUNTIME, "target set already finalised");
    if (a->family == AF_INET)
        rc = ps_spanvec_push(&t->inc[V4], a->u.v4, a->u.v4, e);
    else if (a->family == AF_INET6)
        rc = ps_spanvec_push(&t->inc[V6], ps_addr6_to_u128(a->u.v6), ps_addr6_to_u128(a->u.v6), e);
    else
        return ps_fail(e, PS_EINPUT, "address of unknown family %d", a->family);
    if (rc == PS_OK && name)
        rc = ps_tg_remember_name(t, a, name, e);
    return rc;
}

/* ---- hostnames ---- */

int ps_resolve_default(void *ctx, const char *name, int family, ps_addr *out, ps_err *e)
{
    struct addrinfo hints, *res = NULL;
    const struct addrinfo *pick = NULL;
    size_t len = strlen(name);
    int rc;
    (void)ctx;
    if (len && name[len - 1] == '.')
        len--;
    /* RFC 6761: names under .invalid never resolve; do not ask. */
    if ((len == 7 && strncasecmp(name, "invalid", 7) == 0) ||
        (len > 8 && strncasecmp(name + len - 8, ".invalid", 8) == 0))
        return ps_fail(e, PS_EINPUT, "cannot resolve '%s': names under .invalid never resolve",
                       name);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0)
        return ps_fail(e, PS_EINPUT, "cannot resolve '%s': %s", name,
                       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    for (const struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
        if (ai->ai_family == AF_INET)
            pick = ai;
    for (const struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
        if (ai->ai_family == AF_INET6)
            pick = ai;
    memset(out, 0, sizeof *out);
    if (pick && pick->ai_family == AF_INET) {
        out->family = AF_INET;
        out->u.v4 = ntohl(((const struct sockaddr_in *)(const void *)pick->ai_addr)->sin_addr.s_addr);
    } else if (pick) {
        out->family = AF_INET6;
        memcpy(out->u.v6, &((const struct sockaddr_in6 *)(const void *)pick->ai_addr)->sin6_addr, 16);
    }
    freeaddrinfo(res);
    if (!pick)
        return ps_fail(e, PS_EINPUT, "cannot resolve '%s': no IPv4 or IPv6 address", name);
    return PS_OK;
}
