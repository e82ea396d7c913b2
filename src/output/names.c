/* names.c: the words results are written with -- states, reasons,
 * protocols, registry statuses -- for every writer and for `pscan diff`.
 * They live here, not in the results store, so that writing a result needs
 * only the result. */
#include <stdio.h>
#include <string.h>

#include "pscan/iana.h"
#include "pscan/output.h"
#include "pscan/result.h"

const char *ps_state_name(enum ps_state s)
{
    static const char *const n[PS_ST_COUNT] = {"filtered", "closed", "open", "filtered", "open|filtered"};
    return (unsigned)s < PS_ST_COUNT ? n[s] : "unknown";
}

enum ps_state ps_state_shown(enum ps_proto proto, enum ps_state s)
{
    if (s != PS_ST_NONE) return s;
    return proto == PS_UDP ? PS_ST_OPEN_FILTERED : PS_ST_FILTERED;
}

int ps_state_parse(const char *name)
{
    for (int s = PS_ST_CLOSED; s < PS_ST_COUNT; s++)
        if (strcmp(ps_state_name((enum ps_state)s), name) == 0) return s;
    return -1;
}

void ps_hidden_sort(ps_hidden_state *h, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && h[j].count > h[j - 1].count; j--) {
            ps_hidden_state t = h[j];
            h[j] = h[j - 1];
            h[j - 1] = t;
        }
}

int ps_reason_parse(const char *name)
{
    for (int r = 0; r < PS_R_COUNT; r++)
        if (strcmp(ps_reason_name((enum ps_reason)r), name) == 0) return r;
    return -1;
}

const char *ps_reason_name(enum ps_reason r)
{
    static const char *const n[PS_R_COUNT] = {
        "unknown", "syn-ack", "reset", "conn-refused", "no-response", "host-unreach",
        "net-unreach", "admin-prohibited", "port-unreach", "proto-unreach", "udp-response",
    };
    return (unsigned)r < PS_R_COUNT ? n[r] : "unknown";
}

const char *ps_unscanned_name(enum ps_unscanned u)
{
    static const char *const n[PS_NS_COUNT] = {"interrupted", "other-shard", "earlier-run"};
    return (unsigned)u < PS_NS_COUNT ? n[u] : "unknown";
}

const char *ps_reg_status_name(enum ps_reg_status s)
{
    switch (s) {
    case PS_REG_ASSIGNED: return "assigned";
    case PS_REG_RESERVED: return "reserved";
    case PS_REG_UNASSIGNED: return "unassigned";
    case PS_REG_DYNAMIC: return "dynamic";
    }
    return "unassigned";
}

const char *ps_summary_unscanned(const ps_scan_summary *s, char *buf, size_t len)
{
    uint64_t total = 0;
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < PS_NS_COUNT; i++) total += s->not_scanned[i];
    if (!total || len < 2) return buf;
    n += (size_t)snprintf(buf, len, "; %llu of %llu host-port pairs not scanned (", (unsigned long long)total,
                          (unsigned long long)s->pairs);
    const char *sep = "";
    for (int i = 0; i < PS_NS_COUNT && n < len; i++) {
        if (!s->not_scanned[i]) continue;
        n += (size_t)snprintf(buf + n, len - n, "%s%llu %s", sep, (unsigned long long)s->not_scanned[i],
                              ps_unscanned_name((enum ps_unscanned)i));
        sep = ", ";
    }
    if (n < len) snprintf(buf + n, len - n, ")");
    return buf;
}
