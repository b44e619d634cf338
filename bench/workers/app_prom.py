"""The bench app, instrumented with prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR set by the bench, mark_process_dead in the
gunicorn configuration): as app_hams.py, plus /metrics, where a worker
collects every worker's files, as prometheus_client documents it."""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest, multiprocess

from bench_app import make_app

SERIES = Counter("bench_series", "One series per label value", ["series"])
HITS = Counter("bench_hits", "Requests to /hit")


def metrics() -> bytes:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


app = make_app(SERIES, HITS, "prometheus_client multiprocess", int(os.environ.get("BENCH_SERIES", "1000")),
               metrics=(metrics, CONTENT_TYPE_LATEST))
