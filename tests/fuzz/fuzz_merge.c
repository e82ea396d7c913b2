/* fuzz_merge.c: libFuzzer harness for pscan merge (src/merge/): the
 * reader of the shards' JSON Lines, the checks that they are one scan, the
 * choice of each shard's attempt, which piece scanned a pair, and one host
 * put back together.  `make fuzz` builds and runs it over
 * tests/fuzz/corpus/merge.
 *
 * The input is up to four files, separated by a line "%%": the shards'
 * -oJ files as pscan merge would be given them.  Beyond memory safety and
 * no hang: the exit status is 0, 1, 2 or 4, and a merged file (0 or 4) is
 * JSON Lines, every line one JSON object. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/json.h"
#include "pscan/merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_IN = 4 };

static void check_output(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    ps_err e;
    if (!f) abort();
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n' || ps_json_check(line, (size_t)n - 1, &e) != PS_OK || line[0] != '{') abort();
    }
    free(line);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[] = "/tmp/fuzz-merge.XXXXXX", paths[MAX_IN][64], out[64];
    char *argv[MAX_IN + 3];
    int argc = 0;
    if (!mkdtemp(dir)) return 0;
    argv[argc++] = (char *)"merge";
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    argv[argc++] = out;
    const uint8_t *p = data, *end = data + size;
    for (int k = 0; k < MAX_IN && p <= end; k++) {
        const uint8_t *sep = memmem(p, (size_t)(end - p), "\n%%\n", 4);
        const uint8_t *stop = sep && k + 1 < MAX_IN ? sep + 1 : end;
        snprintf(paths[k], sizeof paths[k], "%s/in%d.jsonl", dir, k);
        FILE *f = fopen(paths[k], "w");
        if (!f) break;
        fwrite(p, 1, (size_t)(stop - p), f);
        fclose(f);
        argv[argc++] = paths[k];
        if (stop == end) break;
        p = sep + 4;
    }
    argv[argc] = NULL;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int rc = ps_merge_main(argc, argv);
    fclose(stderr);
    stderr = saved;
    if (rc != 0 && rc != 1 && rc != 2 && rc != 4) abort();
    if (rc == 0 || rc == 4) check_output(out);
    unlink(out);
    for (int k = 2; k < argc; k++) unlink(argv[k]);
    rmdir(dir);
    return 0;
}
