#!/usr/bin/env python3
"""How `pstatsviz FILE` and `pstatsviz serve` start: the browser they open
(issue 14, point 16) and a port that is taken (point 17).

Browser: a fake `xdg-open` first on PATH writes its argument to a file.
`--open` calls it with the profile's link; `--no-browser`, a session over
SSH, no DISPLAY, a container (`container=podman`) and `serve` without
--open do not.  That a desktop opens it by default is tested on the
decision itself (tests/unit/test_browser.c): this machine may be a
container, which rightly keeps the browser closed.

Kept models: `pstatsviz FILE...` hands the models it has just parsed, of
the first two profiles, to the server's cache, so their first view skips
loading them back from the database.  /healthz shows the cache's entries;
the first tree answered from a kept model equals the one a second start
(the profile stored already: nothing kept) loads from the database.

Checkpoints: alone on its database, `pstatsviz FILE` writes a large
file's import (5.4 MB, generated) straight into the database file: the WAL
is empty while it serves.  A small file's import (the sample), or a large
one's beside a server that has the database open, it leaves in the WAL
(synced) for the servers to copy in: the WAL holds it while they serve.
Servers killed with SIGKILL lose nothing (the next open reads the WAL);
stopped with SIGTERM, they copy it in and remove the WAL.  Either way
`pstatsviz top` finds the profile afterwards.

Port: a Python socket holds a port.  `serve --port N` stops with exit
status 1 and exactly one line on stderr, ours (libmicrohttpd's "Failed to
bind" used to come first); `pstatsviz FILE --port N` serves on N+1 and
prints it.

usage: check_serve_start.py PSTATSVIZ SAMPLE.prof
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, free_port, tally  # noqa: E402

GENERATOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gen",
                         "synthetic.py")

# what a desktop session without SSH has; each case changes some of it
DESKTOP = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "", "SSH_CONNECTION": "", "SSH_TTY": "",
           "container": ""}


def start(argv, env):
    """Run argv until it has printed its links: (process, stdout so far).
    serve prints one "serving" line; FILE mode then a line per file."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    out = []
    done = "pstatsviz: serving " if argv[1] == "serve" else "http://"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        out.append(line)
        if line.startswith(done):
            break
    return p, "".join(out)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return p.returncode, err


def browser_cases(exe, sample, tmp):
    bindir = os.path.join(tmp, "bin")
    os.mkdir(bindir)
    record = os.path.join(tmp, "opened")
    fake = os.path.join(bindir, "xdg-open")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n" % record)
    os.chmod(fake, 0o755)
    db = os.path.join(tmp, "b.db")

    def opened_by(name, argv, env_changes):
        if os.path.exists(record):
            os.unlink(record)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], **DESKTOP)
        env.update(env_changes)
        env = {k: v for k, v in env.items() if v is not None}
        p, out = start([exe] + argv + ["--port", "0", "--db", db], env)
        # xdg-open runs beside the server: give it time to write
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not os.path.exists(record):
            time.sleep(0.05)
        code, err = stop(p)
        check(code == 0, name + "_serves_and_stops", (code, out, err))
        with open(record) if os.path.exists(record) else open(os.devnull) as f:
            return out, f.read().splitlines()

    out, calls = opened_by("open_flag", [sample, "--open"], {})
    links = [l.split()[0] for l in out.splitlines() if l.startswith("http://") and "/p/" in l]
    check(len(calls) == 1 and links and calls[0] == links[0], "open_flag_opens_the_profile_link",
          (calls, out))
    for name, argv, env in [
            ("no_browser", [sample, "--no-browser"], {}),
            ("over_ssh_connection", [sample], {"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}),
            ("over_ssh_tty", [sample], {"SSH_TTY": "/dev/pts/3"}),
            ("without_display", [sample], {"DISPLAY": None}),
            ("in_a_container", [sample], {"container": "podman"}),
            ("serve_without_open", ["serve"], {})]:
        _, calls = opened_by(name, argv, env)
        check(calls == [], name + "_opens_no_browser", calls)
    _, calls = opened_by("serve_with_open", ["serve", "--open"], {})
    check(len(calls) == 1 and calls[0].endswith("/"), "serve_with_open_opens_the_front_page",
          calls)
    r = subprocess.run([exe, "serve", "--no-browser", "--db", db], capture_output=True,
                       text=True, timeout=20)
    check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
          "serve_refuses_no_browser_in_one_line", (r.returncode, r.stderr))
    r = subprocess.run([exe, sample, "--open", "--no-browser", "--db", db], capture_output=True,
                       text=True, timeout=20)
    check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
          "open_and_no_browser_together_are_refused", (r.returncode, r.stderr))


def busy_port_cases(exe, sample, tmp):
    db = os.path.join(tmp, "p.db")
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    # the next port must be free for the FILE case: find a pair
    for _ in range(50):
        nxt = socket.socket()
        try:
            nxt.bind(("127.0.0.1", port + 1))
            nxt.close()
            break
        except OSError:
            nxt.close()
            holder.close()
            holder = socket.socket()
            holder.bind(("127.0.0.1", free_port()))
            holder.listen(1)
            port = holder.getsockname()[1]
    try:
        r = subprocess.run([exe, "serve", "--port", str(port), "--db", db], capture_output=True,
                           text=True, timeout=20)
        lines = r.stderr.splitlines()
        check(r.returncode == 1, "serve_on_a_busy_port_exits_1", (r.returncode, r.stderr))
        check(len(lines) == 1 and lines[0].startswith("pstatsviz: ") and str(port) in lines[0]
              and "in use" in lines[0], "serve_on_a_busy_port_says_so_in_one_line", r.stderr)

        env = dict(os.environ, DISPLAY="")
        p, out = start([exe, sample, "--port", str(port), "--db", db, "--no-browser"], env)
        base = "http://127.0.0.1:%d/" % (port + 1)
        try:
            with urllib.request.urlopen(base + "healthz", timeout=10) as resp:
                healthy = resp.status == 200
        except OSError as e:
            healthy = e
        code, err = stop(p)
        check(("serving " + base) in out and ("port %d is in use" % port) in out,
              "file_mode_prints_the_next_port", out)
        check(healthy is True, "file_mode_serves_on_the_next_port", healthy)
        check("Failed to bind" not in err and "libmicrohttpd" not in err,
              "file_mode_prints_no_library_line", err)
    finally:
        holder.close()


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as resp:
        return resp.read()


def kept_model_cases(exe, sample, tmp):
    db = os.path.join(tmp, "k.db")
    # three distinct files (trailing bytes are ignored, with a warning)
    files = []
    with open(sample, "rb") as f:
        data = f.read()
    for i in range(3):
        path = os.path.join(tmp, "run%d.prof" % i)
        with open(path, "wb") as f:
            f.write(data + b"\0" * i)
        files.append(path)
    env = dict(os.environ, DISPLAY="")

    def serve_and_ask(argv):
        p, out = start([exe] + argv + ["--port", "0", "--db", db, "--no-browser"], env)
        try:
            base = out.split("pstatsviz: serving ", 1)[1].split()[0]
            health = json.loads(get(base, "healthz"))
            first = out.split("/p/", 1)[1].split()[0]
            tree = get(base, "api/profiles/%s/tree" % first)
        finally:
            stop(p)
        return health, json.loads(tree)

    health, kept_tree = serve_and_ask(files)
    check(health.get("ok") is True and health.get("cache", {}).get("entries") == 2,
          "file_mode_keeps_the_first_two_parsed_models", health)
    health, loaded_tree = serve_and_ask(files[:1])
    check(health.get("cache", {}).get("entries") == 0,
          "a_profile_stored_already_is_not_parsed_or_kept", health)
    check(kept_tree == loaded_tree and kept_tree.get("root"),
          "the_kept_model_answers_as_the_stored_one", (len(str(kept_tree)), len(str(loaded_tree))))


def size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def checkpoint_cases(exe, sample, tmp):
    env = dict(os.environ, DISPLAY="")
    # 18k functions, 5.4 MB: over the 4 MiB that are worth writing direct
    large = os.path.join(tmp, "large.prof")
    subprocess.run([sys.executable, GENERATOR, "18000", "--seed", "3", "-o", large], check=True,
                   stdout=subprocess.DEVNULL)
    for what, path, beside in (("a_large_file_alone", large, False),
                               ("a_small_file", sample, False),
                               ("a_large_file_beside_a_server", large, True)):
        for how in ("SIGKILL", "SIGTERM"):
            db = os.path.join(tmp, "c-%s-%s.db" % (what, how))
            other = start([exe, "serve", "--port", "0", "--db", db], env)[0] if beside else None
            wal, main_db = size(db + "-wal"), size(db)
            p, out = start([exe, path, "--port", "0", "--db", db, "--no-browser"], env)
            pid = out.split("/p/", 1)[1].split()[0] if "/p/" in out else None
            servers = [p] + ([other] if other else [])
            if how == "SIGKILL":
                if what == "a_large_file_alone":
                    check(pid and size(db + "-wal") == 0 and size(db) > size(path) / 2,
                          what + "_is_written_into_the_database_file",
                          (size(db + "-wal"), size(db), out))
                else:
                    grown = size(db + "-wal") - wal
                    check(pid and grown > size(path) / 2 and size(db) - main_db < grown,
                          what + "_is_left_in_the_wal_for_the_server",
                          (wal, size(db + "-wal"), main_db, size(db), out))
                for q in servers:
                    q.kill()
                    q.wait()
            else:
                for q in servers:
                    stop(q)
                check(size(db + "-wal") == 0, what + "_is_in_the_database_once_stopped",
                      (size(db + "-wal"), size(db)))
            r = subprocess.run([exe, "top", pid or "-", "--db", db, "-n", "1"],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0 and "function calls" in r.stdout,
                  "%s_survives_servers_stopped_with_%s" % (what, how), (r.returncode, r.stderr))


def main():
    exe, sample = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="pv-serve-start-") as tmp:
        kept_model_cases(exe, sample, tmp)
        checkpoint_cases(exe, sample, tmp)
        browser_cases(exe, sample, tmp)
        busy_port_cases(exe, sample, tmp)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
