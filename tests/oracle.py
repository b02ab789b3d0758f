#!/usr/bin/env python3
"""What Python's own pstats reads from a stats file, as canonical JSON.

The tests compare pstatsviz against this, file by file, at test time.

usage:
    oracle.py FILE                      canonical JSON of the whole profile
    oracle.py FILE --top N [--sort KEY] the rows print_stats(N) prints, as JSON
                                        (KEY: pstats sort keys, comma separated;
                                        default cumulative)
    oracle.py FILE --check              {"ok": true, "reader", "functions",
                                        "edges", "warnings"}: does it load?
    oracle.py FILE --compat             read with our decoder even when
                                        CPython's marshal could (tests the
                                        decoder against marshal)

Exit status 0, or 2 with {"error": "..."} on stdout when the file is
rejected; 1 for a usage error.

Canonical JSON:
    {"reader", "total_calls", "prim_calls", "total_tt",
     "functions": [{"file", "line", "name", "cc", "nc", "tt", "ct"}, ...],
     "edges": [{"caller": [file, line, name], "callee": [file, line, name],
                "cc", "nc", "tt", "ct"}, ...]}
functions sorted by (file, line, name), edges by (caller, callee).  An edge
carries the callee's view of it: nc = calls of callee by caller.  The stats
value on disk is (cc, nc, tt, ct, callers) but a callers value is
(nc, cc, tt, ct): the counts swap places.  A callers value that is a bare
int (the pure-Python `profile` module) gives {"nc": n, "cc": null,
"tt": null, "ct": null}.  Floats are Python's repr; NaN and Infinity are
written bare.  "reader", "total_calls" and "prim_calls" are informational.

How a file is read ("reader" in the output):
  pstats  CPython's marshal.loads reads it; pstats.Stats computes totals,
          sorting and labels from that dict, exactly as pstats.Stats(FILE).
  compat  CPython 3's marshal refuses it (Python 2's 'R' string references,
          a code object of another Python version in a key's name slot) or
          it holds Python 2 byte strings or a code object.  Decoder below reads it; byte
          strings become str (UTF-8, else Latin-1), a code object becomes
          '<code object NAME, file "F", line N>'; then pstats.Stats as above.

A gzip file (first bytes 1f 8b) is inflated first, as pstatsviz does
(src/gunzip.c): members one after another are read in order; a cut
stream, bytes after the last member, or more than 64 MiB inflated are
rejected.  "reader" then says "gzip+pstats" or "gzip+compat".

Before CPython's marshal sees a file of 4 MiB or less, Decoder reads it
once: marshal allocates a container's declared size before reading its
items, so 22 bytes declaring a 2**31-item tuple cost it 16 GiB.  A size
beyond the bytes left, or nesting deeper than CPython's 2000, is rejected
here first.  Bigger files are trusted to marshal (decoding them in Python
would take minutes).

Then the shape is checked strictly (pstats itself is laxer): keys
(str, int, str), values (int, int, number, number, dict), callers values
(int, int, number, number) or a bare int; bool is not a number here.
Well-formed but odd numbers (negative, NaN, beyond int64) load, and
--check lists them as warnings.
"""
import argparse
import io
import json
import marshal
import math
import pstats
import struct
import sys
import types
import zlib

PRESCAN_MAX_BYTES = 4 << 20
MAX_DEPTH = 2000            # CPython's MAX_MARSHAL_STACK_DEPTH
MAX_WARNINGS = 20
INT64_MAX = 2**63 - 1


class Rejected(Exception):
    """The file is not a stats file we accept; the message says why."""


class Unsafe(Rejected):
    """A size or a nesting that CPython's marshal would try to allocate or
    recurse into before noticing the file cannot hold it."""


class CodeObject:
    """The fields of a marshalled code object that name it."""

    def __init__(self, filename, name, firstlineno):
        self.filename = filename
        self.name = name
        self.firstlineno = firstlineno

    def __repr__(self):
        # repr() of a real code object, without its address
        return '<code object %s, file "%s", line %d>' % (
            as_text(self.name), as_text(self.filename), self.firstlineno)


_NULL = object()      # '0': ends a dict; anywhere else an error
_BUILDING = object()  # a FLAG_REF slot whose object is not finished yet
_CONSTANTS = {"0": _NULL, "N": None, "F": False, "T": True, "S": StopIteration, ".": Ellipsis}

# Code object layouts, newest first: (label, leading int32 fields, object
# fields before co_firstlineno, object fields after it).  From CPython's
# marshal.c of each version.
_CODE_LAYOUTS = (
    ("3.11+", 5, ("code", "consts", "names", "localsplusnames", "localspluskinds",
                  "filename", "name", "qualname"), ("linetable", "exceptiontable")),
    ("3.8-3.10", 6, ("code", "consts", "names", "varnames", "freevars", "cellvars",
                     "filename", "name"), ("lnotab",)),
    ("3.0-3.7", 5, ("code", "consts", "names", "varnames", "freevars", "cellvars",
                    "filename", "name"), ("lnotab",)),
    ("2.x", 4, ("code", "consts", "names", "varnames", "freevars", "cellvars",
                "filename", "name"), ("lnotab",)),
)
_CODE_FIELD_TYPES = {
    "code": bytes, "lnotab": bytes, "linetable": bytes, "exceptiontable": bytes,
    "localspluskinds": bytes, "consts": tuple, "names": tuple, "varnames": tuple,
    "freevars": tuple, "cellvars": tuple, "localsplusnames": tuple,
    "filename": (str, bytes), "name": (str, bytes), "qualname": (str, bytes),
}


class Decoder:
    """A bounded reader of every marshal dialect Python 2.x and 3.x write.

    Type codes (bit 0x80 = FLAG_REF, v3+: remember the object in the 'r'
    table, numbered when its type byte is read, so before its children):

      0 NULL (dict end)   N None  F False  T True  S StopIteration  . Ellipsis
      i int32             I int64 (Python 2)       l long: int32 digit count
                                                   (sign = sign), 15-bit digits
      f float as text     g binary double          x / y complex, text / binary
      s bytes             t interned str; Python 2 also lists it for 'R'
      R int32 index into Python 2's 't' list       u UTF-8 (surrogatepass)
      a A ASCII, int32 length   z Z ASCII, byte length
      ( tuple, int32 count  ) tuple, byte count  [ list  { dict  < set  > frozenset
      r int32 index into the FLAG_REF table        c code object   : slice (v5)

    Every size is checked against the bytes left before anything is built,
    and nesting stops at MAX_DEPTH.  A reference returns the same object
    again, never a copy, so reference bombs cost nothing.
    """

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.depth = 0
        self.refs = []      # FLAG_REF table (v3+)
        self.interned = []  # Python 2 't' strings, for 'R'

    def fail(self, at, msg):
        raise Rejected("offset %d: %s" % (at, msg))

    def take(self, n, at):
        if n > len(self.data) - self.pos:
            self.fail(at, "need %d bytes, %d left" % (n, len(self.data) - self.pos))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int32(self):
        at = self.pos
        return struct.unpack("<i", self.take(4, at))[0]

    def size(self, what):
        at = self.pos
        n = self.int32()
        if n < 0:
            self.fail(at, "%s of negative size %d" % (what, n))
        # each item or byte takes at least one byte of input
        if n > len(self.data) - self.pos:
            raise Unsafe("offset %d: %s of %d declared, %d bytes left"
                         % (at, what, n, len(self.data) - self.pos))
        return n

    def read(self):
        """The first object of the data; trailing bytes are ignored, as
        marshal.loads does."""
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 4 * MAX_DEPTH + 1000))
        try:
            v = self.obj()
        finally:
            sys.setrecursionlimit(old)
        if v is _NULL:
            self.fail(0, "NULL object at the top level")
        return v

    def obj(self):
        at = self.pos
        if self.pos >= len(self.data):
            self.fail(at, "end of data where an object was expected")
        code = self.data[self.pos]
        self.pos += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsafe("offset %d: nesting deeper than %d" % (at, MAX_DEPTH))
        slot = None
        if code & 0x80:
            slot = len(self.refs)
            self.refs.append(_BUILDING)
        v = self.dispatch(chr(code & 0x7F), at)
        if slot is not None:
            if v is _NULL:
                self.fail(at, "FLAG_REF on NULL")
            self.refs[slot] = v
        self.depth -= 1
        return v

    def items(self, n, what):
        out = []
        for _ in range(n):
            at = self.pos
            v = self.obj()
            if v is _NULL:
                self.fail(at, "NULL inside a %s" % what)
            out.append(v)
        return out

    def dispatch(self, t, at):
        # the codes of a stats dict first: refs, tuples, strings, numbers
        if t == "r":
            n = self.int32()
            if not 0 <= n < len(self.refs):
                self.fail(at, "reference %d, %d objects remembered" % (n, len(self.refs)))
            if self.refs[n] is _BUILDING:
                self.fail(at, "reference %d to an object still being read" % n)
            return self.refs[n]
        if t == ")":
            return tuple(self.items(self.take(1, at)[0], "tuple"))
        if t in "zZ":
            n = self.take(1, at)[0]
            return self.take(n, at).decode("latin-1")
        if t in _CONSTANTS:
            return _CONSTANTS[t]
        if t == "i":
            return self.int32()
        if t == "I":
            lo, hi = struct.unpack("<Ii", self.take(8, at))
            return hi << 32 | lo
        if t == "l":
            return self.long(at)
        if t == "f":
            return self.text_float(at)
        if t == "g":
            return struct.unpack("<d", self.take(8, at))[0]
        if t == "x":
            return complex(self.text_float(at), self.text_float(at))
        if t == "y":
            return complex(*struct.unpack("<dd", self.take(16, at)))
        if t == "s":
            return self.take(self.size("bytes"), at)
        if t == "t":
            b = self.take(self.size("string"), at)
            try:
                v = b.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                v = b  # a Python 2 str that is not UTF-8: bytes until normalised
            self.interned.append(v)
            return v
        if t == "R":
            n = self.int32()
            if not 0 <= n < len(self.interned):
                self.fail(at, "string reference %d, %d interned so far" % (n, len(self.interned)))
            return self.interned[n]
        if t == "u":
            b = self.take(self.size("unicode string"), at)
            try:
                return b.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError as e:
                self.fail(at, "unicode string is not UTF-8: %s" % e)
        if t in "aA":
            return self.take(self.size("ASCII string"), at).decode("latin-1")
        if t == "(":
            return tuple(self.items(self.size("tuple"), "tuple"))
        if t == "[":
            return self.items(self.size("list"), "list")
        if t == "{":
            return self.dict(at)
        if t in "<>":
            members = self.items(self.size("set"), "set")
            try:
                return frozenset(members) if t == ">" else set(members)
            except TypeError as e:
                self.fail(at, "set member: %s" % e)
        if t == ":":
            return slice(*self.items(3, "slice"))
        if t == "c":
            return self.code(at)
        self.fail(at, "unknown type code 0x%02x" % ord(t))

    def long(self, at):
        n = self.int32()
        if n == -2**31:
            self.fail(at, "long of %d digits" % n)
        count = abs(n)
        # marshal allocates the digits first: 2 bytes each must be there
        if 2 * count > len(self.data) - self.pos:
            raise Unsafe("offset %d: long of %d digits declared, %d bytes left"
                         % (at, count, len(self.data) - self.pos))
        digits = self.take(2 * count, at)
        v = 0
        for i in range(count - 1, -1, -1):
            d = digits[2 * i] | digits[2 * i + 1] << 8
            if d > 0x7FFF:
                self.fail(at, "long digit 0x%04x above 15 bits" % d)
            if i == count - 1 and d == 0:
                self.fail(at, "long with a leading zero digit (unnormalised)")
            v = v << 15 | d
        return -v if n < 0 else v

    def text_float(self, at):
        n = self.take(1, at)[0]
        s = self.take(n, at)
        try:
            return float(s.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            self.fail(at, "float text %r" % s)

    def code(self, at):
        # The layout is not marked in the data: try each, newest first, and
        # forget what a failed attempt remembered.  Reading one version's
        # code object as another's can meet a nonsense size; that only
        # rejects the file if no layout fits.
        start, nrefs, ninterned, depth = self.pos, len(self.refs), len(self.interned), self.depth
        tried, unsafe = [], False
        for label, nints, before, after in _CODE_LAYOUTS:
            self.pos, self.depth = start, depth
            del self.refs[nrefs:]
            del self.interned[ninterned:]
            try:
                for _ in range(nints):
                    self.int32()
                fields = {f: self.obj() for f in before}
                firstlineno = self.int32()
                fields.update((f, self.obj()) for f in after)
                wrong = [f for f, v in fields.items() if not isinstance(v, _CODE_FIELD_TYPES[f])]
                if wrong:
                    raise Rejected("%s is %s" % (wrong[0], type(fields[wrong[0]]).__name__))
                return CodeObject(fields["filename"], fields["name"], firstlineno)
            except Rejected as e:
                unsafe = unsafe or isinstance(e, Unsafe)
                tried.append("%s: %s" % (label, e))
        msg = "offset %d: code object in no known layout (%s)" % (at, "; ".join(tried))
        raise Unsafe(msg) if unsafe else Rejected(msg)

    def dict(self, at):
        d = {}
        while True:
            k = self.obj()
            if k is _NULL:
                return d
            v_at = self.pos
            v = self.obj()
            if v is _NULL:
                self.fail(v_at, "NULL as a dict value")
            try:
                d[k] = v
            except TypeError as e:
                self.fail(at, "dict key: %s" % e)


def as_text(v):
    """A Python 2 str (bytes) as text: UTF-8 if it is, else Latin-1."""
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("latin-1")
    return v


# ---- shape ---------------------------------------------------------------

def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def is_num(x):
    return is_int(x) or isinstance(x, float)


def short(x, n=120):
    s = repr(x)
    return s if len(s) <= n else s[:n] + "..."


class Normaliser:
    """Checks the shape and turns bytes and code objects into str; notes
    whether anything was turned."""

    def __init__(self):
        self.changed = False

    def text(self, v):
        if isinstance(v, str):
            return v
        if isinstance(v, (bytes, CodeObject)):
            self.changed = True
            return as_text(v) if isinstance(v, bytes) else repr(v)
        if isinstance(v, types.CodeType):
            # `python -m profile` on this very Python: marshal reads the
            # code object in ('profile', 0, <code>) itself
            self.changed = True
            return repr(CodeObject(v.co_filename, v.co_name, v.co_firstlineno))
        raise Rejected("expected a string, found %s" % type(v).__name__)

    def key(self, k):
        if not isinstance(k, tuple) or len(k) != 3:
            raise Rejected("function key is not (file, line, name): %s" % short(k))
        if not is_int(k[1]):
            raise Rejected("line number is not an int in %s" % short(k))
        return (self.text(k[0]), k[1], self.text(k[2]))

    def stats(self, obj):
        if not isinstance(obj, dict):
            raise Rejected("top level is %s, expected a dict" % type(obj).__name__)
        out = {}
        for k, v in obj.items():
            key = self.key(k)
            if not isinstance(v, tuple) or len(v) != 5:
                raise Rejected("value of %s is not (cc, nc, tt, ct, callers)" % short(key))
            cc, nc, tt, ct, callers = v
            if not (is_int(cc) and is_int(nc) and is_num(tt) and is_num(ct)):
                raise Rejected("value of %s is not numbers: %s" % (short(key), short(v[:4])))
            if not isinstance(callers, dict):
                raise Rejected("callers of %s is %s, expected a dict"
                               % (short(key), type(callers).__name__))
            out_callers = {}
            for ck, cv in callers.items():
                ckey = self.key(ck)
                if isinstance(cv, tuple):
                    if len(cv) != 4 or not (is_int(cv[0]) and is_int(cv[1]) and
                                            is_num(cv[2]) and is_num(cv[3])):
                        raise Rejected("call %s -> %s is not (nc, cc, tt, ct)"
                                       % (short(ckey), short(key)))
                elif not is_int(cv):
                    raise Rejected("call %s -> %s is %s"
                                   % (short(ckey), short(key), type(cv).__name__))
                if ckey in out_callers:
                    raise Rejected("two callers read as %s" % short(ckey))
                out_callers[ckey] = cv
            if key in out:
                raise Rejected("two functions read as %s" % short(key))
            out[key] = (cc, nc, tt, ct, out_callers)
        return out


def warnings(stats):
    """One line per function holding a number pstats takes but no profiler
    writes: not finite, negative, beyond int64."""
    found = []
    for k, (cc, nc, tt, ct, callers) in stats.items():
        numbers = [cc, nc, tt, ct]
        for cv in callers.values():
            numbers.extend(cv if isinstance(cv, tuple) else (cv,))
        for x in numbers:
            if isinstance(x, float) and not math.isfinite(x):
                found.append("non-finite number in %r" % (k,))
                break
            if x < 0:
                found.append("negative number in %r" % (k,))
                break
            if is_int(x) and x > INT64_MAX:
                found.append("integer above int64 in %r" % (k,))
                break
    return found


# ---- reading ---------------------------------------------------------------

class _Given:
    """Hands a dict to pstats.Stats: load_stats() takes any object with
    create_stats() and a .stats attribute, as it does a Profile."""

    def __init__(self, stats):
        self.stats = stats

    def create_stats(self):
        pass


def to_pstats(stats):
    if not stats:
        # pstats.Stats refuses it too ("Cannot create or construct ...")
        raise Rejected("the stats dict is empty")
    return pstats.Stats(_Given(stats), stream=io.StringIO())


GUNZIP_MAX_BYTES = 64 << 20


def gunzip(data):
    """The inflated bytes of gzip data, member after member; Rejected if it
    is cut short, has bytes after its last member, or inflates to more
    than GUNZIP_MAX_BYTES."""
    out, size = [], 0
    while data:
        if data[:2] != b"\x1f\x8b":
            raise Rejected("gzip: bytes after the end of the data are not another gzip member")
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while data and not d.eof:
                chunk = d.decompress(data, GUNZIP_MAX_BYTES + 1 - size)
                size += len(chunk)
                out.append(chunk)
                if size > GUNZIP_MAX_BYTES:
                    raise Rejected("gzip: it inflates to more than %d bytes" % GUNZIP_MAX_BYTES)
                data = d.unconsumed_tail
        except zlib.error as e:
            raise Rejected("gzip: %s" % e)
        if not d.eof:
            raise Rejected("gzip: the data ends early")
        data = d.unused_data
    return b"".join(out)


def load(data, compat=False):
    """(pstats.Stats, reader) for the bytes of a stats file; Rejected if
    they are not one."""
    if data[:2] == b"\x1f\x8b":
        st, reader = load(gunzip(data), compat)
        return st, "gzip+" + reader
    if not data:
        raise Rejected("empty file")
    if not compat:
        if len(data) <= PRESCAN_MAX_BYTES:
            try:
                Decoder(data).read()
            except Unsafe:
                raise
            except Rejected:
                pass  # marshal decides; it may know better (or fail the same way)
        try:
            obj = marshal.loads(data)
        except (ValueError, EOFError, TypeError) as e:
            cpython_error = "%s: %s" % (type(e).__name__, e)
        else:
            norm = Normaliser()
            stats = norm.stats(obj)
            if norm.changed:
                return to_pstats(stats), "compat"
            return to_pstats(obj), "pstats"
    else:
        cpython_error = None
    try:
        obj = Decoder(data).read()
    except Unsafe:
        raise
    except Rejected as e:
        if cpython_error:
            raise Rejected("%s (CPython's marshal: %s)" % (e, cpython_error))
        raise
    return to_pstats(Normaliser().stats(obj)), "compat"


# ---- output ----------------------------------------------------------------

def canonical(st, reader):
    functions, edges = [], []
    for callee, (cc, nc, tt, ct, callers) in st.stats.items():
        functions.append({"file": callee[0], "line": callee[1], "name": callee[2],
                          "cc": cc, "nc": nc, "tt": tt, "ct": ct})
        for caller, v in callers.items():
            if isinstance(v, tuple):
                e_nc, e_cc, e_tt, e_ct = v
            else:
                e_nc, e_cc, e_tt, e_ct = v, None, None, None
            edges.append({"caller": list(caller), "callee": list(callee),
                          "cc": e_cc, "nc": e_nc, "tt": e_tt, "ct": e_ct})
    functions.sort(key=lambda f: (f["file"], f["line"], f["name"]))
    edges.sort(key=lambda e: (e["caller"], e["callee"]))
    return {"reader": reader, "total_calls": st.total_calls, "prim_calls": st.prim_calls,
            "total_tt": st.total_tt, "functions": functions, "edges": edges}


def top(st, reader, n, keys):
    """The rows print_stats(n) prints after sort_stats(*keys), as numbers."""
    st.sort_stats(*keys)
    rows = []
    for func in st.fcn_list[:n]:
        cc, nc, tt, ct, _ = st.stats[func]
        rows.append({
            "ncalls": str(nc) if nc == cc else str(nc) + "/" + str(cc),  # as print_stats
            "tottime": tt,
            "percall_tottime": tt / nc if nc else None,
            "cumtime": ct,
            "percall_cumtime": ct / cc if cc else None,
            "function": pstats.func_std_string(func),
            "file": func[0], "line": func[1], "name": func[2],
        })
    return {"reader": reader, "sort": list(keys), "sort_type": st.sort_type,
            "total_calls": st.total_calls, "prim_calls": st.prim_calls,
            "total_tt": st.total_tt, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only say whether and how it loads")
    mode.add_argument("--top", type=int, metavar="N", help="the first N rows print_stats prints")
    ap.add_argument("--sort", default="cumulative", help="with --top: pstats sort keys, comma separated")
    ap.add_argument("--compat", action="store_true", help="always read with our decoder")
    a = ap.parse_args(argv)
    try:
        with open(a.file, "rb") as f:
            data = f.read()
        st, reader = load(data, a.compat)
    except (Rejected, OSError) as e:
        out = {"error": str(e)}
    except Exception as e:  # pstats itself gave up on a well-shaped dict
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    else:
        if a.check:
            out = {"ok": True, "reader": reader, "functions": len(st.stats),
                   "edges": sum(len(v[4]) for v in st.stats.values()),
                   "warnings": warnings(st.stats)[:MAX_WARNINGS]}
        elif a.top is not None:
            out = top(st, reader, a.top, [k.strip() for k in a.sort.split(",") if k.strip()])
        else:
            out = canonical(st, reader)
    json.dump(out, sys.stdout, ensure_ascii=True, allow_nan=True)
    sys.stdout.write("\n")
    return 2 if "error" in out else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into head
        sys.exit(0)
