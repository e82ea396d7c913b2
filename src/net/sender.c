/* sender.c: which sending back-end a route gets (see include/pscan/sender.h);
 * the engines ask for a layer, never for a back-end. */
#include "pscan/sender.h"

static int open_first(const struct ps_sender_ops *a, const struct ps_sender_ops *b, const ps_sender_cfg *cfg,
                      ps_sender **out, ps_err *e)
{
    ps_err first, second;
    if (a->open(cfg, out, &first) == PS_OK) return PS_OK;
    if (b->open(cfg, out, &second) == PS_OK) return PS_OK;
    return ps_fail(e, PS_ERUNTIME, "%.250s; fallback: %.250s", first.msg, second.msg);
}

int ps_sender_open_link(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e)
{
    return open_first(&ps_sender_packet, &ps_sender_libnet, cfg, out, e);
}

int ps_sender_open_l3(const ps_sender_cfg *cfg, ps_sender **out, ps_err *e)
{
    ps_sender_cfg c = *cfg;
    c.l3 = 1;
    return open_first(&ps_sender_rawip, &ps_sender_libnet, &c, out, e);
}
