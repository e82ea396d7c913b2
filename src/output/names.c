/* names.c: the words results are written with -- states, reasons,
 * protocols, registry statuses -- for every writer and for `pscan diff`.
 * They live here, not in the results store, so that writing a result needs
 * only the result. */
#include "pscan/iana.h"
#include "pscan/output.h"
#include "pscan/result.h"

const char *ps_state_name(enum ps_state s)
{
    static const char *const n[PS_ST_COUNT] = {"filtered", "closed", "open", "filtered", "open|filtered"};
    return (unsigned)s < PS_ST_COUNT ? n[s] : "unknown";
}

const char *ps_reason_name(enum ps_reason r)
{
    static const char *const n[PS_R_COUNT] = {
        "unknown", "syn-ack", "reset", "conn-refused", "no-response", "host-unreach",
        "net-unreach", "admin-prohibited", "port-unreach", "proto-unreach", "udp-response",
    };
    return (unsigned)r < PS_R_COUNT ? n[r] : "unknown";
}

const char *ps_proto_name(enum ps_proto p)
{
    return p == PS_UDP ? "udp" : "tcp";
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
