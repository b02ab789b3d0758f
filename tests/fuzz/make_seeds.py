#!/usr/bin/env python3
"""Write the small hand-made seeds of tests/fuzz/regress/{marshal,profile}/.

Seeds, not crashers: one file per shape the readers know, each a few hundred
bytes, so that the fuzzers start from every marshal version and every pstats
variant instead of from one 36 KB file.  The files are committed; run this
again (python3 tests/fuzz/make_seeds.py) only to change them.  marshal output
differs between Python versions, so the bytes are whatever this Python
writes; any version's bytes are valid seeds.
"""
import marshal
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def stats():
    """A small cProfile-shaped dict: recursion, a builtin, stdlib, site."""
    main = ("/app/main.py", 1, "main")
    rec = ("/app/main.py", 9, "walk")
    ln = ("~", 0, "<built-in method builtins.len>")
    lib = ("/usr/lib/python3.11/json/decoder.py", 332, "decode")
    site = ("/venv/lib/python3.11/site-packages/pkg/mod.py", 7, "f")
    return {
        main: (1, 1, 0.001, 2.0, {}),
        rec: (3, 10, 0.5, 1.5, {main: (3, 3, 0.4, 1.5), rec: (7, 0, 0.1, 0.9)}),
        ln: (20, 20, 0.02, 0.02, {rec: (20, 20, 0.02, 0.02)}),
        lib: (2, 2, 0.2, 0.4, {main: (2, 2, 0.2, 0.4)}),
        site: (5, 5, 0.2, 0.2, {lib: (5, 5, 0.2, 0.2)}),
    }


def profile_module():
    """The pure-Python `profile` module: int callers and its fake root."""
    root = ("profile", 0, "profiler")
    main = ("main.py", 1, "<module>")
    return {
        main: (1, 1, 0.1, 0.3, {root: 1}),
        ("", 0, "exec"): (1, 1, 0.0, 0.3, {main: 1}),
        ("main.py", 4, "f"): (2, 2, 0.2, 0.2, {main: 2}),
    }


def python2_bytes():
    """Byte-string keys, as Python 2 wrote str: 's' and Latin-1."""
    k = (b"/app/caf\xe9.py", 3, b"f")
    return {k: (1, 1, 0.5, 0.5, {(b"/app/x.py", 1, b"<module>"): (1, 1, 0.5, 0.5)}),
            (b"/app/x.py", 1, b"<module>"): (1, 1, 0.0, 0.5, {})}


def odd_values():
    """Every kind of value marshal has, for the marshal target."""
    return [None, True, False, Ellipsis, StopIteration, 0, -1, 2**31, -(2**62), 2**63 - 1,
            1.5, float("nan"), float("-inf"), 1 + 2j, b"bytes", "text", "\udcff surrogate",
            "caf\xe9", (), (1,), [1, [2, [3]]], {1, 2}, frozenset({"a"}), {"k": (1, 2)},
            compile("x = 1", "seed.py", "exec")]


def write(sub, name, data):
    path = os.path.join(HERE, "regress", sub, name)
    with open(path, "wb") as f:
        f.write(data)


def main():
    for v in range(5):
        write("profile", f"seed_stats_v{v}", marshal.dumps(stats(), v))
    write("profile", "seed_profile_module", marshal.dumps(profile_module()))
    write("profile", "seed_python2_bytes", marshal.dumps(python2_bytes(), 2))
    shared = stats()
    write("profile", "seed_trailing_second_profile",
          marshal.dumps(shared) + marshal.dumps(profile_module()))
    for v in (2, 4):
        write("marshal", f"seed_values_v{v}", marshal.dumps(odd_values(), v))
    write("marshal", "seed_code_object", marshal.dumps(compile("def f(a):\n    return a\n",
                                                               "seed.py", "exec")))


if __name__ == "__main__":
    main()
