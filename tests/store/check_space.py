#!/usr/bin/env python3
"""Space given back, through the real binary: deletes shrink the database
file (incremental auto-vacuum), checkpoints keep the WAL bounded, a full
disk is a clean JSON error that loses nothing, and a database made before
all this is converted once by `pstatsviz vacuum`.

A full disk is made without root: the server's RLIMIT_FSIZE is lowered
under it (prlimit), so every write past 64 KiB into any file fails with
EFBIG, as writes on a full disk fail with ENOSPC.

usage: check_space.py PSTATSVIZ
"""
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dag_profile  # noqa: E402
from harness import Server, check, tally  # noqa: E402

# include/store.h: PV_STORE_WAL_CHECKPOINT_BYTES
WAL_CHECKPOINT_BYTES = 4 << 20
PAGE = 65536


def variants(n, count):
    """count distinct profiles of n functions: one generated file, and
    copies whose file names differ in two bytes (same length)."""
    base = dag_profile.profile_bytes(n, 10)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    return [base.replace(b"/srv/app10/", b"/srv/app" + letters[k // 26:k // 26 + 1] +
                         letters[k % 26:k % 26 + 1] + b"/") for k in range(count)]


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def run(exe, *args, **kw):
    return subprocess.run([exe] + list(args), capture_output=True, timeout=300, **kw)


def pragma(db, name):
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA " + name).fetchone()[0]
    finally:
        con.close()


def test_cycles(exe, tmp):
    """20 cycles of: upload 4 profiles, delete them (another order).  The
    file goes back to its size with the one profile kept, every cycle; the
    WAL never holds more than the checkpoint threshold plus one write."""
    sizes = [2000, 4000, 6000, 8000]
    cycles = 20
    bodies = {n: variants(n, cycles) for n in sizes}
    # The largest single write here: storing (or vacuuming away) the 8k
    # profile.  Its pages, measured as what it adds to a database alone.
    one = os.path.join(tmp, "one.db")
    with open(os.path.join(tmp, "one.prof"), "wb") as f:
        f.write(bodies[8000][0])
    run(exe, "import", os.path.join(tmp, "one.prof"), "--db", one)
    empty = os.path.join(tmp, "empty.db")
    run(exe, "import", "/dev/null", "--db", empty)  # fails, but leaves the schema
    largest_write = size(one) - size(empty)

    db = os.path.join(tmp, "cycles.db")
    srv = Server(exe, db)
    stop = threading.Event()
    peak = {"wal": 0}

    def sample():
        while not stop.is_set():
            peak["wal"] = max(peak["wal"], size(db + "-wal"))
            time.sleep(0.005)
    sampler = threading.Thread(target=sample)
    sampler.start()
    after, problems = [], []
    try:
        status, _, kept = srv.json("POST", "/api/profiles", dag_profile.profile_bytes(3000, 99))
        _, _, kept_export = srv.request("GET", "/api/profiles/%s/export" % kept["id"])
        # the database's own size (its file lags until a checkpoint)
        with_kept = pragma(db, "page_count") * PAGE
        for c in range(cycles):
            up = []
            for n in sizes:
                status, _, body = srv.json("POST", "/api/profiles", bodies[n][c])
                if status != 201:
                    problems.append(("upload", c, n, status, body))
                else:
                    up.append(body)
            order = up[c % 2::2] + up[1 - c % 2::2]  # the middle ones first
            for body in order:
                status, _, _ = srv.json("DELETE", "/api/profiles/" + body["id"],
                                        headers={"Authorization": "Bearer " + body["delete_token"]})
                if status != 204:
                    problems.append(("delete", c, status))
            after.append(size(db))
        stop.set()
        sampler.join()
        check(not problems, "20 cycles: every upload 201, every delete 204", problems[:5])
        # The file holds the kept profile again after each cycle; a page
        # or two of b-tree and pointer-map pages may stay.
        check(max(after) <= with_kept + 2 * PAGE,
              "each cycle's deletes give the space back: %.2f MB with the kept profile, "
              "%.2f MB at most after a cycle" % (with_kept / 2**20, max(after) / 2**20), after)
        check(abs(after[-1] - after[1]) <= 2 * PAGE,
              "the file stops growing: %.2f MB after cycle 2, %.2f MB after cycle 20" %
              (after[1] / 2**20, after[-1] / 2**20))
        # A write starts with less than the threshold in the WAL (the one
        # before checkpointed otherwise, and every delete checkpoints), and
        # adds its pages: an import, the profile's; a delete, a few pages
        # of its own, then the vacuum's, at most the pages it freed.  So:
        # the threshold, the largest profile, and 16 pages for the rest
        # (b-tree, freelist and pointer-map pages, page 1, frame headers).
        bound = WAL_CHECKPOINT_BYTES + largest_write + 16 * PAGE
        check(0 < peak["wal"] <= bound,
              "the WAL stays bounded: %.2f MB at most, bound %.2f MB (4 MiB + the largest "
              "profile, %.2f MB, + 16 pages)" % (peak["wal"] / 2**20, bound / 2**20,
                                                 largest_write / 2**20))
        check(size(db + "-wal") <= WAL_CHECKPOINT_BYTES,
              "at rest the WAL is under the checkpoint threshold (%.2f MB)" %
              (size(db + "-wal") / 2**20))
        status, _, export = srv.request("GET", "/api/profiles/%s/export" % kept["id"])
        check(status == 200 and export == kept_export, "the kept profile reads as before")
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.join()
        code, _ = srv.stop()
    check(code == 0 and pragma(db, "integrity_check") == "ok" and
          pragma(db, "freelist_count") == 0, "integrity ok, no free pages left in the file")


def answer(srv, method, path, body=None, headers=None):
    """srv.json, or (None, {}, why) when the server did not answer."""
    try:
        return srv.json(method, path, body, headers)
    except OSError as e:
        return None, {}, "no answer: %r (server exit status %r)" % (e, srv.proc.poll())


def set_file_limit(pid, limit):
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def test_full_disk(exe, tmp):
    db = os.path.join(tmp, "full.db")
    srv = Server(exe, db)
    try:
        stored = []
        for k, body in enumerate(variants(5000, 3)):
            status, _, doc = srv.json("POST", "/api/profiles", body)
            stored.append(doc)
        exports = [srv.request("GET", "/api/profiles/%s/export" % d["id"])[2] for d in stored]
        set_file_limit(srv.proc.pid, 64 << 10)  # no file may grow past 64 KiB now
        status, _, body = answer(srv, "POST", "/api/profiles", dag_profile.profile_bytes(4000, 5))
        check(status == 507 and body["error"]["code"] == "insufficient_storage" and
              "disk is full" in body["error"]["message"],
              "an upload on a full disk: 507 with a JSON error", (status, body))
        victim = stored[1]
        auth = {"Authorization": "Bearer " + victim["delete_token"]}
        status, _, body = answer(srv, "DELETE", "/api/profiles/" + victim["id"], headers=auth)
        check(status == 507 and body["error"]["code"] == "insufficient_storage",
              "a delete on a full disk: 507 with a JSON error", (status, body))
        up = answer(srv, "GET", "/healthz")[0] == 200
        check(up, "the server is up on a full disk")
        if not up:
            return
        again = [srv.request("GET", "/api/profiles/%s/export" % d["id"])[2] for d in stored]
        check(again == exports, "nothing lost: every profile reads as before, the one whose "
              "delete failed too")
        status, _, tree = srv.json("GET", "/api/profiles/%s/tree?depth=3" % victim["id"])
        check(status == 200 and tree["root"], "its tree, too", status)

        set_file_limit(srv.proc.pid, resource.RLIM_INFINITY)  # space again
        status, _, _ = srv.json("DELETE", "/api/profiles/" + victim["id"], headers=auth)
        check(status == 204, "with space again the same delete works", status)
        check(srv.json("GET", "/api/profiles/" + victim["id"])[0] == 404, "and it is gone")
        status, _, body = srv.json("POST", "/api/profiles", dag_profile.profile_bytes(4000, 5))
        check(status == 201, "and an upload works", (status, body))
        for d, e in zip(stored, exports):
            if d is not victim:
                check(srv.request("GET", "/api/profiles/%s/export" % d["id"])[2] == e,
                      "later reads are fine: %s" % d["id"][:8])
    finally:
        code, _ = srv.stop()
    check(code == 0, "the server stops cleanly after the full disk", code)
    check(pragma(db, "integrity_check") == "ok", "integrity ok after the full disk")

    # The CLI: one line, nothing written.
    with open(os.path.join(tmp, "cli.prof"), "wb") as f:
        f.write(dag_profile.profile_bytes(4000, 6))
    before = size(db)
    p = run(exe, "import", os.path.join(tmp, "cli.prof"), "--db", db,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, resource.RLIM_INFINITY)))
    err = p.stderr.decode()
    check(p.returncode == 1 and err.count("\n") == 1 and "disk is full" in err,
          "pstatsviz import on a full disk: one line, exit 1", (p.returncode, err))
    check(size(db) == before and pragma(db, "integrity_check") == "ok" and
          sqlite3.connect(db).execute("SELECT count(*) FROM profiles").fetchone()[0] == 3,
          "and nothing written")


def test_old_database(exe, tmp):
    """A database as the version before made them: auto_vacuum NONE."""
    db = os.path.join(tmp, "old.db")
    con = sqlite3.connect(db)
    con.execute("PRAGMA page_size=65536")
    con.execute("PRAGMA journal_mode=WAL")  # writes the first page: the mode is fixed now
    con.close()
    paths = []
    for k, body in enumerate(variants(6000, 3)):
        paths.append(os.path.join(tmp, "old%d.prof" % k))
        with open(paths[-1], "wb") as f:
            f.write(body)
    p = run(exe, "import", *paths, "--db", db)
    ids = [line.split()[0] for line in p.stdout.decode().splitlines()]
    check(p.returncode == 0 and len(ids) == 3 and pragma(db, "auto_vacuum") == 0,
          "an old database stays as it is on open (auto_vacuum NONE)", p.stderr)
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("DELETE FROM profiles WHERE id IN (?, ?)", ids[:2])
    con.commit()
    con.close()
    free, full = pragma(db, "freelist_count"), size(db)
    keep = run(exe, "export", ids[2], "--db", db).stdout

    srv = Server(exe, db)
    code, log = srv.stop()
    check(code == 0 and "pstatsviz vacuum --db %s" % db in log,
          "serve says how to convert it", log[:500])

    p = run(exe, "vacuum", "--db", db)
    check(p.returncode == 0 and b"give space back: yes" in p.stdout, "pstatsviz vacuum",
          p.stdout + p.stderr)
    check(pragma(db, "auto_vacuum") == 2 and pragma(db, "freelist_count") == 0 and
          size(db) <= full - (free - 2) * PAGE and size(db + "-wal") == 0,
          "it converts the database and gives the %d free pages back (%.1f MB -> %.1f MB)" %
          (free, full / 2**20, size(db) / 2**20))
    check(run(exe, "export", ids[2], "--db", db).stdout == keep and
          pragma(db, "integrity_check") == "ok", "the profile kept reads as before")
    srv = Server(exe, db)
    srv.stop()
    check("pstatsviz vacuum" not in srv.log_text(), "and serve says nothing any more")


def main():
    exe = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        test_cycles(exe, tmp)
        test_full_disk(exe, tmp)
        test_old_database(exe, tmp)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
