/* recog_text.c: line protocols whose first words name them.
 *
 * SSH identification strings (RFC 4253 4.2: "SSH-protoversion-
 * softwareversion SP comments"); the greetings of FTP, SMTP, POP3, IMAP
 * and NNTP, whose reply codes name the protocol family even when nothing
 * names the product (a 220 greeting with "FTP" in it, "+OK", "* OK");
 * IRC's NOTICE before registration; an XMPP stream header; Redis's RESP
 * answers (and INFO's redis_version); memcached's "VERSION x".  A product
 * token in a greeting is taken only when the table knows it, so "220 ftp
 * ready" is ftp and nothing more. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "recog_int.h"

static const rg_product ssh_products[] = {
    {"OpenSSH", "OpenSSH", NULL},
    {"dropbear", "Dropbear sshd", NULL},
    {"tinyssh", "TinySSH", NULL},
    {"libssh", "libssh", NULL},
    {"libssh2", "libssh2", NULL},
    {"Cisco", "Cisco SSH", NULL},
    {"ROSSSH", "MikroTik RouterOS sshd", NULL},
    {"PuTTY", "PuTTY", NULL},
    {"paramiko", "Paramiko Python sshd", NULL},
    {"AsyncSSH", "AsyncSSH sshd", NULL},
    {"Go", "Golang x/crypto/ssh server", NULL},
    {"SSHD", "SSHD", NULL},
    {NULL, NULL, NULL},
};

int rg_ssh(const rg_in *in, ps_service_info *out)
{
    if (!rg_prefix(in, "SSH-")) return 0;
    const char *l;
    size_t len;
    rg_line(in, 0, &l, &len);
    const char *dash = memchr(l + 4, '-', len - 4);
    if (!dash || dash == l + 4 || dash - l > 12) return 0;
    const char *sw = dash + 1, *end = memchr(sw, ' ', len - (size_t)(sw - l));
    size_t swlen = end ? (size_t)(end - sw) : len - (size_t)(sw - l);
    const char *ver;
    size_t vlen, name = rg_token(sw, swlen, &ver, &vlen);
    const rg_product *k = name ? rg_product_find(ssh_products, sw, name) : NULL;
    int lv = rg_fill(out, "ssh", k ? k->product : sw, k ? strlen(k->product) : name, ver, vlen);
    char proto[16];
    rg_copy(proto, sizeof proto, l + 4, (size_t)(dash - l - 4));
    char comment[128] = "";
    if (end) rg_copy(comment, sizeof comment, end + 1, len - (size_t)(end + 1 - l));
    snprintf(out->info, sizeof out->info, "%s%s(protocol %s)", comment, comment[0] ? " " : "", proto);
    return lv;
}

/* Products that name themselves in a greeting, as pscan names them. */
static const rg_product greeting_products[] = {
    {"Postfix", "Postfix smtpd", "smtp"},
    {"Exim", "Exim smtpd", "smtp"},
    {"OpenSMTPD", "OpenSMTPD", "smtp"},
    {"Sendmail", "Sendmail", "smtp"},
    {"ProFTPD", "ProFTPD", "ftp"},
    {"Pure-FTPd", "Pure-FTPd", "ftp"},
    {"vsFTPd", "vsftpd", "ftp"},
    {"Dovecot", "Dovecot", NULL},
    {"Cyrus", "Cyrus", NULL},
    {"Courier", "Courier", NULL},
    {"INN", "INN", "nntp"},
    {"Twisted", "Twisted", NULL},
    {NULL, NULL, NULL},
};

/* The first word of line that the greeting table knows, with the version
 * that follows it ("Exim 4.96", "vsFTPd 3.0.3)", "ProFTPD Server"). */
static const rg_product *greeting_product(const char *l, size_t len, const char **ver, size_t *vlen)
{
    for (size_t i = 0; i < len;) {
        while (i < len && (l[i] == ' ' || l[i] == '(' || l[i] == '[')) i++;
        size_t w = i;
        while (w < len && l[w] != ' ' && l[w] != ')' && l[w] != ']' && l[w] != '(') w++;
        size_t name = rg_token(l + i, w - i, ver, vlen);
        const rg_product *k = name ? rg_product_find(greeting_products, l + i, name) : NULL;
        if (k) {
            if (!*vlen && w < len && l[w] == ' ') { /* "Exim 4.96" */
                size_t v = w + 1, e = v;
                while (e < len && l[e] != ' ' && l[e] != ')') e++;
                if (e > v && l[v] >= '0' && l[v] <= '9') *ver = l + v, *vlen = e - v;
            }
            return k;
        }
        i = w > i ? w : i + 1;
    }
    return NULL;
}

/* The protocol a greeting's first line speaks, from its code and words. */
static const char *greeting_service(const char *l, size_t len)
{
    if (len >= 3 && memcmp(l, "+OK", 3) == 0) return "pop3";
    if (len >= 4 && memcmp(l, "* OK", 4) == 0) return "imap";
    if (len >= 9 && memcmp(l, "* PREAUTH", 9) == 0) return "imap";
    if (len >= 10 && memcmp(l, "500 OOPS: ", 10) == 0) return "ftp"; /* vsftpd refusing its setup */
    if (len < 4 || l[0] < '1' || l[0] > '5' || (l[3] != ' ' && l[3] != '-')) return NULL;
    if (memcmp(l, "220", 3) == 0 || memcmp(l, "421", 3) == 0 || memcmp(l, "554", 3) == 0) {
        if (rg_find(l, len, "SMTP") >= 0 || rg_find(l, len, " mail") >= 0 || rg_find(l, len, "Postfix") >= 0)
            return "smtp";
        if (rg_find(l, len, "FTP") >= 0) return "ftp";
        return NULL;
    }
    if ((memcmp(l, "200", 3) == 0 || memcmp(l, "201", 3) == 0) &&
        (rg_find(l, len, "NNTP") >= 0 || rg_find(l, len, "news") >= 0))
        return "nntp";
    return NULL;
}

int rg_banner(const rg_in *in, ps_service_info *out)
{
    const char *l;
    size_t len;
    rg_line(in, 0, &l, &len);
    if (len >= 8 && l[0] == ':' && rg_find(l, len, " NOTICE ") > 0) return rg_fill(out, "irc", NULL, 0, NULL, 0);
    if (rg_prefix(in, "NOTICE AUTH ") || rg_prefix(in, "ERROR :Closing Link")) return rg_fill(out, "irc", NULL, 0, NULL, 0);
    if (rg_prefix(in, "<?xml") || rg_prefix(in, "<stream:stream")) {
        long s = rg_find((const char *)in->p, in->n < 512 ? in->n : 512, "jabber:client");
        return s >= 0 ? rg_fill(out, "xmpp-client", NULL, 0, NULL, 0) : 0;
    }
    const char *service = greeting_service(l, len);
    if (!service) return 0;
    const char *ver = NULL;
    size_t vlen = 0;
    const rg_product *k = greeting_product(l, len, &ver, &vlen);
    if (k && k->service && strcmp(k->service, service) != 0) k = NULL;
    return rg_fill(out, service, k ? k->product : NULL, k ? strlen(k->product) : 0, ver, vlen);
}

int rg_redis(const rg_in *in, ps_service_info *out)
{
    static const char *const answers[] = {"-NOAUTH ", "-DENIED ", "-ERR unknown command", "-ERR wrong number",
                                          "+PONG\r\n", "-WRONGPASS", "-NOPERM"};
    const char *s = (const char *)in->p;
    long v = rg_find(s, in->n, "redis_version:");
    if (v >= 0) {
        const char *ver = s + v + 14;
        size_t n = 0;
        while ((size_t)(ver - s) + n < in->n && ver[n] != '\r' && ver[n] != '\n') n++;
        return rg_fill(out, "redis", "Redis key-value store", 21, ver, n);
    }
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        if (rg_prefix(in, answers[i])) return rg_fill(out, "redis", NULL, 0, NULL, 0);
    return 0;
}

int rg_memcached(const rg_in *in, ps_service_info *out)
{
    if (!rg_prefix(in, "VERSION ")) return 0;
    const char *l;
    size_t len;
    rg_line(in, 0, &l, &len);
    if (len < 9 || l[8] < '0' || l[8] > '9') return 0;
    return rg_fill(out, "memcached", "Memcached", 9, l + 8, len - 8);
}
