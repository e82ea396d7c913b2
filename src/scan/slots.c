/* slots.c: the in-flight slot list of the connect and UDP engines (see
 * scan_int.h). */
#include <stdlib.h>

#include "scan_int.h"

int ps_slots_init(ps_slots *s, uint32_t n)
{
    s->link = calloc(n ? n : 1, sizeof *s->link);
    if (!s->link) return -1;
    s->n = n;
    s->busy = 0;
    s->head = s->tail = PS_SLOT_NIL;
    for (uint32_t i = 0; i < n; i++) s->link[i].next = i + 1 < n ? i + 1 : PS_SLOT_NIL;
    s->free_top = n ? 0 : PS_SLOT_NIL;
    return 0;
}

void ps_slots_free(ps_slots *s)
{
    free(s->link);
    s->link = NULL;
}

uint32_t ps_slots_take(ps_slots *s)
{
    uint32_t i = s->free_top;
    if (i == PS_SLOT_NIL) return i;
    s->free_top = s->link[i].next;
    s->link[i].prev = s->tail;
    s->link[i].next = PS_SLOT_NIL;
    if (s->tail != PS_SLOT_NIL) s->link[s->tail].next = i;
    else s->head = i;
    s->tail = i;
    s->busy++;
    return i;
}

void ps_slots_release(ps_slots *s, uint32_t i)
{
    struct ps_slot_link *l = &s->link[i];
    if (l->prev != PS_SLOT_NIL) s->link[l->prev].next = l->next;
    else s->head = l->next;
    if (l->next != PS_SLOT_NIL) s->link[l->next].prev = l->prev;
    else s->tail = l->prev;
    l->next = s->free_top;
    s->free_top = i;
    s->busy--;
}
