#!/usr/bin/env python3
"""The store, through the real binary: import, re-import (same id, no
duplicate), a failed import leaves the database unchanged, a kill -9 in the
middle of an import leaves a database that opens and holds no part of it,
the same file gets the same id and fids in two databases, and an import
beside a running server is stored and served.

usage: check_store.py PSTATSVIZ CORPUS      (CORPUS: the test inputs meson
                                            assembles, tests/corpus/inputs.py)
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import Server, check, tally  # noqa: E402
import inputs  # noqa: E402  (the oracle's counts)

GENERATOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gen",
                         "synthetic.py")


def run(exe, *args, env=None):
    return subprocess.run([exe] + list(args), capture_output=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def dump(db):
    con = sqlite3.connect(db)
    rows = list(con.iterdump())
    con.close()
    return rows


def counts(db):
    con = sqlite3.connect(db)
    out = {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
           for t in ("profiles", "functions", "strings")}
    out["models"] = con.execute("SELECT count(DISTINCT profile) FROM model_parts").fetchone()[0]
    out["integrity"] = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    return out


def main():
    exe, corpus = sys.argv[1], sys.argv[2]
    rasa = os.path.join(corpus, "rasa", "rasa_maxsize1000.prof")
    rasa5 = os.path.join(corpus, "rasa", "rasa_maxsize5000.prof")
    synth = os.path.join(corpus, "synthetic", "synthetic_10000.prof")
    bad = os.path.join(corpus, "malformed", "truncated_at_278.prof")
    # what pstats reads from them, through the oracle
    want = {rel: inputs.oracle(corpus, rel, "check") for rel in (
        "rasa/rasa_maxsize1000.prof", "rasa/rasa_maxsize5000.prof", "synthetic/synthetic_10000.prof")}
    n_rasa = want["rasa/rasa_maxsize1000.prof"]["functions"]
    e_rasa = want["rasa/rasa_maxsize1000.prof"]["edges"]
    n_rasa5 = want["rasa/rasa_maxsize5000.prof"]["functions"]
    synth_counts = [str(want["synthetic/synthetic_10000.prof"][k]).encode() for k in ("functions", "edges")]
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")

        p = run(exe, "import", rasa, "--db", db)
        check(p.returncode == 0, "import_prints_a_line", p.stderr)
        first = p.stdout.decode().split()
        check(len(first) == 4 and len(first[0]) == 32 and
              first[1:] == ["rasa_maxsize1000.prof", str(n_rasa), str(e_rasa)],
              "import_line_is_id_name_functions_edges", (first, n_rasa, e_rasa))
        c1 = counts(db)
        check(c1["profiles"] == 1 and c1["functions"] == n_rasa and c1["models"] == 1,
              "import_stores_one_profile", c1)

        p = run(exe, "import", rasa, "--db", db)
        check(p.stdout.decode().split() == first, "reimport_gives_the_same_id", p.stdout)
        check(counts(db) == c1, "reimport_adds_nothing", counts(db))

        before = dump(db)
        p = run(exe, "import", bad, "--db", db)
        err = p.stderr.decode()
        check(p.returncode != 0 and err.count("\n") == 1 and "offset" in err,
              "bad_file_is_one_line_error_with_offset", err)
        check(dump(db) == before, "failed_parse_leaves_database_unchanged")

        p = run(exe, "import", rasa5, "--db", db, env={"PSTATSVIZ_TEST_IMPORT_FAULT": "fail"})
        check(p.returncode != 0 and "on purpose" in p.stderr.decode(),
              "fault_inside_the_transaction_fails_the_import", p.stderr)
        check(dump(db) == before, "failed_transaction_leaves_database_unchanged")

        # kill -9 while the import sits inside its transaction: a file large
        # enough (over 4 MiB) that the import writes the database file
        # directly, under a rollback journal, which the next open rolls back
        large = os.path.join(tmp, "large.prof")
        subprocess.run([sys.executable, GENERATOR, "18000", "--seed", "3", "-o", large],
                       check=True, stdout=subprocess.DEVNULL)
        proc = subprocess.Popen([exe, "import", large, "--db", db],
                                env=dict(os.environ, PSTATSVIZ_TEST_IMPORT_FAULT="sleep:5000"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Parsing 18k functions takes ~100 ms, seconds under ASan on a busy
        # machine: wait until the import's journal shows and the import
        # holds the write lock (it then sleeps 5 s inside its transaction),
        # at most 8 s.  No connection is opened before the journal shows:
        # beside one, the import would stay in WAL mode.  The journal also
        # shows for a moment while the import leaves WAL mode (the file's
        # header is rewritten), so it alone does not say the import's
        # transaction has begun.
        journal, locked, deadline = False, False, time.monotonic() + 8
        while not locked and time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(db + "-journal"):
                journal = True
                probe = sqlite3.connect(db, timeout=0)
                try:
                    probe.execute("BEGIN IMMEDIATE")
                    probe.execute("ROLLBACK")
                except sqlite3.OperationalError:
                    locked = True  # the import holds the write lock: mid-transaction
                probe.close()
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check(locked, "kill_landed_inside_the_transaction")
        check(journal, "a_large_import_alone_writes_under_a_rollback_journal")
        p = run(exe, "import", rasa5, "--db", db)
        check(p.returncode == 0, "database_opens_after_kill_9", p.stderr)
        c2 = counts(db)
        check(c2["integrity"] == "ok" and c2["profiles"] == 2 and
              c2["functions"] == n_rasa + n_rasa5 and c2["models"] == 2,
              "killed_import_left_nothing_behind", c2)
        p = run(exe, "import", large, "--db", db)
        check(p.returncode == 0 and p.stdout.split()[2:] == [b"18000", b"123815"],
              "killed_file_imports_cleanly_afterwards", p.stdout + p.stderr)
        mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
        check(mode == "wal" and not os.path.exists(db + "-journal"),
              "and_leaves_the_file_in_wal_mode", mode)

        # by id: the same export as from the file, in a second database too
        rid = first[0]
        from_file = json.loads(run(exe, "export", rasa).stdout)
        from_db = json.loads(run(exe, "export", rid, "--db", db).stdout)
        check(from_file == from_db, "export_by_id_equals_export_of_the_file")
        db2 = os.path.join(tmp, "other.db")
        p = run(exe, "import", rasa, "--db", db2)
        check(p.stdout.decode().split()[0] == rid, "same_file_same_id_in_another_database")
        con1, con2 = sqlite3.connect(db), sqlite3.connect(db2)
        q = "SELECT fid, file, line, name FROM function_rows WHERE profile = ? ORDER BY fid"
        check(con1.execute(q, (rid,)).fetchall() == con2.execute(q, (rid,)).fetchall(),
              "same_file_same_fids_in_another_database")
        p = run(exe, "top", rid, "--db", db, "-n", "3")
        check(p.returncode == 0 and b"problem_function" in p.stdout, "top_by_id", p.stdout[:300])
        p = run(exe, "top", "0" * 32, "--db", db)
        check(p.returncode != 0 and b"no profile with id" in p.stderr, "unknown_id_is_an_error",
              p.stderr)

        # Beside a server that has the file open, a large import goes
        # through the WAL (SQLite cannot leave WAL mode), and the server
        # reads it at once.
        srv = Server(exe, db2)
        try:
            p = run(exe, "import", large, "--db", db2)
            sid = p.stdout.decode().split()[0] if p.returncode == 0 else "-"
            status, _, meta = srv.json("GET", "/api/profiles/%s" % sid)
            check(p.returncode == 0 and status == 200,
                  "an_import_beside_a_server_is_stored_and_served",
                  (p.returncode, p.stderr, status))
        finally:
            srv.stop()

        # a newer schema is refused, not misread
        con = sqlite3.connect(db2)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        p = run(exe, "import", rasa5, "--db", db2)
        check(p.returncode != 0 and b"schema version 99" in p.stderr, "newer_schema_is_refused",
              p.stderr)
        notdb = os.path.join(tmp, "not.db")
        with open(notdb, "wb") as f:
            f.write(b"hello, not a database" * 100)
        p = run(exe, "import", rasa5, "--db", notdb)
        check(p.returncode != 0 and p.stderr.count(b"\n") == 1, "not_a_database_is_one_line",
              p.stderr)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
