/* fuzz_recog.c: libFuzzer harness over the structural recognisers
 * (include/pscan/recog.h), the code that reads hostile servers' replies
 * field by field.  The first byte picks the transport (DNS over TCP has a
 * length prefix, over UDP none); the rest is the reply.  Checks that every
 * field comes back NUL-terminated and that the level matches the fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/recog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    enum ps_proto proto = data[0] & 1 ? PS_UDP : PS_TCP;
    /* A copy of exactly the reply's size, so a read past it is caught. */
    uint8_t *reply = size > 1 ? malloc(size - 1) : NULL;
    if (size > 1 && !reply) return 0;
    if (reply) memcpy(reply, data + 1, size - 1);
    ps_service_info out;
    int lv = ps_recog(reply, size - 1, proto, &out);
    if (memchr(out.service, 0, sizeof out.service) == NULL || memchr(out.product, 0, sizeof out.product) == NULL ||
        memchr(out.version, 0, sizeof out.version) == NULL || memchr(out.info, 0, sizeof out.info) == NULL)
        abort();
    if (lv != ps_info_level(&out) || lv < 0 || lv > 3) abort();
    free(reply);
    return 0;
}
