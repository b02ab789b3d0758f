#!/usr/bin/env python3
"""A big, consistent, cProfile-shaped stats file from a seed.

usage: synthetic.py N [--seed S] -o FILE

Writes the marshal v4 stats dict (as pstats.dump_stats does) of N functions.
The same N and seed give the same bytes on every run: every random choice
comes from random.Random(seed) (53-bit draws and sample(), no libm), times are whole
nanoseconds until the last step (one division each), and the dict is built
in index order, so no float rounding, hash seed or libm enters.  (The
FLAG_REF marks marshal.dumps chooses follow reference counts, which are
fixed by this program; a future CPython could mark differently.)

The call graph, by function index (calls go to higher indices, except the
back edges of recursion cycles):

    roots     6 entry points, plus N/300 orphans spread through the body:
              empty callers dicts, called from outside (ext calls)
    body      each function has 1-13 callers among the WINDOW indices before
              it; about 1% head a recursion cycle of k = 1 (self), 2
              (mutual) or 3-5 (ring) functions, each outside call running
              d = k..40 deep (d = 1000 for some); files of 5-60 functions,
              every 97th file under a non-ASCII path, every 101st a
              <frozen ...> pseudo file
    chain     step_0 -> step_1 -> ... -> step_4999 (min(5000, N/2) long),
              entered from 3 body functions
    hubs      N/100 (at least 20) builtins ('~', 0, '<built-in method ...>'
              or "<method '...' of '...' objects>") and helpers, with 20-600
              callers each (some 2-10)
    N >= 300,000: one call count above 2**31 (marshal writes an 'l' long)

The numbers follow cProfile's rules, and are checked before writing:
  * every function and edge: cc <= nc, tt <= ct (all >= 0)
  * a function's callers add up to its nc and tt (roots: no callers)
  * a function outside any cycle: its callers add up to its cc and ct, and
    ct = tt + the ct of the edges to its callees
  * in a cycle, cc counts the outermost calls only and ct the time of the
    outermost call only (on a function and on each edge), so the callers'
    ct adds up to more than ct: the back edge carries it again
  * total_tt = the sum of tt = the sum of the roots' ct
"""
import argparse
import hashlib
import marshal
import os
import random
import sys

CHAIN_MAX = 5000
MIN_N = 240            # 100 body functions, a chain of 120 and 20 hubs
WINDOW = 3000
NS = 1_000_000_000

VERBS = ("fetch", "store", "scan", "build", "apply", "match", "merge", "emit", "split", "index",
         "score", "route", "flush", "sort", "read", "write", "visit", "resolve")
NOUNS = ("record", "token", "span", "frame", "row", "batch", "page", "graph", "cell", "edge",
         "tree", "blob", "user", "query", "plan")
SPECIAL = ("<lambda>", "<genexpr>", "<listcomp>", "<dictcomp>", "<module>", "__init__",
           "__call__", "__getattr__", "wrapper", "inner")
CALLS = (1, 1, 1, 1, 2, 2, 3, 4, 8, 16, 50, 200)


class Graph:
    """Functions 0..n-1 with their keys, calls and times (whole ns)."""

    def __init__(self, n, seed):
        self.n = n
        self.rng = random.Random(seed)
        self.keys = [None] * n
        self.self_ns = [0] * n       # own time of one call
        self.ext = [0] * n           # calls from outside the profile (roots)
        self.out = [{} for _ in range(n)]   # caller -> {callee: calls}, in-cycle edges apart
        self.cycles = {}             # head -> (members, depth)
        self.head_of = {}            # member -> its cycle's head
        self.roots = []

    def draw(self, k):
        """0..k-1.  random() * k is one IEEE multiply of 53 random bits:
        the same everywhere, and 10x cheaper than randrange."""
        return int(self.rng.random() * k)

    def between(self, lo, hi):
        return lo + self.draw(hi - lo + 1)

    def sample(self, lo, hi, k):
        """k distinct values of lo..hi-1, in the order drawn (our own, so
        that no change to random.sample can move them)."""
        assert 0 <= k <= hi - lo
        seen = {}
        while len(seen) < k:
            seen.setdefault(lo + self.draw(hi - lo), None)
        return list(seen)


def name_functions(g, body_end, chain_end):
    fileno, left, line, path = 0, 0, 0, None
    for i in range(body_end):
        if not left:
            fileno += 1
            left = g.between(5, 60)
            line = g.between(1, 40)
            parts = "/".join(["pkg%d" % (fileno % 41)] +
                             ["sub%d" % g.draw(10) for _ in range(g.between(1, 3))])
            if fileno % 101 == 0:
                path = "<frozen app.boot_%d>" % fileno
            elif fileno % 97 == 0:
                path = "/srv/app/donn\u00e9es/\u6a21\u5757_%d.py" % fileno
            else:
                path = "/srv/app/%s/mod_%d.py" % (parts, fileno)
        if g.draw(100) < 12:
            name = SPECIAL[g.draw(len(SPECIAL))]
        else:
            name = "%s_%s" % (VERBS[g.draw(len(VERBS))], NOUNS[g.draw(len(NOUNS))])
        g.keys[i] = (path, line, name)
        line += g.between(3, 90)
        left -= 1
    for j in range(chain_end - body_end):
        g.keys[body_end + j] = ("/srv/app/deep/chain_%d.py" % (j // 500), 10 + 6 * (j % 500),
                                "step_%d" % j)
    for j in range(g.n - chain_end):
        if j % 3 == 0:
            key = ("~", 0, "<built-in method builtins.op_%d>" % j)
        elif j % 3 == 1:
            key = ("~", 0, "<method 'm_%d' of 'T%d' objects>" % (j, j % 7))
        else:
            key = ("/srv/app/util/helpers.py", 20 + 12 * j, "helper_%d" % j)
        g.keys[chain_end + j] = key


def calls(g):
    if g.draw(10):
        return CALLS[g.draw(len(CALLS))]
    return g.between(100, 2999)


def build(n, seed):
    if n < MIN_N:
        raise SystemExit("synthetic.py: N=%d is too small: at least %d" % (n, MIN_N))
    g = Graph(n, seed)
    chain = min(CHAIN_MAX, n // 2)
    nhubs = max(20, n // 100)
    body_end = n - chain - nhubs
    chain_end = body_end + chain
    name_functions(g, body_end, chain_end)

    # roots: the first 6, and orphans spread through the body
    g.roots = list(range(6)) + sorted(g.sample(6, body_end - 10, n // 300))
    is_root = bytearray(n)
    for r in g.roots:
        is_root[r] = 1
        g.ext[r] = (1, 1, 1, 2, 10)[g.draw(5)]

    # recursion cycles: a head and its k-1 members right after it, none a root
    heads = []
    i = 6
    while i < body_end - 5:
        if g.draw(100) == 0:
            k = (1,) * 12 + (2,) * 5 + (3, 3, 4, 5)
            k = k[g.draw(len(k))]
            if not any(is_root[i:i + k]):
                depth = 1000 if g.draw(30) == 0 else g.between(max(2, k), 40)
                members = list(range(i, i + k))
                g.cycles[i] = (members, depth)
                for m in members:
                    g.head_of[m] = i
                heads.append(i)
                i += k
                continue
        i += 1

    # body calls: callers from the window before each callee; only a cycle's
    # head is called from outside the cycle, and a member calls out only
    # past the end of its cycle
    def cycle_end(x):
        h = g.head_of.get(x)
        return x if h is None else h + len(g.cycles[h][0]) - 1

    for h in range(6, body_end):
        if is_root[h] or g.head_of.get(h, h) != h:
            continue
        lo = max(0, h - WINDOW)
        want = 1 + g.draw(13)
        for _ in range(2 * want):
            c = g.between(lo, h - 1)
            if cycle_end(c) >= h:
                continue
            if h not in g.out[c]:
                g.out[c][h] = calls(g)
                want -= 1
                if not want:
                    break
    # a function the draws left without a caller is called by an entry point
    called = bytearray(n)
    for c in range(body_end):
        for h in g.out[c]:
            called[h] = 1
    for h in range(6, body_end):
        if not (is_root[h] or called[h] or g.head_of.get(h, h) != h):
            g.out[g.draw(6)][h] = calls(g)

    # cycle members call onwards too
    for head in heads:
        members, _ = g.cycles[head]
        top = members[-1]
        for m in members:
            for _ in range(g.draw(4)):
                if top + 1 < body_end:
                    h = g.between(top + 1, min(body_end, top + WINDOW) - 1)
                    if not is_root[h] and g.head_of.get(h, h) == h:
                        g.out[m][h] = g.out[m].get(h, 0) + 1 + g.draw(3)

    # the chain, entered from three body functions outside any cycle
    entries = [c for c in range(6, body_end // 2) if c not in g.head_of]
    for c in (entries[i] for i in g.sample(0, len(entries), 3)):
        g.out[c][body_end] = 1 + g.draw(3)
    for j in range(body_end, chain_end - 1):
        g.out[j][j + 1] = None          # once per call: known when nc(j) is
    g.out[chain_end - 1][chain_end] = 1   # the last step calls a hub

    # hubs: many callers each, from the whole graph below them
    for j in range(nhubs):
        h = chain_end + j
        fan_in = (20, 40, 80, 150, 300, 600)[g.draw(6)] if j % 7 else g.between(2, 10)
        for c in g.sample(6, chain_end, min(fan_in, chain_end - 6)):
            g.out[c][h] = g.out[c].get(h, 0) + calls(g)
        if j + 1 < nhubs and g.draw(10) < 3:
            g.out[h][chain_end + j + 1 + g.draw(nhubs - j - 1)] = 1 + g.draw(4)
    if n >= 300000:
        # a builtin called 3e9 times from one place: beyond int32 and uint31
        g.out[g.roots[1]][chain_end] = 3_000_000_000

    for x in range(n):
        if x >= chain_end:
            g.self_ns[x] = g.between(20, 399)
        elif x >= body_end:
            g.self_ns[x] = g.between(300, 1499)
        elif g.draw(20):
            g.self_ns[x] = g.between(200, 4999)
        else:
            g.self_ns[x] = g.between(5000, 199999)
    return g, body_end, chain_end


def spread(total, weights, wsum):
    """total split in proportion to weights, in whole units, adding up
    exactly: each gets its floor, the first ones one more for the rest."""
    parts = [total * w // wsum for w in weights]
    for i in range(total - sum(parts)):
        parts[i] += 1
    return parts


def compute(g, body_end, chain_end):
    """cc, nc, tt, ct of every function and (nc, cc, tt, ct) of every edge,
    in whole ns, bottom-up: a callee is done before its callers."""
    n = g.n
    callers = [[] for _ in range(n)]          # callee -> [[caller, nc, cc, tt, ct]]
    nc = list(g.ext)
    for c in range(n):
        for h, k in g.out[c].items():
            if k is not None:
                nc[h] += k
    # the chain: each step calls the next once per call
    for j in range(body_end, chain_end - 1):
        g.out[j][j + 1] = nc[j]
        nc[j + 1] += nc[j]
    for c in range(n):
        for h, k in g.out[c].items():
            callers[h].append([c, k, k, 0, 0])

    func = [None] * n                         # (cc, nc, tt, ct)
    below = [0] * n                           # ct of the edges to its callees

    def hand_up(x, ct):
        """x's ct to the edges from its callers outside its cycle, in
        proportion to their calls; tt per call."""
        cyc = g.head_of.get(x)
        edges = [e for e in callers[x] if cyc is None or g.head_of.get(e[0]) != cyc]
        if not edges:
            return
        for e, share in zip(edges, spread(ct, [e[1] for e in edges], sum(e[1] for e in edges))):
            e[3] = e[1] * g.self_ns[x]
            e[4] = share
            below[e[0]] += share

    for x in range(n - 1, -1, -1):
        head = g.head_of.get(x)
        if head is None:
            tt = nc[x] * g.self_ns[x]
            ct = tt + below[x]
            func[x] = (nc[x], nc[x], tt, ct)
            hand_up(x, ct)
        elif head == x:
            cycle(g, x, nc, func, below, callers)
            hand_up(x, func[x][3])
    return func, callers


def cycle(g, head, nc, func, below, callers):
    """A recursion cycle: each of the P outside calls of the head runs d deep,
    position p visiting member p % k.  Totals over all P runs, in ns."""
    members, d = g.cycles[head]
    k = len(members)
    P = nc[head]                                  # outside calls only, so far
    visits = [len(range(j, d, k)) for j in range(k)]
    # what a member's calls out of the cycle cost, shared by its visits
    out_share = [spread(below[m], [1] * visits[j], visits[j]) for j, m in enumerate(members)]
    cost = [P * g.self_ns[members[p % k]] + out_share[p % k][p // k] for p in range(d)]
    after = [0] * (d + 1)                         # after[p]: positions p..d-1
    for p in range(d - 1, -1, -1):
        after[p] = after[p + 1] + cost[p]
    for j, m in enumerate(members):
        total = P * visits[j]
        func[m] = (P, total, total * g.self_ns[m], after[j])
        nc[m] = total
    # the in-cycle edges prev -> member, first used at position q: counted
    # from there on; cc and ct for the outermost use of the edge only
    for j, m in enumerate(members):
        first = j if j else k
        if first >= d:
            continue
        uses = P * len(range(first, d, k))
        callers[m].append([members[j - 1], uses, P, uses * g.self_ns[m], after[first]])


def check(g, func, callers):
    """cProfile's rules (module docstring), exactly, in ns."""
    n = g.n
    for x in range(n):
        cc, nc, tt, ct = func[x]
        assert 0 <= cc <= nc and 0 <= tt <= ct, (x, func[x])
        edges = callers[x]
        for c, e_nc, e_cc, e_tt, e_ct in edges:
            assert 0 <= e_cc <= e_nc and 0 <= e_tt <= e_ct, (c, x)
        if g.ext[x]:
            assert not edges and cc == nc == g.ext[x], x
            continue
        assert sum(e[1] for e in edges) == nc, x
        assert sum(e[3] for e in edges) == tt, x
        if x not in g.head_of:
            assert sum(e[2] for e in edges) == cc, x
            assert sum(e[4] for e in edges) == ct, x
    down = [0] * n
    for x in range(n):
        for c, _, _, _, e_ct in callers[x]:
            down[c] += e_ct
    for x in range(n):
        if x not in g.head_of:
            assert func[x][3] == func[x][2] + down[x], x
    total_tt = sum(f[2] for f in func)
    assert total_tt == sum(func[r][3] for r in g.roots), (total_tt, sum(func[r][3] for r in g.roots))
    return total_tt


def stats_dict(g, func, callers):
    """The pstats dict, in index order; callers' keys are the stats' own key
    objects, as cProfile's are (marshal writes them as references)."""
    stats = {}
    for x in range(g.n):
        cc, nc, tt, ct = func[x]
        stats[g.keys[x]] = (cc, nc, tt / NS, ct / NS,
                            {g.keys[c]: (e_nc, e_cc, e_tt / NS, e_ct / NS)
                             for c, e_nc, e_cc, e_tt, e_ct in callers[x]})
    return stats


def generate(n, seed):
    """(marshal bytes, summary line)."""
    g, body_end, chain_end = build(n, seed)
    func, callers = compute(g, body_end, chain_end)
    total_tt = check(g, func, callers)
    stats = stats_dict(g, func, callers)
    assert len(stats) == n, "two functions share a key"
    nedges = sum(len(e) for e in callers)
    summary = ("%d functions, %d edges, %d roots, %d recursion cycles, chain %d, "
               "total_tt %.6f s" % (n, nedges, len(g.roots), len(g.cycles), chain_end - body_end,
                                    total_tt / NS))
    del g, func, callers  # only the dict holds its objects while marshal looks
    return marshal.dumps(stats, 4), summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, metavar="N", help="number of functions")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("-o", dest="out", required=True, metavar="FILE", help="where to write it")
    a = ap.parse_args(argv)
    data, summary = generate(a.n, a.seed)
    tmp = "%s.tmp%d" % (a.out, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, a.out)
    print("%s: %s, %d bytes, sha256 %s" % (a.out, summary, len(data),
                                          hashlib.sha256(data).hexdigest()[:16]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
