#!/usr/bin/env python3
# A handover with no supervisor logic at all, for bench/reload-floor.mjs: holds one listening socket on
# 127.0.0.1:PORT and runs SERVER with it as fd 3 (LISTEN_FDS=1) and a ready pipe as fd 4 (GOD_READY_FD=4), as god
# does. Each line "reload" on stdin starts a new copy, waits for its ready line, sends the old one SIGTERM (it
# drains: bench/lib/jobs/server.cjs) and prints "reloaded"; "quit" (or the end of stdin) stops every copy.
# What is left of a reload's cost here is the new process and the moved connections themselves.
# Usage: handover.py PORT NODE SERVER
import os
import signal
import socket
import subprocess
import sys

port, node, server = int(sys.argv[1]), sys.argv[2], sys.argv[3]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(511)
# dup2 onto the same number keeps close-on-exec: the fds are made inheritable in the first place.
listener.set_inheritable(True)


def start():
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)

    def fds():
        os.dup2(listener.fileno(), 3)
        os.dup2(write_end, 4)

    env = dict(os.environ, LISTEN_FDS="1", GOD_READY_FD="4")
    child = subprocess.Popen(
        [node, server],
        env=env,
        preexec_fn=fds,
        # Kept open: fds 3 and 4 are made by fds() above, after the fork, and close_fds would close them.
        close_fds=False,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as ready:
        if not ready.readline():
            raise SystemExit("handover: the server exited before it said it was ready")
    return child


current = start()
print("ready", flush=True)
old = []
for line in sys.stdin:
    command = line.strip()
    if command == "quit":
        break
    if command == "reload":
        new = start()
        current.send_signal(signal.SIGTERM)
        old.append(current)
        current = new
        print("reloaded", flush=True)
for child in old + [current]:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()
