#!/usr/bin/env python3
"""Abuse tests: the real binary on free loopback ports, against clients
that hold connections or send broken uploads (issue 11, items 5 and 7).

  - 1,000 slow connections (a header byte a second), then 1,000 idle ones,
    from 127.0.0.1, while 127.0.0.2 asks /healthz every 50 ms: every probe
    is answered within a second; the server holds 64 of the attacker's
    connections (--max-connections-per-ip) and closes them at the header
    deadline;
  - a connection trickling its headers from 127.0.0.3 is closed about 10 s
    after it opened (--header-timeout), the trickle notwithstanding;
  - a browser's worth of keep-alive connections from one address works;
  - --header-timeout, --max-connections-per-ip as options; the deadline
    restarts after each request on a kept-alive connection;
  - malformed multipart uploads each get a JSON error, never a bare close.

The attack here is short (about 16 s); bench/abuse runs the long one and
prints latencies.  Linux routes all of 127.0.0.0/8 to lo, so the other
addresses need no setup.

usage: check_abuse.py PSTATSVIZ
"""
import cProfile
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import Server, check, tally  # noqa: E402

PER_IP = 64           # the default --max-connections-per-ip
HEADER_TIMEOUT = 10   # the default --header-timeout, seconds
ATTACKERS = 1000      # over the 900 connections the server held before the fix


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        want = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    if soft < need:
        sys.exit("check_abuse: needs %d open files, ulimit -Hn is %d" % (need, hard))


def probe(port, source="127.0.0.2", timeout=1.0):
    """GET /healthz on a new connection from source: (ok, milliseconds)."""
    t0 = time.monotonic()
    try:
        with socket.socket() as c:
            c.settimeout(timeout)
            c.bind((source, 0))
            c.connect(("127.0.0.1", port))
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            ok = data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return ok, (time.monotonic() - t0) * 1e3


def probes(port, seconds, every=0.05):
    """Probe every `every` seconds for `seconds`: list of (ok, ms)."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(probe(port))
        time.sleep(every)
    return out


def summary(res):
    ms = sorted(m for ok, m in res if ok)
    bad = sum(1 for ok, _ in res if not ok)
    if not ms:
        return "%d probes, %d failed" % (len(res), bad)
    return "%d probes, %d failed, p50 %.1f ms, max %.1f ms" % (
        len(res), bad, ms[len(ms) // 2], ms[-1])


class Crowd:
    """n connections from 127.0.0.1.  slow: send a request line, then one
    header byte a second on each; idle: send nothing.  Nothing reconnects:
    the server's answer to each is what is counted."""

    def __init__(self, port, n, slow):
        self.socks = []
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            self.socks.append(s)
        self.slow = slow
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        started = set()  # sockets whose request line is out
        while not self.stop_flag.is_set():
            if self.slow:
                for i, s in enumerate(self.socks):
                    try:
                        s.send(b"X" if i in started else b"GET /slow HTTP/1.1\r\n")
                        started.add(i)
                    except OSError:
                        pass  # still connecting, or closed by the server
            self.stop_flag.wait(1.0)

    def held(self):
        """Connections the server still holds open (no end-of-file, no reset)."""
        n = 0
        for s in self.socks:
            try:
                if s.recv(1) == b"":
                    continue
                n += 1  # an answer: open, though it should not happen
            except BlockingIOError:
                n += 1
            except OSError:
                pass
        return n

    def close(self):
        self.stop_flag.set()
        self.thread.join(timeout=5)
        for s in self.socks:
            s.close()


class Trickle:
    """One connection from source sending a header byte every `every`
    seconds until the server closes it; closed_after is then seconds since
    connect."""

    def __init__(self, port, source, every=0.5, give_up=HEADER_TIMEOUT + 8):
        self.closed_after = None
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        self.t0 = time.monotonic()
        self.every, self.give_up = every, give_up
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        # the request line at once, then the headers a byte at a time
        self.sock.sendall(b"GET /trickle HTTP/1.1\r\n")
        payload = b"Host: x\r\nX-Slow: " + b"a" * 10000
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        i = 0
        while time.monotonic() - self.t0 < self.give_up:
            try:
                self.sock.send(payload[i:i + 1])
                i += 1
            except OSError:
                self.closed_after = time.monotonic() - self.t0
                break
            if sel.select(timeout=self.every):
                try:
                    d = self.sock.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    self.closed_after = time.monotonic() - self.t0
                    break
        sel.close()
        self.sock.close()

    def wait(self):
        self.thread.join(timeout=self.give_up + 5)
        return self.closed_after


def test_slow_and_idle_crowds(exe, tmp):
    srv = Server(exe, os.path.join(tmp, "crowd.db"))
    try:
        base = probes(srv.port, 1.0)
        check(all(ok for ok, _ in base), "baseline probes succeed", summary(base))

        # slowloris: 1,000 connections trickling headers from 127.0.0.1,
        # one more from 127.0.0.3, probes from 127.0.0.2
        crowd = Crowd(srv.port, ATTACKERS, slow=True)
        trickle = Trickle(srv.port, "127.0.0.3")
        try:
            res = probes(srv.port, 2.0)
            held = crowd.held()
            res += probes(srv.port, HEADER_TIMEOUT + 0.5)
            held_after = crowd.held()
        finally:
            closed_after = trickle.wait()
            crowd.close()
        print("     slowloris: %s; held %d, after the deadline %d" % (summary(res), held, held_after))
        check(all(ok for ok, _ in res), "probes from another address succeed within 1 s "
              "during 1000 slow connections", summary(res))
        check(held == PER_IP, "the server holds %d of one address's slow connections" % PER_IP, held)
        check(held_after == 0, "held slow connections are closed at the header deadline", held_after)
        check(closed_after is not None and HEADER_TIMEOUT - 0.5 <= closed_after <= HEADER_TIMEOUT + 3,
              "a trickle of header bytes is closed about %d s after connecting" % HEADER_TIMEOUT,
              closed_after)
        log = srv.log_text()
        check("- /slow 408" in log and "- /trickle 408" in log,
              "requests closed at the deadline are logged as 408", (len(log), log[-500:]))
        check(log.count("libmicrohttpd messages not shown") >= 1 and log.count("\n") < 2000,
              "the library's messages about 936 refused connections are cut short",
              "%d lines" % log.count("\n"))

        # 1,000 idle connections
        crowd = Crowd(srv.port, ATTACKERS, slow=False)
        try:
            res = probes(srv.port, 3.0)
            held = crowd.held()
        finally:
            crowd.close()
        print("     idle: %s; held %d" % (summary(res), held))
        check(all(ok for ok, _ in res), "probes from another address succeed within 1 s "
              "during 1000 idle connections", summary(res))
        check(held <= PER_IP, "the server holds at most %d idle connections of one address" % PER_IP,
              held)
        # The server learns of the 1,000 closes as it polls them: on a busy
        # machine that takes a moment, so the address gets a few seconds.
        deadline, served = time.monotonic() + 5, False
        while not served and time.monotonic() < deadline:
            served = probe(srv.port, source="127.0.0.1")[0]
            if not served:
                time.sleep(0.2)
        check(served, "the attacking address is served again within 5 s after")
    finally:
        srv.stop()


def read_status(f):
    """One response from a kept-alive connection's file: its status."""
    status = int(f.readline().split()[1])
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    f.read(length)
    return status


def keepalive_client(port, n, out):
    """n GETs on one kept-alive connection from 127.0.0.1; appends statuses."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            f = c.makefile("rb")
            for _ in range(n):
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                out.append(read_status(f))
    except (OSError, ValueError, IndexError) as e:
        out.append(repr(e))


def test_browser_sized_client(exe, tmp):
    srv = Server(exe, os.path.join(tmp, "browser.db"))
    try:
        # a browser opens 6 to 10 connections to one host, and the tests'
        # wrk runs 32: all well under the per-address limit
        out = []
        threads = [threading.Thread(target=keepalive_client, args=(srv.port, 20, out))
                   for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        check(out.count(200) == 32 * 20, "32 kept-alive connections from one address are served",
              [s for s in out if s != 200][:5])
    finally:
        srv.stop()


def test_options(exe, tmp):
    srv = Server(exe, os.path.join(tmp, "opts.db"), "--header-timeout", "2",
                 "--max-connections-per-ip", "4")
    try:
        t = Trickle(srv.port, "127.0.0.3", every=0.25, give_up=8)
        closed_after = t.wait()
        check(closed_after is not None and 1.5 <= closed_after <= 4,
              "--header-timeout 2 closes a trickle after about 2 s", closed_after)

        # a kept-alive connection: each request's headers get the whole
        # timeout from the end of the request before
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as c:
            f = c.makefile("rb")
            statuses = []
            try:
                for pause in (0, 1.5, 1.5):
                    time.sleep(pause)
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    statuses.append(read_status(f))
            except (OSError, ValueError, IndexError) as e:
                statuses.append(repr(e))
            check(statuses == [200] * 3,
                  "a kept-alive connection gets a new header deadline after each request",
                  statuses)

        socks = []
        for _ in range(6):
            s = socket.socket()
            s.bind(("127.0.0.4", 0))
            s.connect(("127.0.0.1", srv.port))
            s.setblocking(False)
            socks.append(s)
        time.sleep(0.5)
        held = 0
        for s in socks:
            try:
                held += s.recv(1) != b""
            except BlockingIOError:
                held += 1
            except OSError:
                pass
            s.close()
        check(held == 4, "--max-connections-per-ip 4 holds 4 of 6 connections", held)
    finally:
        srv.stop()
    for args, name in ((["--header-timeout", "0"], "--header-timeout 0"),
                       (["--max-connections", "100", "--max-connections-per-ip", "101"],
                        "a per-address limit over the total")):
        p = subprocess.run([exe, "serve", "--port", "0"] + args, capture_output=True, timeout=10)
        check(p.returncode == 2 and b"pstatsviz:" in p.stderr, name + " is a usage error", p)


# ---- multipart ---------------------------------------------------------------

B = "pvBoundary7"


def part(name, data, filename="run.prof", extra=""):
    disp = 'form-data; name="%s"' % name + ('; filename="%s"' % filename if filename else "")
    return (("--%s\r\nContent-Disposition: %s\r\n%sContent-Type: application/octet-stream\r\n\r\n"
             % (B, disp, extra)).encode() + data + b"\r\n")


END = ("--%s--\r\n" % B).encode()
CT = "multipart/form-data; boundary=" + B


def post(port, content_type, body, timeout=30, send_body=True):
    """POST /api/profiles; (status, json or None, raw).  status None: the
    connection closed without an answer."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return None, None, repr(e)
    with s:
        head = "POST /api/profiles HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n" % len(body)
        if content_type:
            head += "Content-Type: %s\r\n" % content_type
        data = b""
        try:
            s.sendall(head.encode() + b"\r\n" + (body if send_body else b""))
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except OSError as e:
            if not data:
                return None, None, repr(e)
    if not data.startswith(b"HTTP/1.1 "):
        return None, None, data[:200]
    status = int(data[9:12])
    payload = data.split(b"\r\n\r\n", 1)[1]
    try:
        return status, json.loads(payload), payload
    except ValueError:
        return status, None, payload


def sample_profile(tmp):
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    p = cProfile.Profile()
    p.enable()
    fib(10)
    p.disable()
    path = os.path.join(tmp, "fib.prof")
    p.dump_stats(path)
    with open(path, "rb") as f:
        return f.read()


def test_multipart(exe, tmp):
    prof = sample_profile(tmp)
    big = prof + b"\0" * (3 << 20)  # a 3 MiB file: errors must wait for the whole body
    cases = [
        # name, content type, body, status, code
        ("missing boundary", "multipart/form-data", part("file", prof) + END, 400, "bad_request"),
        ("empty boundary", "multipart/form-data; boundary=", part("file", prof) + END, 400, "bad_request"),
        ("boundary of another body", "multipart/form-data; boundary=other", part("file", prof) + END,
         400, "bad_request"),
        ("boundary inside the file data", CT,
         part("file", prof[:40] + ("\r\n--%sgarbage" % B).encode() + prof[40:]) + END, 400, "bad_request"),
        ("boundary inside a 3 MiB file", CT,
         part("file", big[:1 << 20] + ("\r\n--%s??" % B).encode() + big[1 << 20:]) + END,
         400, "bad_request"),
        ("a boundary line then a part without a name", CT,
         part("file", prof[:40] + ("\r\n--%s\r\nX: y\r\n\r\n" % B).encode() + prof[40:]) + END,
         400, "bad_request"),
        ("closing boundary inside the file data", CT,
         part("file", prof[:40] + ("\r\n--%s--\r\nrest" % B).encode() + prof[40:]) + END,
         400, "bad_request"),
        ("a 200 KB part header", CT, part("file", prof, extra="X-Pad: " + "a" * 200000 + "\r\n") + END,
         400, "bad_request"),
        ("no file field", CT, part("other", prof) + END, 400, "bad_request"),
        ("no Content-Disposition", CT,
         ("--%s\r\nContent-Type: application/octet-stream\r\n\r\n" % B).encode() + prof + b"\r\n" + END,
         400, "bad_request"),
        ("truncated body", CT, part("file", prof)[:-60], 400, "bad_request"),
        ("no closing boundary", CT, part("file", prof), 400, "bad_request"),
        ("part headers never end", CT,
         ('--%s\r\nContent-Disposition: form-data; name="file"\r\n' % B).encode() + prof, 400, "bad_request"),
        ("two file fields", CT, part("file", prof) + part("file", prof) + END, 400, "bad_request"),
        ("closing boundary only", CT, END, 400, "bad_request"),
        ("empty body", CT, b"", 400, "bad_request"),
        ("multipart/mixed", "multipart/mixed; boundary=" + B, part("file", prof) + END,
         415, "unsupported_media_type"),
        ("a url-encoded form", "application/x-www-form-urlencoded", b"file=abc", 415,
         "unsupported_media_type"),
        ("an empty file part", CT, part("file", b"") + END, 422, "not_a_profile"),
    ]
    db = os.path.join(tmp, "multipart.db")
    srv = Server(exe, db, "--max-upload", "4M")
    try:
        for name, ctype, body, status, code in cases:
            got, js, raw = post(srv.port, ctype, body)
            ok = got == status and js and js.get("error", {}).get("code") == code
            check(ok, "multipart: %s is %s %s" % (name, status, code), (got, raw[:300]))
            if srv.proc.poll() is not None:
                check(False, "multipart: the server survives %s" % name, srv.stop())
                srv = Server(exe, db, "--max-upload", "4M")
        # answered from Content-Length, before the body (docs/API.md)
        got, js, raw = post(srv.port, CT, part("file", b"\0" * (5 << 20)) + END, send_body=False)
        check(got == 413 and js["error"]["code"] == "too_large",
              "multipart: a file over --max-upload is 413 too_large", (got, raw[:300]))
        # the good ones still work, with a preamble or a quoted boundary
        for name, ctype, body in (
                ("plain", CT, part("other", b"x") + part("file", prof) + END),
                ("quoted boundary", 'multipart/form-data; boundary="%s"' % B, part("file", prof) + END),
                ("preamble", CT, b"ignored preamble\r\n" + part("file", prof) + END)):
            got, js, raw = post(srv.port, ctype, body)
            check(got in (200, 201) and js and js.get("name") == "run.prof",
                  "multipart: %s upload is stored" % name, (got, raw[:300]))
        check(probe(srv.port)[0], "still serving after the malformed uploads")
        code, log = srv.stop()
        check(code == 0, "the server stops cleanly after the malformed uploads", (code, log[-1000:]))
        check(" 0 0 " not in log and "(aborted)" not in log,
              "no upload is logged with status 0 or aborted", log[-2000:])
    finally:
        srv.stop()


def main():
    exe = os.path.abspath(sys.argv[1])
    raise_fd_limit(ATTACKERS + 200)
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_multipart, test_options, test_browser_sized_client,
                     test_slow_and_idle_crowds):
            try:
                test(exe, tmp)
            except Exception as e:  # one broken test must not hide the others
                check(False, "%s ran to the end" % test.__name__, repr(e))
    return tally()


if __name__ == "__main__":
    sys.exit(main())
