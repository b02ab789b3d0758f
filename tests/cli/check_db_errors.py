#!/usr/bin/env python3
"""`pstatsviz serve` (and `pstatsviz FILE`) with a database it cannot open:
one line, `pstatsviz: PATH: cannot open the database: WHY`, exit status 1.
Never a signal (an uninitialised store handle once got closed: SIGBUS, or
SIGSEGV with FILE arguments), never a path named twice.

usage: check_db_errors.py PSTATSVIZ SAMPLE.prof
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, tally  # noqa: E402


def run(argv, as_nobody=False):
    if as_nobody:
        argv = ["runuser", "-u", "nobody", "--"] + argv
    # --port 0: should the database open after all, the server must not
    # collide with anything; the timeout then fails the check, not the run.
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(argv, "timeout", e.stdout or "", e.stderr or "")


def expect_one_line(name, argv, path, why_part, as_nobody=False):
    r = run(argv, as_nobody)
    lines = r.stderr.splitlines()
    prefix = "pstatsviz: %s: cannot open the database: " % path
    check(r.returncode == 1, name + "_exits_1", "exit status %r, stderr %r" % (r.returncode, r.stderr))
    check(len(lines) == 1, name + "_prints_one_line", repr(r.stderr))
    check(lines and lines[0].startswith(prefix) and why_part in lines[0],
          name + "_says_where_and_why", "expected %r…%r, got %r" % (prefix, why_part, r.stderr))
    check(r.stderr.count(path) == 1, name + "_names_the_path_once", repr(r.stderr))


def main():
    binary, sample = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="pv-db-errors-")
    os.chmod(tmp, 0o755)
    try:
        missing = "/nonexistent/dir/x.db"
        serve = [binary, "serve", "--port", "0", "--db"]
        expect_one_line("missing_folder", serve + [missing], missing, "No such file")
        expect_one_line("missing_folder_with_files",
                        [binary, sample, "--port", "0", "--db", missing], missing, "No such file")
        folder = os.path.join(tmp, "folder.db")
        os.mkdir(folder)
        expect_one_line("directory", serve + [folder], folder, "directory")
        junk = os.path.join(tmp, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"this is not SQLite, it only says so at length\n" * 200)
        expect_one_line("not_sqlite", serve + [junk], junk, "not a database")
        expect_one_line("not_sqlite_with_files", [binary, sample, "--port", "0", "--db", junk],
                        junk, "not a database")
        # A database the user may read but not write.  root writes anyway,
        # so as root the server runs as nobody.
        ro = os.path.join(tmp, "ro.db")
        r = run([binary, "import", sample, "--db", ro])
        check(r.returncode == 0, "sample_imports", r.stderr)
        for side in ("", "-wal", "-shm"):
            if os.path.exists(ro + side):
                os.chmod(ro + side, 0o444)
        as_root = os.geteuid() == 0
        if as_root and not shutil.which("runuser"):
            check(False, "read_only_needs_runuser", "runuser (util-linux) is missing")
        else:
            expect_one_line("read_only", serve + [ro], ro, "read-only", as_nobody=as_root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
