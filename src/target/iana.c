/* iana.c: lookups in the IANA registry table (build/gen/iana_table.c).
 *
 * The table is sorted by (protocol, port) and holds only ports the
 * registry names or reserves, so a lookup is a binary search and a miss
 * means "unassigned". */
#include <stdlib.h>
#include <string.h>

#include "pscan/iana.h"

struct ps_iana_entry {
    uint16_t port;
    uint8_t proto;
    uint8_t status; /* 1 assigned, 2 reserved */
    const char *name;
};
extern const struct ps_iana_entry ps_iana_table[];
extern const size_t ps_iana_count;

static const struct ps_iana_entry *find(uint16_t port, enum ps_proto proto)
{
    size_t lo = 0, hi = ps_iana_count;
    unsigned key = (unsigned)proto << 16 | port;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ps_iana_entry *m = &ps_iana_table[mid];
        unsigned k = (unsigned)m->proto << 16 | m->port;
        if (k == key) return m;
        if (k < key) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const char *ps_service_name(uint16_t port, enum ps_proto proto)
{
    const struct ps_iana_entry *m = find(port, proto);
    return m && m->status == 1 ? m->name : NULL;
}

int ps_service_port(const char *name, enum ps_proto proto)
{
    for (size_t i = 0; i < ps_iana_count; i++)
        if (ps_iana_table[i].proto == proto && ps_iana_table[i].status == 1 &&
            strcasecmp(ps_iana_table[i].name, name) == 0)
            return ps_iana_table[i].port;
    return -1;
}

enum ps_reg_status ps_service_status(uint16_t port, enum ps_proto proto)
{
    const struct ps_iana_entry *m = find(port, proto);
    if (m) return m->status == 1 ? PS_REG_ASSIGNED : PS_REG_RESERVED;
    return port >= 49152 ? PS_REG_DYNAMIC : PS_REG_UNASSIGNED;
}
