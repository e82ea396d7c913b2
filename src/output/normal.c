/* normal.c: the human-readable report, in nmap's familiar layout.
 *
 *   pscan scan report for localhost (127.0.0.1)
 *   Host is up (0.000050s latency).
 *   Not shown: 997 closed tcp ports (conn-refused)
 *   PORT     STATE SERVICE VERSION                          PROCESS
 *   22/tcp   open  ssh     OpenSSH 9.2p1 (protocol 2.0)     812/sshd (root)
 *   2740/tcp open  ssh     OpenSSH 9.2p1 (registered: alarm)
 *   4444/tcp open  krb524?
 *   4444/tcp unrecognised, sent 14 bytes: hello\x1b[2J\r\n
 *
 * VERSION appears when -sV ran (or any row has a -sV result), PROCESS when
 * any row has a local listener.  "(registered: NAME)" marks a port whose
 * detected service is not the one IANA registered for it.  Every cell a
 * server or user could have chosen is escaped (escape.h, PS_ESC_TEXT)
 * before it is measured, so columns line up and nothing reaches the
 * terminal raw.  Columns are as wide as their widest cell, per host. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/service.h"

enum { CELL = 512, BANNER_SHOWN = 96 };

struct row_cells {
    char port[16];
    char svc[96];
    char version[CELL];
    char proc[CELL];
};

/* Columns on screen: UTF-8 continuation bytes take none. */
static int disp_width(const char *s)
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* A table line: cells padded to their column and separated by one blank,
 * the padding written only when a later cell has text (no trailing blanks). */
struct line {
    FILE *fp;
    int owed; /* blanks to write before the next non-empty cell */
};

static void cell(struct line *l, const char *s, int width)
{
    if (*s) {
        for (; l->owed > 0; l->owed--) fputc(' ', l->fp);
        fputs(s, l->fp);
    }
    l->owed += width - disp_width(s) + 1;
    if (l->owed < 1) l->owed = 1;
}

static void end_line(struct line *l)
{
    fputc('\n', l->fp);
    l->owed = 0;
}

static void host_label(const ps_addr *a, const char *name, char *buf, size_t len)
{
    char ip[PS_ADDRSTRLEN], esc[256];
    ps_addr_str(a, ip, sizeof ip);
    if (name) {
        ps_esc_buf(esc, sizeof esc, name, strlen(name), PS_ESC_TEXT);
        snprintf(buf, len, "%s (%s)", esc, ip);
    } else {
        snprintf(buf, len, "%s", ip);
    }
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
            ps_proto_name(p->proto), label);
    ps_writer_flush(w);
}

static void print_hidden(ps_writer *w, const ps_host_result *h)
{
    if (!h->nhidden) return;
    fprintf(w->fp, "Not shown: ");
    for (int i = 0; i < h->nhidden; i++) {
        const ps_hidden_state *s = &h->hidden[i];
        fprintf(w->fp, "%s%llu %s %s ports (%s)", i ? ", " : "", (unsigned long long)s->count,
                ps_state_name(s->state), ps_proto_name(s->proto), ps_reason_name(s->reason));
    }
    fprintf(w->fp, "\n");
}

/* "Not scanned: 334 tcp ports (other-shard)": ports this run left alone. */
static void print_unscanned(ps_writer *w, const ps_host_result *h)
{
    const char *sep = "Not scanned: ";
    for (int p = 0; p < 2; p++)
        for (int u = 0; u < PS_NS_COUNT; u++) {
            if (!h->not_scanned[p][u]) continue;
            fprintf(w->fp, "%s%llu %s ports (%s)", sep, (unsigned long long)h->not_scanned[p][u],
                    ps_proto_name((enum ps_proto)p), ps_unscanned_name((enum ps_unscanned)u));
            sep = ", ";
        }
    if (*sep == ',') fputc('\n', w->fp);
}

static void proc_cell(const ps_proc_info *pi, char *buf, size_t len)
{
    char name[200], user[200];
    buf[0] = '\0';
    if (!pi || !pi->found) return;
    if (!pi->visible) {
        snprintf(buf, len, "?%s", pi->other_netns ? " (other netns)" : " (owner not readable)");
        return;
    }
    ps_esc_buf(name, sizeof name, pi->name, strnlen(pi->name, sizeof pi->name), PS_ESC_TEXT);
    ps_esc_buf(user, sizeof user, pi->user, strnlen(pi->user, sizeof pi->user), PS_ESC_TEXT);
    snprintf(buf, len, "%d/%s%s%s%s%s", pi->pid, name, user[0] ? " (" : "", user, user[0] ? ")" : "",
             pi->other_netns ? " [other netns]" : "");
}

static void fill_cells(ps_writer *w, const ps_port_result *p, struct row_cells *c)
{
    char raw[CELL], esc[CELL - 96];
    ps_port_registry reg;
    snprintf(c->port, sizeof c->port, "%u/%s", p->port, ps_proto_name(p->proto));
    enum ps_name_source src;
    ps_port_service(w, p, raw, sizeof raw, &src);
    ps_esc_buf(c->svc, sizeof c->svc, raw, strlen(raw), PS_ESC_TEXT);
    ps_port_version(p, raw, sizeof raw);
    ps_esc_buf(esc, sizeof esc, raw, strlen(raw), PS_ESC_TEXT);
    ps_port_registry_get(w, p, &reg);
    /* The registry's name is a note, never the answer: beside what
     * answered when they differ, alone when nothing could be named. */
    if (reg.mismatch || (src == PS_NAME_NONE && reg.name))
        snprintf(c->version, sizeof c->version, "%s%s(registered: %s)", esc, esc[0] ? " " : "", reg.name);
    else
        snprintf(c->version, sizeof c->version, "%s", esc);
    proc_cell(p->proc, c->proc, sizeof c->proc);
}

/* What an unidentified service said, so a reader sees who spoke. */
static void print_fingerprints(ps_writer *w, const ps_host_result *h)
{
    char esc[BANNER_SHOWN * 4 + 8], probe[96];
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        const ps_svc_result *s = p->svc;
        if (!s || ps_port_identified(p) || s->banner_len == 0 || p->state != PS_ST_OPEN) continue;
        size_t n = s->banner_len < sizeof s->banner ? s->banner_len : sizeof s->banner;
        size_t shown = n < BANNER_SHOWN ? n : BANNER_SHOWN;
        ps_esc_buf(esc, sizeof esc, s->banner, shown, PS_ESC_TEXT);
        probe[0] = '\0';
        if (s->probe) ps_esc_buf(probe, sizeof probe, s->probe, strlen(s->probe), PS_ESC_TEXT);
        fprintf(w->fp, "%u/%s unrecognised, sent %zu byte%s%s%s%s: %s%s\n", p->port,
                ps_proto_name(p->proto), n, n == 1 ? "" : "s", probe[0] ? " (to probe " : "", probe,
                probe[0] ? ")" : "", esc, shown < n ? "..." : "");
    }
}

/* With -v: which ports the version scan tried a second time, and why. */
static void print_retries(ps_writer *w, const ps_host_result *h)
{
    if (w->cfg->verbose < 1) return;
    for (size_t i = 0; i < h->nports; i++) {
        const ps_svc_result *s = h->ports[i].svc;
        if (!s || s->pass == PS_SVC_FIRST) continue;
        fprintf(w->fp, "%u/%s version scan retried (%s): %s on the second pass%s\n", h->ports[i].port,
                ps_proto_name(h->ports[i].proto), ps_svc_why_text(s->why), ps_svc_status_name(s->status),
                s->pass == PS_SVC_GAVE_UP ? ", gave up" : "");
    }
}

static void print_tls(ps_writer *w, const ps_port_result *p)
{
    const ps_svc_result *s = p->svc;
    const ps_tls_info *c;
    char f[4][300];
    if (!s || !s->tls || !s->has_cert) return;
    c = &s->cert;
    const char *in[4] = {c->version, c->cipher, c->subject, c->issuer};
    size_t cap[4] = {sizeof c->version, sizeof c->cipher, sizeof c->subject, sizeof c->issuer};
    for (int i = 0; i < 4; i++) ps_esc_buf(f[i], sizeof f[i], in[i], strnlen(in[i], cap[i]), PS_ESC_TEXT);
    char until[64];
    ps_esc_buf(until, sizeof until, c->not_after, strnlen(c->not_after, sizeof c->not_after), PS_ESC_TEXT);
    fprintf(w->fp, "|_ %s %s, subject: %s, issuer: %s, until %s\n", f[0], f[1], f[2], f[3], until);
}

static void normal_host(ps_writer *w, const ps_host_result *h)
{
    char label[320];
    host_label(&h->addr, h->name, label, sizeof label);
    fprintf(w->fp, "pscan scan report for %s\n", label);
    if (!h->up) fprintf(w->fp, "Host is up (assumed: -Pn; nothing answered).\n");
    else if (h->latency_s >= 0 && h->up_reason)
        fprintf(w->fp, "Host is up (%s, %.6fs latency).\n", h->up_reason, h->latency_s);
    else if (h->latency_s >= 0) fprintf(w->fp, "Host is up (%.6fs latency).\n", h->latency_s);
    else if (h->up_reason) fprintf(w->fp, "Host is up (%s).\n", h->up_reason);
    else fprintf(w->fp, "Host is up.\n");
    if (h->has_mac)
        fprintf(w->fp, "MAC Address: %02X:%02X:%02X:%02X:%02X:%02X\n", h->mac[0], h->mac[1], h->mac[2],
                h->mac[3], h->mac[4], h->mac[5]);
    if (h->scanned == 0) { /* -sn: discovery only */
        ps_writer_flush(w);
        return;
    }
    if (h->all_open)
        fprintf(w->fp, "Host answers on every port scanned (%llu of %llu): a SYN proxy or firewall, not that "
                "many services%s.\n", (unsigned long long)h->scanned, (unsigned long long)h->scanned,
                w->cfg->version_detect ? "; service detection results not shown" : "");
    if (h->nports == 0) {
        fprintf(w->fp, "All %llu scanned ports on %s are in ignored states.\n",
                (unsigned long long)h->scanned, label);
        print_hidden(w, h);
        print_unscanned(w, h);
        fprintf(w->fp, "\n");
        ps_writer_flush(w);
        return;
    }
    print_hidden(w, h);
    print_unscanned(w, h);
    struct row_cells *cells = calloc(h->nports, sizeof *cells);
    if (!cells) return;
    int wport = 4, wstate = 5, wsvc = 7, wver = 7, show_ver = w->cfg->version_detect, show_proc = 0;
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        fill_cells(w, p, &cells[i]);
        show_ver |= p->svc != NULL || cells[i].version[0];
        show_proc |= cells[i].proc[0] != '\0';
        int n;
        if ((n = disp_width(cells[i].port)) > wport) wport = n;
        if ((n = (int)strlen(ps_state_name(p->state))) > wstate) wstate = n;
        if ((n = disp_width(cells[i].svc)) > wsvc) wsvc = n;
        if ((n = disp_width(cells[i].version)) > wver) wver = n;
    }
    struct line l = {.fp = w->fp};
    cell(&l, "PORT", wport);
    cell(&l, "STATE", wstate);
    cell(&l, "SERVICE", wsvc);
    if (show_ver) cell(&l, "VERSION", wver);
    if (show_proc) cell(&l, "PROCESS", 0);
    end_line(&l);
    for (size_t i = 0; i < h->nports; i++) {
        const ps_port_result *p = &h->ports[i];
        cell(&l, cells[i].port, wport);
        cell(&l, ps_state_name(p->state), wstate);
        cell(&l, cells[i].svc, wsvc);
        if (show_ver) cell(&l, cells[i].version, wver);
        if (show_proc) cell(&l, cells[i].proc, 0);
        end_line(&l);
        print_tls(w, p);
    }
    free(cells);
    print_fingerprints(w, h);
    print_retries(w, h);
    if (w->cfg->verbose >= 1) {
        for (size_t i = 0; i < h->nports; i++) {
            ps_port_registry reg;
            ps_port_registry_get(w, &h->ports[i], &reg);
            if (h->ports[i].state == PS_ST_OPEN && reg.ephemeral)
                fprintf(w->fp, "Note: %u/%s lies in this system's ephemeral port range (%u-%u)\n",
                        h->ports[i].port, ps_proto_name(h->ports[i].proto), w->eph_lo, w->eph_hi);
        }
    }
    fprintf(w->fp, "\n");
    ps_writer_flush(w);
}

static void normal_end(ps_writer *w, const ps_scan_summary *s)
{
    char note[256];
    /* Without -sV a SERVICE name is only the port's registration: say so. */
    if (!w->cfg->version_detect && s->by_state[PS_ST_OPEN])
        fprintf(w->fp, "SERVICE names above are the IANA registry's, not what answered (-sV asks the ports)\n");
    fprintf(w->fp, "pscan done: %llu IP address%s (%llu host%s up) scanned in %.2f seconds%s%s\n",
            (unsigned long long)s->hosts, s->hosts == 1 ? "" : "es",
            (unsigned long long)s->hosts_up, s->hosts_up == 1 ? "" : "s", s->elapsed_s,
            ps_summary_unscanned(s, note, sizeof note), s->interrupted ? "; interrupted: the results are partial" : "");
    fflush(w->fp);
}

const struct ps_writer_ops ps_out_normal = {
    .name = "normal",
    .begin = normal_begin,
    .port = normal_port,
    .host = normal_host,
    .end = normal_end,
};
