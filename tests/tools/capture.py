#!/usr/bin/env python3
"""capture.py: record the raw bytes a network service sends, for -sV ground truth.

    capture.py --host ADDR --port PORT [--udp] [--tls] [--proto NAME]
               [--std-port N] [--probes DIR] [--out DIR] [--kind KIND]
               [--package PKG] [--natural NAME=ESCAPED]... [--jobs N]

For a TCP port it records, each on a fresh connection:

  null            what the service says before we send anything (waits
                  --null-wait seconds, 3 by default: the "NULL probe")
  natural-NAME    the answer to the natural requests of its protocol
                  (the table NATURAL below, chosen by --proto, plus any
                  --natural NAME=ESCAPED given)
  get, rtsp-options, help, crlf2, tls-hello
                  the generic requests: "GET / HTTP/1.0\\r\\n\\r\\n",
                  "OPTIONS / RTSP/1.0\\r\\n\\r\\n", "HELP\\r\\n", "\\r\\n\\r\\n"
                  and a TLS ClientHello
  probe-NAME      the payload of each of pscan's probes (probes/*.probes)
                  that is relevant to the port: those of the file
                  PROTO.probes, and those whose "ports"/"sslports" line
                  names --std-port (the service's standard port) or PORT

For a UDP port: the natural requests, the relevant UDP probes, and "\\r\\n\\r\\n";
every datagram that comes back from ADDR (from any source port: a TFTP server
answers from a new one) is kept, the first as NAME.bin, the next as
NAME.2.bin, ...

With --tls it also runs `openssl s_client` (certificate subject, issuer,
protocol, cipher: tls-s_client.txt) and repeats the NULL probe, the natural
requests and GET inside TLS (tls-null.bin, ...).

Everything goes to OUT/ (default ./capture-PORT): one NAME.bin per answer
(empty when the service said nothing) and meta.txt, which names the package
and its version, the address, port and transport, and for each request its
bytes (C-style escaped), how many bytes came back, how the exchange ended
(eof: the peer closed; reset; timeout: nothing more within the wait; idle:
data came, then --idle seconds of silence) and the time to the first byte.

Python 3 standard library only.  Sends to the address given and nowhere
else: run it inside the test namespace (ip netns exec NS capture.py ...).
"""

import argparse
import concurrent.futures
import glob
import os
import re
import select
import socket
import ssl
import subprocess
import sys
import time

MAX_BYTES = 256 * 1024

# The natural requests of each protocol, C-style escaped as in probes/*.probes.
NATURAL = {
    "ftp": [("user", r"USER anonymous\r\n"), ("syst", r"SYST\r\n"), ("feat", r"FEAT\r\n")],
    "smtp": [("ehlo", r"EHLO pscan.example\r\n"), ("helo", r"HELO pscan.example\r\n")],
    "imap": [("capability", r"a001 CAPABILITY\r\n"), ("id", r'a001 ID NIL\r\n')],
    "pop3": [("capa", r"CAPA\r\n"), ("user", r"USER pscan\r\n")],
    "nntp": [("capabilities", r"CAPABILITIES\r\n"), ("help", r"HELP\r\n")],
    "http": [("get-host", r"GET / HTTP/1.1\r\nHost: pscan.example\r\nConnection: close\r\n\r\n"),
             ("head", r"HEAD / HTTP/1.0\r\n\r\n"),
             ("options", r"OPTIONS / HTTP/1.0\r\n\r\n"),
             ("nonexistent", r"GET /pscan-nonexistent HTTP/1.0\r\n\r\n")],
    "http-proxy": [("get-host", r"GET / HTTP/1.1\r\nHost: pscan.example\r\nConnection: close\r\n\r\n"),
                   ("proxy-get", r"GET http://pscan.invalid/ HTTP/1.0\r\n\r\n"),
                   ("connect", r"CONNECT pscan.invalid:443 HTTP/1.0\r\n\r\n"),
                   ("head", r"HEAD / HTTP/1.0\r\n\r\n")],
    "ipp": [("get-printers", r"GET /printers HTTP/1.0\r\n\r\n"),
            ("head", r"HEAD / HTTP/1.0\r\n\r\n")],
    "rtsp": [("options-star", r"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"),
             ("describe", r"DESCRIBE rtsp://pscan.example/ RTSP/1.0\r\nCSeq: 2\r\n\r\n")],
    "sip": [],  # pscan's SIPOptionsPscan is the natural request
    "irc": [("register", r"NICK pscan\r\nUSER pscan 0 * :pscan\r\n"),
            ("version", r"NICK pscan2\r\nUSER pscan 0 * :pscan\r\nVERSION\r\n")],
    "xmpp-client": [("stream", r"<?xml version='1.0'?><stream:stream to='pscan.example' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")],
    "xmpp-server": [("stream", r"<?xml version='1.0'?><stream:stream to='pscan.example' xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")],
    "ldap": [],  # LDAPBind / LDAPRootDSE
    "redis": [("info", r"INFO\r\n"), ("sentinel", r"SENTINEL masters\r\n")],
    "memcached": [("stats", r"stats\r\n")],
    "mysql": [],
    "postgresql": [],
    "git": [],
    "svn": [],
    "rsync": [("version", r"@RSYNCD: 31.0\n"), ("list", r"@RSYNCD: 31.0\n\n")],
    "amqp": [("amqp091", r"AMQP\x00\x00\x09\x01"), ("amqp10", r"AMQP\x00\x01\x00\x00")],
    "mqtt": [("connect311", r"\x10\x11\x00\x04MQTT\x04\x02\x00\x3c\x00\x05pscan"),
             ("connect5", r"\x10\x12\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x05pscan")],
    "beanstalk": [("stats", r"stats\r\n")],
    "gearman": [("version", r"version\r\n"), ("status", r"status\r\n")],
    "nats": [("connect", r"CONNECT {}\r\nPING\r\n")],
    "zookeeper": [("srvr", "srvr"), ("stat", "stat"), ("ruok", "ruok")],
    "munin": [("version", r"version\r\n"), ("list", r"list\r\n")],
    "mpd": [("status", r"status\n")],
    "gpsd": [("version", r"?VERSION;\n")],
    "nut": [("ver", r"VER\n"), ("netver", r"NETVER\n")],
    "zabbix-agent": [("agent-version", r"ZBXD\x01\x0d\x00\x00\x00\x00\x00\x00\x00agent.version"),
                     ("agent-version-plain", r"agent.version\n")],
    "telnet": [],
    "finger": [("list", r"\r\n"), ("root", r"root\r\n")],
    "ident": [("query", r"1, 2\r\n")],
    "distcc": [("dist", r"DIST00000001ARGC00000001ARGV00000002cc")],
    "cvspserver": [("auth", r"BEGIN AUTH REQUEST\n/cvs\npscan\nA\nEND AUTH REQUEST\n"),
                   ("verify", r"BEGIN VERIFICATION REQUEST\n/cvs\npscan\nA\nEND VERIFICATION REQUEST\n")],
    "spamd": [("ping", r"PING SPAMC/1.5\r\n\r\n")],
    "clamd": [("version", r"VERSION\n")],
    "socks5": [("noauth", r"\x05\x01\x00"), ("socks4", r"\x04\x01\x00\x50\x7f\x00\x00\x01pscan\x00")],
    "vnc": [],
    "rdp": [],
    "x11": [],
    "nbd": [],
    "iscsi": [],
    "pptp": [],
    "kerberos": [],
    "domain": [("version-bind", r"\x00\x1eps\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04bind\x00\x00\x10\x00\x03"),
               ("version-server", r"\x00\x20pt\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x06server\x00\x00\x10\x00\x03"),
               ("soa-root", r"\x00\x11pu\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x01")],
    "domain-udp": [("version-bind", r"ps\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04bind\x00\x00\x10\x00\x03"),
                   ("version-server", r"pt\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x06server\x00\x00\x10\x00\x03"),
                   ("soa-root", r"pu\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x01")],
    "snmp": [("sysdescr-public", r"\x30\x27\x02\x01\x00\x04\x06public\xa0\x1a\x02\x02ps\x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00")],
    "ntp": [("client", r"\xe3\x00\x04\xfa" + r"\x00" * 36 + r"pscan\x00\x00\x00"),
            ("version-readvar", r"\x16\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")],
    "tftp": [("rrq-missing", r"\x00\x01pscan.probe\x00octet\x00"),
             ("rrq-hello", r"\x00\x01hello.txt\x00octet\x00")],
    "radius": [("access-request", r"\x01\x01\x00\x14pscan-authenticat")],
    "openvpn": [],
    "isakmp": [("ikev2-sa-init", r"pscan-sp\x00\x00\x00\x00\x00\x00\x00\x00\x21\x20\x22\x08\x00\x00\x00\x00\x00\x00\x00\x1c")],
    "stun": [("binding", r"\x00\x01\x00\x00\x21\x12\xa4\x42pscan-tx-id!")],
    "mumble": [("ping", r"\x00\x00\x00\x00pscan-id")],
    "dhcp": [],
    "upnp": [],
}

# Silence that ends an answer, where the protocol's servers pause mid-answer
# (an IRC server looks the client up before it says welcome).
IDLE = {"irc": 3.0, "smtp": 1.5}

GENERIC_TCP = [
    ("get", r"GET / HTTP/1.0\r\n\r\n"),
    ("rtsp-options", r"OPTIONS / RTSP/1.0\r\n\r\n"),
    ("help", r"HELP\r\n"),
    ("crlf2", r"\r\n\r\n"),
]
GENERIC_UDP = [("crlf2", r"\r\n\r\n")]

# A TLS 1.0-framed ClientHello (TLS 1.2 in the handshake), pscan's TLSHello.
TLS_HELLO = (r"\x16\x03\x01\x00\x7d\x01\x00\x00\x79\x03\x03" +
             "".join(r"\x%02x" % b for b in range(0x20, 0x40)) +
             r"\x00\x00\x20\xc0\x2f\xc0\x30\xc0\x2b\xc0\x2c\xcc\xa8\xcc\xa9\xc0\x13\xc0\x14"
             r"\xc0\x09\xc0\x0a\x00\x9c\x00\x9d\x00\x2f\x00\x35\x00\x0a\x00\xff\x01\x00\x00"
             r"\x30\x00\x0a\x00\x0a\x00\x08\x00\x1d\x00\x17\x00\x18\x00\x19\x00\x0b\x00\x02"
             r"\x01\x00\x00\x0d\x00\x18\x00\x16\x04\x03\x05\x03\x06\x03\x08\x04\x08\x05\x08"
             r"\x06\x04\x01\x05\x01\x06\x01\x02\x03\x02\x01")


def unescape(text):
    """C-style escapes of probes/*.probes: \\r \\n \\t \\0 \\xHH \\\\ \\| and \\a \\f \\v."""
    out = bytearray()
    i = 0
    simple = {"r": 13, "n": 10, "t": 9, "0": 0, "a": 7, "f": 12, "v": 11, "\\": 92, "|": 124}
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "x" and i + 3 < len(text) + 1 and re.match(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            out.append(ord(n))
            i += 2
            continue
        out.extend(c.encode("latin-1", "replace") if ord(c) < 256 else c.encode("utf-8"))
        i += 1
    return bytes(out)


def escape(data, limit=400):
    s = []
    for b in data[:limit]:
        if b == 13:
            s.append(r"\r")
        elif b == 10:
            s.append(r"\n")
        elif b == 9:
            s.append(r"\t")
        elif b == 92:
            s.append(r"\\")
        elif 32 <= b < 127:
            s.append(chr(b))
        else:
            s.append(r"\x%02x" % b)
    if len(data) > limit:
        s.append("...")
    return "".join(s)


def parse_ports(spec):
    ports = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            try:
                ports.update(range(int(a), int(b) + 1))
            except ValueError:
                pass
        else:
            try:
                ports.add(int(part))
            except ValueError:
                pass
    return ports


def load_probes(pdir):
    """[(file stem, proto, name, payload bytes, ports, sslports)] from DIR/*.probes."""
    probes = []
    for path in sorted(glob.glob(os.path.join(pdir, "*.probes"))):
        stem = os.path.basename(path)[:-len(".probes")]
        cur = None
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = re.match(r"^Probe\s+(TCP|UDP)\s+(\S+)\s+q\|(.*)\|", line)
                if m:
                    cur = {"file": stem, "proto": m.group(1).lower(), "name": m.group(2),
                           "payload": unescape(m.group(3)), "ports": set(), "sslports": set()}
                    probes.append(cur)
                    continue
                if cur is None:
                    continue
                m = re.match(r"^(ports|sslports)\s+(\S+)", line)
                if m:
                    cur[m.group(1)] |= parse_ports(m.group(2))
    return probes


def tcp_exchange(host, port, payload, wait, idle, tls_ctx=None):
    """One connection: send PAYLOAD (if any), read.  -> (bytes, end, first_ms, err)."""
    t0 = time.monotonic()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(min(wait, 5.0))
    data = bytearray()
    first = None
    end = "timeout"
    try:
        s.connect((host, port))
        if tls_ctx is not None:
            s = tls_ctx.wrap_socket(s, server_hostname=None)
        if payload:
            s.sendall(payload)
        s.setblocking(False)
        deadline = t0 + wait
        while True:
            now = time.monotonic()
            limit = deadline if first is None else min(deadline, last + idle)
            if now >= limit:
                end = "timeout" if first is None else "idle"
                break
            if tls_ctx is not None and s.pending():
                r = [s]
            else:
                r, _, _ = select.select([s], [], [], limit - now)
            if not r:
                continue
            try:
                chunk = s.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except ConnectionResetError:
                end = "reset"
                break
            except ssl.SSLError as e:
                end = "tls-error:" + str(e.reason)
                break
            if not chunk:
                end = "eof"
                break
            if first is None:
                first = time.monotonic()
            last = time.monotonic()
            data.extend(chunk)
            if len(data) >= MAX_BYTES:
                end = "max"
                break
    except ConnectionRefusedError:
        return b"", "refused", None, "connection refused"
    except ConnectionResetError:
        end = "reset"
    except (socket.timeout, TimeoutError):
        if first is None and not data:
            return bytes(data), "connect-timeout", None, "timeout"
    except ssl.SSLError as e:
        return bytes(data), "tls-error:" + str(e.reason), None, str(e)
    except OSError as e:
        return bytes(data), "error", None, str(e)
    finally:
        try:
            s.close()
        except OSError:
            pass
    fms = None if first is None else int((first - t0) * 1000)
    return bytes(data), end, fms, ""


def udp_exchange(host, port, payload, wait, idle):
    """Send one datagram; every datagram from HOST within WAIT -> ([bytes], end, first_ms, err)."""
    t0 = time.monotonic()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    grams = []
    first = None
    end = "timeout"
    try:
        s.sendto(payload, (host, port))
        s.setblocking(False)
        deadline = t0 + wait
        last = t0
        while True:
            now = time.monotonic()
            limit = deadline if first is None else min(deadline, last + idle)
            if now >= limit:
                end = "timeout" if first is None else "idle"
                break
            r, _, _ = select.select([s], [], [], limit - now)
            if not r:
                continue
            try:
                chunk, src = s.recvfrom(65536)
            except ConnectionRefusedError:
                end = "icmp-refused"
                break
            except BlockingIOError:
                continue
            if src[0] != host:
                continue
            if first is None:
                first = time.monotonic()
            last = time.monotonic()
            grams.append((chunk, src[1]))
            if len(grams) >= 16:
                end = "max"
                break
    except OSError as e:
        return grams, "error", None, str(e)
    finally:
        s.close()
    fms = None if first is None else int((first - t0) * 1000)
    return grams, end, fms, ""


def s_client(host, port, out):
    """openssl s_client: certificate subject and issuer, protocol and cipher.

    When the default handshake agrees on no cipher (NRPE offers anonymous DH
    only), once more with every cipher, anonymous ones included."""
    target = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    for extra in ([], ["-cipher", "ALL:aNULL:@SECLEVEL=0", "-tls1_2"]):
        try:
            p = subprocess.run(["openssl", "s_client", "-connect", target, "-showcerts"] + extra,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            return "s_client failed: %s" % e
        text = p.stdout.decode("latin-1")
        if "Cipher is (NONE)" not in text:
            break
    lines = []
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    if m:
        try:
            x = subprocess.run(["openssl", "x509", "-noout", "-subject", "-issuer", "-dates"],
                               input=m.group(0).encode(), capture_output=True, timeout=10)
            lines += x.stdout.decode("latin-1").strip().splitlines()
        except (OSError, subprocess.TimeoutExpired):
            pass
    if extra:
        lines.append("with -cipher ALL:aNULL")
    for pat in (r"^New, (.*)$", r"^\s*Protocol\s*:\s*(.*)$", r"^\s*Cipher\s*:\s*(.*)$"):
        mm = re.search(pat, text, re.M)
        if mm:
            lines.append(mm.group(0).strip())
    with open(os.path.join(out, "tls-s_client.txt"), "w") as f:
        f.write(text)
        f.write("\n--- stderr\n" + p.stderr.decode("latin-1"))
    return "; ".join(lines) if lines else "no certificate (%s)" % p.stderr.decode("latin-1").strip()[-200:]


def safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--udp", action="store_true")
    ap.add_argument("--tls", action="store_true", help="the port speaks TLS at once")
    ap.add_argument("--proto", default="", help="protocol name for NATURAL and PROTO.probes")
    ap.add_argument("--std-port", type=int, default=0, help="the service's standard port")
    ap.add_argument("--probes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "probes"))
    ap.add_argument("--probe-files", default="", help="more probe files (stems), comma separated")
    ap.add_argument("--natural", action="append", default=[], metavar="NAME=ESCAPED")
    ap.add_argument("--no-generic", action="store_true")
    ap.add_argument("--out", default="")
    ap.add_argument("--kind", default="")
    ap.add_argument("--package", default="")
    ap.add_argument("--note", default="", help="free text for meta.txt (how the daemon was run)")
    ap.add_argument("--null-wait", type=float, default=3.0)
    ap.add_argument("--wait", type=float, default=5.0, help="longest wait for an answer")
    ap.add_argument("--idle", type=float, default=1.0, help="silence that ends an answer")
    ap.add_argument("--jobs", type=int, default=4, help="exchanges at once")
    a = ap.parse_args()

    if a.idle == 1.0 and a.proto in IDLE:
        a.idle = IDLE[a.proto]
    out = a.out or "capture-%d" % a.port
    os.makedirs(out, exist_ok=True)
    proto = "udp" if a.udp else "tcp"

    reqs = []  # (name, payload bytes, tls?)
    if not a.udp:
        reqs.append(("null", b"", False))
    nat_key = a.proto + ("-udp" if a.udp and (a.proto + "-udp") in NATURAL else "")
    for name, esc in NATURAL.get(nat_key, []):
        reqs.append(("natural-" + name, unescape(esc), False))
    for spec in a.natural:
        name, _, esc = spec.partition("=")
        reqs.append(("natural-" + safe(name), unescape(esc), False))
    if not a.no_generic:
        for name, esc in (GENERIC_UDP if a.udp else GENERIC_TCP):
            reqs.append((name, unescape(esc), False))
        if not a.udp:
            reqs.append(("tls-hello", unescape(TLS_HELLO), False))
    files = set(filter(None, [a.proto, a.proto.replace("-udp", "")] + a.probe_files.split(",")))
    seen = {p for _, p, _ in reqs}
    if os.path.isdir(a.probes):
        for p in load_probes(a.probes):
            if p["proto"] != proto or p["name"] == "NULL":
                continue
            rel = p["file"] in files or a.port in p["ports"] or a.port in p["sslports"]
            if a.std_port:
                rel = rel or a.std_port in p["ports"] or a.std_port in p["sslports"]
            if rel and p["payload"] not in seen:
                seen.add(p["payload"])
                reqs.append(("probe-" + safe(p["name"]), p["payload"], False))
    if a.tls and not a.udp:
        reqs.append(("tls-null", b"", True))
        reqs.append(("tls-get", unescape(GENERIC_TCP[0][1]), True))
        for name, esc in NATURAL.get(a.proto, [])[:3]:
            reqs.append(("tls-natural-" + name, unescape(esc), True))

    ctx = None
    if a.tls and not a.udp:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except ssl.SSLError:
            pass

    def run(req):
        name, payload, tls = req
        w = a.null_wait if not payload else a.wait
        if a.udp:
            grams, end, fms, err = udp_exchange(a.host, a.port, payload, w, a.idle)
            return name, payload, tls, grams, end, fms, err
        data, end, fms, err = tcp_exchange(a.host, a.port, payload, w, a.idle, ctx if tls else None)
        return name, payload, tls, data, end, fms, err

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        for r in ex.map(run, reqs):
            results.append(r)

    tls_line = s_client(a.host, a.port, out) if a.tls and not a.udp else ""

    version = ""
    if a.package:
        try:
            version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", a.package],
                                     capture_output=True, timeout=10).stdout.decode()
        except (OSError, subprocess.TimeoutExpired):
            pass
    meta = [
        "kind: %s" % a.kind,
        "package: %s" % a.package,
        "version: %s" % version,
        "address: %s" % a.host,
        "port: %d/%s" % (a.port, proto),
        "tls: %s" % ("yes" if a.tls else "no"),
        "protocol: %s" % a.proto,
        "standard-port: %s" % (a.std_port or ""),
        "captured: %s" % time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "note: %s" % a.note,
    ]
    if tls_line:
        meta.append("certificate: %s" % tls_line)
    meta.append("")
    meta.append("# file\tbytes\tend\tfirst_ms\trequest (escaped)\tanswer (escaped, first 400 bytes)")
    summary = []
    for name, payload, tls, data, end, fms, err in results:
        fn = safe(name) + ".bin"
        if a.udp:
            grams = data
            with open(os.path.join(out, fn), "wb") as f:
                f.write(grams[0][0] if grams else b"")
            for i, (g, _) in enumerate(grams[1:], 2):
                with open(os.path.join(out, "%s.%d.bin" % (safe(name), i)), "wb") as f:
                    f.write(g)
            total = sum(len(g) for g, _ in grams)
            srcs = ",".join(str(p) for _, p in grams)
            first = grams[0][0] if grams else b""
            extra = " from-ports=%s datagrams=%d" % (srcs, len(grams)) if grams else ""
            meta.append("%s\t%d\t%s%s\t%s\t%s\t%s" % (fn, total, end, extra, "" if fms is None else fms,
                                                   escape(payload, 200), escape(first)))
            summary.append((name, total, end))
        else:
            with open(os.path.join(out, fn), "wb") as f:
                f.write(data)
            meta.append("%s\t%d\t%s%s\t%s\t%s\t%s" % (fn, len(data), end, (" " + err) if err else "",
                                                   "" if fms is None else fms, escape(payload, 200),
                                                   escape(data)))
            summary.append((name, len(data), end))
    with open(os.path.join(out, "meta.txt"), "w") as f:
        f.write("\n".join(meta) + "\n")
    answered = sum(1 for _, n, _ in summary if n > 0)
    print("%s %s:%d/%s: %d requests, %d answered%s" % (a.kind or "capture", a.host, a.port, proto,
                                                       len(summary), answered,
                                                       ("; " + tls_line) if tls_line else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
