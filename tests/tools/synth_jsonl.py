#!/usr/bin/env python3
"""synth_jsonl.py: write pscan JSON Lines results (schema 1, docs/output.md)
without scanning, for the report tests and the report's size benchmark.

  synth_jsonl.py [--net 198.18.0.0] [--hosts N] [--open M | --total T] [--seed S]
                 [--now ISO] [--hostile] [--no-summary] > scan.jsonl

N hosts counted up from --net (default 198.18.0.0, so 65,536 hosts cover
198.18.0.0/16), each with M open ports (a few closed ones too, and the
rest folded into "hidden"); --total T spreads T open ports over the hosts
instead (65,536 hosts and --total 100000: a /16 with 100,000 open ports).  Services vary: ssh, http, ssl/http with a
certificate whose expiry is spread from already expired to years ahead
(days counted from --now, default 2026-01-01T00:00:00Z, which is also the
time of every line), unidentified ones with a banner, and ssh on 2740
(registered: alarm) so the registry mismatch shows.  --hostile puts markup
and script in banners, products, certificate fields and host names, as a
hostile server or a forged file would.  Deterministic for a seed.
"""
import argparse
import datetime
import ipaddress
import json
import random
import sys

HOSTILE = [
    '<script>document.body.setAttribute("data-pwned","1")</script>',
    '"><img src=x onerror="document.body.setAttribute(\'data-pwned\',\'2\')">',
    "</td></tr></table><h1 id=pwned>injected</h1>",
    "<!-- ]]> --> <style>body{display:none}</style>",
    "\u202edesrever \x1b[2J\x07 & &amp; &#x3c;",
    "javascript:alert(1)",
]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def cert(rng, now, hostile):
    days = rng.choice([-30, -1, 5, 12, 29, 45, 200, 400, 900])
    na = now + datetime.timedelta(days=days, hours=1)
    nb = now - datetime.timedelta(days=300)
    cn = rng.choice(HOSTILE) if hostile else "www%d.example.test" % rng.randrange(1000)
    return {"version": rng.choice(["TLSv1.3", "TLSv1.2", "TLSv1.2", "TLSv1"]),
            "cipher": "TLS_AES_256_GCM_SHA384", "subject": "CN=%s,O=Example" % cn,
            "issuer": "CN=Example CA" if not hostile else "CN=" + rng.choice(HOSTILE),
            "sans": "DNS:%s, DNS:alt.example.test" % cn,
            "not_before": nb.strftime("%Y-%m-%dT%H:%M:%SZ"), "not_after": na.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": ":".join("%02X" % rng.randrange(256) for _ in range(32))}


def port(rng, p, now, hostile):
    reg = {22: "ssh", 80: "http", 443: "https", 2740: "alarm", 8080: "http-alt", 25: "smtp"}.get(p)
    d = {"port": p, "proto": "tcp", "state": "open", "reason": "syn-ack", "ttl": 64,
         "registry": {"name": reg, "status": "assigned" if reg else "unassigned", "ephemeral": False,
                      "mismatch": p == 2740}}
    kind = rng.random()
    if p in (22, 2740):
        d["service"] = {"name": "ssh", "status": "match", "product": "OpenSSH", "version": "9.2p1", "cpe": []}
    elif p == 443 or kind < 0.25:
        d["service"] = {"name": "http", "status": "match", "product": "nginx", "version": "1.22.1", "cpe": [],
                        "tls": cert(rng, now, hostile)}
    elif kind < 0.6:
        d["service"] = {"name": "http", "status": "match", "product": "Apache httpd", "version": "2.4.57",
                        "cpe": []}
    elif kind < 0.8:
        b = rng.choice(HOSTILE) if hostile else "hello\r\n"
        d["service"] = {"name": None, "status": "unknown", "cpe": [], "probe": "NULL", "banner": b,
                        "banner_hex": b.encode("utf-8", "surrogateescape").hex()}
    if hostile and "service" in d and d["service"].get("product"):
        d["service"]["product"] = rng.choice(HOSTILE)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", default="198.18.0.0")
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--open", type=int, default=3)
    ap.add_argument("--total", type=int, default=0, help="spread this many open ports over the hosts instead")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", default="2026-01-01T00:00:00Z")
    ap.add_argument("--hostile", action="store_true")
    ap.add_argument("--no-summary", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    now = datetime.datetime.strptime(a.now, "%Y-%m-%dT%H:%M:%SZ")
    base = int(ipaddress.ip_address(a.net))
    out = sys.stdout
    common = [22, 80, 443, 2740, 8080, 25] + list(range(8000, 8094))
    nports = max(100, a.open + 2)
    head = {"schema": 1, "type": "scan", "time": iso(now), "scanner": "pscan", "version": "0.1.0",
            "start": iso(now), "scan_type": "syn", "args": ["pscan", "-sV", "-oJ", "scan.jsonl", a.net],
            "hosts": a.hosts, "ports": nports, "version_detect": True, "ephemeral_range": [32768, 60999]}
    out.write(json.dumps(head, separators=(",", ":")) + "\n")
    opened = 0
    for h in range(a.hosts):
        addr = str(ipaddress.ip_address(base + h))
        k = a.open if not a.total else a.total * (h + 1) // a.hosts - a.total * h // a.hosts
        ports = [port(rng, p, now, a.hostile) for p in common[:k]]
        ports.append({"port": 23, "proto": "tcp", "state": "closed", "reason": "reset", "ttl": 64,
                      "registry": {"name": "telnet", "status": "assigned", "ephemeral": False, "mismatch": False}})
        opened += len(ports) - 1
        line = {"schema": 1, "type": "host", "time": iso(now), "host": addr, "addrtype": "ipv4",
                "status": "up", "latency": 0.0004, "scanned": nports, "all_ports_open": False, "ports": ports,
                "hidden": [{"proto": "tcp", "state": "closed", "reason": "reset", "count": nports - len(ports)}],
                "future_field": {"ignored": True}}
        if a.hostile:
            line["hostname"] = rng.choice(HOSTILE)
        out.write(json.dumps(line, separators=(",", ":")) + "\n")
    out.write('{"schema":1,"type":"shard","time":"%s","note":"a type this pscan does not know"}\n' % iso(now))
    if not a.no_summary:
        summ = {"schema": 1, "type": "summary", "time": iso(now), "elapsed": 12.5, "hosts": a.hosts,
                "hosts_up": a.hosts, "ports": {"open": opened, "closed": a.hosts, "filtered": 0, "open|filtered": 0}}
        out.write(json.dumps(summ, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
