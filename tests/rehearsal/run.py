#!/usr/bin/env python3
"""The production rehearsal (`make rehearsal`): for each demo (C, Python),
a rolling update of three replicas behind a real HAProxy under a fixed-rate
load must lose no request, while Prometheus scrapes the replicas through it
(every `up` 1 afterwards, its count of requests agrees with the load
generator's, an exemplar carries a trace id the load generator sent); the
same rollout with --drain-ms 0 (the control) must lose requests, or the
rehearsal could not have failed; and two chained replicas propagate the
trace context. Ends with "rehearsal: N passed, N failed"; exit 1 on failure.

Needs haproxy and prometheus (Debian's; `tools/deps.sh check`), fastapi and
uvicorn for the Python demo. Everything listens on 127.0.0.1 only.

    python3 tests/rehearsal/run.py --c-demo target/demo --lib-dir target/lib-release
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from typing import List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # the source tree may be read-only (make distcheck)

import processes  # noqa: E402
import rollout  # noqa: E402
from replicas import c_demo, python_demo  # noqa: E402

checks: List[Tuple[str, bool, str]] = []
table: List[str] = []  # the report's rows: one per run
notes: List[str] = []  # and its figures beyond the table


def row(demo: str, run: str, s) -> None:
    table.append(f"  {demo:8}{run:24}{s.n:>7}{s.failed:>8}{s.p50_ms:>9.1f}{s.p99_ms:>9.1f}{s.max_ms:>9.1f}")


def check(name: str, ok: bool, detail: str = "") -> None:
    checks.append((name, ok, detail))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def say(line: str) -> None:
    print(line, flush=True)


def rehearse(demo, base: str, args: argparse.Namespace, with_prometheus: bool) -> None:
    name = demo.name
    say(f"==> {name} demo: rolling update, drain_ms {args.drain_ms}"
        + (", Prometheus scraping" if with_prometheus else ""))
    try:
        o = rollout.run(demo, rollout.workdir_for(base, f"{name}-rollout"), args.drain_ms, args.rate,
                        with_prometheus, chain=True, say=say)
    except Exception as e:  # noqa: BLE001 - reported as a failed check, the others still run
        check(f"{name} rollout ran", False, f"{type(e).__name__}: {e}")
        traceback.print_exc()
        return
    s = o.summary
    assert s is not None
    row(name, f"rollout drain_ms {args.drain_ms}", s)
    check(f"{name} rollout: every replica exited 0 and came back UP",
          len(o.exits) == rollout.REPLICAS and all(rc == 0 for rc in o.exits), f"exit statuses {o.exits}")
    check(f"{name} rollout: HAProxy saw each replica DOWN during its drain, before it exited",
          all(o.down_before_exit), str(o.down_before_exit))
    expected = args.rate * 0.8 * (2 * rollout.SETTLE_S)
    check(f"{name} rollout: 0 failed requests", s.failed == 0 and s.n > expected,
          f"N={s.n}, failed={s.failed}, p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} ms ({o.seconds:.0f} s in all)")
    for line in o.failed_log:
        say(f"    haproxy: {line}")
    if o.prom:
        p = o.prom
        check(f"{name} Prometheus: every up is 1 after the rollout",
              len(p["up"]) == rollout.REPLICAS and all(v == "1" for v in p["up"].values()), str(p["up"]))
        diff = p["exact"] - p["served"]
        notes.append(f"{name} Prometheus: load generator served {p['served']}; counted by Prometheus exactly "
                     f"(last sample of each of {p['processes']} processes) {p['exact']:.0f} ({diff:+.0f}); "
                     f"sum(increase(app_requests_total[{p['window_s']}s])) {p['increase']:.1f} "
                     f"({p['increase'] - p['served']:+.1f}, extrapolated); one scrape = {p['one_scrape']:.0f}")
        check(f"{name} Prometheus: requests counted agree with the load generator's within one scrape",
              p["served"] > 0 and abs(diff) <= p["one_scrape"],
              f"served {p['served']}, Prometheus {p['exact']:.0f} (exact, per process, {p['processes']} processes; "
              f"difference {diff:+.0f}, one scrape = {p['one_scrape']:.0f}); "
              f"sum(increase(app_requests_total[{p['window_s']}s])) = {p['increase']:.1f}")
        if p["exemplars_sent"]:
            notes.append(f"{name} Prometheus: {p['exemplars']} exemplars returned, {len(p['exemplars_sent'])} "
                         f"with a trace id the load generator sent, e.g. trace_id={p['exemplars_sent'][0]}")
        check(f"{name} Prometheus: an exemplar carries a trace id the load generator sent",
              len(p["exemplars_sent"]) > 0,
              f"{p['exemplars']} exemplars, {len(p['exemplars_sent'])} with a sent trace id"
              + (f", e.g. trace_id={p['exemplars_sent'][0]}" if p["exemplars_sent"] else ""))
    c = o.chain
    check(f"{name} trace propagation: A -> B keeps the trace id, B's parent is A's new span",
          bool(c.get("ok")), f"sent {c.get('sent')}, A's span {c.get('front_span')}, B saw {c.get('downstream_seen')}"
          + (f" ({c['error']})" if c.get("error") else ""))

    say(f"==> {name} demo: control, drain_ms 0")
    try:
        ctl = rollout.run(demo, rollout.workdir_for(base, f"{name}-control"), 0, args.rate, False, chain=False,
                          say=say)
    except Exception as e:  # noqa: BLE001
        check(f"{name} control ran", False, f"{type(e).__name__}: {e}")
        traceback.print_exc()
        return
    cs = ctl.summary
    assert cs is not None
    row(name, "control drain_ms 0", cs)
    notes.append(f"{name} control's failures: {cs.errors}")
    # Served requests too: a demo that fails every request proves nothing.
    check(f"{name} control (drain_ms 0): failed requests show (the rehearsal can fail)", cs.failed > 0 and cs.served > 0,
          f"N={cs.n}, failed={cs.failed} {cs.errors}")


def _python_demo_runs(python: str) -> bool:
    return subprocess.run([python, "-c", "import fastapi, uvicorn"], capture_output=True).returncode == 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(HERE))
    ap.add_argument("--c-demo", default=os.path.join(root, "target", "demo"), help="the C demo's binary")
    ap.add_argument("--lib-dir", default=os.path.join(root, "target", "release"), help="libhams.so's directory")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--demos", default="c,python", help="which demos (c,python)")
    ap.add_argument("--prometheus", default="c,python", help="the demos whose rollout Prometheus scrapes")
    ap.add_argument("--rate", type=float, default=150.0, help="requests per second through HAProxy")
    ap.add_argument("--drain-ms", type=int, default=2000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = ap.parse_args()

    missing = [t for t in ("haproxy", "prometheus") if not (shutil.which(t) or os.path.exists(f"/usr/sbin/{t}"))]
    if missing:
        print(f"rehearsal: missing {' '.join(missing)} (tools/deps.sh check installs them)", flush=True)
        print("rehearsal: 0 passed, 1 failed")
        return 1
    lib_so0 = os.path.join(args.lib_dir, "libhams.so.0")
    if not os.path.exists(lib_so0) and os.path.exists(os.path.join(args.lib_dir, "libhams.so")):
        os.symlink("libhams.so", lib_so0)

    base = tempfile.mkdtemp(prefix="hams-rehearsal-")
    # A SIGTERM or SIGHUP to the rehearsal still stops what it started.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    t0 = time.monotonic()
    try:
        wanted = args.demos.split(",")
        prom_for = args.prometheus.split(",")
        if "c" in wanted:
            rehearse(c_demo(os.path.abspath(args.c_demo), os.path.abspath(args.lib_dir)), base, args, "c" in prom_for)
        if "python" in wanted and not _python_demo_runs(args.python):
            check("Python demo can run", False, f"{args.python} cannot import fastapi and uvicorn "
                  "(tools/deps.sh check installs them)")
        elif "python" in wanted:
            rehearse(python_demo(args.python, root, os.path.abspath(args.lib_dir)), base, args, "python" in prom_for)
    except KeyboardInterrupt:
        check("rehearsal interrupted", False)
    finally:
        processes.stop_all()
        if args.keep:
            say(f"logs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    passed = sum(1 for _, ok, _ in checks if ok)
    failed = len(checks) - passed
    say("")
    say(f"rehearsal report: {rollout.REPLICAS} replicas per demo behind HAProxy, {args.rate:g} req/s, "
        f"{time.monotonic() - t0:.0f} s in all")
    say(f"  {'demo':8}{'run':24}{'N':>7}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for line in table:
        say(line)
    for line in notes:
        say(f"  {line}")
    for name, ok, detail in checks:
        if not ok:
            say(f"failed: {name}")
    say(f"rehearsal: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
