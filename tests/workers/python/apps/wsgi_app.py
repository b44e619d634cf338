"""A plain WSGI app for gunicorn that counts its requests by path and code
in hams (through hams.gunicorn.worker(): the handle the worker inherited)."""

from __future__ import annotations

import os

import hams.gunicorn

h = hams.gunicorn.worker()
REQUESTS = h.counter("app_requests_total", "Requests answered", labelnames=["path", "code"])
# Made in each worker (without --preload): summed over the live workers.
# Made in the master (--preload): one value the workers share.
UP = h.gauge("app_workers_up", "Workers that imported the app", aggregation="sum")
UP.set(1)


def app(environ, start_response):  # type: ignore[no-untyped-def]
    path = environ.get("PATH_INFO", "/")
    code = "404" if path == "/missing" else "200"
    body = f"{os.getpid()} {hams.implementation()}\n".encode()
    REQUESTS.labels(path, code).inc()
    start_response(f"{code} {'Not Found' if code == '404' else 'OK'}",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
