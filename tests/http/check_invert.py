#!/usr/bin/env python3
"""The inverted tree and the source's resolved path (issue 14, points 13
and 11), through the real binary.

- /tree?root=fid&invert=1: the first level is pstats' callers data, for
  json.loads and for every function of the sample; deeper levels fit in
  their parents; the budgets (depth, max_nodes, cutoff) hold; the bad
  parameters are 400; the answer has an ETag like every tree.
- /source: a relative path recorded by cProfile (main.py, ./pkg/mod.py) is
  found under --source-root, and the answer names the file found
  ("path", absolute), which the viewer turns into a vscode:// link; a
  path that leads out of the roots tells nothing.

usage: check_invert.py PSTATSVIZ SAMPLE.prof
"""
import marshal
import os
import pstats
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import Server, check, tally  # noqa: E402


def walk(node, fn, depth=0):
    fn(node, depth)
    for c in node.get("children", []):
        walk(c, fn, depth + 1)


def key(node):
    return (node["file"], node["line"], node["name"])


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def all_functions(srv, pid):
    rows, offset = [], 0
    while True:
        _, _, page = srv.json("GET", "/api/profiles/%s/functions?limit=1000&offset=%d" % (pid, offset))
        rows += page["rows"]
        offset += len(page["rows"])
        if offset >= page["total"] or not page["rows"]:
            return rows


def test_callers(exe, sample, tmp):
    st = pstats.Stats(sample)
    srv = Server(exe, os.path.join(tmp, "inv.db"))
    try:
        with open(sample, "rb") as f:
            pid = srv.upload(f.read())
        base = "/api/profiles/%s/tree" % pid
        rows = all_functions(srv, pid)
        fid_of = {(r["file"], r["line"], r["name"]): r["fid"] for r in rows}

        # json.loads: called from _rule_key_to_state alone, with all its time
        loads = [k for k in st.stats if k[2] == "loads" and k[0].endswith("json/__init__.py")][0]
        status, hdrs, t = srv.json("GET", base + "?root=%d&invert=1&cutoff=0&depth=64" % fid_of[loads])
        callers = st.stats[loads][4]
        root = t["root"] if status == 200 else {}
        kids = root.get("children", [])
        check(status == 200 and t["params"].get("invert") == 1 and key(root) == loads and
              close(root["value"], st.stats[loads][3]) and root["exact"],
              "json.loads' inverted tree is rooted at it with its whole cumtime", (status, t and t.get("params")))
        check(len(kids) == len(callers) == 1 and key(kids[0]) in callers and
              close(kids[0]["value"], callers[key(kids[0])][3]) and kids[0]["exact"] and
              kids[0]["calls"] == callers[key(kids[0])][0],
              "json.loads' callers are pstats' callers, exact, with their edge cumtime and calls",
              ([(k["name"], k["value"]) for k in kids], callers))
        chain = []
        n = root
        while n.get("children"):
            n = n["children"][0]
            chain.append(n["name"])
        check(chain[:9] == ["_rule_key_to_state", "_is_rule_applicable", "<lambda>", "_get_possible_keys",
                            "_find_action_from_rules", "_predict", "predict_action_probabilities",
                            "problem_function", "<module>"],
              "json.loads' callers go up to problem_function and main's <module>", chain)
        crumbs = [c["fid"] for c in t["breadcrumbs"]]
        check(crumbs == [None, fid_of[loads]], "its crumbs are the top and json.loads", crumbs)

        # every function: the first level against pstats' callers
        wrong, checked = [], 0
        for r in rows:
            k = (r["file"], r["line"], r["name"])
            status, _, t = srv.json("GET", base + "?root=%d&invert=1&cutoff=0&depth=1&max_nodes=100000" % r["fid"])
            if status != 200:
                wrong.append((r["label"], status))
                continue
            got = {key(c): c for c in t["root"].get("children", [])}
            want = {c: v for c, v in st.stats[k][4].items() if c != ("profile", 0, "profiler")}
            total = sum(v[3] for v in want.values())
            checked += 1
            if set(got) != set(want):
                wrong.append((r["label"], "callers", sorted(got), sorted(want)))
            elif total <= st.stats[k][3] * (1 + 1e-9):
                # no recursion to give back: each value is the edge's own
                bad = [c for c in want if not (close(got[c]["value"], want[c][3]) and got[c]["exact"])]
                if bad:
                    wrong.append((r["label"], [(c, got[c]["value"], want[c][3]) for c in bad]))
            elif sum(c["value"] for c in got.values()) > st.stats[k][3] * (1 + 1e-9):
                wrong.append((r["label"], "callers exceed the function"))
        check(checked == len(rows) and not wrong,
              "the first level is pstats' callers for all %d functions of the sample" % len(rows), wrong[:5])

        # deeper: children fit in their node, self is what they leave
        status, _, t = srv.json("GET", base + "?root=%d&invert=1&cutoff=0&depth=64&max_nodes=100000" % fid_of[loads])
        bad = []

        def fits(n, d):
            kids = n.get("children", [])
            s = sum(c["value"] for c in kids)
            if kids and (s > n["value"] * (1 + 1e-9) + 1e-12 or not close(n["self"] + s, n["value"])):
                bad.append((n.get("name"), n["value"], s, n.get("self")))
        walk(t["root"], fits)
        check(status == 200 and not bad, "deeper callers fit in their node and self is the rest", bad[:5])

        # budgets and settings
        counts = []
        for q in ("depth=3", "max_nodes=5&cutoff=0&depth=64", "cutoff=0.5&depth=64"):
            status, _, t = srv.json("GET", base + "?root=%d&invert=1&%s" % (fid_of[loads], q))
            nodes, deepest = [0], [0]

            def count(n, d):
                nodes[0] += 1
                deepest[0] = max(deepest[0], d)
            walk(t["root"], count)
            counts.append((q, status, nodes[0], deepest[0]))
        check(counts[0][3] == 3 and counts[1][2] <= 5 and counts[1][1] == 200 and counts[2][1] == 200,
              "depth and max_nodes bound the inverted tree", counts)

        # bad parameters
        for q, want in (("invert=1", 400), ("path=&invert=1", 400), ("root=%d&invert=yes" % fid_of[loads], 400),
                        ("root=%d&invert=1&hide=builtins" % fid_of[loads], 400), ("root=999999&invert=1", 404)):
            status, _, e = srv.json("GET", base + "?" + q)
            check(status == want and e and "error" in e, "%s is %d" % (q, want), (status, e))

        # cached like any tree
        url = base + "?root=%d&invert=1" % fid_of[loads]
        status, hdrs, _ = srv.request("GET", url)
        status2, _, body = srv.request("GET", url, headers={"If-None-Match": hdrs.get("etag", "")})
        status3, hdrs3, _ = srv.request("GET", base + "?root=%d" % fid_of[loads])
        check(status == 200 and hdrs.get("etag") and status2 == 304 and not body and
              hdrs3.get("etag") != hdrs.get("etag"),
              "the inverted tree has its own ETag, and If-None-Match gives 304", (status, status2, hdrs3.get("etag")))
    finally:
        srv.stop()


def stats_file(path, funcs):
    """A stats file of funcs: {(file, line, name): (ct, {caller: ct})}."""
    d = {}
    for k, (ct, callers) in funcs.items():
        d[k] = (1, 1, ct / 2, ct, {c: (1, 1, v / 2, v) for c, v in callers.items()})
    with open(path, "wb") as f:
        marshal.dump(d, f)


def test_relative_source(exe, tmp):
    proj = os.path.join(tmp, "proj")
    os.makedirs(os.path.join(proj, "pkg"))
    with open(os.path.join(proj, "main.py"), "w") as f:
        f.write("import pkg.mod\n\n\ndef main():\n    pkg.mod.work()\n")
    with open(os.path.join(proj, "pkg", "mod.py"), "w") as f:
        f.write("def work():\n    return 1\n")
    with open(os.path.join(tmp, "secret.py"), "w") as f:
        f.write("SECRET = 1\n")
    prof = os.path.join(tmp, "rel.prof")
    main, work = ("main.py", 4, "main"), ("./pkg/mod.py", 1, "work")
    secret, gone = ("../secret.py", 1, "secret"), ("gone.py", 1, "gone")
    stats_file(prof, {main: (3.0, {}), work: (1.0, {main: 1.0}), secret: (1.0, {main: 1.0}),
                      gone: (0.5, {main: 0.5})})
    srv = Server(exe, os.path.join(tmp, "rel.db"), "--source-root", proj)
    bare = Server(exe, os.path.join(tmp, "bare.db"))
    try:
        with open(prof, "rb") as f:
            data = f.read()
        pid = srv.upload(data)
        fids = {(r["file"], r["line"], r["name"]): r["fid"] for r in all_functions(srv, pid)}
        src = {}
        for k in (main, work, secret, gone):
            src[k] = srv.json("GET", "/api/profiles/%s/source?fid=%d" % (pid, fids[k]))
        status, _, s = src[main]
        check(status == 200 and s["path"] == os.path.realpath(os.path.join(proj, "main.py")) and
              s["lines"][s["line"] - s["first_line"]] == "def main():",
              "a relative main.py is found under --source-root, and the answer names the file found", (status, s))
        status, _, s = src[work]
        check(status == 200 and s["path"] == os.path.realpath(os.path.join(proj, "pkg", "mod.py")) and
              s["file"] == "./pkg/mod.py",
              "./pkg/mod.py is found under --source-root too", (status, s))
        status, _, s = src[secret]
        check(status == 404 and "SECRET" not in str(s) and tmp not in str(s),
              "../secret.py, out of the root, is 404 and names no path", (status, s))
        status, _, s = src[gone]
        check(status == 404 and "relative path" in s["error"]["message"],
              "a relative path no root holds is 404, and says so", (status, s))
        bpid = bare.upload(data)
        status, _, s = bare.json("GET", "/api/profiles/%s/source?fid=%d" % (bpid, fids[main]))
        check(status == 404 and "without --source-root" in s["error"]["message"] and "path" not in s,
              "without --source-root, a relative main.py is 404, with no path", (status, s))
        status, _, meta = srv.json("GET", "/api/profiles/%s/functions/%d" % (pid, fids[main]))
        check(status == 200 and proj not in str(meta),
              "the function's detail (kept as immutable) names no path of the server", meta)
    finally:
        srv.stop()
        bare.stop()


def main():
    exe, sample = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        test_callers(exe, sample, tmp)
        test_relative_source(exe, tmp)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
