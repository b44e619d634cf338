"""Workers mode under gunicorn: hams against prometheus_client's
multiprocess mode, the same app (bench_app.py) instrumented with each.

  - ns per increment inside a worker (timed in the worker: a child's
    inc(), and labels(...).inc());
  - scrape time with W workers x S series (hams: the master's
    /hams/metrics; prometheus_client: /metrics, where a worker reads every
    worker's files), median of R scrapes over loopback HTTP;
  - the count after N requests with max_requests recycling.

bench/workers/run.sh runs it; it prints a Markdown table with ratios."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))


def get(port: int, path: str, timeout: float = 30.0) -> Tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def series_total(text: str, name: str) -> Tuple[int, float]:
    """How many series of `name` (pid labels merged), and their sum."""
    keys: Dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name):
            m = re.match(re.escape(name) + r'(\{[^}]*\})?\s+(\S+)', line)
            if m:
                key = re.sub(r',?pid="\d+"', "", m.group(1) or "")
                keys[key] = keys.get(key, 0.0) + float(m.group(2))
    return len(keys), sum(keys.values())


class Gunicorn:
    def __init__(self, kind: str, workers: int, env: Dict[str, str], extra: List[str]) -> None:
        self.kind = kind
        args = [sys.executable, "-m", "gunicorn", "-c", f"conf_{kind}.py", "-w", str(workers), "-b", "127.0.0.1:0",
                "--log-level", "info", *extra, f"app_{kind}:app"]
        self.proc = subprocess.Popen(args, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: List[str] = []
        self.done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = int(self._wait(r"Listening at: http://127\.0\.0\.1:(\d+)"))
        self.hams_port = int(self._wait(r"hams: serving on port (\d+)")) if kind == "hams" else 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())
        self.done.set()

    def _wait(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m.group(1)
            if self.done.is_set():
                break
            time.sleep(0.05)
        raise SystemExit(f"bench workers: no {pattern!r} from gunicorn ({self.kind}):\n" + "\n".join(self.lines[-30:]))

    def scrape(self) -> Tuple[float, str]:
        t0 = time.perf_counter()
        status, body = get(self.hams_port, "/hams/metrics") if self.kind == "hams" else get(self.port, "/metrics")
        dt = time.perf_counter() - t0
        if status != 200:
            raise SystemExit(f"bench workers: scrape of {self.kind} answered {status}")
        return dt, body.decode("utf-8", "replace")

    def stop(self) -> None:
        kids = children(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in kids:  # a worker stuck on its way out must not outlive the bench
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"gunicorn" in f.read():
                        os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def children(pid: int) -> List[int]:
    out = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            out.append(int(d))
    return out


def environment(kind: str, series: int, work: str) -> Dict[str, str]:
    env = dict(os.environ)
    env["BENCH_SERIES"] = str(series)
    env["PYTHONPATH"] = os.pathsep.join([HERE] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.pop("HAMS_WORKERS", None)
    if kind == "hams":
        env["HAMS_ADDRESS"] = "127.0.0.1:0"
    else:
        d = os.path.join(work, f"prom-{time.monotonic_ns()}")
        os.makedirs(d)
        env["PROMETHEUS_MULTIPROC_DIR"] = d
    return env


def measure(kind: str, args: argparse.Namespace, work: str) -> Dict[str, object]:
    r: Dict[str, object] = {}
    g = Gunicorn(kind, args.workers, environment(kind, args.series, work), [])
    try:
        # Every worker has made and counted its series.
        want = float(args.workers * args.series)
        deadline = time.monotonic() + 120
        while True:
            n, s = series_total(g.scrape()[1], "bench_series_total")
            if s >= want or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if s < want:
            raise SystemExit(f"bench workers: {kind}: {s} counts of {want} after 120 s")
        incs = [json.loads(get(g.port, f"/inc?n={args.ops}")[1]) for _ in range(args.rounds)]
        r["impl"] = incs[0]["impl"]
        r["child_inc_ns"] = min(x["child_inc_ns"] for x in incs)
        r["labels_inc_ns"] = min(x["labels_inc_ns"] for x in incs)
        times = []
        for _ in range(args.scrapes):
            dt, text = g.scrape()
            times.append(dt)
        n, _ = series_total(text, "bench_series_total")
        r["series"] = n
        r["scrape_ms"] = statistics.median(times) * 1000
        r["scrape_bytes"] = len(text)
    finally:
        g.stop()
    # Recycling: max_requests, then N requests to /hit, then the count.
    g = Gunicorn(kind, args.workers, environment(kind, 1, work),
                 ["--max-requests", str(args.max_requests), "--max-requests-jitter", "0"])
    try:
        for _ in range(args.requests):
            status, _b = get(g.port, "/hit")
            if status != 200:
                raise SystemExit(f"bench workers: {kind}: /hit answered {status}")
        time.sleep(1.5)  # a recycled worker's exit is seen within 1 s
        _n, hits = series_total(g.scrape()[1], "bench_hits_total")
        r["hits"] = hits
    finally:
        g.stop()
    return r


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--series", type=int, default=1000)
    p.add_argument("--ops", type=int, default=1000000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--scrapes", type=int, default=20)
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--max-requests", type=int, default=50)
    p.add_argument("--out", default="")
    p.add_argument("--skip-prom", action="store_true")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="hams-bench-workers.")
    try:
        res = {"hams": measure("hams", args, work)}
        if not args.skip_prom:
            res["prom"] = measure("prom", args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(res, args))
    if args.out:
        with open(args.out, "w") as f:
            f.write(table(res, args) + "\n")


def table(res: Dict[str, Dict[str, object]], args: argparse.Namespace) -> str:
    h, p = res["hams"], res.get("prom")

    def ratio(key: str) -> str:
        if p is None:
            return "n/a"
        return f"{float(p[key]) / float(h[key]):.1f}x"  # type: ignore[arg-type]

    def cell(r: Optional[Dict[str, object]], key: str, fmt: str) -> str:
        return "n/a" if r is None else format(float(r[key]), fmt)  # type: ignore[arg-type]

    rows = [
        "### Workers mode under gunicorn: hams against prometheus_client multiprocess",
        "",
        f"gunicorn sync, {args.workers} workers; hams' Python package: {h['impl']}; ratio: prometheus_client / hams",
        "",
        "| measure | hams | prometheus_client | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| ns per inc() of a child, in a worker ({args.ops:,} iterations, best of {args.rounds}) "
        f"| {cell(h, 'child_inc_ns', '.0f')} | {cell(p, 'child_inc_ns', '.0f')} | {ratio('child_inc_ns')} |",
        f"| ns per labels(...).inc(), in a worker "
        f"| {cell(h, 'labels_inc_ns', '.0f')} | {cell(p, 'labels_inc_ns', '.0f')} | {ratio('labels_inc_ns')} |",
        f"| scrape, {args.workers} workers x {args.series} series, ms (median of {args.scrapes}) "
        f"| {cell(h, 'scrape_ms', '.2f')} | {cell(p, 'scrape_ms', '.2f')} | {ratio('scrape_ms')} |",
        f"| series in that scrape | {h['series']} | {'n/a' if p is None else p['series']} | |",
        f"| count after {args.requests} requests, max_requests={args.max_requests} "
        f"| {cell(h, 'hits', '.0f')} | {cell(p, 'hits', '.0f')} | |",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
