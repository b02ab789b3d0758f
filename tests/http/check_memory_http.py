#!/usr/bin/env python3
"""check_memory_http.py - the memory data routes' statuses on hand-made
files (no memory_profiler needed): attach=, DELETE with each kind of
token, 400/404/405/422, the /samples parameters, multipart and gzip
uploads, and the ETags of a profile's answers as memory data comes and
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
                                   "children": [[1000.0, 3.0, 3.0], [1000.1, 4.5, 4.5]]},
              "two buckets of main and children", smp)
        s, _, smp = srv.json("GET", "/api/memory/%s/samples?width=1&t0=1000.1&t1=1000.1"
                             % rec["id"])
        check(s == 200 and smp["main"] == [[1000.1, 20.25, 20.25]] and smp["children"] == [None],
              "a window of one instant", smp)
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
