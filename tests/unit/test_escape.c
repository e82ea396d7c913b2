/* test_escape.c: escape.c, every mode, hostile input, bounded buffers. */
#include <stdlib.h>
#include <string.h>

#include "pscan/diff.h"
#include "pscan/escape.h"
#include "unit.h"

static const char *esc(const char *in, size_t len, enum ps_esc_mode m)
{
    static char buf[4096];
    ps_esc_buf(buf, sizeof buf, in, len, m);
    return buf;
}

#define E(s, m) esc(s, sizeof(s) - 1, m)

static void test_text_controls(void)
{
    CHECK_STR(E("SSH-2.0-x\r\n", PS_ESC_TEXT), "SSH-2.0-x\\r\\n");
    CHECK_STR(E("a\x1b[2Jb", PS_ESC_TEXT), "a\\x1b[2Jb");
    CHECK_STR(E("a\0b", PS_ESC_TEXT), "a\\x00b");
    CHECK_STR(E("\x7f\t", PS_ESC_TEXT), "\\x7f\\t");
    /* OSC 52 (clipboard write) ending in BEL. */
    CHECK_STR(E("\x1b]52;c;aGk=\x07", PS_ESC_TEXT), "\\x1b]52;c;aGk=\\x07");
}

static void test_text_utf8(void)
{
    CHECK_STR(E("caf\xc3\xa9", PS_ESC_TEXT), "caf\xc3\xa9");            /* valid: kept */
    CHECK_STR(E("\xc2\x9b" "31m", PS_ESC_TEXT), "\\xc2\\x9b31m");       /* C1 CSI */
    CHECK_STR(E("a\xe2\x80\xae" "b", PS_ESC_TEXT), "a\\xe2\\x80\\xaeb"); /* RLO */
    CHECK_STR(E("\xff\xfe", PS_ESC_TEXT), "\\xff\\xfe");                /* invalid */
    CHECK_STR(E("\xc0\xaf", PS_ESC_TEXT), "\\xc0\\xaf");                /* overlong '/' */
    CHECK_STR(E("\xed\xa0\x80", PS_ESC_TEXT), "\\xed\\xa0\\x80");       /* surrogate */
    CHECK_STR(E("\xe2\x82", PS_ESC_TEXT), "\\xe2\\x82");                /* truncated */
    CHECK_STR(E("\xf0\x9f\x98\x80", PS_ESC_TEXT), "\xf0\x9f\x98\x80");  /* emoji */
}

static void test_grep(void)
{
    CHECK_STR(E("OpenSSH 9.2/p1, x|y", PS_ESC_GREP), "OpenSSH 9.2\\x2fp1\\x2c x\\x7cy");
    CHECK_STR(E("a\tb", PS_ESC_GREP), "a\\tb");
}

static void test_xml(void)
{
    CHECK_STR(E("<a href=\"x\">&'", PS_ESC_XML), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    CHECK_STR(E("\x1b\x01\xef\xbf\xbe", PS_ESC_XML), "\\x1b\\x01\\xef\\xbf\\xbe"); /* U+FFFE: not an XML char */
}

static void test_json(void)
{
    CHECK_STR(E("\"\\/", PS_ESC_JSON), "\\\"\\\\/");
    CHECK_STR(E("\x1b[0m\n\x7f", PS_ESC_JSON), "\\u001b[0m\\n\\u007f");
    CHECK_STR(E("\xff" "a\xc2\x9b", PS_ESC_JSON), "\\ufffda\\u009b");
    CHECK_STR(E("\xe2\x80\xa8", PS_ESC_JSON), "\\u2028");
    CHECK_STR(E("\xf3\xa0\x80\x81", PS_ESC_JSON), "\\udb40\\udc01"); /* tag character U+E0001 */
    CHECK_STR(E("\0", PS_ESC_JSON), "\\u0000");
}

static void test_buffer_cut(void)
{
    char b[8];
    size_t n = ps_esc_buf(b, sizeof b, "abcd\x1b" "ef", 7, PS_ESC_TEXT);
    CHECK(n == 10, "full length %zu", n);
    const char *bp = b;
    CHECK_STR(bp, "abcd"); /* "\x1b" would not fit whole */
    n = ps_esc_buf(b, sizeof b, "abc\xc3\xa9\xc3\xa9\xc3\xa9", 9, PS_ESC_TEXT);
    CHECK_STR(bp, "abc\xc3\xa9\xc3\xa9"); /* whole characters only */
    n = ps_esc_buf(b, 1, "abc", 3, PS_ESC_TEXT);
    CHECK(n == 3 && b[0] == 0, "cap 1");
    CHECK(ps_esc_buf(NULL, 0, "abc", 3, PS_ESC_JSON) == 3, "cap 0 measures");
}

/* A megabyte of every byte value: JSON stays valid, text stays safe. */
static void test_megabyte(void)
{
    size_t len = 1 << 20;
    unsigned char *in = malloc(len);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (unsigned char)(x >> 16);
    }
    size_t need = ps_esc_buf(NULL, 0, in, len, PS_ESC_JSON);
    char *out = malloc(need + 3);
    out[0] = '"';
    ps_esc_buf(out + 1, need + 1, in, len, PS_ESC_JSON);
    out[need + 1] = '"';
    out[need + 2] = 0;
    ps_err e = {{0}};
    CHECK(ps_json_check(out, need + 2, &e) == PS_OK, "json: %s", e.msg);
    free(out);
    for (int m = PS_ESC_TEXT; m <= PS_ESC_XML; m++) {
        need = ps_esc_buf(NULL, 0, in, len, (enum ps_esc_mode)m);
        out = malloc(need + 1);
        CHECK(ps_esc_buf(out, need + 1, in, len, (enum ps_esc_mode)m) == need, "mode %d length", m);
        int bad = 0;
        for (size_t i = 0; i < need; i++) {
            unsigned cp;
            size_t k = ps_utf8_decode((unsigned char *)out + i, need - i, &cp);
            if (!k || ps_cp_unsafe(cp)) bad++;
            if (k) i += k - 1;
        }
        CHECK(bad == 0, "mode %d: %d unsafe characters in the output", m, bad);
        if (m == PS_ESC_XML) CHECK(!memchr(out, '<', need) && !memchr(out, '"', need), "xml specials");
        free(out);
    }
    free(in);
}

int main(void)
{
    RUN(test_text_controls);
    RUN(test_text_utf8);
    RUN(test_grep);
    RUN(test_xml);
    RUN(test_json);
    RUN(test_buffer_cut);
    RUN(test_megabyte);
    return UNIT_END();
}
