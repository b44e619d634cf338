"""The bench app, instrumented with hams in workers mode (hams.gunicorn):
SERIES labelled series made at each worker's start, /hit counts a request,
/inc?n=N times N increments inside this worker."""

from __future__ import annotations

import os

import hams.gunicorn
from bench_app import make_app

h = hams.gunicorn.worker()
SERIES = h.counter("bench_series_total", "One series per label value", labelnames=["series"])
HITS = h.counter("bench_hits_total", "Requests to /hit")
app = make_app(SERIES, HITS, hams.implementation(), int(os.environ.get("BENCH_SERIES", "1000")))
