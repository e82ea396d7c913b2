/* json.c: -oJ, JSON Lines (one JSON object per line, schema 1).
 *
 * Lines, in order: one "scan" object when the scan begins; a "port" object
 * for each open port as the port scan finds it; a "host" object per host
 * when its results are complete (every shown port, with -sV and process
 * details, and the counts of the hidden states); a "summary" object last.
 * Every line is flushed as it is written, so `tail -f out.jsonl | jq .`
 * follows a running scan and a killed scan leaves only whole lines.
 * docs/output.md is the schema's reference; a change that removes or
 * retypes a field bumps "schema".
 *
 * Strings a server chose go through PS_ESC_JSON, so every line is valid
 * JSON (and valid UTF-8) whatever bytes came: invalid UTF-8 becomes
 * U+FFFD, and the raw banner is also given exactly as "banner_hex". */
#include <string.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/service.h"

enum { SCHEMA = 1 };

/* ,"key":"value" (the leading comma unless first). */
static void jstr_n(FILE *fp, int *first, const char *key, const void *v, size_t n)
{
    fprintf(fp, "%s\"%s\":\"", *first ? "" : ",", key);
    ps_esc_write(fp, v, n, PS_ESC_JSON);
    fputc('"', fp);
    *first = 0;
}

static void jstr(FILE *fp, int *first, const char *key, const char *v)
{
    jstr_n(fp, first, key, v, strlen(v));
}

/* A string from a fixed-size field: never read past it, omit it if empty. */
static void jfield(FILE *fp, int *first, const char *key, const char *v, size_t cap)
{
    size_t n = strnlen(v, cap);
    if (n) jstr_n(fp, first, key, v, n);
}

static void jraw(FILE *fp, int *first, const char *key, const char *fmt_value)
{
    fprintf(fp, "%s\"%s\":%s", *first ? "" : ",", key, fmt_value);
    *first = 0;
}

static void jnum(FILE *fp, int *first, const char *key, long long v)
{
    fprintf(fp, "%s\"%s\":%lld", *first ? "" : ",", key, v);
    *first = 0;
}

static void jbool(FILE *fp, int *first, const char *key, int v)
{
    jraw(fp, first, key, v ? "true" : "false");
}

static void now_iso(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ps_iso8601(&ts, buf, len);
}

static void head(FILE *fp, const char *type)
{
    char when[48];
    now_iso(when, sizeof when);
    fprintf(fp, "{\"schema\":%d,\"type\":\"%s\",\"time\":\"%s\"", SCHEMA, type, when);
}

static void line_end(FILE *fp)
{
    fputs("}\n", fp);
}

/* What pscan merge needs to put a split scan back together: which scan
 * (seed as a string: 64 bits do not survive a JSON number), which part,
 * which run of it, and what it covers. */
static void write_identity(ps_writer *w, const ps_scan_id *id, int *first)
{
    FILE *fp = w->fp;
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)id->seed);
    jstr(fp, first, "seed", num);
    jnum(fp, first, "shard", id->shard);
    jnum(fp, first, "shards", id->nshards);
    jnum(fp, first, "run", id->run);
    jstr(fp, first, "spec", id->spec);
    if (id->merged) jnum(fp, first, "merged_shards", id->merged);
    fputs(",\"tcp_ports\":\"", fp);
    if (w->ports) ps_ports_ranges(fp, w->ports->tcp, w->ports->ntcp);
    fputs("\",\"udp_ports\":\"", fp);
    if (w->ports) ps_ports_ranges(fp, w->ports->udp, w->ports->nudp);
    fputc('"', fp);
}

static void json_begin(ps_writer *w, const ps_scan_info *info)
{
    FILE *fp = w->fp;
    char when[48];
    int first = 0;
    head(fp, "scan");
    jstr(fp, &first, "scanner", "pscan");
    jstr(fp, &first, "version", PSCAN_VERSION);
    jstr(fp, &first, "start", ps_iso8601(&info->start, when, sizeof when));
    jstr(fp, &first, "scan_type", info->scan_type ? info->scan_type : "unknown");
    fputs(",\"args\":[", fp);
    for (int i = 0; i < info->argc; i++) {
        fputs(i ? ",\"" : "\"", fp);
        ps_esc_puts(fp, info->argv[i], PS_ESC_JSON);
        fputc('"', fp);
    }
    fputc(']', fp);
    jnum(fp, &first, "hosts", (long long)info->nhosts);
    jnum(fp, &first, "ports", (long long)info->nports);
    write_identity(w, &info->id, &first);
    jbool(fp, &first, "version_detect", w->cfg->version_detect);
    jbool(fp, &first, "open_only", w->cfg->open_only);
    fprintf(fp, ",\"ephemeral_range\":[%u,%u]", w->eph_lo, w->eph_hi);
    line_end(fp);
    fflush(w->fp);
}

static void write_tls(FILE *fp, const ps_svc_result *s)
{
    const ps_tls_info *c = &s->cert;
    int first = 1;
    fputs(",\"tls\":{", fp);
    jfield(fp, &first, "version", c->version, sizeof c->version);
    jfield(fp, &first, "cipher", c->cipher, sizeof c->cipher);
    if (s->has_cert) {
        jfield(fp, &first, "subject", c->subject, sizeof c->subject);
        jfield(fp, &first, "issuer", c->issuer, sizeof c->issuer);
        jfield(fp, &first, "sans", c->sans, sizeof c->sans);
        jfield(fp, &first, "not_before", c->not_before, sizeof c->not_before);
        jfield(fp, &first, "not_after", c->not_after, sizeof c->not_after);
        jfield(fp, &first, "sha256", c->sha256, sizeof c->sha256);
    }
    fputc('}', fp);
}

static void write_service(FILE *fp, const ps_port_result *p)
{
    const ps_svc_result *s = p->svc;
    const ps_service_info *in = &s->info;
    int first = 1;
    fputs(",\"service\":{", fp);
    if (ps_port_identified(p)) jfield(fp, &first, "name", in->service, sizeof in->service);
    else if (s->status == PS_SVC_TCPWRAPPED) jstr(fp, &first, "name", "tcpwrapped");
    else jraw(fp, &first, "name", "null");
    jstr(fp, &first, "status", ps_svc_status_name(s->status));
    jfield(fp, &first, "product", in->product, sizeof in->product);
    jfield(fp, &first, "version", in->version, sizeof in->version);
    jfield(fp, &first, "info", in->info, sizeof in->info);
    jfield(fp, &first, "hostname", in->hostname, sizeof in->hostname);
    jfield(fp, &first, "ostype", in->ostype, sizeof in->ostype);
    jfield(fp, &first, "devicetype", in->devicetype, sizeof in->devicetype);
    fputs(",\"cpe\":[", fp);
    int nc = in->ncpe < 0 ? 0 : in->ncpe > 4 ? 4 : in->ncpe;
    for (int i = 0; i < nc; i++) {
        fputs(i ? ",\"" : "\"", fp);
        ps_esc_write(fp, in->cpe[i], strnlen(in->cpe[i], sizeof in->cpe[i]), PS_ESC_JSON);
        fputc('"', fp);
    }
    fputc(']', fp);
    if (s->probe) jstr(fp, &first, "probe", s->probe);
    jstr(fp, &first, "pass", ps_svc_pass_name(s->pass));
    if (s->why) jstr(fp, &first, "retry_why", ps_svc_why_name(s->why));
    if (s->tls) write_tls(fp, s);
    size_t n = s->banner_len < sizeof s->banner ? s->banner_len : sizeof s->banner;
    if (n) {
        jstr_n(fp, &first, "banner", s->banner, n);
        fputs(",\"banner_hex\":\"", fp);
        for (size_t i = 0; i < n; i++) fprintf(fp, "%02x", s->banner[i]);
        fputc('"', fp);
    }
    fputc('}', fp);
}

static void write_process(FILE *fp, const ps_proc_info *pi)
{
    int first = 1;
    fputs(",\"process\":{", fp);
    jbool(fp, &first, "visible", pi->visible);
    if (pi->visible) {
        jnum(fp, &first, "pid", pi->pid);
        jfield(fp, &first, "name", pi->name, sizeof pi->name);
        if (pi->name_source) jfield(fp, &first, "name_source", pi->name_source, 8);
        jfield(fp, &first, "cmdline", pi->cmdline, sizeof pi->cmdline);
        jfield(fp, &first, "user", pi->user, sizeof pi->user);
    }
    jfield(fp, &first, "bind", pi->bind, sizeof pi->bind);
    jbool(fp, &first, "other_netns", pi->other_netns);
    fputc('}', fp);
}

/* The fields of one port, without braces (the port line adds the host). */
static void port_fields(ps_writer *w, const ps_port_result *p, int *first)
{
    FILE *fp = w->fp;
    ps_port_registry reg;
    jnum(fp, first, "port", p->port);
    jstr(fp, first, "proto", ps_proto_name(p->proto));
    jstr(fp, first, "state", ps_state_name(p->state));
    jstr(fp, first, "reason", ps_reason_name(p->reason));
    if (p->ttl >= 0) jnum(fp, first, "ttl", p->ttl);
    else jraw(fp, first, "ttl", "null");
    ps_port_registry_get(w, p, &reg);
    fputs(",\"registry\":{", fp);
    int f2 = 1;
    if (reg.name) jstr(fp, &f2, "name", reg.name);
    else jraw(fp, &f2, "name", "null");
    jstr(fp, &f2, "status", ps_reg_status_name(reg.status));
    jbool(fp, &f2, "ephemeral", reg.ephemeral);
    jbool(fp, &f2, "mismatch", reg.mismatch);
    fputc('}', fp);
    enum ps_name_source src;
    char name[160];
    ps_port_service(w, p, name, sizeof name, &src);
    jstr(fp, first, "service_source", ps_name_source_name(src));
    if (p->svc) write_service(fp, p);
    if (p->proc && p->proc->found) write_process(fp, p->proc);
}

/* One port of a host line's "ports". */
static void port_object(ps_writer *w, const ps_port_result *p)
{
    int first = 1;
    if (p->json) {
        fwrite(p->json, 1, p->json_len, w->fp);
        return;
    }
    fputc('{', w->fp);
    port_fields(w, p, &first);
    fputc('}', w->fp);
}

static void host_fields(FILE *fp, const ps_addr *a, const char *name, int *first)
{
    char ip[PS_ADDRSTRLEN];
    jstr(fp, first, "host", ps_addr_str(a, ip, sizeof ip));
    jstr(fp, first, "addrtype", a->family == AF_INET6 ? "ipv6" : "ipv4");
    if (name) jstr(fp, first, "hostname", name);
}

static void json_port(ps_writer *w, const ps_addr *a, const char *name, const ps_port_result *p)
{
    int first = 0;
    head(w->fp, "port");
    host_fields(w->fp, a, name, &first);
    port_fields(w, p, &first);
    line_end(w->fp);
    ps_writer_flush(w);
}

static void json_host(ps_writer *w, const ps_host_result *h)
{
    FILE *fp = w->fp;
    int first = 0;
    char num[64];
    head(fp, "host");
    host_fields(fp, &h->addr, h->name, &first);
    jstr(fp, &first, "status", h->up ? "up" : "assumed-up");
    if (h->up_reason) jstr(fp, &first, "up_reason", h->up_reason);
    if (h->has_mac) {
        char mac[18];
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", h->mac[0], h->mac[1], h->mac[2], h->mac[3],
                 h->mac[4], h->mac[5]);
        jstr(fp, &first, "mac", mac);
    }
    if (h->latency_s >= 0) {
        snprintf(num, sizeof num, "%.6f", h->latency_s);
        jraw(fp, &first, "latency", num);
    } else {
        jraw(fp, &first, "latency", "null");
    }
    jnum(fp, &first, "index", (long long)h->index);
    jnum(fp, &first, "scanned", (long long)h->scanned);
    jraw(fp, &first, "all_ports_open", h->all_open ? "true" : "false");
    fputs(",\"ports\":[", fp);
    for (size_t i = 0; i < h->nports; i++) {
        if (i) fputc(',', fp);
        port_object(w, &h->ports[i]);
    }
    fputs("],\"hidden\":[", fp);
    for (int i = 0; i < h->nhidden; i++) {
        const ps_hidden_state *s = &h->hidden[i];
        fprintf(fp, "%s{\"proto\":\"%s\",\"state\":\"%s\",\"reason\":\"%s\",\"count\":%llu", i ? "," : "",
                ps_proto_name(s->proto), ps_state_name(s->state), ps_reason_name(s->reason),
                (unsigned long long)s->count);
        if (s->ports) {
            fputs(",\"ports\":\"", fp);
            ps_ports_ranges(fp, s->ports, s->nports);
            fputc('"', fp);
        }
        fputc('}', fp);
    }
    fputs("],\"not_scanned\":[", fp);
    int n = 0;
    for (int p = 0; p < 2; p++)
        for (int u = 0; u < PS_NS_COUNT; u++)
            if (h->not_scanned[p][u])
                fprintf(fp, "%s{\"proto\":\"%s\",\"reason\":\"%s\",\"count\":%llu}", n++ ? "," : "",
                        ps_proto_name((enum ps_proto)p), ps_unscanned_name((enum ps_unscanned)u),
                        (unsigned long long)h->not_scanned[p][u]);
    fputc(']', fp);
    line_end(fp);
    ps_writer_flush(w);
}

/* A run that scanned part of the pairs: which units of each protocol's
 * order it finished, so pscan merge can tell which pairs were its. */
static void write_cover(FILE *fp, const ps_scan_summary *s)
{
    fputs(",\"cover\":[", fp);
    for (int p = 0, n = 0; p < 2; p++) {
        const struct ps_cover_range *c = &s->cover[p];
        if (!c->set) continue;
        fprintf(fp, "%s{\"proto\":\"%s\",\"by\":\"%s\",\"from\":%llu,\"to\":%llu,\"units\":%llu}", n++ ? "," : "",
                ps_proto_name(p ? PS_UDP : PS_TCP), c->by_host ? "host" : "position", (unsigned long long)c->lo,
                (unsigned long long)c->hi, (unsigned long long)c->units);
    }
    fputc(']', fp);
}

static void json_end(ps_writer *w, const ps_scan_summary *s)
{
    FILE *fp = w->fp;
    int first = 0;
    char num[64];
    head(fp, "summary");
    snprintf(num, sizeof num, "%.3f", s->elapsed_s);
    jraw(fp, &first, "elapsed", num);
    jnum(fp, &first, "hosts", (long long)s->hosts);
    jnum(fp, &first, "hosts_up", (long long)s->hosts_up);
    fprintf(fp, ",\"ports\":{\"open\":%llu,\"closed\":%llu,\"filtered\":%llu,\"open|filtered\":%llu}",
            (unsigned long long)s->by_state[PS_ST_OPEN], (unsigned long long)s->by_state[PS_ST_CLOSED],
            (unsigned long long)(s->by_state[PS_ST_FILTERED] + s->by_state[PS_ST_NONE]),
            (unsigned long long)s->by_state[PS_ST_OPEN_FILTERED]);
    jnum(fp, &first, "pairs", (long long)s->pairs);
    fputs(",\"not_scanned\":{", fp);
    for (int u = 0; u < PS_NS_COUNT; u++)
        fprintf(fp, "%s\"%s\":%llu", u ? "," : "", ps_unscanned_name((enum ps_unscanned)u),
                (unsigned long long)s->not_scanned[u]);
    fputc('}', fp);
    jbool(fp, &first, "interrupted", s->interrupted);
    if (s->partial_cover) write_cover(fp, s);
    line_end(fp);
    fflush(w->fp);
}

const struct ps_writer_ops ps_out_json = {
    .name = "json",
    .begin = json_begin,
    .port = json_port,
    .host = json_host,
    .end = json_end,
};
