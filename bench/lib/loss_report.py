#!/usr/bin/env python3
"""bench/lib/loss_report.py: bench/loss_bench.sh's results.tsv -> the table.

    loss_report.py RESULTS.TSV

One block per work, one line per loss level and tool.  Columns (medians over
the runs unless said otherwise):

  loss     percent of the TCP frames dropped each way (the setting)
  runs     runs of that tool; "3/1T" means 1 of the 3 hit the time limit
  found    open (address, port) pairs reported that are really open
  recall   found / ground truth; "worst" is the lowest recall of any run
  fp       pairs reported open that are not
  wall s   fork to exit of the tool (bench/lib/runstat)
  probes   SYNs that reached the target, counted before the drop rule
           (retransmissions count)
  lost>    probes dropped / probes, summed over the runs (the loss applied)
  lost<    answers dropped / answers sent, summed over the runs
  x ps0    wall / pscan's wall at 0 % loss on the same work
  x own0   wall / the same tool's wall at 0 % loss on the same work

Every run that was killed at the time limit, exited non-zero or carries a
note is listed under its block, and so is a loss level whose drop counters
do not look like the setting.
"""
import csv
import statistics
import sys


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec, none="-"):
    if v is not None:
        return format(v, spec)
    width = "".join(ch for ch in spec.split(".")[0] if ch.isdigit())
    return none.rjust(int(width)) if width else none


def frac(rows, part, whole):
    p = sum(num(r[part]) or 0 for r in rows)
    w = sum(num(r[whole]) or 0 for r in rows)
    return 100.0 * p / w if w else None


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: loss_report.py RESULTS.TSV\n")
        return 1
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    works, tools, losses = [], [], []
    for r in rows:
        if r["work"] not in works:
            works.append(r["work"])
        if r["tool"] not in tools:
            tools.append(r["tool"])
        if int(r["loss"]) not in losses:
            losses.append(int(r["loss"]))
    losses.sort()
    where = {"target": "the target's egress", "scanner": "the scanner's ingress"}
    for w in works:
        wr = [r for r in rows if r["work"] == w]
        d = wr[0]
        print(f"work {w}: {d['net']} x {d['ports']}: {int(num(d['expected_probes'])):,} probes, "
              f"{int(num(d['truth'])):,} open; probes dropped at the target's ingress, answers at "
              f"{where.get(d['reply_drop'], d['reply_drop'])}")
        print(f"  {'loss':>4} {'tool':<9} {'runs':>5} {'found':>7} {'recall':>8} {'worst':>8} {'fp':>4} "
              f"{'wall s':>7} {'probes':>10} {'lost>':>6} {'lost<':>6} {'x ps0':>6} {'x own0':>6}")
        stats = {}
        for loss in losses:
            for t in tools:
                tr = [r for r in wr if int(r["loss"]) == loss and r["tool"] == t]
                if not tr:
                    continue
                if all(r["status"] == "n/a" for r in tr):
                    stats[(loss, t)] = None
                    continue
                tr = [r for r in tr if r["status"] != "n/a"]
                truth = num(tr[0]["truth"])
                rec = [100.0 * num(r["hits"]) / truth for r in tr if truth and num(r["hits"]) is not None]
                stats[(loss, t)] = {
                    "runs": len(tr),
                    "timeouts": sum(1 for r in tr if r["timeout"] == "1"),
                    "found": med(num(r["hits"]) for r in tr),
                    "recall": med(rec),
                    "worst": min(rec) if rec else None,
                    "fp": med(num(r["fp"]) for r in tr),
                    "wall": med(num(r["wall"]) for r in tr),
                    "probes": med(num(r["probes"]) for r in tr),
                    "lost_in": frac(tr, "syn_drop", "syn_seen"),
                    "lost_out": frac(tr, "out_drop", "out_seen"),
                }
        notes = []
        for loss in losses:
            printed = False
            for t in tools:
                if (loss, t) not in stats:
                    continue
                s = stats[(loss, t)]
                printed = True
                if s is None:
                    why = next((r["note"] for r in wr if r["tool"] == t and r["note"]), "not supported")
                    print(f"  {loss:>3}% {t:<9} {'n/a':>5}  {why}")
                    continue

                def ratio(ref):
                    if not ref or not ref.get("wall") or s["wall"] is None:
                        return "-"
                    return f"{s['wall'] / ref['wall']:.2f}"

                runs = f"{s['runs']}" + (f"/{s['timeouts']}T" if s["timeouts"] else "")
                print(f"  {loss:>3}% {t:<9} {runs:>5} {fmt(s['found'], '7,.0f')} {fmt(s['recall'], '7.2f')}% "
                      f"{fmt(s['worst'], '7.2f')}% {fmt(s['fp'], '4.0f')} {fmt(s['wall'], '7.2f')} "
                      f"{fmt(s['probes'], '10,.0f')} {fmt(s['lost_in'], '5.1f')}% {fmt(s['lost_out'], '5.1f')}% "
                      f"{ratio(stats.get((0, 'pscan'))):>6} {ratio(stats.get((0, t))):>6}")
            if printed and loss != losses[-1]:
                print()
            # Do the counters show the loss that was asked for?
            lr = [r for r in wr if int(r["loss"]) == loss and r["status"] != "n/a"]
            for what, part, whole in (("probes", "syn_drop", "syn_seen"), ("answers", "out_drop", "out_seen")):
                f = frac(lr, part, whole)
                seen = sum(num(r[whole]) or 0 for r in lr)
                if f is None:
                    continue
                if (loss == 0 and f > 0) or (loss > 0 and seen >= 1000 and not loss / 2 <= f <= loss * 2):
                    notes.append(f"at {loss}%: the counters show {f:.1f}% of the {what} dropped")
        for r in wr:
            if r["status"] == "n/a":
                continue
            bits = []
            if r["timeout"] == "1":
                bits.append(r["note"] or "killed at the time limit")
            elif r["note"]:
                bits.append(r["note"])
            if r["status"] not in ("0", "") and r["timeout"] != "1":
                bits.append(f"exit status {r['status']}")
            if bits:
                notes.append(f"{r['tool']} at {r['loss']}%, run {r['run']}: {'; '.join(bits)} "
                             f"(wall {fmt(num(r['wall']), '.1f')} s, found {r['hits']})")
        for n in notes:
            print(f"  note: {n}")
        print()
    loads = [num(r["load1"]) for r in rows if num(r["load1"]) is not None]
    if loads:
        print(f"load average (1 min) before runs: min {min(loads):.2f}, median {med(loads):.2f}, "
              f"max {max(loads):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
