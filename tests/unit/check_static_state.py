#!/usr/bin/env python3
"""No module of the core library keeps mutable static state.

Uploads are parsed on threads of their own and reads are answered on a pool,
so a writable static (a sort context, a reused buffer) is a data race waiting
for two requests.  This reads the symbol tables of the library's objects and
fails on any object placed in .data or .bss: constants live in .rodata (or
.data.rel.ro, for tables of pointers), and state belongs to a struct that its
owner passes along.

usage: check_static_state.py LIBRARY.a
"""
import re
import subprocess
import sys

# Writable data sections: .data, .bss and their -fdata-sections variants, but
# not .data.rel.ro (read-only after relocation) nor .tbss/.tdata (per thread).
WRITABLE = re.compile(r"^\.(data|bss)(\.(?!rel\.ro).*)?$")
# What the sanitizers add beside each global (AddressSanitizer's one-definition
# markers and the like) is theirs, not ours.
SANITIZER = re.compile(r"^__(odr_asan|asan|ubsan|tsan|sancov)")


def main():
    lib = sys.argv[1]
    out = subprocess.run(["objdump", "-t", lib], check=True, capture_output=True,
                         text=True).stdout
    member, found, checked = None, [], 0
    for line in out.splitlines():
        m = re.match(r"^(\S+\.o):\s+file format", line)
        if m:
            member = m.group(1)
            checked += 1
            continue
        parts = line.split()
        # 0000000000000000 l     O .bss	0000000000001000 title.0
        if (len(parts) >= 6 and parts[2] == "O" and WRITABLE.match(parts[3]) and
                not SANITIZER.match(parts[-1])):
            found.append("%s: %s (%s, %d bytes)" % (member, parts[-1], parts[3],
                                                    int(parts[4], 16)))
    for f in found:
        print("FAIL mutable static state: " + f)
    if checked == 0:
        print("FAIL no object files read from %s" % lib)
    print("%d passed, %d failed" % (checked, len(found) + (checked == 0)))
    return 1 if found or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
