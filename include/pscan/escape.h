/* escape.h: no byte from a server reaches an output raw.
 *
 * Everything a scanned service controls (banners, product strings a probe
 * template expanded, certificate fields, host names, command lines) goes
 * through one of these before it is written.  A banner may hold terminal
 * escape sequences (ESC [ 2 J, OSC 52 clipboard writes), NUL bytes, invalid
 * UTF-8, C1 controls (0x9b is a one-byte CSI on some terminals) or Unicode
 * bidirectional overrides that make a line read differently than it is.
 *
 * Modes (docs/output.md has the table):
 *   PS_ESC_TEXT  terminal text (normal output, stderr lines, pscan diff):
 *                printable ASCII and printable UTF-8 pass; \t \n \r become
 *                the two characters "\t" "\n" "\r"; every other control,
 *                C1 control, invisible or bidi formatting character, and
 *                every byte of invalid UTF-8 becomes \xHH (per byte,
 *                lowercase hex, as the probe templates already write).
 *                A backslash is not doubled: \xHH is for reading, not for
 *                reversing (the JSON output keeps the exact bytes).
 *   PS_ESC_GREP  PS_ESC_TEXT, and also '/', ',' and '|' (field separators
 *                of grepable output) as \xHH.
 *   PS_ESC_XML   PS_ESC_TEXT, then & < > " ' as entities: the result is
 *                XML 1.0 character data valid in attributes and text (XML
 *                1.0 forbids most control characters even as &#N;).
 *   PS_ESC_JSON  the body of a JSON string (RFC 8259): " and \ escaped,
 *                controls as \n \t ... or \u00XX, DEL, C1 controls, bidi
 *                and invisible formatting characters, U+2028/9 as \uXXXX
 *                (lossless: they are valid code points); each byte of
 *                invalid UTF-8 becomes \uFFFD (lossy: where the bytes
 *                matter, the JSON writer adds them in hex too). */
#ifndef PSCAN_ESCAPE_H
#define PSCAN_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

enum ps_esc_mode { PS_ESC_TEXT, PS_ESC_GREP, PS_ESC_XML, PS_ESC_JSON };

/* Write the escaped form of in[0, len) to fp. */
void ps_esc_write(FILE *fp, const void *in, size_t len, enum ps_esc_mode m);
/* The same for a NUL-terminated string (NULL writes nothing). */
void ps_esc_puts(FILE *fp, const char *s, enum ps_esc_mode m);
/* Into buf (cap > 0): always NUL-terminated, cut only between whole
 * escapes and whole characters.  Returns the length the complete escaped
 * text needs (like snprintf), so a result >= cap means it was cut. */
size_t ps_esc_buf(char *buf, size_t cap, const void *in, size_t len, enum ps_esc_mode m);

/* Decode one UTF-8 character at s (n > 0 bytes available): returns its
 * length (1-4) and sets *cp, or 0 if s does not start a valid, shortest
 * form, non-surrogate encoding of a code point <= U+10FFFF. */
size_t ps_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

/* Is code point cp unsafe to show raw on a terminal (controls, C1,
 * invisible and bidi formatting, line/paragraph separators, U+FFFE/F)? */
int ps_cp_unsafe(unsigned cp);

#endif
