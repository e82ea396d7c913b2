/* hostlimits.c: see include/pscan/hostlimits.h. */
#include <stdio.h>
#include <sys/resource.h>

#include "pscan/hostlimits.h"

void ps_ephemeral_range(uint16_t *lo, uint16_t *hi)
{
    unsigned l = 32768, h = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        unsigned a, b;
        if (fscanf(f, "%u %u", &a, &b) == 2 && a >= 1 && a <= b && b <= 65535) l = a, h = b;
        fclose(f);
    }
    *lo = (uint16_t)l;
    *hi = (uint16_t)h;
}

uint16_t ps_sport_base(unsigned span)
{
    uint16_t lo, hi;
    ps_ephemeral_range(&lo, &hi);
    if ((unsigned)hi + 16 + span <= 65535) return (uint16_t)(hi + 16);
    if (lo > span + 1040) return (uint16_t)(lo - span - 16);
    return 61000;
}

uint32_t ps_fd_width(int want_in, uint32_t floor)
{
    struct rlimit rl;
    rlim_t want = want_in > 0 ? (rlim_t)want_in : 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < want + 64 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max < want + 64 ? rl.rlim_max : want + 64;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur != RLIM_INFINITY && want + 32 > rl.rlim_cur) want = rl.rlim_cur > 64 ? rl.rlim_cur - 32 : 16;
    }
    return want < floor ? floor : (uint32_t)want;
}
