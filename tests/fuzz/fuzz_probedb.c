/* fuzz_probedb.c: libFuzzer harness for the probe-file parser.
 *
 * The input is a probe file.  Whatever loads must then be usable: every
 * probe is matched against the input itself (so fuzzed regexes and
 * templates really run), and the accessors are walked.  Build and run:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tests/fuzz/fuzz_probedb.c src/probedb/probedb.c src/probedb/probedb_parse.c \
 *     src/probedb/probedb_match.c src/util/err.c -lpcre2-8 -o build/fuzz_probedb
 *   build/fuzz_probedb -max_total_time=60 tests/fuzz/corpus/probedb */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/probedb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_printable(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) abort(); /* not terminated */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_probedb *db = ps_probedb_new();
    ps_err e;
    if (!db) return 0;
    if (ps_probedb_load_buf(db, "fuzz", (const char *)data, size, &e) == PS_OK) {
        (void)ps_probedb_check(db, &e);
        size_t n = ps_probedb_count(db);
        for (size_t i = 0; i < n && i < 16; i++) {
            const ps_probe *p = ps_probedb_get(db, i);
            size_t len;
            (void)ps_probe_payload(p, &len);
            (void)ps_probe_rarity(p);
            (void)ps_probe_on_port(p, 80);
            ps_service_info si;
            int r = ps_probe_match(db, p, data, size > 512 ? 512 : size, NULL, &si);
            if (r) {
                check_printable(si.product, sizeof si.product);
                check_printable(si.version, sizeof si.version);
                check_printable(si.info, sizeof si.info);
                check_printable(si.hostname, sizeof si.hostname);
                for (int c = 0; c < si.ncpe; c++) check_printable(si.cpe[c], sizeof si.cpe[c]);
                if (si.ncpe < 0 || si.ncpe > 4) abort();
            }
        }
        (void)ps_probedb_excluded(db, PS_TCP, 9100);
    } else if (!memchr(e.msg, ':', strnlen(e.msg, sizeof e.msg))) {
        abort(); /* every error names where it happened */
    }
    ps_probedb_free(db);
    return 0;
}
