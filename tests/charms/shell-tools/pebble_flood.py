"""Hold many idle connections to the work container's Pebble socket (never
sending a request), then call a hook tool: the host bounds the Pebble
connections it serves at once, and the tools still answer."""

import socket
import subprocess

held = []
for _ in range(600):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect("/charm/containers/work/pebble.socket")
    except (BlockingIOError, InterruptedError):
        # The listener's backlog is full: the host serves no more at once.
        s.close()
        continue
    held.append(s)
subprocess.run(
    ["status-set", "active", f"tools answer with {len(held)} idle Pebble connections"],
    check=True,
)
