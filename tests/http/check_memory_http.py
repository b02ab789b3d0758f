#!/usr/bin/env python3
"""check_memory_http.py - the memory data routes' statuses on hand-made
files (no memory_profiler needed): attach=, DELETE with each kind of
token, 400/404/405/422, the /samples parameters and the nearest samples
outside a window (on a sparse recording), multipart and gzip uploads,
and the ETags of a profile's answers as memory data comes and
goes.

usage: check_memory_http.py PSTATSVIZ STATS_FILE
"""
import gzip
import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import Server, check, tally  # noqa: E402

EXE, STATS = sys.argv[1], sys.argv[2]

RECORDING = (b"CMDLINE python3 x.py\n"
             b"MEM 10.5 1000.0\nCHLD 0 3.0 1000.05\nMEM 20.25 1000.1\n"
             b"FUNC __main__.f 10.5 1000.0 20.25 1000.1 0\nCHLD 0 4.5 1000.15\n"
             b"MEM 15.0 1000.2\n")
# Sparse: a tick every 2 s; each tick's CHLD lines stamped a little after
# its MEM line, as mprof writes them.  Child 1 stops after 1002.0, child 2
# starts at 1006.0; two main samples share 1004.0.
SPARSE = (b"CMDLINE python3 sparse.py\n"
          b"MEM 10.5 1000.0\nCHLD 0 2.0 1000.0001\nCHLD 1 1.0 1000.0002\n"
          b"MEM 20.25 1002.0\nCHLD 0 4.0 1002.0001\nCHLD 1 3.0 1002.0003\n"
          b"MEM 30.0 1004.0\nMEM 31.0 1004.0\nCHLD 0 5.0 1004.0001\n"
          b"MEM 12.0 1006.0\nCHLD 0 6.0 1006.0001\nCHLD 2 1.5 1006.0002\n")
REPORT = (b"Filename: /app/x.py\n\n"
          b"Line #    Mem usage    Increment  Occurrences   Line Contents\n"
          b"=============================================================\n"
          b"     1   10.000 MiB   10.000 MiB           1   @profile\n"
          b"     2                                         def f():\n"
          b"     3   30.000 MiB   20.000 MiB           1       a = bytearray(20 << 20)\n\n\n")


def multipart(name, data, boundary="b0undary"):
    return ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode() + \
        data + ("\r\n--%s--\r\n" % boundary).encode(), \
        {"Content-Type": "multipart/form-data; boundary=%s" % boundary}


def version_2_database(db, stats):
    """A database as schema version 2 left it: a profile, no memory tables."""
    srv = Server(EXE, db)
    try:
        s, _, prof = srv.json("POST", "/api/profiles", stats)
    finally:
        srv.stop()
    con = sqlite3.connect(db)
    con.execute("DROP TABLE memory_attachments")
    con.execute("DROP TABLE memory")
    con.execute("ALTER TABLE profiles DROP COLUMN entries")  # version 4's
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    return prof


def sparse_windows(srv):
    """/samples of a window between two samples, or holding one, of SPARSE:
    empty buckets, and the nearest samples either side."""
    s, _, rec = srv.json("POST", "/api/profiles?name=sparse.dat", SPARSE)
    check(s == 201 and rec["samples"] == 5 and rec["children"] == 3, "a sparse recording", rec)
    rows = (
        ("t0=1000.5&t1=1001.5&width=2", "between the first two samples",
         {"main": [None, None], "before": [1000.0, 10.5], "after": [1002.0, 20.25],
          "children": [None, None], "children_before": [1000.0002, 3.0],
          "children_after": [1002.0001, 7.0]}),
        ("t0=1001&t1=1003&width=4", "one sample inside",
         {"main": [None, None, [1002.0, 20.25, 20.25], None], "before": [1000.0, 10.5],
          "after": [1004.0, 30.0], "children": [None, None, [1002.0, 7.0, 7.0], None],
          "children_before": [1000.0002, 3.0], "children_after": [1004.0001, 5.0]}),
        # 1004.0 twice: the line leaves from the last and comes to the first;
        # child 2's first sample is a tick later than `after`'s, child 1's
        # last a tick earlier than `before`'s: neither is summed.
        ("t0=1003&t1=1003.5&width=1", "before two samples of the same time",
         {"main": [None], "before": [1002.0, 20.25], "after": [1004.0, 30.0],
          "children": [None], "children_before": [1002.0003, 7.0],
          "children_after": [1004.0001, 5.0]}),
        ("t0=1004.5&t1=1005&width=1", "after them, and before the last tick",
         {"main": [None], "before": [1004.0, 31.0], "after": [1006.0, 12.0],
          "children": [None], "children_before": [1004.0001, 5.0],
          "children_after": [1006.0001, 7.5]}),
        ("t0=0&t1=999&width=1", "before the recording",
         {"main": [None], "before": None, "after": [1000.0, 10.5], "children": [None],
          "children_before": None, "children_after": [1000.0001, 3.0]}),
        ("t0=2000&t1=3000&width=1", "after the recording",
         {"main": [None], "before": [1006.0, 12.0], "after": None, "children": [None],
          "children_before": [1006.0002, 7.5], "children_after": None}),
    )
    for query, why, want in rows:
        s, _, smp = srv.json("GET", "/api/memory/%s/samples?%s" % (rec["id"], query))
        got = {k: smp.get(k) for k in want} if s == 200 else smp
        check(s == 200 and got == want, "sparse samples, a window " + why, (s, got))


def main():
    tmp = tempfile.mkdtemp(prefix="pstatsviz-memhttp-")
    db = os.path.join(tmp, "t.db")
    with open(STATS, "rb") as f:
        stats = f.read()
    prof = version_2_database(db, stats)
    srv = Server(EXE, db)
    try:
        pid = prof["id"]
        con = sqlite3.connect(db)
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        con.close()
        check(version == 5 and {"memory", "memory_attachments"} <= tables,
              "a version 2 database gains the memory tables (version 3, now 5)", (version, tables))
        _, h0, _ = srv.request("GET", "/api/profiles/" + pid)

        body, hdrs = multipart("x.mprof.dat", RECORDING)
        s, _, rec = srv.json("POST", "/api/profiles?attach=" + pid, body, hdrs)
        check(s == 201 and rec["kind"] == "mprof" and rec["name"] == "x.mprof.dat" and
              rec["samples"] == 3 and rec["children"] == 1 and rec["funcs"] == 1 and
              rec["peak_mib"] == 20.25 and rec["peak_t"] == 1000.1,
              "multipart upload of a recording, attached", (s, rec))
        _, h1, _ = srv.request("GET", "/api/profiles/" + pid)
        check(h0["etag"] != h1["etag"], "attaching changes the profile's ETag")
        s, _, _ = srv.request("GET", "/api/profiles/" + pid, headers={"If-None-Match": h0["etag"]})
        check(s == 200, "the old ETag no longer gets a 304", s)
        s, _, _ = srv.request("GET", "/api/profiles/" + pid, headers={"If-None-Match": h1["etag"]})
        check(s == 304, "the new one does", s)

        s, _, smp = srv.json("GET", "/api/memory/%s/samples?width=2" % rec["id"])
        check(s == 200 and smp == {"t0": 1000.0, "t1": 1000.2, "width": 2,
                                   "main": [[1000.0, 10.5, 10.5], [1000.1, 15.0, 20.25]],
                                   "before": None, "after": None,
                                   "children": [[1000.0, 3.0, 3.0], [1000.1, 4.5, 4.5]],
                                   "children_before": None, "children_after": None},
              "two buckets of main and children, nothing outside the whole recording", smp)
        s, _, smp = srv.json("GET", "/api/memory/%s/samples?width=1&t0=1000.1&t1=1000.1"
                             % rec["id"])
        check(s == 200 and smp["main"] == [[1000.1, 20.25, 20.25]] and smp["children"] == [None],
              "a window of one instant", smp)
        check(tuple(smp.get(k) for k in ("before", "after", "children_before", "children_after")) ==
              ([1000.0, 10.5], [1000.2, 15.0], [1000.05, 3.0], [1000.15, 4.5]),
              "a window of one instant: the samples either side", smp)
        sparse_windows(srv)
        for q, why in (("width=0", "width 0"), ("width=8193", "width over 8192"),
                       ("width=", "an empty width"), ("t0=abc", "a bad t0"),
                       ("t0=5&t1=4", "t1 before t0"), ("t0=-1", "a negative t0")):
            s, _, e = srv.json("GET", "/api/memory/%s/samples?%s" % (rec["id"], q))
            check(s == 400 and e["error"]["code"] == "bad_request", "samples: " + why, (s, e))

        s, _, rep = srv.json("POST", "/api/profiles?name=x.txt",
                             gzip.compress(REPORT), {"Content-Encoding": "gzip"})
        check(s == 201 and rep["kind"] == "lines" and rep["url"] == "/m/" + rep["id"] and
              rep["attached_to"] is None and rep["lines"] == 3 and rep["peak_mib"] == 30.0,
              "a gzip line report, on its own", (s, rep))
        s, _, e = srv.json("GET", "/api/memory/%s/samples" % rep["id"])
        check(s == 404, "a line report has no samples", (s, e))
        s, _, again = srv.json("POST", "/api/profiles?attach=" + pid, REPORT)
        check(s == 200 and again["attached_to"] == pid and "delete_token" not in again,
              "the same report again, now attached: 200", (s, again))
        s, _, meta = srv.json("GET", "/api/memory/" + rep["id"])
        check(meta["attached_to"] == [pid], "the report knows its profile", meta)

        for path, status, why in (
                ("/api/memory/" + "0" * 32, 404, "an unknown id"),
                ("/api/memory/xyz", 404, "a malformed id"),
                ("/api/memory/%s/other" % rec["id"], 404, "an unknown route"),
                ("/api/memory", 404, "no id")):
            s, _, _ = srv.json("GET", path)
            check(s == status, "GET: " + why, s)
        s, _, _ = srv.json("POST", "/api/memory/" + rec["id"], b"")
        check(s == 405, "POST to a record: 405", s)
        for attach, status, why in (("0" * 32, 404, "no such profile"), ("ABC", 400, "malformed"),
                                    ("", 400, "empty")):
            s, _, _ = srv.json("POST", "/api/profiles?attach=" + attach, RECORDING + b"MEM 1 2000\n")
            check(s == status, "attach=: " + why, s)
        s, _, _ = srv.json("POST", "/api/profiles?attach=" + pid, stats)
        check(s == 400, "attach= with a stats file: 400", s)
        for data, why in ((b"MEM 1.0 abc\n", "a bad number"), (b"MEM 1.0 2.0\n\n", "a blank line"),
                          (b"MEM 1e300 1.0\n", "an absurd MiB"), (b"hello\n", "neither")):
            s, _, e = srv.json("POST", "/api/profiles", data)
            check(s == 422 and e["error"]["code"] == "not_a_profile", "422: " + why, (s, e))

        s, _, _ = srv.json("DELETE", "/api/memory/" + rec["id"])
        check(s == 403, "DELETE without a token: 403", s)
        s, _, _ = srv.json("DELETE", "/api/memory/" + rec["id"],
                           headers={"Authorization": "Bearer " + rep["delete_token"]})
        check(s == 403, "DELETE with another record's token: 403", s)
        s, _, _ = srv.json("DELETE", "/api/memory/" + rec["id"],
                           headers={"Authorization": "Bearer " + prof["delete_token"]})
        check(s == 204, "DELETE with the attached profile's token: 204", s)
        _, h2, meta = srv.json("GET", "/api/profiles/" + pid)
        check([m["id"] for m in meta["memory"]] == [rep["id"]] and h2["etag"] != h1["etag"],
              "the profile shows the rest, with a new ETag", meta["memory"])
        s, _, _ = srv.json("DELETE", "/api/profiles/" + pid,
                           headers={"Authorization": "Bearer " + prof["delete_token"]})
        s, _, _ = srv.json("GET", "/api/memory/" + rep["id"])
        check(s == 404, "deleting the profile deletes the report attached only to it", s)
    finally:
        code, log = srv.stop()
        check(code == 0, "the server stops cleanly", log[-500:])
        shutil.rmtree(tmp, ignore_errors=True)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
