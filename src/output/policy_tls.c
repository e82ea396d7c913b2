/* policy_tls.c: the requirements of a policy's tls lines (policy.h):
 *
 *   tls 198.18.0.0/24   tcp/443, 8443   min-days=30 min-version=TLSv1.2
 *
 * After the host part come port items, as on any policy line, and
 * key=value words: min-days=N (the certificate must stay valid N more
 * days, 0-36500) and min-version=V (SSLv3, TLSv1.0, TLSv1.1, TLSv1.2,
 * TLSv1.3, or just 1.0 .. 1.3).  At least one port and one requirement.
 * Also here: the port items every policy line has, TLS version names,
 * and days left until a certificate's not-after time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/policy.h"

int ps_policy_port_item(ps_ports *ports, char *it, int *udp, ps_err *e)
{
    int tcp_item, udp_item;
    if (strncmp(it, "tcp/", 4) == 0 || strncmp(it, "udp/", 4) == 0) {
        udp_item = it[0] == 'u';
        tcp_item = !udp_item;
        it += 4;
    } else {
        /* T: and U: switch the protocol for this and later items. */
        if ((it[0] == 'T' || it[0] == 'U') && it[1] == ':') *udp = it[0] == 'U';
        tcp_item = !*udp;
        udp_item = *udp;
    }
    if (!*it) return ps_fail(e, PS_EINPUT, "empty port item");
    return ps_ports_parse_ex(ports, it, tcp_item, udp_item, e);
}

static const char *const version_names[] = {"", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

int ps_tls_version_rank(const char *name)
{
    if (!name) return PS_TLSV_NONE;
    /* OpenSSL calls TLS 1.0 "TLSv1". */
    if (strcmp(name, "TLSv1") == 0 || strcmp(name, "1.0") == 0) return PS_TLSV_1_0;
    for (int i = 1; i <= PS_TLSV_1_3; i++) {
        if (strcmp(name, version_names[i]) == 0) return i;
        if (i > 1 && strcmp(name, version_names[i] + 4) == 0) return i; /* "1.2" */
    }
    return PS_TLSV_NONE;
}

const char *ps_tls_version_name(int rank)
{
    return rank > 0 && rank <= PS_TLSV_1_3 ? version_names[rank] : "unknown";
}

static int whole(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) return 0;
    *out = strtol(s, &end, 10);
    return *out >= lo && *out <= hi;
}

static int option(char *it, ps_tls_rule *out, ps_err *e)
{
    char *eq = strchr(it, '=');
    char shown[96];
    *eq = '\0';
    const char *v = eq + 1;
    long n;
    if (strcmp(it, "min-days") == 0) {
        if (!whole(v, 0, 36500, &n)) {
            ps_esc_buf(shown, sizeof shown, v, strlen(v), PS_ESC_TEXT);
            return ps_fail(e, PS_EINPUT, "min-days takes a number of days (0-36500), not '%s'", shown);
        }
        out->min_days = (int)n;
        return PS_OK;
    }
    if (strcmp(it, "min-version") == 0) {
        if (!(out->min_version = ps_tls_version_rank(v))) {
            ps_esc_buf(shown, sizeof shown, v, strlen(v), PS_ESC_TEXT);
            return ps_fail(e, PS_EINPUT, "min-version takes SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3, not '%s'",
                           shown);
        }
        return PS_OK;
    }
    ps_esc_buf(shown, sizeof shown, it, strlen(it), PS_ESC_TEXT);
    return ps_fail(e, PS_EINPUT, "unknown tls requirement '%s' (min-days=N, min-version=V)", shown);
}

int ps_policy_tls_parse(char *rest, ps_ports *ports, ps_tls_rule *out, ps_err *e)
{
    int udp = 0, nports = 0, rc;
    memset(out, 0, sizeof *out);
    out->min_days = -1;
    for (char *save = NULL, *it = strtok_r(rest, ", \t", &save); it; it = strtok_r(NULL, ", \t", &save)) {
        if (strchr(it, '=')) rc = option(it, out, e);
        else if (strcmp(it, "none") == 0) rc = ps_fail(e, PS_EINPUT, "a tls line names ports, not 'none'");
        else rc = ps_policy_port_item(ports, it, &udp, e), nports++;
        if (rc) return rc;
    }
    if (!nports) return ps_fail(e, PS_EINPUT, "a tls line needs ports (tls HOST PORTS min-days=N min-version=V)");
    if (out->min_days < 0 && !out->min_version)
        return ps_fail(e, PS_EINPUT, "a tls line needs min-days=N or min-version=V");
    return PS_OK;
}

int ps_cert_days_left(const char *t, time_t now, long *days)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t) return 0;
    const char *end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || (*end != 'Z' && *end != '.')) return 0;
    time_t at = timegm(&tm);
    double d = difftime(at, now) / 86400.0;
    long whole_days = (long)d;
    if ((double)whole_days > d) whole_days--; /* round down, also below zero */
    *days = whole_days;
    return 1;
}
