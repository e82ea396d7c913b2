#!/usr/bin/env python3
"""structure_check.py: the source tree's shape, checked from the build.

  structure_check.py OBJDIR SRCDIR [--graph]

Link level: every object's undefined symbols (nm -u) are resolved to the
object that defines them (nm --defined-only), giving a graph of files; each
file belongs to the folder it sits in under SRCDIR (src/main.c to "main").
A cycle between folders fails, naming the folders and the symbols that tie
them.  Each source file (.c, .h under SRCDIR and include/) over 600 lines
fails too.  --graph prints the folder graph and the file-level cycles that
stay inside one folder.  Prints TAP lines for tests/run.sh.
"""
import os
import subprocess
import sys

MAX_LINES = 600


def nm(path, *flags):
    out = subprocess.run(["nm", *flags, path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            yield parts[-2], parts[-1]


def objects(objdir):
    for root, _, files in os.walk(objdir):
        for f in files:
            if f.endswith(".o"):
                yield os.path.join(root, f)


def folder_of(rel):
    d = os.path.dirname(rel)
    return d.split(os.sep)[0] if d else os.path.splitext(rel)[0]


def sccs(graph):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = n[0]; n[0] += 1; stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = n[0]; n[0] += 1; stack.append(w); on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop(); on.discard(w); comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    objdir, srcdir = sys.argv[1], sys.argv[2]
    show = "--graph" in sys.argv[3:]
    defs, undef = {}, {}
    for o in objects(objdir):
        rel = os.path.relpath(o, objdir)[:-2] + ".c"
        if rel.startswith("gen" + os.sep):
            continue
        undef[rel] = {s for t, s in nm(o, "-u") if t in ("U", "w")}
        for t, s in nm(o, "--defined-only"):
            if t.isupper():
                defs[s] = rel
    files, why = {}, {}
    for f, syms in undef.items():
        files[f] = set()
        for s in syms:
            g = defs.get(s)
            if g and g != f:
                files[f].add(g)
                if folder_of(f) != folder_of(g):
                    why.setdefault((folder_of(f), folder_of(g)), set()).add(f"{f} -> {g}: {s}")
    folders = {}
    for f, deps in files.items():
        a = folder_of(f)
        folders.setdefault(a, set())
        for g in deps:
            b = folder_of(g)
            if a != b:
                folders[a].add(b)
    failed = 0
    cycles = sccs(folders)
    if cycles:
        failed += 1
        print(f"not ok - no link-level cycle between folders of {srcdir}")
        for c in cycles:
            print(f"#   cycle: {' <-> '.join(c)}")
            for a in c:
                for b in c:
                    for w in sorted(why.get((a, b), ()))[:6]:
                        print(f"#     {w}")
    else:
        print(f"ok - no link-level cycle between the {len(folders)} folders of {srcdir}")
    big = []
    for top in (srcdir, "include"):
        for root, _, names in os.walk(top):
            for n in names:
                if n.endswith((".c", ".h")):
                    p = os.path.join(root, n)
                    with open(p, encoding="utf-8", errors="replace") as fh:
                        k = sum(1 for _ in fh)
                    if k > MAX_LINES:
                        big.append(f"{p} ({k} lines)")
    if big:
        failed += 1
        print(f"not ok - every source file is at most {MAX_LINES} lines")
        for b in sorted(big):
            print(f"#   {b}")
    else:
        print(f"ok - every source file is at most {MAX_LINES} lines")
    if show:
        for a in sorted(folders):
            print(f"# {a} -> {' '.join(sorted(folders[a])) or '-'}")
        for c in sccs(files):
            print(f"# file cycle: {' <-> '.join(c)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
