/* normal.c: the human-readable report, in nmap's familiar layout.
 *
 *   pscan scan report for localhost (127.0.0.1)
 *   Host is up (0.000050s latency).
 *   Not shown: 997 closed tcp ports (conn-refused)
 *   PORT   STATE SERVICE
 *   22/tcp open  ssh
 *
 * Columns are as wide as their widest cell, per host. */
#include <string.h>
#include <time.h>

#include "pscan/output.h"

static const char *proto_name(enum ps_proto p)
{
    return p == PS_UDP ? "udp" : "tcp";
}

static void host_label(const ps_addr *a, const char *name, char *buf, size_t len)
{
    char ip[PS_ADDRSTRLEN];
    ps_addr_str(a, ip, sizeof ip);
    if (name) snprintf(buf, len, "%s (%s)", name, ip);
    else snprintf(buf, len, "%s", ip);
}

static void normal_begin(ps_writer *w, const ps_scan_info *info)
{
    struct tm tm;
    char when[64];
    time_t t = info->start.tv_sec;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(w->fp, "Starting pscan %s at %s\n", PSCAN_VERSION, when);
    fflush(w->fp);
}

static void normal_port(ps_writer *w, const ps_addr *a, const char *name, const ps_port_result *p)
{
    char label[320];
    if (w->cfg->verbose < 1) return;
    host_label(a, name, label, sizeof label);
    fprintf(w->fp, "Discovered %s port %u/%s on %s\n", ps_state_name(p->state), p->port,
            proto_name(p->proto), label);
    fflush(w->fp);
}

static void print_hidden(ps_writer *w, const ps_host_result *h)
{
    if (!h->nhidden) return;
    fprintf(w->fp, "Not shown: ");
    for (int i = 0; i < h->nhidden; i++) {
        const ps_hidden_state *s = &h->hidden[i];
        fprintf(w->fp, "%s%llu %s %s ports (%s)", i ? ", " : "", (unsigned long long)s->count,
                ps_state_name(s->state), proto_name(s->proto), ps_reason_name(s->reason));
    }
    fprintf(w->fp, "\n");
}

static void normal_host(ps_writer *w, const ps_host_result *h)
{
    char label[320], cell[32], svc[128];
    host_label(&h->addr, h->name, label, sizeof label);
    fprintf(w->fp, "pscan scan report for %s\n", label);
    if (!h->up) fprintf(w->fp, "Host is up (assumed: -Pn; nothing answered).\n");
    else if (h->latency_s >= 0) fprintf(w->fp, "Host is up (%.6fs latency).\n", h->latency_s);
    else fprintf(w->fp, "Host is up.\n");
    if (h->nports == 0) {
        fprintf(w->fp, "All %llu scanned ports on %s are in ignored states.\n",
                (unsigned long long)h->scanned, label);
        print_hidden(w, h);
        fprintf(w->fp, "\n");
        fflush(w->fp);
        return;
    }
    print_hidden(w, h);
    int wport = 4, wstate = 5;
    for (size_t i = 0; i < h->nports; i++) {
        int n = snprintf(cell, sizeof cell, "%u/%s", h->ports[i].port, proto_name(h->ports[i].proto));
        if (n > wport) wport = n;
        n = (int)strlen(ps_state_name(h->ports[i].state));
        if (n > wstate) wstate = n;
    }
    fprintf(w->fp, "%-*s %-*s SERVICE\n", wport, "PORT", wstate, "STATE");
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        snprintf(cell, sizeof cell, "%u/%s", p->port, proto_name(p->proto));
        fprintf(w->fp, "%-*s %-*s %s\n", wport, cell, wstate, ps_state_name(p->state),
                ps_port_service(p, svc, sizeof svc));
    }
    fprintf(w->fp, "\n");
    fflush(w->fp);
}

static void normal_end(ps_writer *w, const ps_scan_summary *s)
{
    fprintf(w->fp, "pscan done: %llu IP address%s (%llu host%s up) scanned in %.2f seconds\n",
            (unsigned long long)s->hosts, s->hosts == 1 ? "" : "es",
            (unsigned long long)s->hosts_up, s->hosts_up == 1 ? "" : "s", s->elapsed_s);
    fflush(w->fp);
}

const struct ps_writer_ops ps_out_normal = {
    .name = "normal",
    .begin = normal_begin,
    .port = normal_port,
    .host = normal_host,
    .end = normal_end,
};
