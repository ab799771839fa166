#!/usr/bin/env python3
# ptyrun.py ANSWER CMD...: runs CMD with a terminal as its standard input
# and output; when CMD asks "Y/N [N] " (or $PTYRUN_PROMPT), types ANSWER
# and a newline. Prints everything CMD wrote and exits with its status.
# For the tools' prompts.
import os
import pty
import select
import signal
import sys
import time

answer, cmd = sys.argv[1], sys.argv[2:]
prompt = os.environ.get("PTYRUN_PROMPT", "Y/N [N] ").encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, asked = b"", False
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    # a tool that never answers fails its test instead of stalling it
    if not select.select([fd], [], [], 0.5)[0]:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not asked and prompt in out:
        os.write(fd, answer.encode() + b"\n")
        asked = True
if time.monotonic() >= deadline:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(status))
