/* fuzz_cert.c: libFuzzer harness for the TLS certificate summary
 * (ps_tls_cert_summary_der, src/transport/tls.c).
 *
 * The input is the DER certificate a server would send.  Besides the
 * sanitizers' memory checks, it asserts what the summary promises to the
 * writers that print it (src/output/):
 *
 *   - PS_OK or PS_EINPUT, nothing else; on PS_EINPUT a message and every
 *     field empty;
 *   - every field NUL-terminated inside its array, and only printable ASCII
 *     (0x20-0x7e) before the NUL: no control byte, no byte >= 0x7f;
 *   - every backslash starts a whole "\xHH" escape (lower-case hex), so a
 *     reader can undo the escaping and a cut never leaves half an escape;
 *   - validity times empty or exactly "YYYY-MM-DDTHH:MM:SSZ" with fields in
 *     range; version and cipher empty (no handshake here);
 *   - the fingerprint, on PS_OK, exactly 32 upper-case hex pairs joined by
 *     ':' and equal to the SHA-256 of the certificate re-encoded by OpenSSL;
 *   - the SAN list can be split back: items joined by ", ", each "DNS:",
 *     "email:", "URI:" or "IP:" and a value, perhaps a last "..." when it
 *     was cut, and never more items than the certificate holds names of
 *     those kinds (counted here independently), so one name cannot pose
 *     as two;
 *   - the same bytes give the same summary twice.
 *
 * Build and run one harness (make fuzz builds and runs them all, 30 s each):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
 *       -Iinclude -Ibuild/gen tests/fuzz/fuzz_cert.c $(find src -name '*.c' ! -name main.c) \
 *       build/gen/iana_table.c -o build/fuzz/fuzz_cert \
 *       -lpcap -lpcre2-8 -lssl -lcrypto -lnet -lpthread -lm
 *   build/fuzz/fuzz_cert -max_total_time=120 -max_len=4096 \
 *       build/fuzz/corpus-fuzz_cert tests/fuzz/corpus/cert
 * The seeds are real certificates (openssl req -x509) and odd ones: NUL in
 * the CN and in a dNSName, BMP/Universal/T61 strings, years 0001 and 9999,
 * invalid and offset times, IP SANs of 0, 5 and 8 bytes, a 400-byte
 * dNSName, 140 SANs, a comma inside a dNSName, two SAN extensions. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "pscan/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

/* NUL inside the array, printable ASCII before it, whole \xHH escapes. */
static size_t check_text(const char *s, size_t cap)
{
    const char *end = memchr(s, '\0', cap);
    REQUIRE(end != NULL);
    size_t n = (size_t)(end - s);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        REQUIRE(ch >= 0x20 && ch < 0x7f);
        if (ch == '\\') {
            REQUIRE(i + 3 < n && s[i + 1] == 'x');
            for (int k = 2; k <= 3; k++) {
                char h = s[i + (size_t)k];
                REQUIRE((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'));
            }
        }
    }
    return n;
}

static int digits(const char *s, int n, int lo, int hi)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
}

static void check_time(const char *t, size_t cap)
{
    size_t n = check_text(t, cap);
    if (n == 0)
        return;
    /* 2025-01-31T12:00:00Z */
    REQUIRE(n == 20);
    REQUIRE(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' &&
            t[19] == 'Z');
    REQUIRE(digits(t, 4, 0, 9999) && digits(t + 5, 2, 1, 12) && digits(t + 8, 2, 1, 31) &&
            digits(t + 11, 2, 0, 23) && digits(t + 14, 2, 0, 59) && digits(t + 17, 2, 0, 60));
}

static void check_fingerprint(const char *fp, size_t cap, const uint8_t *data, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    REQUIRE(check_text(fp, cap) == 95);
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    REQUIRE(x != NULL);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    REQUIRE(X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32);
    for (unsigned i = 0; i < 32; i++) {
        REQUIRE(fp[3 * i] == hex[md[i] >> 4] && fp[3 * i + 1] == hex[md[i] & 15]);
        REQUIRE(i == 31 || fp[3 * i + 2] == ':');
    }
    X509_free(x);
}

/* Names of the kinds the summary lists, counted from our own parse. */
static int san_count(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    REQUIRE(x != NULL);
    int n = 0;
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; g && i < sk_GENERAL_NAME_num(g); i++) {
        int t = sk_GENERAL_NAME_value(g, i)->type;
        n += t == GEN_DNS || t == GEN_EMAIL || t == GEN_URI || t == GEN_IPADD;
    }
    GENERAL_NAMES_free(g);
    X509_free(x);
    return n;
}

static void check_sans(const char *sans, size_t cap, int most)
{
    static const char *const pre[] = {"DNS:", "email:", "URI:", "IP:"};
    if (check_text(sans, cap) == 0)
        return;
    int items = 0, cut = 0;
    const char *s = sans;
    for (;;) {
        const char *next = strstr(s, ", ");
        if (strcmp(s, "...") == 0) {
            cut = 1; /* the list was cut: at least one name left out */
            break;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++)
            known |= strncmp(s, pre[k], strlen(pre[k])) == 0;
        REQUIRE(known);
        items++;
        if (!next)
            break;
        s = next + 2;
    }
    REQUIRE(items + cut <= most);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_tls_info a, b;
    ps_err e = {{0}};
    int rc = ps_tls_cert_summary_der(data, size, &a, &e);

    REQUIRE(rc == PS_OK || rc == PS_EINPUT);
    check_text(a.version, sizeof a.version);
    check_text(a.cipher, sizeof a.cipher);
    REQUIRE(a.version[0] == '\0' && a.cipher[0] == '\0');
    check_text(a.subject, sizeof a.subject);
    check_text(a.issuer, sizeof a.issuer);
    check_time(a.not_before, sizeof a.not_before);
    check_time(a.not_after, sizeof a.not_after);
    if (rc != PS_OK) {
        static const ps_tls_info empty;
        REQUIRE(e.msg[0] != '\0' && memchr(e.msg, '\0', sizeof e.msg));
        REQUIRE(memcmp(&a, &empty, sizeof a) == 0);
        return 0;
    }
    check_sans(a.sans, sizeof a.sans, san_count(data, size));
    check_fingerprint(a.sha256, sizeof a.sha256, data, size);
    REQUIRE(ps_tls_cert_summary_der(data, size, &b, NULL) == PS_OK);
    REQUIRE(memcmp(&a, &b, sizeof a) == 0);
    return 0;
}
