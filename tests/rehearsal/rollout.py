"""One rolling update of three replicas of a demo behind HAProxy, under load:
each replica in turn gets SIGTERM, is waited for, started again and waited
for until HAProxy reports it UP. Optionally Prometheus scrapes the replicas
all along, and afterwards a fourth replica chained to one of them shows how
the tracing headers travel."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Callable, List, Optional

import processes
from haproxy import HAProxy
from load import Load, Summary
from prometheus_server import SCRAPE_INTERVAL_S, Prometheus
from replicas import Demo, Replica, http_get

REPLICAS = 3
SETTLE_S = 1.0  # load before the first SIGTERM and after the last replica is back
# A replacement does not start the instant the old process exits (a new pod
# is scheduled, pulled, started): the same pause in both runs. It is longer
# than HAProxy's check interval, so a replica stopped without a drain is
# always seen down by a check while the balancer still routes to it.
RESTART_GAP_S = 0.6


class Outcome:
    def __init__(self) -> None:
        self.summary: Optional[Summary] = None
        self.steps: List[str] = []
        self.exits: List[Optional[int]] = []
        self.down_before_exit: List[bool] = []
        self.seconds = 0.0
        self.failed_log: List[str] = []
        self.prom: dict = {}
        self.chain: dict = {}


def _terminate(r: Replica, hap: HAProxy, timeout: float):
    """SIGTERM r; until it exits, watch whether HAProxy reports it DOWN.
    Returns (exit status or None, seconds to exit, seconds until DOWN or None)."""
    assert r.proc is not None
    t0 = time.monotonic()
    r.proc.send_signal(signal.SIGTERM)
    down_at = None
    while r.proc.poll() is None and time.monotonic() - t0 < timeout:
        if down_at is None and hap.states().get(r.name) == "DOWN":
            down_at = time.monotonic() - t0
        time.sleep(0.02)
    rc = r.proc.poll()
    exit_s = time.monotonic() - t0
    if rc is not None:
        processes.stop(r.proc)
        r.proc = None
    return rc, exit_s, down_at


def run(demo: Demo, workdir: str, drain_ms: int, rate: float, with_prometheus: bool, chain: bool,
        say: Callable[[str], None]) -> Outcome:
    out = Outcome()
    n_ports = 2 * REPLICAS + 1 + (1 if with_prometheus else 0) + (2 if chain else 0)
    ports = processes.free_ports(n_ports)
    reps = [Replica(demo, f"r{i}", ports[2 * i], ports[2 * i + 1], drain_ms, workdir) for i in range(REPLICAS)]
    hap = HAProxy(workdir, ports[2 * REPLICAS], [(r.name, r.app_port, r.hams_port) for r in reps])
    prom = Prometheus(workdir, ports[2 * REPLICAS + 1], [r.hams_port for r in reps]) if with_prometheus else None
    extra: Optional[Replica] = None
    t_start = time.monotonic()
    try:
        if prom:  # first, so that it scrapes every process from its start
            prom.start()
        for r in reps:  # all at once: the Python demo takes a second to start
            r.spawn()
        for r in reps:
            r.wait_ready()
        hap.start()
        for r in reps:
            hap.wait_state(r.name, "UP", 10)
        if prom:
            processes.wait_for(
                "Prometheus' first scrape of every replica",
                lambda: len([s for s in prom.query('up{job="replicas"} == 1', time.time())]) == REPLICAS,
                15, 0.2,
            )
        say(f"  {REPLICAS} replicas UP in HAProxy (127.0.0.1:{hap.port}); load {rate:g} req/s, drain_ms {drain_ms}")

        load = Load(hap.port, rate)
        wall0 = time.time()
        load.start()
        time.sleep(SETTLE_S)
        t_roll = time.monotonic()
        for r in reps:
            rc, exit_s, down_s = _terminate(r, hap, drain_ms / 1000.0 + 15)
            out.exits.append(rc)
            out.down_before_exit.append(down_s is not None)
            if rc is None:
                raise RuntimeError(f"{r.name} did not exit within {drain_ms / 1000.0 + 15:.0f} s of SIGTERM")
            time.sleep(RESTART_GAP_S)
            start_s = r.start()
            up_s = hap.wait_state(r.name, "UP", 15)
            seen = f"HAProxy saw it DOWN after {down_s:.2f} s" if down_s is not None else "HAProxy never saw it DOWN"
            step = (f"  {r.name}: SIGTERM -> exit {rc} after {exit_s:.2f} s ({seen}); "
                    f"restarted {RESTART_GAP_S:g} s later, ready in {start_s:.2f} s, UP in HAProxy {up_s:.2f} s later")
            out.steps.append(step)
            say(step)
        roll_s = time.monotonic() - t_roll
        time.sleep(SETTLE_S)
        results = load.stop()
        wall1 = time.time()
        out.summary = Summary(results)
        say(f"  rollout took {roll_s:.1f} s; {out.summary.line()}")
        out.failed_log = hap.failed_log_lines()

        if prom:
            out.prom = _prometheus_checks(prom, load, out.summary, wall0, wall1, rate)
        if chain:
            extra = Replica(demo, "front", ports[-2], ports[-1], drain_ms, workdir,
                            downstream=f"http://127.0.0.1:{reps[0].app_port}/work")
            extra.start()
            out.chain = _chain_check(extra)
    finally:
        procs = [r.proc for r in reps + ([extra] if extra else []) if r.proc is not None]
        procs += [p for p in (hap.proc, prom.proc if prom else None) if p is not None]
        processes.stop_many(procs, grace=drain_ms / 1000.0 + 3)
        out.seconds = time.monotonic() - t_start
    return out


def _prometheus_checks(prom: Prometheus, load: Load, s: Summary, wall0: float, wall1: float, rate: float) -> dict:
    # Two more scrapes, so that each replica's last count is in.
    time.sleep(2.5 * SCRAPE_INTERVAL_S)
    at = time.time()
    window = int(at - wall0) + 3  # from before the first request to now
    res = {"window_s": window, "one_scrape": rate * SCRAPE_INTERVAL_S, "served": s.served}
    res["up"] = {r["metric"]["instance"]: r["value"][1] for r in prom.query('up{job="replicas"}', at)}
    inc = prom.query(f"sum(increase(app_requests_total[{window}s]))", at)
    res["increase"] = float(inc[0]["value"][1]) if inc else 0.0
    res["exact"], res["processes"] = prom.exact_total("app_requests_total", window, at)
    ex = prom.exemplars("app_request_seconds_bucket", wall0 - 1, at) + prom.exemplars("app_requests_total", wall0 - 1, at)
    ids = [e.get("labels", {}).get("trace_id") for e in ex]
    res["exemplars"] = len(ex)
    res["exemplars_sent"] = [i for i in ids if i in load.sent_trace_ids]
    return res


def _chain_check(front: Replica) -> dict:
    """One request to `front`, which calls replica r0: r0 must have seen the
    same trace id, with front's new span id as the parent id."""
    trace, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    headers = {
        "traceparent": f"00-{trace}-{parent}-01",
        "tracestate": "rehearsal=1",
        "x-request-id": "rehearsal-chain",
        "x-b3-traceid": trace,
        "x-b3-spanid": parent,
        "x-b3-sampled": "1",
    }
    status, body = http_get(front.app_port, "/work", headers, timeout=10)
    res: dict = {"status": status, "sent": headers["traceparent"]}
    if status != 200:
        res["error"] = f"HTTP {status}: {body[:200]!r}"
        return res
    doc = json.loads(body)
    down = doc.get("downstream") or {}
    seen = (down.get("seen") or {}).get("traceparent", "")
    res.update(front_span=doc.get("span_id"), front_trace=doc.get("trace_id"), downstream_seen=seen,
               downstream_trace=down.get("trace_id"), downstream_b3=(down.get("seen") or {}).get("x-b3-traceid"))
    want = f"00-{trace}-{doc.get('span_id')}-01"
    res["ok"] = (doc.get("trace_id") == trace and seen == want and doc.get("span_id") != parent
                 and down.get("trace_id") == trace and res["downstream_b3"] == trace)
    return res


def workdir_for(base: str, name: str) -> str:
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    return d
