#!/usr/bin/env python3
"""What pstats says about the profiles of test_sort.c and test_report.c.

Their expected rows were printed by this script: it builds the same stats
dicts as the tests' tables (keep the two in step), has Python's pstats read
them from a file, and prints, per sort, the order of the functions (as
their row numbers in the table) and the printouts as C string literals.
Run it again when a table changes, and paste what it prints.

usage: pstats_expected.py
"""
import io
import marshal
import os
import pstats
import sys
import tempfile
import time

# mixed_profile.h (test_sort.c and test_report.c): dict order as listed.
MIXED = [
    ("c.py", 1, "<module>", 1, 1, 0.0, 3.0),
    ("b.py", 10, "beta", 2, 5, 0.5, 1.0),
    ("a.py", 3, "alpha", 1, 1, 0.25, 2.0),
    ("~", 0, "<built-in method builtins.len>", 7, 7, 0.125, 0.125),
    ("a.py", 20, "gamma", 3, 3, 0.5, 1.0),
    ("b.py", 2, "alpha", 2, 2, 0.375, 0.75),
    ("a.py", 3, "zeta", 0, 0, 0.0, 0.0),
    ("~", 0, "<method 'append' of 'list' objects>", 4, 4, 0.0625, 0.0625),
]
# (caller, callee, nc, cc, tt, ct), or (caller, callee, nc) for a bare count
MIXED_CALLS = [
    (0, 2, 1, 1, 0.25, 2.0),
    (0, 1, 1, 1, 0.1, 0.5),
    (2, 1, 2, 1, 0.2, 0.3),
    (2, 5, 2, 2, 0.375, 0.75),
    (1, 4, 3, 3, 0.5, 1.0),
    (4, 1, 2, 0, 0.2, 0.2),
    (1, 3, 7, 7, 0.125, 0.125),
    (4, 7, 4, 4, 0.0625, 0.0625),
]

# NaN times compare neither less nor greater: the order is CPython's
# binary insertion sort's (a merge sort gives 1, 6, 5, 0, 2, ... here).
NAN = float("nan")
NANS = [("n.py", i + 1, "abcdefgh"[i], 1, 1, tt, 1.0)
        for i, tt in enumerate([3.0, 5.0, NAN, 2.0, 0.5, 4.0, 5.0, 2.0])]

# 70 functions (64 and more are sorted by merge sort), ties in every key.
MANY = [("m%d.py" % (i % 3), i % 7, "f%02d" % ((i * 37) % 70), i % 4, i % 4 + i % 2,
         (i % 5) * 0.25, (i % 6) * 0.5) for i in range(70)]

# The `profile` module's files: callers are bare counts.
COUNTS = [
    ("p.py", 1, "main", 1, 1, 0.5, 1.5),
    ("p.py", 5, "work", 3, 3, 1.0, 1.0),
]
COUNTS_CALLS = [(0, 1, 3)]

SORTS = ["calls", "pcalls", "time", "cumulative", "filename", "line", "name", "nfl",
         "stdname", "time,calls", "filename,line", "name,cumulative"]


def stats_dict(funcs, calls):
    d = {}
    for i, (file, line, name, cc, nc, tt, ct) in enumerate(funcs):
        callers = {}
        for c in calls:
            if c[1] != i:
                continue
            k = funcs[c[0]][:3]
            callers[k] = c[2] if len(c) == 3 else (c[2], c[3], c[4], c[5])
        d[(file, line, name)] = (cc, nc, tt, ct, callers)
    return d


def load(funcs, calls):
    tmp = tempfile.mkdtemp()
    os.chdir(tmp)
    with open("t.prof", "wb") as f:
        marshal.dump(stats_dict(funcs, calls), f)
    return pstats.Stats("t.prof", stream=io.StringIO())


def order(funcs, calls, words):
    st = load(funcs, calls)
    st.sort_stats(*words.split(","))
    rows = {f[:3]: i for i, f in enumerate(funcs)}
    return [rows[k] for k in st.fcn_list]


def c_string(text):
    out = []
    for line in text.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.append('     "%s"' % esc)
    return "\n".join(out) if out else '     ""'


def printout(funcs, calls, how, words, *amount):
    st = load(funcs, calls)
    st.sort_stats(*words.split(","))
    st.stream = io.StringIO()
    getattr(st, how)(*amount)
    # pstats heads the file's name with its modification time: the tests
    # give the report the name alone
    text = st.stream.getvalue()
    stamped = time.ctime(os.stat("t.prof").st_mtime) + "    t.prof\n"
    return text.replace(stamped, "t.prof\n", 1)


def main():
    print("/* orders: rows of the table, first to last */")
    for name, funcs, calls in (("MIXED", MIXED, MIXED_CALLS), ("NANS", NANS, []),
                               ("MANY", MANY, [])):
        for words in SORTS:
            print('    {"%s", "%s", {%s}},' % (name, words,
                                                 ", ".join(map(str, order(funcs, calls, words)))))
    print("/* printouts */")
    for name, funcs, calls, how, words, amount in (
            ("MIXED", MIXED, MIXED_CALLS, "print_stats", "cumulative", ()),
            ("MIXED", MIXED, MIXED_CALLS, "print_stats", "time,calls", ("a\\.py", 2)),
            ("MIXED", MIXED, MIXED_CALLS, "print_stats", "name", (3,)),
            ("MIXED", MIXED, MIXED_CALLS, "print_stats", "calls", ("append' of",)),
            ("MIXED", MIXED, MIXED_CALLS, "print_callers", "cumulative", ("beta",)),
            ("MIXED", MIXED, MIXED_CALLS, "print_callees", "time", ()),
            ("COUNTS", COUNTS, COUNTS_CALLS, "print_stats", "cumulative", ()),
            ("COUNTS", COUNTS, COUNTS_CALLS, "print_callers", "cumulative", ()),
            ("NANS", NANS, [], "print_stats", "time", ())):
        print("    /* %s %s(%s) by %s */" % (name, how, ", ".join(map(repr, amount)), words))
        print(c_string(printout(funcs, calls, how, words, *amount)) + ",")


if __name__ == "__main__":
    sys.exit(main())
