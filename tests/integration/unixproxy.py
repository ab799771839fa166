#!/usr/bin/env python3
# unixproxy.py PATH HOST PORT: listens on the Unix socket PATH and relays
# every connection to HOST:PORT, so a client's ldapi:// path can be driven
# against a node before it has a local socket of its own. Stops on SIGTERM.
import os
import signal
import socket
import sys
import threading

path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])


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


def serve(c):
    try:
        t = socket.create_connection((host, port))
    except OSError:
        c.close()
        return
    threading.Thread(target=pipe, args=(c, t), daemon=True).start()
    pipe(t, c)


signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(16)
print("listening", flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
