"""A replica of a demo (C or Python), started through the demos' flags only:
--address (hams), --app-port, --drain-ms, --warmup-ms, --delay-ms,
--downstream. Its ports stay the same across restarts, as a load balancer's
and Prometheus' static targets need."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from typing import List, Optional

import processes

WARMUP_MS = 100  # short: the rollout waits for it three times
DELAY_MS = 5  # simulated work, so that some requests are in flight at each SIGTERM


class Demo:
    """How to start one demo: argv before the flags, and its environment."""

    def __init__(self, name: str, argv: List[str], env: dict) -> None:
        self.name, self.argv, self.env = name, argv, env


def c_demo(binary: str, lib_dir: str) -> Demo:
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = lib_dir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return Demo("C", [binary], env)


def python_demo(python: str, root: str, lib_dir: str) -> Demo:
    env = dict(os.environ)
    env["HAMS_LIBRARY"] = os.path.join(lib_dir, "libhams.so.0")
    env["PYTHONPATH"] = os.path.join(root, "bindings", "python")
    env["PYTHONUNBUFFERED"] = "1"
    return Demo("Python", [python, os.path.join(root, "examples", "python", "fastapi_app.py")], env)


def http_get(port: int, path: str, headers: Optional[dict] = None, timeout: float = 2.0):
    """(status, body) of GET path on 127.0.0.1:port; raises OSError."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def status_of(port: int, path: str) -> int:
    try:
        return http_get(port, path, timeout=1.0)[0]
    except OSError:
        return -1


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True
    except OSError:
        return False


class Replica:
    def __init__(self, demo: Demo, name: str, hams_port: int, app_port: int, drain_ms: int, workdir: str,
                 downstream: Optional[str] = None) -> None:
        self.demo, self.name = demo, name
        self.hams_port, self.app_port, self.drain_ms = hams_port, app_port, drain_ms
        self.downstream = downstream
        self.log = os.path.join(workdir, f"{name}.log")
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0

    def argv(self) -> List[str]:
        a = self.demo.argv + [
            "--address", f"127.0.0.1:{self.hams_port}",
            "--app-port", str(self.app_port),
            "--drain-ms", str(self.drain_ms),
            "--warmup-ms", str(WARMUP_MS),
            "--delay-ms", str(DELAY_MS),
        ]  # fmt: skip
        if self.downstream:
            a += ["--downstream", self.downstream]
        return a

    def spawn(self) -> None:
        with open(self.log, "a") as f:
            f.write(f"--- start {self.starts}: {' '.join(self.argv())}\n")
        self.starts += 1
        self.proc = processes.start(self.argv(), self.log, self.demo.env)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Until its app port accepts and its /hams/ready says 200 (no GET
        /work: every request the replicas count must be the load
        generator's)."""
        proc = self.proc
        assert proc is not None

        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {proc.returncode} at start: {self.log_tail(5)}")
            return accepts(self.app_port) and status_of(self.hams_port, "/hams/ready") == 200

        processes.wait_for(f"{self.demo.name} replica {self.name} ready", up, timeout)

    def start(self) -> float:
        """Starts the replica and waits until it is ready; the seconds that took."""
        t0 = time.monotonic()
        self.spawn()
        self.wait_ready()
        return time.monotonic() - t0

    def log_tail(self, n: int = 15) -> str:
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""
