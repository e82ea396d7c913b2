/* fuzz_match.c: libFuzzer harness for matching replies.
 *
 * A small database, built once, exercises every template form, softmatch
 * narrowing, fallbacks and a few regexes prone to backtracking; the input
 * is the reply.  The first input byte picks only_service, so both paths
 * run.  Every field must come back NUL-terminated printable ASCII.  Build
 * and run (PSCAN_FUZZ_PROBES=/usr/share/nmap/nmap-service-probes fuzzes
 * against that file instead):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tests/fuzz/fuzz_match.c src/probedb/probedb.c src/probedb/probedb_parse.c \
 *     src/probedb/probedb_match.c src/util/err.c -lpcre2-8 -o build/fuzz_match
 *   build/fuzz_match -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/probedb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char db_text[] =
    "Probe TCP NULL q||\n"
    "match ssh m/^SSH-([\\d.]+)-OpenSSH[_-]([\\w.]+)(?: (.*))?\\r?\\n/i p/OpenSSH/ v/$2/ i/protocol $1; $3/ "
    "cpe:/a:openbsd:openssh:$2/\n"
    "softmatch ftp m/^220[- ].*ftp/i\n"
    "match ftp m/^220 .*vsFTPd ([\\d.]+)/i p/vsftpd/ v/$1/ cpe:/a:beasts:vsftpd:$1/\n"
    "match smtp m/^220 ([-.\\w]+) ESMTP (.*)$/s p/$P(2)/ h/$1/\n"
    "match bin m/^\\x00\\x01(..)(....)(.{0,8})/s v/$I(1,\">\").$I(2,\"<\")/ i/$I(3,\">\")/ "
    "p/$SUBST(3,\"\\x00\",\".\")/\n"
    "match wide m/^W((?:[^\\0]\\0)+)/ p/$P(1)/ i/$1/\n"
    "match cpe m/^C:(.*)/s cpe:/a:v:p:$1/ cpe:/h:v:$1/ cpe:|o:x:$SUBST(1,\" \",\"_\")|\n"
    "match groups m/^G(a)?(b)?(c)?(d)?(e)?(f)?(g)?(h)?(i)?(j)?/ p/$1$2$3$4$5$6$7$8$9/ v/$9$8$7/\n"
    "match slow m/^S((?:a|a?)+)+$/ p/$1/\n"
    "match slow2 m/^(.*?,){5}X(.*)$/s i/$2/\n"
    "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
    "softmatch http m|^HTTP/1\\.[01] \\d\\d\\d|\n"
    "match http m|^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: ([^/\\r\\n]+)/?([^\\r\\n ]*)|s p/$1/ v/$2/\n"
    "Probe UDP DNS q|\\0\\x06\\x01\\0\\0\\x01|\n"
    "match domain m/^\\0\\x06\\x81(.)(.*)$/s i/$I(1,\"<\") $P(2)/\n";

static ps_probedb *db;

static void check(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) {
        ps_err e;
        const char *file = getenv("PSCAN_FUZZ_PROBES");
        db = ps_probedb_new();
        if (!db || (file ? ps_probedb_load_file(db, file, &e)
                         : ps_probedb_load_buf(db, "fuzz", db_text, sizeof db_text - 1, &e)) != PS_OK)
            abort();
    }
    static const char *const only[] = {NULL, "ftp", "http", "smtp"};
    const char *want = size ? only[data[0] & 3] : NULL;
    for (size_t i = 0; i < ps_probedb_count(db) && i < 8; i++) {
        ps_service_info si;
        int r = ps_probe_match(db, ps_probedb_get(db, i), data, size, want, &si);
        if (r < 0 || r > 2 || (r == 0 && si.service[0]) || (r == 1) != (si.soft == 1)) abort();
        check(si.service, sizeof si.service);
        check(si.product, sizeof si.product);
        check(si.version, sizeof si.version);
        check(si.info, sizeof si.info);
        check(si.hostname, sizeof si.hostname);
        check(si.ostype, sizeof si.ostype);
        check(si.devicetype, sizeof si.devicetype);
        if (si.ncpe < 0 || si.ncpe > 4) abort();
        for (int c = 0; c < si.ncpe; c++) check(si.cpe[c], sizeof si.cpe[c]);
    }
    return 0;
}
