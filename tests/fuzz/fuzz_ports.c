/* fuzz_ports.c: libFuzzer harness for the port-spec parser (src/target/ports.c).
 *
 * Build and run (from the repository root, after `make build/libpscan.a`
 * has generated build/gen/iana_table.c):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
 *       -Iinclude -o build/fuzz_ports tests/fuzz/fuzz_ports.c src/target/ports.c \
 *       src/target/top_ports.c src/target/iana.c src/util/err.c build/gen/iana_table.c
 *   build/fuzz_ports -max_total_time=60 tests/fuzz/corpus/ports
 *
 * The first input byte picks the default protocols and whether to run an
 * exclusion; the rest, up to the first NUL, is the spec.  Beyond "no
 * crash, no leak, no hang", it checks what the API promises: a result is
 * sorted, unique and within 1..65535; an error leaves the set untouched and
 * writes a non-empty message free of control bytes; parsing is
 * deterministic; excluding a spec that parsed removes all of its ports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void well_formed(const uint16_t *a, size_t n)
{
    if ((a == NULL) != (n == 0)) abort();
    for (size_t i = 0; i < n; i++)
        if (a[i] == 0 || (i && a[i] <= a[i - 1])) abort();
}

static int same(const ps_ports *x, const ps_ports *y)
{
    return x->ntcp == y->ntcp && x->nudp == y->nudp &&
           (!x->ntcp || memcmp(x->tcp, y->tcp, x->ntcp * sizeof *x->tcp) == 0) &&
           (!x->nudp || memcmp(x->udp, y->udp, x->nudp * sizeof *x->udp) == 0);
}

static int has(const ps_ports *p, enum ps_proto proto, uint16_t port)
{
    const uint16_t *a = proto == PS_TCP ? p->tcp : p->udp;
    size_t lo = 0, hi = proto == PS_TCP ? p->ntcp : p->nudp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] == port) return 1;
        if (a[mid] < port) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

static void check_msg(const ps_err *e)
{
    size_t n = strnlen(e->msg, sizeof e->msg);
    if (n == 0 || n == sizeof e->msg) abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)e->msg[i] < 0x20 || (unsigned char)e->msg[i] >= 0x7f) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int flags = data[0];
    char *spec = malloc(size);
    if (!spec) return 0;
    memcpy(spec, data + 1, size - 1);
    spec[size - 1] = 0;

    ps_ports p = {0}, q = {0};
    ps_err e = {{0}};
    /* Start from a non-empty set so "unchanged on error" means something. */
    if (ps_ports_parse(&p, "7,U:7", &e) != PS_OK) abort();
    ps_ports before = {0};
    if (ps_ports_parse(&before, "7,U:7", &e) != PS_OK) abort();

    memset(&e, 0, sizeof e);
    int rc = ps_ports_parse_ex(&p, spec, flags & 1, flags & 2, &e);
    if (rc == PS_OK) {
        well_formed(p.tcp, p.ntcp);
        well_formed(p.udp, p.nudp);
        /* Same spec, same answer. */
        if (ps_ports_parse(&q, "7,U:7", &e) != PS_OK) abort();
        if (ps_ports_parse_ex(&q, spec, flags & 1, flags & 2, &e) != PS_OK) abort();
        if (!same(&p, &q)) abort();
        /* p is the seed set plus the spec alone. */
        ps_ports r = {0};
        if (ps_ports_parse_ex(&r, spec, flags & 1, flags & 2, &e) != PS_OK) abort();
        for (size_t i = 0; i < r.ntcp; i++)
            if (!has(&p, PS_TCP, r.tcp[i])) abort();
        for (size_t i = 0; i < r.nudp; i++)
            if (!has(&p, PS_UDP, r.udp[i])) abort();
        if (p.ntcp != r.ntcp + !has(&r, PS_TCP, 7) || p.nudp != r.nudp + !has(&r, PS_UDP, 7))
            abort();
        if (flags & 4) {
            /* Exclusion applies unprefixed items to both protocols, a
             * superset of any default, so of q (seed + spec) at most the
             * seed port 7 may survive, and only where the spec missed it. */
            if (ps_ports_exclude(&q, spec, &e) != PS_OK) abort();
            well_formed(q.tcp, q.ntcp);
            well_formed(q.udp, q.nudp);
            if (q.ntcp > 1 || q.nudp > 1) abort();
            if (q.ntcp && (q.tcp[0] != 7 || has(&r, PS_TCP, 7))) abort();
            if (q.nudp && (q.udp[0] != 7 || has(&r, PS_UDP, 7))) abort();
        }
        ps_ports_free(&r);
    } else {
        if (rc != PS_EINPUT) abort();
        check_msg(&e);
        if (!same(&p, &before)) abort();
    }
    ps_ports_free(&p);
    ps_ports_free(&q);
    ps_ports_free(&before);
    free(spec);
    return 0;
}
