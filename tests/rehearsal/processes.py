"""The processes the rehearsal starts (replicas, HAProxy, Prometheus): every
one is registered so that the end of the run, a failure or Ctrl-C stops
them all, and free loopback ports are picked once at the start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from typing import IO, List, Optional, Sequence

_started: List[subprocess.Popen] = []


def free_ports(n: int) -> List[int]:
    """n distinct free ports on 127.0.0.1, all held open until all are found
    (so no two are the same), then released for the rehearsal's servers."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def start(argv: Sequence[str], log_path: str, env: Optional[dict] = None) -> subprocess.Popen:
    """Starts argv with stdout and stderr to log_path, in a session of its
    own (a Ctrl-C on the terminal reaches the rehearsal, which stops it)."""
    log: IO[bytes] = open(log_path, "ab")
    try:
        p = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    finally:
        log.close()
    _started.append(p)
    return p


def wait_exit(p: subprocess.Popen, timeout: float) -> Optional[int]:
    """The exit status, or None if p still runs after timeout seconds."""
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def stop(p: subprocess.Popen, grace: float = 3.0) -> None:
    stop_many([p], grace)


def stop_many(procs: Sequence[subprocess.Popen], grace: float = 3.0) -> None:
    """SIGTERM to all at once (a replica drains before it exits: one after
    the other would add up), SIGKILL to those still running after grace
    seconds; reaps them."""
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for p in procs:
        if wait_exit(p, max(0.0, deadline - time.monotonic())) is None:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            p.wait()
        if p in _started:
            _started.remove(p)


def stop_all() -> None:
    """SIGKILL to every process still running: its process group (it leads
    one of its own), then the process itself, by their ids."""
    for p in list(_started):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.kill()
            except ProcessLookupError:
                pass
        p.wait()
        _started.remove(p)


def wait_for(what: str, cond, timeout: float, step: float = 0.05) -> float:
    """Polls cond() until it is true; returns the seconds it took; raises
    TimeoutError naming what after timeout seconds."""
    t0 = time.monotonic()
    while True:
        if cond():
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s")
        time.sleep(step)
