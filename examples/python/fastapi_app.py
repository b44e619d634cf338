#!/usr/bin/env python3
"""A FastAPI application under uvicorn with hams' lifecycle:

- readiness follows the lifespan: /hams/ready is 503 until the startup
  (a warm-up of --warmup-ms here) has completed, then 200;
- SIGTERM goes to hams, not uvicorn: readiness fails at once and, for the
  drain (--drain-ms), uvicorn keeps serving the requests still routed here;
  then hams' shutdown sequence ends and uvicorn is told to stop.

    python3 fastapi_app.py --port 8000 --hams-address 127.0.0.1:8079

uvicorn is run from Python (uvicorn.Server) so that it leaves SIGTERM and
SIGINT to hams; its own handlers would stop serving before the drain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import AsyncIterator, Iterator

import uvicorn
from fastapi import FastAPI

import hams


def make_app(h: hams.Hams, warmup_s: float) -> FastAPI:
    ready = h.probe_manual("lifespan", False, reason="starting")
    requests = h.counter("app_requests_total", "Requests to the application", labelnames=["path"])
    latency = h.histogram("app_request_seconds", "Request handling time")  # default buckets

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.sleep(warmup_s)  # e.g. opening connections, loading caches
        ready.set(True)
        yield
        ready.set(False, "stopping")

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def root() -> dict:
        with _timed(latency):
            requests.labels("/").inc()
            return {"hello": "hams"}

    return app


@contextlib.contextmanager
def _timed(h: hams.Histogram) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        yield
    finally:
        h.observe(loop.time() - t0)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: hams has SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn before 0.29
        pass


async def serve(args: argparse.Namespace) -> None:
    h = hams.Hams.from_config(
        {
            "service": {"name": "hams-fastapi", "version": "1"},
            "server": {"address": args.hams_address},
            "shutdown": {"drain_ms": args.drain_ms},
        }
    )
    h.start()
    h.handle_signals()
    print(f"hams fastapi: hams on http://127.0.0.1:{h.port}/hams/ready", flush=True)
    app = make_app(h, args.warmup_ms / 1000.0)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning"))

    @h.on_shutdown_async
    def stop_uvicorn() -> None:  # after the drain, on the event loop's thread
        print("hams fastapi: drained, stopping uvicorn", flush=True)
        server.should_exit = True

    await server.serve()
    await h.wait_async()
    h.close()
    print("hams fastapi: stopped", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=8000, help="the application's port")
    p.add_argument("--hams-address", default="0.0.0.0:8079")
    p.add_argument("--warmup-ms", type=int, default=1000)
    p.add_argument("--drain-ms", type=int, default=5000)
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
