#!/usr/bin/env python3
"""The test inputs: assembled into the build folder, and what the oracle
says about each, cached there.

    inputs.py assemble SRCROOT CORPUS STAMP DEPFILE
        (run by meson) fill the folder CORPUS with every input of the test
        suites, laid out as the suites read them:
            rasa/       data/rasa_maxsize1000.prof and rasa_maxsize5000.prof
            workloads/  marshal/   copies of tests/corpus/<same>/
            real/       tests/corpus/real/, *.prof.gz and the like decompressed
            malformed/  tests/corpus/malformed/ plus the big mechanical
                        files tests/gen/malformed_big.py writes
            synthetic/  synthetic_10000.prof from tests/gen/synthetic.py
        then touch STAMP and list every file read in DEPFILE, so that ninja
        assembles again when one changes.
    inputs.py oracle CORPUS REL [check|canonical|top25]
        print the (cached) oracle output for CORPUS/REL.

The suites import this module: files(corpus) lists the stats files,
oracle(corpus, rel, mode) runs tests/oracle.py on one (once: the answer is
kept in CORPUS/../oracle-cache/, keyed by the file's and the oracle's
sha256), synthetic(corpus, n) writes a bigger synthetic profile once.
"""
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORACLE = os.path.join(SRC, "tests", "oracle.py")
SYNTHETIC = os.path.join(SRC, "tests", "gen", "synthetic.py")
MALFORMED_BIG = os.path.join(SRC, "tests", "gen", "malformed_big.py")

DIRS = ("rasa", "workloads", "marshal", "synthetic", "real", "malformed")
SYNTHETIC_SEED = 1
# No decompressed input may exceed this (the biggest is 1.9 MB).
MAX_DECOMPRESSED_BYTES = 64 << 20

# Files the oracle accepts but only answers --check for: 20,000 functions
# share one 1 MiB file name, so the canonical JSON would be 20 GB, and
# pstats' sort_stats builds each label (20 GB) before --top can print.
CHECK_ONLY = {
    "malformed/shared_huge_string_refs.prof":
        "20,000 functions share a 1 MiB file name: its canonical JSON would be 20 GB",
}

MODES = {"check": ["--check"], "canonical": [], "top25": ["--top", "25", "--sort", "cumulative"]}


# ---- assemble (build time) -------------------------------------------------

def copy(src, dst, read):
    shutil.copyfile(src, dst)
    read.append(src)


def gunzip(src, dst, read):
    with gzip.open(src, "rb") as f:
        data = f.read(MAX_DECOMPRESSED_BYTES + 1)
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise SystemExit("%s: decompresses to more than %d bytes" % (src, MAX_DECOMPRESSED_BYTES))
    with open(dst, "wb") as f:
        f.write(data)
    read.append(src)


def run(args):
    p = subprocess.run([sys.executable] + args, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit("%s failed:\n%s" % (" ".join(args), p.stderr))


def assemble(srcroot, corpus, stamp, depfile):
    read = [os.path.abspath(__file__), SYNTHETIC, MALFORMED_BIG]
    parent = os.path.dirname(os.path.abspath(corpus))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".corpus-", dir=parent)
    for d in DIRS:
        os.mkdir(os.path.join(tmp, d))
    for size in ("1000", "5000"):
        copy(os.path.join(srcroot, "data", "rasa_maxsize%s.prof" % size),
             os.path.join(tmp, "rasa", "rasa_maxsize%s.prof" % size), read)
    for d in ("workloads", "marshal", "real", "malformed"):
        src = os.path.join(srcroot, "tests", "corpus", d)
        read.append(src)  # a file added or removed changes the folder
        for name in sorted(os.listdir(src)):
            if name.endswith(".gz"):
                gunzip(os.path.join(src, name), os.path.join(tmp, d, name[:-3]), read)
            else:
                copy(os.path.join(src, name), os.path.join(tmp, d, name), read)
    run([MALFORMED_BIG, os.path.join(tmp, "malformed")])
    run([SYNTHETIC, "10000", "--seed", str(SYNTHETIC_SEED), "-o",
         os.path.join(tmp, "synthetic", "synthetic_10000.prof")])
    # swap the new folder in whole: a suite never sees half of one
    old = None
    if os.path.exists(corpus):
        old = tempfile.mkdtemp(prefix=".corpus-old-", dir=parent)
        os.rename(corpus, os.path.join(old, "corpus"))
    os.rename(tmp, corpus)
    if old:
        shutil.rmtree(old)
    with open(depfile, "w") as f:
        f.write("%s: %s\n" % (stamp.replace(" ", "\\ "),
                              " \\\n ".join(p.replace(" ", "\\ ") for p in read)))
    with open(stamp, "w") as f:
        f.write("assembled %s\n" % corpus)


# ---- at test time ----------------------------------------------------------

def files(corpus):
    """Every stats file of the corpus as a path relative to it, folder by
    folder (DIRS order), by name; README.md and SOURCES.md are not."""
    out = []
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(corpus, d))):
            if not name.endswith(".md"):
                out.append("%s/%s" % (d, name))
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_oracle_sha = None


def oracle(corpus, rel, mode="check"):
    """What tests/oracle.py prints for corpus/rel in mode (check, canonical
    or top25), parsed.  Computed once per file content and oracle version;
    a lock makes suites running side by side wait for one another instead
    of computing it twice."""
    global _oracle_sha
    if rel in CHECK_ONLY and mode != "check":
        raise ValueError("%s: only --check (%s)" % (rel, CHECK_ONLY[rel]))
    if _oracle_sha is None:
        _oracle_sha = sha256_file(ORACLE)
    path = os.path.join(corpus, rel)
    key = hashlib.sha256(("%s %s %s" % (_oracle_sha, sha256_file(path), mode)).encode()).hexdigest()
    cache = os.path.join(os.path.dirname(os.path.abspath(corpus)), "oracle-cache")
    os.makedirs(cache, exist_ok=True)
    out = os.path.join(cache, key + ".json")
    with open(out + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(out):
            p = subprocess.run([sys.executable, ORACLE, path] + MODES[mode],
                               capture_output=True, timeout=600)
            if p.returncode not in (0, 2) or not p.stdout.startswith(b"{"):
                raise RuntimeError("oracle.py %s %s: exit %d: %s" % (
                    rel, mode, p.returncode, p.stderr.decode(errors="replace")[-2000:]))
            with open(out + ".tmp", "wb") as f:
                f.write(p.stdout)
            os.replace(out + ".tmp", out)
    with open(out) as f:
        return json.load(f)


def synthetic(corpus, n, seed=SYNTHETIC_SEED):
    """Path of tests/gen/synthetic.py's profile of n functions, written once
    beside the corpus (CORPUS/../synthetic/synthetic_<n>_seed<seed>.prof)."""
    d = os.path.join(os.path.dirname(os.path.abspath(corpus)), "synthetic")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "synthetic_%d_seed%d.prof" % (n, seed))
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(path):
            run([SYNTHETIC, str(n), "--seed", str(seed), "-o", path])
    return path


def main(argv):
    if len(argv) == 5 and argv[0] == "assemble":
        assemble(*argv[1:])
        return 0
    if len(argv) in (3, 4) and argv[0] == "oracle":
        print(json.dumps(oracle(*argv[1:])))
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
