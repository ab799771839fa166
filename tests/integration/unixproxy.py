#!/usr/bin/env python3
# unixproxy.py PATH HOST PORT: listens on the Unix socket PATH and relays
# every connection to HOST:PORT, so a client's ldapi:// path can be driven
# against a node before it has a local socket of its own.
# unixproxy.py --tcp LISTEN:TARGET ...: relays every connection to
# 127.0.0.1:LISTEN to 127.0.0.1:TARGET (a link between nodes that a test
# freezes with SIGSTOP and lets go on with SIGCONT; what the peers send
# meanwhile waits in the sockets).
# Prints "listening" once it listens; stops on SIGTERM.
import os
import signal
import socket
import sys
import threading


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c, host, port):
    try:
        t = socket.create_connection((host, port))
    except OSError:
        c.close()
        return
    threading.Thread(target=pipe, args=(c, t), daemon=True).start()
    pipe(t, c)


def accept(srv, host, port):
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, host, port), daemon=True).start()


signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
if sys.argv[1] == "--tcp":
    for arg in sys.argv[2:]:
        lp, tp = (int(x) for x in arg.split(":"))
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", lp))
        srv.listen(16)
        threading.Thread(target=accept, args=(srv, "127.0.0.1", tp), daemon=True).start()
    print("listening", flush=True)
    while True:
        signal.pause()
path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(16)
print("listening", flush=True)
accept(srv, host, port)
