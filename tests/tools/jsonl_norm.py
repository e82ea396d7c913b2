#!/usr/bin/env python3
"""jsonl_norm.py FILE: a pscan -oJ file with timing taken out, for comparing
one unsharded run with `pscan merge` of its shards.

Dropped: "time", "start", "elapsed", "latency" (timing), "args" (the command
lines differ by --shard), "merged_shards" (only a merge has it).  Host lines
and the scan and summary lines stay in file order, keys sorted; "port" lines
(open ports as the scan found them, in an order timing decides) follow,
sorted, each once.  Exits 1 with a message on a line that is not JSON."""
import json
import sys

DROP = ("time", "start", "elapsed", "latency", "args", "merged_shards")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: jsonl_norm.py FILE")
    lines, ports = [], set()
    with open(sys.argv[1], encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            try:
                obj = json.loads(text)
            except ValueError as e:
                sys.exit(f"{sys.argv[1]}:{n}: not JSON: {e}")
            for k in DROP:
                obj.pop(k, None)
            out = json.dumps(obj, sort_keys=True)
            if obj.get("type") == "port":
                ports.add(out)
            else:
                lines.append(out)
    print("\n".join(lines + sorted(ports)))


if __name__ == "__main__":
    main()
