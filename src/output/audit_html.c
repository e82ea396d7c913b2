/* audit_html.c: the HTML audit report (-oH, pscan report --html), one
 * self-contained file for someone who never ran pscan:
 *
 *   findings    what the --expect policy says: unexpected ports, missing
 *               ones (--expect-strict), certificates and TLS versions
 *   summary     hosts scanned and up, open ports, services by count, TLS
 *   changes     with a baseline: pscan diff's result, line by line
 *   certificates subject, issuer, names, days left; expired and soon
 *               expiring ones marked
 *   open ports  every one: sortable, filterable and paged with script
 *               (audit_assets.c), the whole table without
 *   scans       what was run, when, how long, by which pscan
 *
 * Every string from a file or the network goes through ps_html_text.  Long
 * lists other than the port table are cut at MAX_LIST rows with a note:
 * a /16 must give a page a browser opens. */
#include <stdlib.h>
#include <string.h>

#include "pscan/audit.h"
#include "pscan/output.h"

#include "output_int.h"

enum { MAX_LIST = 2000, MAX_SERVICES = 40, CHUNK = 1000 };

#define T(s) ps_html_text(fp, (s))
#define S(x) ps_html_text(fp, ps_audit_s(a, (x)))

/* The address kept whole (span.a) where columns size to their text; the
 * port table's columns are fixed, and its 100,000 rows go without. */
static void host_cell(FILE *fp, const ps_audit *a, const ps_addr *h, ps_str name)
{
    char ip[PS_ADDRSTRLEN];
    fputs("<td><span class=\"a\">", fp);
    T(ps_addr_str(h, ip, sizeof ip));
    fputs("</span>", fp);
    if (name) {
        fputs(" (", fp);
        S(name);
        fputc(')', fp);
    }
}

static void cut_note(FILE *fp, size_t shown, size_t total, const char *what)
{
    if (shown < total)
        fprintf(fp, "<p class=\"note\">The first %zu of %zu %s are shown.</p>\n", shown, total, what);
}

static void verdict(FILE *fp, const char *cls, const char *text)
{
    fprintf(fp, "<p class=\"verdict %s\">", cls);
    T(text);
    fputs("</p>\n", fp);
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case PS_CHECK_OPEN: return "unexpected port";
    case PS_CHECK_EXPECTED: return "missing port";
    case PS_CHECK_CERT_DAYS: return "certificate";
    default: return "TLS version";
    }
}

static void findings(FILE *fp, const ps_audit *a, const ps_audit_totals *t)
{
    char line[256];
    fputs("<section id=\"findings\">\n<h2>Policy findings</h2>\n", fp);
    if (!a->policy) {
        int asked = 0;
        for (size_t i = 0; i < a->nscans; i++) asked |= a->scans[i].expect;
        fprintf(fp, "<p class=\"note\">No policy was checked%s.</p>\n</section>\n",
                asked ? ": the scan ran with --expect; give pscan report the same --expect FILE to see its "
                        "findings here" : " (--expect FILE)");
        return;
    }
    fputs("<p>Policy <code>", fp);
    S(a->policy_name);
    fprintf(fp, "</code>%s: %llu checks.</p>\n", a->strict ? " (strict: expected ports must be open)" : "",
            (unsigned long long)t->checks);
    snprintf(line, sizeof line, "%llu violation%s", (unsigned long long)t->failed, t->failed == 1 ? "" : "s");
    verdict(fp, t->failed ? "bad" : "good", t->failed ? line : "No violations: everything the policy checks passed.");
    if (!t->failed) {
        fputs("</section>\n", fp);
        return;
    }
    fputs("<table id=\"findings-table\">\n<thead><tr><th>Host<th>Port<th>Finding<th>Details</thead>\n<tbody>\n", fp);
    size_t shown = 0;
    for (size_t i = 0; i < a->nchecks && shown < MAX_LIST; i++) {
        const ps_audit_check *c = &a->checks[i];
        if (!c->failed) continue;
        shown++;
        fprintf(fp, "<tr class=\"bad\" data-kind=\"%d\">", c->kind);
        host_cell(fp, a, &c->host, 0);
        fprintf(fp, "<td>%u/%s<td>%s<td>", c->port, ps_proto_name(c->proto), kind_name(c->kind));
        S(c->message);
        fputc('\n', fp);
    }
    fputs("</tbody>\n</table>\n", fp);
    cut_note(fp, shown, t->failed, "violations");
    fputs("</section>\n", fp);
}

static void stat(FILE *fp, const char *what, const char *cls, unsigned long long v)
{
    fprintf(fp, "<div%s%s%s><dt>%s<dd>%llu</div>\n", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "", what, v);
}

struct svc_count {
    const char *name;
    size_t n;
};

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int by_count(const void *x, const void *y)
{
    const struct svc_count *a = x, *b = y;
    if (a->n != b->n) return a->n < b->n ? 1 : -1;
    return strcmp(a->name, b->name);
}

static void services(FILE *fp, const ps_audit *a)
{
    const char **v = malloc((a->nports ? a->nports : 1) * sizeof *v);
    struct svc_count *c = malloc((a->nports ? a->nports : 1) * sizeof *c);
    size_t nc = 0;
    if (!v || !c) goto out;
    for (size_t i = 0; i < a->nports; i++) v[i] = ps_audit_s(a, a->ports[i].service);
    qsort(v, a->nports, sizeof *v, by_name);
    for (size_t i = 0; i < a->nports; i++) {
        if (nc && strcmp(c[nc - 1].name, v[i]) == 0) c[nc - 1].n++;
        else c[nc++] = (struct svc_count){v[i], 1};
    }
    qsort(c, nc, sizeof *c, by_count);
    fputs("<h3>Services by count</h3>\n<table id=\"services-table\" class=\"narrow\">\n"
          "<thead><tr><th>Service<th class=\"num\">Open ports</thead>\n<tbody>\n", fp);
    for (size_t i = 0; i < nc && i < MAX_SERVICES; i++) {
        fputs("<tr><td>", fp);
        T(c[i].name[0] ? c[i].name : "unknown");
        fprintf(fp, "<td class=\"num\">%zu\n", c[i].n);
    }
    fputs("</tbody>\n</table>\n", fp);
    cut_note(fp, nc < MAX_SERVICES ? nc : MAX_SERVICES, nc, "services");
out:
    free(v);
    free(c);
}

static void summary(FILE *fp, const ps_audit *a, const ps_audit_totals *t)
{
    fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"stats\">\n", fp);
    stat(fp, "Hosts scanned", NULL, t->hosts_scanned);
    stat(fp, "Hosts up", NULL, t->hosts_up);
    stat(fp, "Open ports", NULL, t->open);
    stat(fp, "TLS services", NULL, t->tls);
    stat(fp, "Certificates expired", t->expired ? "bad" : NULL, t->expired);
    stat(fp, "Expiring within 30 days", t->soon ? "warn" : NULL, t->soon);
    if (a->policy) stat(fp, "Policy violations", t->failed ? "bad" : "good", t->failed);
    stat(fp, "Scans", NULL, a->nscans);
    if (t->elapsed >= 0) {
        fprintf(fp, "<div><dt>Scan time<dd>%.2f s</div>\n", t->elapsed);
    }
    fputs("</dl>\n", fp);
    services(fp, a);
    fputs("</section>\n", fp);
}

static void changes(FILE *fp, const ps_audit *a)
{
    if (!a->baseline_name) return;
    fputs("<section id=\"changes\">\n<h2>Changes since the baseline</h2>\n<p>Compared with <code>", fp);
    S(a->baseline_name);
    fprintf(fp, "</code>, as <code>pscan diff</code> does: %zu difference%s.</p>\n", a->nchanges,
            a->nchanges == 1 ? "" : "s");
    if (!a->nchanges) {
        fputs("</section>\n", fp);
        return;
    }
    fputs("<table id=\"changes-table\">\n<thead><tr><th>Change<th>Host<th>Port<th>What</thead>\n<tbody>\n", fp);
    size_t i;
    for (i = 0; i < a->nchanges && i < MAX_LIST; i++) {
        const ps_audit_change *c = &a->changes[i];
        static const char *const words[][2] = {{"+", "opened"}, {"-", "closed"}, {"~", "changed"},
                                               {"H", "new host"}, {"h", "host gone"}};
        const char *w = "changed", *cls = "warn";
        for (size_t k = 0; k < 5; k++)
            if (c->kind == words[k][0][0]) w = words[k][1];
        if (c->kind == '+' || c->kind == 'H') cls = "bad";
        fprintf(fp, "<tr><td class=\"%s\">%s", cls, w);
        host_cell(fp, a, &c->host, 0);
        if (c->port) fprintf(fp, "<td>%u/%s<td>", c->port, ps_proto_name(c->proto));
        else fputs("<td><td>", fp);
        S(c->text);
        fputc('\n', fp);
    }
    fputs("</tbody>\n</table>\n", fp);
    cut_note(fp, i, a->nchanges, "differences");
    fputs("</section>\n", fp);
}

static int by_days(const void *x, const void *y)
{
    const ps_audit_port *a = *(const ps_audit_port *const *)x, *b = *(const ps_audit_port *const *)y;
    if (a->days_left != b->days_left) return a->days_left < b->days_left ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void cert_row(FILE *fp, const ps_audit *a, const ps_audit_port *p)
{
    const char *cls = p->days_left == PS_DAYS_UNKNOWN ? "" : p->days_left < 0 ? "bad" : p->days_left < PS_AUDIT_SOON_DAYS ? "warn" : "";
    fprintf(fp, "<tr class=\"%s\">", cls);
    host_cell(fp, a, &p->host, p->hostname);
    fprintf(fp, "<td>%u/%s<td>", p->port, ps_proto_name(p->proto));
    S(p->subject);
    fputs("<td>", fp);
    S(p->issuer);
    fputs("<td>", fp);
    S(p->sans);
    fputs("<td>", fp);
    S(p->not_after);
    if (p->days_left == PS_DAYS_UNKNOWN) fputs("<td class=\"num\">?", fp);
    else fprintf(fp, "<td class=\"num\">%ld", (long)p->days_left);
    if (p->days_left != PS_DAYS_UNKNOWN && p->days_left < 0) fputs(" <span class=\"tag bad\">expired</span>", fp);
    else if (*cls) fputs(" <span class=\"tag warn\">soon</span>", fp);
    fputs("<td>", fp);
    S(p->tls_version);
    fputc('\n', fp);
}

static void certificates(FILE *fp, const ps_audit *a, const ps_audit_totals *t)
{
    if (!t->certs) return;
    const ps_audit_port **v = malloc(t->certs * sizeof *v);
    if (!v) return;
    size_t n = 0;
    for (size_t i = 0; i < a->nports; i++)
        if (a->ports[i].flags & PS_AP_CERT) v[n++] = &a->ports[i];
    qsort(v, n, sizeof *v, by_days); /* unknown expiry (INT32_MIN) first: it needs a look */
    fprintf(fp, "<section id=\"certificates\">\n<h2>TLS certificates</h2>\n<p>%zu certificate%s, closest to "
            "expiry first; days left are counted from the scan. Marked: expired, and fewer than %d days left.</p>\n",
            n, n == 1 ? "" : "s", PS_AUDIT_SOON_DAYS);
    fputs("<table id=\"cert-table\">\n<thead><tr><th>Host<th>Port<th>Subject<th>Issuer<th>Names (SAN)"
          "<th>Not after<th class=\"num\">Days left<th>Protocol</thead>\n<tbody>\n", fp);
    for (size_t i = 0; i < n && i < MAX_LIST; i++) cert_row(fp, a, v[i]);
    fputs("</tbody>\n</table>\n", fp);
    cut_note(fp, n < MAX_LIST ? n : MAX_LIST, n, "certificates");
    fputs("</section>\n", fp);
    free(v);
}

static void port_row(FILE *fp, const ps_audit *a, const ps_audit_port *p)
{
    int mm = (p->flags & PS_AP_MISMATCH) != 0;
    char ip[PS_ADDRSTRLEN];
    fputs(mm ? "<tr class=\"mismatch\"><td>" : "<tr><td>", fp);
    T(ps_addr_str(&p->host, ip, sizeof ip));
    if (p->hostname) {
        fputs(" (", fp);
        S(p->hostname);
        fputc(')', fp);
    }
    fprintf(fp, "<td>%u/%s<td>", p->port, ps_proto_name(p->proto));
    S(p->service);
    if (p->flags & PS_AP_GUESS) fputs(" <span class=\"tag\" title=\"the registered name of the port: -sV did not probe it\">registry</span>", fp);
    fputs("<td>", fp);
    S(p->version);
    fputs(mm ? "<td class=\"mm\">" : "<td>", fp);
    S(p->registry);
    if (mm) fputs(" <span class=\"tag warn\">differs</span>", fp);
    fputs("<td>", fp);
    S(p->tls_version);
    if (p->days_left != PS_DAYS_UNKNOWN && p->days_left < 0) fputs(" <span class=\"tag bad\">expired</span>", fp);
    else if (p->days_left != PS_DAYS_UNKNOWN && p->days_left < PS_AUDIT_SOON_DAYS)
        fputs(" <span class=\"tag warn\">expires soon</span>", fp);
    fputs("<td>", fp);
    if (p->banner) {
        fputs("said <code>", fp);
        S(p->banner);
        fputs("</code>", fp);
    }
    fputc('\n', fp);
}

static void ports(FILE *fp, const ps_audit *a)
{
    fprintf(fp, "<section id=\"ports\">\n<h2>Open ports (%zu)</h2>\n", a->nports);
    fputs("<p class=\"note\">SERVICE is what answered (with -sV; else the registry's name). Where it is not what "
          "IANA registers for the port, the REGISTERED cell is marked.</p>\n", fp);
    fputs("<div id=\"port-controls\" class=\"controls\" hidden>\n"
          "<label>Host <input data-col=\"0\" type=\"search\" placeholder=\"198.18.0.\"></label>\n"
          "<label>Port <input data-col=\"1\" type=\"search\" placeholder=\"443\"></label>\n"
          "<label>Service <input data-col=\"2\" type=\"search\" placeholder=\"http\"></label>\n"
          "<label>Product <input data-col=\"3\" type=\"search\" placeholder=\"nginx\"></label>\n"
          "<label>Rows <select><option>100<option>500<option>1000<option>5000</select></label>\n"
          "<button type=\"button\" data-go=\"-1\">Previous</button><button type=\"button\" data-go=\"1\">Next</button>\n"
          "<output></output>\n</div>\n", fp);
    fprintf(fp, "<noscript><p class=\"note\">Sorting, filters and pages need script; all %zu rows follow, by "
            "address.</p></noscript>\n", a->nports);
    fputs("<table id=\"port-table\">\n<colgroup><col class=\"c-host\"><col class=\"c-port\"><col class=\"c-svc\">"
          "<col class=\"c-ver\"><col class=\"c-reg\"><col class=\"c-tls\"><col></colgroup>\n"
          "<thead><tr><th data-col=\"0\">Host<th data-col=\"1\">Port<th data-col=\"2\">Service"
          "<th data-col=\"3\">Product / version<th>Registered<th>TLS<th>Notes</thead>\n", fp);
    /* Bodies of CHUNK rows: the parser hands them over in pieces. */
    for (size_t i = 0; i < a->nports; i++) {
        if (i % CHUNK == 0) fputs(i ? "</tbody>\n<tbody class=\"c\">\n" : "<tbody class=\"c\">\n", fp);
        port_row(fp, a, &a->ports[i]);
    }
    fputs(a->nports ? "</tbody>\n</table>\n" : "</table>\n<p>No open port.</p>\n", fp);
    fputs("</section>\n", fp);
}

static void scans(FILE *fp, const ps_audit *a)
{
    fputs("<section id=\"scans\">\n<h2>Scans</h2>\n<table id=\"scans-table\">\n<thead><tr><th>Source<th>pscan"
          "<th>Started<th class=\"num\">Seconds<th>Type<th class=\"num\">Hosts<th class=\"num\">Up"
          "<th class=\"num\">Ports<th>Command line</thead>\n<tbody>\n", fp);
    for (size_t i = 0; i < a->nscans && i < MAX_LIST; i++) {
        const ps_audit_scan *s = &a->scans[i];
        fputs("<tr><td>", fp);
        S(s->source);
        fputs("<td>", fp);
        S(s->version);
        fputs("<td>", fp);
        S(s->start);
        if (s->elapsed >= 0) fprintf(fp, "<td class=\"num\">%.2f<td>", s->elapsed);
        else fputs("<td class=\"num\">?<td>", fp);
        S(s->scan_type);
        fprintf(fp, "<td class=\"num\">%llu<td class=\"num\">", (unsigned long long)s->hosts);
        if (s->have_summary) fprintf(fp, "%llu", (unsigned long long)s->hosts_up);
        else fputs("?", fp);
        fprintf(fp, "<td class=\"num\">%llu<td><code>", (unsigned long long)s->ports);
        S(s->args);
        fputs("</code>\n", fp);
    }
    fputs("</tbody>\n</table>\n", fp);
    cut_note(fp, a->nscans < MAX_LIST ? a->nscans : MAX_LIST, a->nscans, "scans");
    fputs("</section>\n", fp);
}

static void header(FILE *fp, const ps_audit *a, const ps_audit_totals *t)
{
    char when[48];
    struct timespec ts = {a->generated, 0};
    fprintf(fp, "<header>\n<h1>pscan report</h1>\n<p class=\"sub\">%llu host%s up of %llu scanned, %llu open "
            "port%s", (unsigned long long)t->hosts_up, t->hosts_up == 1 ? "" : "s",
            (unsigned long long)t->hosts_scanned, (unsigned long long)t->open, t->open == 1 ? "" : "s");
    if (a->nscans) {
        fputs("; scan started ", fp);
        S(a->scans[0].start);
    }
    fprintf(fp, "; report made %s by pscan %s.</p>\n</header>\n", ps_iso8601(&ts, when, sizeof when), PSCAN_VERSION);
    fputs("<nav><a href=\"#findings\">Findings</a><a href=\"#summary\">Summary</a>", fp);
    if (a->baseline_name) fputs("<a href=\"#changes\">Changes</a>", fp);
    if (t->certs) fputs("<a href=\"#certificates\">Certificates</a>", fp);
    fputs("<a href=\"#ports\">Open ports</a><a href=\"#scans\">Scans</a></nav>\n", fp);
}

int ps_audit_html(ps_audit *a, FILE *fp, ps_err *e)
{
    ps_audit_totals t;
    char title[128];
    ps_audit_sort(a);
    ps_audit_totals_get(a, &t);
    snprintf(title, sizeof title, "pscan report: %llu host%s, %llu open port%s%s", (unsigned long long)t.hosts_up,
             t.hosts_up == 1 ? "" : "s", (unsigned long long)t.open, t.open == 1 ? "" : "s",
             t.failed ? ", policy violated" : "");
    ps_html_head(fp, title);
    header(fp, a, &t);
    findings(fp, a, &t);
    summary(fp, a, &t);
    changes(fp, a);
    certificates(fp, a, &t);
    ports(fp, a);
    scans(fp, a);
    fputs("<footer>Made by pscan, which never loads anything from the network into this page: it is one file, "
          "readable offline.</footer>\n", fp);
    ps_html_foot(fp);
    if (fflush(fp) || ferror(fp)) return ps_fail(e, PS_ERUNTIME, "writing the HTML report failed");
    return PS_OK;
}
