"""HAProxy in front of the replicas: a generated configuration on loopback,
health checks of each replica's /hams/ready on its hams port every 500 ms,
and its stats socket to read what it thinks of each server.

Nothing in the configuration hides a failure: no `option redispatch`,
`retries 0` (a refused connection is answered 503 to the client, not sent
to another replica)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from typing import Dict, List, Optional, Tuple

import processes

BACKEND = "replicas"


def config(port: int, stats_sock: str, servers: List[Tuple[str, int, int]]) -> str:
    """servers: (name, app port, hams port)."""
    lines = [
        "global",
        f"    stats socket {stats_sock} mode 600 level user",
        "    maxconn 4096",
        "    log stdout format raw daemon",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    retries 0",
        "    timeout connect 1s",
        "    timeout client 30s",
        "    timeout server 10s",
        "    timeout http-keep-alive 30s",
        "",
        "frontend entry",
        f"    bind 127.0.0.1:{port}",
        f"    default_backend {BACKEND}",
        "",
        f"backend {BACKEND}",
        "    balance roundrobin",
        "    option httpchk GET /hams/ready",
        "    http-check expect status 200",
    ]
    for name, app, hams in servers:
        lines.append(f"    server {name} 127.0.0.1:{app} check port {hams} inter 500ms fall 1 rise 1")
    return "\n".join(lines) + "\n"


class HAProxy:
    def __init__(self, workdir: str, port: int, servers: List[Tuple[str, int, int]]) -> None:
        self.port = port
        self.sock = os.path.join(workdir, "haproxy.sock")
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        self.log = os.path.join(workdir, "haproxy.log")
        with open(self.cfg, "w") as f:
            f.write(config(port, self.sock, servers))
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        check = subprocess.run([binary, "-c", "-f", self.cfg], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy -c rejects the configuration: {check.stdout}{check.stderr}")
        self.proc = processes.start([binary, "-db", "-f", self.cfg], self.log)
        processes.wait_for("HAProxy's stats socket", self._answers, 10)

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"haproxy exited with {self.proc.returncode}: {self.log_tail()}")
        try:
            self.states()
            return True
        except OSError:
            return False

    def states(self) -> Dict[str, str]:
        """Each server's status as HAProxy reports it (UP, DOWN, ...)."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        try:
            s.connect(self.sock)
            s.sendall(b"show stat\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        rows = data.decode().splitlines()
        header = rows[0].lstrip("# ").split(",")
        px, sv, st = header.index("pxname"), header.index("svname"), header.index("status")
        out = {}
        for row in rows[1:]:
            f = row.split(",")
            if len(f) > st and f[px] == BACKEND and f[sv] not in ("BACKEND", "FRONTEND"):
                out[f[sv]] = f[st].split(" ")[0]  # "UP 1/2" while rising, "DOWN", "MAINT"...
        return out

    def wait_state(self, server: str, state: str, timeout: float) -> float:
        return processes.wait_for(f"HAProxy sees {server} {state}", lambda: self.states().get(server) == state, timeout)

    def log_tail(self, n: int = 10) -> str:
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def failed_log_lines(self, limit: int = 8) -> List[str]:
        """Log lines of requests HAProxy answered with something else than 200."""
        out = []
        try:
            with open(self.log, errors="replace") as f:
                for line in f:
                    if '"GET ' in line and " 200 " not in line:
                        out.append(line.rstrip())
        except OSError:
            pass
        return out[:limit]

