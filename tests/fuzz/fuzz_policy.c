/* fuzz_policy.c: libFuzzer harness for the --expect policy parser
 * (src/output/policy.c).  `make fuzz` builds and runs it over
 * tests/fuzz/corpus/policy.
 *
 * The input is the policy file.  Beyond "no crash, no leak, no hang": a
 * failed load returns PS_EINPUT (or PS_ERUNTIME) with a non-empty message
 * naming the stream and holding no raw control byte, and leaves no policy;
 * a successful load has at least one rule, and for a few addresses the
 * answers of ps_policy_allows agree with the rule ps_policy_rule_for picks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_port(const uint16_t *v, size_t n, uint16_t port)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == port) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)(uintptr_t)data, size, "r");
    if (!f) return 0;
    ps_policy *p = (ps_policy *)(uintptr_t)1;
    ps_err e = {{0}};
    int rc = ps_policy_load_stream(&p, f, "fuzz", &e);
    fclose(f);
    if (rc) {
        if (p || (rc != 1 && rc != 2) || strncmp(e.msg, "fuzz", 4) != 0) abort();
        for (const char *c = e.msg; *c; c++)
            if ((unsigned char)*c < 0x20) abort();
        return 0;
    }
    if (!p || ps_policy_nrules(p) == 0) abort();
    static const char *const probe[] = {"127.0.0.1", "198.18.0.5", "10.0.0.7", "0.0.0.0", "255.255.255.255",
                                        "::1", "2001:db8::1", "::"};
    for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
        ps_addr a;
        if (ps_addr_parse(probe[i], &a)) abort();
        int line = -1, line2 = -1;
        const ps_ports *ps = ps_policy_rule_for(p, &a, &line);
        if ((ps == NULL) != (line == 0)) abort();
        uint16_t port = size ? (uint16_t)(data[0] * 257 + 1) : 22;
        int allowed = ps_policy_allows(p, &a, PS_TCP, port, &line2);
        if (line2 != line) abort();
        if (allowed != (ps && has_port(ps->tcp, ps->ntcp, port))) abort();
    }
    ps_policy_free(p);
    return 0;
}
