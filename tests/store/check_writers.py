#!/usr/bin/env python3
"""Many writers at once, through the real server: uploads are parsed in
parallel but written one at a time, behind bounded queues.  Every upload is
either stored (201, then readable) or answered 503 with Retry-After and a
JSON error, never 500; /healthz answers all along; a delete does not wait
long for its turn; a kill -9 with writes queued leaves a sound database.

Each write is made slow on purpose (PSTATSVIZ_TEST_IMPORT_FAULT=sleep:MS,
inside the transaction), as on a slow disk: 30 writes of 400 ms are 12 s in
all, more than SQLite's 10 s lock timeout, which is what made uploads fail
with 500 before they were queued.

usage: check_writers.py PSTATSVIZ
"""
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dag_profile  # noqa: E402
from harness import Server, check, tally  # noqa: E402


def variants(sizes, per_size):
    """Distinct large profiles, cheaply: one generated file per size, and
    copies whose file names differ in one byte ("/srv/app1/" -> "/srv/appA/",
    the same length, so the marshal stream stays valid)."""
    out = []
    for n in sizes:
        base = dag_profile.profile_bytes(n, 1)
        for k in range(per_size):
            tag = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[k:k + 1]
            out.append((n, base.replace(b"/srv/app1/", b"/srv/app" + tag + b"/")))
    return out


class Healthz(threading.Thread):
    """Probes /healthz every 100 ms until stopped."""

    def __init__(self, srv):
        super().__init__()
        self.srv, self.stopped, self.probes = srv, threading.Event(), []

    def run(self):
        while not self.stopped.is_set():
            t0 = time.monotonic()
            try:
                ok = self.srv.request("GET", "/healthz", timeout=10)[0] == 200
            except OSError:
                ok = False
            self.probes.append((ok, time.monotonic() - t0))
            self.stopped.wait(0.1)

    def finish(self):
        self.stopped.set()
        self.join()
        return self.probes


def is_busy_answer(status, hdrs, body):
    retry = hdrs.get("retry-after", "")
    return (status == 503 and retry.isdigit() and 1 <= int(retry) <= 60 and
            isinstance(body, dict) and body.get("error", {}).get("code") == "busy" and
            body["error"].get("message"))


def upload_until_stored(srv, body, seen, deadline):
    """POST until 201/200, honouring Retry-After; every answer goes to seen."""
    while time.monotonic() < deadline:
        status, hdrs, doc = srv.json("POST", "/api/profiles", body,
                                     {"Content-Type": "application/octet-stream"})
        seen.append((status, hdrs.get("retry-after"), doc))
        if status != 503 or not is_busy_answer(status, hdrs, doc):
            return status, doc
        time.sleep(min(int(hdrs["retry-after"]), 5))
    return None, None


def test_thirty_uploads(exe, tmp):
    profiles = variants([20000, 30000, 40000], 10)
    srv = Server(exe, os.path.join(tmp, "thirty.db"), env={"PSTATSVIZ_TEST_IMPORT_FAULT": "sleep:400"})
    probe = Healthz(srv)
    probe.start()
    seen, stored = [], [None] * len(profiles)
    deadline = time.monotonic() + 240

    def one(k):
        try:
            stored[k] = upload_until_stored(srv, profiles[k][1], seen, deadline)
        except OSError as e:
            seen.append(("error", None, str(e)))

    try:
        threads = [threading.Thread(target=one, args=(k,)) for k in range(len(profiles))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        probes = probe.finish()
        statuses = sorted({s for s, _, _ in seen}, key=str)
        check(all(s in (201, 503) for s, _, _ in seen), "30 concurrent uploads: only 201 or 503, "
              "never 500 (answers seen: %s)" % statuses,
              [x for x in seen if x[0] not in (201, 503)][:3])
        busy = [x for x in seen if x[0] == 503]
        check(busy and all(r and r.isdigit() and doc["error"]["code"] == "busy" for _, r, doc in busy),
              "the bounds were reached (%d answers 503), each with Retry-After and a JSON error" %
              len(busy), busy[:3])
        check(all(s == 201 for s, _ in stored), "every upload was stored in the end, retrying "
              "after Retry-After", [s for s, _ in stored])
        ok = [ok for ok, _ in probes]
        slowest = max((secs for _, secs in probes), default=0)
        check(len(ok) >= 10 and all(ok) and slowest < 2.0,
              "/healthz answered all along (%d probes, slowest %.0f ms)" % (len(ok), slowest * 1000))
        readable = 0
        for (n, _), (status, doc) in zip(profiles, stored):
            if status != 201:
                continue
            s1, _, meta = srv.json("GET", "/api/profiles/" + doc["id"])
            s2, _, tree = srv.json("GET", "/api/profiles/%s/tree?depth=2" % doc["id"])
            readable += bool(s1 == 200 and meta["functions"] == n and s2 == 200 and tree["root"])
        check(readable == len(profiles), "each stored upload reads back (%d of %d)" %
              (readable, len(profiles)))
        check(len({doc["id"] for s, doc in stored if s == 201}) == len(profiles),
              "30 distinct ids")
    finally:
        code, log = srv.stop()
    check(code == 0 and "internal error" not in log, "the server stopped cleanly, no internal "
          "error logged", (code, log.splitlines()[-40:] if code != 0 else
                            [line for line in log.splitlines() if "internal" in line][:3]))
    con = sqlite3.connect(os.path.join(tmp, "thirty.db"))
    counts = [con.execute(q).fetchone()[0] for q in (
        "SELECT count(*) FROM profiles", "SELECT count(DISTINCT profile) FROM model_parts")]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    check(counts == [30, 30] and integrity == "ok", "30 profiles, 30 models, integrity ok",
          (counts, integrity))


def write_locked(db):
    """Whether a connection holds the database's write lock (a write of the
    server is inside its transaction)."""
    probe = sqlite3.connect(db, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def wait_until(cond, secs):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_queue_bounds(exe, tmp):
    """The write queue's bound, the parse bound, and a delete's wait, each
    answered 503 with its own message."""
    profiles = variants([20000], 8)
    db = os.path.join(tmp, "bounds.db")
    srv = Server(exe, db)
    try:
        status, _, first = srv.json("POST", "/api/profiles", dag_profile.profile_bytes(500, 7))
        check(status == 201, "a small upload first", (status, first))
        auth = {"Authorization": "Bearer " + first["delete_token"]}
    finally:
        srv.stop()
    srv = Server(exe, db, "--max-parsing", "8", "--write-queue", "1",
                 env={"PSTATSVIZ_TEST_IMPORT_FAULT": "sleep:2500"})
    try:
        big = threading.Thread(target=srv.json, args=("POST", "/api/profiles", profiles[7][1]))
        big.start()
        locked = wait_until(lambda: write_locked(db), 30)
        t0 = time.monotonic()
        status, hdrs, body = srv.json("DELETE", "/api/profiles/" + first["id"], headers=auth)
        waited = time.monotonic() - t0
        big.join()
        check(locked and is_busy_answer(status, hdrs, body) and 1.5 < waited < 4 and
              "did not move" in body["error"]["message"],
              "a delete behind a 2.5 s write gives up after its 2 s wait: 503 (%.1f s)" % waited,
              (locked, status, hdrs.get("retry-after"), body))
        check(srv.json("GET", "/api/profiles/" + first["id"])[0] == 200,
              "the refused delete deleted nothing")

        answers = [None] * 6

        def one(k):
            answers[k] = srv.json("POST", "/api/profiles", profiles[k][1])
        threads = [threading.Thread(target=one, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        full = [a for a in answers if a[0] == 503]
        check(answers.count(None) == 0 and all(a[0] in (201, 503) for a in answers) and
              any(is_busy_answer(*a) and "waiting to be written" in a[2]["error"]["message"]
                  for a in full),
              "--write-queue 1: uploads past the one queued are answered 503",
              [(a[0], a[2]) for a in answers if a][:6])
        status, _, _ = srv.json("DELETE", "/api/profiles/" + first["id"], headers=auth)
        check(status == 204, "the same delete, once the queue is empty", status)
    finally:
        srv.stop()

    srv = Server(exe, db, "--max-parsing", "1", "--write-queue", "16")
    try:
        answers = [None] * 8

        def one(k):
            answers[k] = srv.json("POST", "/api/profiles", profiles[k][1])
        threads = [threading.Thread(target=one, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(all(a and a[0] in (200, 201, 503) for a in answers) and
              any(is_busy_answer(*a) and "being read" in a[2]["error"]["message"] for a in answers),
              "--max-parsing 1: uploads past the one being read are answered 503",
              [(a[0], a[2]) for a in answers if a])
    finally:
        srv.stop()


def test_kill_with_writes_queued(exe, tmp):
    profiles = variants([20000], 5)
    db = os.path.join(tmp, "killed.db")
    srv = Server(exe, db, "--max-parsing", "8",
                 env={"PSTATSVIZ_TEST_IMPORT_FAULT": "sleep:1000"})

    def post(body):
        try:
            srv.request("POST", "/api/profiles", body)
        except OSError:
            pass  # killed under it: the point
    threads = [threading.Thread(target=post, args=(b,)) for _, b in profiles]
    for t in threads:
        t.start()
    # kill once the first upload is answered: the next is inside its
    # transaction then, and the others are queued behind it
    answered = wait_until(lambda: "POST /api/profiles 201" in srv.log_text(), 60)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    for t in threads:
        t.join(timeout=10)
    con = sqlite3.connect(db)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    rows = con.execute("SELECT p.functions, (SELECT count(*) FROM functions f WHERE f.profile = p.pk),"
                       " (SELECT count(*) FROM model_parts m WHERE m.profile = p.pk AND m.part = 0) FROM profiles p").fetchall()
    con.close()
    check(answered and integrity == "ok" and 1 <= len(rows) < len(profiles) and
          all(n == f and m == 1 for n, f, m in rows),
          "kill -9 with writes queued: integrity ok, only whole profiles (%d of %d stored)" %
          (len(rows), len(profiles)), (answered, integrity, rows))
    srv = Server(exe, db)
    try:
        statuses = [srv.json("POST", "/api/profiles", b)[0] for _, b in profiles]
        check(statuses.count(200) == len(rows) and statuses.count(201) == len(profiles) - len(rows),
              "after the restart each upload is stored once: before the kill (200) or now (201)",
              statuses)
    finally:
        srv.stop()


def test_stop_with_upload_under_way(exe, tmp):
    """SIGTERM while an upload is being written: that upload is finished
    and answered, and a new upload on a connection kept alive from before
    is refused with 503 rather than started.  MHD aborts when it stops with
    a connection suspended, and the server used to let such an upload
    suspend its connection after it had checked there was none."""
    import http.client
    profiles = variants([20000], 2)
    db = os.path.join(tmp, "stop.db")
    srv = Server(exe, db, env={"PSTATSVIZ_TEST_IMPORT_FAULT": "sleep:1500"})
    kept = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    kept.request("GET", "/healthz")
    kept.getresponse().read()
    first = []
    worker = threading.Thread(target=lambda: first.append(srv.json(
        "POST", "/api/profiles", profiles[0][1], {"Content-Type": "application/octet-stream"})))
    try:
        worker.start()
        check(wait_until(lambda: write_locked(db), 30), "the first upload is being written")
        srv.proc.send_signal(signal.SIGTERM)
        check(wait_until(lambda: "stopping" in srv.log_text(), 10), "the server took the SIGTERM")
        kept.request("POST", "/api/profiles", profiles[1][1],
                     {"Content-Type": "application/octet-stream"})
        r = kept.getresponse()
        body = r.read()
        check(r.status == 503 and b"stopping" in body and r.getheader("Retry-After"),
              "an upload sent after SIGTERM on a kept-alive connection: 503, the server is "
              "stopping", (r.status, body[:200]))
        worker.join(60)
        check(first and first[0][0] == 201, "the upload under way was stored and answered 201",
              first[:1] and first[0][:1])
    finally:
        kept.close()
        worker.join(60)
        code, log = srv.stop()
    check(code == 0 and "internal error" not in log, "the server stopped cleanly",
          (code, log.splitlines()[-20:]))
    con = sqlite3.connect(db)
    count = con.execute("SELECT count(*) FROM profiles").fetchone()[0]
    con.close()
    check(count == 1, "one profile stored: the one under way", count)


def main():
    exe = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_thirty_uploads, test_queue_bounds, test_kill_with_writes_queued,
                     test_stop_with_upload_under_way):
            t0 = time.monotonic()
            test(exe, tmp)
            print("(%s: %.1f s)" % (test.__name__, time.monotonic() - t0))
    return tally()


if __name__ == "__main__":
    sys.exit(main())
