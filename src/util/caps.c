/* caps.c: see include/pscan/caps.h. */
#include <errno.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pscan/caps.h"

int ps_caps_get(uint64_t *effective, uint64_t *permitted)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &hdr, d) != 0) return -1;
    if (effective) *effective = (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
    if (permitted) *permitted = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
    return 0;
}

int ps_can_raw(ps_err *e)
{
    uint64_t eff;
    if (ps_caps_get(&eff, NULL) != 0) {
        if (e) ps_fail(e, PS_ERUNTIME, "raw sockets need root or CAP_NET_RAW (capget: %s)", strerror(errno));
        return PS_ERUNTIME;
    }
    if (!(eff & (1ULL << CAP_NET_RAW))) {
        if (e) ps_fail(e, PS_ERUNTIME, "raw sockets need root or CAP_NET_RAW");
        return PS_ERUNTIME;
    }
    return PS_OK;
}
