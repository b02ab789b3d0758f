#!/usr/bin/env python3
"""Write the big mechanical inputs of tests/corpus/malformed/.

usage: malformed_big.py OUTDIR [NAME ...]     (default: all of them)
       malformed_big.py --list

They are 200 KB to 1.9 MB of repetition, so they are written at test time
instead of committed.  Each is spelled out byte by byte here (no
marshal.dumps, whose FLAG_REF choices follow reference counts), so every
run on every Python writes the same bytes; tests/corpus/malformed/README.md
gives their sha256 and what a reader must do with them.
"""
import os
import struct
import sys

DEPTH = 100000


def deep_tuples():
    # ')' small tuple of 1 item, 100,000 times, around a None
    return b")\x01" * DEPTH + b"N"


def deep_lists():
    # '[' list of 1 item (int32 count)
    return b"[\x01\x00\x00\x00" * DEPTH + b"N"


def deep_dicts():
    # '{' key None, value: the next dict; each closed by '0' at the end
    return b"{N" * DEPTH + b"N" + b"0" * DEPTH


def shared_huge_string_refs():
    """20,000 functions in one 1 MiB file: the name is written once and
    referenced ('r') after that, as marshal.dumps of a dict that holds the
    same str object 20,000 times writes it (v4, FLAG_REF = 0x80)."""
    def i32(v):
        return struct.pack("<i", v)

    big = "/x" * (1 << 19)
    out = [b"\xfb"]                                    # '{' | FLAG_REF: ref 0
    nrefs = 1
    big_ref = one_ref = float_ref = None
    for i in range(20000):
        line = i + 1
        key = [b")\x03"]
        if big_ref is None:
            key.append(b"\xe1" + i32(len(big)) + big.encode("ascii"))   # 'a' | FLAG_REF
            big_ref, nrefs = nrefs, nrefs + 1
        else:
            key.append(b"r" + i32(big_ref))
        if line <= 256:
            # CPython caches ints up to 256, so they are shared: FLAG_REF
            key.append(b"\xe9" + i32(line))
            if line == 1:
                one_ref = nrefs
            nrefs += 1
        else:
            key.append(b"i" + i32(line))
        name = ("f%d" % i).encode("ascii")
        key.append(b"z" + bytes([len(name)]) + name)
        value = [b")\x05", b"r" + i32(one_ref), b"r" + i32(one_ref)]
        if float_ref is None:
            value.append(b"\xe7" + struct.pack("<d", 1e-6))               # 'g' | FLAG_REF
            float_ref, nrefs = nrefs, nrefs + 1
        else:
            value.append(b"r" + i32(float_ref))
        value.append(b"r" + i32(float_ref))
        value.append(b"{0")                                           # no callers
        out.extend(key)
        out.extend(value)
    out.append(b"0")
    return b"".join(out)


FILES = {
    "deep_tuples_100000.prof": deep_tuples,
    "deep_lists_100000.prof": deep_lists,
    "deep_dicts_100000.prof": deep_dicts,
    "shared_huge_string_refs.prof": shared_huge_string_refs,
}


def main(argv):
    if argv == ["--list"]:
        print("\n".join(FILES))
        return 0
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 1
    outdir, names = argv[0], argv[1:] or list(FILES)
    unknown = [n for n in names if n not in FILES]
    if unknown:
        print("malformed_big.py: no generator for %s" % ", ".join(unknown), file=sys.stderr)
        return 1
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        path = os.path.join(outdir, name)
        tmp = path + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(FILES[name]())
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
