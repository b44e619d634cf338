"""bench/metrics/hams_py.py: hams through its Python binding (ctypes).

  hams_py.py series N
      creates N series of bench_requests_total{path, code} (one inc each) in
      a started Hams; prints {"impl":"hams-py","api":..,"n":..,"create_s":..,
      "rss_bytes":..}. The scrape is measured from C (series.c): it is the
      same server either way.
  hams_py.py ops ITERATIONS
      ns per inc, set, observe and labels(path=.., code=..).inc()

The API is detected: with `labelnames` (prometheus_client's shape:
h.counter(name, help, labelnames=[..]).labels(path=.., code=..)) the "vec"
rows are measured; without it, series are created one labeled counter each
(h.counter(name, help, labels={..})) and labels(...).inc() is null (n/a).
The run script puts the binding on PYTHONPATH and sets HAMS_LIBRARY."""

import inspect
import sys

import hams

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


def has_labelnames():
    try:
        return "labelnames" in inspect.signature(hams.Hams.counter).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def has_exemplars():
    try:
        return "exemplar" in inspect.signature(hams.Histogram.observe).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def series(n):
    vec = has_labelnames()
    with hams.Hams("hams-bench", "1.0.0", address="127.0.0.1:0") as h:
        rss0 = rss_bytes()
        t0 = now()
        if vec:
            c = h.counter(FAMILY, HELP, labelnames=list(LABEL_NAMES))
            for i in range(n):
                path, code = label_values(i)
                c.labels(path=path, code=code).inc()
        else:
            kept = []  # the handles stay alive, as an application's would
            for i in range(n):
                path, code = label_values(i)
                m = h.counter(FAMILY, HELP, labels={"path": path, "code": code})
                m.inc()
                kept.append(m)
        create_s = now() - t0
        rss = rss_bytes() - rss0
        emit({"impl": "hams-py", "api": "vec" if vec else "labeled", "n": n, "create_s": create_s, "rss_bytes": rss})


def ops(iterations):
    vec = has_labelnames()
    with hams.Hams("hams-bench", "1.0.0", address="127.0.0.1:0") as h:
        c = h.counter("bench_ops_total", "Operations.")
        g = h.gauge("bench_level", "A level.")
        hi = h.histogram("bench_seconds", "Durations.", BUCKETS)

        def inc(k):
            f = c.inc
            for _ in range(k):
                f()

        def set_(k):
            f = g.set
            for i in range(k):
                f(i)

        def observe(k):
            f = hi.observe
            for i in range(k):
                f((i & 1023) / 100.0)

        result = {
            "inc": ns_per_op(inc, iterations),
            "set": ns_per_op(set_, iterations),
            "observe": ns_per_op(observe, iterations),
            "observe_exemplar": None,
            "labels_inc": None,
        }
        if has_exemplars():

            def observe_exemplar(k):
                f = hi.observe
                e = {"trace_id": TRACE_ID}
                for i in range(k):
                    f((i & 1023) / 100.0, e)

            result["observe_exemplar"] = ns_per_op(observe_exemplar, iterations)
        if vec:
            lc = h.counter(FAMILY, HELP, labelnames=list(LABEL_NAMES))
            lc.labels(path="/api/v1/items", code="200").inc()

            def labels_inc(k):
                f = lc.labels
                for _ in range(k):
                    f(path="/api/v1/items", code="200").inc()

            result["labels_inc"] = ns_per_op(labels_inc, iterations)
        emit({"impl": "hams-py", "api": "vec" if vec else "labeled", "ops": result})


def main():
    mode, n, _, _ = parse(sys.argv)
    if mode == "series":
        series(n)
    else:
        ops(n)


if __name__ == "__main__":
    main()
