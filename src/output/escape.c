/* escape.c: turning bytes a server chose into text that is safe to write.
 *
 * One walk over the input serves every mode: the input is decoded as UTF-8
 * one character at a time (an invalid byte is a "character" of its own),
 * each character is classified, and the mode decides between copying its
 * bytes and writing an escape.  The output goes to a sink, either a stdio
 * stream or a bounded buffer; the buffer sink drops the rest of the text at
 * the first piece that does not fit whole, so a cut never leaves half an
 * escape ("\x1") or half a UTF-8 sequence behind. */
#include <string.h>

#include "pscan/escape.h"

struct sink {
    FILE *fp;
    char *buf;
    size_t cap;
    size_t len;     /* the full escaped length, even past cap */
    size_t written; /* bytes really in buf */
    int full;       /* the buffer refused a piece: drop everything after */
};

static void put(struct sink *k, const char *s, size_t n)
{
    if (k->fp) {
        fwrite(s, 1, n, k->fp);
    } else if (!k->full && k->written + n < k->cap) {
        memcpy(k->buf + k->written, s, n);
        k->written += n;
    } else {
        k->full = 1;
    }
    k->len += n;
}

size_t ps_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], v, min;
    size_t len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) len = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, v = c & 0x07, min = 0x10000;
    else return 0; /* continuation byte, 0xc0/0xc1 (overlong), > 0xf4 */
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

int ps_cp_unsafe(unsigned cp)
{
    if (cp < 0x20 || cp == 0x7f) return 1;         /* C0 controls, DEL */
    if (cp >= 0x80 && cp <= 0x9f) return 1;        /* C1 controls (0x9b = CSI) */
    if (cp == 0xad || cp == 0x34f || cp == 0x61c) return 1; /* soft hyphen, CGJ, ALM */
    if (cp >= 0x200b && cp <= 0x200f) return 1;    /* zero width, LRM, RLM */
    if (cp >= 0x2028 && cp <= 0x202e) return 1;    /* separators, bidi embeddings/overrides */
    if (cp >= 0x2060 && cp <= 0x206f) return 1;    /* word joiner, bidi isolates, deprecated formats */
    if (cp == 0xfeff) return 1;                    /* BOM / zero width no-break space */
    if (cp >= 0xfff9 && cp <= 0xfffb) return 1;    /* interlinear annotation */
    if ((cp & 0xfffe) == 0xfffe) return 1;         /* noncharacters U+xFFFE/F (not XML chars) */
    if (cp >= 0xe0000 && cp <= 0xe007f) return 1;  /* tag characters */
    return 0;
}

static const char hexd[] = "0123456789abcdef";

static void put_hex_bytes(struct sink *k, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char e[4] = {'\\', 'x', hexd[s[i] >> 4], hexd[s[i] & 15]};
        put(k, e, 4);
    }
}

/* One character (or one invalid byte, cp = ~0u) in the text modes. */
static void text_char(struct sink *k, const unsigned char *s, size_t n, unsigned cp,
                      enum ps_esc_mode m)
{
    if (cp == '\t' || cp == '\n' || cp == '\r') {
        char e[2] = {'\\', cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r'};
        put(k, e, 2);
        return;
    }
    if (cp == ~0u || ps_cp_unsafe(cp) ||
        (m == PS_ESC_GREP && (cp == '/' || cp == ',' || cp == '|'))) {
        put_hex_bytes(k, s, n);
        return;
    }
    if (m == PS_ESC_XML) {
        const char *ent = NULL;
        switch (cp) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&apos;"; break;
        }
        if (ent) {
            put(k, ent, strlen(ent));
            return;
        }
    }
    put(k, (const char *)s, n);
}

static void put_u16(struct sink *k, unsigned v)
{
    char e[6] = {'\\', 'u', hexd[(v >> 12) & 15], hexd[(v >> 8) & 15], hexd[(v >> 4) & 15], hexd[v & 15]};
    put(k, e, 6);
}

static void json_char(struct sink *k, const unsigned char *s, size_t n, unsigned cp)
{
    if (cp == ~0u) {
        put(k, "\\ufffd", 6);
        return;
    }
    switch (cp) {
    case '"': put(k, "\\\"", 2); return;
    case '\\': put(k, "\\\\", 2); return;
    case '\n': put(k, "\\n", 2); return;
    case '\r': put(k, "\\r", 2); return;
    case '\t': put(k, "\\t", 2); return;
    case '\b': put(k, "\\b", 2); return;
    case '\f': put(k, "\\f", 2); return;
    }
    if (ps_cp_unsafe(cp)) {
        if (cp > 0xffff) { /* tag characters: a surrogate pair */
            unsigned v = cp - 0x10000;
            put_u16(k, 0xd800 + (v >> 10));
            put_u16(k, 0xdc00 + (v & 0x3ff));
        } else {
            put_u16(k, cp);
        }
        return;
    }
    put(k, (const char *)s, n);
}

static void run(struct sink *k, const void *in, size_t len, enum ps_esc_mode m)
{
    const unsigned char *s = in;
    size_t i = 0;
    while (i < len) {
        /* Fast path: a run of plain printable ASCII that no mode touches. */
        size_t j = i;
        while (j < len && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\' &&
               s[j] != '&' && s[j] != '<' && s[j] != '>' && s[j] != '\'' && s[j] != '/' &&
               s[j] != ',' && s[j] != '|')
            j++;
        if (j > i) {
            put(k, (const char *)s + i, j - i);
            i = j;
            continue;
        }
        unsigned cp;
        size_t n = ps_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            cp = ~0u;
            n = 1;
        }
        if (m == PS_ESC_JSON) json_char(k, s + i, n, cp);
        else text_char(k, s + i, n, cp, m);
        i += n;
    }
}

void ps_esc_write(FILE *fp, const void *in, size_t len, enum ps_esc_mode m)
{
    struct sink k = {.fp = fp};
    run(&k, in, len, m);
}

void ps_esc_puts(FILE *fp, const char *s, enum ps_esc_mode m)
{
    if (s) ps_esc_write(fp, s, strlen(s), m);
}

size_t ps_esc_buf(char *buf, size_t cap, const void *in, size_t len, enum ps_esc_mode m)
{
    struct sink k = {.buf = buf, .cap = cap};
    run(&k, in, len, m);
    if (cap) buf[k.written] = '\0'; /* written < cap always */
    return k.len;
}
