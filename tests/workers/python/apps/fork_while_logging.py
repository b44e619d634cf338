"""fork() while a hams thread is inside the log callback (tests/workers/python/test_fork.py).

libhams routes its records to Python's logging (the package does it at
import). A handler holds the hams server thread inside the callback while
the main thread forks; the child then exits normally (the package's atexit
hands logging back to libhams: hams_set_logger) and must be gone at once.
Prints one JSON report."""

from __future__ import annotations

import http.client
import json
import logging
import os
import sys
import threading
import time

import hams

armed = threading.Event()
inside = threading.Event()
release = threading.Event()


class Hold(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if armed.is_set() and threading.current_thread() is not threading.main_thread() and not release.is_set():
            inside.set()
            release.wait(10)


log = logging.getLogger("hams")
log.setLevel(1)
log.addHandler(Hold())
log.propagate = False
workers = sys.argv[1:] == ["workers"]
h = hams.Hams("fork-log", "1", address="127.0.0.1:0", workers=workers)
c = h.counter("fork_total", "made before the fork")
h.start()
port = h.port


def connect() -> None:  # a new connection: the server thread logs it
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conn.request("GET", "/hams/alive")
        conn.getresponse().read()
        conn.close()
    except OSError:
        pass


time.sleep(0.3)  # past the start-up records
armed.set()
threading.Thread(target=connect, daemon=True).start()
result = {"held": inside.wait(5)}
sys.stdout.flush()
sys.stderr.flush()
pid = os.fork()
if pid == 0:
    c.inc()
    h.close()
    sys.exit(0)  # atexit: hams_set_logger
deadline = time.monotonic() + 5
result["child_exit"] = "still running 5 s after the fork: killed"
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        result["child_exit"] = os.waitstatus_to_exitcode(status)
        break
    time.sleep(0.02)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
release.set()
result["ready_after"] = 0
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
conn.request("GET", "/hams/ready")
result["ready_after"] = conn.getresponse().status
conn.close()
h.close()
print(json.dumps(result))
