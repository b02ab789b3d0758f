#!/usr/bin/env python3
"""Check the pstatsviz reader against the oracle, file by file.

CORPUS is the folder of test inputs meson assembles in the build folder
(tests/corpus/inputs.py).  For every stats file in it that
`tests/oracle.py FILE --check` accepts:
  - `pstatsviz export FILE` equals `oracle.py FILE` (counts and strings
    exactly, floats within 1e-9 relative; the informational "reader" key
    aside);
  - `pstatsviz top FILE -n 25 --sort cumulative --json` gives the rows of
    `oracle.py FILE --top 25`;
  - where CPython reads the file itself, `pstatsviz top FILE -n 25` prints
    the same text as pstats' print_stats(25), and the same for
    print_callers / print_callees of the first functions.
Every file the oracle rejects must give a non-zero exit and exactly one line
on stderr within a second.  Deliberate differences from the oracle are
listed in DELIBERATE below (and in README.md).

With --sanitized (the ASan+UBSan build) the time limits, a second to
reject and ten to import, do not apply: instrumented code on a loaded
machine can miss them honestly.  Every run still stops at its timeout
(10 s to reject, 60 s otherwise), so a hang fails there as well.

usage: check_corpus.py PSTATSVIZ CORPUS [--sanitized]
"""
import io
import json
import math
import os
import pstats
import subprocess
import sys
import tempfile
import time

SANITIZED = "--sanitized" in sys.argv[3:]

import inputs

# Files the oracle accepts that we reject on purpose.
DELIBERATE = {
    # counts and line numbers beyond 64 bits: rejected, never wrapped
    "malformed/huge_ints.prof": "does not fit in 64 bits",
}

failures = []


def fail(path, msg):
    failures.append("%s: %s" % (path, msg))


def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b and type(a) is type(b) or (a == b and {type(a), type(b)} <= {int, float})


def same(path, what, got, want, where="$"):
    """Compare JSON values; report the first difference."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            fail(path, "%s %s: keys %s != %s" % (what, where, sorted(got) if isinstance(got, dict) else got, sorted(want)))
            return False
        return all(same(path, what, got[k], want[k], "%s.%s" % (where, k)) for k in want)
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            fail(path, "%s %s: length %s != %d" % (what, where, len(got) if isinstance(got, list) else got, len(want)))
            return False
        for i, (g, w) in enumerate(zip(got, want)):
            if not same(path, what, g, w, "%s[%d]" % (where, i)):
                return False
        return True
    if not close(got, want):
        fail(path, "%s %s: %r != %r" % (what, where, got, want))
        return False
    return True


def run(args, timeout=60):
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        p = subprocess.CompletedProcess(args, -9, b"", b"timed out after %d s\n" % timeout)
    return p, time.monotonic() - t0


def pstats_text(path, method, *amount):
    out = io.StringIO()
    st = pstats.Stats(path, stream=out)
    st.sort_stats("cumulative")
    getattr(st, method)(*amount)
    return out.getvalue()


def check_accepted(exe, corpus, rel, check):
    path = os.path.join(corpus, rel)
    if rel in inputs.CHECK_ONLY:
        # The oracle cannot print these (inputs.CHECK_ONLY says why): check
        # the counts, and that the import stays quick.
        with tempfile.TemporaryDirectory() as tmp:
            p, secs = run([exe, "import", path, "--db", os.path.join(tmp, "t.db")])
        fields = p.stdout.decode().split()
        if p.returncode or fields[2:] != [str(check["functions"]), str(check["edges"])]:
            fail(rel, "import: %r %r" % (p.stdout[:200], p.stderr[:200]))
        elif secs > 10 and not SANITIZED:
            fail(rel, "import took %.1f s" % secs)
        return
    p, _ = run([exe, "export", path])
    if p.returncode != 0:
        fail(rel, "export failed: %s" % p.stderr.decode(errors="replace").strip())
        return
    got = json.loads(p.stdout)
    want = inputs.oracle(corpus, rel, "canonical")
    got.pop("reader", None)
    want.pop("reader", None)
    same(rel, "export", got, want)

    p, _ = run([exe, "top", path, "-n", "25", "--sort", "cumulative", "--json"])
    if p.returncode != 0:
        fail(rel, "top failed: %s" % p.stderr.decode(errors="replace").strip())
        return
    got = json.loads(p.stdout)
    want = inputs.oracle(corpus, rel, "top25")
    for k in ("total_calls", "prim_calls", "total_tt", "sort_type"):
        same(rel, "top25", got[k], want[k], k)
    same(rel, "top25", got["rows"], want["rows"], "rows")

    if check.get("reader") != "pstats":
        return
    # The text tables, against pstats itself (files CPython can read).
    p, _ = run([exe, "top", path, "-n", "25"])
    want_text = pstats_text(path, "print_stats", 25)
    if p.stdout.decode("utf-8", "surrogatepass") != want_text:
        fail(rel, "print_stats text differs:\n--- pstatsviz\n%s\n--- pstats\n%s" % (
            p.stdout.decode("utf-8", "replace")[:1500], want_text[:1500]))
    for method, flag in (("print_callers", "--callers"), ("print_callees", "--callees")):
        p, _ = run([exe, "top", path, flag, ".", "-n", "5"])
        want_text = pstats_text(path, method, ".", 5)
        if p.stdout.decode("utf-8", "surrogatepass") != want_text:
            fail(rel, "%s text differs:\n--- pstatsviz\n%s\n--- pstats\n%s" % (
                method, p.stdout.decode("utf-8", "replace")[:1500], want_text[:1500]))


def check_rejected(exe, corpus, rel, expect_in=None):
    path = os.path.join(corpus, rel)
    p, secs = run([exe, "top", path], timeout=10)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode == 0:
        fail(rel, "accepted a file that must be rejected")
    elif p.returncode < 0:
        fail(rel, "killed by signal %d" % -p.returncode)
    elif err.count("\n") != 1 or not err.startswith("pstatsviz: "):
        fail(rel, "error is not one line: %r" % err[:300])
    elif secs > 1.0 and not SANITIZED:
        fail(rel, "took %.2f s to reject" % secs)
    elif expect_in and expect_in not in err:
        fail(rel, "error %r does not say %r" % (err.strip(), expect_in))
    if "Sanitizer" in err or "runtime error" in err:
        fail(rel, "sanitizer report: %s" % err[:500])


def main():
    exe, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        print("no test inputs at %s: meson assembles them (ninja -C BUILD tests/corpus.stamp)" % corpus)
        return 1
    files = inputs.files(corpus)
    accepted = rejected = 0
    for rel in files:
        check = inputs.oracle(corpus, rel, "check")
        n0 = len(failures)
        if rel in DELIBERATE:
            check_rejected(exe, corpus, rel, DELIBERATE[rel])
            rejected += 1
        elif check.get("ok"):
            check_accepted(exe, corpus, rel, check)
            accepted += 1
        else:
            check_rejected(exe, corpus, rel)
            rejected += 1
        print("%-4s %s" % ("ok" if len(failures) == n0 else "FAIL", rel))
        for f in failures[n0:]:
            print("     " + f[:3000])
    print("%d files: %d accepted, %d rejected as expected" % (len(files), accepted, rejected))
    print("%d passed, %d failed" % (len(files) - len({f.split(':')[0] for f in failures}),
                                     len({f.split(':')[0] for f in failures})))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
