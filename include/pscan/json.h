/* json.h: a small, strict JSON parser (RFC 8259), for the readers of
 * pscan's own result files (pscan diff, pscan report) and for the tests,
 * which use it as a validator of -oJ output.
 *
 * One document at a time becomes a tree of nodes in two growable arrays
 * (nodes, and the decoded string bytes), linked by indices and reused from
 * one parse to the next: parse a JSON Lines file line by line with one
 * ps_json.  Node 0 stands for "none", so every look-up can be chained
 * without checks: ps_json_get(p, ps_json_get(p, root, "service"), "tls")
 * is 0 when either is missing.
 *
 * Strict to the letter: no trailing commas, no leading zeros, no raw
 * control characters in strings, UTF-8 checked, nesting at most 64 deep.
 * \u escapes are decoded (a lone surrogate becomes U+FFFD).  Strings are
 * NUL-terminated in the buffer (a "\u0000" inside one still counts in the
 * length).  Hostile input is expected: it is fuzzed (tests/fuzz/fuzz_diff.c,
 * tests/fuzz/fuzz_report.c). */
#ifndef PSCAN_JSON_H
#define PSCAN_JSON_H

#include <stddef.h>

#include "pscan/addr.h"
#include "pscan/err.h"

enum ps_jtype { PS_J_NONE = -1, PS_J_NULL, PS_J_BOOL, PS_J_NUM, PS_J_STR, PS_J_ARR, PS_J_OBJ };

struct ps_jnode;

typedef struct ps_json {
    const char *s;
    size_t len, pos;
    struct ps_jnode *n;
    size_t nn, capn;
    char *sb;
    size_t ns, caps;
    const char *err; /* after a failed parse: what, at byte err_at */
    size_t err_at;
} ps_json;

/* Parse s[0, len) as one document; returns the root node, or 0 with
 * p->err and p->err_at set.  Start from a zeroed ps_json; free it once. */
size_t ps_json_parse(ps_json *p, const char *s, size_t len);
void ps_json_free(ps_json *p);

/* Is buf[0, len) exactly one JSON value, blanks around it allowed?
 * PS_OK, or PS_EINPUT with the byte offset and problem. */
int ps_json_check(const char *buf, size_t len, ps_err *e);

/* ---- reading the tree (node 0 in, 0 / NULL / PS_J_NONE out) ------------- */

enum ps_jtype ps_json_type(const ps_json *p, size_t node);
/* The member of object obj named key, or 0. */
size_t ps_json_get(const ps_json *p, size_t obj, const char *key);
/* Children of an array or object, in order: first, then next until 0. */
size_t ps_json_first(const ps_json *p, size_t node);
size_t ps_json_next(const ps_json *p, size_t node);
/* A string node's bytes (NUL-terminated, *len without the NUL), or NULL. */
const char *ps_json_str(const ps_json *p, size_t node, size_t *len);
/* ps_json_str of a member. */
const char *ps_json_get_str(const ps_json *p, size_t obj, const char *key, size_t *len);
/* A node's own text in the document just parsed (still the caller's
 * buffer: valid while it is), for copying a value through unchanged; NULL
 * for node 0. */
const char *ps_json_raw(const ps_json *p, size_t node, size_t *len);
/* A number node's value into *out: 1, or 0 when not a number. */
int ps_json_num(const ps_json *p, size_t node, double *out);
/* A bool node: 1 true, 0 false, -1 not a bool. */
int ps_json_bool(const ps_json *p, size_t node);
/* Copy a decoded string of n bytes into a fixed field of cap > 0 bytes:
 * cut (never inside a UTF-8 character), NUL-ended. */
void ps_json_copy(char *dst, size_t cap, const char *src, size_t n);
/* The "host" member of a pscan JSON Lines object as an address. */
int ps_json_get_host(const ps_json *p, size_t obj, ps_addr *a, ps_err *e);

#endif
