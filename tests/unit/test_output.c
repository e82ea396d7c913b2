/* test_output.c: the writers (normal, JSON, XML, grepable) on synthetic
 * results with hostile service data: terminal escapes, NUL bytes, invalid
 * UTF-8, XML specials, full-size fields.  JSON lines are checked with
 * pscan's own strict parser, XML with its reader (and with xmllint against
 * nmap's DTD when both are installed), text for raw control bytes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/diff.h"
#include "pscan/escape.h"
#include "pscan/localinfo.h"
#include "pscan/output.h"
#include "pscan/service.h"
#include "unit.h"

static const char HOSTILE[] = "\x1b[2J\x1b]52;c;aGk=\x07\0evil\xff\xfe\xc2\x9b<x>&\"'/,|\n";

static ps_svc_result svc_ssh, svc_tls, svc_mis, svc_unk;
static ps_proc_info proc_sshd;
static ps_port_result rows[6];
static ps_host_result host;
static ps_config cfg;
static char tmpdir[] = "/tmp/pscan-test-output.XXXXXX";

static void setup(void)
{
    memset(&svc_ssh, 0, sizeof svc_ssh);
    svc_ssh.status = PS_SVC_MATCH;
    strcpy(svc_ssh.info.service, "ssh");
    strcpy(svc_ssh.info.product, "OpenSSH");
    strcpy(svc_ssh.info.version, "9.2p1 \x1b[31mred");
    strcpy(svc_ssh.info.info, "protocol 2.0; <b>&</b>");
    strcpy(svc_ssh.info.cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    svc_ssh.info.ncpe = 1;
    svc_ssh.probe = "NULL";

    svc_tls = svc_ssh;
    strcpy(svc_tls.info.service, "http");
    strcpy(svc_tls.info.product, "nginx");
    strcpy(svc_tls.info.version, "1.24.0");
    svc_tls.info.info[0] = 0;
    svc_tls.tls = 1;
    svc_tls.has_cert = 1;
    strcpy(svc_tls.cert.version, "TLSv1.3");
    strcpy(svc_tls.cert.cipher, "TLS_AES_256_GCM_SHA384");
    strcpy(svc_tls.cert.subject, "CN=evil\\x1b[2J,O=<pscan>");
    strcpy(svc_tls.cert.issuer, "CN=test CA");
    strcpy(svc_tls.cert.not_after, "2030-01-01T00:00:00Z");
    /* Full-size field with no NUL: writers must stop at the field's end. */
    memset(svc_tls.cert.sans, 'A', sizeof svc_tls.cert.sans);

    svc_mis = svc_ssh;
    svc_mis.info.version[0] = 0;
    strcpy(svc_mis.info.version, "9.2p1");
    svc_mis.info.info[0] = 0;

    memset(&svc_unk, 0, sizeof svc_unk);
    svc_unk.status = PS_SVC_UNKNOWN;
    svc_unk.probe = "GetRequest";
    memcpy(svc_unk.banner, HOSTILE, sizeof HOSTILE - 1);
    for (size_t i = sizeof HOSTILE - 1; i < sizeof svc_unk.banner; i++) svc_unk.banner[i] = (uint8_t)(i * 7);
    svc_unk.banner_len = sizeof svc_unk.banner;

    memset(&proc_sshd, 0, sizeof proc_sshd);
    proc_sshd.found = proc_sshd.visible = 1;
    proc_sshd.pid = 812;
    strcpy(proc_sshd.name, "sshd\x1b[1m");
    strcpy(proc_sshd.cmdline, "/usr/sbin/sshd -D \xff");
    strcpy(proc_sshd.user, "root");
    strcpy(proc_sshd.bind, "0.0.0.0");

    rows[0] = (ps_port_result){.proto = PS_TCP, .port = 22, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = &svc_ssh, .proc = &proc_sshd};
    rows[1] = (ps_port_result){.proto = PS_TCP, .port = 80, .state = PS_ST_CLOSED, .reason = PS_R_RESET, .ttl = -1, .svc = NULL, .proc = NULL};
    rows[2] = (ps_port_result){.proto = PS_TCP, .port = 443, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = &svc_tls, .proc = NULL};
    rows[3] = (ps_port_result){.proto = PS_TCP, .port = 2740, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = &svc_mis, .proc = NULL};
    rows[4] = (ps_port_result){.proto = PS_TCP, .port = 4444, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = &svc_unk, .proc = NULL};
    rows[5] = (ps_port_result){.proto = PS_TCP, .port = 50000, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = 64, .svc = NULL, .proc = NULL};

    memset(&host, 0, sizeof host);
    ps_addr_parse("198.18.0.5", &host.addr);
    host.name = "web\x1b]0;pwned\x07.example";
    host.up = 1;
    host.latency_s = 0.0005;
    host.ports = rows;
    host.nports = 6;
    host.nhidden = 1;
    host.hidden[0] = (ps_hidden_state){.proto = PS_TCP, .state = PS_ST_CLOSED, .reason = PS_R_RESET, .count = 994};
    host.scanned = 1000;

    memset(&cfg, 0, sizeof cfg);
    cfg.version_detect = 1;
    cfg.ports = "1-1000,2740,4444,50000";
}

/* Run one writer over the synthetic scan; returns the file's bytes. */
static char *run_writer(enum ps_output_format f, const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ps_output_spec spec = {f, path};
    ps_writer w;
    ps_err e = {{0}};
    if (ps_writer_open(&w, &spec, &cfg, NULL, &e)) {
        CHECK(0, "open: %s", e.msg);
        return NULL;
    }
    char *argv[] = {"pscan", "-sV", "--", "x\x1b[2J"};
    ps_scan_info info = {.scan_type = "syn", .nhosts = 1, .nports = 1003, .argc = 4, .argv = argv};
    clock_gettime(CLOCK_REALTIME, &info.start);
    ps_scan_summary sum = {.elapsed_s = 1.5, .hosts = 1, .hosts_up = 1};
    sum.by_state[PS_ST_OPEN] = 5;
    sum.by_state[PS_ST_CLOSED] = 995;
    if (w.ops->begin) w.ops->begin(&w, &info);
    for (size_t i = 0; i < host.nports; i++)
        if (w.ops->port && rows[i].state == PS_ST_OPEN) w.ops->port(&w, &host.addr, host.name, &rows[i]);
    if (w.ops->host) w.ops->host(&w, &host);
    if (w.ops->end) w.ops->end(&w, &sum);
    ps_writer_close(&w);
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(1, 1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    return buf;
}

/* No raw control byte other than newline (and tab where allowed), and
 * every character safe for a terminal. */
static int safe_text(const char *s, size_t len, int tabs_ok)
{
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t k = ps_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (!k) return 0;
        if (ps_cp_unsafe(cp) && cp != '\n' && !(tabs_ok && cp == '\t')) return 0;
        i += k;
    }
    return 1;
}

static void test_json_lines(void)
{
    size_t len;
    char *out = run_writer(PS_OUT_JSON, "out.jsonl", &len);
    if (!out) return;
    CHECK(safe_text(out, len, 0), "JSON output has raw unsafe bytes");
    int lines = 0;
    for (char *l = out, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
        ps_err e = {{0}};
        lines++;
        CHECK(ps_json_check(l, (size_t)(nl - l), &e) == PS_OK, "line %d: %s: %.*s", lines, e.msg, 200, l);
    }
    /* scan, 5 open ports as found, host, summary */
    CHECK(lines == 8, "%d lines", lines);
    CHECK(strstr(out, "\"mismatch\":true") != NULL, "2740 mismatch flagged");
    CHECK(strstr(out, "\"name\":\"alarm\"") != NULL, "registry name for 2740");
    CHECK(strstr(out, "\"status\":\"dynamic\"") != NULL, "50000 is dynamic");
    CHECK(strstr(out, "\"banner_hex\":\"1b5b324a") != NULL, "banner hex");
    CHECK(strstr(out, "\"pid\":812") != NULL, "process");
    CHECK(strstr(out, "\"sans\":\"AAAA") != NULL, "unterminated field read within bounds");
    CHECK(strstr(out, "\\u001b[31mred") != NULL, "escape kept as \\u001b");

    ps_diff_result r = {0};
    ps_err e = {{0}};
    CHECK(ps_diff_read_json(&r, out, len, "out.jsonl", &e) == PS_OK, "%s", e.msg);
    CHECK(r.nports == 6 && r.nhosts == 1, "%zu ports, %zu hosts", r.nports, r.nhosts);
    for (size_t i = 0; i < r.nports; i++)
        if (r.ports[i].port == 443) {
            CHECK_STR(r.ports[i].service, "ssl/http");
            CHECK_STR(r.ports[i].product, "nginx");
        }
    ps_diff_result_free(&r);
    free(out);
}

static void test_xml_out(void)
{
    size_t len;
    char *out = run_writer(PS_OUT_XML, "out.xml", &len);
    if (!out) return;
    CHECK(safe_text(out, len, 0), "XML output has raw unsafe bytes");
    ps_diff_result r = {0};
    ps_err e = {{0}};
    CHECK(ps_diff_read_xml(&r, out, len, "out.xml", &e) == PS_OK, "%s", e.msg);
    CHECK(r.nports == 6, "%zu ports", r.nports);
    for (size_t i = 0; i < r.nports; i++)
        if (r.ports[i].port == 22) CHECK_STR(r.ports[i].version, "9.2p1 \\x1b[31mred");
    ps_diff_result_free(&r);
    CHECK(strstr(out, "<script id=\"pscan\"") != NULL && strstr(out, "<table key=\"process\">") != NULL,
          "process table in the pscan script");
    /* One script per port at most: ndiff cannot sort two. */
    for (const char *q = out; (q = strstr(q, "<port ")) != NULL; q++) {
        const char *end = strstr(q, "</port>");
        const char *s1 = strstr(q, "<script");
        CHECK(!s1 || !end || s1 > end || !strstr(s1 + 1, "<script") || strstr(s1 + 1, "<script") > end,
              "two scripts in one port");
    }
    CHECK(strstr(out, "tunnel=\"ssl\"") != NULL, "tls tunnel");
    CHECK(strstr(out, "servicefp=\"\\x1b[2J") != NULL, "banner in servicefp");
    if (access("/usr/share/nmap/nmap.dtd", R_OK) == 0 && system("command -v xmllint >/dev/null 2>&1") == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd %s/out.xml", tmpdir);
        CHECK(system(cmd) == 0, "xmllint --dtdvalid failed");
    } else {
        printf("# xmllint or nmap.dtd missing: DTD validation skipped\n");
    }
    free(out);
}

static void test_normal_out(void)
{
    size_t len;
    char *out = run_writer(PS_OUT_NORMAL, "out.nmap", &len);
    if (!out) return;
    CHECK(safe_text(out, len, 0), "normal output has raw unsafe bytes");
    CHECK(strstr(out, "VERSION") && strstr(out, "PROCESS"), "columns");
    CHECK(strstr(out, "2740/tcp  open   ssh      OpenSSH 9.2p1 (registered: alarm)") != NULL, "registry note:\n%s", out);
    CHECK(strstr(out, "443/tcp   open   ssl/http nginx 1.24.0") != NULL, "ssl/http");
    CHECK(strstr(out, "812/sshd\\x1b[1m (root)") != NULL, "process cell");
    CHECK(strstr(out, "4444/tcp unrecognised, sent 512 bytes (to probe GetRequest): \\x1b[2J") != NULL,
          "fingerprint line");
    CHECK(strstr(out, " \n") == NULL, "no trailing blanks");
    free(out);
}

static void test_grep_out(void)
{
    size_t len;
    char *out = run_writer(PS_OUT_GREP, "out.gnmap", &len);
    if (!out) return;
    CHECK(safe_text(out, len, 1), "grep output has raw unsafe bytes");
    CHECK(strstr(out, "22/open/tcp/root/ssh//OpenSSH 9.2p1 \\x1b[31mred (protocol 2.0; <b>&<\\x2fb>)/") != NULL,
          "ssh entry:\n%s", out);
    CHECK(strstr(out, "443/open/tcp//ssl|http//nginx 1.24.0/") != NULL, "ssl|http");
    CHECK(strstr(out, "Registry: 22/tcp/ssh/assigned/") != NULL, "registry field");
    CHECK(strstr(out, "2740/tcp/alarm/assigned/mismatch") != NULL, "mismatch");
    CHECK(strstr(out, "Processes: 22/tcp/812/sshd\\x1b[1m/root") != NULL, "processes");
    /* Exactly four fields separators on the Ports line's tail: no forged tabs. */
    char *ports = strstr(out, "\tPorts: ");
    int tabs = 0;
    for (char *c = ports; c && *c && *c != '\n'; c++) tabs += *c == '\t';
    CHECK(tabs == 4, "%d tabs", tabs);
    free(out);
}

static void test_names_agree(void)
{
    CHECK(ps_svc_names_agree("https", "http"), "https/http");
    CHECK(ps_svc_names_agree("http-alt", "http-proxy"), "http-alt/http-proxy");
    CHECK(ps_svc_names_agree("submission", "smtp"), "submission/smtp");
    CHECK(!ps_svc_names_agree("alarm", "ssh"), "alarm/ssh");
    CHECK(!ps_svc_names_agree("ms-wbt-server", "ms-sql-s"), "short first words do not count");
}

static void test_service_cells(void)
{
    char b[128];
    ps_svc_result s;
    memset(&s, 0, sizeof s);
    ps_port_result p = {.proto = PS_TCP, .port = 2740, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .ttl = -1, .svc = &s, .proc = NULL};
    enum ps_name_source src;
    ps_config sv_cfg = {.version_detect = 1};
    ps_writer sv = {.cfg = &sv_cfg};
    s.status = PS_SVC_UNKNOWN;
    CHECK_STR(ps_port_service(&sv, &p, b, sizeof b, &src), "unknown");
    CHECK(src == PS_NAME_NONE, "-sV named nothing: no source, not the registry's alarm");
    s.tls = 1;
    CHECK_STR(ps_port_service(&sv, &p, b, sizeof b, &src), "ssl/unknown");
    CHECK(src == PS_NAME_PROBED, "ssl/unknown: the wire said TLS");
    s.status = PS_SVC_TCPWRAPPED;
    s.tls = 0;
    CHECK_STR(ps_port_service(&sv, &p, b, sizeof b, &src), "tcpwrapped");
    CHECK(src == PS_NAME_PROBED, "tcpwrapped is probed");
    p.svc = NULL;
    CHECK_STR(ps_port_service(&sv, &p, b, sizeof b, &src), "unknown");
    CHECK(src == PS_NAME_NONE, "-sV without a result for an open port: unknown, not alarm");
    CHECK_STR(ps_port_service(NULL, &p, b, sizeof b, &src), "alarm");
    CHECK(src == PS_NAME_REGISTRY, "a port scan: the registry's name, and it says so");
    p.state = PS_ST_CLOSED;
    CHECK_STR(ps_port_service(&sv, &p, b, sizeof b, &src), "alarm");
    CHECK(src == PS_NAME_REGISTRY, "a closed port under -sV: the registry's name");
    p.state = PS_ST_OPEN;
    p.port = 65001;
    CHECK_STR(ps_port_service(NULL, &p, b, sizeof b, &src), "unknown");
    CHECK(src == PS_NAME_NONE, "nothing registered: unknown");
    CHECK_STR(ps_port_version(&p, b, sizeof b), "");
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    setup();
    RUN(test_json_lines);
    RUN(test_xml_out);
    RUN(test_normal_out);
    RUN(test_grep_out);
    RUN(test_names_agree);
    RUN(test_service_cells);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (getenv("PSCAN_TEST_KEEP")) printf("# outputs kept in %s\n", tmpdir);
    else if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    return UNIT_END();
}
