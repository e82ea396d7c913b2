/* grep.c: -oG, one line per host that grep, awk and cut can take apart.
 *
 *   # pscan 0.1.0 scan initiated 2025-01-31 12:00:00 UTC as: pscan -sT ...
 *   Host: 127.0.0.1 (localhost)\tStatus: Up
 *   Host: 127.0.0.1 (localhost)\tPorts: 22/open/tcp/root/ssh//OpenSSH 9.2p1/, 80/closed/tcp//http///\t
 *       Ignored State: closed (997)\tNot scanned: 2000/tcp/other-shard\t
 *       Registry: 2740/tcp/alarm/assigned/mismatch\t
 *       Processes: 22/tcp/812/sshd/root
 *   # pscan done at ... -- 1 IP address (1 host up) scanned in 0.03 seconds
 *
 * Fields are tab-separated; within "Ports:" entries are separated by ", "
 * and each has nmap's seven slash-separated fields (port, state, protocol,
 * owner, service, rpc info, version).  The owner field holds the user of
 * the local listening process when known.  A TLS service is "ssl|NAME".
 * pscan adds three fields after nmap's: "Not scanned:" (ports this run
 * left alone: count/proto/why, why as in docs/output.md), "Registry:" (open ports only:
 * port/proto/registered name/status/flags, flags "ephemeral" and
 * "mismatch" joined by '+') and "Processes:" (port/proto/pid/name/user).
 * Every value a server or user chose is escaped with PS_ESC_GREP, which
 * also escapes '/', ',' and '|', so a value can never forge a field. */
#include <string.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/service.h"

static void human_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void grep_begin(ps_writer *w, const ps_scan_info *info)
{
    char when[64];
    human_time(info->start.tv_sec, when, sizeof when);
    fprintf(w->fp, "# pscan %s scan initiated %s as:", PSCAN_VERSION, when);
    for (int i = 0; i < info->argc; i++) {
        fputc(' ', w->fp);
        ps_esc_puts(w->fp, info->argv[i], PS_ESC_TEXT);
    }
    fputc('\n', w->fp);
    if (!w->cfg->version_detect && info->nports)
        fputs("# Service names are the IANA registry's, not what answered (no -sV)\n", w->fp);
    fflush(w->fp);
}

static void host_prefix(ps_writer *w, const ps_host_result *h)
{
    char ip[PS_ADDRSTRLEN];
    fprintf(w->fp, "Host: %s (", ps_addr_str(&h->addr, ip, sizeof ip));
    if (h->name) ps_esc_puts(w->fp, h->name, PS_ESC_GREP);
    fputc(')', w->fp);
}

static void port_entry(ps_writer *w, const ps_port_result *p)
{
    FILE *fp = w->fp;
    char buf[512];
    fprintf(fp, "%u/%s/%s/", p->port, ps_state_name(p->state), ps_proto_name(p->proto));
    if (p->proc && p->proc->found && p->proc->visible)
        ps_esc_write(fp, p->proc->user, strnlen(p->proc->user, sizeof p->proc->user), PS_ESC_GREP);
    fputc('/', fp);
    ps_port_service(w, p, buf, sizeof buf, NULL);
    if (strncmp(buf, "ssl/", 4) == 0) {
        fputs("ssl|", fp);
        ps_esc_puts(fp, buf + 4, PS_ESC_GREP);
    } else {
        ps_esc_puts(fp, buf, PS_ESC_GREP);
    }
    fputs("//", fp);
    ps_port_version(p, buf, sizeof buf);
    ps_esc_puts(fp, buf, PS_ESC_GREP);
    fputc('/', fp);
}

static void grep_host(ps_writer *w, const ps_host_result *h)
{
    FILE *fp = w->fp;
    host_prefix(w, h);
    fputs("\tStatus: Up\n", fp);
    host_prefix(w, h);
    fputs("\tPorts: ", fp);
    for (size_t i = 0; i < h->nports; i++) {
        if (i) fputs(", ", fp);
        port_entry(w, &h->ports[i]);
    }
    if (h->nhidden) /* the largest hidden group, as nmap does */
        fprintf(fp, "\tIgnored State: %s (%llu)", ps_state_name(h->hidden[0].state),
                (unsigned long long)h->hidden[0].count);
    int n = 0;
    for (int p = 0; p < 2; p++)
        for (int u = 0; u < PS_NS_COUNT; u++)
            if (h->not_scanned[p][u])
                fprintf(fp, "%s%llu/%s/%s", n++ ? ", " : "\tNot scanned: ", (unsigned long long)h->not_scanned[p][u],
                        ps_proto_name((enum ps_proto)p), ps_unscanned_name((enum ps_unscanned)u));
    n = 0;
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        ps_port_registry reg;
        if (p->state != PS_ST_OPEN) continue;
        ps_port_registry_get(w, p, &reg);
        fprintf(fp, "%s%u/%s/%s/%s/%s%s%s", n++ ? ", " : "\tRegistry: ", p->port, ps_proto_name(p->proto),
                reg.name ? reg.name : "", ps_reg_status_name(reg.status), reg.ephemeral ? "ephemeral" : "",
                reg.ephemeral && reg.mismatch ? "+" : "", reg.mismatch ? "mismatch" : "");
    }
    n = 0;
    for (size_t i = 0; i < h->nports; i++) {
        const ps_proc_info *pi = h->ports[i].proc;
        if (!pi || !pi->found) continue;
        fprintf(fp, "%s%u/%s/", n++ ? ", " : "\tProcesses: ", h->ports[i].port, ps_proto_name(h->ports[i].proto));
        if (pi->visible) {
            fprintf(fp, "%d/", pi->pid);
            ps_esc_write(fp, pi->name, strnlen(pi->name, sizeof pi->name), PS_ESC_GREP);
            fputc('/', fp);
            ps_esc_write(fp, pi->user, strnlen(pi->user, sizeof pi->user), PS_ESC_GREP);
        } else {
            fputs("?/?/?", fp);
        }
    }
    fputc('\n', fp);
    ps_writer_flush(w);
}

static void grep_end(ps_writer *w, const ps_scan_summary *s)
{
    struct timespec now;
    char when[64];
    clock_gettime(CLOCK_REALTIME, &now);
    human_time(now.tv_sec, when, sizeof when);
    char note[256];
    fprintf(w->fp, "# pscan done at %s -- %llu IP address%s (%llu host%s up) scanned in %.2f seconds%s%s\n", when,
            (unsigned long long)s->hosts, s->hosts == 1 ? "" : "es", (unsigned long long)s->hosts_up,
            s->hosts_up == 1 ? "" : "s", s->elapsed_s, ps_summary_unscanned(s, note, sizeof note),
            s->interrupted ? "; interrupted: the results are partial" : "");
    fflush(w->fp);
}

const struct ps_writer_ops ps_out_grep = {
    .name = "grep",
    .begin = grep_begin,
    .host = grep_host,
    .end = grep_end,
};
