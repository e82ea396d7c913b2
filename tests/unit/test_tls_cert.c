/* test_tls_cert.c: the certificate summary (ps_tls_cert_summary_der).
 *
 * The certificates are the fuzz seeds, the DER files in tests/fuzz/corpus/cert/ (run
 * from the top of the tree, as tests/run.sh does).  known.der was made with
 *   openssl req -x509 -key K -subj "/CN=localhost/O=pscan test/C=DE" \
 *     -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,email:ops@example.org,URI:https://example.org/x" \
 *     -days 3650 -set_serial 4242 -outform DER
 * and its expected fields are what `openssl x509 -inform DER -noout
 * -subject -issuer -nameopt RFC2253 -dates -fingerprint -sha256` prints;
 * the fingerprint of every seed is also compared with openssl's at run time
 * when openssl is installed.  The rest pin down the fixes of this file's
 * commit: two seeds broke the fuzz harness's invariants (tests/fuzz/
 * fuzz_cert.c), two faults were seen reading the seeds' summaries; each
 * test says which. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pscan/transport.h"
#include "unit.h"

#define SEEDS "tests/fuzz/corpus/cert/"

static uint8_t der[1 << 16];

/* Bytes of a seed into der; its length, or 0 (having said why). */
static size_t load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, SEEDS "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("#   cannot open %s (run from the top of the tree)\n", path);
        return 0;
    }
    size_t n = fread(der, 1, sizeof der, f);
    fclose(f);
    return n;
}

static int summary(const char *name, ps_tls_info *t)
{
    ps_err e = {{0}};
    size_t n = load(name);
    CHECK(n > 0, "%s: no bytes", name);
    if (!n)
        return -1;
    int rc = ps_tls_cert_summary_der(der, n, t, &e);
    CHECK(rc == PS_OK, "%s: rc %d: %s", name, rc, e.msg);
    return rc == PS_OK ? 0 : -1;
}

static void test_known_certificate(void)
{
    ps_tls_info t;
    if (summary("known.der", &t) < 0)
        return;
    CHECK_STR(t.subject, "C=DE,O=pscan test,CN=localhost");
    CHECK_STR(t.issuer, "C=DE,O=pscan test,CN=localhost");
    CHECK_STR(t.sans, "DNS:localhost, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1, "
                      "email:ops@example.org, URI:https://example.org/x");
    CHECK_STR(t.not_before, "2026-11-22T02:34:56Z");
    CHECK_STR(t.not_after, "2036-11-19T02:34:56Z");
    CHECK_STR(t.sha256, "71:C5:84:74:C2:F3:9B:A5:E4:CF:8B:2A:89:54:2B:C5:"
                        "32:E2:72:58:52:CB:76:02:35:45:E8:5D:EC:BA:48:4B");
    CHECK_STR(t.version, "");
    CHECK_STR(t.cipher, "");
}

/* Every seed openssl can read: our fingerprint is the one it prints. */
static void test_fingerprints_match_openssl(void)
{
    static const char *const seeds[] = {
        "known.der", "many_sans.der", "rsa_nosan.der", "utf8_subject.der", "utf8_short.der",
        "nul_cn.der", "sans_odd.der", "sans_comma.der", "time_extreme.der", "empty_names.der",
    };
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("#   openssl not installed: fingerprints not compared\n");
        return;
    }
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        ps_tls_info t;
        char cmd[512], want[128] = "";
        if (summary(seeds[i], &t) < 0)
            continue;
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -inform DER -in " SEEDS "%s -noout -fingerprint -sha256 "
                 "2>/dev/null | cut -d= -f2",
                 seeds[i]);
        FILE *p = popen(cmd, "r");
        if (!p)
            continue;
        if (!fgets(want, sizeof want, p))
            want[0] = '\0';
        pclose(p);
        want[strcspn(want, "\r\n")] = '\0';
        CHECK(strcmp(t.sha256, want) == 0, "%s: got %s, openssl says %s", seeds[i], t.sha256,
              want);
    }
}

/* Caught by the harness's time invariant on a seed: GeneralizedTime year 0001 came out as
 * "1-01-01T00:00:00Z" (strftime %Y does not pad).  Now always 4 digits. */
static void test_years_padded(void)
{
    ps_tls_info t;
    if (summary("time_extreme.der", &t) < 0)
        return;
    CHECK_STR(t.not_before, "0001-01-01T00:00:00Z");
    CHECK_STR(t.not_after, "9999-12-31T23:59:59Z");
    if (summary("time_utc_bounds.der", &t) < 0)
        return;
    CHECK_STR(t.not_before, "1950-01-01T00:00:00Z");
    CHECK_STR(t.not_after, "2049-12-31T23:59:59Z");
}

/* Times OpenSSL will not read are empty, never half-written; an offset is
 * turned into UTC. */
static void test_bad_times_empty(void)
{
    ps_tls_info t;
    if (summary("time_bad1.der", &t) < 0) /* month 13; UTCTime 2501010000+0130 */
        return;
    CHECK_STR(t.not_before, "");
    CHECK_STR(t.not_after, "2024-12-31T22:30:00Z");
    if (summary("time_bad2.der", &t) < 0) /* fraction of a second; empty */
        return;
    CHECK_STR(t.not_before, "2025-01-01T00:00:00Z");
    CHECK_STR(t.not_after, "");
    if (summary("time_leap.der", &t) < 0) /* second 60; 29 February */
        return;
    CHECK_STR(t.not_before, "");
    CHECK_STR(t.not_after, "2024-02-29T12:00:00Z");
}

/* Caught by the harness's SAN-count invariant on a seed: a dNSName "www.bank.test, IP:198.18.0.1" read as
 * two names.  A comma in a SAN value is now escaped. */
static void test_san_comma_escaped(void)
{
    ps_tls_info t;
    if (summary("sans_comma.der", &t) < 0)
        return;
    CHECK_STR(t.sans, "DNS:www.bank.test\\x2c IP:198.18.0.1");
    /* BMP and Universal strings come out as UTF-8 bytes, escaped; the
     * RFC 2253 backslash before ',' and '+' as \x5c. */
    CHECK_STR(t.subject, "O=x\\xf0\\x9f\\x98\\x80,CN=h\\xc3\\xa9\\x5c,\\x5c+");
}

/* Seen in the seeds' summaries.  IP SANs that are not 4 or 16 bytes used to be "IP:" with nothing; a
 * 7-byte one holding "1.2.3.4" would now, unescaped, pass for an address,
 * so every byte is \xHH.  The 400-byte dNSName is kept whole (it used to
 * be cut at 259 characters inside the list), and the email after it, which
 * does not fit, ends the list with ", ...". */
static void test_san_odd(void)
{
    ps_tls_info t;
    if (summary("sans_odd.der", &t) < 0)
        return;
    const char *want = "IP:\\x7f\\x00\\x00\\x01\\xff, IP:\\xc6\\x12\\x00\\x00\\xff\\xff\\x00\\x00, "
                       "IP:, IP:2001:DB8:0:0:0:0:0:1, DNS:";
    CHECK(strncmp(t.sans, want, strlen(want)) == 0, "sans '%s'", t.sans);
    const char *dns = strstr(t.sans, "DNS:");
    CHECK(dns && strspn(dns + 4, "a") == 400, "dNSName cut: '%s'", t.sans);
    size_t n = strlen(t.sans);
    CHECK(n >= 5 && strcmp(t.sans + n - 5, ", ...") == 0, "no cut mark: '%s'", t.sans);
}

/* Seen in the seeds' summaries.  140 SANs do not fit in 512 bytes: the list is a prefix of the
 * certificate's names, then ", ..." (it used to skip names that did not
 * fit and go on with shorter ones, so later names appeared out of place). */
static void test_san_many_prefix(void)
{
    ps_tls_info t;
    if (summary("many_sans.der", &t) < 0)
        return;
    CHECK(strncmp(t.sans, "DNS:host001.example.test, DNS:host002.example.test, ", 52) == 0,
          "sans '%s'", t.sans);
    CHECK(strstr(t.sans, "IP:") == NULL, "an IP SAN out of order: '%s'", t.sans);
    size_t n = strlen(t.sans);
    CHECK(n < sizeof t.sans && strcmp(t.sans + n - 5, ", ...") == 0, "sans '%s'", t.sans);
}

/* NUL, control bytes, DEL, bytes >= 0x80 and the backslash never come out
 * raw: the classic "www.bank.test\0.evil.test" CN and dNSName. */
static void test_nul_and_control(void)
{
    ps_tls_info t;
    if (summary("nul_cn.der", &t) < 0)
        return;
    CHECK_STR(t.subject, "CN=www.bank.test\\x5c00.evil.test,O=nul test");
    CHECK_STR(t.sans, "DNS:www.bank.test\\x00.evil.test, DNS:ctl\\x01\\x7f\\xff\\x5cx\\x00");
    /* UTF-8 as \xHH bytes; RFC 2253's own escapes (\, \+ \1B for ESC)
     * keep their backslash, written \x5c. */
    if (summary("utf8_short.der", &t) < 0)
        return;
    CHECK_STR(t.subject, "OU=a\\x5c\\x5cb\\x5c;c\\x5c<d\\x5c>e#f=g,"
                         "OU=\\xe2\\x80\\xaeevil\\x5c1B[2J,"
                         "O=\\xc3\\x9cn\\xc3\\xafc\\xc3\\xb8d\\xc3\\xa9 GmbH\\x5c, "
                         "\\x5c\"quoted\\x5c\"\\x5c+plus,"
                         "CN=\\xe6\\x97\\xa5\\xe6\\x9c\\xac\\xe8\\xaa\\x9e."
                         "\\xe3\\x83\\x86\\xe3\\x82\\xb9\\xe3\\x83\\x88");
    if (summary("utf8_subject.der", &t) < 0)
        return;
    /* RFC 2253 writes the last RDN first: five 60-byte L= fill the 256
     * bytes, and the OU with the bidi override and ESC, and the CN, are
     * cut off (a known limit, docs/security.md). */
    CHECK(strncmp(t.subject, "L=LLLL", 6) == 0, "subject '%s'", t.subject);
    CHECK(strlen(t.subject) == sizeof t.subject - 1, "long subject not cut at the array: %zu",
          strlen(t.subject));
    for (const char *p = t.subject; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "byte %02x",
              (unsigned char)*p);
}

/* Two SAN extensions (not allowed): OpenSSL will not pick one, nor do we.
 * An empty subject and issuer are empty strings. */
static void test_odd_structure(void)
{
    ps_tls_info t;
    if (summary("sans_twice.der", &t) < 0)
        return;
    CHECK_STR(t.sans, "");
    CHECK_STR(t.subject, "CN=sans-twice");
    if (summary("empty_names.der", &t) < 0)
        return;
    CHECK_STR(t.subject, "");
    CHECK_STR(t.issuer, "");
    CHECK(strlen(t.sha256) == 95, "sha256 '%s'", t.sha256);
}

static int all_empty(const ps_tls_info *t)
{
    static const ps_tls_info empty;
    return memcmp(t, &empty, sizeof *t) == 0;
}

/* Not exactly one certificate: PS_EINPUT, a message, every field empty. */
static void test_bad_input(void)
{
    ps_tls_info t;
    ps_err e;
    size_t n = load("known.der");
    if (!n)
        return;
    static const uint8_t junk[] = {0x30, 0x82, 0xff, 0xff, 0x30, 0x00};

    memset(&t, 'x', sizeof t);
    CHECK(ps_tls_cert_summary_der(NULL, 0, &t, &e) == PS_EINPUT && all_empty(&t), "NULL");
    CHECK_STR(e.msg, "empty certificate");
    CHECK(ps_tls_cert_summary_der(der, 0, &t, NULL) == PS_EINPUT && all_empty(&t), "0 bytes");
    CHECK(ps_tls_cert_summary_der(der, n - 1, &t, &e) == PS_EINPUT && all_empty(&t), "cut");
    CHECK(strstr(e.msg, "not a DER X.509 certificate") != NULL, "msg '%s'", e.msg);
    CHECK(ps_tls_cert_summary_der(junk, sizeof junk, &t, &e) == PS_EINPUT && all_empty(&t),
          "junk");
    der[n] = 0;
    CHECK(ps_tls_cert_summary_der(der, n + 1, &t, &e) == PS_EINPUT && all_empty(&t),
          "trailing byte");
    CHECK_STR(e.msg, "1 trailing byte(s) after the DER certificate");
    CHECK(ps_tls_cert_summary_der(der, (size_t)PS_TLS_CERT_MAX + 1, &t, &e) == PS_EINPUT,
          "too long");
    CHECK(ps_tls_cert_summary_der(der, n, &t, &e) == PS_OK && t.subject[0], "whole");
    if (!load("bmp_subject.der")) /* a BMPString with a lone surrogate */
        return;
    CHECK(ps_tls_cert_summary_der(der, 296, &t, &e) == PS_EINPUT && all_empty(&t), "bmp");
}

int main(void)
{
    RUN(test_known_certificate);
    RUN(test_fingerprints_match_openssl);
    RUN(test_years_padded);
    RUN(test_bad_times_empty);
    RUN(test_san_comma_escaped);
    RUN(test_san_odd);
    RUN(test_san_many_prefix);
    RUN(test_nul_and_control);
    RUN(test_odd_structure);
    RUN(test_bad_input);
    return UNIT_END();
}
