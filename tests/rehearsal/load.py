"""The load generator: GET /work through HAProxy at a fixed rate (an open
loop: request i is due at start + i/rate whatever the answers take), every
other request on a kept-alive connection, the others each on a new one
(`Connection: close`). Each request carries a traceparent with a trace id of
its own (and an x-request-id); a request counts as served only if it got 200
and the replica's JSON reports that same trace id."""

from __future__ import annotations

import http.client
import json
import math
import queue
import random
import threading
import time
from typing import Dict, List, Optional

WORKERS_PER_KIND = 12
TIMEOUT_S = 5.0


class Result:
    __slots__ = ("due", "latency", "status", "kind", "trace_id", "error", "pid")

    def __init__(self, due: float, latency: float, status: int, kind: str, trace_id: str, error: str,
                 pid: Optional[int]) -> None:
        self.due, self.latency, self.status, self.kind = due, latency, status, kind
        self.trace_id, self.error, self.pid = trace_id, error, pid

    @property
    def ok(self) -> bool:
        return not self.error


def _hex_id(bits: int) -> str:
    while True:
        v = random.getrandbits(bits)
        if v:  # all-zero ids are invalid in Trace Context
            return f"{v:0{bits // 4}x}"


class Load:
    def __init__(self, port: int, rate: float) -> None:
        self.port, self.rate = port, rate
        self.results: List[Result] = []
        self.sent_trace_ids: set = set()
        self._lock = threading.Lock()
        self._queues = {"keep-alive": queue.Queue(), "new": queue.Queue()}  # type: Dict[str, queue.Queue]
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []

    def start(self) -> None:
        for kind, q in self._queues.items():
            for _ in range(WORKERS_PER_KIND):
                t = threading.Thread(target=self._worker, args=(kind, q), daemon=True)
                t.start()
                self._threads.append(t)
        d = threading.Thread(target=self._dispatch, daemon=True)
        d.start()
        self._dispatcher = d

    def stop(self) -> List[Result]:
        """Stops sending, waits for the requests in flight; all results."""
        self._stop.set()
        self._dispatcher.join()
        for q in self._queues.values():
            for _ in range(WORKERS_PER_KIND):
                q.put(None)
        for t in self._threads:
            t.join(TIMEOUT_S + 5)
        return self.results

    def _dispatch(self) -> None:
        t0 = time.monotonic()
        kinds = list(self._queues)
        i = 0
        while not self._stop.is_set():
            due = t0 + i / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._queues[kinds[i % 2]].put(due)
            i += 1

    def _worker(self, kind: str, q: "queue.Queue") -> None:
        conn: Optional[http.client.HTTPConnection] = None
        while True:
            due = q.get()
            if due is None:
                break
            trace = _hex_id(128)
            headers = {"traceparent": f"00-{trace}-{_hex_id(64)}-01", "x-request-id": f"rehearsal-{trace[:16]}"}
            if kind == "new":
                headers["Connection"] = "close"
            with self._lock:
                self.sent_trace_ids.add(trace)
            status, error, pid = 0, "", None
            t = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
                conn.request("GET", "/work", headers=headers)
                r = conn.getresponse()
                body = r.read()
                status = r.status
                if kind == "new" or r.will_close:
                    conn.close()
                    conn = None
                if status != 200:
                    error = f"HTTP {status}"
                else:
                    doc = json.loads(body)
                    pid = doc.get("pid")
                    if doc.get("trace_id") != trace:
                        error = f"trace_id {doc.get('trace_id')!r}, sent {trace}"
            except (OSError, http.client.HTTPException, ValueError) as e:
                error = f"{type(e).__name__}: {e}"
                if conn is not None:
                    conn.close()
                    conn = None
            latency = time.monotonic() - t
            res = Result(due, latency, status, kind, trace, error, pid)
            with self._lock:
                self.results.append(res)
        if conn is not None:
            conn.close()


def percentile(sorted_values: List[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, math.ceil(p / 100.0 * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[k]


class Summary:
    """What a run of the load generator shows."""

    def __init__(self, results: List[Result]) -> None:
        self.n = len(results)
        self.served = sum(1 for r in results if r.ok)
        self.failed = self.n - self.served
        lat = sorted(r.latency for r in results if r.ok)
        self.p50_ms = percentile(lat, 50) * 1000
        self.p99_ms = percentile(lat, 99) * 1000
        self.max_ms = (lat[-1] * 1000) if lat else float("nan")
        self.by_kind = {k: sum(1 for r in results if r.kind == k) for k in ("keep-alive", "new")}
        self.p99_by_kind = {
            k: percentile(sorted(r.latency for r in results if r.ok and r.kind == k), 99) * 1000 for k in self.by_kind
        }
        self.pids = len({r.pid for r in results if r.pid is not None})
        errors: Dict[str, int] = {}
        for r in results:
            if r.error:
                key = r.error if r.status else r.error.split(":")[0]
                errors[key] = errors.get(key, 0) + 1
        self.errors = errors

    def line(self) -> str:
        errs = ", ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"N={self.n} (keep-alive {self.by_kind['keep-alive']}, new connections {self.by_kind['new']}), "
            f"failed={self.failed} [{errs}], p50={self.p50_ms:.1f} ms, p99={self.p99_ms:.1f} ms, "
            f"max={self.max_ms:.1f} ms (p99 keep-alive {self.p99_by_kind['keep-alive']:.1f} ms, "
            f"new connections {self.p99_by_kind['new']:.1f} ms), served by {self.pids} processes"
        )
