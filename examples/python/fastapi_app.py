#!/usr/bin/env python3
"""A FastAPI application under uvicorn with hams' lifecycle:

- readiness follows the lifespan: /hams/ready is 503 until the startup
  (a warm-up of --warmup-ms here) has completed, then 200;
- SIGTERM goes to hams, not uvicorn: readiness fails at once and, for the
  drain (--drain-ms), uvicorn keeps serving the requests still routed here;
  then hams' shutdown sequence ends and uvicorn is told to stop (it closes
  the idle connections and finishes the requests in flight).

    python3 fastapi_app.py --app-port 8000 --address 127.0.0.1:8079 \\
        [--delay-ms N] [--downstream http://127.0.0.1:8001/work]

GET /work waits --delay-ms, calls --downstream first if given (forwarding
the tracing headers Istio lists, with a new span id in traceparent) and
answers JSON: service, pid, trace_id, span_id, the tracing headers it
arrived with ("seen"), and the downstream's answer. Every request counts in
app_requests_total{path,code} and is timed in app_request_seconds, with the
exemplar {trace_id="..."}.

uvicorn is run from Python (uvicorn.Server) so that it leaves SIGTERM and
SIGINT to hams; its own handlers would stop serving before the drain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import secrets
import socket
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterator, MutableMapping, NamedTuple, Optional

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import hams

SERVICE = "hams-fastapi"
# The tracing headers Istio asks applications to forward.
TRACE_HEADERS = ("x-request-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid",
                 "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class Trace(NamedTuple):
    """A request's trace context: the headers it arrived with, its trace id
    (kept from a valid traceparent, else new), a new span id, the flags."""

    seen: Dict[str, str]
    trace_id: str
    span_id: str
    flags: str

    @staticmethod
    def from_headers(raw: Any) -> "Trace":
        seen: Dict[str, str] = {}
        for k, v in raw:
            name = k.decode("latin-1").lower()
            if name in TRACE_HEADERS and name not in seen:
                seen[name] = v.decode("latin-1")
        m = _TRACEPARENT.fullmatch(seen.get("traceparent", ""))
        # Trace Context: ff is no version; 00 has no more fields; all-zero
        # ids are invalid. Then a new trace starts (sampled).
        valid = (m is not None and m.group(1) != "ff" and not (m.group(1) == "00" and m.group(5))
                 and m.group(2) != "0" * 32 and m.group(3) != "0" * 16)
        if valid and m is not None:
            trace_id, flags = m.group(2), m.group(4)
        else:
            trace_id, flags = _random_hex(16), "01"
        return Trace(seen, trace_id, _random_hex(8), flags)

    def forward(self) -> Dict[str, str]:
        """The headers for the follow-on call: the incoming ones unchanged,
        but traceparent: same trace id, this request's span as the parent."""
        out = dict(self.seen)
        out["traceparent"] = f"00-{self.trace_id}-{self.span_id}-{self.flags}"
        return out


def _random_hex(nbytes: int) -> str:
    while True:
        h = secrets.token_hex(nbytes)
        if h.strip("0"):
            return h


class Observe:
    """ASGI middleware: the trace context of each request (in the scope,
    for the endpoint), and its count and time with its trace id as the
    exemplar, recorded when the response starts."""

    def __init__(self, app: ASGIApp, requests: hams.CounterVec, latency: hams.Histogram, paths: Any) -> None:
        self.app, self.requests, self.latency, self.paths = app, requests, latency, paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace = Trace.from_headers(scope.get("headers", ()))
        scope["hams.trace"] = trace
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            path = scope["path"] if scope["path"] in self.paths else "other"
            exemplar = {"trace_id": trace.trace_id}
            self.requests.labels(path, str(status)).inc(exemplar=exemplar)
            self.latency.observe(loop.time() - t0, exemplar=exemplar)

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, counted_send)
        finally:
            if not recorded:
                record(500)


class DownstreamError(Exception):
    pass


def _get_json(url: str, headers: Dict[str, str], timeout: float = 10.0) -> Any:
    """GET url (blocking: run in a thread) and its JSON body."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname:
        raise DownstreamError(f"not an http:// URL: {url}")
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        conn.request("GET", path, headers={**headers, "Accept": "application/json", "Connection": "close"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise DownstreamError(f"{u.netloc} answered {r.status}")
        return json.loads(body)
    except (OSError, http.client.HTTPException, ValueError) as e:
        raise DownstreamError(f"{u.netloc}: {e}") from None
    finally:
        conn.close()


def make_app(h: hams.Hams, warmup_s: float, delay_s: float = 0.0, downstream: Optional[str] = None) -> Any:
    ready = h.probe_manual("lifespan", False, reason="starting")
    requests = h.counter("app_requests_total", "Requests to the application", labelnames=["path", "code"])
    latency = h.histogram("app_request_seconds", "Request handling time")  # default buckets
    calls = ThreadPoolExecutor(max_workers=32, thread_name_prefix="downstream")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.sleep(warmup_s)  # e.g. opening connections, loading caches
        ready.set(True)
        yield
        ready.set(False, "stopping")
        calls.shutdown(wait=False)

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def root() -> dict:
        return {"hello": "hams"}

    @app.get("/work")
    async def work(request: Request) -> JSONResponse:
        trace: Trace = request.scope["hams.trace"]
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        answer: Dict[str, Any] = {"service": SERVICE, "pid": os.getpid(), "trace_id": trace.trace_id,
                                  "span_id": trace.span_id, "seen": trace.seen, "downstream": None}
        if downstream is not None:
            loop = asyncio.get_running_loop()
            try:
                answer["downstream"] = await loop.run_in_executor(calls, _get_json, downstream, trace.forward())
            except DownstreamError as e:
                return JSONResponse({"error": f"downstream: {e}"}, status_code=502)
        return JSONResponse(answer)

    return Observe(app, requests, latency, paths={"/", "/work"})


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: hams has SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn before 0.29
        pass


def _listen(address: str, port: int) -> socket.socket:
    """The application's socket on the host of hams' address (SO_REUSEADDR:
    a restarted replica rebinds at once)."""
    host = address.rsplit(":", 1)[0].strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP by name: asyncio sets TCP_NODELAY on the connections only
    # then (else each answer waits for the client's delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def serve(args: argparse.Namespace) -> None:
    h = hams.Hams.from_config(
        {
            "service": {"name": SERVICE, "version": "1"},
            "server": {"address": args.hams_address},
            "shutdown": {"drain_ms": args.drain_ms},
        }
    )
    # The lifespan probe exists before hams serves: /hams/ready is never 200
    # before the application could answer.
    app = make_app(h, args.warmup_ms / 1000.0, args.delay_ms / 1000.0, args.downstream)
    h.start()
    h.handle_signals()
    print(f"hams fastapi: hams on http://127.0.0.1:{h.port}/hams/ready", flush=True)
    try:
        sock = _listen(args.hams_address, args.port)
    except OSError as e:
        print(f"hams fastapi: app port {args.port}: {e}", file=sys.stderr, flush=True)
        h.close()
        raise SystemExit(1) from None
    host, port = sock.getsockname()[:2]
    server = _Server(uvicorn.Config(app, log_level="warning"))

    @h.on_shutdown_async
    def stop_uvicorn() -> None:  # after the drain, on the event loop's thread
        print("hams fastapi: drained, stopping uvicorn", flush=True)
        server.should_exit = True

    async def announce() -> None:  # once uvicorn accepts (after the lifespan startup)
        while not server.started and not server.should_exit:
            await asyncio.sleep(0.01)
        if server.started:
            print(f"app serving on http://{f'[{host}]' if ':' in host else host}:{port}/", flush=True)

    announcing = asyncio.ensure_future(announce())
    await server.serve(sockets=[sock])
    announcing.cancel()
    await h.wait_async()
    h.close()
    print("hams fastapi: stopped", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--app-port", "--port", dest="port", type=int, default=8000,
                   help="the application's port, on the host of --address (0: any free one)")
    p.add_argument("--address", "--hams-address", dest="hams_address", default="0.0.0.0:8079",
                   help="hams' HOST:PORT")
    p.add_argument("--warmup-ms", type=int, default=1000)
    p.add_argument("--drain-ms", type=int, default=5000)
    p.add_argument("--delay-ms", type=int, default=0, help="simulated work per request")
    p.add_argument("--downstream", help="a URL GET /work calls first, e.g. http://127.0.0.1:8001/work")
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
