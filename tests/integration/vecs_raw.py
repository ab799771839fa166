#!/usr/bin/env python3
"""vecs_raw.py: raw clients of vecsd's socket for the bad-input tests.

  vecs_raw.py SOCK oversized        header announcing 2 GiB: the answer's code
  vecs_raw.py SOCK truncated        half a request, then close: prints "sent"
  vecs_raw.py SOCK idle             half a request, then wait: "closed" when dropped
  vecs_raw.py SOCK badversion       a body of version 2: the answer's code
  vecs_raw.py SOCK unknownop        operation 99, then a store list on the same connection
  vecs_raw.py SOCK fields           STORE_CREATE with two fields: the answer's code
  vecs_raw.py SOCK nul              STORE_CREATE of "a\\0b": the answer's code
  vecs_raw.py SOCK many N           N clients at once, each creating store C<i>: codes seen
  vecs_raw.py SOCK hold N           N connections held open, then one request on each
"""
import socket
import struct
import sys
import time


def body(code, fields, ver=1):
    b = bytes([ver]) + struct.pack(">II", code, len(fields))
    for f in fields:
        b += struct.pack(">I", len(f)) + f
    return b


def frame(b):
    return struct.pack(">I", len(b)) + b


def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # a blocking connect waits for room in a full backlog (a socket with a
    # timeout would get EAGAIN there instead)
    s.connect(path)
    s.settimeout(20)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def answer(s):
    hdr = recv_exact(s, 4)
    if hdr is None:
        return "eof"
    (n,) = struct.unpack(">I", hdr)
    b = recv_exact(s, n)
    if b is None:
        return "eof"
    return struct.unpack(">I", b[1:5])[0]


def closed(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "oversized":
        s = conn(path)
        s.sendall(struct.pack(">I", 0x7FFFFFFF) + b"\x01" * 100)
        code = answer(s)
        print(code, "closed" if closed(s) else "open")
    elif what == "truncated":
        s = conn(path)
        full = frame(body(1, [b"TRUNCATED"]))
        s.sendall(full[: len(full) // 2])
        s.close()
        print("sent")
    elif what == "idle":
        s = conn(path)
        full = frame(body(1, [b"IDLE"]))
        s.sendall(full[:6])
        start = time.time()
        print("closed" if closed(s) else "open", int(time.time() - start) < 15)
    elif what == "badversion":
        s = conn(path)
        s.sendall(frame(body(3, [], ver=2)))
        print(answer(s), "closed" if closed(s) else "open")
    elif what == "unknownop":
        s = conn(path)
        s.sendall(frame(body(99, [])))
        first = answer(s)
        s.sendall(frame(body(3, [])))
        print(first, answer(s))
    elif what == "fields":
        s = conn(path)
        s.sendall(frame(body(1, [b"A", b"B"])))
        print(answer(s))
    elif what == "nul":
        s = conn(path)
        s.sendall(frame(body(1, [b"a\x00b"])))
        print(answer(s))
    elif what == "many":
        n = int(sys.argv[3])
        socks = [conn(path) for _ in range(n)]
        for i, s in enumerate(socks):
            s.sendall(frame(body(1, [b"C%d" % i])))
        codes = sorted(set(str(answer(s)) for s in socks))
        print(" ".join(codes))
    elif what == "hold":
        n = int(sys.argv[3])
        socks = [conn(path) for _ in range(n)]
        codes = []
        for s in socks:
            try:
                s.sendall(frame(body(3, [])))
                codes.append(str(answer(s)))
            except (BrokenPipeError, ConnectionResetError):
                # refused at accept: the answer is already waiting
                try:
                    codes.append(str(answer(s)))
                except OSError:
                    codes.append("reset")
        print(" ".join(codes))


main()
