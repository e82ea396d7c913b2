#!/usr/bin/env python3
"""structure_check.py: the source tree's shape, checked from the build.

  structure_check.py OBJDIR SRCDIR [--graph]

Link level: every object's undefined symbols (nm -u) are resolved to the
object that defines them (nm --defined-only), giving a graph of files; each
file belongs to the folder it sits in under SRCDIR (src/main.c to "main").
Objects whose source no longer exists (a build directory from before a
move) are left out.  Fails, naming the offenders:
  - a cycle between folders, with the symbols that tie them;
  - a cycle between files, even inside one folder;
  - a source file (.c, .h under SRCDIR and include/) over 600 lines;
  - a function over 80 lines (a definition starts at column 0 and its
    body is the lines from a "{" alone on a line to the next "}" alone on
    a line, as clang-format lays out this tree).
--graph also prints the folder graph.  Prints TAP lines for tests/run.sh.
"""
import os
import re
import subprocess
import sys

MAX_LINES = 600
MAX_FUNCTION = 80


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


def long_functions(path):
    """Functions of path longer than MAX_FUNCTION lines, as 'path:line name (n lines)'."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"[A-Za-z_]", lines[j]):
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            k = i + 1
            while k < len(lines) and lines[k] != "}":
                k += 1
            n = k - j + 1
            if n > MAX_FUNCTION:
                out.append(f"{path}:{j + 1} {m.group(1) if m else lines[j]} ({n} lines)")
            i = k
        i += 1
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
        if rel.startswith("gen" + os.sep) or not os.path.exists(os.path.join(srcdir, rel)):
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
    fcycles = sccs(files)
    if fcycles:
        failed += 1
        print(f"not ok - no link-level cycle between files of {srcdir}")
        for c in fcycles:
            print(f"#   cycle: {' <-> '.join(c)}")
    else:
        print(f"ok - no link-level cycle between the {len(files)} files of {srcdir}")
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
    long_fns = []
    for root, _, names in os.walk(srcdir):
        for n in sorted(names):
            if n.endswith(".c"):
                long_fns += long_functions(os.path.join(root, n))
    if long_fns:
        failed += 1
        print(f"not ok - every function is at most {MAX_FUNCTION} lines")
        for f in long_fns:
            print(f"#   {f}")
    else:
        print(f"ok - every function is at most {MAX_FUNCTION} lines")
    if show:
        for a in sorted(folders):
            print(f"# {a} -> {' '.join(sorted(folders[a])) or '-'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
