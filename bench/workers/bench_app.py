"""The WSGI app both bench apps share: the series made at a worker's start,
/hit, /inc?n=N (ns per increment, timed in this worker), /metrics if given."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Callable, Optional, Tuple


def make_app(series: Any, hits: Any, name: str, count: int,
             metrics: Optional[Tuple[Callable[[], bytes], str]] = None) -> Callable[..., Any]:
    for i in range(count):
        series.labels(f"s{i}").inc()

    def timed(n: int) -> dict:
        child = series.labels("s0")
        t0 = time.perf_counter_ns()
        for _ in range(n):
            child.inc()
        t1 = time.perf_counter_ns()
        for _ in range(n):
            series.labels("s1").inc()
        t2 = time.perf_counter_ns()
        return {"child_inc_ns": (t1 - t0) / n, "labels_inc_ns": (t2 - t1) / n, "pid": os.getpid(), "impl": name}

    def app(environ: Any, start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "/")
        ctype = "text/plain"
        if path == "/hit":
            hits.inc()
            body = b"ok\n"
        elif path == "/inc":
            n = int(environ.get("QUERY_STRING", "n=100000").partition("=")[2] or 100000)
            body = json.dumps(timed(n)).encode()
        elif path == "/metrics" and metrics is not None:
            body, ctype = metrics[0](), metrics[1]
        else:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    return app
