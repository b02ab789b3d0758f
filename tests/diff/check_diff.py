#!/usr/bin/env python3
"""Comparing two runs, through the real binary: GET /api/diff,
GET /api/diff/tree and `pstatsviz diff`, checked against what Python's own
pstats reads from the same files at test time.

  - data/rasa_maxsize1000.prof against data/rasa_maxsize5000.prof: every
    paired row's calls and times are pstats' exactly (json.loads: 8,338 ->
    4,082 calls), and so are the totals and their change, in the API and
    in the CLI's JSON and table;
  - a profile diffed with itself is all zeros, rows and tree;
  - functions of one run only are added / removed, as pstats' keys say;
  - files that cProfile makes here: a function moved down its file pairs
    by the moved-line rule, the same code run from another directory by
    the path-suffix rule, and the answer names the rule and the roots;
  - the diff tree holds each run's own tree values, node for node, says
    the settings it was built with and their limits as /tree does, and
    answers bad parameters 400 and unknown ids 404.

usage: check_diff.py PSTATSVIZ DATA_DIR
"""
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import check, tally  # noqa: E402


class Server(harness.Server):
    """The harness's server, read the way these checks read it."""

    def get(self, path):
        """(status, the JSON document or None)."""
        status, _, doc = self.json("GET", path)
        return status, doc

    def upload_file(self, path):
        with open(path, "rb") as f:
            return self.upload(f.read())


def key_of(row, side):
    """A row's pstats key in run side ("a" or "b")."""
    line = row.get("line_b", row["line"]) if side == "b" else row["line"]
    file = row.get("file_b", row["file"]) if side == "b" else row["file"]
    name = row.get("name_b", row["name"]) if side == "b" else row["name"]
    return (file, line, name)


def without_address(key):
    """A pstats key with an object's address dropped from its name, as the
    diff pairs builtins that cProfile names after an object."""
    return (key[0], key[1], re.sub(r" at 0x[0-9a-f]+>$", "", key[2]))


def rows_match_pstats(rows, sa, sb, name):
    """Every row's numbers are pstats' own, on the side(s) it has."""
    bad = []
    for r in rows:
        for side, st in (("a", sa), ("b", sb)):
            got = r[side]
            if got is None:
                if key_of(r, side) in st.stats and not r["added" if side == "a" else "removed"]:
                    bad.append(("missing", side, key_of(r, side)))
                continue
            cc, nc, tt, ct = st.stats[key_of(r, side)][:4]
            if (got["cc"], got["nc"], got["tt"], got["ct"]) != (cc, nc, tt, ct):
                bad.append((side, key_of(r, side), got, (cc, nc, tt, ct)))
        a, b = r["a"] or {"nc": 0, "ct": 0.0}, r["b"] or {"nc": 0, "ct": 0.0}
        if r["delta"]["nc"] != b["nc"] - a["nc"] or r["delta"]["ct"] != b["ct"] - a["ct"]:
            bad.append(("delta", r["label"], r["delta"]))
    check(not bad, name, bad[:5])


def totals_match_pstats(doc, sa, sb, name):
    want = {"a": sa, "b": sb}
    ok = all(doc[s]["total_time"] == st.total_tt and doc[s]["total_calls"] == st.total_calls and
             doc[s]["prim_calls"] == st.prim_calls for s, st in want.items())
    ch = doc["change"]
    ok = ok and ch["total_time"] == sb.total_tt - sa.total_tt
    ok = ok and ch["total_calls"] == sb.total_calls - sa.total_calls
    ok = ok and ch["total_time_ratio"] == (sb.total_tt - sa.total_tt) / sa.total_tt
    check(ok, name, {k: doc[k] for k in ("a", "b", "change")})


def loads_row(rows):
    return [r for r in rows if r["name"] == "loads" and r["file"].endswith("json/__init__.py")]


def test_sample(exe, data, tmp):
    fa = os.path.join(data, "rasa_maxsize1000.prof")
    fb = os.path.join(data, "rasa_maxsize5000.prof")
    sa, sb = pstats.Stats(fa), pstats.Stats(fb)
    srv = Server(exe, os.path.join(tmp, "sample.db"))
    try:
        a, b = srv.upload_file(fa), srv.upload_file(fb)
        status, doc = srv.get("/api/diff?a=%s&b=%s&limit=1000" % (a, b))
        check(status == 200 and doc["total"] == len(doc["rows"]), "diff_answers_every_row",
              (status, doc and doc.get("total")))
        rows = doc["rows"]
        totals_match_pstats(doc, sa, sb, "api_totals_and_change_are_pstats")
        rows_match_pstats(rows, sa, sb, "api_rows_are_pstats_numbers")
        loads = loads_row(rows)
        key = [k for k in sa.stats if k[2] == "loads" and k[0].endswith("json/__init__.py")][0]
        check(len(loads) == 1 and loads[0]["a"]["nc"] == sa.stats[key][1] == 8338 and
              loads[0]["b"]["nc"] == sb.stats[key][1] == 4082 and
              loads[0]["a"]["ct"] == sa.stats[key][3] and loads[0]["b"]["ct"] == sb.stats[key][3] and
              loads[0]["delta"]["nc"] == 4082 - 8338 and loads[0]["match"] == "exact",
              "api_json_loads_8338_to_4082", loads)
        bare_a = {without_address(k): k for k in sa.stats}
        bare_b = {without_address(k): k for k in sb.stats}
        only_a = {bare_a[k] for k in bare_a.keys() - bare_b.keys()}
        only_b = {bare_b[k] for k in bare_b.keys() - bare_a.keys()}
        seed = [r for r in rows if r["name"].startswith("<function Random.seed at 0x")]
        check(len(seed) == 1 and seed[0]["match"] == "exact" and seed[0]["name_b"] != seed[0]["name"]
              and seed[0]["name_b"].startswith("<function Random.seed at 0x"),
              "builtins_named_after_an_address_pair_across_runs", seed)
        removed = {key_of(r, "a") for r in rows if r["removed"]}
        added = {key_of(r, "b") for r in rows if r["added"]}
        check(removed == only_a and added == only_b and doc["match"]["removed"] == len(only_a) and
              doc["match"]["added"] == len(only_b),
              "added_and_removed_are_pstats_keys_of_one_run", (removed, only_a, added, only_b))
        check(doc["match"]["rule"] == "exact" and doc["match"]["roots"] is None,
              "same_paths_pair_exactly", doc["match"])

        # sorting, paging and searching like the function table
        status, top = srv.get("/api/diff?a=%s&b=%s&sort=calls&limit=5" % (a, b))
        mags = [abs((r["b"] or {"nc": 0})["nc"] - (r["a"] or {"nc": 0})["nc"]) for r in rows]
        check(status == 200 and [abs(r["delta"]["nc"]) for r in top["rows"]] ==
              sorted(mags, reverse=True)[:5], "sort_calls_is_largest_change_in_calls_first",
              [r["delta"]["nc"] for r in top["rows"]])
        check(any(r["name"] == "loads" for r in top["rows"]), "loads_is_among_largest_call_drops",
              [r["label"] for r in top["rows"]])
        status, page = srv.get("/api/diff?a=%s&b=%s&sort=name&order=asc&limit=3&offset=2" % (a, b))
        status2, whole = srv.get("/api/diff?a=%s&b=%s&sort=name&order=asc&limit=5" % (a, b))
        check(status == 200 and page["rows"] == whole["rows"][2:5], "offset_pages_the_order",
              [r["name"] for r in page["rows"]])
        q = urllib.parse.quote(r"json/__init__\.py:299\(loads\)")
        status, found = srv.get("/api/diff?a=%s&b=%s&q=%s" % (a, b, q))
        check(status == 200 and found["total"] == 1 and found["rows"][0]["name"] == "loads",
              "q_filters_by_label", found and found["total"])

        # a profile diffed with itself
        status, same = srv.get("/api/diff?a=%s&b=%s&limit=1000" % (a, a))
        zero = all(v == 0 for r in same["rows"] for v in r["delta"].values()) and all(
            v == 0 for r in same["rows"] for v in r["ratio"].values())
        check(status == 200 and zero and same["change"]["total_time"] == 0 and
              same["change"]["total_calls"] == 0 and same["match"]["added"] == 0 and
              same["match"]["removed"] == 0 and same["total"] == len(sa.stats),
              "self_diff_is_all_zeros", same and same["change"])
        status, tree = srv.get("/api/diff/tree?a=%s&b=%s&depth=12&cutoff=0" % (a, a))
        nodes = []
        walk(tree["root"], nodes.append)
        check(status == 200 and all(n["delta"] == 0 and "only" not in n for n in nodes),
              "self_diff_tree_is_all_zeros", len(nodes))

        test_tree(srv, a, b)
        test_errors(srv, a, b)
    finally:
        srv.stop()
    test_cli(exe, fa, fb, sa, sb, tmp)


def walk(node, fn):
    fn(node)
    for c in node["children"]:
        walk(c, fn)


def by_path(node, trail=(), out=None):
    """{(fid, fid, ...): node} of a /tree answer, "other" nodes left out."""
    out = {} if out is None else out
    for c in node["children"]:
        if c.get("other"):
            continue
        out[trail + (c["fid"],)] = c
        by_path(c, trail + (c["fid"],), out)
    return out


def test_tree(srv, a, b):
    q = "depth=12&cutoff=0.01"
    status, d = srv.get("/api/diff/tree?a=%s&b=%s&%s" % (a, b, q))
    _, ta = srv.get("/api/profiles/%s/tree?%s" % (a, q))
    _, tb = srv.get("/api/profiles/%s/tree?%s" % (b, q))
    check(status == 200 and d["root"]["value_a"] == ta["root"]["value"] and
          d["root"]["value_b"] == tb["root"]["value"] and
          d["root"]["delta"] == tb["root"]["value"] - ta["root"]["value"],
          "diff_tree_root_holds_both_runs", status)
    # The settings the tree was built with and the ranges a query may give,
    # as /tree says them (one writer: treejson.c's).
    check(d.get("params") == ta["params"] == {"depth": 12, "cutoff": 0.01, "max_nodes": 20000} and
          d.get("limits") == ta["limits"], "diff_tree_says_its_params_and_limits_as_tree_does",
          (d.get("params"), d.get("limits"), ta["params"]))
    _, dflt = srv.get("/api/diff/tree?a=%s&b=%s" % (a, b))
    _, tdflt = srv.get("/api/profiles/%s/tree" % a)
    check(dflt.get("params") == {"depth": "auto", "cutoff": 0.001, "max_nodes": 20000} and
          dflt.get("limits") == tdflt["limits"] == {
              "depth": {"min": 1, "max": 64, "default": "auto"},
              "cutoff": {"min": 0, "max": 1, "default": 0.001},
              "max_nodes": {"min": 1, "max": 100000, "default": 20000}},
          "diff_tree_default_params_are_the_trees_defaults", (dflt.get("params"), dflt.get("limits")))
    _, small = srv.get("/api/diff/tree?a=%s&b=%s&side=b&depth=auto&max_nodes=500&cutoff=0" % (a, b))
    check(small.get("params") == {"depth": "auto", "cutoff": 0, "max_nodes": 500},
          "diff_tree_params_are_the_querys_on_side_b", small.get("params"))
    # Every node either run's own tree shows is in the diff tree, with that
    # run's value (the sample's fids are the same in both files).
    pa, pb = by_path(ta["root"]), by_path(tb["root"])
    da, db = {}, {}

    def index(n, trail_a=(), trail_b=()):
        for c in n["children"]:
            if c.get("other"):
                continue
            ka, kb = trail_a + (c["fid"],), trail_b + (c["fid_b"],)
            if c["fid"] is not None:
                da[ka] = c
            if c["fid_b"] is not None:
                db[kb] = c
            index(c, ka, kb)
    index(d["root"])
    miss_a = [k for k, n in pa.items() if k not in da or da[k]["value_a"] != n["value"]]
    miss_b = [k for k, n in pb.items() if k not in db or db[k]["value_b"] != n["value"]]
    check(not miss_a and not miss_b, "diff_tree_keeps_what_either_tree_keeps",
          (len(miss_a), len(miss_b), miss_a[:3], miss_b[:3]))
    kept_by_one = [k for k in da if k not in pa] + [k for k in db if k not in pb]
    check(len(kept_by_one) > 0, "some_nodes_pass_the_cutoff_in_one_run_only", len(da))
    # A node shown for one run only is not called there in the other run:
    # the other run's whole tree (no cutoff) has no node at that place.
    _, rows = srv.get("/api/diff?a=%s&b=%s&limit=1000" % (a, b))
    a_to_b = {r["fid"]: r["fid_b"] for r in rows["rows"] if r["fid"] is not None}
    b_to_a = {r["fid_b"]: r["fid"] for r in rows["rows"] if r["fid_b"] is not None}
    full = "depth=12&cutoff=0&max_nodes=100000"
    _, fa = srv.get("/api/profiles/%s/tree?%s" % (a, full))
    _, fb = srv.get("/api/profiles/%s/tree?%s" % (b, full))
    fa, fb = by_path(fa["root"]), by_path(fb["root"])
    wrong = []

    def lone(n, trail_a=(), trail_b=()):
        for c in n["children"]:
            if c.get("other"):
                continue
            ta_ = trail_a + (c["fid"] if c["fid"] is not None else b_to_a.get(c["fid_b"]),)
            tb_ = trail_b + (c["fid_b"] if c["fid_b"] is not None else a_to_b.get(c["fid"]),)
            if c.get("only") == "a" and tb_ in fb:
                wrong.append(("b has it", c["label"], fb[tb_]["value"]))
            if c.get("only") == "b" and ta_ in fa:
                wrong.append(("a has it", c["label"], fa[ta_]["value"]))
            lone(c, ta_, tb_)
    lone(d["root"])
    check(not wrong, "one_run_nodes_are_not_in_the_other_run", wrong[:5])
    loads = [n for k, n in da.items() if n["name"] == "loads"]
    check(loads and all(n["value_b"] < n["value_a"] for n in loads), "loads_nodes_got_faster",
          [(n["value_a"], n["value_b"]) for n in loads])
    # drilling down: path= is A's fids
    deep = max(pa, key=len)
    status, sub = srv.get("/api/diff/tree?a=%s&b=%s&path=%s&depth=2" % (
        a, b, ",".join(str(f) for f in deep[:3])))
    check(status == 200 and sub["breadcrumbs"][-1]["fid"] == deep[2] and
          sub["root"]["fid"] == deep[2] and sub["root"]["value_a"] == pa[deep[:3]]["value"],
          "path_is_a_fids", sub and sub.get("breadcrumbs"))
    status, r = srv.get("/api/diff/tree?a=%s&b=%s&root=%d&side=b&depth=2" % (a, b, deep[1]))
    check(status == 200 and r["root"]["fid_b"] == deep[1] and r["side"] == "b",
          "side_b_reads_root_as_b_fid", r and r.get("root", {}).get("fid_b"))


def test_errors(srv, a, b):
    missing = "0" * 32
    cases = [
        ("/api/diff?a=%s" % a, 400),
        ("/api/diff?a=%s&b=xyz" % a, 400),
        ("/api/diff?a=%s&b=%s&sort=bogus" % (a, b), 400),
        ("/api/diff?a=%s&b=%s&order=up" % (a, b), 400),
        ("/api/diff?a=%s&b=%s&limit=0" % (a, b), 400),
        ("/api/diff?a=%s&b=%s&q=%s" % (a, b, urllib.parse.quote("(a")), 400),
        ("/api/diff?a=%s&b=%s" % (a, missing), 404),
        ("/api/diff?a=%s&b=%s" % (missing, b), 404),
        ("/api/diff/tree?a=%s&b=%s&depth=0" % (a, b), 400),
        ("/api/diff/tree?a=%s&b=%s&side=c" % (a, b), 400),
        ("/api/diff/tree?a=%s&b=%s&path=0,&depth=2" % (a, b), 400),
        ("/api/diff/tree?a=%s&b=%s&root=99999" % (a, b), 404),
        ("/api/diff/tree?a=%s&b=%s" % (a, missing), 404),
    ]
    got = [(p, srv.get(p)) for p, _ in cases]
    bad = [(p, s, want) for (p, (s, body)), (_, want) in zip(got, cases)
           if s != want or "error" not in (body or {})]
    check(not bad, "bad_parameters_400_unknown_ids_404", bad)


def test_cli(exe, fa, fb, sa, sb, tmp):
    out = subprocess.run([exe, "diff", fa, fb, "--json", "-n", "all"], capture_output=True,
                         text=True)
    doc = json.loads(out.stdout) if out.returncode == 0 else None
    check(doc is not None and doc["total"] == len(doc["rows"]), "cli_json_has_every_row",
          out.stderr)
    if doc:
        totals_match_pstats(doc, sa, sb, "cli_totals_and_change_are_pstats")
        rows_match_pstats(doc["rows"], sa, sb, "cli_rows_are_pstats_numbers")
        loads = loads_row(doc["rows"])
        check(len(loads) == 1 and (loads[0]["a"]["nc"], loads[0]["b"]["nc"]) == (8338, 4082),
              "cli_json_loads_8338_to_4082", loads)
    out = subprocess.run([exe, "diff", fa, fb, "--sort", "calls", "-n", "10"],
                         capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.endswith("__init__.py:299(loads)")]
    key = [k for k in sa.stats if k[2] == "loads" and k[0].endswith("json/__init__.py")][0]
    want = ["8338", "4082", "%.3f" % sa.stats[key][3], "%.3f" % sb.stats[key][3]]
    check(out.returncode == 0 and len(line) == 1 and line[0].split()[:2] == want[:2] and
          line[0].split()[4:6] == want[2:], "cli_table_shows_loads", (line, want, out.stderr))
    check(("%d function calls" % sa.total_calls) in out.stdout and
          ("in %.3f seconds" % sb.total_tt) in out.stdout, "cli_table_heads_with_totals",
          out.stdout[:400])
    # ids from the database work as well as files
    db = os.path.join(tmp, "cli.db")
    ids = subprocess.run([exe, "import", fa, fb, "--db", db], capture_output=True,
                         text=True).stdout.split("\n")
    ia, ib = ids[0].split()[0], ids[1].split()[0]
    out = subprocess.run([exe, "diff", ia, ib, "--db", db, "--json", "-n", "3"],
                         capture_output=True, text=True)
    check(out.returncode == 0 and json.loads(out.stdout)["a"]["id"] == ia and
          json.loads(out.stdout)["change"]["total_calls"] == sb.total_calls - sa.total_calls,
          "cli_reads_ids_from_the_database", out.stderr)
    for args, want in (([fa], 2), ([fa, fb, "--sort", "bogus"], 2), ([fa, "/nonexistent.prof"], 1)):
        out = subprocess.run([exe, "diff"] + args, capture_output=True, text=True)
        check(out.returncode == want and out.stderr.count("\n") == 1,
              "cli_error_%s" % "_".join(os.path.basename(x) for x in args[1:] or ["one_file"]),
              (out.returncode, out.stderr))


# ---- files made here with cProfile -----------------------------------------

MODULE = '''\
def leaf(n):
    return sum(range(n))


def {extra}(n):
    return leaf(n) + 1
{pad}

def work(n):
    total = 0
    for i in range(n):
        total += leaf(i)
    return total


def main():
    work(300)
    {extra}(10)
'''


def profile(tmp, root, name, extra, pad):
    pkg = os.path.join(tmp, root, "pkg")
    os.makedirs(pkg, exist_ok=True)
    with open(os.path.join(pkg, "__init__.py"), "w"):
        pass
    with open(os.path.join(pkg, "mod.py"), "w") as f:
        f.write(MODULE.format(extra=extra, pad="\n" * pad))
    out = os.path.join(tmp, name)
    subprocess.run([sys.executable, "-c",
                    "import cProfile, sys; sys.path.insert(0, %r); import pkg.mod as m; "
                    "cProfile.run('m.main()', %r)" % (os.path.join(tmp, root), out)],
                   check=True, cwd=tmp)
    return out


def row_named(doc, name):
    rows = [r for r in doc["rows"] if r["name"] == name and r["file"].endswith("mod.py")]
    return rows[0] if len(rows) == 1 else None


def test_rules(exe, tmp):
    base = profile(tmp, "r1", "base.prof", "old", 0)
    moved = profile(tmp, "r1", "moved.prof", "fresh", 3)   # work 3 lines down; old -> fresh
    other = profile(tmp, "r2", "other.prof", "old", 0)     # the same code elsewhere
    run = lambda a, b: json.loads(subprocess.run(
        [exe, "diff", a, b, "--json", "-n", "all"], capture_output=True, text=True,
        check=True).stdout)

    d = run(base, moved)
    work = row_named(d, "work")
    check(work and work["match"] == "moved" and work["line_b"] == work["line"] + 3 and
          d["match"]["rule"] == "moved" and d["match"]["moved"] >= 1,
          "moved_line_pairs_by_file_and_name", (work, d["match"]))
    check(row_named(d, "old")["removed"] and row_named(d, "fresh")["added"] and
          row_named(d, "leaf")["match"] == "exact", "made_files_added_removed_exact",
          [(r["name"], r["match"], r["added"], r["removed"]) for r in d["rows"]])
    text = subprocess.run([exe, "diff", base, moved, "-n", "all"], capture_output=True,
                          text=True).stdout
    check(any(l.endswith("(work)  [moved]") for l in text.splitlines()), "cli_marks_moved_rows",
          text)

    d = run(base, other)
    work, leaf = row_named(d, "work"), row_named(d, "leaf")
    r1, r2 = os.path.join(tmp, "r1") + "/", os.path.join(tmp, "r2") + "/"
    check(work and leaf and work["match"] == leaf["match"] == "suffix" and
          work["file_b"] == os.path.join(r2, "pkg", "mod.py") and d["match"]["rule"] == "suffix" and
          d["match"]["roots"] == {"a": r1, "b": r2} and d["match"]["added"] == 0 and
          d["match"]["removed"] == 0,
          "other_root_pairs_by_path_suffix", d["match"])
    sa, sb = pstats.Stats(base), pstats.Stats(other)
    rows_match_pstats(d["rows"], sa, sb, "other_root_rows_are_pstats_numbers")


def main():
    exe, data = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        test_sample(exe, data, tmp)
        test_rules(exe, tmp)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
