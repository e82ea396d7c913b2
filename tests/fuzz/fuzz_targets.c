/* fuzz_targets.c: libFuzzer harness for the target grammar and the file
 * reader (src/target/targets.c).
 *
 * Input layout: byte 0 picks how the two parts are fed, the rest is split
 * at the first 0x01 byte into a target part and an exclusion part.
 *   bit 0 of byte 0: target part as one token (ps_targets_add) or as a
 *                    target file (ps_targets_add_stream through fmemopen)
 *   bit 1 of byte 0: exclusion part as an --exclude list or as a file
 * Then the set is finalized and checked: count and ranges agree, and a few
 * addresses from ps_targets_get() are in the set and strictly ascending.
 * Hostnames go to a fake resolver (a hash of the name), never to DNS.
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
 *       -Iinclude src/util/addr.c src/util/err.c src/target/targets.c src/target/targets_set.c tests/fuzz/fuzz_targets.c \
 *       -o build/fuzz_targets
 *   build/fuzz_targets -max_total_time=60 tests/fuzz/corpus/targets */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_resolve(void *ctx, const char *name, int family, ps_addr *out, ps_err *e)
{
    uint32_t h = 2166136261u;
    (void)ctx;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    if (h % 5 == 0)
        return ps_fail(e, PS_EINPUT, "cannot resolve '%s'", name);
    memset(out, 0, sizeof *out);
    if (family == AF_INET6 || (family == AF_UNSPEC && h % 3 == 0)) {
        out->family = AF_INET6;
        out->u.v6[0] = 0x20, out->u.v6[1] = 0x01, out->u.v6[2] = 0x0d, out->u.v6[3] = 0xb8;
        memcpy(out->u.v6 + 12, &h, 4);
    } else {
        out->family = AF_INET;
        out->u.v4 = 0xc6120000u | (h & 0x1ffff);
    }
    return PS_OK;
}

static int feed(ps_targets *t, const uint8_t *p, size_t n, int as_file, int excl, ps_err *e)
{
    int rc;
    if (as_file) {
        FILE *f;
        if (n == 0)
            return PS_OK;
        f = fmemopen((void *)(uintptr_t)p, n, "r");
        if (!f)
            return PS_ERUNTIME;
        rc = excl ? ps_targets_exclude_stream(t, f, "fuzz", e) : ps_targets_add_stream(t, f, "fuzz", e);
        fclose(f);
        return rc;
    }
    char *s = malloc(n + 1);
    if (!s)
        return PS_ERUNTIME;
    memcpy(s, p, n);
    s[n] = '\0';
    rc = excl ? ps_targets_exclude(t, s, e) : ps_targets_add(t, s, e);
    free(s);
    return rc;
}

static void check_order(const ps_targets *t, uint64_t i, ps_addr *prev, int have_prev)
{
    ps_addr a;
    ps_targets_get(t, i, &a);
    if (a.family != AF_INET && a.family != AF_INET6)
        __builtin_trap();
    if (!ps_targets_contains(t, &a))
        __builtin_trap();
    if (have_prev && ps_addr_cmp(prev, &a) >= 0)
        __builtin_trap();
    *prev = a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_err e;
    e.msg[0] = '\0';
    if (size < 1)
        return 0;
    int mode = data[0];
    const uint8_t *body = data + 1, *sep = memchr(body, 0x01, size - 1);
    size_t alen = sep ? (size_t)(sep - body) : size - 1;
    ps_targets *t = ps_targets_new(mode & 4 ? AF_INET6 : AF_UNSPEC);
    if (!t)
        return 0;
    ps_targets_set_resolver(t, fake_resolve, NULL);
    int rc = feed(t, body, alen, mode & 1, 0, &e);
    if (rc == PS_OK && sep)
        rc = feed(t, sep + 1, size - 1 - alen - 1, mode & 2, 1, &e);
    if (rc == PS_OK)
        rc = ps_targets_finalize(t, &e);
    if (rc == PS_OK) {
        uint64_t n = ps_targets_count(t);
        ps_addr prev;
        if (n == 0 || ps_targets_nranges(t) == 0 || ps_targets_nranges(t) > n)
            __builtin_trap();
        check_order(t, 0, &prev, 0);
        if (n > 2)
            check_order(t, n / 2, &prev, 1);
        if (n > 1)
            check_order(t, n - 1, &prev, 1);
        for (uint64_t i = 0; i + 1 < n && i < 64; i++) {
            ps_addr a, b;
            ps_targets_get(t, i, &a);
            ps_targets_get(t, i + 1, &b);
            if (ps_addr_cmp(&a, &b) >= 0)
                __builtin_trap();
        }
        ps_targets_get(t, n, &prev); /* out of range: zeroed, no crash */
        if (prev.family != 0)
            __builtin_trap();
        (void)ps_targets_name(t, &prev);
    } else if (e.msg[0] == '\0' || strlen(e.msg) >= sizeof e.msg) {
        __builtin_trap(); /* every failure says why */
    }
    ps_targets_free(t);
    return 0;
}
