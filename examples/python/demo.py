#!/usr/bin/env python3
"""hams demo in Python: the demo service of the conformance kit
(tests/tck/README.md), through the binding (its compiled fast path when
built, else ctypes; HAMS_PYTHON_NO_EXT=1 forces ctypes; with
HAMS_PYTHON_EXPECT set, the demo refuses to run on the other one).

Run (from the repository root, after `cargo build --release` and
`ln -sf libhams.so target/release/libhams.so.0`):

    HAMS_LIBRARY=target/release/libhams.so PYTHONPATH=bindings/python \\
        python3 examples/python/demo.py --address 127.0.0.1:0 --warmup-ms 500 --drain-ms 300

(or, with the package installed by `pip install ./bindings/python` and
libhams installed, plain `python3 examples/python/demo.py`).

Probes: `warmup` (manual, ready+startup, healthy after --warmup-ms), `loop`
(kick, alive, margin 1 s, kicked every 100 ms while kicking is on), `disk`
(callback, ready, every 200 ms, fails with "disk full (tck)" when told).
Metrics: `demo_loops_total`; the vector `tck_requests_total{path, code}`
({/a,200} twice, {/b,500} once at start, with an exemplar) and the default-bucket
histogram `tck_latency_seconds` (0.3 observed once at start, with an exemplar). Commands on stdin: stop-kicking, start-kicking,
fail-disk, heal-disk, invalid-call. A status listener prints `hams demo: change
<name> <healthy|unhealthy>` for each change. SIGTERM/SIGINT: hams drains for
--drain-ms, runs the shutdown callback, and the demo exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import List, Optional

import hams


def say(line: str) -> None:
    print(f"hams demo: {line}", flush=True)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="hams demo service (Python)")
    ap.add_argument(
        "--address",
        default=os.environ.get("HAMS_DEMO_ADDRESS") or "0.0.0.0:8079",
        help="listen address HOST:PORT (default 0.0.0.0:8079, or $HAMS_DEMO_ADDRESS)",
    )
    ap.add_argument("--warmup-ms", type=int, default=2000, help="ms until 'warmup' turns healthy (default 2000)")
    ap.add_argument("--drain-ms", type=int, default=5000, help="ms readiness fails before shutdown (default 5000)")
    args = ap.parse_args(argv)
    if args.warmup_ms < 0 or args.drain_ms < 0:
        ap.error("--warmup-ms and --drain-ms must be >= 0")
    return args


class Demo:
    def __init__(self, h: hams.Hams) -> None:
        self.h = h
        self.kicking = threading.Event()
        self.kicking.set()
        self.disk_fails = threading.Event()

    def disk_check(self) -> hams.CheckResult:
        if self.disk_fails.is_set():
            return False, "disk full (tck)"
        return True

    def command(self, cmd: str) -> None:
        if cmd == "stop-kicking":
            self.kicking.clear()
        elif cmd == "start-kicking":
            self.kicking.set()
        elif cmd == "fail-disk":
            self.disk_fails.set()
        elif cmd == "heal-disk":
            self.disk_fails.clear()
        elif cmd == "invalid-call":
            try:
                self.h.probe_manual("bad name")
                say("error: none (the invalid call succeeded)")
            except hams.HamsError as e:
                say(f"error: {e}")
        elif cmd:
            print(f"hams demo: unknown command: {cmd}", file=sys.stderr, flush=True)

    def read_commands(self) -> None:
        # os.read, not sys.stdin: no buffered-reader lock is held by this
        # daemon thread when the interpreter exits.
        pending = b""
        while True:
            try:
                chunk = os.read(0, 4096)
            except OSError:
                return
            if not chunk:
                return  # end of stdin is not a command; keep running
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                self.command(line.decode("utf-8", "replace").strip())


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    expect = os.environ.get("HAMS_PYTHON_EXPECT")
    if expect and expect != hams.implementation():
        print(f"hams demo: running on {hams.implementation()}, expected {expect}", file=sys.stderr)
        return 2
    try:
        h = hams.Hams.from_config(
            {
                "service": {"name": "hams-demo", "version": hams.version()},
                "server": {"address": args.address},
                "shutdown": {"drain_ms": args.drain_ms},
            }
        )
    except hams.HamsError as e:
        print(f"hams demo: cannot create hams: {e}", file=sys.stderr)
        return 1
    demo = Demo(h)
    try:
        h.handle_signals(True)
        warmup = h.probe_manual("warmup", healthy=False, reason="warming up", checks=hams.READY | hams.STARTUP)
        loop = h.probe_kick("loop", margin=1.0, checks=hams.ALIVE)
        h.probe_callback("disk", demo.disk_check, interval=0.2, timeout=1.0, checks=hams.READY)
        loops = h.counter("demo_loops_total", "Iterations of the demo's main loop")
        requests = h.counter("tck_requests_total", "Requests (the kit's vector)", labelnames=["path", "code"])
        requests.labels("/a", "200").inc()
        requests.labels(path="/a", code="200").inc()
        requests.labels("/b", 500).inc(exemplar={"trace_id": "b7ad6b7169203331"})
        h.histogram("tck_latency_seconds", "Latency (the kit's default buckets)").observe(
            0.3, exemplar={"trace_id": "0af7651916cd43dd8448eb211c80319c"}
        )
        h.on_shutdown(lambda: say("shutdown callback ran"))
        h.start()
        say(f"serving on http://127.0.0.1:{h.port}/hams/ready")
        # The kit's status listener: one line per call (first every current
        # state); after the probes, since a startup check decided with none
        # passes, and startup latches; after the "serving on" line, which
        # comes first.
        h.on_change(lambda name, healthy, reason: say(f"change {name} {'healthy' if healthy else 'unhealthy'}"))
    except hams.HamsError as e:
        print(f"hams demo: {e}", file=sys.stderr)
        h.close()
        return 1

    threading.Thread(target=demo.read_commands, name="stdin", daemon=True).start()

    start = time.monotonic()
    warmed = False
    # h.wait releases the GIL while it blocks (ctypes does), so the check
    # and shutdown callbacks run meanwhile.
    while not h.wait(0.1):
        if demo.kicking.is_set():
            loop.kick()
        if not warmed and (time.monotonic() - start) * 1000 >= args.warmup_ms:
            warmup.set(True)
            warmed = True
        loops.inc()
    say("stopped")
    h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
