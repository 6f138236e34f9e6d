#!/usr/bin/env python3
"""List import cycles between the modules of a Rust crate (files under src/).

Usage: python3 .ci/modcycles.py [SRC_DIR]   (default: src; a copy of the team tool, run by .ci/run)
Each file is a node (src/sim/cloud.rs -> crate::sim::cloud; src/sim/mod.rs -> crate::sim).
An edge A -> B is any `crate::...` path in A (use lines, inline paths, `super::` resolved)
that names B or something inside B; paths naming a module's item resolve to the deepest file
that exists. Test modules (`#[cfg(test)] mod tests` files named tests.rs) are skipped.
Prints each strongly connected component of more than one file with the edges inside it and
the names that create them; exit code 1 when there is a cycle, 0 otherwise.
"""
import os, re, sys
from collections import defaultdict

src = sys.argv[1] if len(sys.argv) > 1 else "src"
files = {}
for root, _, names in os.walk(src):
    for n in names:
        if not n.endswith(".rs") or n == "tests.rs":
            continue
        p = os.path.join(root, n)
        rel = os.path.relpath(p, src)[:-3].split(os.sep)
        if rel[-1] in ("mod", "lib", "main"):
            rel = rel[:-1]
        files[tuple(rel)] = p

def resolve(parts):
    """Deepest module file that the path parts point into."""
    for k in range(len(parts), 0, -1):
        if tuple(parts[:k]) in files:
            return tuple(parts[:k])
    return None

path_re = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
group_re = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}", re.S)
edges = defaultdict(lambda: defaultdict(set))
for mod, p in files.items():
    text = open(p, encoding="utf-8", errors="replace").read()
    # drop inline test modules
    text = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests\s*\{", text)[0]
    text = re.sub(r"//[^\n]*", "", text)
    is_dir_mod = os.path.basename(p) in ("mod.rs", "lib.rs", "main.rs")
    here = list(mod) if is_dir_mod else list(mod[:-1])
    def base(kind):
        return [] if kind == "crate" else (here[:-1] if is_dir_mod else here)
    def add(kind, segs, name):
        parts = base(kind) + segs
        tgt = resolve(parts)
        if tgt and tgt != mod and not (tgt == () ):
            edges[mod][tgt].add(name or (parts[-1] if parts else ""))
    for m in group_re.finditer(text):
        kind, prefix, body = m.group(1), m.group(2), m.group(3)
        pre = [s for s in prefix.split("::") if s]
        for item in re.split(r",", re.sub(r"\{|\}", ",", body)):
            item = item.strip().split(" as ")[0].strip()
            if not item or item == "self":
                add(kind, pre, pre[-1] if pre else "")
                continue
            segs = [s for s in item.split("::") if s and s != "*"]
            add(kind, pre + segs, segs[-1] if segs else "")
    text2 = group_re.sub("", text)
    for m in path_re.finditer(text2):
        segs = [s for s in m.group(2).split("::") if s]
        add(m.group(1), segs, segs[-1])

# Tarjan SCC
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(comp)
for v in list(files):
    if v not in index:
        visit(v)

name = lambda m: files[m]
if not sccs:
    print(f"no import cycle among {len(files)} files under {src}/")
    sys.exit(0)
for i, comp in enumerate(sccs, 1):
    members = set(comp)
    print(f"cycle {i}: {len(comp)} files: " + ", ".join(sorted(name(m) for m in comp)))
    for a in sorted(comp):
        for b in sorted(edges[a]):
            if b in members:
                print(f"  {name(a)} -> {name(b)}: {', '.join(sorted(edges[a][b]))}")
sys.exit(1)
