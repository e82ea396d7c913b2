/* report_store.c: the records of the results store (see report_int.h).
 *
 * A host gets a record the first time any of its probes is answered.  The
 * record holds a 2-bit state per scanned port (so 1,000 ports cost 250
 * bytes) and a small array with the details of its open ports.  Hosts that
 * never answer never get a record: a dead /8 costs nothing here.  Records
 * live in an open-addressing hash table keyed by host index, with linear
 * probing and backward-shift deletion. */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Room for one more item of `size` bytes at the end, or NULL. */
void *rep_vec_push(struct vec *a, size_t size)
{
    if (a->n == a->cap) {
        uint32_t cap = a->cap ? a->cap * 2 : 2;
        void *n = realloc(a->v, cap * size);
        if (!n) return NULL;
        a->v = n;
        a->cap = cap;
    }
    return (char *)a->v + (size_t)a->n++ * size;
}

struct extra *rep_extra(struct record *rec)
{
    if (!rec->x) rec->x = calloc(1, sizeof *rec->x);
    return rec->x;
}

void rep_record_free(struct record *rec)
{
    free(rec->open.v);
    if (rec->x) {
        for (uint32_t i = 0; i < rec->x->svc.n; i++) free(((uint8_t **)rec->x->svc.v)[i]);
        free(rec->x->svc.v);
        free(rec->x->odd.v);
        free(rec->x);
    }
    free(rec);
}

/* ---- the hash table ------------------------------------------------------ */

static size_t rep_slot_of(const ps_report *r, uint64_t idx)
{
    uint64_t h = idx * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (r->nslots - 1);
}

struct record **rep_find(ps_report *r, uint64_t idx)
{
    size_t i = rep_slot_of(r, idx);
    while (r->slots[i] && r->slots[i]->idx != idx) i = (i + 1) & (r->nslots - 1);
    return &r->slots[i];
}

static int rep_grow(ps_report *r)
{
    size_t old = r->nslots;
    struct record **os = r->slots;
    r->slots = calloc(old * 2, sizeof *r->slots);
    if (!r->slots) {
        r->slots = os;
        return -1;
    }
    r->nslots = old * 2;
    for (size_t i = 0; i < old; i++)
        if (os[i]) *rep_find(r, os[i]->idx) = os[i];
    free(os);
    return 0;
}

/* Remove by backward-shift deletion, keeping probe chains intact. */
void rep_remove(ps_report *r, struct record **slot)
{
    size_t i = (size_t)(slot - r->slots), j = i;
    r->slots[i] = NULL;
    r->nrecords--;
    for (;;) {
        j = (j + 1) & (r->nslots - 1);
        if (!r->slots[j]) return;
        size_t k = rep_slot_of(r, r->slots[j]->idx);
        /* Move j back to i unless its home k lies cyclically in (i, j]. */
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
        r->slots[i] = r->slots[j];
        r->slots[j] = NULL;
        i = j;
    }
}

struct record *rep_get(ps_report *r, uint64_t idx)
{
    struct record **s = rep_find(r, idx);
    if (*s) return *s;
    if ((r->nrecords + 1) * 2 > r->nslots) {
        if (rep_grow(r)) return NULL;
        s = rep_find(r, idx);
    }
    struct record *rec = calloc(1, sizeof *rec + (r->nports + 3) / 4);
    if (!rec) return NULL;
    rec->idx = idx;
    rec->latency_s = -1;
    *s = rec;
    r->nrecords++;
    return rec;
}

enum ps_state rep_state(const struct record *rec, size_t i)
{
    return (enum ps_state)((rec->states[i / 4] >> (2 * (i % 4))) & 3);
}

void rep_port_of(const ps_report *r, size_t i, enum ps_proto *proto, uint16_t *port)
{
    if (i < r->ports->ntcp) {
        *proto = PS_TCP;
        *port = r->ports->tcp[i];
    } else {
        *proto = PS_UDP;
        *port = r->ports->udp[i - r->ports->ntcp];
    }
}

/* The report's index of (proto, port), if it was scanned. */
int rep_port_index(const ps_report *r, enum ps_proto proto, uint16_t port, size_t *idx)
{
    const uint16_t *v = proto == PS_TCP ? r->ports->tcp : r->ports->udp;
    size_t n = proto == PS_TCP ? r->ports->ntcp : r->ports->nudp, lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < port) lo = mid + 1;
        else hi = mid;
    }
    if (lo >= n || v[lo] != port) return 0;
    *idx = lo + (proto == PS_TCP ? 0 : r->ports->ntcp);
    return 1;
}
