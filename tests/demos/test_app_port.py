#!/usr/bin/env python3
"""The demos' application port, end to end: the C demo (examples/c/demo.c)
and the FastAPI demo (examples/python/fastapi_app.py) as real processes on
127.0.0.1 (ephemeral ports), driven by real HTTP clients:

- GET /work answers the JSON document; other paths 404; keep-alive;
- two replicas chained (A --downstream B): B sees the trace id the client
  sent, with A's span id as the parent, and the other tracing headers
  unchanged; without (or with an invalid) traceparent a new trace starts;
  an unreachable downstream answers 502;
- an OpenMetrics scrape of /hams/metrics shows the request's trace id as
  the exemplar of app_requests_total and of an app_request_seconds bucket
  (and, for the C demo, the TCK's two exemplars);
- SIGTERM: /hams/ready 503 while /work still answers through the drain; a
  request in flight when the drain ends is answered; then exit 0.

    test_app_port.py --c-demo PATH [--python-demo PATH] [--only c|python]

Prints "demos: N passed, N failed" (exit 77 when a demo is missing its
tools and nothing failed)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
OTHER_HEADERS = {
    "x-request-id": "req-7c1f",
    "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
    "x-b3-traceid": "463ac35c9f6413ad48485a3953bb6124",
    "x-b3-spanid": "a2fb4a1d1a96d312",
    "x-b3-parentspanid": "0020000000000001",
    "x-b3-sampled": "1",
    "x-b3-flags": "0",
    "b3": "463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-1-0020000000000001",
}
HEX32, HEX16 = re.compile(r"[0-9a-f]{32}"), re.compile(r"[0-9a-f]{16}")

passes: List[str] = []
failures: List[str] = []


def check(what: str, ok: bool, detail: Any = "") -> bool:
    print(f"{'ok  ' if ok else 'FAIL'} {what}{'' if ok or detail == '' else f': {detail}'}", flush=True)
    (passes if ok else failures).append(what)
    return ok


def request(port: int, path: str, headers: Optional[Dict[str, str]] = None,
            timeout: float = 10.0) -> Tuple[int, Dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def status(port: int, path: str) -> int:
    try:
        return request(port, path, timeout=5.0)[0]
    except OSError:
        return -1


class Replica:
    """One demo process: its hams port and application port from its
    output."""

    def __init__(self, cmd: List[str], env: Dict[str, str], name: str) -> None:
        self.name = name
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                  stdin=subprocess.DEVNULL)
        self.lines: List[str] = []
        self.hams_port = self.app_port = 0
        seen = threading.Event()
        assert self.p.stdout is not None
        out = self.p.stdout

        def read() -> None:
            for line in iter(out.readline, ""):
                self.lines.append(line)
                m = re.search(r"http://127\.0\.0\.1:(\d+)/hams/ready", line)
                if m and not self.hams_port:
                    self.hams_port = int(m.group(1))
                m = re.match(r"app serving on http://127\.0\.0\.1:(\d+)/$", line.rstrip("\n"))
                if m:
                    self.app_port = int(m.group(1))
                    seen.set()
            seen.set()

        threading.Thread(target=read, daemon=True).start()
        seen.wait(30)
        if not (self.hams_port and self.app_port):
            self.kill()
            raise RuntimeError(f"{name} did not announce its ports: {''.join(self.lines)!r}")

    @property
    def pid(self) -> int:
        return self.p.pid

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if status(self.hams_port, "/hams/ready") == 200:
                return True
            time.sleep(0.05)
        return False

    def work(self, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], Any]:
        code, hdrs, body = request(self.app_port, "/work", headers)
        try:
            return code, hdrs, json.loads(body)
        except ValueError:
            return code, hdrs, body

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def openmetrics_lines(port: int, prefix: str) -> List[str]:
    code, _, body = request(port, "/hams/metrics", OPENMETRICS)
    return [line for line in body.splitlines() if line.startswith(prefix)] if code == 200 else []


def exemplar_of(line: str) -> Optional[str]:
    m = re.search(r' # \{trace_id="([^"]*)"\} \S+ \d+(\.\d+)?$', line)
    return m.group(1) if m else None


def test_chain(kind: str, start: Any) -> None:
    b = start("B")
    a = start("A", downstream=f"http://127.0.0.1:{b.app_port}/work")
    try:
        check(f"{kind}: A and B ready", a.wait_ready() and b.wait_ready())
        sent = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", **OTHER_HEADERS}
        code, hdrs, doc = a.work(sent)
        check(f"{kind}: GET /work 200 with JSON", code == 200 and isinstance(doc, dict), (code, doc))
        if not isinstance(doc, dict):
            return
        check(f"{kind}: Content-Type application/json", hdrs.get("content-type", "").startswith("application/json"),
              hdrs.get("content-type"))
        check(f"{kind}: the document's keys",
              set(doc) == {"service", "pid", "trace_id", "span_id", "seen", "downstream"}, sorted(doc))
        check(f"{kind}: service and pid", isinstance(doc.get("service"), str) and doc.get("pid") == a.pid,
              (doc.get("service"), doc.get("pid"), a.pid))
        check(f"{kind}: A keeps the trace id", doc.get("trace_id") == TRACE_ID, doc.get("trace_id"))
        span = doc.get("span_id", "")
        check(f"{kind}: A's span id is new", bool(HEX16.fullmatch(span)) and span != PARENT_ID, span)
        check(f"{kind}: A saw what was sent", doc.get("seen") == sent, doc.get("seen"))
        down = doc.get("downstream")
        check(f"{kind}: A includes B's answer", isinstance(down, dict) and down.get("pid") == b.pid, down)
        if not isinstance(down, dict):
            return
        seen_b = down.get("seen", {})
        check(f"{kind}: B's traceparent: same trace id, A's span as parent",
              seen_b.get("traceparent") == f"00-{TRACE_ID}-{span}-01", seen_b.get("traceparent"))
        check(f"{kind}: B's parent id is not the client's", PARENT_ID not in seen_b.get("traceparent", ""))
        check(f"{kind}: the other 8 headers reach B unchanged",
              {k: v for k, v in seen_b.items() if k != "traceparent"} == OTHER_HEADERS, seen_b)
        check(f"{kind}: B's trace id and new span", down.get("trace_id") == TRACE_ID and
              HEX16.fullmatch(down.get("span_id", "")) is not None and down.get("span_id") != span, down)
        check(f"{kind}: B has no downstream", down.get("downstream") is None)

        # The exemplars: this request's trace id, on the counter and a bucket.
        lines = openmetrics_lines(a.hams_port, "app_request")
        counter = [x for x in lines if x.startswith('app_requests_total{path="/work",code="200"} ')]
        check(f"{kind}: app_requests_total's exemplar is the trace id",
              len(counter) == 1 and exemplar_of(counter[0]) == TRACE_ID, counter)
        buckets = [x for x in lines if x.startswith("app_request_seconds_bucket") and exemplar_of(x) == TRACE_ID]
        check(f"{kind}: an app_request_seconds bucket's exemplar is the trace id", len(buckets) == 1, lines)
        b_lines = openmetrics_lines(b.hams_port, 'app_requests_total{path="/work",code="200"} ')
        check(f"{kind}: B's exemplar has the same trace id", [exemplar_of(x) for x in b_lines] == [TRACE_ID],
              b_lines)

        # No traceparent, or an invalid one: a new trace, sent on.
        for label, hdrs_in in (("no traceparent", {"x-request-id": "r2"}),
                               ("an invalid traceparent", {"traceparent": f"ff-{TRACE_ID}-{PARENT_ID}-01"}),
                               ("an all-zero trace id", {"traceparent": f"00-{'0' * 32}-{PARENT_ID}-01"})):
            code, _, doc = a.work(hdrs_in)
            ok = code == 200 and isinstance(doc, dict) and isinstance(doc.get("downstream"), dict)
            tid = doc.get("trace_id", "") if ok else ""
            tp = doc["downstream"]["seen"].get("traceparent") if ok else None
            check(f"{kind}: {label}: a new trace, sent on",
                  bool(HEX32.fullmatch(tid)) and tid != TRACE_ID and tid != "0" * 32
                  and tp == f"00-{tid}-{doc.get('span_id')}-01", doc)
            if ok:
                check(f"{kind}: {label}: seen as it arrived", doc.get("seen") == hdrs_in, doc.get("seen"))
            counter = openmetrics_lines(a.hams_port, 'app_requests_total{path="/work",code="200"} ')
            check(f"{kind}: {label}: the exemplar follows the latest request",
                  [exemplar_of(x) for x in counter] == [tid], counter)

        # Keep-alive: two requests on one connection; then Connection: close.
        conn = http.client.HTTPConnection("127.0.0.1", b.app_port, timeout=10)
        try:
            codes = []
            conn.request("GET", "/work")
            r = conn.getresponse()
            r.read()
            codes.append(r.status)
            sock = conn.sock
            conn.request("GET", "/work")
            r = conn.getresponse()
            r.read()
            codes.append(r.status)
            check(f"{kind}: keep-alive: two answers on one connection", codes == [200, 200] and conn.sock is sock
                  and sock is not None, codes)
            conn.request("GET", "/work", headers={"Connection": "close"})
            r = conn.getresponse()
            r.read()
            check(f"{kind}: Connection: close honoured", r.status == 200 and r.will_close, r.getheaders())
        finally:
            conn.close()
        check(f"{kind}: other paths 404", status(a.app_port, "/nope") == 404)
        counter = openmetrics_lines(a.hams_port, "app_requests_total{")
        check(f"{kind}: the 404 counted with its code", any('code="404"' in x for x in counter), counter)
    finally:
        a.kill()
        b.kill()


def test_downstream_failure(kind: str, start: Any, free_port: int) -> None:
    a = start("A", downstream=f"http://127.0.0.1:{free_port}/work")
    try:
        a.wait_ready()
        code, _, doc = a.work()
        check(f"{kind}: an unreachable downstream answers 502", code == 502, (code, doc))
        counter = openmetrics_lines(a.hams_port, "app_requests_total{")
        check(f"{kind}: the 502 counted", any('code="502"' in x for x in counter), counter)
    finally:
        a.kill()


def test_sigterm(kind: str, start: Any, drain_ms: int) -> None:
    a = start("A", drain_ms=drain_ms)
    try:
        check(f"{kind}: ready before SIGTERM", a.wait_ready())
        a.p.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        deadline = t0 + 2
        while status(a.hams_port, "/hams/ready") != 503 and time.monotonic() < deadline:
            time.sleep(0.02)
        check(f"{kind}: ready 503 right after SIGTERM", status(a.hams_port, "/hams/ready") == 503)
        answered = total = 0
        while time.monotonic() - t0 < (drain_ms - 700) / 1000.0:
            total += 1
            try:
                answered += a.work()[0] == 200
            except OSError:
                pass
            time.sleep(0.02)
        check(f"{kind}: /work answers through the drain ({answered}/{total})", total >= 10 and answered == total)
        try:
            rc: Optional[int] = a.p.wait(timeout=drain_ms / 1000.0 + 15)
        except subprocess.TimeoutExpired:
            rc = None
        check(f"{kind}: exit 0 after the drain (rc {rc})", rc == 0 and time.monotonic() - t0 >= drain_ms / 1000.0)
        check(f"{kind}: the app port is closed", status(a.app_port, "/work") == -1)
    finally:
        a.kill()


def test_in_flight(kind: str, start: Any) -> None:
    """A slow request still running when the drain ends is answered before
    the process exits."""
    a = start("A", drain_ms=300, delay_ms=2000)
    try:
        a.wait_ready()
        result: List[Any] = []
        t = threading.Thread(target=lambda: result.append(a.work()[0]))
        t.start()
        time.sleep(0.3)
        a.p.send_signal(signal.SIGTERM)
        t.join(15)
        check(f"{kind}: the request in flight at the stop is answered", result == [200], result)
        try:
            rc: Optional[int] = a.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        check(f"{kind}: then exit 0 (rc {rc})", rc == 0)
    finally:
        a.kill()


def test_tck_exemplars(start: Any) -> None:
    a = start("A")
    try:
        tck = openmetrics_lines(a.hams_port, "tck_")
        lat = [x for x in tck if x.startswith('tck_latency_seconds_bucket{le="0.5"} ')]
        req = [x for x in tck if x.startswith('tck_requests_total{path="/b",code="500"} ')]
        check("c: TCK: tck_latency_seconds le=0.5 exemplar",
              [exemplar_of(x) for x in lat] == ["0af7651916cd43dd8448eb211c80319c"], lat)
        check("c: TCK: tck_requests_total{/b,500} exemplar", [exemplar_of(x) for x in req] == ["b7ad6b7169203331"],
              req)
    finally:
        a.kill()


def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def starter(kind: str, cmd: List[str], env: Dict[str, str]) -> Any:
    def start(name: str, downstream: Optional[str] = None, drain_ms: int = 2500, delay_ms: int = 0) -> Replica:
        args = cmd + ["--address", "127.0.0.1:0", "--app-port", "0", "--warmup-ms", "0",
                      "--drain-ms", str(drain_ms), "--delay-ms", str(delay_ms)]
        if downstream:
            args += ["--downstream", downstream]
        return Replica(args, env, f"{kind} {name}")

    return start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--c-demo", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap.add_argument("--python-demo", default=os.path.join(root, "examples", "python", "fastapi_app.py"))
    ap.add_argument("--only", choices=["c", "python"])
    args = ap.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(root, "bindings", "python") + os.pathsep + env.get("PYTHONPATH", "")
    demos = []
    skipped = False
    if args.only in (None, "c"):
        demos.append(("c", [args.c_demo]))
    if args.only in (None, "python"):
        try:
            import fastapi  # noqa: F401
            import uvicorn  # noqa: F401

            demos.append(("python", [sys.executable, args.python_demo]))
        except ImportError as e:
            print(f"SKIP python: {e} (tools/deps.sh check installs fastapi and uvicorn)")
            skipped = True
    for kind, cmd in demos:
        start = starter(kind, cmd, env)
        try:
            test_chain(kind, start)
            test_downstream_failure(kind, start, unused_port())
            test_sigterm(kind, start, 2500)
            test_in_flight(kind, start)
            if kind == "c":
                test_tck_exemplars(start)
        except Exception as e:  # noqa: BLE001 - a failed start is a failure, not a crash
            check(f"{kind}: ran to the end", False, repr(e))
    print(f"demos: {len(passes)} passed, {len(failures)} failed", flush=True)
    if failures:
        return 1
    return 77 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
