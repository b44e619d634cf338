"""Helpers of the workers-mode tests: the package and libhams of this tree,
HTTP over loopback, the exposition's values, server processes and their logs."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PACKAGE_DIR = os.path.join(REPO, "bindings", "python")

# The package: run.sh puts the built fast path first on PYTHONPATH; else this tree's.
if PACKAGE_DIR not in sys.path:
    sys.path.append(PACKAGE_DIR)
_built = os.path.join(REPO, "target", "release", "libhams.so")
if not os.environ.get("HAMS_LIBRARY") and os.path.exists(_built):
    os.environ["HAMS_LIBRARY"] = _built

PYTHON = sys.executable


def child_env(**extra: str) -> Dict[str, str]:
    """The environment of a server process: the same package (PYTHONPATH as
    run.sh sets it, then this tree's) and library, and the test apps."""
    env = dict(os.environ)
    parts = [APPS] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p] + [PACKAGE_DIR]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.pop("HAMS_WORKERS", None)
    env.update(extra)
    return env


def http_get(port: int, path: str, timeout: float = 5.0) -> Tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def eventually(cond: Callable[[], bool], timeout: float = 5.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text: str, name: str) -> List[Tuple[Dict[str, str], float]]:
    """The samples of metric `name` in Prometheus text: (labels, value)."""
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and m.group(1) == name:
            labels = dict(_LABEL.findall(m.group(2) or ""))
            out.append((labels, float(m.group(3))))
    return out


def total(text: str, name: str, **match: str) -> float:
    """The sum of `name`'s samples whose labels include `match`."""
    return sum(v for labels, v in samples(text, name) if all(labels.get(k) == x for k, x in match.items()))


def ready_entries(port: int) -> List[str]:
    """The names in /hams/ready?verbose ("[+]worker@123 ok" -> "worker@123")."""
    body = http_get(port, "/hams/ready?verbose")[1]
    return [m.group(1) for m in re.finditer(r"^\[[+-]\](\S+)", body, re.M)]


def children(pid: int) -> List[int]:
    """The live child processes of `pid`, from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return sorted(out)


class Server:
    """A server process whose output (stdout and stderr together) is kept
    and searched for lines; stopped (then killed) at the end."""

    def __init__(self, args: List[str], env: Dict[str, str], cwd: str = APPS) -> None:
        self.proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:  # type: ignore[type-arg]
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line matching {pattern!r}; output:\n" + self.output())
                self._cond.wait(min(left, 0.2))

    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def stop(self) -> None:
        """Stops the server (SIGINT), then kills it and whatever child of
        it outlived it (a worker stuck on its way out must not keep the
        output pipe open, nor run on after the test)."""
        kids = children(self.proc.pid) if self.proc.poll() is None else []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in kids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"python" not in f.read():
                        continue  # gone, and its pid taken by another process
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._reader.join(5)
        if self.proc.stdout and not self._reader.is_alive():
            self.proc.stdout.close()
