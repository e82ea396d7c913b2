#!/usr/bin/env python3
"""zoo_score.py NMAP.tsv PSCAN.tsv > compare.md: how many zoo daemons each tool names right.

Rows come from tests/tools/zoo_survey.sh (kind, port, transport, truth
"SERVICE|PRODUCT|VERSION", state, service, product/version/info, seconds).
SERVICE: the tool's name equals the truth's, or an alias of it (below); a
name with nmap's trailing "?" (a guess from the port table) is wrong.
PRODUCT: one of the kind's product keywords appears (case-insensitive) in
the tool's product/version text; an empty truth product is not scored.  VERSION: the truth version appears in that text; "." when
the daemon sends no version (not scored).
"""
import re
import sys

ALIASES = [
    {"microsoft-ds", "smb", "netbios-ssn"},
    {"xmpp-client", "jabber", "xmpp"},
    {"kerberos-sec", "kerberos"},
    {"spamassassin", "spamd"},
    {"zabbix-agent", "zabbix"},
    {"distccd", "distcc"},
    {"cvspserver", "cvs"},
    {"redis-sentinel", "redis"},
    {"x11", "X11"},
    {"socks5", "socks"},
    {"beanstalkd", "beanstalk"},
    {"epmd", "erlang-epmd"},
    {"gearman", "gearmand"},
    {"ident", "auth"},
    {"isakmp", "ike"},
    {"mumble", "murmur"},
]

# kind -> product keywords (regex alternatives); default: the truth
# product's first word.
PRODUCT = {
    "apache2": r"apache httpd|apache/",
    "trafficserver": r"traffic ?server|\bATS\b",
    "tomcat10": r"tomcat",
    "python-http": r"simplehttp|python",
    "prometheus-node-exporter": r"node.exporter|prometheus",
    "prometheus": r"prometheus",
    "mini-httpd": r"mini_httpd|mini-httpd",
    "webfs": r"webfs",
    "apt-cacher-ng": r"apt-cacher",
    "mumble-server": r"mumble|murmur",
    "samba": r"samba",
    "slapd": r"openldap",
    "bind9": r"bind",
    "nsd": r"nsd",
    "pdns-server": r"powerdns",
    "pdns-recursor": r"powerdns",
    "pgbouncer": r"pgbouncer",
    "pgpool2": r"pgpool",
    "sphinxsearch": r"sphinx",
    "krb5-kdc": r"kerberos|mit",
    "dante": r"dante",
    "nnrpd": r"\binn\b|innd|nnrp",
    "spamd": r"spamassassin|spamd",
    "rabbitmq": r"rabbitmq",
    "epmd": r"erlang|epmd",
    "twisted-ftp": r"twisted",
    "twisted-mail": r"twisted",
    "twisted-web": r"twisted",
    "exim4": r"exim",
    "ircd-hybrid": r"hybrid",
    "nut-server": r"nut|ups",
    "znc": r"znc",
    "bitlbee": r"bitlbee",
    "icecast2": r"icecast",
    "redis-sentinel": r"redis",
    "nats-server": r"nats",
    "munin-node": r"munin",
    "zabbix-agent": r"zabbix",
    "nrpe": r"nrpe|nagios",
    "cvs-pserver": r"cvs",
    "svnserve": r"subversion|svn",
    "mercurial": r"mercurial|hg",
    "xvfb": r"x\.org|x11|xvfb",
    "tigervnc": r"vnc",
    "xrdp": r"xrdp",
    "telnetd": r"telnetd",
    "fingerd": r"finger",
    "kamailio": r"kamailio",
    "tinysshd": r"tinyssh",
    "dropbear": r"dropbear",
    "chrony": r"ntp",
    "ntpsec": r"ntp",
    "snmpd": r"net-snmp|snmp",
    "coturn": r"coturn",
    "varnish": r"varnish",
    "haproxy": r"haproxy",
    "uwsgi": r"uwsgi",
    "gunicorn": r"gunicorn",
    "influxdb": r"influx",
    "etcd": r"etcd",
    "minidlna": r"minidlna",
    "fossil": r"fossil",
    "monit": r"monit",
    "stunnel": r"^$",
}


def norm(svc):
    return svc.strip().lower()


def service_ok(truth, got):
    if not got or got.endswith("?"):
        return False
    t, g = norm(truth), norm(got)
    if t == g:
        return True
    for a in ALIASES:
        al = {x.lower() for x in a}
        if t in al and g in al:
            return True
    return False


def product_ok(kind, tprod, text):
    pat = PRODUCT.get(kind)
    if pat is None:
        if not tprod:
            return text.strip() == ""
        pat = re.escape(tprod.split()[0])
    if pat == r"^$":
        return text.strip() == ""
    return re.search(pat, text, re.I) is not None


def load(path):
    rows = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        while len(f) < 8:
            f.append("")
        kind, port, tr, truth, state, svc, text, secs = f[:8]
        tsvc, tprod, tver = (truth.split("|") + ["", "", ""])[:3]
        s = service_ok(tsvc, svc)
        p = product_ok(kind, tprod, text) if tprod or kind in PRODUCT else None
        v = None if not tver else (tver.lower() in text.lower())
        rows[kind] = dict(port=port, tr=tr, truth=truth, state=state, svc=svc, text=text,
                          secs=float(secs or 0), s=s, p=p, v=v)
    return rows


def mark(x):
    return "." if x is None else ("+" if x else "x")


def main():
    nm = load(sys.argv[1])
    ps = load(sys.argv[2]) if len(sys.argv) > 2 else {}
    kinds = sorted(set(nm) | set(ps))
    out = []
    for name, rows in (("nmap", nm), ("pscan", ps)):
        if not rows:
            continue
        n = len(rows)
        s = sum(r["s"] for r in rows.values())
        pr = [r for r in rows.values() if r["p"] is not None]
        p = sum(r["p"] for r in pr)
        vr = [r for r in rows.values() if r["v"] is not None]
        v = sum(r["v"] for r in vr)
        allr = sum(1 for r in rows.values() if r["s"] and r["p"] is not False and r["v"] is not False)
        t = sum(r["secs"] for r in rows.values())
        out.append("| %s | %d | %d | %d/%d | %d/%d | %d | %.0f s |" % (name, n, s, p, len(pr), v, len(vr), allr, t))
    print("| tool | daemons | service right | product right (of those with a product) | version right (of those that send one) | right on all it was scored on | sum of wall times |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(out))
    print()
    print("Per daemon: S P V marks (+ right, x wrong, . no version on the wire), then what the tool said.")
    print()
    print("| kind | port | truth | nmap S P V | nmap said | nmap s | pscan S P V | pscan said | pscan s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for k in kinds:
        a = nm.get(k)
        b = ps.get(k)
        r = a or b

        def cell(x):
            if not x:
                return "", "", ""
            return ("%s %s %s" % (mark(x["s"]), mark(x["p"]), mark(x["v"])),
                    ("%s %s" % (x["svc"], x["text"])).strip().replace("|", "/"), "%.1f" % x["secs"])
        ca, cb = cell(a), cell(b)
        print("| %s | %s/%s | %s | %s | %s | %s | %s | %s | %s |" % (
            k, r["port"], r["tr"], r["truth"].replace("|", " / "), ca[0], ca[1], ca[2], cb[0], cb[1], cb[2]))


if __name__ == "__main__":
    main()
