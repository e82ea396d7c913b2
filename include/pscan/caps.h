/* caps.h: what this process may do with raw packets, asked of the kernel
 * (capget) rather than found out by opening a test socket: a packet
 * socket's close waits for an RCU grace period, milliseconds per test. */
#ifndef PSCAN_CAPS_H
#define PSCAN_CAPS_H

#include <stdint.h>

#include "pscan/err.h"

/* This thread's effective and permitted capability sets, as bit masks of
 * CAP_* numbers (either pointer may be NULL).  0, or -1 with errno. */
int ps_caps_get(uint64_t *effective, uint64_t *permitted);

/* May raw packets be sent and captured (CAP_NET_RAW in the effective set)?
 * PS_OK, or PS_ERUNTIME with e (may be NULL) saying why not. */
int ps_can_raw(ps_err *e);

#endif
