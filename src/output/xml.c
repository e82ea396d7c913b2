/* xml.c: -oX, XML that validates against nmap's DTD (nmap.dtd, as shipped
 * in /usr/share/nmap), so ndiff, zenmap, nmap.xsl and the many parsers
 * written for nmap read it unchanged.
 *
 * The DTD fixes a few things: the root's scanner attribute can only be
 * "nmap" (pscan says who it is in a comment and in args, which start with
 * the pscan command line), scaninfo's type is one of nmap's scan names
 * ("connect", "syn"), and everything a port carries beyond state and
 * service must go in <script> elements.  pscan's extras use that door:
 *
 *   <script id="pscan" output="summary"> with <table key="registry">
 *   (registry versus reality), <table key="process"> (the local listener)
 *   and <table key="tls"> (TLS version and certificate)
 *
 * each table holding <elem key="..."> children for programs.  One script
 * per port, because ndiff cannot sort two.  An unidentified
 * service's first bytes go in service/@servicefp, escaped.
 *
 * Like nmap's, the file is complete (well-formed) only when the scan
 * ends: hosts are written as they complete, runstats last. */
#include <string.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/service.h"

static void xstr(FILE *fp, const char *s, size_t cap)
{
    ps_esc_write(fp, s, strnlen(s, cap), PS_ESC_XML);
}

/*  name="value" when value is non-empty (a fixed-size field). */
static void xattr(FILE *fp, const char *name, const char *v, size_t cap)
{
    if (!v || !strnlen(v, cap)) return;
    fprintf(fp, " %s=\"", name);
    xstr(fp, v, cap);
    fputc('"', fp);
}

static void xelem(FILE *fp, const char *key, const char *v, size_t cap)
{
    if (!strnlen(v, cap)) return;
    fprintf(fp, "<elem key=\"%s\">", key);
    xstr(fp, v, cap);
    fputs("</elem>", fp);
}

static void human_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%a %b %e %H:%M:%S %Y UTC", &tm);
}

static void xml_begin(ps_writer *w, const ps_scan_info *info)
{
    FILE *fp = w->fp;
    char when[64];
    human_time(info->start.tv_sec, when, sizeof when);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n", fp);
    fprintf(fp, "<!-- pscan %s scan initiated %s; nmap's DTD allows only scanner=\"nmap\" -->\n",
            PSCAN_VERSION, when);
    fputs("<nmaprun scanner=\"nmap\" args=\"", fp);
    for (int i = 0; i < info->argc; i++) {
        if (i) fputc(' ', fp);
        ps_esc_puts(fp, info->argv[i], PS_ESC_XML);
    }
    fprintf(fp, "\" start=\"%lld\" startstr=\"%s\" version=\"%s\" xmloutputversion=\"1.05\">\n",
            (long long)info->start.tv_sec, when, PSCAN_VERSION);
    const char *type = info->scan_type && strncmp(info->scan_type, "syn", 3) == 0 ? "syn" : "connect";
    if (w->ports) {
        const ps_ports ports = *w->ports;
        if (ports.ntcp) {
            fprintf(fp, "<scaninfo type=\"%s\" protocol=\"tcp\" numservices=\"%zu\" services=\"", type,
                    ports.ntcp);
            ps_ports_ranges(fp, ports.tcp, ports.ntcp);
            fputs("\"/>\n", fp);
        }
        if (ports.nudp) {
            fprintf(fp, "<scaninfo type=\"udp\" protocol=\"udp\" numservices=\"%zu\" services=\"", ports.nudp);
            ps_ports_ranges(fp, ports.udp, ports.nudp);
            fputs("\"/>\n", fp);
        }
    }
    fprintf(fp, "<verbose level=\"%d\"/>\n<debugging level=\"%d\"/>\n", w->cfg->verbose, w->cfg->debug);
    fflush(fp);
}

static void write_service(ps_writer *w, const ps_port_result *p)
{
    FILE *fp = w->fp;
    const ps_svc_result *s = p->svc;
    const char *reg = ps_service_name(p->port, p->proto);
    if (ps_port_identified(p)) {
        const ps_service_info *in = &s->info;
        fputs("<service", fp);
        xattr(fp, "name", in->service, sizeof in->service);
        xattr(fp, "product", in->product, sizeof in->product);
        xattr(fp, "version", in->version, sizeof in->version);
        xattr(fp, "extrainfo", in->info, sizeof in->info);
        xattr(fp, "hostname", in->hostname, sizeof in->hostname);
        xattr(fp, "ostype", in->ostype, sizeof in->ostype);
        xattr(fp, "devicetype", in->devicetype, sizeof in->devicetype);
        if (s->tls) fputs(" tunnel=\"ssl\"", fp);
        fprintf(fp, " method=\"probed\" conf=\"%d\"", s->status == PS_SVC_MATCH ? 10 : 8);
        int nc = in->ncpe < 0 ? 0 : in->ncpe > 4 ? 4 : in->ncpe;
        if (!nc) {
            fputs("/>", fp);
            return;
        }
        fputc('>', fp);
        for (int i = 0; i < nc; i++) {
            fputs("<cpe>", fp);
            xstr(fp, in->cpe[i], sizeof in->cpe[i]);
            fputs("</cpe>", fp);
        }
        fputs("</service>", fp);
        return;
    }
    if (s && s->status == PS_SVC_TCPWRAPPED) {
        fputs("<service name=\"tcpwrapped\" method=\"probed\" conf=\"8\"/>", fp);
        return;
    }
    /* -sV ran and could not name it: "unknown", probed with no confidence,
     * and what it said as the fingerprint; never the registry's guess.
     * Otherwise the registry's name, method table (nmap's DTD). */
    int probed = (s || w->cfg->version_detect) && p->state == PS_ST_OPEN;
    if (!probed && !reg) return;
    if (probed && s && s->tls) {
        fputs("<service name=\"unknown\" tunnel=\"ssl\" method=\"probed\" conf=\"0\"", fp);
    } else if (probed) {
        fputs("<service name=\"unknown\" method=\"probed\" conf=\"0\"", fp);
    } else {
        fprintf(fp, "<service name=\"%s\" method=\"table\" conf=\"3\"", reg);
    }
    size_t n = s ? (s->banner_len < sizeof s->banner ? s->banner_len : sizeof s->banner) : 0;
    if (n) {
        fputs(" servicefp=\"", fp);
        ps_esc_write(fp, s->banner, n, PS_ESC_XML);
        fputc('"', fp);
    }
    fputs("/>", fp);
}

/* Did the version scan need its second pass (service/retry.c)? */
static int retried(const ps_port_result *p)
{
    return p->svc && p->svc->pass != PS_SVC_FIRST;
}

/* pscan's extras for one port, as ONE script element: tools such as
 * ndiff sort a port's script results and fail on two of the same kind.
 * Its output attribute is a readable summary; the tables carry the data. */
static void write_summary(ps_writer *w, const ps_port_result *p, const ps_port_registry *reg)
{
    FILE *fp = w->fp;
    char det[96] = "";
    const char *sep = "";
    if (p->state == PS_ST_OPEN) {
        if (ps_port_identified(p)) ps_port_service(w, p, det, sizeof det, NULL);
        fprintf(fp, "registered: %s (%s)%s", reg->name ? reg->name : "none", ps_reg_status_name(reg->status),
                reg->ephemeral ? ", in the ephemeral range" : "");
        if (reg->mismatch) {
            fputs(", detected: ", fp);
            ps_esc_puts(fp, det, PS_ESC_XML);
        }
        sep = "; ";
    }
    const ps_proc_info *pi = p->proc && (p->proc->found || p->proc->other_netns) ? p->proc : NULL;
    if (pi) {
        fprintf(fp, "%sprocess: ", sep);
        if (pi->visible) {
            fprintf(fp, "%d/", pi->pid);
            xstr(fp, pi->name, sizeof pi->name);
            if (pi->user[0]) {
                fputs(" (", fp);
                xstr(fp, pi->user, sizeof pi->user);
                fputc(')', fp);
            }
        } else {
            fputs("owner not readable", fp);
        }
        if (pi->bind[0]) {
            fputs(", bound to ", fp);
            xstr(fp, pi->bind, sizeof pi->bind);
        }
        if (pi->other_netns) fputs(", other network namespace", fp);
        sep = "; ";
    }
    if (retried(p)) {
        fprintf(fp, "%sversion scan: %s pass, retried: %s", sep, ps_svc_pass_name(p->svc->pass),
                ps_svc_why_text(p->svc->why));
        sep = "; ";
    }
    if (p->svc && p->svc->tls) {
        const ps_tls_info *c = &p->svc->cert;
        fprintf(fp, "%stls: ", sep);
        xstr(fp, c->version, sizeof c->version);
        fputc(' ', fp);
        xstr(fp, c->cipher, sizeof c->cipher);
        if (p->svc->has_cert) {
            fputs(", subject: ", fp);
            xstr(fp, c->subject, sizeof c->subject);
            fputs(", not after: ", fp);
            xstr(fp, c->not_after, sizeof c->not_after);
        }
    }
}

static void write_extras(ps_writer *w, const ps_port_result *p)
{
    FILE *fp = w->fp;
    ps_port_registry reg;
    const ps_proc_info *pi = p->proc && (p->proc->found || p->proc->other_netns) ? p->proc : NULL;
    int tls = p->svc && p->svc->tls;
    if (p->state != PS_ST_OPEN && !pi && !tls && !retried(p)) return;
    ps_port_registry_get(w, p, &reg);
    fputs("<script id=\"pscan\" output=\"", fp);
    write_summary(w, p, &reg);
    fputs("\">", fp);
    if (p->state == PS_ST_OPEN) {
        fputs("<table key=\"registry\">", fp);
        if (reg.name) xelem(fp, "name", reg.name, 64);
        xelem(fp, "status", ps_reg_status_name(reg.status), 16);
        xelem(fp, "ephemeral", reg.ephemeral ? "true" : "false", 8);
        xelem(fp, "mismatch", reg.mismatch ? "true" : "false", 8);
        fputs("</table>", fp);
    }
    if (pi) {
        char pid[24];
        snprintf(pid, sizeof pid, "%d", pi->pid);
        fputs("<table key=\"process\">", fp);
        if (pi->visible) {
            xelem(fp, "pid", pid, sizeof pid);
            xelem(fp, "name", pi->name, sizeof pi->name);
            if (pi->name_source) xelem(fp, "name_source", pi->name_source, 8);
            xelem(fp, "cmdline", pi->cmdline, sizeof pi->cmdline);
            xelem(fp, "user", pi->user, sizeof pi->user);
        }
        xelem(fp, "bind", pi->bind, sizeof pi->bind);
        xelem(fp, "other_netns", pi->other_netns ? "true" : "false", 8);
        fputs("</table>", fp);
    }
    if (tls) {
        const ps_tls_info *c = &p->svc->cert;
        fputs("<table key=\"tls\">", fp);
        xelem(fp, "version", c->version, sizeof c->version);
        xelem(fp, "cipher", c->cipher, sizeof c->cipher);
        if (p->svc->has_cert) {
            xelem(fp, "subject", c->subject, sizeof c->subject);
            xelem(fp, "issuer", c->issuer, sizeof c->issuer);
            xelem(fp, "sans", c->sans, sizeof c->sans);
            xelem(fp, "not_before", c->not_before, sizeof c->not_before);
            xelem(fp, "not_after", c->not_after, sizeof c->not_after);
            xelem(fp, "sha256", c->sha256, sizeof c->sha256);
        }
        fputs("</table>", fp);
    }
    if (retried(p)) {
        fputs("<table key=\"version_scan\">", fp);
        xelem(fp, "pass", ps_svc_pass_name(p->svc->pass), 16);
        xelem(fp, "retry_why", ps_svc_why_name(p->svc->why), 16);
        fputs("</table>", fp);
    }
    fputs("</script>", fp);
}

/* Why the host counts as up: the first answer among its ports. */
static const char *host_reason(const ps_host_result *h, int *ttl)
{
    *ttl = 0;
    if (!h->up) return "user-set";
    if (h->up_reason) return h->up_reason; /* host discovery's */
    for (size_t i = 0; i < h->nports; i++)
        if (h->ports[i].state == PS_ST_OPEN || h->ports[i].state == PS_ST_CLOSED) {
            if (h->ports[i].ttl > 0) *ttl = h->ports[i].ttl;
            return ps_reason_name(h->ports[i].reason);
        }
    for (int i = 0; i < h->nhidden; i++)
        if (h->hidden[i].state == PS_ST_CLOSED) return ps_reason_name(h->hidden[i].reason);
    return "unknown";
}

/* Ports this run did not scan: a host script (nmap's DTD has no place of
 * its own for them, and an <extraports> state would count them as ports
 * seen), output readable, one <elem> per protocol and reason. */
static void write_unscanned(FILE *fp, const ps_host_result *h)
{
    int n = 0;
    for (int p = 0; p < 2; p++)
        for (int u = 0; u < PS_NS_COUNT; u++) {
            if (!h->not_scanned[p][u]) continue;
            fprintf(fp, "%s%llu %s ports (%s)", n++ ? ", " : "<hostscript><script id=\"pscan\" output=\"not scanned: ",
                    (unsigned long long)h->not_scanned[p][u], ps_proto_name((enum ps_proto)p),
                    ps_unscanned_name((enum ps_unscanned)u));
        }
    if (!n) return;
    fputs("\">", fp);
    for (int p = 0; p < 2; p++)
        for (int u = 0; u < PS_NS_COUNT; u++)
            if (h->not_scanned[p][u])
                fprintf(fp, "<elem key=\"not_scanned.%s.%s\">%llu</elem>", ps_proto_name((enum ps_proto)p),
                        ps_unscanned_name((enum ps_unscanned)u), (unsigned long long)h->not_scanned[p][u]);
    fputs("</script></hostscript>\n", fp);
}

static void xml_host(ps_writer *w, const ps_host_result *h)
{
    FILE *fp = w->fp;
    char ip[PS_ADDRSTRLEN];
    int ttl;
    const char *why = host_reason(h, &ttl);
    fprintf(fp, "<host><status state=\"up\" reason=\"%s\" reason_ttl=\"%d\"/>\n", why, ttl);
    fprintf(fp, "<address addr=\"%s\" addrtype=\"%s\"/>\n", ps_addr_str(&h->addr, ip, sizeof ip),
            h->addr.family == AF_INET6 ? "ipv6" : "ipv4");
    if (h->has_mac)
        fprintf(fp, "<address addr=\"%02X:%02X:%02X:%02X:%02X:%02X\" addrtype=\"mac\"/>\n", h->mac[0], h->mac[1],
                h->mac[2], h->mac[3], h->mac[4], h->mac[5]);
    fputs("<hostnames>", fp);
    if (h->name) {
        fputs("<hostname name=\"", fp);
        ps_esc_puts(fp, h->name, PS_ESC_XML);
        fputs("\" type=\"user\"/>", fp);
    }
    fputs("</hostnames>\n<ports>", fp);
    /* One extraports per hidden state, with its reason per protocol. */
    for (int i = 0; i < h->nhidden; i++) {
        const ps_hidden_state *s = &h->hidden[i];
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= h->hidden[j].state == s->state;
        if (seen) continue;
        uint64_t total = 0;
        for (int j = i; j < h->nhidden; j++)
            if (h->hidden[j].state == s->state) total += h->hidden[j].count;
        fprintf(fp, "<extraports state=\"%s\" count=\"%llu\">\n", ps_state_name(s->state),
                (unsigned long long)total);
        for (int j = i; j < h->nhidden; j++)
            if (h->hidden[j].state == s->state)
                fprintf(fp, "<extrareasons reason=\"%s\" count=\"%llu\" proto=\"%s\"/>\n",
                        ps_reason_name(h->hidden[j].reason), (unsigned long long)h->hidden[j].count,
                        ps_proto_name(h->hidden[j].proto));
        fputs("</extraports>\n", fp);
    }
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        fprintf(fp, "<port protocol=\"%s\" portid=\"%u\"><state state=\"%s\" reason=\"%s\" reason_ttl=\"%d\"/>",
                ps_proto_name(p->proto), p->port, ps_state_name(p->state), ps_reason_name(p->reason),
                p->ttl > 0 ? p->ttl : 0);
        write_service(w, p);
        write_extras(w, p);
        fputs("</port>\n", fp);
    }
    fputs("</ports>\n", fp);
    write_unscanned(fp, h);
    if (h->latency_s >= 0) {
        long us = (long)(h->latency_s * 1e6);
        fprintf(fp, "<times srtt=\"%ld\" rttvar=\"%ld\" to=\"%ld\"/>\n", us, us / 2 + 1, us * 4 + 100000);
    }
    fputs("</host>\n", fp);
    ps_writer_flush(w);
}

/* runstats: nmap's DTD lets <finished> say exit="error" with an
 * errormsg, which is what an interrupted scan is: partial results. */
static void xml_end(ps_writer *w, const ps_scan_summary *s)
{
    FILE *fp = w->fp;
    struct timespec now;
    char when[64], note[256];
    clock_gettime(CLOCK_REALTIME, &now);
    human_time(now.tv_sec, when, sizeof when);
    ps_summary_unscanned(s, note, sizeof note);
    fprintf(fp,
            "<runstats><finished time=\"%lld\" timestr=\"%s\" elapsed=\"%.2f\" summary=\"pscan done at %s; "
            "%llu IP address%s (%llu host%s up) scanned in %.2f seconds%s\" exit=\"%s\"",
            (long long)now.tv_sec, when, s->elapsed_s, when, (unsigned long long)s->hosts,
            s->hosts == 1 ? "" : "es", (unsigned long long)s->hosts_up, s->hosts_up == 1 ? "" : "s",
            s->elapsed_s, note, s->interrupted ? "error" : "success");
    if (s->interrupted) fprintf(fp, " errormsg=\"interrupted: the results are partial%s\"", note);
    fprintf(fp, "/><hosts up=\"%llu\" down=\"%llu\" total=\"%llu\"/>\n</runstats>\n</nmaprun>\n",
            (unsigned long long)s->hosts_up,
            (unsigned long long)(s->hosts > s->hosts_up ? s->hosts - s->hosts_up : 0),
            (unsigned long long)s->hosts);
    fflush(fp);
}

const struct ps_writer_ops ps_out_xml = {
    .name = "xml",
    .begin = xml_begin,
    .host = xml_host,
    .end = xml_end,
};
