#!/usr/bin/env python3
"""HTTP tests: the real binary on free loopback ports, every route of
docs/API.md.

usage: check_http.py PSTATSVIZ CORPUS      (CORPUS: the test inputs meson
                                           assembles, tests/corpus/inputs.py)
"""
import gzip
import http.client
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_corpus  # noqa: E402  (the oracle comparison)
from harness import Server, check, free_port, tally  # noqa: E402
import inputs  # noqa: E402  (the inputs and the oracle's answers)


def corpus_files(corpus):
    return [(rel, inputs.oracle(corpus, rel, "check")) for rel in inputs.files(corpus)]


def walk(node, fn, depth=0):
    fn(node, depth)
    for c in node.get("children", []):
        walk(c, fn, depth + 1)


def tree_problems(tree):
    """Children summing to more than their parent, negative values."""
    bad = []

    def visit(n, d):
        kids = n.get("children", [])
        s = sum(k["value"] for k in kids)
        v = n["value"]
        if kids and s > v * (1 + 1e-9) + 1e-12:
            bad.append("%s: children %r > %r" % (n.get("name"), s, v))
        if v < 0:
            bad.append("%s: negative %r" % (n.get("name"), v))
    walk(tree["root"], visit)
    return bad


def time_from_nowhere(export):
    """A function whose cumulative time exceeds its own time plus all it
    called (beyond 1% and timer noise): cProfile never writes that, and no
    tree of such a file can add up to its total.  Returns the first such
    function, or None."""
    below = {}
    for e in export["edges"]:
        if e["ct"] is not None:
            k = tuple(e["caller"])
            below[k] = below.get(k, 0.0) + e["ct"]
    for f in export["functions"]:
        k = (f["file"], f["line"], f["name"])
        if not (math.isfinite(f["ct"]) and math.isfinite(f["tt"])):
            continue
        if f["ct"] > (f["tt"] + below.get(k, 0.0)) * 1.01 + 1e-7:
            return "%s: ct %r > tt %r + callees %r" % (f["name"][:40], f["ct"], f["tt"], below.get(k, 0.0))
    return None


def upload(srv, path, name=None):
    with open(path, "rb") as f:
        data = f.read()
    q = "?name=" + urllib.parse.quote(name) if name else ""
    return srv.json("POST", "/api/profiles" + q, data, {"Content-Type": "application/octet-stream"})


def test_corpus(exe, corpus, tmp):
    srv = Server(exe, os.path.join(tmp, "corpus.db"))
    try:
        for rel, chk in corpus_files(corpus):
            path = os.path.join(corpus, rel)
            status, _, body = upload(srv, path)
            accepted = chk.get("ok") and rel not in check_corpus.DELIBERATE
            if not accepted:
                ok = status in (400, 413, 422) and body and body["error"]["message"]
                check(ok, "rejects %s with a JSON error" % rel, (status, body))
                cli = subprocess.run([exe, "top", path], capture_output=True)
                want = cli.stderr.decode("utf-8", "replace").strip().split(": ", 2)[-1]
                check(body and body["error"]["message"] == want,
                      "error carries the reader's message: %s" % rel, (body, want))
                check(srv.request("GET", "/healthz")[0] == 200, "still serving after %s" % rel)
                continue
            check(status == 201 and body["delete_token"] and body["url"] == "/p/" + body["id"],
                  "upload %s" % rel, (status, body))
            if status != 201:
                continue
            pid = body["id"]
            again = upload(srv, path)
            check(again[0] == 200 and again[2]["id"] == pid and "delete_token" not in again[2],
                  "re-upload %s: same id, no token" % rel, again[:1])
            inconsistent = None
            if rel not in inputs.CHECK_ONLY:
                status, _, got = srv.json("GET", "/api/profiles/%s/export?format=json" % pid)
                inconsistent = time_from_nowhere(got)
                want = inputs.oracle(corpus, rel, "canonical")
                got.pop("reader", None)
                want.pop("reader", None)
                n0 = len(check_corpus.failures)
                check_corpus.same(rel, "export", got, want)
                check(len(check_corpus.failures) == n0, "export of %s equals the oracle" % rel,
                      check_corpus.failures[n0:])
            t0 = time.monotonic()
            status, _, tree = srv.json("GET", "/api/profiles/%s/tree" % pid)
            secs = time.monotonic() - t0
            check(status == 200 and not tree_problems(tree), "tree of %s: children <= parent" % rel,
                  (status, tree_problems(tree)[:5] if status == 200 else tree))
            check(secs < 5, "tree of %s answers quickly (%.2fs)" % (rel, secs))
            total = tree["total_time"] if status == 200 else None
            if status == 200 and total and math.isfinite(total) and total > 0:
                v = tree["root"]["value"]
                if abs(v - total) > 0.01 * total and inconsistent and rel.startswith("malformed/"):
                    # crafted numbers no tree can add up: said, not skipped silently
                    check(True, "tree of %s: input has time from nowhere (%s), so the top is its "
                          "entries (%r), not the total (%r)" % (rel, inconsistent, v, total))
                else:
                    check(abs(v - total) <= 0.01 * total, "tree of %s: top within 1%% of total" % rel,
                          (v, total))
                # a cutoff moves time into "other" nodes but never loses it
                s0, _, full = srv.json("GET", "/api/profiles/%s/tree?depth=3&cutoff=0" % pid)
                s1, _, cut = srv.json("GET", "/api/profiles/%s/tree?depth=3&cutoff=0.05" % pid)
                if s0 == 200 and s1 == 200:
                    def sums(t):
                        return [sum(k["value"] for k in t["root"]["children"])] + \
                               [sum(k["value"] for k in c.get("children", []))
                                for c in t["root"]["children"] if not c.get("other")][:3]
                    a, b = sums(full), sums(cut)
                    check(all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b)),
                          "cutoff keeps time in other nodes: %s" % rel, (a, b))
    finally:
        code, log = srv.stop()
    check(code == 0, "SIGTERM stops the server cleanly", code)
    check(" /healthz 200 " in log and "POST /api/profiles 201 " in log,
          "one log line per request", log[:300])


def test_routes(exe, corpus, tmp):
    rasa = os.path.join(corpus, "rasa", "rasa_maxsize1000.prof")
    want = inputs.oracle(corpus, "rasa/rasa_maxsize1000.prof", "check")
    srv = Server(exe, os.path.join(tmp, "routes.db"), "--max-upload", "1M")
    try:
        status, hdrs, body = upload(srv, rasa, "rasa 1000")
        pid, token = body["id"], body["delete_token"]
        check(body["name"] == "rasa 1000" and body["functions"] == want["functions"] and
              body["edges"] == want["edges"], "upload returns counts", (body, want))

        status, hdrs, meta = srv.json("GET", "/api/profiles/" + pid)
        check(status == 200 and meta["functions"] == want["functions"] and meta["entries"] and
              meta["created"].endswith("Z"), "metadata", meta if status != 200 else "")

        # functions: paging, sorting as pstats, regex, bad regex
        status, _, page = srv.json("GET", "/api/profiles/%s/functions?sort=tottime&limit=10" % pid)
        import pstats
        st = pstats.Stats(rasa)
        st.sort_stats("tottime")
        want_top = [pstats.func_std_string(f) for f in st.fcn_list[:10]]
        check(status == 200 and [r["label"] for r in page["rows"]] == want_top and
              page["total"] == want["functions"],
              "functions sorted by tottime as pstats", ([r["label"] for r in page["rows"]], want_top))
        status, _, page2 = srv.json("GET", "/api/profiles/%s/functions?sort=tottime&limit=5&offset=5" % pid)
        check([r["fid"] for r in page2["rows"]] == [r["fid"] for r in page["rows"][5:10]], "offset pages")
        status, _, asc = srv.json("GET", "/api/profiles/%s/functions?sort=cumtime&order=asc&limit=1000" % pid)
        cts = [r["ct"] for r in asc["rows"]]
        check(cts == sorted(cts), "order=asc")
        status, _, q = srv.json("GET", "/api/profiles/%s/functions?q=json\\.loads|LOADS" % pid)
        check(status == 200 and q["total"] >= 1 and all("loads" in r["label"].lower() for r in q["rows"]),
              "q filters by regex, case-insensitive", q)
        status, _, bad = srv.json("GET", "/api/profiles/%s/functions?q=(" % pid)
        check(status == 400 and bad["error"]["code"] == "bad_request", "bad regex is 400", bad)
        status, _, bad = srv.json("GET", "/api/profiles/%s/functions?sort=bogus" % pid)
        check(status == 400, "bad sort is 400")

        # one function: callers and callees agree with the export's edges
        status, _, exp = srv.json("GET", "/api/profiles/%s/export?format=json" % pid)
        status, _, rows = srv.json("GET", "/api/profiles/%s/functions?q=%s" % (pid, urllib.parse.quote("<lambda>")))
        lam = [r for r in rows["rows"] if r["line"] == 895]
        check(len(lam) == 1, "the lambda at rule_policy.py:895", rows)
        if lam:
            status, _, fn = srv.json("GET", "/api/profiles/%s/functions/%d" % (pid, lam[0]["fid"]))
            key = [lam[0]["file"], 895, "<lambda>"]
            want_callers = sorted(e["nc"] for e in exp["edges"] if e["callee"] == key)
            want_callees = sorted(e["nc"] for e in exp["edges"] if e["caller"] == key)
            check(sorted(c["nc"] for c in fn["callers"]) == want_callers and
                  sorted(c["nc"] for c in fn["callees"]) == want_callees,
                  "function detail lists the edges", fn)
            # drill down by path to the lambda: each step a callee of the last
            status, _, tree = srv.json("GET", "/api/profiles/%s/tree?depth=12&cutoff=0" % pid)
            chain = None

            def find(n, trail):
                nonlocal chain
                if chain is None and n.get("fid") == lam[0]["fid"]:
                    chain = trail + [n["fid"]]
                for c in n.get("children", []):
                    if not c.get("other"):
                        find(c, trail + ([n["fid"]] if n.get("fid") is not None else []))
            find(tree["root"], [])
            check(chain is not None, "the lambda is in the tree")
            if chain:
                status, _, sub = srv.json("GET", "/api/profiles/%s/tree?path=%s&depth=2" % (pid, ",".join(map(str, chain))))
                check(status == 200 and sub["root"]["fid"] == lam[0]["fid"] and
                      [b["fid"] for b in sub["breadcrumbs"]] == [None] + chain,
                      "path drilldown keeps breadcrumbs", sub.get("breadcrumbs") if status == 200 else sub)
            status, _, rt = srv.json("GET", "/api/profiles/%s/tree?root=%d" % (pid, lam[0]["fid"]))
            check(status == 200 and math.isclose(rt["root"]["value"], lam[0]["ct"], rel_tol=1e-9),
                  "root mode: the function's whole cumtime", rt.get("root", {}).get("value") if status == 200 else rt)
        for bad_q in ("path=999999", "path=1,x", "depth=0", "depth=65", "cutoff=2", "hide=nope", "root=abc"):
            status, _, body = srv.json("GET", "/api/profiles/%s/tree?%s" % (pid, bad_q))
            check(status in (400, 404) and "error" in body, "tree rejects %s" % bad_q, (status, body))

        # hide builtins: no {built-in ...} nodes left
        status, _, t = srv.json("GET", "/api/profiles/%s/tree?hide=builtins&cutoff=0&depth=20" % pid)
        kinds = set()
        walk(t["root"], lambda n, d: kinds.add(n.get("kind")))
        check(status == 200 and "builtin" not in kinds and not tree_problems(t), "hide=builtins", kinds)

        # exports
        status, hdrs, data = srv.request("GET", "/api/profiles/%s/export?format=collapsed" % pid)
        lines = data.decode().splitlines()
        total_us = sum(int(l.rsplit(" ", 1)[1]) for l in lines)
        check(status == 200 and lines and 0.9 * meta["total_time"] * 1e6 < total_us < 1.1 * meta["total_time"] * 1e6,
              "collapsed stacks add up to the total", (status, total_us, meta["total_time"]))
        status, hdrs, data = srv.request("GET", "/api/profiles/%s/export?format=speedscope" % pid)
        ss = json.loads(data)
        check(status == 200 and ss["profiles"][0]["type"] == "sampled" and
              len(ss["profiles"][0]["samples"]) == len(ss["profiles"][0]["weights"]) > 0,
              "speedscope export", list(ss)[:5])
        status, _, body = srv.json("GET", "/api/profiles/%s/export?format=xml" % pid)
        check(status == 400, "unknown export format is 400")

        # caching: ETag, 304, gzip
        status, hdrs, data = srv.request("GET", "/api/profiles/%s/tree" % pid, headers={"Accept-Encoding": "gzip"})
        etag = hdrs.get("etag")
        check(status == 200 and hdrs.get("content-encoding") == "gzip" and json.loads(gzip.decompress(data)),
              "gzip when accepted", hdrs)
        status, hdrs2, data = srv.request("GET", "/api/profiles/%s/tree" % pid, headers={"If-None-Match": etag})
        check(etag and status == 304 and not data, "If-None-Match gives 304", (etag, status))
        status, hdrs3, _ = srv.request("GET", "/api/profiles/%s/tree?depth=3" % pid, headers={"If-None-Match": etag})
        check(status == 200, "another query has another ETag")
        # kept answers: gzipped once, sent as kept, inflated for a client without gzip
        status, hk, kept = srv.request("GET", "/api/profiles/%s/tree" % pid, headers={"Accept-Encoding": "gzip"})
        status2, hp, plain = srv.request("GET", "/api/profiles/%s/tree" % pid)
        check(status == status2 == 200 and hk.get("content-encoding") == "gzip" and
              "content-encoding" not in hp and gzip.decompress(kept) == plain and
              hk.get("etag") == hp.get("etag") == etag and json.loads(plain),
              "a kept answer is gzip for gzip clients and the same JSON for others",
              (hk.get("content-encoding"), hp.get("content-encoding"), len(kept), len(plain)))
        status, hh, head_body = srv.request("HEAD", "/api/profiles/%s/tree" % pid)
        check(status == 200 and not head_body and hh.get("etag") == etag, "HEAD of a kept answer", (status, hh))
        status, ha, js = srv.request("GET", "/js/bundle/ui/viewer.js", headers={"Accept-Encoding": "gzip"})
        status2, _, js_plain = srv.request("GET", "/js/bundle/ui/viewer.js")
        check(status == status2 == 200 and ha.get("content-encoding") == "gzip" and
              gzip.decompress(js) == js_plain and b"fetchTree" in js_plain,
              "embedded files are kept gzipped too", (status, ha.get("content-encoding")))

        # pages and assets
        for path in ("/", "/p/" + pid):
            status, hdrs, data = srv.request("GET", path)
            csp = hdrs.get("content-security-policy", "")
            check(status == 200 and "script-src 'self'" in csp and "unsafe-inline" not in csp and
                  hdrs.get("content-type", "").startswith("text/html"), "page %s with CSP" % path, hdrs)
        # Each page loads one script, its modules bundled: no module asks
        # for another (a request each, level after level, before any data).
        pages = {"/": None, "/p/" + pid: None, "/diff/%s/%s" % (pid, pid): None, "/m/" + "0" * 32: None}
        for path in pages:
            status, _, data = srv.request("GET", path)
            scripts = re.findall(r'<script[^>]*src="([^"]+)"', data.decode())
            check(status == 200 and len(scripts) == 1 and scripts[0].startswith("/js/bundle/"),
                  "page %s loads one bundled script" % path, scripts)
            if len(scripts) != 1:
                continue
            status, hdrs, js = srv.request("GET", scripts[0])
            relative = re.findall(rb'(?:^|[;}\s])(?:import|export)[^;]*?from\s*["\']\.{1,2}/', js)
            check(status == 200 and hdrs.get("content-type", "").startswith("text/javascript") and
                  len(js) > 1000 and not relative,
                  "%s is one file: no import of another module" % scripts[0], (status, relative[:3]))
        status, hdrs, _ = srv.request("GET", "/js/api.js")
        check(status == 404, "the modules reach the browser only bundled: /js/api.js is 404", status)
        status, hdrs, _ = srv.request("GET", "/no/such/file.js")
        check(status == 404, "unknown asset is 404")

        # errors and methods
        status, _, body = srv.json("GET", "/api/profiles/" + "0" * 32)
        check(status == 404 and body["error"]["code"] == "not_found", "unknown id is 404", body)
        status, _, body = srv.json("GET", "/api/profiles/../../etc/passwd")
        check(status == 404, "a bad id is 404")
        status, _, body = srv.json("POST", "/api/profiles/" + pid, b"x")
        check(status == 405 and body["error"]["code"] == "method_not_allowed", "POST on a profile is 405", (status, body))
        status, _, body = srv.json("GET", "/api/profiles")
        check(status == 404, "no listing without --list")
        status, _, body = srv.json("GET", "/api/nothing")
        check(status == 404 and "error" in body, "unknown route is a JSON 404")

        # multipart upload
        boundary = "----pstatsviz"
        with open(os.path.join(corpus, "workloads", "recursion_fib_mutual.prof"), "rb") as f:
            payload = f.read()
        mp = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fib.prof\"\r\n"
               "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + payload +
              ("\r\n--%s--\r\n" % boundary).encode())
        status, _, body = srv.json("POST", "/api/profiles", mp,
                                   {"Content-Type": "multipart/form-data; boundary=" + boundary})
        fib = inputs.oracle(corpus, "workloads/recursion_fib_mutual.prof", "check")
        check(status == 201 and body["name"] == "fib.prof" and body["functions"] == fib["functions"],
              "multipart upload keeps the file name", (status, body))
        fib_id, fib_token = (body["id"], body["delete_token"]) if status == 201 else (None, None)

        # over-size uploads: 413, before reading the body when its length is known
        # Content-Length over the limit: answered from the headers alone,
        # before a byte of the body is sent
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        c.putrequest("POST", "/api/profiles")
        c.putheader("Content-Length", str(300 << 20))
        c.endheaders()
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        check(r.status == 413 and body["error"]["code"] == "too_large",
              "over --max-upload is 413 before the body is read", (r.status, body))
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.putrequest("POST", "/api/profiles")
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        try:
            for _ in range(48):  # 3 MiB in 64 KiB chunks, no Content-Length
                chunk = b"\0" * 65536
                c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            c.send(b"0\r\n\r\n")
            r = c.getresponse()
            chunked_status = r.status
        except (BrokenPipeError, ConnectionResetError):
            chunked_status = "closed"
        c.close()
        check(chunked_status in (413, "closed"), "chunked over-size upload is refused", chunked_status)
        check(srv.request("GET", "/healthz")[0] == 200, "still serving after over-size uploads")

        # delete: a wrong token deletes nothing
        status, _, body = srv.json("DELETE", "/api/profiles/" + pid, headers={"Authorization": "Bearer " + "0" * 64})
        check(status == 403 and body["error"]["code"] == "forbidden", "wrong token is 403", (status, body))
        status, _, body = srv.json("DELETE", "/api/profiles/" + pid)
        check(status == 403, "no token is 403")
        check(srv.json("GET", "/api/profiles/" + pid)[0] == 200, "nothing deleted by a wrong token")
        status, _, _ = srv.json("DELETE", "/api/profiles/" + pid, headers={"Authorization": "Bearer " + token})
        check(status == 204, "the right token deletes", status)
        check(srv.json("GET", "/api/profiles/" + pid)[0] == 404, "deleted profile is 404")
        check(srv.json("GET", "/api/profiles/%s/tree" % pid)[0] == 404, "deleted profile's tree is 404")
        if fib_id:
            srv.json("DELETE", "/api/profiles/" + fib_id, headers={"Authorization": "Bearer " + fib_token})
    finally:
        srv.stop()


def test_source(exe, tmp):
    src = os.path.join(tmp, "src")
    os.makedirs(src)
    with open(os.path.join(src, "app.py"), "w") as f:
        f.write("import json\n\n\ndef work():\n    return [json.dumps(i) for i in range(1000)]\n\n\nwork()\n")
    outside = os.path.join(tmp, "outside")
    os.makedirs(outside)
    with open(os.path.join(outside, "secret.py"), "w") as f:
        f.write("SECRET = 1\n\n\ndef work():\n    return SECRET\n\n\nwork()\n")
    prof = os.path.join(tmp, "app.prof")
    prof2 = os.path.join(tmp, "outside.prof")
    prof3 = os.path.join(tmp, "link.prof")
    os.symlink(outside, os.path.join(src, "link"))
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof, os.path.join(src, "app.py")], check=True)
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof2, os.path.join(outside, "secret.py")], check=True)
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof3, os.path.join(src, "link", "secret.py")],
                   check=True)
    srv = Server(exe, os.path.join(tmp, "src.db"), "--source-root", src)
    try:
        _, _, body = upload(srv, prof)
        pid = body["id"]
        _, _, rows = srv.json("GET", "/api/profiles/%s/functions?q=work" % pid)
        fid = [r for r in rows["rows"] if r["name"] == "work"][0]["fid"]
        status, _, s = srv.json("GET", "/api/profiles/%s/source?fid=%d" % (pid, fid))
        check(status == 200 and s["line"] == 4 and s["lines"][s["line"] - s["first_line"]] == "def work():",
              "source under --source-root", (status, s))
        for p, what in ((prof2, "outside the roots"), (prof3, "behind a link out of the root")):
            _, _, body = upload(srv, p)
            _, _, rows = srv.json("GET", "/api/profiles/%s/functions?q=work" % body["id"])
            fid = [r for r in rows["rows"] if r["name"] == "work"][0]["fid"]
            status, _, s = srv.json("GET", "/api/profiles/%s/source?fid=%d" % (body["id"], fid))
            check(status == 404 and "SECRET" not in json.dumps(s), "source %s is 404" % what, (status, s))
            # It says why, from the path's words alone: a link that leads
            # out reads as not found, and nothing tells whether it exists.
            why = "outside the --source-root" if p == prof2 else "not found under its --source-root"
            check(why in s["error"]["message"] and outside not in s["error"]["message"],
                  "source %s: the 404 says why (%s)" % (what, why), s["error"]["message"])
        gone = os.path.join(src, "gone.py")
        with open(gone, "w") as f:
            f.write("def work():\n    return 1\n\n\nwork()\n")
        prof4 = os.path.join(tmp, "gone.prof")
        subprocess.run([sys.executable, "-m", "cProfile", "-o", prof4, gone], check=True)
        os.unlink(gone)
        _, _, body = upload(srv, prof4)
        _, _, rows = srv.json("GET", "/api/profiles/%s/functions?q=work" % body["id"])
        fid4 = [r for r in rows["rows"] if r["name"] == "work"][0]["fid"]
        status, _, s = srv.json("GET", "/api/profiles/%s/source?fid=%d" % (body["id"], fid4))
        check(status == 404 and "not found under its --source-root" in s["error"]["message"],
              "a file gone from under its root: the 404 says so", (status, s))
        bare = Server(exe, os.path.join(tmp, "src3.db"))
        try:
            _, _, body = upload(bare, prof)
            status, _, s = bare.json("GET", "/api/profiles/%s/source?fid=%d" % (body["id"], fid))
            check(status == 404 and "without --source-root" in s["error"]["message"],
                  "a server without --source-root: the 404 says so", (status, s))
        finally:
            bare.stop()
        # made elsewhere (say, /app/src in a container): found by its trailing path
        moved = os.path.join(tmp, "checkout")
        os.makedirs(os.path.join(moved, "src"))
        shutil.copy(os.path.join(src, "app.py"), os.path.join(moved, "src", "app.py"))
        srv2 = Server(exe, os.path.join(tmp, "src2.db"), "--source-root", moved)
        try:
            _, _, body = upload(srv2, prof)
            _, _, rows = srv2.json("GET", "/api/profiles/%s/functions?q=work" % body["id"])
            fid = [r for r in rows["rows"] if r["name"] == "work"][0]["fid"]
            status, _, s = srv2.json("GET", "/api/profiles/%s/source?fid=%d" % (body["id"], fid))
            check(status == 200 and "def work():" in s["lines"],
                  "source found by its trailing path under another root", (status, s))
        finally:
            srv2.stop()
    finally:
        srv.stop()


def test_sample_source(exe, corpus, tmp):
    """make run's setup: the bundled sample with --source-root
    data/rasa_sample.  The profiles name the folder they were made in
    (data/regenerate.sh), so every function of the sample's three files is
    found by its trailing path, at its line."""
    sample = os.path.join(inputs.SRC, "data", "rasa_sample")
    files = {n for n in os.listdir(sample) if n.endswith(".py")}
    srv = Server(exe, os.path.join(tmp, "sample.db"), "--source-root", sample)
    try:
        for rel in ("rasa/rasa_maxsize1000.prof", "rasa/rasa_maxsize5000.prof"):
            pid = upload(srv, os.path.join(corpus, rel))[2]["id"]
            _, _, rows = srv.json("GET", "/api/profiles/%s/functions?limit=1000" % pid)
            mine = [r for r in rows["rows"] if os.path.basename(r["file"]) in files]
            found, wrong = set(), []
            for r in mine:
                status, _, src = srv.json("GET", "/api/profiles/%s/source?fid=%d" % (pid, r["fid"]))
                with open(os.path.join(sample, os.path.basename(r["file"]))) as f:
                    text = f.read().splitlines()
                if status != 200 or src["lines"][src["line"] - src["first_line"]] != text[r["line"] - 1]:
                    wrong.append((r["label"], status))
                else:
                    found.add(os.path.basename(r["file"]))
            check(mine and not wrong and found == files,
                  "%s: the source of all %d sample functions under --source-root data/rasa_sample"
                  % (rel, len(mine)), (wrong[:5], found))
    finally:
        srv.stop()


def test_two_servers(exe, corpus, tmp):
    """The same file gets the same id and fids on another server."""
    f = os.path.join(corpus, "workloads", "email_parse.prof")
    a = Server(exe, os.path.join(tmp, "a.db"), "--list")
    b = Server(exe, os.path.join(tmp, "b.db"))
    try:
        ia = upload(a, f)[2]["id"]
        ib = upload(b, f)[2]["id"]
        check(ia == ib, "same id on two servers")
        ra = a.json("GET", "/api/profiles/%s/functions?limit=1000" % ia)[2]["rows"]
        rb = b.json("GET", "/api/profiles/%s/functions?limit=1000" % ib)[2]["rows"]
        check([(r["fid"], r["label"]) for r in ra] == [(r["fid"], r["label"]) for r in rb], "same fids on two servers")
        status, _, lst = a.json("GET", "/api/profiles")
        check(status == 200 and [p["id"] for p in lst["profiles"]] == [ia], "--list lists", lst)
    finally:
        a.stop()
        b.stop()


def test_web_root(exe, tmp):
    """--web-root serves web/ as it is: the bundle's URL is its entry module,
    and the modules it imports resolve under /js/bundle/ too."""
    web = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
    srv = Server(exe, os.path.join(tmp, "webroot.db"), "--web-root", web)
    try:
        status, _, page = srv.request("GET", "/p/" + "0" * 32)
        script = re.findall(r'<script[^>]*src="([^"]+)"', page.decode())
        check(status == 200 and script == ["/js/bundle/ui/viewer.js"], "--web-root: the viewer page", script)
        status, _, entry = srv.request("GET", "/js/bundle/ui/viewer.js")
        with open(os.path.join(web, "js", "ui", "viewer.js"), "rb") as f:
            check(status == 200 and entry == f.read(), "--web-root: the bundle's URL is the entry module as it is", status)
        imports = re.findall(rb"^import [^;]*?from '(\.{1,2}/[^']+)'", entry, re.M)
        bad = []
        for rel in imports:
            url = os.path.normpath(os.path.join("/js/bundle/ui", rel.decode()))
            if srv.request("GET", url)[0] != 200:
                bad.append(url)
        check(imports and not bad, "--web-root: its imports resolve under /js/bundle/", bad)
        status, _, _ = srv.request("GET", "/js/bundle/../../../etc/passwd")
        check(status == 404, "--web-root: no way out of the root", status)
    finally:
        srv.stop()


def test_profile_list(exe, corpus, tmp):
    """GET /api/profiles pages newest first, searches names, counts them all;
    a version 1 database gains the index on the upload time."""
    import sqlite3
    db = os.path.join(tmp, "list.db")
    srv = Server(exe, db, "--list")
    try:
        real = upload(srv, os.path.join(corpus, "workloads", "email_parse.prof"), "Email_Parse.prof")[2]["id"]
    finally:
        srv.stop()
    # Many rows, written straight into the table (the list reads only it):
    # 3,000 made-up profiles, one a second, older than the real upload.
    con = sqlite3.connect(db)
    (created,) = con.execute("SELECT created_ms FROM profiles WHERE id = ?", (real,)).fetchone()
    con.executemany(
        "INSERT INTO profiles(id, name, size_bytes, marshal_version, python2, created_ms, total_calls,"
        " prim_calls, total_tt, functions, edges, warnings, delete_token_sha256)"
        " VALUES(?, ?, 1, 4, 0, ?, 1, 1, 0.5, 1, 0, '[]', x'00')",
        [("%032x" % i, "run_%04d%s.prof" % (i, "_cache" if i % 100 == 0 else ""), created - 1000 * (3000 - i))
         for i in range(3000)])
    # As a version 1 file was: no index, no entry points in the rows, each
    # model one row of a table models, user_version 1.
    con.execute("DROP INDEX profiles_by_created")
    con.execute("ALTER TABLE profiles DROP COLUMN entries")
    blobs = {}
    for profile, part in con.execute("SELECT profile, bytes FROM model_parts ORDER BY profile, part"):
        blobs[profile] = blobs.get(profile, b"") + part
    con.execute("DROP TABLE model_parts")
    con.execute("CREATE TABLE models(profile INTEGER PRIMARY KEY REFERENCES profiles(pk) ON DELETE CASCADE,"
                " blob BLOB NOT NULL)")
    con.executemany("INSERT INTO models VALUES(?, ?)", blobs.items())
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    srv = Server(exe, db, "--list")
    try:
        status, _, page = srv.json("GET", "/api/profiles?limit=10")
        check(status == 200 and page["total"] == 3001 and page["limit"] == 10 and page["offset"] == 0 and
              [p["id"] for p in page["profiles"]] == [real] + ["%032x" % i for i in range(2999, 2990, -1)],
              "list: the first page, newest first, with the total", page and page.get("total"))
        status, _, page = srv.json("GET", "/api/profiles?limit=5&offset=2998")
        check(status == 200 and [p["name"] for p in page["profiles"]] == ["run_0002.prof", "run_0001.prof",
                                                                         "run_0000_cache.prof"],
              "list: the last page is short", page)
        status, _, page = srv.json("GET", "/api/profiles?q=CACHE&limit=100")
        check(status == 200 and page["total"] == 30 and len(page["profiles"]) == 30 and
              page["profiles"][0]["name"] == "run_2900_cache.prof",
              "list: q= keeps the names that contain it, in any case", page and page.get("total"))
        status, _, page = srv.json("GET", "/api/profiles?q=email_PARSE")
        check(status == 200 and page["total"] == 1 and page["profiles"][0]["id"] == real,
              "list: q= finds the real upload", page)
        status, _, page = srv.json("GET", "/api/profiles?q=%25")
        check(status == 200 and page["total"] == 0, "list: q= is text, not a LIKE pattern", page)
        status, _, page = srv.json("GET", "/api/profiles")
        check(status == 200 and len(page["profiles"]) == 50, "list: 50 by default, never all", page["limit"])
        for bad in ("limit=0", "limit=1001", "offset=-1", "limit=x", "q=" + "a" * 256):
            check(srv.json("GET", "/api/profiles?" + bad)[0] == 400, "list: 400 for " + bad[:20])
        status, _, meta = srv.json("GET", "/api/profiles/" + real)
        check(status == 200 and meta["entries"] and meta["entries"][0]["label"],
              "a row from before the entry points were stored: its metadata takes them from the model",
              meta)
    finally:
        srv.stop()
    con = sqlite3.connect(db)
    plan = " ".join(r[3] for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM profiles ORDER BY created_ms DESC, id LIMIT 10"))
    version = con.execute("PRAGMA user_version").fetchone()[0]
    parts = con.execute("SELECT count(*), sum(part) FROM model_parts").fetchone()
    old_models = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'models'").fetchone()[0]
    con.close()
    check(version == 5 and "profiles_by_created" in plan and "TEMP B-TREE" not in plan,
          "list: the migration added the index, and pages use it", (version, plan))
    check(parts == (1, 0) and old_models == 0,
          "the migration made each model of the table models one part", (parts, old_models))


def test_compare_link(exe, corpus, tmp):
    """pstatsviz A B prints both view links and a compare link, which serves
    the compare page; the two profiles are listed."""
    import hashlib
    files = [os.path.join(corpus, "rasa", n) for n in ("rasa_maxsize1000.prof", "rasa_maxsize5000.prof")]
    ids = []
    for f in files:
        with open(f, "rb") as fh:
            ids.append(hashlib.sha256(fh.read()).hexdigest()[:32])
    port = free_port()
    # --no-browser: on a desktop, `make test` must not open tabs
    proc = subprocess.Popen([exe] + files + ["--no-browser", "--host", "127.0.0.1",
                                             "--port", str(port), "--db",
                                             os.path.join(tmp, "pair.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        base = "http://127.0.0.1:%d" % port
        check(lines[1].split()[0] == "%s/p/%s" % (base, ids[0]) and lines[2].split()[0] == "%s/p/%s" % (base, ids[1]),
              "pstatsviz A B: the two view links", lines)
        link = lines[3].split()[0]
        check(link == "%s/diff/%s/%s" % (base, ids[0], ids[1]) and "compare" in lines[3],
              "pstatsviz A B: the compare link", lines[3])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", link[len(base):])
        r = c.getresponse()
        page = r.read().decode()
        c.close()
        check(r.status == 200 and "/js/bundle/ui/diff.js" in page, "the compare link serves the compare page", r.status)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/api/profiles")
        lst = json.loads(c.getresponse().read())
        c.close()
        check(sorted(p["id"] for p in lst["profiles"]) == sorted(ids), "pstatsviz A B lists both", lst)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_diff_kept(exe, corpus, tmp):
    """A comparison is fixed by the two profiles' bytes and the query: it is
    kept and ETagged like a profile's answers, and a delete of either
    profile drops it (a 404 then, not the kept answer)."""
    files = [os.path.join(corpus, "rasa", n) for n in ("rasa_maxsize1000.prof", "rasa_maxsize5000.prof")]
    srv = Server(exe, os.path.join(tmp, "kept.db"))
    try:
        a = srv.upload(open(files[0], "rb").read())
        status, _, doc = srv.json("POST", "/api/profiles?name=b.prof", open(files[1], "rb").read())
        b, token = doc["id"], doc["delete_token"]
        for path in ("/api/diff/tree?a=%s&b=%s&depth=4" % (a, b),
                     "/api/diff?a=%s&b=%s&sort=calls&limit=5" % (a, b)):
            s1, h1, d1 = srv.request("GET", path)
            s2, h2, d2 = srv.request("GET", path)
            etag = h1.get("etag", "")
            check(s1 == s2 == 200 and d1 == d2 and etag and a in etag and b in etag and
                  h2.get("etag") == etag, "%s: kept, its ETag names both profiles" % path[:14],
                  (s1, s2, etag))
            s3, _, d3 = srv.request("GET", path, headers={"If-None-Match": etag})
            check(s3 == 304 and not d3, "%s: If-None-Match gives 304" % path[:14], s3)
            s4, h4, _ = srv.request("GET", path.replace("a=" + a, "a=" + b))
            check(s4 == 200 and h4.get("etag") not in ("", None, etag),
                  "%s: another pair, another ETag" % path[:14], (s4, h4.get("etag")))
        s, h, _ = srv.request("GET", "/api/diff?a=%s&b=nothex" % a)
        check(s == 400 and "etag" not in h, "a pair with a bad id: 400, no ETag", (s, h))
        path = "/api/diff/tree?a=%s&b=%s&depth=4" % (a, b)
        etag = srv.request("GET", path)[1].get("etag") or ""
        s, _, _ = srv.request("DELETE", "/api/profiles/" + b, headers={"Authorization": "Bearer " + token})
        check(s == 204, "B deleted", s)
        s5, _, d5 = srv.json("GET", path)
        check(s5 == 404 and d5 and d5["error"]["code"] == "not_found",
              "after B's delete the kept comparison is gone: 404", (s5, d5))
        s6, _, _ = srv.request("GET", path, headers={"If-None-Match": etag})
        check(s6 == 404, "and its old ETag gets no 304", s6)
    finally:
        srv.stop()


def test_reads_during_upload(exe, corpus, tmp):
    """Reads are answered while a large upload is being parsed and stored."""
    big = inputs.synthetic(corpus, 100000)
    srv = Server(exe, os.path.join(tmp, "busy.db"))
    try:
        pid = upload(srv, os.path.join(corpus, "rasa", "rasa_maxsize1000.prof"))[2]["id"]
        done = {}

        def up():
            t0 = time.monotonic()
            done["status"] = upload(srv, big)[0]
            done["secs"] = time.monotonic() - t0
        th = threading.Thread(target=up)
        th.start()
        time.sleep(0.05)
        lat = []
        while th.is_alive():
            t0 = time.monotonic()
            srv.json("GET", "/api/profiles/%s/tree?depth=4&cutoff=0.01" % pid)
            lat.append(time.monotonic() - t0)
        th.join()
        check(done.get("status") == 201, "100k-function upload succeeds", done)
        check(len(lat) >= 3 and max(lat) < 0.5,
              "reads go on during the upload (%d reads, slowest %.0f ms, upload %.2f s)" %
              (len(lat), 1000 * max(lat or [0]), done.get("secs", 0)), lat[:5])
    finally:
        srv.stop()


def test_search(exe, corpus, tmp):
    """The whole-profile search's summary (/functions?q=) and the path to
    a match (/path?fid=), against pstats on the rasa sample."""
    import pstats
    import re
    rasa = os.path.join(corpus, "rasa", "rasa_maxsize1000.prof")
    st = pstats.Stats(rasa)
    labels = {pstats.func_std_string(k): v for k, v in st.stats.items()}
    srv = Server(exe, os.path.join(tmp, "search.db"))
    try:
        pid = upload(srv, rasa)[2]["id"]
        base = "/api/profiles/" + pid

        def summary(q):
            status, _, page = srv.json("GET", base + "/functions?sort=cumtime&limit=50&q=" +
                                       urllib.parse.quote(q))
            return page if status == 200 else {"search": None, "rows": [], "total": -1}

        page = summary("loads")
        loads = [k for k in labels if k.endswith("json/__init__.py:299(loads)")]
        want_pct = 100 * labels[loads[0]][3] / st.total_tt
        top = page["rows"][0] if page["rows"] else {}
        check(page["search"] and page["search"]["count"] == 2 and top.get("label") == loads[0] and
              abs(top["ct_pct"] - want_pct) < 1e-9 and 29 < want_pct < 31,
              "search loads: json.loads first, with its pstats share (%.1f%%)" % want_pct, page)
        # loads, decode and raw_decode are one chain: together, loads' time
        chain = summary(r"json/.*\((loads|decode|raw_decode)\)$")
        check(chain["search"] and chain["search"]["count"] == 3 and
              abs(chain["search"]["time"] - labels[loads[0]][3]) < 1e-9,
              "a chain of matches counts its top once", chain.get("search"))
        js = summary("json")
        matching = [k for k in labels if re.search("json", k, re.I)]
        cts = sorted((labels[k][3] for k in matching), reverse=True)
        s = js["search"] or {}
        # json.loads and json.dumps are apart (json.loads alone is 30%); all
        # the rest is under them or their modules, so the sum over-counts
        check(s.get("count") == len(matching) and cts[0] + cts[3] <= s["time"] < sum(cts) - 1 and
              abs(s["pct"] - 100 * s["time"] / st.total_tt) < 1e-9,
              "search json: every json function, nested ones once (%.3f s of %.3f summed)" %
              (s.get("time", 0), sum(cts)), s)
        check(summary("no such function")["search"] == {"count": 0, "time": 0, "pct": 0},
              "no match: count 0, no time", summary("no such function").get("search"))

        # the path to raw_decode: each step a callee of the one before, and
        # the tree of that path is rooted at raw_decode
        raw = [r for r in chain["rows"] if r["name"] == "raw_decode"][0]
        status, _, path = srv.json("GET", base + "/path?fid=%d" % raw["fid"])
        ok = status == 200 and path["path"][-1] == raw["fid"] and len(set(path["path"])) == len(path["path"])
        if ok:
            status, _, tree = srv.json("GET", base + "/tree?depth=1&path=" + ",".join(map(str, path["path"])))
            ok = status == 200 and tree["root"]["fid"] == raw["fid"] and tree["breadcrumbs"][1]["name"] == "<built-in method builtins.exec>"
        check(ok, "path to raw_decode opens it in the tree", path)
        status, _, bad = srv.json("GET", base + "/path?fid=99999")
        check(status == 404 and bad["error"]["code"] == "not_found", "path to an unknown fid is 404", bad)
        status, _, bad = srv.json("GET", base + "/path?fid=x")
        check(status == 404, "path with a fid that is not a number is 404, as for /functions/x", bad)
    finally:
        srv.stop()


def main():
    exe, corpus = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        test_routes(exe, corpus, tmp)
        test_search(exe, corpus, tmp)
        test_source(exe, tmp)
        test_sample_source(exe, corpus, tmp)
        test_two_servers(exe, corpus, tmp)
        test_web_root(exe, tmp)
        test_profile_list(exe, corpus, tmp)
        test_compare_link(exe, corpus, tmp)
        test_diff_kept(exe, corpus, tmp)
        test_reads_during_upload(exe, corpus, tmp)
        test_corpus(exe, corpus, tmp)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
