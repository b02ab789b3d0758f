#!/usr/bin/env python3
"""The test inputs themselves, before any suite trusts them:

  - real/: every file, as the suites read it (the .gz ones decompressed),
    has the sha256 that real/SOURCES.md gives for the original bytes;
  - malformed/: the files tests/gen/malformed_big.py writes have the sha256
    in malformed/README.md (the same bytes on every run);
  - tests/oracle.py: its own marshal decoder reads every accepted file to
    the same canonical JSON as CPython's marshal does, and it rejects the
    files that would make marshal allocate gigabytes or recurse 100,000
    deep, quickly and within 1 GiB of address space;
  - tests/gen/synthetic.py: the same seed gives the same bytes under another
    hash seed, another seed other bytes, and the file obeys cProfile's
    rules when read back with pstats (checked here, apart from the
    generator's own asserts).

usage: check_inputs.py CORPUS     (the folder meson assembles: inputs.py)
"""
import collections
import json
import marshal
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import inputs

sys.path.insert(0, os.path.dirname(inputs.ORACLE))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, tally  # noqa: E402
import oracle  # noqa: E402

SRC = inputs.SRC


def sums(md):
    """The `sha256  name` lines of a markdown file's code blocks."""
    with open(md) as f:
        return {m.group(2): m.group(1)
                for m in re.finditer(r"^([0-9a-f]{64})  (\S+)$", f.read(), re.M)}


def check_sums(corpus):
    listed = sums(os.path.join(SRC, "tests", "corpus", "real", "SOURCES.md"))
    present = [n for n in sorted(os.listdir(os.path.join(corpus, "real"))) if not n.endswith(".md")]
    check(sorted(listed) == present, "real/SOURCES.md lists every real/ file", (sorted(listed), present))
    for name in present:
        got = inputs.sha256_file(os.path.join(corpus, "real", name))
        check(got == listed.get(name), "real/%s has the sha256 of SOURCES.md" % name,
              (got, listed.get(name)))
    big = sums(os.path.join(SRC, "tests", "corpus", "malformed", "README.md"))
    made = subprocess.run([sys.executable, inputs.MALFORMED_BIG, "--list"],
                          capture_output=True, text=True).stdout.split()
    check(sorted(big) == sorted(made) and made, "malformed/README.md gives every generated file's sha256",
          (sorted(big), made))
    for name in made:
        got = inputs.sha256_file(os.path.join(corpus, "malformed", name))
        check(got == big.get(name), "malformed/%s (generated) has the sha256 of README.md" % name,
              (got, big.get(name)))
        committed = os.path.join(SRC, "tests", "corpus", "malformed", name)
        check(not os.path.exists(committed), "malformed/%s is generated, not committed" % name)


def as_json(obj):
    return json.dumps(obj, ensure_ascii=True, allow_nan=True)


def check_decoder(corpus):
    """Decoder (compat) against CPython's marshal on every file both read."""
    compared = 0
    for rel in inputs.files(corpus):
        chk = inputs.oracle(corpus, rel, "check")
        if not chk.get("ok") or rel in inputs.CHECK_ONLY:
            continue
        with open(os.path.join(corpus, rel), "rb") as f:
            data = f.read()
        try:
            marshal.loads(data)  # accepted, so pre-scanned: no huge sizes
        except (ValueError, EOFError, TypeError):
            continue  # only the decoder reads it
        try:
            st, reader = oracle.load(data, compat=True)
            got = oracle.canonical(st, reader)
        except oracle.Rejected as e:
            check(False, "decoder reads %s" % rel, e)
            continue
        want = inputs.oracle(corpus, rel, "canonical")
        got["reader"] = want["reader"]
        check(as_json(json.loads(as_json(got))) == as_json(want),
              "decoder reads %s as CPython's marshal does" % rel)
        compared += 1
    check(compared >= 28, "decoder compared on %d files (of the 28 CPython reads)" % compared)


def limited(mib):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (mib << 20, mib << 20))
    return apply


def check_oracle_bounds(corpus):
    for rel, says in (("malformed/declared_huge_tuple.prof", "tuple of 2147483647"),
                      ("malformed/declared_huge_list.prof", "list of 2147483647"),
                      ("malformed/declared_huge_string.prof", "2147483647"),
                      ("malformed/deep_tuples_100000.prof", "nesting deeper than 2000"),
                      ("malformed/deep_lists_100000.prof", "nesting deeper than 2000"),
                      ("malformed/deep_dicts_100000.prof", "nesting deeper than 2000")):
        t0 = time.monotonic()
        try:
            p = subprocess.run([sys.executable, inputs.ORACLE, os.path.join(corpus, rel), "--check"],
                               capture_output=True, timeout=20, preexec_fn=limited(1024))
            out = json.loads(p.stdout) if p.stdout.startswith(b"{") else {}
        except subprocess.TimeoutExpired:
            p, out = None, {"timeout": True}
        secs = time.monotonic() - t0
        check(p is not None and p.returncode == 2 and says in out.get("error", "") and secs < 10,
              "oracle rejects %s before allocating (%.2f s)" % (rel, secs),
              (out, p and p.stderr[-500:]))


def check_synthetic(corpus):
    path = os.path.join(corpus, "synthetic", "synthetic_10000.prof")
    with tempfile.TemporaryDirectory() as tmp:
        again = os.path.join(tmp, "again.prof")
        other = os.path.join(tmp, "other.prof")
        env = dict(os.environ, PYTHONHASHSEED="12345")
        subprocess.run([sys.executable, inputs.SYNTHETIC, "10000", "--seed", str(inputs.SYNTHETIC_SEED),
                        "-o", again], check=True, capture_output=True, env=env)
        with open(path, "rb") as a, open(again, "rb") as b:
            check(a.read() == b.read(), "synthetic.py: same seed, same bytes (another hash seed)")
        small = os.path.join(tmp, "small.prof")
        subprocess.run([sys.executable, inputs.SYNTHETIC, "1000", "--seed", "1", "-o", small],
                       check=True, capture_output=True)
        subprocess.run([sys.executable, inputs.SYNTHETIC, "1000", "--seed", "2", "-o", other],
                       check=True, capture_output=True)
        with open(small, "rb") as a, open(other, "rb") as b:
            check(a.read() != b.read(), "synthetic.py: another seed, other bytes")
        p = subprocess.run([sys.executable, inputs.SYNTHETIC, "100", "-o", other], capture_output=True)
        check(p.returncode != 0 and b"too small" in p.stderr, "synthetic.py: too small an N is refused",
              p.stderr)

    with open(path, "rb") as f:
        data = f.read()
    check(data[:1] == b"\xfb", "synthetic.py writes marshal v4 (a dict with FLAG_REF)", data[:4])
    stats = marshal.loads(data)
    n = 10000
    check(len(stats) == n, "synthetic_10000 has 10000 functions", len(stats))

    def close(a, b):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)

    bad = []
    roots = []
    for key, (cc, nc, tt, ct, callers) in stats.items():
        if not (0 <= cc <= nc and 0 <= tt <= ct * (1 + 1e-12)):
            bad.append(("function", key))
        for ck, (e_nc, e_cc, e_tt, e_ct) in callers.items():
            if not (0 <= e_cc <= e_nc and 0 <= e_tt <= e_ct * (1 + 1e-12)):
                bad.append(("edge", ck, key))
        if not callers:
            roots.append(key)
            continue
        if sum(v[0] for v in callers.values()) != nc or not close(sum(v[2] for v in callers.values()), tt):
            bad.append(("callers' nc or tt", key))
    check(not bad, "synthetic: cc <= nc, tt <= ct, callers add up to nc and tt", bad[:5])

    # strongly connected components: the recursion cycles
    callees = collections.defaultdict(dict)
    for key, v in stats.items():
        for ck, ev in v[4].items():
            callees[ck][key] = ev
    cyc = cycles(stats, callees)
    sizes = collections.Counter(len(c) for c in cyc)
    check(all(sizes[k] for k in range(1, 6)), "synthetic: recursion cycles of 1 to 5 functions",
          dict(sizes))
    in_cycle = {k for c in cyc for k in c}
    bad = []
    for key, (cc, nc, tt, ct, callers) in stats.items():
        if key in in_cycle:
            continue
        below = sum(ev[3] for ev in callees[key].values())
        if callers and (sum(v[1] for v in callers.values()) != cc or
                        not close(sum(v[3] for v in callers.values()), ct)):
            bad.append(("callers' cc or ct", key))
        if not close(ct, tt + below):
            bad.append(("ct != tt + callees", key, ct, tt + below))
    check(not bad, "synthetic: outside cycles, callers add up to cc and ct, ct = tt + callees", bad[:5])
    over = [k for c in cyc for k in c if sum(v[3] for v in stats[k][4].values()) > stats[k][3]]
    check(len(over) >= len(cyc), "synthetic: in a cycle the callers' ct exceeds ct (the back edge)",
          (len(over), len(cyc)))
    total_tt = sum(v[2] for v in stats.values())
    check(close(total_tt, sum(stats[k][3] for k in roots)), "synthetic: total_tt = the roots' ct",
          (total_tt, sum(stats[k][3] for k in roots)))
    check(len(roots) == 6 + n // 300, "synthetic: 6 + N/300 roots", len(roots))
    steps = {k[2]: k for k in stats if k[2].startswith("step_")}
    chain = all("step_%d" % (j - 1) in {c[2] for c in stats[steps["step_%d" % j]][4]}
                for j in range(1, 5000)) if len(steps) == 5000 else False
    check(chain, "synthetic: the chain step_0 -> ... -> step_4999", len(steps))
    fan_in = max(len(v[4]) for v in stats.values())
    # 600 drawn callers, and maybe a call from another hub
    check(600 <= fan_in <= 610 and any(k[0] == "~" and len(v[4]) >= 300 for k, v in stats.items()),
          "synthetic: hubs and builtins with up to 600 callers", fan_in)
    check(any(not k[0].isascii() for k in stats) and any(k[0].startswith("<frozen") for k in stats),
          "synthetic: non-ASCII and <frozen ...> file names")


def cycles(stats, callees):
    """The strongly connected components that hold a cycle (Tarjan's,
    iterative: the chain alone is 5000 deep)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    for start in stats:
        if start in index:
            continue
        work = [(start, iter(callees[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(callees[w])))
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
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1 or v in callees[v]:
                        out.append(comp)
    return out


def main():
    corpus = sys.argv[1]
    if not os.path.isdir(corpus):
        print("no test inputs at %s: meson assembles them (ninja -C BUILD tests/corpus.stamp)" % corpus)
        return 1
    check_sums(corpus)
    check_oracle_bounds(corpus)
    check_decoder(corpus)
    check_synthetic(corpus)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
