/* clock.h: the one monotonic clock every stage measures time with
 * (CLOCK_MONOTONIC: never jumps, not settable), in the unit each caller
 * counts in.  Time stamps for people (CLOCK_REALTIME) are not here. */
#ifndef PSCAN_CLOCK_H
#define PSCAN_CLOCK_H

#include <stdint.h>

uint64_t ps_mono_ns(void);
int64_t ps_mono_us(void);
uint64_t ps_mono_ms(void);
double ps_mono_s(void);

#endif
