"""A FastAPI app for uvicorn --workers (spawned processes): each worker
joins the parent's hams with hams.attach()."""

from __future__ import annotations

import os

from fastapi import FastAPI, Response

import hams

w = hams.attach()
REQUESTS = w.counter("app_requests_total", "Requests answered", labelnames=["path", "code"])
PROBE = w.probe_manual("app", healthy=True)
app = FastAPI()


@app.get("/{name}")
def route(name: str, response: Response) -> dict:
    code = 404 if name == "missing" else 200
    REQUESTS.labels("/" + name, str(code)).inc()
    response.status_code = code
    return {"pid": os.getpid()}
