"""bench/metrics/bench_common.py: what the Python sides of the metrics
benchmarks share: the series' label values, resident bytes, timing, the
one JSON line each run prints."""

import json
import os
import sys
import time

FAMILY = "bench_requests_total"
HELP = "Requests served."
LABEL_NAMES = ("path", "code")
CODES = ("200", "201", "204", "404", "500")
# Prometheus' default buckets (client_golang's DefBuckets)
# The exemplar of the "observe with an exemplar" row: a W3C trace id.
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PAGE = os.sysconf("SC_PAGESIZE")


def label_values(i):
    """The i-th series' (path, code): unique pairs, as series.c makes them."""
    return "/api/v1/items/%d" % (i // 5), CODES[i % 5]


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def now():
    return time.perf_counter()


def ns_per_op(fn, iterations):
    """fn(iterations) runs the loop itself (no call per iteration added)."""
    t0 = time.perf_counter_ns()
    fn(iterations)
    return (time.perf_counter_ns() - t0) / iterations


def emit(record):
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def usage(prog):
    sys.stderr.write("usage: %s series N [--scrapes R] [--body-dir DIR] | ops ITERATIONS\n" % prog)
    sys.exit(2)


def parse(argv):
    """series N [--scrapes R] [--body-dir DIR] | ops ITERATIONS -> (mode, n, scrapes, body_dir)"""
    if len(argv) < 3 or argv[1] not in ("series", "ops"):
        usage(argv[0])
    try:
        n = int(argv[2])
        scrapes, body_dir = 3, None
        rest = argv[3:]
        while rest:
            if rest[0] == "--scrapes" and len(rest) > 1:
                scrapes = int(rest[1])
            elif rest[0] == "--body-dir" and len(rest) > 1:
                body_dir = rest[1]
            else:
                usage(argv[0])
            rest = rest[2:]
    except ValueError:
        usage(argv[0])
    if n < 1 or scrapes < 1:
        usage(argv[0])
    return argv[1], n, scrapes, body_dir
