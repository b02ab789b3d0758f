#!/usr/bin/env python3
"""The tree's numbers against Python's own pstats, read at test time,
through GET /api/profiles/<id>/tree of the real binary:

  - on the bundled sample, the chain from problem_function down to
    _rule_key_to_state carries each function's pstats cumtime, exact; and
    so does every node below problem_function reached through functions
    with one caller each;

usage: check_tree_numbers.py PSTATSVIZ DATA_DIR
"""
import os
import pstats
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import check, tally  # noqa: E402

CHAIN = ["problem_function", "predict_action_probabilities", "_predict",
         "_find_action_from_rules", "_get_possible_keys", "<lambda>",
         "_is_rule_applicable", "_rule_key_to_state"]


def close(a, b):
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def key_of(node):
    return (node["file"], node["line"], node["name"])


def walk(node, visit, up=()):
    visit(node, up)
    for c in node.get("children", []):
        walk(c, visit, up + (node,))


def tree(srv, pid, query):
    status, _, doc = srv.json("GET", "/api/profiles/%s/tree?%s" % (pid, query))
    if status != 200:
        raise RuntimeError("tree?%s: %s %s" % (query, status, doc))
    return doc


def sample_numbers_agree(srv, data_dir):
    path = os.path.join(data_dir, "rasa_maxsize1000.prof")
    st = pstats.Stats(path)
    with open(path, "rb") as f:
        pid = srv.upload(f.read())
    doc = tree(srv, pid, "depth=64&cutoff=0")

    # problem_function, found by name, then its chain down, child by child.
    found = []
    walk(doc["root"], lambda n, up: found.append(n) if n.get("name") == CHAIN[0] else None)
    check(len(found) == 1, "problem_function is in the tree once", len(found))
    node, bad = found[0] if found else None, []
    for i, name in enumerate(CHAIN):
        if node is None:
            bad.append((name, "missing"))
            break
        ct = st.stats[key_of(node)][3]
        if not (node["exact"] and close(node["value"], ct)):
            bad.append((name, node["value"], ct, node["exact"]))
        nxt = [c for c in node.get("children", []) if c.get("name") == CHAIN[i + 1]] \
            if i + 1 < len(CHAIN) else [None]
        node = nxt[0] if nxt else None
    check(not bad, "problem_function down to _rule_key_to_state: pstats' cumtime, exact", bad)

    # Below problem_function, any node reached through functions that have
    # one caller each and do not recurse carries its whole cumtime, exact.
    def single(n):
        cc, nc, _, _, callers = st.stats[key_of(n)]
        return len(callers) == 1 and cc == nc

    wrong, seen = [], [0, 0]

    def visit(n, up):
        if n.get("other"):
            return
        funcs = list(up) + [n]
        if not all(single(a) for a in funcs):
            seen[1] += 1
            return
        seen[0] += 1
        ct = st.stats[key_of(n)][3]
        if not (n["exact"] and close(n["value"], ct)):
            wrong.append((n["label"], n["value"], ct, n["exact"]))
    if found:
        walk(found[0], visit)
    check(seen[0] > 30 and seen[1] > 30 and not wrong,
          "below problem_function, the %d nodes on single-caller paths carry pstats' cumtime, "
          "exact (%d other nodes)" % tuple(seen), wrong[:5])


def main():
    exe, data_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        srv = harness.Server(exe, os.path.join(tmp, "db.sqlite"))
        try:
            sample_numbers_agree(srv, data_dir)
        finally:
            code, log = srv.stop()
            check(code == 0, "server stops cleanly", log[-2000:])
    return tally()


if __name__ == "__main__":
    sys.exit(main())
