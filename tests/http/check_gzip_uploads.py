#!/usr/bin/env python3
"""Gzipped uploads (issue 14, point 12): the server inflates a body whose
first bytes are gzip's, raw or as the file part of multipart/form-data,
however the network cuts it into pieces, and stores what it inflates to:
the same id as the plain file.  What it inflates to is held to
--max-upload: a small bomb gets 413 with a JSON error (docs/API.md); a
cut stream or bytes after its end get 422 not_a_profile.

usage: check_gzip_uploads.py PSTATSVIZ SAMPLE.prof
"""
import gzip
import os
import shutil
import socket
import sys
import tempfile
import time
import json

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import Server, check, tally  # noqa: E402


def multipart(data, filename):
    b = "pv-gzip-boundary"
    body = (b"--" + b.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"" + filename.encode() + b"\"\r\nContent-Type: application/gzip\r\n\r\n"
            + data + b"\r\n--" + b.encode() + b"--\r\n")
    return body, {"Content-Type": "multipart/form-data; boundary=" + b}


def trickled(port, body, first):
    """POST body raw, its first `first` bytes in a packet of their own: the
    server sees the gzip magic split across pieces.  (status, JSON)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"POST /api/profiles HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  b"application/octet-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                  % len(body))
        time.sleep(0.2)
        s.sendall(body[:first])
        time.sleep(0.2)
        s.sendall(body[first:])
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    try:
        return status, json.loads(rest)
    except ValueError:
        return status, rest[:200]


def main():
    exe, sample = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="pv-gzip-uploads-")
    raw = open(sample, "rb").read()
    packed = gzip.compress(raw, mtime=0)
    srv = Server(exe, os.path.join(tmp, "t.db"), "--max-upload", "1M")
    try:
        status, _, plain = srv.json("POST", "/api/profiles?name=a.prof", raw)
        check(status == 201, "plain_upload_is_stored", (status, plain))
        pid = plain["id"] if status == 201 else None
        status, _, body = srv.json("POST", "/api/profiles?name=a.prof.gz", packed)
        check(status == 200 and body["id"] == pid, "raw_gzip_upload_is_the_same_profile",
              (status, body))
        status, _, body = srv.json("POST", "/api/profiles", *multipart(packed, "a.prof.gz"))
        check(status == 200 and body["id"] == pid, "multipart_gzip_upload_is_the_same_profile",
              (status, body))
        two = gzip.compress(raw[:500], mtime=0) + gzip.compress(raw[500:], mtime=0)
        status, _, body = srv.json("POST", "/api/profiles", two)
        check(status == 200 and body["id"] == pid, "two_members_are_read_in_order",
              (status, body))
        for first in (1, 2, 3):
            status, body = trickled(srv.port, packed, first)
            check(status == 200 and isinstance(body, dict) and body.get("id") == pid,
                  "gzip_cut_after_byte_%d_is_the_same_profile" % first, (status, body))

        bomb = gzip.compress(b"\0" * (64 << 20), mtime=0)  # 64 KiB of gzip
        for name, args in (("raw", (bomb,)), ("multipart", multipart(bomb, "bomb.prof.gz"))):
            t0 = time.monotonic()
            status, hdrs, body = srv.json("POST", "/api/profiles", *args)
            check(status == 413 and hdrs.get("content-type", "").startswith("application/json")
                  and body and body["error"]["code"] == "too_large" and
                  "1048576" in body["error"]["message"],
                  "%s_bomb_gets_413_with_a_json_error" % name, (status, body))
        check(srv.rss_mb() < 200, "a_bomb_leaves_the_server_small (%.0f MiB)" % srv.rss_mb())

        for name, data, says in (("cut", packed[:-12], "ends early"),
                                 ("tail", packed + b"trailing", "not another gzip member"),
                                 ("bad_crc", packed[:-8] + b"\0\0\0\0" + packed[-4:], "gzip:")):
            status, _, body = srv.json("POST", "/api/profiles", data)
            check(status == 422 and body and body["error"]["code"] == "not_a_profile" and
                  says in body["error"]["message"], "%s_gzip_gets_422" % name, (status, body))
        check(srv.request("GET", "/healthz")[0] == 200, "still_serving_after_hostile_gzip")
    finally:
        code, log = srv.stop()
        check(code == 0, "server_stops_cleanly", log[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return tally()


if __name__ == "__main__":
    sys.exit(main())
