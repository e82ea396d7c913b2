/* recog_http.c: HTTP, and the protocols that borrowed its message format
 * (RTSP, SIP).
 *
 * The status line names the protocol ("HTTP/1.1 200", "RTSP/1.0 404",
 * "SIP/2.0 200").  The product is in the Server header (SIP: also
 * User-Agent), as one or more "Name/version (comment)" tokens: the first
 * token the table below knows wins ("Debian DLNADOC/1.50 UPnP/1.0
 * MiniDLNA/1.3.0" is MiniDLNA), else the first token with a version.  A
 * proxy that answers itself names itself in Via ("1.1 host (squid/5.7)").
 * What the header does not say but the reply does -- X-Powered-By, a
 * WWW-Authenticate realm -- goes to the extra info.  Product-specific
 * bodies and headers (a Tomcat error page, InfluxDB's version header) are
 * for the probe files' regexes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "recog_int.h"

/* Software as it names itself in Server or Via, and pscan's name for it. */
static const rg_product http_products[] = {
    {"Apache", "Apache httpd", NULL},
    {"nginx", "nginx", NULL},
    {"lighttpd", "lighttpd", NULL},
    {"Microsoft-IIS", "Microsoft IIS httpd", NULL},
    {"Jetty", "Jetty", NULL},
    {"gunicorn", "Gunicorn", NULL},
    {"h2o", "h2o", NULL},
    {"mini_httpd", "mini_httpd", NULL},
    {"webfs", "webfs", NULL},
    {"Icecast", "Icecast streaming media server", NULL},
    {"MiniDLNA", "MiniDLNA", "upnp"},
    {"CUPS", "CUPS", "ipp"},
    {"TwistedWeb", "Twisted Web httpd", NULL},
    {"SimpleHTTP", "Python http.server", NULL},
    {"BaseHTTP", "Python BaseHTTPServer", NULL},
    {"Werkzeug", "Werkzeug httpd", NULL},
    {"uvicorn", "Uvicorn", NULL},
    {"Caddy", "Caddy httpd", NULL},
    {"openresty", "OpenResty web app server", NULL},
    {"Kestrel", "Kestrel", NULL},
    {"monit", "Monit httpd", NULL},
    {"squid", "Squid http proxy", "http-proxy"},
    {"tinyproxy", "tinyproxy", "http-proxy"},
    {"Varnish", "Varnish http accelerator", NULL},
    {"ATS", "Apache Traffic Server", "http-proxy"},
    {"ApacheTrafficServer", "Apache Traffic Server", "http-proxy"},
    {"Apt-Cacher", "Apt-Cacher NG", NULL},
    {"thttpd", "thttpd", NULL},
    {"Boa", "Boa httpd", NULL},
    {"GoAhead-Webs", "GoAhead WebServer", NULL},
    {"Node.js", "Node.js", NULL},
    {"kamailio", "Kamailio SIP Server", NULL},
    {"Asterisk", "Asterisk", NULL},
    {"GStreamer", "GStreamer RTSP server", NULL},
    {NULL, NULL, NULL},
};

struct pick {
    const rg_product *known;
    const char *name, *ver;
    size_t nlen, vlen;
};

/* The product among the tokens of a Server-like value: the first token the
 * table knows, else the first one with a version ("Foo/1.2"). */
static int pick_product(const char *v, size_t n, struct pick *pk)
{
    int found = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '(' || v[i] == ')' || v[i] == ',' || v[i] == ';')) i++;
        const char *ver;
        size_t vlen, name = rg_token(v + i, n - i, &ver, &vlen);
        if (!name) {
            while (i < n && v[i] != ' ') i++;
            continue;
        }
        const rg_product *k = rg_product_find(http_products, v + i, name);
        if (k || (!found && vlen)) {
            *pk = (struct pick){k, v + i, ver, name, vlen};
            found = 1;
            if (k) return 1;
        }
        i += name;
        if (vlen) i = (size_t)(ver - v) + vlen;
        while (i < n && v[i] != ' ' && v[i] != '(') i++;
    }
    return found;
}

/* Via: "1.1 host (squid/5.7)", "1.1 varnish (Varnish/7.1)": the comment. */
static int pick_via(const rg_in *in, struct pick *pk)
{
    const char *v;
    size_t n;
    if (!rg_header(in, "Via", &v, &n)) return 0;
    const char *open = memchr(v, '(', n);
    return open && pick_product(open + 1, n - (size_t)(open + 1 - v), pk) && pk->known;
}

/* X-Powered-By and a realm say more about the server: the extra info. */
static void extra_info(const rg_in *in, ps_service_info *out)
{
    const char *v;
    size_t n;
    if (rg_header(in, "X-Powered-By", &v, &n)) {
        rg_copy(out->info, sizeof out->info, v, n);
        return;
    }
    if (!rg_header(in, "WWW-Authenticate", &v, &n)) return;
    long r = rg_find(v, n, "realm=\"");
    if (r < 0) return;
    const char *s = v + r + 7, *q = memchr(s, '"', n - (size_t)(r + 7));
    if (!q) return;
    char realm[128];
    rg_copy(realm, sizeof realm, s, (size_t)(q - s));
    snprintf(out->info, sizeof out->info, "realm: %s", realm);
}

int rg_http(const rg_in *in, ps_service_info *out)
{
    const char *service, *hdr = "Server";
    if (rg_prefix(in, "HTTP/1.") || rg_prefix(in, "HTTP/2") || rg_prefix(in, "HTTP/0.9")) service = "http";
    else if (rg_prefix(in, "RTSP/1.")) service = "rtsp";
    else if (rg_prefix(in, "SIP/2.0 ")) service = "sip";
    else return 0;
    /* The status code follows the version: three digits. */
    const char *sp = memchr(in->p, ' ', in->n < 16 ? in->n : 16);
    if (!sp || (size_t)(sp - (const char *)in->p) + 4 > in->n) return 0;
    for (int i = 1; i <= 3; i++)
        if (sp[i] < '0' || sp[i] > '9') return 0;
    const char *v;
    size_t n;
    struct pick pk = {0};
    int have = (rg_header(in, hdr, &v, &n) || (service[0] == 's' && rg_header(in, "User-Agent", &v, &n))) &&
               pick_product(v, n, &pk);
    struct pick via;
    if (!(have && pk.known)) {
        if (pick_via(in, &via)) pk = via, have = 1;
    } else if (!pk.vlen && pick_via(in, &via) && via.known == pk.known) {
        pk.ver = via.ver, pk.vlen = via.vlen; /* "Server: Varnish", "Via: ... (Varnish/7.1)" */
    }
    if (have && pk.known && pk.known->service && strcmp(service, "http") == 0) service = pk.known->service;
    /* A TLS server answering plain HTTP says so (nginx: "The plain HTTP
     * request was sent to HTTPS port"; Apache: "speaking plain HTTP to an
     * SSL-enabled server port"): the service is HTTP inside TLS. */
    if (strcmp(service, "http") == 0 &&
        (rg_find((const char *)in->p, in->n, "plain HTTP request was sent to HTTPS") >= 0 ||
         rg_find((const char *)in->p, in->n, "speaking plain HTTP to an SSL-enabled") >= 0))
        service = "ssl/http";
    const char *product = have ? (pk.known ? pk.known->product : pk.name) : NULL;
    size_t plen = !have ? 0 : pk.known ? strlen(pk.known->product) : pk.nlen;
    int lv = rg_fill(out, service, product, plen, pk.ver, pk.vlen);
    extra_info(in, out);
    return lv;
}
