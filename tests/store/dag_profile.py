#!/usr/bin/env python3
"""A quick, deterministic stats file for write and space tests: N functions
in a call DAG (every call goes from a lower to a higher index, 1 to 4
callers each), with numbers that add up as cProfile's do (ct = tt + the
callees' shares, cc = nc, no recursion).  The seed goes into every file
name, so two seeds never share an id.  Same (n, seed), same bytes.

Tests import profile_bytes(); as a script it writes one file:

usage: dag_profile.py N SEED OUT
"""
import marshal
import random
import sys


def profile_bytes(n, seed):
    rng = random.Random(seed * 1000003 + n)
    keys = [("/srv/app%d/pkg%d/mod%d.py" % (seed, i // 400, i // 40), 1 + (i % 40) * 9,
             "f%d" % i) for i in range(n)]
    tt = [rng.randint(1, 2000) * 1e-6 for _ in range(n)]
    callers = [dict() for _ in range(n)]   # callee -> {caller: calls}
    roots = max(1, n // 1000)
    for j in range(roots, n):
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(max(0, j - 3000), j)
            callers[j][i] = callers[j].get(i, 0) + rng.randint(1, 50)
    nc = [sum(c.values()) or 1 for c in callers]
    ct = list(tt)
    for j in range(n - 1, -1, -1):          # callees first: their ct is final
        for i, calls in callers[j].items():
            ct[i] += ct[j] * calls / nc[j]
    stats = {}
    for j in range(n):
        edges = {}
        for i, calls in sorted(callers[j].items()):
            share = calls / nc[j]
            edges[keys[i]] = (calls, calls, tt[j] * share, ct[j] * share)
        stats[keys[j]] = (nc[j], nc[j], tt[j], ct[j], edges)
    return marshal.dumps(stats, 4)


if __name__ == "__main__":
    n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(out, "wb") as f:
        f.write(profile_bytes(n, seed))
