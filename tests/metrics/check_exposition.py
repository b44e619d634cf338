#!/usr/bin/env python3
"""Checks hams' /hams/metrics exposition with real Prometheus tools.

Starts the `expose` test program (tests/metrics/expose.c), fetches
/hams/metrics in the Prometheus text format 0.0.4 and in OpenMetrics 1.0,
writes both to files, and checks that:

  a. `promtool check metrics` accepts the text format (exit 0);
  b. prometheus_client's text parser parses it, with the expected values
     (counter, histogram buckets/sum/count, an escaped label value that
     round-trips, the callback's family, the built-in families);
  c. prometheus_client's OpenMetrics parser parses the OpenMetrics form,
     with the exemplars of a counter, a bucket and a native histogram (and
     the text format has none);
  d. a real Prometheus server (--enable-feature=exemplar-storage) scrapes
     it (`up` == 1, no scrape error), its queries give the expected values,
     and /api/v1/query_exemplars returns the exemplars' trace ids;
  e. expose exits 0 when its standard input closes, and on SIGTERM;
  f. the protobuf form (asked for with Prometheus' own Accept header)
     decodes with Google's protobuf library (proto_decode.py) to the same
     values, the callback's families and the exemplars included;
  g. gzip: with `Accept-Encoding: gzip` (http.client + gzip.decompress, and
     curl --compressed) the scrape is gzip-encoded and decodes to the text
     document; a probe answer stays identity;
  h. a real Prometheus with --enable-feature=native-histograms scrapes over
     protobuf (a recording proxy in between shows its Accept header and
     hams' Content-Type and Content-Encoding) with the values of (d), and
     histogram_count, histogram_sum and histogram_quantile(0.5) over a
     native histogram give what its observations imply.

Usage: check_exposition.py PATH/TO/expose [--out DIR]
  (libhams must be findable, e.g. via LD_LIBRARY_PATH; run.sh does it.)
Env:   PROMTOOL, PROMETHEUS  the binaries (default: found on PATH, else /usr/bin)

Prints one line per check and "metrics: N passed, N failed"; exits 1 when
anything failed. Every server listens on 127.0.0.1 and every wait is bounded.
"""

import argparse
import gzip
import http.client
import http.server
import json
import math
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PASSED = 0
FAILED = 0

# What expose.c serves (see its header comment).
MIXED_QUEUE = 'a"b\\c\nd'
JOBS = {(MIXED_QUEUE, "mixed"): 7.0, ("plain", "simple"): 2.5}
TEMPERATURE = 21.5
# Prometheus' default buckets, which a histogram vec made with NULL, 0 has.
DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
BOUNDS = [0.005, 0.01, 0.1, 1.0, 10.0]
OBSERVATIONS = [0.001, 0.007, 0.05, 0.05, 0.5, 2.0, 20.0]
BUCKETS = [1, 2, 4, 5, 6, 7]  # cumulative, the last is +Inf
LAT_SUM = sum(OBSERVATIONS)
LAT_COUNT = len(OBSERVATIONS)
QUEUE_ITEMS = {"mail": 3.0, "sms": 0.0}
BUILTIN = {
    # family name in the 0.0.4 parser -> (type there, OpenMetrics name, type there)
    "hams_build_info": ("gauge", "hams_build", "info"),
    "hams_check_healthy": ("gauge", "hams_check_healthy", "gauge"),
    "hams_probe_healthy": ("gauge", "hams_probe_healthy", "gauge"),
    "hams_http_requests": ("counter", "hams_http_requests", "counter"),
    "hams_metrics_callback_failures": ("counter", "hams_metrics_callback_failures", "counter"),
    "process_cpu_seconds": ("counter", "process_cpu_seconds", "counter"),
    "process_resident_memory_bytes": ("gauge", "process_resident_memory_bytes", "gauge"),
    "process_virtual_memory_bytes": ("gauge", "process_virtual_memory_bytes", "gauge"),
    "process_open_fds": ("gauge", "process_open_fds", "gauge"),
    "process_max_fds": ("gauge", "process_max_fds", "gauge"),
    "process_start_time_seconds": ("gauge", "process_start_time_seconds", "gauge"),
}
TEXT_CT = "text/plain; version=0.0.4; charset=utf-8"
OM_CT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
OM_ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
PROTO_CT = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
# What Prometheus 2.42 sends with --enable-feature=native-histograms.
PROTO_ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
                "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
                "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
# expose_native_latency_seconds: its observations (bucket factor 1.1).
NATIVE_OBSERVATIONS = [0.5] * 3 + [1.0] * 4 + [3.0] * 3


class CheckFailed(Exception):
    pass


def ensure(cond, message):
    if not cond:
        raise CheckFailed(message)


def close_to(a, b, rel=1e-9):
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def check(name, fn, *args):
    """Runs one check; prints "ok   name" or "FAIL name: why"."""
    global PASSED, FAILED
    try:
        detail = fn(*args)
    except CheckFailed as e:
        FAILED += 1
        print(f"FAIL {name}: {e}", flush=True)
        return False
    except Exception as e:  # a crash in a check is a failure, not an abort
        FAILED += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        return False
    PASSED += 1
    print(f"ok   {name}" + (f" ({detail})" if detail else ""), flush=True)
    return True


def fail(name, why):
    global FAILED
    FAILED += 1
    print(f"FAIL {name}: {why}", flush=True)


def import_parser(module):
    try:
        return __import__(module, fromlist=["text_string_to_metric_families"])
    except ImportError as e:
        raise CheckFailed(f"{e}: install it with `pip install prometheus_client`")


def find_binary(env, name):
    path = os.environ.get(env) or shutil.which(name)
    if not path and os.access(f"/usr/bin/{name}", os.X_OK):
        path = f"/usr/bin/{name}"
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, headers=None, timeout=10, with_headers=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        if with_headers:
            return resp.status, dict(resp.getheaders()), body
        return resp.status, resp.getheader("Content-Type", ""), body
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# The expose program


class Expose:
    def __init__(self, path):
        self.proc = subprocess.Popen(
            [path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None
        )
        self.port = None
        deadline = time.monotonic() + 10
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                ch = os.read(self.proc.stdout.fileno(), 1)
                if not ch:
                    break
                line += ch
            elif self.proc.poll() is not None:
                break
        text = line.decode(errors="replace").strip()
        if not text.startswith("port="):
            self.stop()
            raise RuntimeError(f"expose did not print its port (got {text!r}, "
                               f"exit {self.proc.returncode})")
        self.port = int(text[5:])

    def close_stdin(self, timeout=10):
        """Closes its stdin; returns its exit code (None if it did not exit)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------
# (a) promtool


def check_promtool(promtool, text_file):
    ensure(promtool, "promtool not found: install Debian's prometheus package "
                     "(apt-get install -y prometheus) or set PROMTOOL")
    with open(text_file, "rb") as f:
        r = subprocess.run([promtool, "check", "metrics"], stdin=f,
                           capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode(errors="replace").strip()
    ensure(r.returncode == 0, f"promtool check metrics exited {r.returncode}: {out}")
    return out or None


# ---------------------------------------------------------------------------
# (b), (c) prometheus_client parsers


def families_by_name(families):
    out = {}
    for f in families:
        ensure(f.name not in out, f"family {f.name} appears twice")
        out[f.name] = f
    return out


def samples_of(fam, name=None):
    return [s for s in fam.samples if name is None or s.name == name]


def check_values(fams, om):
    """Checks expose's values in parsed families (either format)."""
    jobs = fams.get("expose_jobs")
    ensure(jobs is not None, f"no expose_jobs family; families: {sorted(fams)}")
    ensure(jobs.type == "counter", f"expose_jobs is a {jobs.type}")
    ensure(jobs.documentation == "Jobs done.", f"expose_jobs HELP {jobs.documentation!r}")
    got = {(s.labels.get("queue"), s.labels.get("kind")): s.value
           for s in samples_of(jobs, "expose_jobs_total")}
    ensure(got == JOBS, f"expose_jobs_total samples {got!r}, expected {JOBS!r}")

    temp = fams.get("expose_temperature_celsius")
    ensure(temp is not None and temp.type == "gauge", "no gauge expose_temperature_celsius")
    ensure(len(temp.samples) == 1 and temp.samples[0].value == TEMPERATURE,
           f"expose_temperature_celsius {temp.samples!r}")

    lat = fams.get("expose_latency_seconds")
    ensure(lat is not None and lat.type == "histogram", "no histogram expose_latency_seconds")
    buckets = [(float(s.labels["le"]), s.value)
               for s in samples_of(lat, "expose_latency_seconds_bucket")]
    want = list(zip(BOUNDS + [math.inf], BUCKETS))
    ensure(buckets == want, f"buckets {buckets!r}, expected {want!r}")
    ensure(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "buckets not cumulative")
    (count,) = [s.value for s in samples_of(lat, "expose_latency_seconds_count")]
    (total,) = [s.value for s in samples_of(lat, "expose_latency_seconds_sum")]
    ensure(count == LAT_COUNT == buckets[-1][1], f"_count {count}, +Inf bucket {buckets[-1][1]}")
    ensure(close_to(total, LAT_SUM), f"_sum {total}, expected {LAT_SUM}")

    req = fams.get("expose_requests")
    ensure(req is not None and req.type == "counter", "no counter vec expose_requests")
    got = {(s.labels["path"], s.labels["code"]): s.value for s in samples_of(req, "expose_requests_total")}
    ensure(got == {("/", "200"): 3.0, ("/api", "500"): 1.0}, f"expose_requests_total {got!r}")
    dur = fams.get("expose_request_seconds")
    ensure(dur is not None and dur.type == "histogram", "no histogram vec expose_request_seconds")
    buckets = [(float(s.labels["le"]), s.value) for s in samples_of(dur, "expose_request_seconds_bucket")
               if s.labels.get("path") == "/"]
    want = [(b, 0.0 if b < 0.2 else 1.0 if b < 3 else 2.0) for b in DEFAULT_BUCKETS + [math.inf]]
    ensure(buckets == want, f"expose_request_seconds buckets {buckets!r}, expected {want!r}")
    native = fams.get("expose_native_seconds")
    ensure(native is not None and native.type == "histogram", "no histogram expose_native_seconds")
    got = sorted((s.name, s.value) for s in native.samples if not s.name.endswith("_created"))
    want = sorted([("expose_native_seconds_bucket", 2.0), ("expose_native_seconds_sum", 3.0),
                   ("expose_native_seconds_count", 2.0)])
    ensure(got == want, f"expose_native_seconds {got!r}, expected {want!r}")

    items = fams.get("expose_queue_items")
    ensure(items is not None and items.type == "gauge",
           "no gauge expose_queue_items (the metrics callback's family)")
    got = {s.labels["queue"]: s.value for s in items.samples}
    ensure(got == QUEUE_ITEMS, f"expose_queue_items {got!r}")
    runs = fams.get("expose_callback_runs")
    ensure(runs is not None and runs.type == "counter",
           "no counter expose_callback_runs (from the callback)")
    ensure(runs.samples and runs.samples[0].name == "expose_callback_runs_total"
           and runs.samples[0].value >= 1, f"expose_callback_runs {runs.samples!r}")

    for text_name, (text_type, om_name, om_type) in BUILTIN.items():
        name, typ = (om_name, om_type) if om else (text_name, text_type)
        f = fams.get(name)
        ensure(f is not None, f"no built-in family {name}")
        ensure(f.type == typ, f"{name} is a {f.type}, expected {typ}")
        ensure(f.documentation, f"{name} has no HELP")
    build = fams["hams_build" if om else "hams_build_info"].samples
    ensure(len(build) == 1 and build[0].name == "hams_build_info" and build[0].value == 1
           and build[0].labels.get("version"), f"hams_build_info {build!r}")
    checks = {s.labels["check"]: s.value for s in fams["hams_check_healthy"].samples}
    ensure(checks == {"alive": 1, "ready": 1, "startup": 1}, f"hams_check_healthy {checks!r}")
    probes = {(s.labels["check"], s.labels["probe"]): s.value
              for s in fams["hams_probe_healthy"].samples}
    want_probes = {("ready", "db"): 1, ("alive", "main-loop"): 1, ("startup", "warmup"): 1}
    ensure(probes == want_probes, f"hams_probe_healthy {probes!r}")
    reqs = {(s.labels["path"], s.labels["code"]): s.value
            for s in samples_of(fams["hams_http_requests"], "hams_http_requests_total")}
    ensure(reqs.get(("/hams/metrics", "200"), 0) >= 1, f"hams_http_requests_total {reqs!r}")
    fails = {s.labels["reason"]: s.value
             for s in samples_of(fams["hams_metrics_callback_failures"],
                                 "hams_metrics_callback_failures_total")}
    ensure(fails == {"invalid": 0, "timeout": 0, "panic": 0},
           f"hams_metrics_callback_failures_total {fails!r}")
    fds = fams["process_open_fds"].samples[0].value
    ensure(fds >= 3, f"process_open_fds {fds}")


def check_text_parser(text):
    parser = import_parser("prometheus_client.parser")
    fams = families_by_name(parser.text_string_to_metric_families(text))
    check_values(fams, om=False)
    return f"{len(fams)} families"


def check_om_parser(text):
    parser = import_parser("prometheus_client.openmetrics.parser")
    ensure(text.endswith("# EOF\n"), "does not end with # EOF")
    fams = families_by_name(parser.text_string_to_metric_families(text))
    check_values(fams, om=True)
    return f"{len(fams)} families"


TRACE1 = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE2 = "0af7651916cd43dd8448eb211c80319c"


def check_om_exemplars(text):
    """The exemplars expose.c recorded, as prometheus_client's OpenMetrics parser reads them."""
    parser = import_parser("prometheus_client.openmetrics.parser")
    fams = families_by_name(parser.text_string_to_metric_families(text))
    (total,) = samples_of(fams["expose_traced"], "expose_traced_total")
    e = total.exemplar
    ensure(e is not None and e.labels == {"trace_id": TRACE1} and e.value == 2, f"counter exemplar {e!r}")
    ensure(e.timestamp is not None and abs(float(e.timestamp) - time.time()) < 300, f"timestamp {e.timestamp!r}")
    buckets = {s.labels["le"]: s.exemplar for s in samples_of(fams["expose_traced_seconds"], "expose_traced_seconds_bucket")}
    e = buckets.get("0.1")
    ensure(e is not None and e.labels == {"trace_id": TRACE2, "span_id": "b7ad6b7169203331"} and e.value == 0.05,
           f"bucket le=0.1 exemplar {e!r}")
    ensure(buckets.get("1.0") is None and buckets.get("+Inf") is None, f"other buckets {buckets!r}")
    native = {s.labels["le"]: s.exemplar for s in
              samples_of(fams["expose_traced_native_seconds"], "expose_traced_native_seconds_bucket")}
    ensure(native.get("+Inf") is not None and native["+Inf"].value == 0.25, f"native exemplar {native!r}")
    return "counter, bucket le=0.1, native +Inf"


def check_raw(status, ctype, body, want_ct, om):
    ensure(status == 200, f"status {status}")
    ensure(ctype == want_ct, f"Content-Type {ctype!r}, expected {want_ct!r}")
    text = body.decode("utf-8")
    line = 'expose_jobs_total{queue="a\\"b\\\\c\\nd",kind="mixed"} 7'
    ensure(line in text.split("\n"), f"no line {line!r}")
    ensure(text.endswith("# EOF\n") == om, "# EOF presence wrong")
    return None


# ---------------------------------------------------------------------------
# (d) a Prometheus server


class Prometheus:
    def __init__(self, binary, target_port, workdir, flags=()):
        self.port = free_port()
        self.log_path = os.path.join(workdir, "prometheus.log")
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(
                "global:\n"
                "  scrape_interval: 1s\n"
                "  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: hams-expose\n"
                "    metrics_path: /hams/metrics\n"
                "    static_configs:\n"
                f"      - targets: ['127.0.0.1:{target_port}']\n"
            )
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", *flags],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=workdir,
        )

    def log_tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def api(self, path, params=None):
        q = ("?" + urllib.parse.urlencode(params)) if params else ""
        status, _, body = http_get(self.port, f"/api/v1/{path}{q}", timeout=5)
        ensure(status == 200, f"GET /api/v1/{path}{q}: {status} {body[:300]!r}")
        doc = json.loads(body)
        ensure(doc.get("status") == "success", f"{path}: {doc!r}")
        return doc["data"]

    def query(self, expr):
        data = self.api("query", {"query": expr})
        ensure(data["resultType"] == "vector", f"{expr}: {data!r}")
        return data["result"]

    def wait_up(self, timeout=30):
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"prometheus exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                result = self.query("up")
                if result and result[0]["value"][1] == "1":
                    return time.monotonic() - (deadline - timeout)
                last = repr(result)
            except (OSError, http.client.HTTPException, CheckFailed, ValueError) as e:
                last = str(e)
            time.sleep(0.5)
        raise CheckFailed(f"up != 1 after {timeout} s (last: {last}):\n{self.log_tail()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def one_value(prom, expr):
    result = prom.query(expr)
    ensure(len(result) == 1, f"{expr}: {len(result)} series: {result!r}")
    return result[0]["metric"], float(result[0]["value"][1])


def check_prometheus_values(prom):
    targets = prom.api("targets")["activeTargets"]
    ensure(len(targets) == 1, f"targets {targets!r}")
    t = targets[0]
    ensure(t["health"] == "up" and not t["lastError"],
           f"target health {t['health']!r}, lastError {t['lastError']!r}")

    metric, v = one_value(prom, 'expose_jobs_total{kind="mixed"}')
    ensure(v == 7, f"expose_jobs_total{{kind=mixed}} = {v}")
    ensure(metric.get("queue") == MIXED_QUEUE, f"queue label {metric.get('queue')!r}")
    _, v = one_value(prom, 'expose_jobs_total{queue="plain"}')
    ensure(v == 2.5, f"expose_jobs_total{{queue=plain}} = {v}")
    _, v = one_value(prom, "sum(expose_jobs_total)")
    ensure(v == 9.5, f"sum(expose_jobs_total) = {v}")
    _, v = one_value(prom, "expose_temperature_celsius")
    ensure(v == TEMPERATURE, f"expose_temperature_celsius = {v}")
    _, v = one_value(prom, "expose_latency_seconds_count")
    ensure(v == LAT_COUNT, f"expose_latency_seconds_count = {v}")
    _, v = one_value(prom, "expose_latency_seconds_sum")
    ensure(close_to(v, LAT_SUM), f"expose_latency_seconds_sum = {v}")
    _, v = one_value(prom, 'expose_latency_seconds_bucket{le="0.1"}')
    ensure(v == 4, f'expose_latency_seconds_bucket{{le="0.1"}} = {v}')
    # rank 3.5 of 7 falls in (0.01, 0.1], which holds ranks 3..4:
    # 0.01 + (0.1 - 0.01) * (3.5 - 2) / (4 - 2)
    _, v = one_value(prom, "histogram_quantile(0.5, expose_latency_seconds_bucket)")
    ensure(close_to(v, 0.0775, rel=1e-6), f"median {v}, expected 0.0775")
    _, v = one_value(prom, 'expose_queue_items{queue="mail"}')
    ensure(v == 3, f'expose_queue_items{{queue="mail"}} = {v}')
    _, v = one_value(prom, "expose_callback_runs_total")
    ensure(v >= 1, f"expose_callback_runs_total = {v}")
    metric, v = one_value(prom, "hams_build_info")
    ensure(v == 1 and metric.get("version"), f"hams_build_info {metric!r} = {v}")
    _, v = one_value(prom, 'hams_check_healthy{check="ready"}')
    ensure(v == 1, f"hams_check_healthy{{check=ready}} = {v}")
    _, v = one_value(prom, 'sum(hams_metrics_callback_failures_total)')
    ensure(v == 0, f"callback failures {v}")
    _, v = one_value(prom, 'hams_http_requests_total{path="/hams/metrics",code="200"}')
    ensure(v >= 1, f"metrics requests {v}")
    return "expose_jobs_total 7, median 0.0775"


# ---------------------------------------------------------------------------
# (f) protobuf, (g) gzip, (h) Prometheus over protobuf


def check_prometheus_exemplars(prom):
    now = time.time()
    got = {}
    for query in ("expose_traced_total", "expose_traced_seconds_bucket"):
        data = prom.api("query_exemplars", {"query": query, "start": now - 600, "end": now + 60})
        got[query] = sorted({e["labels"].get("trace_id") for series in data for e in series["exemplars"]})
    ensure(got == {"expose_traced_total": [TRACE1], "expose_traced_seconds_bucket": [TRACE2]}, f"exemplars {got!r}")
    return f"{got}"


def decode_proto(body, out_dir):
    """The families in `body`, decoded by proto_decode.py (Google's protobuf)."""
    path = os.path.join(out_dir, "metrics.pb")
    with open(path, "wb") as f:
        f.write(body)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proto_decode.py")
    run = subprocess.run([sys.executable, script, path], capture_output=True, text=True, timeout=60)
    ensure(run.returncode == 0, f"proto_decode.py: {run.stderr.strip() or run.returncode}")
    return {f["name"]: f for f in map(json.loads, run.stdout.splitlines())}


def labels_of(metric):
    return {p["name"]: p.get("value", "") for p in metric.get("label", [])}


def check_proto(status, ctype, body, out_dir):
    ensure(status == 200, f"status {status}")
    ensure(ctype == PROTO_CT, f"Content-Type {ctype!r}")
    fams = decode_proto(body, out_dir)
    jobs = fams.get("expose_jobs_total")
    ensure(jobs and jobs["type"] == "COUNTER", f"expose_jobs_total {jobs!r}")
    values = {labels_of(m)["queue"]: m["counter"]["value"] for m in jobs["metric"]}
    ensure(values == {MIXED_QUEUE: 7.0, "plain": 2.5}, f"expose_jobs_total values {values!r}")
    temp = fams["expose_temperature_celsius"]
    ensure(temp["type"] == "GAUGE" and temp["metric"][0]["gauge"]["value"] == TEMPERATURE, f"{temp!r}")
    lat = fams["expose_latency_seconds"]
    ensure(lat["type"] == "HISTOGRAM", f"{lat!r}")
    h = lat["metric"][0]["histogram"]
    ensure(int(h["sample_count"]) == LAT_COUNT and close_to(h["sample_sum"], LAT_SUM), f"{h!r}")
    got = [(b["upper_bound"], int(b["cumulative_count"])) for b in h["bucket"]]
    ensure(got == list(zip(BOUNDS, BUCKETS[:-1])), f"buckets {got!r}")
    queue = fams.get("expose_queue_items")
    ensure(queue and queue["type"] == "GAUGE", f"callback family expose_queue_items {queue!r}")
    values = {labels_of(m)["queue"]: m["gauge"]["value"] for m in queue["metric"]}
    ensure(values == QUEUE_ITEMS, f"expose_queue_items {values!r}")
    runs = fams.get("expose_callback_runs_total")
    ensure(runs and runs["type"] == "COUNTER" and runs["metric"][0]["counter"]["value"] >= 1, f"{runs!r}")
    native = fams.get("expose_native_latency_seconds")
    ensure(native and native["type"] == "HISTOGRAM", f"expose_native_latency_seconds {native!r}")
    h = native["metric"][0]["histogram"]
    ensure(int(h["sample_count"]) == len(NATIVE_OBSERVATIONS) and h.get("schema") == 3 and h.get("positive_span")
           and not h.get("bucket"), f"native histogram {h!r}")
    c = fams["expose_traced_total"]["metric"][0]["counter"]
    e = c.get("exemplar", {})
    ensure(labels_of(e) == {"trace_id": TRACE1} and e.get("value") == 2 and int(e["timestamp"]["seconds"]) > 1.7e9,
           f"counter exemplar {c!r}")
    bs = fams["expose_traced_seconds"]["metric"][0]["histogram"]["bucket"]
    ensure(labels_of(bs[0].get("exemplar", {})).get("trace_id") == TRACE2 and "exemplar" not in bs[1]
           and len(bs) == 2, f"bucket exemplars {bs!r}")
    ex = fams["expose_traced_native_seconds"]["metric"][0]["histogram"].get("exemplars", [])
    ensure(len(ex) == 1 and labels_of(ex[0]) == {"trace_id": TRACE1}, f"native exemplars {ex!r}")
    want = {"hams_build_info": "GAUGE", "hams_check_healthy": "GAUGE", "hams_probe_healthy": "GAUGE",
            "hams_http_requests_total": "COUNTER", "hams_metrics_callback_failures_total": "COUNTER",
            "process_cpu_seconds_total": "COUNTER", "process_open_fds": "GAUGE"}
    for name, t in want.items():
        ensure(name in fams and fams[name]["type"] == t, f"{name}: {fams.get(name)!r}")
    return f"{len(fams)} families, {len(body)} bytes"


def check_gzip(port):
    status, headers, body = http_get(port, "/hams/metrics", {"Accept-Encoding": "gzip"}, with_headers=True)
    ensure(status == 200, f"status {status}")
    ensure(headers.get("Content-Encoding") == "gzip", f"Content-Encoding {headers.get('Content-Encoding')!r}")
    ensure("Accept-Encoding" in headers.get("Vary", ""), f"Vary {headers.get('Vary')!r}")
    check_text_parser(gzip.decompress(body).decode())
    _, plain_headers, plain = http_get(port, "/hams/metrics", with_headers=True)
    ensure("Content-Encoding" not in plain_headers, "identity without Accept-Encoding")
    status, headers, probe = http_get(port, "/hams/ready", {"Accept-Encoding": "gzip"}, with_headers=True)
    ensure(status == 200 and "Content-Encoding" not in headers and probe == b"ok",
           f"probe answer {status} {headers!r} {probe!r}")
    curl = shutil.which("curl")
    if curl:
        run = subprocess.run([curl, "-sS", "--compressed", "-D", "-", f"http://127.0.0.1:{port}/hams/metrics"],
                             capture_output=True, timeout=30)
        out = run.stdout.decode(errors="replace")
        ensure(run.returncode == 0, f"curl: {run.stderr!r}")
        ensure("\ncontent-encoding: gzip" in out.lower(), f"curl --compressed got no gzip: {out[:300]!r}")
        ensure("\nexpose_jobs_total{" in out, "curl --compressed: the decoded document")
    return (f"{len(body)} bytes gzip for {len(plain)} plain ({len(plain) / len(body):.1f}:1)"
            + ("" if curl else "; curl not found, its check skipped"))


class RecordingProxy(http.server.ThreadingHTTPServer):
    """Forwards GETs to the target and records what went each way."""

    daemon_threads = True

    def __init__(self, target_port):
        self.target_port = target_port
        self.seen = []  # (Accept, Accept-Encoding, Content-Type, Content-Encoding, bytes)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                fwd = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "accept-encoding")}
                status, headers, body = http_get(outer.target_port, self.path, fwd, with_headers=True)
                outer.seen.append((fwd.get("Accept", ""), fwd.get("Accept-Encoding", ""),
                                   headers.get("Content-Type", ""), headers.get("Content-Encoding", ""), len(body)))
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def check_prometheus_protobuf(prom, proxy):
    check_prometheus_values(prom)
    ensure(proxy.seen, "no scrape went through the proxy")
    accept, coding, ctype, cenc, size = proxy.seen[-1]
    ensure(accept.startswith("application/vnd.google.protobuf;"), f"Prometheus sent Accept {accept!r}")
    ensure(ctype == PROTO_CT, f"hams answered Content-Type {ctype!r}")
    ensure("gzip" in coding and cenc == "gzip", f"Accept-Encoding {coding!r}, Content-Encoding {cenc!r}")
    return f"{len(proxy.seen)} protobuf scrapes, gzip, {size} bytes"


def check_native(prom):
    obs = NATIVE_OBSERVATIONS
    _, v = one_value(prom, "histogram_count(expose_native_latency_seconds)")
    ensure(v == len(obs), f"histogram_count {v}, expected {len(obs)}")
    _, v = one_value(prom, "histogram_sum(expose_native_latency_seconds)")
    ensure(close_to(v, sum(obs)), f"histogram_sum {v}, expected {sum(obs)}")
    # The median observation is 1.0; the estimate lies in its bucket, whose
    # width with a bucket factor of 1.1 is under 10 %.
    median = sorted(obs)[len(obs) // 2]
    _, v = one_value(prom, "histogram_quantile(0.5, expose_native_latency_seconds)")
    ensure(abs(v - median) <= 0.1 * median, f"histogram_quantile(0.5) {v}, expected about {median}")
    return f"count {len(obs)}, median {v:.4f}"


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("expose", help="path to the expose program")
    ap.add_argument("--out", help="write the scraped documents here (default: a temporary directory)")
    args = ap.parse_args()

    promtool = find_binary("PROMTOOL", "promtool")
    prometheus = find_binary("PROMETHEUS", "prometheus")
    tmp = tempfile.mkdtemp(prefix="hams-metrics-")
    out_dir = args.out or tmp
    os.makedirs(out_dir, exist_ok=True)

    expose = None
    try:
        try:
            expose = Expose(args.expose)
        except Exception as e:
            fail("start expose", str(e))
            return
        print(f"expose serving on 127.0.0.1:{expose.port}", flush=True)

        # Scrape twice first, so that hams_http_requests_total has a series.
        http_get(expose.port, "/hams/metrics")
        text_resp = http_get(expose.port, "/hams/metrics")
        om_resp = http_get(expose.port, "/hams/metrics", {"Accept": OM_ACCEPT})
        text_file = os.path.join(out_dir, "metrics.txt")
        om_file = os.path.join(out_dir, "metrics.om.txt")
        with open(text_file, "wb") as f:
            f.write(text_resp[2])
        with open(om_file, "wb") as f:
            f.write(om_resp[2])
        print(f"scraped documents: {text_file}, {om_file}", flush=True)
        text = text_resp[2].decode("utf-8", errors="replace")
        om = om_resp[2].decode("utf-8", errors="replace")

        check("text: status, Content-Type, escaped line", check_raw, *text_resp, TEXT_CT, False)
        check("openmetrics: status, Content-Type, escaped line, # EOF", check_raw, *om_resp, OM_CT, True)
        check("(a) promtool check metrics < text", check_promtool, promtool, text_file)
        check("(b) prometheus_client text parser: values", check_text_parser, text)
        check("(c) prometheus_client OpenMetrics parser: values", check_om_parser, om)
        check("(c) prometheus_client OpenMetrics parser: exemplars", check_om_exemplars, om)
        check("(c) text 0.0.4 has no exemplars", lambda: ensure(" # {" not in text, "an exemplar in text 0.0.4"))
        proto_resp = http_get(expose.port, "/hams/metrics", {"Accept": PROTO_ACCEPT})
        check("(f) protobuf: Content-Type, decoded by Google's protobuf: values", check_proto, *proto_resp, out_dir)
        check("(g) gzip: Content-Encoding, decoded values, probe stays identity, curl --compressed",
              check_gzip, expose.port)

        prom = None
        try:
            def start_prometheus():
                nonlocal prom
                ensure(prometheus, "prometheus not found: install Debian's prometheus "
                                   "package (apt-get install -y prometheus) or set PROMETHEUS")
                prom = Prometheus(prometheus, expose.port, tmp, ["--enable-feature=exemplar-storage"])
                return f"{prom.wait_up(30):.1f} s to up == 1, on 127.0.0.1:{prom.port}"

            if check("(d) prometheus scrapes the target: up == 1", start_prometheus):
                check("(d) prometheus query values", check_prometheus_values, prom)
                check("(d) prometheus --enable-feature=exemplar-storage: /api/v1/query_exemplars",
                      check_prometheus_exemplars, prom)
        finally:
            if prom is not None:
                prom.stop()

        prom = proxy = None
        try:
            def start_native_prometheus():
                nonlocal prom, proxy
                ensure(prometheus, "prometheus not found")
                proxy = RecordingProxy(expose.port)
                workdir = os.path.join(tmp, "native")
                os.makedirs(workdir)
                prom = Prometheus(prometheus, proxy.port, workdir, ["--enable-feature=native-histograms"])
                return f"{prom.wait_up(30):.1f} s to up == 1, on 127.0.0.1:{prom.port}"

            if check("(h) prometheus --enable-feature=native-histograms: up == 1", start_native_prometheus):
                check("(h) it scrapes protobuf (and gzip): query values", check_prometheus_protobuf, prom, proxy)
                check("(h) native histogram: histogram_count, histogram_sum, histogram_quantile(0.5)",
                      check_native, prom)
        finally:
            if prom is not None:
                prom.stop()
            if proxy is not None:
                proxy.shutdown()

        def stdin_exit():
            rc = expose.close_stdin(timeout=10)
            ensure(rc == 0, f"exit status {rc}")

        check("(e) expose exits 0 when stdin closes", stdin_exit)

        def sigterm_exit():
            e2 = Expose(args.expose)
            try:
                status, _, _ = http_get(e2.port, "/hams/ready")
                ensure(status == 200, f"/hams/ready {status}")
                t0 = time.monotonic()
                e2.proc.send_signal(signal.SIGTERM)
                try:
                    rc = e2.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    rc = None
                ensure(rc == 0, f"exit status {rc} after SIGTERM")
                return f"{time.monotonic() - t0:.2f} s"
            finally:
                e2.stop()

        check("(e) expose exits 0 on SIGTERM", sigterm_exit)
    finally:
        if expose is not None:
            expose.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"metrics: {PASSED} passed, {FAILED} failed", flush=True)


if __name__ == "__main__":
    main()
    sys.exit(1 if FAILED else 0)
