"""harness.py - what the Python test scripts share: check() and its tally,
a free loopback port, and a running `pstatsviz serve` to talk to.

The scripts sit in folders below tests/ and import this file by their own
path, so they run the same from any folder, a clean build folder included:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from harness import Server, check, tally
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

passed = failed = 0


def check(cond, name, detail=""):
    """Tally one check and print it: 'ok   NAME', or 'FAIL NAME detail'."""
    global passed, failed
    if cond:
        passed += 1
        print("ok  ", name)
    else:
        failed += 1
        print("FAIL", name, str(detail)[:2000])
    sys.stdout.flush()


def tally():
    """Print the tally; return the script's exit status (1 if a check failed)."""
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(srv):
    """Whether the server answers GET /healthz with 200."""
    try:
        return srv.request("GET", "/healthz", timeout=10)[0] == 200
    except OSError:
        return False


class Server:
    """`pstatsviz serve` on a free port of 127.0.0.1 with database db, the
    extra arguments and environment variables added; its log (stderr) goes
    to db + ".log".  Ready once ready(self) is true (GET /healthz answers
    200); RuntimeError, with the log, if it is not within start_s."""

    def __init__(self, exe, db, *extra, env=None, ready=healthy, start_s=20):
        self.port = free_port()
        # Read through another handle, which leaves the server's offset
        # alone (a shared one would let it write over the log).
        self.log_path = db + ".log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [exe, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", db] +
                list(extra),
                stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, **(env or {})))
        deadline = time.monotonic() + start_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            if ready(self):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not start: %s" % self.log_text()[-2000:])

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers with lower-case names, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers, the body parsed, or None if it is no JSON)."""
        status, hdrs, data = self.request(method, path, body, headers, timeout)
        try:
            return status, hdrs, json.loads(data) if data else None
        except ValueError:
            return status, hdrs, None

    def upload(self, data):
        """POST a stats file; its id.  RuntimeError if it is not stored."""
        status, _, body = self.json("POST", "/api/profiles", data)
        if status not in (200, 201):
            raise RuntimeError("upload failed: %s %s" % (status, body))
        return body["id"]

    def rss_mb(self):
        """The server's resident memory now, in MiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, timeout=60):
        """SIGTERM, then wait: (exit status, or "hung" if it had to be
        killed; the log)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = "hung"
        return code, self.log_text()
