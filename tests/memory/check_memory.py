#!/usr/bin/env python3
"""check_memory.py - memory data end to end: real files made now by
memory_profiler (Debian's python3-memory-profiler) on a script that
allocates known amounts, read by pstatsviz and compared with what
memory_profiler's own Python API reads from them (mprof.read_mprofile_file;
the line report parsed here by its columns), through `pstatsviz export
--format json` and through the HTTP API.  Then the old report format,
truncated files, absurd numbers, gzip, and a recording of a million
samples (in bounded time: the speed is bench/memory's).

usage: check_memory.py PSTATSVIZ
"""
import gzip
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import Server, check, tally  # noqa: E402

EXE = os.path.abspath(sys.argv[1])
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                      "rasa_maxsize1000.prof")
OLD_REPORT = ("Filename: old.py\n\n"
              "Line #    Mem usage    Increment   Line Contents\n"
              "================================================\n"
              "     3     9.50 MB      0.00 MB   @profile\n"
              "     4                             def old():\n"
              "     5    19.50 MB     10.00 MB       y = [0] * 2**20\n\n\n")
TMP = tempfile.mkdtemp(prefix="pstatsviz-memory-")

# The script: 10 MiB of list, then 20 MiB of bytearray, in a decorated
# function, twice; a child process that holds 30 MiB for a moment.
SCRIPT = '''import subprocess, sys, time
try:
    profile
except NameError:
    def profile(f):
        return f


@profile
def grow():
    a = [0] * (10 * 1024 * 1024 // 8)
    b = bytearray(20 * 1024 * 1024)
    del a
    time.sleep(0.2)
    return len(b)


def main():
    for _ in range(2):
        grow()
    if "--child" in sys.argv:
        subprocess.run([sys.executable, "-c",
                        "import time; x = bytearray(30 << 20); time.sleep(0.6)"])


if __name__ == "__main__":
    main()
'''


def memory_python():
    """A Python that has memory_profiler: this one, or Debian's."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run(
                [py, "-c", "import memory_profiler, mprof"],
                stderr=subprocess.DEVNULL).returncode == 0:
            return py
    return None


def run(args, timeout=300):
    return subprocess.run(args, capture_output=True, cwd=TMP, timeout=timeout)


def export(path):
    r = run([EXE, "export", "--format", "json", path])
    if r.returncode:
        raise RuntimeError("export %s: %s" % (path, r.stderr.decode()))
    return json.loads(r.stdout)


def mprof_reads(py, path):
    """What mprof.read_mprofile_file reads, as JSON (floats as repr)."""
    code = ("import json, sys, mprof\n"
            "d = mprof.read_mprofile_file(sys.argv[1])\n"
            "print(json.dumps({'mem': d['mem_usage'], 't': d['timestamp'],\n"
            "  'funcs': d['func_timestamp'], 'cmd': d['cmd_line'],\n"
            "  'children': {k: v for k, v in d['children'].items()}}))\n")
    return json.loads(subprocess.check_output([py, "-c", code, path]))


def parse_report(text):
    """The line report by memory_profiler's own columns (show_results'
    template): [{file, rows: [(line, mem, inc, occ, text)]}]."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if not lines[i].startswith("Filename: "):
            i += 1
            continue
        f = {"file": lines[i][10:], "rows": []}
        i += 4  # blank, header, rule
        while i < len(lines) and lines[i]:
            row = lines[i]
            num, rest = row[:6], row[6:]
            if rest[:41].strip():
                mem = float(rest[1:13].split()[0])
                inc = float(rest[14:26].split()[0])
                occ = int(rest[28:38])
                f["rows"].append((int(num), mem, inc, occ, rest[41:]))
            else:
                f["rows"].append((int(num), None, None, None, rest[41:]))
            i += 1
        out.append(f)
    return out


def check_mprof(py, rec, name):
    ours, theirs = export(rec), mprof_reads(py, rec)
    check([[m, t] for m, t in zip(theirs["mem"], theirs["t"])] == ours["mem"],
          name + ": every sample as read_mprofile_file reads it",
          (len(ours["mem"]), len(theirs["mem"])))
    check(ours["samples"] == len(theirs["mem"]) and
          ours["peak"]["mib"] == max(theirs["mem"]), name + ": the count and the peak")
    funcs = {}
    for f in ours["funcs"]:
        funcs.setdefault(f["name"], []).append(
            [f["start_t"], f["end_t"], f["start_mib"], f["end_mib"], f["level"]])
    check(funcs == theirs["funcs"], name + ": FUNC brackets", (funcs, theirs["funcs"]))
    times = theirs["t"] + [t for calls in theirs["funcs"].values() for c in calls for t in c[:2]]
    check([ours["start_t"], ours["end_t"]] == [min(times), max(times)],
          name + ": the span covers the samples and the FUNC brackets",
          ([ours["start_t"], ours["end_t"]], [min(times), max(times)]))
    check(ours["cmdline"] == theirs["cmd"].rstrip("\n"), name + ": the command line")
    chld = {k: [list(x) for x in v] for k, v in theirs["children"].items()}
    check(ours["chld"] == chld, name + ": the children's samples",
          (list(ours["chld"]), list(chld)))
    return ours


def real_files(py):
    script = os.path.join(TMP, "alloc.py")
    with open(script, "w") as f:
        f.write(SCRIPT)
    r = run([py, "-m", "memory_profiler", "alloc.py"])
    check(r.returncode == 0, "memory_profiler's line report runs", r.stderr[-500:])
    report = os.path.join(TMP, "alloc.mem.txt")
    with open(report, "wb") as f:
        f.write(r.stdout)
    rec = os.path.join(TMP, "alloc.mprof.dat")
    r = run([py, "-m", "mprof", "run", "-o", rec, "alloc.py"])
    check(r.returncode == 0, "mprof run runs", r.stderr[-500:])
    children = os.path.join(TMP, "children.mprof.dat")
    r = run([py, "-m", "mprof", "run", "--multiprocess", "-o", children, "alloc.py", "--child"])
    check(r.returncode == 0, "mprof run --multiprocess runs", r.stderr[-500:])
    prof = os.path.join(TMP, "alloc.prof")
    r = run([sys.executable, "-m", "cProfile", "-o", prof, "alloc.py"])
    check(r.returncode == 0, "cProfile runs", r.stderr[-500:])
    return report, rec, children, prof


def check_report(report):
    with open(report) as f:
        theirs = parse_report(f.read())
    ours = export(report)
    check(len(ours["functions"]) == len(theirs) == 1, "the report has one function")
    f, t = ours["functions"][0], theirs[0]
    check(f["file"] == t["file"] and f["name"] == "grow", "file and name", (f["file"], f["name"]))
    rows = [(x["line"], x["mem"], x["inc"], x["occ"], x["text"]) for x in f["lines"]]
    check(rows == t["rows"], "every row as its columns read", (rows, t["rows"]))
    incs = {x["text"].strip(): x["inc"] for x in f["lines"] if x["inc"] is not None}
    big = incs.get("b = bytearray(20 * 1024 * 1024)")
    check(big is not None and 15 <= big <= 45, "the 20 MiB bytearray shows (twice: 40 MiB)",
          incs)
    # The first measured row is the entry: its increment is the memory at
    # entry, never the line that grew most.
    after_entry = [x for x in f["lines"] if x["inc"] is not None][1:]
    best = max(after_entry, key=lambda x: x["inc"])
    check(f["max_inc_line"] == best["line"] and best["inc"] > 0,
          "max_inc_line is the largest increment after the entry", (f["max_inc_line"], best))
    check(ours["peak_mib"] == max(x["mem"] for x in f["lines"] if x["mem"] is not None),
          "peak_mib")
    return ours


def check_http(report, rec, prof, ours_report, ours_rec):
    srv = Server(EXE, os.path.join(TMP, "h.db"))
    try:
        data = {p: open(p, "rb").read() for p in (report, rec, prof)}
        s, _, first = srv.json("POST", "/api/profiles?name=alloc.prof", data[prof])
        pid = first["id"]
        _, h0, _ = srv.request("GET", "/api/profiles/" + pid)
        s, _, up = srv.json("POST", "/api/profiles?name=alloc.mprof.dat&attach=" + pid, data[rec])
        check(s == 201 and up["kind"] == "mprof" and up["attached_to"] == pid and
              up["url"] == "/p/%s?mem=%s" % (pid, up["id"]) and up["delete_token"] and
              up["samples"] == ours_rec["samples"] and up["peak_mib"] == ours_rec["peak"]["mib"],
              "upload an mprof recording, attached", (s, up))
        mid = up["id"]
        s, _, rec_doc = srv.json("GET", "/api/memory/" + mid)
        expect = {k: v for k, v in ours_rec.items() if k not in ("mem", "chld", "name", "created")}
        got = {k: v for k, v in rec_doc.items() if k not in ("created", "name")}
        expect["attached_to"] = [pid]
        check(s == 200 and got == expect, "GET /api/memory/<id> is the export's record",
              (got, expect))
        s, _, smp = srv.json("GET", "/api/memory/%s/samples?width=7" % mid)
        mem = ours_rec["mem"]
        t0, t1 = ours_rec["start_t"], ours_rec["end_t"]  # the span, FUNC brackets included
        buckets = [None] * 7
        for m, t in mem:
            b = min(int((t - t0) / (t1 - t0) * 7), 6)
            lo, hi = buckets[b][1:] if buckets[b] else (m, m)
            buckets[b] = [t0 + (t1 - t0) * b / 7, min(lo, m), max(hi, m)]
        check(s == 200 and smp["width"] == 7 and smp["t0"] == t0 and smp["t1"] == t1 and
              [b and b[1:] for b in smp["main"]] == [b and b[1:] for b in buckets],
              "samples: min and max per bucket", (smp, buckets))
        check(smp["children"] is not None if ours_rec["chld"] else smp["children"] is None,
              "samples: children when there are some")
        s, _, again = srv.json("POST", "/api/profiles", data[rec])
        check(s == 200 and "delete_token" not in again and again["attached_to"] is None,
              "the same bytes again: 200, no token", (s, again))
        s, _, up2 = srv.json("POST", "/api/profiles?attach=" + pid, data[report])
        check(s == 201 and up2["kind"] == "lines" and up2["functions"] == 1,
              "upload a line report, attached", (s, up2))
        s, h1, meta = srv.json("GET", "/api/profiles/" + pid)
        check([m["id"] for m in meta["memory"]] == [mid, up2["id"]] and
              meta["memory"][1]["peak_mib"] == ours_report["peak_mib"],
              "the profile lists its memory data, oldest first", meta.get("memory"))
        check(h0.get("etag") != h1.get("etag"), "attaching changes the profile's ETag",
              (h0.get("etag"), h1.get("etag")))
        s, _, rows = srv.json("GET", "/api/profiles/%s/functions?sort=mem_inc&limit=5" % pid)
        top = rows["rows"][0]
        func = ours_report["functions"][0]
        # The first measured row is the entry (the def line): its increment
        # is the memory in use at entry, not growth.
        total = sum([x["inc"] for x in func["lines"] if x["inc"] is not None][1:])
        check(s == 200 and top["name"] == "grow" and abs(top["mem_inc"] - total) < 1e-9 and
              all(r["mem_inc"] is None for r in rows["rows"][1:]),
              "sort=mem_inc: the function with line data first", rows["rows"][:2])
        s, _, rows = srv.json("GET", "/api/profiles/%s/functions?sort=mem_inc&order=asc" % pid)
        check(rows["rows"][0]["name"] == "grow", "sort=mem_inc asc: data still first")
        s, _, detail = srv.json("GET", "/api/profiles/%s/functions/%d" % (pid, top["fid"]))
        m = detail.get("memory") or {}
        check(s == 200 and m.get("mem_id") == up2["id"] and
              m.get("first_line") == func["first_line"] and m.get("lines") == func["lines"],
              "the function's detail has its lines' memory", m)
        # A report made in another checkout matches by the file name and the
        # line range, as the source lookup finds a recorded path under a
        # root: the profile says /workspaces/app/alloc.py, the report
        # /elsewhere/checkout/alloc.py.
        def moved_key(k):
            return ("/workspaces/app/" + k[0] if k[0] == "alloc.py" else k[0],) + tuple(k[1:])
        stats = marshal.loads(data[prof])
        prof2 = marshal.dumps({moved_key(k): v[:4] + ({moved_key(c): e for c, e in v[4].items()},)
                               for k, v in stats.items()})
        moved = re.sub(rb"(?m)^Filename: (?:.*/)?", b"Filename: /elsewhere/checkout/", data[report])
        s, _, second = srv.json("POST", "/api/profiles?name=alloc-moved.prof", prof2)
        s, _, up3 = srv.json("POST", "/api/profiles?attach=" + second["id"], moved)
        s, _, found = srv.json("GET", "/api/profiles/%s/functions?q=grow" % second["id"])
        grow = ([r for r in found["rows"] if r["name"] == "grow"] or [{"file": None, "fid": 0}])[0]
        s, _, detail = srv.json("GET", "/api/profiles/%s/functions/%d" % (second["id"], grow["fid"]))
        m = detail.get("memory") or {}
        check(grow["file"] == "/workspaces/app/alloc.py" and b"/elsewhere/checkout/" in moved and
              up3.get("kind") == "lines" and m.get("mem_id") == up3["id"],
              "a report from another checkout matches by file name and lines", (grow, up3, m))
        s, _, d = srv.json("GET", "/api/diff?a=%s&b=%s" % (pid, pid))
        mm = d.get("memory") or {}
        check(s == 200 and mm.get("a", {}).get("mem_id") == mid and mm.get("change") == 0.0 and
              [f["name"] for f in mm.get("functions", [])] == ["grow"],
              "the diff's memory: peaks, change, paired functions", mm)
        # another profile: memory attached only to it goes with it
        with open(SAMPLE, "rb") as f:
            s, _, other = srv.json("POST", "/api/profiles?name=other", f.read())
        s, _, _ = srv.json("POST", "/api/profiles?attach=" + other["id"], data[report])
        s, _, only = srv.json("POST", "/api/profiles?attach=" + other["id"], OLD_REPORT.encode())
        check(s == 201, "a second line report, attached to the other profile only", only)
        s, _, d = srv.json("GET", "/api/diff?a=%s&b=%s" % (pid, other["id"]))
        check(s == 200 and d["memory"]["b"]["mem_id"] == up2["id"],
              "the other run's peak is its first report's", d.get("memory"))
        s, _, _ = srv.json("DELETE", "/api/profiles/" + other["id"],
                           headers={"Authorization": "Bearer " + other["delete_token"]})
        check(s == 204, "the other profile deleted", s)
        s1, _, _ = srv.json("GET", "/api/memory/" + only["id"])
        s2, _, kept = srv.json("GET", "/api/memory/" + up2["id"])
        check(s1 == 404 and s2 == 200 and kept["attached_to"] == [pid],
              "memory attached only to it went with it; the shared one stayed", (s1, s2, kept))
        s, _, _ = srv.json("POST", "/api/profiles?attach=" + "0" * 32, data[report])
        check(s == 404, "attach= to no profile: 404", s)
        s, _, _ = srv.json("POST", "/api/profiles?attach=nothex", data[report])
        check(s == 400, "attach= malformed: 400", s)
        s, _, _ = srv.json("POST", "/api/profiles?attach=" + pid, data[prof])
        check(s == 400, "attach= with a stats file: 400", s)
        s, _, e = srv.json("POST", "/api/profiles", b"hello\n")
        check(s == 422 and e["error"]["code"] == "not_a_profile" and
              "nor a memory_profiler report" in e["error"]["message"], "neither: 422", e)
        # deleting
        s, _, _ = srv.json("DELETE", "/api/memory/" + mid, headers={"Authorization": "Bearer x"})
        check(s == 403, "a wrong token: 403", s)
        s, _, _ = srv.json("DELETE", "/api/memory/" + "0" * 32,
                           headers={"Authorization": "Bearer x"})
        check(s == 404, "an unknown id: 404", s)
        s, _, _ = srv.json("DELETE", "/api/memory/" + mid,
                           headers={"Authorization": "Bearer " + up["delete_token"]})
        check(s == 204, "its own token deletes it", s)
        s, _, _ = srv.json("GET", "/api/memory/" + mid)
        check(s == 404, "deleted: 404", s)
        s, _, gz = srv.json("POST", "/api/profiles",
                            gzip.compress(data[rec]), {"Content-Encoding": "gzip"})
        check(s == 201 and gz["id"] == mid and gz["attached_to"] is None,
              "a gzip upload is the same record (its inflated bytes' id)", (s, gz))
        s, _, _ = srv.json("DELETE", "/api/memory/" + up2["id"],
                           headers={"Authorization": "Bearer wrong"})
        check(s == 403, "the report: a wrong token", s)
        s, _, _ = srv.json("DELETE", "/api/memory/" + up2["id"],
                           headers={"Authorization": "Bearer " + first["delete_token"]})
        check(s == 204, "the token of the profile it is attached to deletes it", s)
        s, _, meta = srv.json("GET", "/api/profiles/" + pid)
        check(meta["memory"] == [], "the profile shows none now", meta["memory"])
    finally:
        code, log = srv.stop()
        check(code == 0, "the server stops cleanly", log[-1000:])


def refused():
    cases = [
        ("truncated.dat", b"CMDLINE x\nMEM 1.5 100.0\nMEM 2.", "line 3: expected"),
        ("absurd.dat", b"MEM 1e20 100.0\n", "line 1: expected"),
        ("negative_time.dat", b"MEM 1.0 -5\n", "line 1: expected"),
        ("nan.dat", b"MEM nan 5\n", "line 1: expected"),
        ("truncated.txt", b"Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences"
         b"   Line Contents\n=====", "line 4: expected a rule"),
        ("neither.txt", b"hello\n",
         "neither a stats file, an mprof recording nor a memory_profiler report"),
    ]
    for name, data, message in cases:
        path = os.path.join(TMP, name)
        with open(path, "wb") as f:
            f.write(data)
        r = run([EXE, "export", "--format", "json", path])
        err = r.stderr.decode()
        check(r.returncode != 0 and message in err and err.count("\n") == 1,
              "refused with one line: " + name, err)


def old_format():
    text = OLD_REPORT
    path = os.path.join(TMP, "old.txt")
    with open(path, "w") as f:
        f.write(text)
    d = export(path)
    f = d["functions"][0]
    check(d["unit"] == "MB" and f["name"] == "old" and f["max_inc_line"] == 5 and
          [x["occ"] for x in f["lines"]] == [None, None, None] and
          f["lines"][2]["inc"] == 10.0 and f["lines"][1]["text"] == "def old():",
          "the old format: MB, no Occurrences", d)


def million_samples():
    path = os.path.join(TMP, "million.dat")
    with open(path, "w") as f:
        f.write("CMDLINE python big.py\n")
        for i in range(1000000):
            f.write("MEM %.6f %.4f\n" % (100 + (i % 1000) / 7, 1.7e9 + i / 100))
    r = run([EXE, "import", "--db", os.path.join(TMP, "m.db"), path], timeout=60)
    check(r.returncode == 0 and b"mprof" in r.stdout, "a million samples import",
          r.stderr[-300:])
    d = export(path)
    check(d["samples"] == 1000000 and len(d["mem"]) == 1000000 and
          d["mem"][999999] == [float("%.6f" % (100 + 999 / 7)),
                               float("%.4f" % (1.7e9 + 999999 / 100))],
          "a million samples export, the last exact", d["mem"][-1])


def main():
    py = memory_python()
    check(py is not None, "a Python with memory_profiler (python3-memory-profiler)")
    if py is None:
        return tally()
    report, rec, children, prof = real_files(py)
    ours_rec = check_mprof(py, rec, "mprof run")
    check(len(ours_rec["funcs"]) == 2, "both calls of the @profile function were bracketed",
          ours_rec["funcs"])
    ours_children = check_mprof(py, children, "mprof run --multiprocess")
    check(len(ours_children["chld"]) >= 1, "the child process was recorded",
          list(ours_children["chld"]))
    ours_report = check_report(report)
    gz = rec + ".gz"
    with open(rec, "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    check(export(gz)["mem"] == ours_rec["mem"], "a gzip recording exports alike")
    check_http(report, rec, prof, ours_report, ours_rec)
    refused()
    old_format()
    million_samples()
    return tally()


if __name__ == "__main__":
    try:
        status = main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
