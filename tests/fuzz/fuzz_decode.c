/* fuzz_decode.c: libFuzzer harness for ps_decode (src/net/decode.c).
 *
 * The first input byte picks the link type, the rest is the frame.
 * Besides the sanitizers' memory checks, it asserts the decoder's promises:
 * a known status, and on success a coherent result (family set, addresses
 * of that family, an inner packet only for ICMP, flags only when present).
 *
 * Build and run (about a minute):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *       tests/fuzz/fuzz_decode.c src/net/decode.c -o build/fuzz_decode
 *   build/fuzz_decode -max_total_time=60 build/fuzz-corpus tests/fuzz/corpus/decode
 * (new inputs go to the first, writable corpus directory; the checked-in
 * seeds are one frame of each kind the decoder understands). */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>

#include "pscan/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = {
    DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, 9999,
};

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_decoded d;
    int rc;

    if (size < 1)
        return 0;
    rc = ps_decode(dlts[data[0] % (sizeof dlts / sizeof dlts[0])], data + 1, size - 1, &d);
    REQUIRE(rc >= PS_DEC_OK && rc <= PS_DEC_UNSUPPORTED);
    if (rc != PS_DEC_OK)
        return 0;
    REQUIRE(d.family == AF_INET || d.family == AF_INET6);
    REQUIRE(d.src.family == d.family && d.dst.family == d.family);
    if (d.has_inner) {
        REQUIRE(d.proto == IPPROTO_ICMP || d.proto == IPPROTO_ICMPV6);
        REQUIRE(d.inner.src.family == d.family && d.inner.dst.family == d.family);
        REQUIRE(d.inner.has_ports || !d.inner.has_seq);
    } else {
        REQUIRE(!d.inner.has_ports && !d.inner.has_seq);
    }
    if (d.proto != IPPROTO_TCP)
        REQUIRE(d.seq == 0 && d.ack == 0 && d.tcp_flags == 0);
    return 0;
}
