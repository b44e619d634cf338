#!/usr/bin/env python3
"""End to end: fastapi_app.py under real uvicorn, over real HTTP.

Readiness is 503 until the lifespan startup completes, 200 after; on SIGTERM
readiness is 503 at once while every request to the application during the
drain is answered; then uvicorn stops and the process exits with status 0.
Needs fastapi and uvicorn (tools/deps.sh check); exits 77 without them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
WARMUP_MS, DRAIN_MS = 1500, 2000


def get(port: int, path: str) -> Tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def status(port: int, path: str) -> int:
    try:
        return get(port, path)[0]
    except OSError:
        return -1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


failures: List[str] = []
passes: List[str] = []


def wait_delivered(pid: int, signo: int, timeout: float = 5.0) -> bool:
    """Waits until `signo` is no longer pending for `pid` (its handler has
    been entered): kill() returns before the signal is delivered, and a
    request answered before that is not "after SIGTERM"."""
    bit = 1 << (signo - 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as f:
                pending = [int(line.split()[1], 16) for line in f if line.startswith(("SigPnd:", "ShdPnd:"))]
        except OSError:
            return False
        if not any(p & bit for p in pending):
            return True
        time.sleep(0.0005)
    return False


def check(what: str, ok: bool) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
    (passes if ok else failures).append(what)


def main() -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (tools/deps.sh check installs fastapi and uvicorn)")
        return 77
    app_port = free_port()
    cmd = [sys.executable, os.path.join(HERE, "fastapi_app.py"), "--port", str(app_port),
           "--hams-address", "127.0.0.1:0", "--warmup-ms", str(WARMUP_MS), "--drain-ms", str(DRAIN_MS)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    lines: List[str] = []
    assert p.stdout is not None
    first = p.stdout.readline()
    lines.append(first)
    threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")), daemon=True).start()
    try:
        check(f"hams announced ({first.strip()!r})", "/hams/ready" in first)
        hport = int(first.rsplit(":", 1)[1].split("/")[0])
        check("ready 503 during the lifespan startup", status(hport, "/hams/ready") == 503)
        check("alive 200 during the lifespan startup", status(hport, "/hams/alive") == 200)
        deadline = time.monotonic() + 15
        while status(hport, "/hams/ready") != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        check("ready 200 once the startup completed", status(hport, "/hams/ready") == 200)
        check("the application answers", status(app_port, "/") == 200)

        p.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        check("SIGTERM delivered", wait_delivered(p.pid, signal.SIGTERM))
        check("ready 503 right after SIGTERM", status(hport, "/hams/ready") == 503)
        answered = total = ready_503 = 0
        while time.monotonic() - t0 < (DRAIN_MS - 500) / 1000.0:
            total += 1
            answered += status(app_port, "/") == 200
            ready_503 += status(hport, "/hams/ready") == 503
            time.sleep(0.02)
        check(f"every request during the drain answered ({answered}/{total})", total > 10 and answered == total)
        check(f"ready 503 throughout the drain ({ready_503}/{total})", ready_503 == total)
        try:
            rc = p.wait(timeout=DRAIN_MS / 1000.0 + 10)
        except subprocess.TimeoutExpired:
            rc = None
        check(f"uvicorn stopped and the process exited with 0 (rc {rc})", rc == 0)
        check("it stopped after the drain", time.monotonic() - t0 >= DRAIN_MS / 1000.0)
        time.sleep(0.1)
        out = "".join(lines)
        check("the shutdown callback stopped uvicorn", "drained, stopping uvicorn" in out)
        check("it said stopped", "hams fastapi: stopped" in out)
        check("the application is gone", status(app_port, "/") == -1)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    print(f"fastapi: {len(passes)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
