"""bench/metrics/peers.py: prometheus_client (PyPI), the Python peer.

  peers.py series N [--scrapes R] [--body-dir DIR]
      creates N series of bench_requests_total{path, code} (labels(...).inc()
      each) in a fresh registry, then times generate_latest() R times;
      prints {"impl":"prometheus_client","n":..,"create_s":..,"rss_bytes":..,
      "scrape":{"text":{"s":[..],"body_bytes":..}},"series_seen":..}
  peers.py ops ITERATIONS
      ns per inc, set, observe and labels(path=.., code=..).inc()

The run script sets PROMETHEUS_DISABLE_CREATED_SERIES=True so that the
exposition has the same samples as hams' (no _created series)."""

import os
import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bench_common import (
    BUCKETS,
    FAMILY,
    HELP,
    LABEL_NAMES,
    TRACE_ID,
    emit,
    label_values,
    now,
    ns_per_op,
    parse,
    rss_bytes,
)


def series(n, scrapes, body_dir):
    reg = CollectorRegistry()
    rss0 = rss_bytes()
    t0 = now()
    c = Counter(FAMILY, HELP, LABEL_NAMES, registry=reg)
    for i in range(n):
        path, code = label_values(i)
        c.labels(path=path, code=code).inc()
    create_s = now() - t0
    rss = rss_bytes() - rss0
    times = []
    body = b""
    for _ in range(scrapes):
        t0 = now()
        body = generate_latest(reg)
        times.append(now() - t0)
    if body_dir:
        with open(os.path.join(body_dir, "prometheus_client-text.body"), "wb") as f:
            f.write(body)
    emit(
        {
            "impl": "prometheus_client",
            "version": _version(),
            "n": n,
            "create_s": create_s,
            "rss_bytes": rss,
            "scrape": {"text": {"s": times, "body_bytes": len(body)}},
            "series_seen": body.count(b"\n" + FAMILY.encode() + b"{"),
        }
    )


def _version():
    try:
        from importlib.metadata import version

        return version("prometheus_client")
    except Exception:  # noqa: BLE001 - only a label in the report
        return "?"


def ops(iterations):
    reg = CollectorRegistry()
    c = Counter("bench_ops_total", "Operations.", registry=reg)
    g = Gauge("bench_level", "A level.", registry=reg)
    h = Histogram("bench_seconds", "Durations.", buckets=BUCKETS, registry=reg)
    lc = Counter(FAMILY, HELP, LABEL_NAMES, registry=reg)
    lc.labels(path="/api/v1/items", code="200").inc()

    def inc(k):
        f = c.inc
        for _ in range(k):
            f()

    def set_(k):
        f = g.set
        for i in range(k):
            f(i)

    def observe(k):
        f = h.observe
        for i in range(k):
            f((i & 1023) / 100.0)

    def observe_exemplar(k):
        f = h.observe
        e = {"trace_id": TRACE_ID}
        for i in range(k):
            f((i & 1023) / 100.0, e)

    def labels_inc(k):
        f = lc.labels
        for _ in range(k):
            f(path="/api/v1/items", code="200").inc()

    emit(
        {
            "impl": "prometheus_client",
            "version": _version(),
            "ops": {
                "inc": ns_per_op(inc, iterations),
                "set": ns_per_op(set_, iterations),
                "observe": ns_per_op(observe, iterations),
                "observe_exemplar": ns_per_op(observe_exemplar, iterations),
                "labels_inc": ns_per_op(labels_inc, iterations),
            },
        }
    )


def main():
    mode, n, scrapes, body_dir = parse(sys.argv)
    if mode == "series":
        series(n, scrapes, body_dir)
    else:
        ops(n)


if __name__ == "__main__":
    main()
