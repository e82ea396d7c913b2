/* clock.c: see include/pscan/clock.h. */
#include <time.h>

#include "pscan/clock.h"

uint64_t ps_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t ps_mono_us(void)
{
    return (int64_t)(ps_mono_ns() / 1000u);
}

uint64_t ps_mono_ms(void)
{
    return ps_mono_ns() / 1000000u;
}

double ps_mono_s(void)
{
    return (double)ps_mono_ns() / 1e9;
}
