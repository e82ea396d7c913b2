/* scan_int.h: what the scan engines share and nobody else needs.
 *
 * The slot list: the connect and UDP engines keep a fixed pool of
 * in-flight probes, one per socket they may hold open.  Busy slots are
 * linked in send order, so the oldest probe -- the only one whose timeout
 * can be due first, since every probe of a run waits the same RTO -- is at
 * the head; free slots are on a stack.  Every operation is O(1).  The
 * engine keeps its own per-slot data in an array indexed the same way. */
#ifndef PSCAN_SCAN_INT_H
#define PSCAN_SCAN_INT_H

#include <stdint.h>

enum { PS_SLOT_NIL = UINT32_MAX };

typedef struct ps_slots {
    struct ps_slot_link {
        uint32_t prev, next; /* busy: neighbours in send order; free: next free */
    } *link;
    uint32_t n;     /* slots in the pool */
    uint32_t busy;  /* slots in flight */
    uint32_t head, tail; /* oldest and newest busy slot, PS_SLOT_NIL when none */
    uint32_t free_top;
} ps_slots;

/* A pool of n slots, all free.  -1 when out of memory. */
int ps_slots_init(ps_slots *s, uint32_t n);
void ps_slots_free(ps_slots *s);
/* A free slot, now the newest busy one; PS_SLOT_NIL when all are busy. */
uint32_t ps_slots_take(ps_slots *s);
/* Busy slot i is done: out of the send order, back to the free stack. */
void ps_slots_release(ps_slots *s, uint32_t i);

#endif
