#!/usr/bin/env python3
"""Reads a stranger can send, each once a way to take gigabytes, a worker,
or a wrong answer (issue 11, items 2, 6 and 9): a search pattern that
expands, labels of a 1 MiB file name, a FIFO under --source-root, and
lenient parameters.  The real binary on a free loopback port.

usage: check_hostile_reads.py PSTATSVIZ
"""
import marshal
import os
import stat
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_http  # noqa: E402  (upload)
from harness import Server, check, tally  # noqa: E402


def write_profile(path, stats):
    with open(path, "wb") as f:
        f.write(marshal.dumps(stats))


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


def upload_file(srv, path):
    status, _, body = check_http.upload(srv, path)
    if status != 201:
        raise RuntimeError("upload of %s: %s %r" % (path, status, body))
    return body


def test_search_bounds(exe, tmp):
    srv = Server(exe, os.path.join(tmp, "search.db"))
    try:
        # One 1 MiB file name, shared through marshal references by 2,000
        # functions: a 2 GB label table if labels are made whole.
        big = "/" + "d" * (1 << 20) + "/mod.py"
        stats = {(big, i, "f%d" % i): (1, 1, 0.001, 0.001, {}) for i in range(1, 2001)}
        path = os.path.join(tmp, "huge_name.prof")
        write_profile(path, stats)
        check(os.path.getsize(path) < (1 << 20) + 100000,
              "the huge-name profile holds the name once", os.path.getsize(path))
        pid = upload_file(srv, path)["id"]
        base = "/api/profiles/%s/functions" % pid
        rss0 = peak_rss_mb(srv.proc.pid)

        t0 = time.monotonic()
        status, _, body = srv.json("GET", base + "?q=" + urllib.parse.quote("a{1,32767}"))
        check(status == 400 and "counts go up to 100" in body["error"]["message"],
              "a pattern of 32,767 copies is refused (400)", (status, body))
        status, _, body = srv.json("GET", base + "?q=" + urllib.parse.quote("(a{1,100}){1,100}"))
        check(status == 400 and "expands" in body["error"]["message"],
              "nested repetition is refused (400)", (status, body))
        status, _, body = srv.json("GET", base + "?q=" + urllib.parse.quote("(a)\\1"))
        check(status == 400 and "back-references" in body["error"]["message"],
              "back-references are refused (400)", (status, body))
        status, _, body = srv.json("GET", base + "?q=" + "x" * 1001)
        check(status == 400 and "bytes" in body["error"]["message"], "a 1,001-byte pattern is refused (400)",
              (status, body))
        status, _, body = srv.json("GET", base + "?q=" + urllib.parse.quote(":17\\(f17\\)$"))
        check(status == 200 and body["total"] == 1 and
              body["rows"][0]["name"] == "f17" and len(body["rows"][0]["label"]) <= 2001,
              "search over cut labels still finds by name", (status, body and body.get("total")))
        status, _, body = srv.json("GET", base + "?q=" + urllib.parse.quote("^/d{100}"))
        check(status == 200 and body["total"] == 2000, "search matches the kept part of a cut label",
              (status, body and body.get("total")))
        elapsed = time.monotonic() - t0
        rss1 = peak_rss_mb(srv.proc.pid)
        # Whole labels were 2,000 x 1 MiB; cut ones are 2,000 x 2 KB.
        check(rss1 - rss0 < 150, "searches raise peak RSS by under 150 MB",
              "%.0f MB -> %.0f MB" % (rss0, rss1))
        check(elapsed < 20, "the searches answer within 20 s", "%.1f s" % elapsed)
        check(srv.request("GET", "/healthz")[0] == 200, "the server is still up after the searches")
    finally:
        code, log = srv.stop()
        check(code == 0, "search server stops cleanly", (code, log[-2000:]))


def test_fifo_source(exe, tmp):
    root = os.path.join(tmp, "fifo_root")
    os.makedirs(root)
    fifo = os.path.join(root, "blocked.py")
    os.mkfifo(fifo)
    check(stat.S_ISFIFO(os.stat(fifo).st_mode), "a FIFO stands under the source root")
    path = os.path.join(tmp, "fifo.prof")
    write_profile(path, {(fifo, 1, "f"): (1, 1, 0.5, 0.5, {})})
    srv = Server(exe, os.path.join(tmp, "fifo.db"), "--source-root", root, "--threads", "4")
    try:
        pid = upload_file(srv, path)["id"]
        results = []

        def ask():
            try:
                results.append(srv.json("GET", "/api/profiles/%s/source?fid=0" % pid)[0])
            except OSError as e:
                results.append(repr(e))
        threads = [threading.Thread(target=ask) for _ in range(6)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        took = time.monotonic() - t0
        check(results == [404] * 6, "a FIFO under the root is 'not available' (404), six times",
              results)
        check(took < 5, "FIFO requests answer at once", "%.1f s" % took)
        t0 = time.monotonic()
        check(srv.request("GET", "/healthz", timeout=5)[0] == 200 and time.monotonic() - t0 < 1,
              "every worker is free after the FIFO requests")
    finally:
        code, log = srv.stop()
        check(code == 0, "FIFO server stops cleanly", (code, log[-2000:]))


def test_strict_parameters(exe, tmp):
    stats = {
        ("app.py", 1, "main"): (1, 1, 0.1, 1.0, {}),
        ("app.py", 2 ** 62, "far"): (3, 3, 0.9, 0.9, {("app.py", 1, "main"): (3, 3, 0.9, 0.9)}),
    }
    path = os.path.join(tmp, "params.prof")
    write_profile(path, stats)
    srv = Server(exe, os.path.join(tmp, "params.db"))
    try:
        up = upload_file(srv, path)
        pid, token = up["id"], up["delete_token"]
        tree = "/api/profiles/%s/tree" % pid
        for query in ["cutoff=", "depth=", "depth=%201", "depth=+1", "depth=1.0", "depth=0x1",
                      "cutoff=0x1p-3", "cutoff=%200.1", "cutoff=inf", "cutoff=nan", "cutoff=.",
                      "cutoff=1e", "max_nodes=", "path=0,", "path=,0", "path=0,,1", "path=-0",
                      "root=", "root=x", "root=0&path=0", "root=0&path="]:
            status, _, body = srv.json("GET", tree + "?" + query)
            check(status == 400 and body and body.get("error", {}).get("code") == "bad_request",
                  "tree?%s is 400" % query, (status, body))
        for query in ["cutoff=0.001", "cutoff=1e-3", "cutoff=.5", "cutoff=0", "cutoff=1",
                      "depth=1", "depth=064", "path=0", "root=1", "max_nodes=5"]:
            status, _, body = srv.json("GET", tree + "?" + query)
            check(status == 200, "tree?%s is 200" % query, (status, body))
        funcs = "/api/profiles/%s/functions" % pid
        for query in ["limit=+5", "limit=", "offset=-0", "offset=%201", "limit=1e2"]:
            status, _, body = srv.json("GET", funcs + "?" + query)
            check(status == 400, "functions?%s is 400" % query, (status, body))
        status, _, body = srv.request("GET", "/api/profiles/%s%%00" % pid)
        check(status == 404, "a profile id followed by %00 names no profile (404)", (status, body))
        status, _, body = srv.request("GET", "/api/profiles/%s%%00/functions" % pid)
        check(status == 404, "%00 inside the path names no route (404)", status)
        status, _, body = srv.json("GET", funcs + "?sort=line&order=desc&limit=1")
        check(status == 200 and b'"line":4611686018427387904' in
              srv.request("GET", funcs + "?sort=line&order=desc&limit=1")[2],
              "a line number of 2^62 comes back as an exact integer", body)
        status, _, _ = srv.request("DELETE", "/api/profiles/" + pid,
                                   headers={"Authorization": "bearer  " + token})
        check(status == 204, "'bearer' in lower case, two spaces, deletes (204)", status)
    finally:
        code, log = srv.stop()
        check(code == 0, "parameter server stops cleanly", (code, log[-2000:]))


def main():
    exe = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_search_bounds, test_fifo_source, test_strict_parameters):
            try:
                test(exe, tmp)
            except Exception as e:  # a hung or dead server: fail, go on
                check(False, test.__name__ + " ran to the end", repr(e))
    return tally()


if __name__ == "__main__":
    sys.exit(main())
