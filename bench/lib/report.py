#!/usr/bin/env python3
"""bench/lib/report.py: turn bench/run.sh's results.tsv into the summary table.

    report.py RESULTS.TSV

results.tsv has one line per run (header first); kind is "tool" for a
scanner run, "ceiling" for the bare send loop (tests/tools/netio_probe
bench --bogus-mac) and "floor" / "floor-bare" for bench/lib/floor on the
workload's own targets.  Each column of the table is the median over the
runs of that tool and workload, taken column by column (so a row's wall
and send time may come from different runs).  Ratios compare medians with
pscan's: for wall and RSS above 1.00 means the tool is slower or bigger
than pscan; for kpps above 1.00 means the tool sends faster.
"""
import csv
import statistics
import sys


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt(v, spec, none="-"):
    """format(v, spec), or `none` padded to the width spec asks for."""
    if v is not None:
        return format(v, spec)
    width = "".join(ch for ch in spec.split(".")[0] if ch.isdigit())
    return none.rjust(int(width)) if width else none


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: report.py RESULTS.TSV\n")
        return 1
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    workloads = []
    for r in rows:
        if r["kind"] != "ceiling" and r["workload"] not in workloads:
            workloads.append(r["workload"])
    loads = [num(r["load1"]) for r in rows if num(r["load1"]) is not None]
    for w in workloads:
        wr = [r for r in rows if r["workload"] == w]
        desc = next((r for r in wr if r["kind"] == "tool"), None)
        if desc is None:
            continue
        print(f"workload {w}: {desc['net']} x {desc['ports']}: {int(num(desc['expected_probes'])):,} probes, "
              f"{int(num(desc['truth'])):,} open")
        hdr = (f"  {'tool':<9} {'runs':>4} {'wall s':>7} {'send s':>7} {'probes':>9} {'kpps':>6} "
               f"{'k/cpu-s':>7} {'recall':>8} {'fp':>4} {'rss MB':>7} {'wall/ps':>7} {'kpps/ps':>7} {'rss/ps':>6}")
        print(hdr)
        tools = []
        for r in wr:
            if r["kind"] == "tool" and r["tool"] not in tools:
                tools.append(r["tool"])
        stats = {}
        for t in tools:
            tr = [r for r in wr if r["kind"] == "tool" and r["tool"] == t]
            if all(r["status"] == "n/a" for r in tr):
                stats[t] = None
                continue
            tr = [r for r in tr if r["status"] != "n/a"]
            s = {}
            s["runs"] = len(tr)
            s["timeouts"] = sum(1 for r in tr if r["timeout"] == "1")
            s["wall"] = med(num(r["wall"]) for r in tr)
            send = []
            kpps = []
            kcpu = []
            for r in tr:
                first, last, probes = num(r["first"]), num(r["last"]), num(r["probes"])
                cpu = (num(r["user"]) or 0) + (num(r["sys"]) or 0)
                if first is not None and last is not None and first >= 0 and last > first:
                    send.append(last - first)
                    if probes:
                        kpps.append(probes / (last - first) / 1e3)
                if probes and cpu > 0:
                    kcpu.append(probes / cpu / 1e3)
            s["send"] = med(send)
            s["kpps"] = med(kpps)
            s["kcpu"] = med(kcpu)
            s["probes"] = med(num(r["probes"]) for r in tr)
            s["recall"] = med(100.0 * num(r["hits"]) / num(r["truth"]) for r in tr if num(r["truth"]))
            s["fp"] = med(num(r["fp"]) for r in tr)
            s["rss"] = med(num(r["maxrss_kb"]) / 1024 for r in tr if num(r["maxrss_kb"]) is not None)
            stats[t] = s
        ps = stats.get("pscan")
        for t in tools:
            s = stats[t]
            if s is None:
                why = next((r["note"] for r in wr if r["tool"] == t and r["note"]), "not supported")
                print(f"  {t:<9} {'n/a':>4}  {why}")
                continue

            def ratio(key):
                if not ps or ps.get(key) in (None, 0) or s.get(key) is None:
                    return "-"
                return f"{s[key] / ps[key]:.2f}"

            runs = f"{s['runs']}" + (f"/{s['timeouts']}T" if s["timeouts"] else "")
            print(f"  {t:<9} {runs:>4} {fmt(s['wall'], '7.2f')} {fmt(s['send'], '7.3f')} "
                  f"{fmt(s['probes'], '9,.0f')} {fmt(s['kpps'], '6.0f')} {fmt(s['kcpu'], '7.0f')} "
                  f"{fmt(s['recall'], '7.2f')}% {fmt(s['fp'], '4.0f')} {fmt(s['rss'], '7.1f')} "
                  f"{ratio('wall'):>7} {ratio('kpps'):>7} {ratio('rss'):>6}")
        for kind, label in (("floor", "floor (same probes, answered, no receiver)"),
                            ("floor-bare", "floor-bare (same probes to a MAC nobody has)")):
            fr = [r for r in wr if r["kind"] == kind]
            if not fr:
                continue
            rate = med(num(r["rate"]) for r in fr)
            per_cpu = med(num(r["per_cpu_s"]) for r in fr)
            secs = med(num(r["wall"]) for r in fr)
            line = f"  {label}: {fmt(secs, '.3f')} s, {fmt(rate and rate / 1e3, '.0f')} kpps, " \
                   f"{fmt(per_cpu and per_cpu / 1e3, '.0f')} k/cpu-s"
            if ps and ps.get("kpps") and rate:
                line += f"; pscan sends at {100 * ps['kpps'] * 1e3 / rate:.0f}% of it"
            print(line)
        print()
    cr = [r for r in rows if r["kind"] == "ceiling"]
    if cr:
        rate = med(num(r["rate"]) for r in cr)
        per_cpu = med(num(r["per_cpu_s"]) for r in cr)
        print(f"ceiling (netio_probe bench --bogus-mac, sendmmsg, batch 256, {len(cr)} runs): "
              f"{fmt(rate and rate / 1e3, '.0f')} kpps wall, {fmt(per_cpu and per_cpu / 1e3, '.0f')} k/cpu-s")
        for w in workloads:
            ps_rows = [r for r in rows if r["workload"] == w and r["kind"] == "tool" and r["tool"] == "pscan"]
            kpps = []
            for r in ps_rows:
                first, last, probes = num(r["first"]), num(r["last"]), num(r["probes"])
                if first is not None and last is not None and first >= 0 and last > first and probes:
                    kpps.append(probes / (last - first))
            if kpps and rate:
                print(f"  pscan on {w}: {100 * med(kpps) / rate:.0f}% of the ceiling (issue's target: 80%)")
    if loads:
        print(f"load average (1 min) before runs: min {min(loads):.2f}, median {med(loads):.2f}, "
              f"max {max(loads):.2f} on {int(num(rows[0]['ncpu']) or 0)} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
