#!/usr/bin/env python3
"""Gzipped stats files on the command line (issue 14, point 12): `import`,
`top`, `export`, `diff` and `pstatsviz FILE` read FILE.gz as FILE, known
by its first bytes (1f 8b), not its name; the profile id is the hash of
the inflated bytes, so foo.prof and foo.prof.gz are one profile.  A cut
stream, bytes after the end and a bomb (over --max-upload in FILE mode)
are refused in one line.

usage: check_gzip_files.py PSTATSVIZ SAMPLE.prof OTHER.prof
"""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, tally  # noqa: E402


def run(argv):
    try:
        return subprocess.run(argv, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(argv, "timeout", e.stdout or b"", e.stderr or b"")


def one_line_error(name, r, says):
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1 and err.count("\n") == 1 and err.startswith("pstatsviz: ") and
          says in err, name, (r.returncode, err))


def main():
    exe, sample, other = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="pv-gzip-files-")
    try:
        raw = open(sample, "rb").read()
        plain = os.path.join(tmp, "a.prof")
        shutil.copyfile(sample, plain)
        gz = os.path.join(tmp, "a.prof.gz")
        with open(gz, "wb") as f:
            f.write(gzip.compress(raw, mtime=0))
        gz_named_plain = os.path.join(tmp, "gzip-inside.prof")
        shutil.copyfile(gz, gz_named_plain)
        plain_named_gz = os.path.join(tmp, "plain-inside.prof.gz")
        shutil.copyfile(sample, plain_named_gz)
        two_members = os.path.join(tmp, "two.prof.gz")
        with open(two_members, "wb") as f:
            f.write(gzip.compress(raw[:1000], mtime=0) + gzip.compress(raw[1000:], mtime=0))
        other_gz = os.path.join(tmp, "b.prof.gz")
        with open(other_gz, "wb") as f:
            f.write(gzip.compress(open(other, "rb").read(), mtime=0))
        db = os.path.join(tmp, "t.db")

        r = run([exe, "import", plain, gz, gz_named_plain, plain_named_gz, two_members,
                 "--db", db])
        lines = r.stdout.decode().splitlines()
        ids = [l.split()[0] for l in lines]
        check(r.returncode == 0 and len(ids) == 5 and len(set(ids)) == 1,
              "import_gives_one_id_gzipped_or_not_whatever_the_name", (r.returncode, lines,
                                                                       r.stderr))

        want = run([exe, "export", plain]).stdout
        for path in (gz, gz_named_plain, two_members):
            got = run([exe, "export", path])
            check(got.returncode == 0 and got.stdout.replace(
                os.path.basename(path).encode(), b"a.prof") == want,
                  "export_reads_%s_as_the_plain_file" % os.path.basename(path),
                  got.stderr[:300])
        top_plain = run([exe, "top", plain, "--json"]).stdout
        top_gz = run([exe, "top", gz, "--json"])
        check(top_gz.returncode == 0 and top_gz.stdout == top_plain, "top_reads_a_gz_file",
              top_gz.stderr[:300])
        d = run([exe, "diff", gz, other, "--json"])
        d_plain = run([exe, "diff", plain, other, "--json"])
        check(d.returncode == 0 and d.stdout.replace(b"a.prof.gz", b"a.prof") == d_plain.stdout,
              "diff_reads_a_gz_first_file", d.stderr[:300])
        d = run([exe, "diff", plain, other_gz, "--json"])
        check(d.returncode == 0 and d.stdout.replace(b"b.prof.gz", os.path.basename(other).encode())
              == d_plain.stdout, "diff_reads_a_gz_second_file", d.stderr[:300])

        cut = os.path.join(tmp, "cut.prof.gz")
        with open(cut, "wb") as f:
            f.write(gzip.compress(raw, mtime=0)[:-10])
        one_line_error("import_of_a_cut_gz_is_one_line", run([exe, "import", cut, "--db", db]),
                       "ends early")
        one_line_error("top_of_a_cut_gz_is_one_line", run([exe, "top", cut]), "ends early")
        tail = os.path.join(tmp, "tail.prof.gz")
        with open(tail, "wb") as f:
            f.write(gzip.compress(raw, mtime=0) + b"\n<html>")
        one_line_error("bytes_after_the_end_are_one_line", run([exe, "top", tail]),
                       "not another gzip member")
        bomb = os.path.join(tmp, "bomb.prof.gz")
        with open(bomb, "wb") as f:
            f.write(gzip.compress(b"\0" * (16 << 20), mtime=0))
        one_line_error("a_bomb_over_max_upload_is_one_line",
                       run([exe, bomb, "--max-upload", "1M", "--port", "0", "--db", db]),
                       "more than the limit of 1048576 bytes")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
