/* targets_int.h: the target set's representation, shared by the set being
 * built (targets.c), the words that fill it (targets_parse.c) and the
 * finished set (targets_set.c). */
#ifndef PSCAN_TARGETS_INT_H
#define PSCAN_TARGETS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/targets.h"

typedef struct span {
    ps_u128 lo, hi;
} span;

typedef struct spanvec {
    span *v;
    size_t n, cap;
} spanvec;

typedef struct name_entry {
    ps_addr addr;
    size_t order; /* first name given for an address wins */
    char *name;
} name_entry;

enum { V4 = 0, V6 = 1 };

struct ps_targets {
    int family;
    ps_resolve_fn resolve;
    void *resolve_ctx;
    spanvec inc[2], exc[2];
    name_entry *names;
    size_t nnames, names_cap;
    int finalized;
    uint64_t *before; /* after finalize: addresses before range j (IPv4 ranges, then IPv6) */
    uint64_t count;
    int drop_special;        /* finalize drops multicast, broadcast, 0/8, 240/4 */
    ps_u128 special_removed; /* addresses finalize dropped for being special */
};

/* Record the name the user gave for a (the first one wins); targets.c. */
int ps_tg_remember_name(ps_targets *t, const ps_addr *a, const char *name, ps_err *e);

/* Interval vectors (targets.c). */
void ps_spanvec_merge(spanvec *sv);
int ps_spanvec_push(spanvec *sv, ps_u128 lo, ps_u128 hi, ps_err *e);
int ps_spanvec_subtract(spanvec *inc, const spanvec *exc, ps_err *e);

#endif
