#!/usr/bin/env python3
"""The tree's numbers against Python's own pstats, read at test time,
through GET /api/profiles/<id>/tree of the real binary:

  - on the bundled sample, the chain from problem_function down to
    _rule_key_to_state carries each function's pstats cumtime, exact; and
    so does every node below problem_function reached through functions
    with one caller each;
  - time no recorded call accounts for is an "(not recorded)" node;
  - every share "of all" (the function table's and the function detail's
    *_pct, a search's pct) is of the chart's denominator: the larger of
    pstats' total and the virtual root's value, so never over 100%;

usage: check_tree_numbers.py PSTATSVIZ DATA_DIR
"""
import marshal
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


# A run whose code under test switched the profiler off for a while inside
# paused(), as the standard library's tests do: paused's ct holds 0.5 s
# that no tt does, so exec's ct (1.7 s) exceeds pstats' total (1.2 s).
# Written as cProfile writes it: CPython 3.11's Profile.disable() stops the
# calls on the stack, so no run here leaves such a gap.
GAP_STATS = {
    ("~", 0, "<built-in method builtins.exec>"): (1, 1, 0.0, 1.7, {}),
    ("run.py", 1, "<module>"): (1, 1, 0.0, 1.7, {("~", 0, "<built-in method builtins.exec>"):
                                                 (1, 1, 0.0, 1.7)}),
    ("run.py", 10, "main"): (1, 1, 0.01, 1.7, {("run.py", 1, "<module>"): (1, 1, 0.01, 1.7)}),
    ("run.py", 20, "work"): (1, 1, 1.0, 1.0, {("run.py", 10, "main"): (1, 1, 1.0, 1.0)}),
    ("run.py", 30, "paused"): (1, 1, 0.04, 0.69, {("run.py", 10, "main"): (1, 1, 0.04, 0.69)}),
    ("run.py", 40, "busy"): (1, 1, 0.15, 0.15, {("run.py", 30, "paused"): (1, 1, 0.15, 0.15)}),
}


def unrecorded_time_is_a_node(srv, tmp):
    path = os.path.join(tmp, "gap.prof")
    with open(path, "wb") as f:
        marshal.dump(GAP_STATS, f)
    st = pstats.Stats(path)
    top = max(v[3] for v in st.stats.values())
    gap = top - st.total_tt
    check(gap > 0.4, "the gap profile's top call exceeds pstats' total (%g > %g)"
          % (top, st.total_tt))
    with open(path, "rb") as f:
        pid = srv.upload(f.read())
    doc = tree(srv, pid, "depth=64&cutoff=0")
    root = doc["root"]
    check(close(doc["total_time"], st.total_tt) and close(root["value"], top) and
          close(doc["breadcrumbs"][0]["value"], top),
          "total_time is pstats' total, the root's value the top call's ct",
          (doc["total_time"], root["value"]))
    found = []
    walk(root, lambda n, up: found.append((n, up[-1])) if n.get("unrecorded") else None)
    check(len(found) == 1 and close(found[0][0]["value"], gap) and
          found[0][1].get("name") == "paused" and not found[0][0].get("children"),
          "one (not recorded) node, under paused, holds the gap",
          [(n, p.get("name")) for n, p in found])
    if found:
        p = found[0][1]
        kids = sum(c["value"] for c in p["children"])
        check(close(kids + p["self"], p["value"]),
              "paused: its children, the gap among them, and its self make its value",
              (kids, p["self"], p["value"]))
    # Shown where its time is, whatever the root: from paused down too.
    fids = []
    walk(root, lambda n, up: fids.append([a["fid"] for a in up[1:]] + [n["fid"]])
         if n.get("name") == "paused" else None)
    sub = tree(srv, pid, "path=%s&depth=1" % ",".join(map(str, fids[0])))
    got = [c for c in sub["root"]["children"] if c.get("unrecorded")]
    check(len(got) == 1 and close(got[0]["value"], gap), "path=...paused shows it too", got)
    # A cutoff over its share merges nothing into it: it is not shown.
    big = tree(srv, pid, "depth=64&cutoff=0.5")
    lost = []
    walk(big["root"], lambda n, up: lost.append(n) if n.get("unrecorded") else None)
    check(not lost, "under the cutoff it is not a node", lost)

    # Real profiles, whose times add up, have none at the defaults.
    for name in ("rasa_maxsize1000.prof", "rasa_maxsize5000.prof"):
        with open(os.path.join(srv.data_dir, name), "rb") as f:
            pid = srv.upload(f.read())
        extra = []
        walk(tree(srv, pid, "depth=64")["root"],
             lambda n, up: extra.append((up[-1].get("label"), n["value"]))
             if n.get("unrecorded") else None)
        check(not extra, "%s has no (not recorded) node" % name, extra[:5])


def shares_are_of_the_charts_whole(srv, tmp):
    """The table's and the details' percentages divide by what the chart
    divides by (docs/API.md, "The root's value and pstats' total"): on the
    gap profile, exec's ct (1.7 s) over pstats' total (1.2 s) read 141.7%."""
    path = os.path.join(tmp, "gap_shares.prof")
    with open(path, "wb") as f:
        marshal.dump(GAP_STATS, f)
    st = pstats.Stats(path)
    with open(path, "rb") as f:
        pid = srv.upload(f.read())
    doc = tree(srv, pid, "")
    whole = max(doc["total_time"], doc["breadcrumbs"][0]["value"])
    check(whole > st.total_tt + 0.4, "the chart's whole is the top call's ct, over pstats' total",
          (whole, st.total_tt))
    status, _, page = srv.json("GET", "/api/profiles/%s/functions?limit=1000" % pid)
    rows = page.get("rows", []) if status == 200 else []
    check(status == 200 and len(rows) == len(st.stats), "the table has every function",
          (status, len(rows)))
    wrong = [(r["name"], r["ct_pct"], r["tt_pct"]) for r in rows
             if not (close(r["ct_pct"], 100 * r["ct"] / whole) and
                     close(r["tt_pct"], 100 * r["tt"] / whole) and r["ct_pct"] <= 100)]
    check(not wrong, "every row's ct_pct and tt_pct are shares of the chart's whole, at most 100%",
          wrong)
    by_name = {r["name"]: r for r in rows}
    exec_row = by_name.get("<built-in method builtins.exec>", {})
    check(exec_row.get("ct_pct") == 100, "exec, the top call, is 100% (not 141.7%)",
          exec_row.get("ct_pct"))
    work = by_name.get("work", {})
    status, _, detail = srv.json("GET", "/api/profiles/%s/functions/%d" % (pid, work.get("fid", 0)))
    got = detail.get("function", {}).get("ct_pct") if status == 200 else None
    check(got is not None and close(got, 100 / 1.7),
          "the function detail gives work 1.0 s of 1.7 s: 58.8%", (status, got))
    status, _, found = srv.json("GET", "/api/profiles/%s/functions?q=%%5C(work%%5C)" % pid)
    pct = found.get("search", {}).get("pct") if status == 200 else None
    check(pct is not None and close(pct, 100 / 1.7), "a search's share is of the same whole",
          (status, pct))

    # Where the times add up, the whole is the larger of the two as well.
    with open(os.path.join(srv.data_dir, "rasa_maxsize1000.prof"), "rb") as f:
        pid = srv.upload(f.read())
    doc = tree(srv, pid, "")
    whole = max(doc["total_time"], doc["breadcrumbs"][0]["value"])
    status, _, page = srv.json("GET", "/api/profiles/%s/functions?limit=50" % pid)
    rows = page.get("rows", []) if status == 200 else []
    wrong = [(r["name"], r["ct_pct"]) for r in rows
             if not close(r["ct_pct"], 100 * r["ct"] / whole)]
    check(rows and not wrong, "the sample's ct_pct are shares of the chart's whole", wrong[:5])


def depth_auto_reaches_the_hot_spot(srv, data_dir):
    with open(os.path.join(data_dir, "rasa_maxsize1000.prof"), "rb") as f:
        pid = srv.upload(f.read())
    default = tree(srv, pid, "")
    check(default["params"]["depth"] == "auto" and
          default["limits"]["depth"] == {"min": 1, "max": 64, "default": "auto"},
          "the default depth is auto, and the limits say so",
          (default["params"], default["limits"]["depth"]))
    chains = []

    def visit(n, up):
        names = [a.get("name") for a in up] + [n.get("name")]
        if names[-3:] == ["loads", "decode", "raw_decode"]:
            chains.append(len(up))
    walk(default["root"], visit)
    check(len(chains) == 1, "the default tree reaches raw_decode under json.loads (level %s)"
          % chains)
    status, _, auto = srv.request("GET", "/api/profiles/%s/tree?depth=auto" % pid)
    status64, _, deep = srv.request("GET", "/api/profiles/%s/tree?depth=64" % pid)
    _, _, plain = srv.request("GET", "/api/profiles/%s/tree" % pid)
    check(status == 200 and auto == plain, "depth=auto is the default's answer", status)
    check(status64 == 200 and deep.replace(b'"depth":64,', b'"depth":"auto",') == plain,
          "auto is as deep as 64 where the cutoff stops first")
    for bad in ("AUTO", "Auto", "auto%20", "", "0", "65", "auto,5"):
        status, _, body = srv.json("GET", "/api/profiles/%s/tree?depth=%s" % (pid, bad))
        check(status == 400 and body["error"]["code"] == "bad_request",
              "depth=%s is refused" % bad, (status, body))


def main():
    exe, data_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        srv = harness.Server(exe, os.path.join(tmp, "db.sqlite"))
        try:
            srv.data_dir = data_dir
            sample_numbers_agree(srv, data_dir)
            unrecorded_time_is_a_node(srv, tmp)
            shares_are_of_the_charts_whole(srv, tmp)
            depth_auto_reaches_the_hot_spot(srv, data_dir)
        finally:
            code, log = srv.stop()
            check(code == 0, "server stops cleanly", log[-2000:])
    return tally()


if __name__ == "__main__":
    sys.exit(main())
