/* row.c: what every writer shares: the name and version a row shows,
 * registry versus reality, time stamps, the scanned port list, and
 * flushing at a bounded rate. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pscan/clock.h"
#include "pscan/output.h"
#include "pscan/service.h"

/* Results reach the file while the scan runs (a reader with tail -f or jq
 * sees them, a killed scan leaves them), but at most every 50 ms: a sweep
 * of 65,536 hosts must not cost 65,536 write() calls. */
void ps_writer_flush(ps_writer *w)
{
    double t = ps_mono_s();
    if (t - w->last_flush < 0.05) return;
    fflush(w->fp);
    w->last_flush = t;
}

int ps_port_identified(const ps_port_result *p)
{
    const ps_svc_result *s = p->svc;
    return s && (s->status == PS_SVC_MATCH || s->status == PS_SVC_SOFT) && s->info.service[0];
}

const char *ps_name_source_name(enum ps_name_source s)
{
    return s == PS_NAME_PROBED ? "probed" : s == PS_NAME_REGISTRY ? "registry" : "none";
}

const char *ps_port_service(const ps_writer *w, const ps_port_result *p, char *buf, size_t len,
                            enum ps_name_source *src)
{
    const ps_svc_result *s = p->svc;
    const char *reg = ps_service_name(p->port, p->proto);
    int sv = w && w->cfg && w->cfg->version_detect;
    enum ps_name_source from = PS_NAME_PROBED;
    if (ps_port_identified(p))
        snprintf(buf, len, "%s%s", s->tls ? "ssl/" : "", s->info.service);
    else if (s && s->status == PS_SVC_TCPWRAPPED)
        snprintf(buf, len, "tcpwrapped");
    else if (s && s->tls)
        snprintf(buf, len, "ssl/unknown");
    else if ((s || sv) && p->state == PS_ST_OPEN)
        snprintf(buf, len, "unknown"), from = PS_NAME_NONE;
    else if (reg)
        snprintf(buf, len, "%s", reg), from = PS_NAME_REGISTRY;
    else
        snprintf(buf, len, "unknown"), from = PS_NAME_NONE;
    if (src) *src = from;
    return buf;
}

const char *ps_port_version(const ps_port_result *p, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!ps_port_identified(p)) return buf;
    const ps_service_info *in = &p->svc->info;
    size_t n = 0;
    const char *parts[2] = {in->product, in->version};
    for (int i = 0; i < 2; i++)
        if (parts[i][0] && n < len)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", parts[i]);
    if (in->info[0] && n < len) snprintf(buf + n, len - n, "%s(%s)", n ? " " : "", in->info);
    return buf;
}

/* Names nmap's probes use for services IANA registers under another name.
 * Kept short on purpose: a false "mismatch" is noise, a missing alias only
 * a note too many, never a wrong answer. */
static const char *const aliases[][2] = {
    {"submission", "smtp"}, {"submissions", "smtp"}, {"urd", "smtp"},
    {"epmap", "msrpc"},     {"sunrpc", "rpcbind"},   {"rfb", "vnc"},
    {"www", "http"},        {"pcsync-https", "http"}, {"pcsync-https", "https"},
};

static size_t first_word(const char *s)
{
    const char *d = strchr(s, '-');
    return d ? (size_t)(d - s) : strlen(s);
}

int ps_svc_names_agree(const char *reg, const char *det)
{
    if (!reg || !det) return 1; /* nothing to compare */
    if (strcmp(reg, det) == 0) return 1;
    size_t lr = strlen(reg), ld = strlen(det);
    /* "https", "imaps", "ldaps": the registry's name for the TLS variant. */
    if (lr == ld + 1 && reg[ld] == 's' && strncmp(reg, det, ld) == 0) return 1;
    /* "http-alt" / "http-proxy", "kerberos" / "kerberos-sec". */
    size_t wr = first_word(reg), wd = first_word(det);
    if (wr == wd && wr >= 3 && strncmp(reg, det, wr) == 0) return 1;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(reg, aliases[i][0]) == 0 && strcmp(det, aliases[i][1]) == 0) return 1;
    return 0;
}

void ps_port_registry_get(const ps_writer *w, const ps_port_result *p, ps_port_registry *out)
{
    out->name = ps_service_name(p->port, p->proto);
    out->status = ps_service_status(p->port, p->proto);
    if (p->port >= 49152) out->status = PS_REG_DYNAMIC;
    out->ephemeral = p->port >= w->eph_lo && p->port <= w->eph_hi;
    out->mismatch = ps_port_identified(p) && out->name &&
                    !ps_svc_names_agree(out->name, p->svc->info.service);
}

const char *ps_iso8601(const struct timespec *ts, char *buf, size_t len)
{
    struct tm tm;
    time_t t = ts->tv_sec;
    char day[32];
    gmtime_r(&t, &tm);
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", day, ts->tv_nsec / 1000000);
    return buf;
}

int ps_iso8601_parse(const char *s, struct timespec *ts)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    ts->tv_sec = rest ? timegm(&tm) : 0;
    ts->tv_nsec = 0;
    if (rest && *rest == '.')
        for (long i = 0, scale = 100000000L; i < 3 && rest[1 + i] >= '0' && rest[1 + i] <= '9'; i++, scale /= 10)
            ts->tv_nsec += (rest[1 + i] - '0') * scale;
    return rest != NULL;
}

void ps_ports_ranges(FILE *fp, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1) j++;
        if (j > i) fprintf(fp, "%s%u-%u", i ? "," : "", v[i], v[j]);
        else fprintf(fp, "%s%u", i ? "," : "", v[i]);
        i = j + 1;
    }
}
