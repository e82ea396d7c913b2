/* test_diff.c: the JSON checker, the JSON Lines and XML readers, and the
 * comparison behind `pscan diff`. */
#include <stdlib.h>
#include <string.h>

#include "pscan/diff.h"
#include "unit.h"

static int json_ok(const char *s)
{
    ps_err e;
    return ps_json_check(s, strlen(s), &e) == PS_OK;
}

static void test_json_check(void)
{
    const char *good[] = {"{}", "[]", " {\"a\":[1,-2.5e+3,true,false,null,\"x\\u00e9\\ud83d\\ude00\"]} ",
                          "0", "\"\\/\\b\"", "{\"a\":{\"b\":{}}}", "-0.0E1"};
    const char *bad[] = {"", "{", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "+1", "\"\x01\"", "\"\xff\"",
                         "{a:1}", "'x'", "[1] [2]", "tru", "\"\\x41\"", "\"\\u12\"", "NaN", "{\"a\" 1}"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) CHECK(json_ok(good[i]), "rejected %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(!json_ok(bad[i]), "accepted %s", bad[i]);
    /* Deep nesting is refused, not a stack overflow. */
    char deep[20001];
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = 0;
    ps_err e;
    CHECK(ps_json_check(deep, 20000, &e) == PS_EINPUT && strstr(e.msg, "deep"), "deep: %s", e.msg);
}

static const char OLD_JSONL[] =
    "{\"schema\":1,\"type\":\"scan\",\"version\":\"0.1.0\"}\n"
    "{\"schema\":1,\"type\":\"port\",\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}\n"
    "{\"schema\":1,\"type\":\"host\",\"host\":\"127.0.0.1\",\"ports\":["
    "{\"port\":22,\"proto\":\"tcp\",\"state\":\"open\",\"registry\":{\"name\":\"ssh\"},"
    "\"service\":{\"name\":\"ssh\",\"product\":\"OpenSSH\",\"version\":\"9.2p1\"}},"
    "{\"port\":80,\"proto\":\"tcp\",\"state\":\"closed\",\"registry\":{\"name\":\"http\"}},"
    "{\"port\":443,\"proto\":\"tcp\",\"state\":\"open\",\"service\":{\"name\":\"http\",\"tls\":{}}}]}\n"
    "{\"schema\":1,\"type\":\"port\",\"host\":\"::1\",\"port\":8080,\"proto\":\"tcp\",\"state\":\"open\"}\n"
    "{\"schema\":1,\"type\":\"summary\"}\n";

static const char NEW_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE nmaprun [ <!ENTITY x \"y\"> ]>\n"
    "<?xml-stylesheet href=\"nmap.xsl\" type=\"text/xsl\"?>\n"
    "<!-- Nmap 7.93 scan -->\n"
    "<nmaprun scanner=\"nmap\" args=\"nmap -sV\" version=\"7.93\" xmloutputversion=\"1.05\">\n"
    "<hosthint><status state=\"up\" reason=\"unknown-response\" reason_ttl=\"0\"/>"
    "<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/></hosthint>\n"
    "<host starttime=\"1\"><status state=\"up\" reason=\"localhost-response\" reason_ttl=\"0\"/>\n"
    "<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/>\n<address addr=\"00:11:22:33:44:55\" addrtype=\"mac\"/>\n"
    "<hostnames><hostname name=\"localhost\" type=\"user\"/></hostnames>\n"
    "<ports><extraports state=\"closed\" count=\"997\"><extrareasons reason=\"reset\" count=\"997\"/></extraports>\n"
    "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" reason=\"syn-ack\" reason_ttl=\"64\"/>"
    "<service name=\"ssh\" product=\"OpenSSH\" version=\"9.3p1\" method=\"probed\" conf=\"10\">"
    "<cpe>cpe:/a:openbsd:openssh:9.3p1</cpe></service></port>\n"
    "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\" reason=\"syn-ack\" reason_ttl=\"64\"/>"
    "<service name=\"http\" product=\"A &amp; B &#x263a;\" method=\"probed\" conf=\"10\"/></port>\n"
    "<port protocol=\"tcp\" portid=\"443\"><state state=\"filtered\" reason=\"no-response\" reason_ttl=\"0\"/></port>\n"
    "<port protocol=\"sctp\" portid=\"9\"><state state=\"open\" reason=\"init-ack\" reason_ttl=\"0\"/></port>\n"
    "</ports><times srtt=\"1\" rttvar=\"1\" to=\"1\"/></host>\n"
    "<host><status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/><address addr=\"127.0.0.2\" addrtype=\"ipv4\"/></host>\n"
    "<host><status state=\"up\" reason=\"syn-ack\" reason_ttl=\"0\"/><address addr=\"127.0.0.3\" addrtype=\"ipv4\"/>"
    "<ports/></host>\n"
    "<runstats><finished time=\"2\" elapsed=\"1\"/><hosts up=\"2\" down=\"1\" total=\"3\"/></runstats>\n"
    "</nmaprun>\n";

static void test_readers(void)
{
    ps_diff_result a = {0}, b = {0};
    ps_err e = {{0}};
    CHECK(ps_diff_read(&a, OLD_JSONL, sizeof OLD_JSONL - 1, "old.jsonl", &e) == PS_OK, "%s", e.msg);
    /* Host line wins for 127.0.0.1; ::1 only has a port line (cut scan). */
    CHECK(a.nports == 4 && a.nhosts == 2, "%zu ports %zu hosts", a.nports, a.nhosts);
    CHECK(ps_diff_read(&b, NEW_XML, sizeof NEW_XML - 1, "new.xml", &e) == PS_OK, "%s", e.msg);
    CHECK(b.nports == 3 && b.nhosts == 2, "%zu ports %zu hosts", b.nports, b.nhosts);
    for (size_t i = 0; i < b.nports; i++)
        if (b.ports[i].port == 80) CHECK_STR(b.ports[i].product, "A & B \xe2\x98\xba");

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    size_t n = ps_diff_compare(&a, &b, out);
    fclose(out);
    CHECK(n == 6, "%zu differences:\n%s", n, text);
    CHECK(strstr(text, "  ~ 22/tcp changed: version 9.2p1 -> 9.3p1\n") != NULL, "%s", text);
    CHECK(strstr(text, "  + 80/tcp opened: http A & B \xe2\x98\xba (was closed)\n") != NULL, "%s", text);
    CHECK(strstr(text, "  - 443/tcp closed: was ssl/http (now filtered)\n") != NULL, "%s", text);
    CHECK(strstr(text, "  - 8080/tcp closed: was unknown (host not in NEW)\n") != NULL, "%s", text);
    CHECK(strstr(text, "+ host 127.0.0.3 (only in NEW)\n") != NULL, "%s", text);
    CHECK(strstr(text, "- host ::1 (only in OLD)\n") != NULL, "%s", text);
    free(text);

    out = fopen("/dev/null", "w");
    CHECK(ps_diff_compare(&a, &a, out) == 0, "a file equals itself");
    CHECK(ps_diff_compare(&b, &b, out) == 0, "a file equals itself");
    fclose(out);
    ps_diff_result_free(&a);
    ps_diff_result_free(&b);
}

static void expect_bad(const char *doc, const char *want)
{
    ps_diff_result r = {0};
    ps_err e = {{0}};
    CHECK(ps_diff_read(&r, doc, strlen(doc), "f", &e) == PS_EINPUT, "accepted: %s", doc);
    CHECK(strstr(e.msg, want) != NULL, "message '%s' lacks '%s'", e.msg, want);
    ps_diff_result_free(&r);
}

static void test_malformed(void)
{
    expect_bad("", "empty");
    expect_bad("hello", "neither");
    expect_bad("{\"type\":\"scan\"}\n{\"type\":\"host\",\"host\":\"1.2.3.4\",\"ports\":[{\"port\":0}]}\n",
               "f:2: \"port\" is not a port number");
    expect_bad("{\"type\":\"scan\"}\n\n{\"type\":\"host\",\"host\":\"nope\"}\n", "f:3: \"host\" is not an address");
    expect_bad("{\"schema\":2,\"type\":\"scan\"}\n", "f:1: schema is newer");
    /* Cut short in the middle: damage, not a killed scan (that is the last line only). */
    expect_bad("{\"type\":\"scan\"}\n{\"type\":\"port\",\"host\":\"1.2.3.4\",\"port\":22,\"proto\":\"tcp\",\"st\n"
               "{\"type\":\"summary\"}\n", "f:2: column");
    expect_bad("{\"type\":\"port\",\"host\":\"1.2.3.4\",\"port\":22,\"proto\":\"tcp\",\"st", "f:1: column");
    expect_bad("<nmaprun>\n<host>\n</nmaprun>", "f:3: end tag does not match");
    expect_bad("<nmaprun>\n<host><status state=\"up\"/>", "unexpected end of file");
    expect_bad("<foo/>", "root element <foo> is not <nmaprun>");
    expect_bad("<nmaprun a=\"1\" a=\"2\"/>", "attribute given twice");
    expect_bad("<nmaprun a=\"&xxe;\"/>", "unknown entity");
    expect_bad("<nmaprun a=\"&#0;\"/>", "bad character reference");
    expect_bad("<nmaprun>\x01</nmaprun>", "not allowed in XML");
    expect_bad("<nmaprun><host><address addr=\"1.2.3.4\"/><ports><port protocol=\"tcp\" portid=\"99999\">"
               "<state state=\"open\"/></port></ports></host></nmaprun>", "portid");
    expect_bad("<nmaprun></nmaprun><nmaprun/>", "second root");
    char deep[2000] = "<nmaprun>";
    for (int i = 0; i < 100; i++) strcat(deep, "<a>");
    expect_bad(deep, "nested too deeply");
}

/* A killed scan's JSON Lines: the last line cut short, without its newline,
 * is left out and noted; everything before it counts. */
static void test_cut_last_line(void)
{
    static const char doc[] =
        "{\"type\":\"scan\"}\n"
        "{\"type\":\"host\",\"host\":\"127.0.0.1\",\"ports\":[{\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}]}\n"
        "{\"type\":\"host\",\"host\":\"127.0.0.2\",\"ports\":[{\"port\":22,\"pro";
    ps_diff_result r = {0};
    ps_err e = {{0}};
    CHECK(ps_diff_read(&r, doc, sizeof doc - 1, "cut.jsonl", &e) == PS_OK, "%s", e.msg);
    CHECK(r.cut_line == 3, "cut line %d", r.cut_line);
    CHECK(r.nports == 1 && r.nhosts == 1, "%zu ports %zu hosts", r.nports, r.nhosts);
    ps_diff_result_free(&r);
}

/* One scan's unnamed services read the same from its JSON Lines (a null
 * -sV name, service_source "none", the registry's name beside) and its
 * XML (name="unknown"), whether the XML is pscan's (probed, conf 0) or in
 * nmap's older table style: no difference, no name. */
static void test_unnamed_service_alike(void)
{
    static const char json[] =
        "{\"type\":\"host\",\"host\":\"127.0.0.1\",\"ports\":["
        "{\"port\":4,\"proto\":\"tcp\",\"state\":\"open\",\"registry\":{\"name\":null},"
        "\"service_source\":\"none\",\"service\":{\"name\":null,\"status\":\"unknown\"}},"
        "{\"port\":22,\"proto\":\"tcp\",\"state\":\"open\",\"registry\":{\"name\":\"ssh\"},"
        "\"service_source\":\"none\",\"service\":{\"name\":null,\"status\":\"unknown\"}},"
        "{\"port\":80,\"proto\":\"tcp\",\"state\":\"open\",\"registry\":{\"name\":\"http\"},"
        "\"service_source\":\"registry\"}]}\n";
    static const char *const xml[] = {
        "<nmaprun><host><status state=\"up\"/><address addr=\"127.0.0.1\" addrtype=\"ipv4\"/><ports>"
        "<port protocol=\"tcp\" portid=\"4\"><state state=\"open\"/><service name=\"unknown\" method=\"probed\" conf=\"0\"/></port>"
        "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\"/><service name=\"unknown\" method=\"probed\" conf=\"0\"/></port>"
        "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\"/><service name=\"http\" method=\"table\" conf=\"3\"/></port>"
        "</ports></host></nmaprun>\n",
        "<nmaprun><host><status state=\"up\"/><address addr=\"127.0.0.1\" addrtype=\"ipv4\"/><ports>"
        "<port protocol=\"tcp\" portid=\"4\"><state state=\"open\"/><service name=\"unknown\" method=\"table\" conf=\"3\"/></port>"
        "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\"/><service name=\"unknown\" method=\"table\" conf=\"3\"/></port>"
        "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\"/><service name=\"http\" method=\"table\" conf=\"3\"/></port>"
        "</ports></host></nmaprun>\n",
    };
    ps_diff_result a = {0};
    ps_err e = {{0}};
    CHECK(ps_diff_read(&a, json, sizeof json - 1, "s.jsonl", &e) == PS_OK, "%s", e.msg);
    for (size_t i = 0; i < a.nports; i++)
        CHECK(strcmp(a.ports[i].service, a.ports[i].port == 80 ? "http" : "") == 0, "JSON %u: '%s'", a.ports[i].port,
              a.ports[i].service);
    for (size_t k = 0; k < 2; k++) {
        ps_diff_result b = {0};
        CHECK(ps_diff_read(&b, xml[k], strlen(xml[k]), "s.xml", &e) == PS_OK, "%s", e.msg);
        FILE *out = fopen("/dev/null", "w");
        CHECK(a.nports == 3 && b.nports == 3 && ps_diff_compare(&a, &b, out) == 0, "XML %zu: no difference", k);
        fclose(out);
        ps_diff_result_free(&b);
    }
    ps_diff_result_free(&a);
}

int main(void)
{
    RUN(test_json_check);
    RUN(test_cut_last_line);
    RUN(test_unnamed_service_alike);
    RUN(test_readers);
    RUN(test_malformed);
    return UNIT_END();
}
