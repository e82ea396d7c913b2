/* fuzz_diff.c: libFuzzer harness for the readers behind `pscan diff`
 * (src/diff/diff_json.c, src/diff/diff_xml.c) and the strict JSON checker.
 * `make fuzz` builds and runs it over tests/fuzz/corpus/diff.
 *
 * The whole input goes to the format-sniffing reader, and also to the JSON
 * checker and, by the first byte's low bit, straight to the JSON Lines or
 * the XML reader.  Checked beyond memory safety: a failure is PS_EINPUT or
 * PS_ERUNTIME with a message that starts with the file name; a success
 * yields ports with a port number and a state, and a result compared with
 * itself has no differences. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const ps_diff_result *r, const ps_err *e)
{
    if (rc) {
        if ((rc != 1 && rc != 2) || strncmp(e->msg, "fuzz", 4) != 0) abort();
        return;
    }
    for (size_t i = 0; i < r->nports; i++)
        if (r->ports[i].port == 0 || !r->ports[i].state[0]) abort();
    FILE *null = fopen("/dev/null", "w");
    if (ps_diff_compare(r, r, null) != 0) abort();
    fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    ps_diff_result r = {0};
    ps_err e = {{0}};
    check(ps_diff_read(&r, s, size, "fuzz", &e), &r, &e);
    ps_diff_result_free(&r);
    if (size) {
        memset(&e, 0, sizeof e);
        int rc = (data[0] & 1) ? ps_diff_read_xml(&r, s, size, "fuzz", &e)
                               : ps_diff_read_json(&r, s, size, "fuzz", &e);
        check(rc, &r, &e);
        ps_diff_result_free(&r);
    }
    int rc = ps_json_check(s, size, &e);
    if (rc != 0 && rc != 1) abort();
    return 0;
}
