"""Tests of the Python binding against a real libhams server on
127.0.0.1:0, over HTTP.

Run from the repository root (after `cargo build --release`):

    python3 -m unittest discover -v bindings/python/tests

(pytest runs them too: `python3 -m pytest bindings/python/tests`.)
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from typing import List

from _support import child_env, TestCase, eventually, http_get

import hams


def new(**kw: object) -> hams.Hams:
    return hams.Hams("py-test", "1.2.3", address="127.0.0.1:0", **kw)  # type: ignore[arg-type]


class ModuleTest(TestCase):
    def test_version(self) -> None:
        v = hams.version()
        self.assertRegex(v, r"^\d+\.\d+\.\d+")
        with new() as h:
            status, body = http_get(h.port, "/hams/version")
            self.assertEqual(status, 200)
            doc = json.loads(body)
            self.assertEqual(doc["service"], "py-test")
            self.assertEqual(doc["version"], "1.2.3")
            self.assertEqual(doc["hams_version"], v)

    def test_constants(self) -> None:
        self.assertEqual((hams.ALIVE, hams.READY, hams.STARTUP), (1, 2, 4))
        self.assertTrue(issubclass(hams.HamsError, Exception))
        self.assertTrue(hams.library_path())


class ServerTest(TestCase):
    def test_context_manager_starts_and_closes(self) -> None:
        with new() as h:
            self.assertTrue(h.running)
            port = h.port
            self.assertGreater(port, 0)
            self.assertEqual(http_get(port, "/hams/alive")[0], 200)
        self.assertTrue(h.closed)
        self.assertFalse(h.running)
        with self.assertRaises(hams.HamsError) as cm:
            h.port
        self.assertEqual(cm.exception.code, hams.ERR_STATE)
        with self.assertRaises(OSError):
            http_get(port, "/hams/alive")

    def test_start_stop_restart_and_port_before_start(self) -> None:
        h = new()
        try:
            self.assertFalse(h.running)
            with self.assertRaises(hams.HamsError) as cm:
                h.port
            self.assertEqual(cm.exception.code, hams.ERR_STATE)
            self.assertIn("not started", str(cm.exception))
            h.start()
            with self.assertRaises(hams.HamsError) as cm:
                h.start()
            self.assertEqual(cm.exception.code, hams.ERR_STATE)
            self.assertIn("already started", cm.exception.message)
            h.stop()
            self.assertFalse(h.running)
            h.set_address("127.0.0.1:0")
            h.start()
            self.assertEqual(http_get(h.port, "/hams/ready")[0], 200)
            with h:  # already started: entering does not start again
                self.assertTrue(h.running)
            self.assertTrue(h.closed)
        finally:
            h.close()

    def test_close_is_idempotent(self) -> None:
        h = new()
        h.start()
        p = h.probe_manual("db")
        c = h.counter("c_total", "c")
        h.close()
        h.close()
        h.__del__()
        self.assertTrue(h.closed)
        self.assertTrue(p.closed)
        with self.assertRaises(hams.HamsError) as cm:
            p.set(True)
        self.assertEqual(cm.exception.code, hams.ERR_STATE)
        with self.assertRaises(hams.HamsError):
            c.inc()
        p.close()  # harmless
        c.close()
        self.assertIn("closed", repr(h))

    def test_garbage_collected_hams_is_freed(self) -> None:
        h = new()
        h.start()
        port = h.port
        h.probe_callback("gc", lambda: True, interval=0.05)
        del h
        gc.collect()
        with self.assertRaises(OSError):
            http_get(port, "/hams/alive")

    def test_bad_address(self) -> None:
        with self.assertRaises(hams.HamsError) as cm:
            hams.Hams("svc", "1", address="not an address")
        self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        self.assertIn("not an address", str(cm.exception))
        h = new()
        try:
            with self.assertRaises(hams.HamsError) as cm:
                h.set_address("127.0.0.1:99999")
            self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        finally:
            h.close()

    def test_port_in_use(self) -> None:
        with new() as a:
            b = hams.Hams("svc", "1", address=f"127.0.0.1:{a.port}")
            try:
                with self.assertRaises(hams.HamsError) as cm:
                    b.start()
                self.assertEqual(cm.exception.code, hams.ERR_IO)
                self.assertTrue(cm.exception.message)
            finally:
                b.close()

    def test_bad_service_name(self) -> None:
        with self.assertRaises(hams.HamsError) as cm:
            hams.Hams("", "1")
        self.assertIn("empty", str(cm.exception))
        self.assertIsNone(cm.exception.code)  # hams_new returns a pointer: no code
        with self.assertRaises(hams.HamsError) as cm:
            hams.Hams("a\0b", "1")
        self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        self.assertIn("NUL", str(cm.exception))
        with self.assertRaises(TypeError):
            hams.Hams(None, "1")  # type: ignore[arg-type]


class ProbeTest(TestCase):
    def setUp(self) -> None:
        self.h = new()
        self.h.start()
        self.port = self.h.port

    def tearDown(self) -> None:
        self.h.close()

    def get(self, path: str) -> tuple:
        return http_get(self.port, path)

    def test_manual_probe(self) -> None:
        db = self.h.probe_manual("db", ready=False)
        self.assertEqual(db.name, "db")
        status, body = self.get("/hams/ready?verbose")
        self.assertEqual(status, 503)
        self.assertIn("[-]db failed", body)
        self.assertEqual(self.get("/hams/alive")[0], 200)  # default: the ready check only
        db.set(True)
        status, body = self.get("/hams/ready?verbose")
        self.assertEqual(status, 200)
        self.assertIn("[+]db ok", body)
        db.set(False, "connection refused")
        status, body = self.get("/hams/ready?verbose")
        self.assertEqual(status, 503)
        self.assertIn("[-]db failed: connection refused", body)
        status, body = self.get("/hams/ready/db")
        self.assertEqual(status, 503)

    def test_manual_probe_initial_reason_and_healthy_default(self) -> None:
        self.h.probe_manual("up")
        self.h.probe_manual("down", healthy=False, reason="connecting")
        status, body = self.get("/hams/ready?verbose")
        self.assertIn("[+]up ok", body)
        self.assertIn("[-]down failed: connecting", body)
        with self.assertRaises(TypeError):
            self.h.probe_manual("x", healthy=True, ready=False)

    def test_checks_choose_endpoints(self) -> None:
        p = self.h.probe_manual("both", healthy=False, checks=hams.ALIVE | hams.STARTUP)
        self.assertEqual(self.get("/hams/alive")[0], 503)
        self.assertEqual(self.get("/hams/startup")[0], 503)
        # Readiness also waits for the startup check to pass once.
        self.assertEqual(self.get("/hams/ready")[0], 503)
        p.set(True)
        self.assertEqual(self.get("/hams/alive")[0], 200)
        self.assertEqual(self.get("/hams/startup")[0], 200)
        self.assertEqual(self.get("/hams/ready")[0], 200)
        with self.assertRaises(hams.HamsError):
            self.h.probe_manual("nochecks", checks=0)

    def test_kick_probe(self) -> None:
        loop = self.h.probe_kick("loop", margin=0.3, checks=hams.ALIVE)
        self.assertEqual(self.get("/hams/alive")[0], 200)
        self.assertTrue(eventually(lambda: self.get("/hams/alive")[0] == 503, timeout=5))
        status, body = self.get("/hams/alive?verbose")
        self.assertIn("[-]loop failed", body)
        loop.kick()
        self.assertEqual(self.get("/hams/alive")[0], 200)
        with self.assertRaises(hams.HamsError) as cm:
            loop.set(True)  # not a manual probe
        self.assertIn("not a manual probe", str(cm.exception))
        self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        with self.assertRaises(hams.HamsError):
            self.h.probe_kick("zero", margin=0)
        with self.assertRaises(hams.HamsError):
            self.h.probe_kick("neg", margin=-1)

    def test_check_decorator_bool(self) -> None:
        calls: List[int] = []

        @self.h.check("cache", interval=0.05, timeout=1.0)
        def cache_ok() -> bool:
            calls.append(1)
            return True

        self.assertTrue(callable(cache_ok))  # the decorator returns the function
        self.assertTrue(cache_ok())
        self.assertTrue(eventually(lambda: "[+]cache ok" in self.get("/hams/ready?verbose")[1]))
        self.assertTrue(eventually(lambda: len(calls) >= 3))
        self.assertIs(self.h.probe("cache"), self.h.probe("cache"))

    def test_check_tuple_reason(self) -> None:
        state = {"ok": False}

        def check() -> hams.CheckResult:
            return (state["ok"], "cache cold ünïcode")

        p = self.h.probe_callback("cache", check, interval=0.05)
        self.assertTrue(
            eventually(lambda: "[-]cache failed: cache cold ünïcode" in self.get("/hams/ready?verbose")[1])
        )
        state["ok"] = True
        self.assertTrue(eventually(lambda: self.get("/hams/ready")[0] == 200))
        p.close()

    def test_check_false_and_none(self) -> None:
        self.h.probe_callback("f", lambda: False, interval=0.05)
        self.h.probe_callback("n", lambda: None, interval=0.05)  # type: ignore[arg-type,return-value]
        self.assertTrue(eventually(lambda: "[-]n failed: check returned None" in self.get("/hams/ready?verbose")[1]))
        self.assertIn("[-]f failed", self.get("/hams/ready?verbose")[1])

    def test_check_long_reason_is_cut(self) -> None:
        self.h.probe_callback("long", lambda: (False, "é" * 1000), interval=0.05)
        self.assertTrue(eventually(lambda: "[-]long failed: éé" in self.get("/hams/ready?verbose")[1]))
        body = self.get("/hams/ready?verbose")[1]
        line = [x for x in body.splitlines() if x.startswith("[-]long")][0]
        self.assertLessEqual(len(line.encode()), 300)
        self.assertNotIn("\ufffd", line)

    def test_check_exception(self) -> None:
        with self.assertLogs("hams", level="WARNING") as logs:

            @self.h.check("boom", interval=0.05)
            def boom() -> bool:
                raise RuntimeError("kaput")

            self.assertTrue(eventually(lambda: "[-]boom failed: kaput" in self.get("/hams/ready?verbose")[1]))
            time.sleep(0.2)  # more runs: logged once with the traceback, then at DEBUG
        warnings = [r for r in logs.records if r.levelno == logging.WARNING]
        self.assertEqual(len(warnings), 1, [r.getMessage() for r in logs.records])
        self.assertIn("check 'boom' raised RuntimeError: kaput", warnings[0].getMessage())
        self.assertIsNotNone(warnings[0].exc_info)
        # The server and the other probes are unaffected.
        self.assertEqual(self.get("/hams/alive")[0], 200)

    def test_check_exception_without_text(self) -> None:
        def check() -> bool:
            raise KeyError()

        with self.assertLogs("hams", level="WARNING"):
            self.h.probe_callback("kerr", check, interval=0.05)
            self.assertTrue(eventually(lambda: "[-]kerr failed: KeyError" in self.get("/hams/ready?verbose")[1]))

    def test_check_timeout(self) -> None:
        release = threading.Event()

        def slow() -> bool:
            release.wait(5)
            return True

        self.h.probe_callback("slow", slow, interval=0.05, timeout=0.1)
        try:
            self.assertTrue(eventually(lambda: "timed out" in self.get("/hams/ready?verbose")[1]))
        finally:
            release.set()

    def test_callback_probe_close_stops_calls(self) -> None:
        calls: List[int] = []
        p = self.h.probe_callback("c", lambda: calls.append(1) is None, interval=0.02)
        self.assertTrue(eventually(lambda: len(calls) >= 2))
        p.close()
        p.close()
        n = len(calls)
        time.sleep(0.2)
        self.assertEqual(len(calls), n)
        self.assertNotIn("[+]c ok", self.get("/hams/ready?verbose")[1])
        self.assertEqual(self.get("/hams/ready/c")[0], 404)
        with self.assertRaises(hams.HamsError):
            self.h.probe("c")
        # The name is free again.
        self.h.probe_manual("c")

    def test_probe_closed_from_its_own_check(self) -> None:
        holder: List[hams.Probe] = []
        done = threading.Event()

        def once() -> bool:
            if holder:
                holder[0].close()
                done.set()
            return True

        holder.append(self.h.probe_callback("once", once, interval=0.05))
        self.assertTrue(done.wait(5))
        self.assertTrue(eventually(lambda: self.get("/hams/ready/once")[0] == 404))

    def test_invalid_and_duplicate_names(self) -> None:
        with self.assertRaises(hams.HamsError) as cm:
            self.h.probe_manual("bad name")
        self.assertIn("probe name \"bad name\" has the character ' '", str(cm.exception))
        self.assertEqual(cm.exception.message, str(cm.exception))
        with self.assertRaises(hams.HamsError) as cm:
            self.h.probe_kick("x" * 65)
        self.assertTrue(str(cm.exception))
        self.h.probe_manual("db")
        with self.assertRaises(hams.HamsError) as cm:
            self.h.probe_manual("db")
        self.assertIn("a probe named 'db' already exists", str(cm.exception))
        with self.assertRaises(hams.HamsError) as cm:
            self.h.probe_callback("db", lambda: True)
        self.assertIn("already exists", str(cm.exception))
        with self.assertRaises(hams.HamsError) as cm:
            self.h.probe("nope")
        self.assertIn("no probe named 'nope'", str(cm.exception))
        with self.assertRaises(TypeError):
            self.h.probe_callback("nc", "not callable")  # type: ignore[arg-type]

    def test_probe_get_same_object(self) -> None:
        db = self.h.probe_manual("db")
        self.assertIs(self.h.probe("db"), db)
        self.assertIn("db", repr(db))

    def test_json_format(self) -> None:
        self.h.probe_manual("db", healthy=False, reason="down")
        status, body = http_get(self.port, "/hams/ready", {"Accept": "application/json"})
        doc = json.loads(body)
        self.assertEqual(doc["status"], "DOWN")
        self.assertIn({"name": "db", "status": "DOWN", "reason": "down"}, doc["checks"])


class MetricsTest(TestCase):
    def setUp(self) -> None:
        self.h = new()
        self.h.start()

    def tearDown(self) -> None:
        self.h.close()

    def metrics(self) -> str:
        status, body = http_get(self.h.port, "/hams/metrics")
        self.assertEqual(status, 200)
        return body

    def test_counter_gauge_histogram(self) -> None:
        jobs = self.h.counter("jobs_total", "Jobs done")
        jobs.inc()
        jobs.inc(2)
        g = self.h.gauge("queue_depth", "Depth")
        g.set(3)
        g.add(-1)
        g.inc()
        g.dec(0.5)
        hist = self.h.histogram("latency_seconds", "Latency", buckets=[0.1, 0.5, 1.0])
        hist.observe(0.2)
        hist.observe(2)
        m = self.metrics()
        self.assertIn("# HELP jobs_total Jobs done", m)
        self.assertIn("# TYPE jobs_total counter", m)
        self.assertIn("\njobs_total 3\n", m)
        self.assertIn("# TYPE queue_depth gauge", m)
        self.assertIn("\nqueue_depth 2.5\n", m)
        self.assertIn("# TYPE latency_seconds histogram", m)
        self.assertIn('latency_seconds_bucket{le="0.1"} 0', m)
        self.assertIn('latency_seconds_bucket{le="0.5"} 1', m)
        self.assertIn('latency_seconds_bucket{le="+Inf"} 2', m)
        self.assertIn("latency_seconds_count 2", m)
        self.assertIn("latency_seconds_sum 2.2", m)

    def test_labels(self) -> None:
        ok = self.h.counter("req_total", "Requests", labels={"code": "200"})
        bad = self.h.counter("req_total", "Requests", labels=[("code", "500")])
        g = self.h.gauge("temp", "T", labels={"room": "a \"b\""})
        hh = self.h.histogram("size_bytes", "S", [10.0], labels={"kind": "x"})
        ok.inc(5)
        bad.inc()
        g.set(1.5)
        hh.observe(3)
        m = self.metrics()
        self.assertIn('req_total{code="200"} 5', m)
        self.assertIn('req_total{code="500"} 1', m)
        self.assertIn('temp{room="a \\"b\\""} 1.5', m)
        self.assertIn('size_bytes_bucket{kind="x",le="10"} 1', m)

    def test_metric_errors(self) -> None:
        with self.assertRaises(hams.HamsError) as cm:
            self.h.counter("jobs", "no _total suffix")
        self.assertIn("_total", str(cm.exception))
        c = self.h.counter("ok_total", "ok")
        with self.assertRaises(hams.HamsError) as cm:
            c.inc(-1)
        self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        with self.assertRaises(hams.HamsError):
            self.h.counter("ok_total", "ok")  # the same series twice
        with self.assertRaises(hams.HamsError):
            self.h.histogram("h_seconds", "h", buckets=[1.0, 0.5])
        g = self.h.gauge("g", "g")
        with self.assertRaises(hams.HamsError):
            g.add(float("nan"))
        g.set(float("inf"))  # allowed for gauges
        with self.assertRaises(hams.HamsError):
            self.h.gauge("bad name", "x")
        with self.assertRaises(hams.HamsError):
            self.h.counter("l_total", "l", labels={"bad-label": "x"})

    def test_metric_close(self) -> None:
        c = self.h.counter("gone_total", "bye")
        c.inc()
        self.assertIn("gone_total 1", self.metrics())
        c.close()
        c.close()
        self.assertNotIn("gone_total", self.metrics())
        with self.assertRaises(hams.HamsError) as cm:
            c.inc()
        self.assertEqual(cm.exception.code, hams.ERR_STATE)
        self.assertIn("closed", repr(c))

    def test_metrics_callback(self) -> None:
        calls: List[int] = []

        def extra() -> str:
            calls.append(1)
            return "# TYPE app_items gauge\napp_items 7\n"

        self.assertIs(self.h.metrics_callback(extra), extra)
        m = self.metrics()
        self.assertIn("app_items 7", m)
        self.assertGreaterEqual(len(calls), 1)
        # Replaced, then removed.
        self.h.metrics_callback(lambda: "# TYPE app_other counter\napp_other_total 1\n")
        m = self.metrics()
        self.assertNotIn("app_items", m)
        self.assertIn("app_other_total 1", m)
        self.h.metrics_callback(None)
        m = self.metrics()
        self.assertNotIn("app_other", m)

    def test_metrics_callback_errors(self) -> None:
        def boom() -> str:
            raise ValueError("no metrics today")

        self.h.metrics_callback(boom)
        with self.assertLogs("hams", level="ERROR") as logs:
            m = self.metrics()
        self.assertIn("hams_", m)  # hams' own metrics are still served
        self.assertTrue(any("metrics callback" in r.getMessage() for r in logs.records))
        self.h.metrics_callback(lambda: 42)  # type: ignore[arg-type,return-value]
        with self.assertLogs("hams", level="ERROR") as logs:
            self.metrics()
        self.assertTrue(any("expected str" in r.getMessage() for r in logs.records))
        self.h.metrics_callback(lambda: "this is { not valid exposition\n")
        with self.assertLogs("hams", level="WARNING") as logs:
            m = self.metrics()
        self.assertNotIn("not valid exposition", m)
        self.assertTrue(any("dropped" in r.getMessage() for r in logs.records), [r.getMessage() for r in logs.records])

    def test_prometheus_client_style(self) -> None:
        try:
            import prometheus_client  # type: ignore[import-not-found]
        except ImportError:
            self.skipTest("prometheus_client is not installed")
        reg = prometheus_client.CollectorRegistry()
        c = prometheus_client.Counter("pc_events", "Events", registry=reg)
        c.inc(4)
        self.h.metrics_callback(lambda: prometheus_client.generate_latest(reg).decode())
        self.assertIn("pc_events_total 4.0", self.metrics())


class LoggingTest(TestCase):
    def test_records_arrive_in_logging(self) -> None:
        with self.assertLogs("hams", level="INFO") as logs:
            h = new()
            h.start()
            port = h.port
            h.close()
        msgs = [r.getMessage() for r in logs.records]
        serving = [r for r in logs.records if "serving on" in r.getMessage()]
        self.assertTrue(serving, msgs)
        self.assertEqual(serving[0].levelno, logging.INFO)
        self.assertEqual(serving[0].name, "hams")
        self.assertEqual(getattr(serving[0], "hams_target"), "hams::server")
        self.assertEqual(f"serving on 127.0.0.1:{port}", serving[0].getMessage())
        self.assertTrue(any(m == "stopped" for m in msgs), msgs)

    def test_levels_and_stderr_switch(self) -> None:
        with self.assertLogs("hams", level="INFO") as logs:
            h = hams.Hams.from_yaml("service: {name: s, version: '1'}\nserver: {address: '127.0.0.1:0'}\n"
                                    "shutdown: {drain_ms: 0}\n")
            h.start()
            h.shutdown()
            self.assertTrue(h.wait(5))
            # An invalid metrics text is dropped with a warning.
            h.metrics_callback(lambda: "not { valid\n")
            http_get(h.port, "/hams/metrics")
            h.close()
        msgs = [r.getMessage() for r in logs.records]
        self.assertTrue(any("shutdown requested" in m for m in msgs), msgs)
        warn = [r for r in logs.records if "metrics callback output dropped" in r.getMessage()]
        self.assertTrue(warn, msgs)
        self.assertEqual(warn[0].levelno, logging.WARNING)
        self.assertEqual(warn[0].levelname, "WARNING")
        self.assertEqual(getattr(warn[0], "hams_target"), "hams::metrics")
        # Back to libhams' stderr logger, then to Python again.
        hams.log_to_stderr()
        try:
            logger = logging.getLogger("hams")
            seen: List[logging.LogRecord] = []

            class H(logging.Handler):
                def emit(self, record: logging.LogRecord) -> None:
                    seen.append(record)

            handler = H()
            logger.addHandler(handler)
            try:
                with new() as h:
                    h.port
            finally:
                logger.removeHandler(handler)
            self.assertFalse([r for r in seen if "serving on" in r.getMessage()])
        finally:
            hams.log_to_python()
        with self.assertLogs("hams", level="INFO") as logs:
            with new():
                pass
        self.assertTrue(any("serving on" in r.getMessage() for r in logs.records))


YAML = """\
service:
  name: yaml-svc
  version: 2.0.0
server:
  address: 127.0.0.1:0
shutdown:
  drain_ms: 100
probes:
  - name: loop
    type: kick
    checks: [alive]
    margin_ms: 1000
  - name: warmup
    type: manual
    checks: [ready, startup]
    healthy: false
"""


class ConfigTest(TestCase):
    def check_declared(self, h: hams.Hams) -> None:
        with h:
            status, body = http_get(h.port, "/hams/version")
            self.assertEqual(json.loads(body)["service"], "yaml-svc")
            self.assertEqual(http_get(h.port, "/hams/ready")[0], 503)
            warmup = h.probe("warmup")
            self.assertIs(h.probe("warmup"), warmup)
            warmup.set(True)
            h.probe("loop").kick()
            status, body = http_get(h.port, "/hams/ready?verbose")
            self.assertEqual(status, 200, body)
            self.assertIn("[+]warmup ok", body)
            self.assertIn("[+]loop ok", http_get(h.port, "/hams/alive?verbose")[1])
            with self.assertRaises(hams.HamsError):
                h.probe("loop").set(True)  # a kick probe
            with self.assertRaises(hams.HamsError):
                h.probe_manual("warmup")  # taken by the declaration

    def test_from_yaml(self) -> None:
        self.check_declared(hams.Hams.from_yaml(YAML))

    def test_from_file(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(YAML)
        try:
            self.check_declared(hams.Hams.from_file(f.name))
        finally:
            os.unlink(f.name)

    def test_from_config(self) -> None:
        h = hams.Hams.from_config(
            {
                "service": {"name": "yaml-svc", "version": "2.0.0"},
                "server": {"address": "127.0.0.1:0"},
                "probes": [
                    {"name": "loop", "type": "kick", "checks": ["alive"], "margin_ms": 1000},
                    {"name": "warmup", "type": "manual", "checks": ["ready", "startup"], "healthy": False},
                ],
            }
        )
        self.check_declared(h)

    def test_config_errors(self) -> None:
        with self.assertRaises(hams.HamsError) as cm:
            hams.Hams.from_yaml("service:\n  name: x\n  version: '1'\nserver:\n  adress: 1\n")
        msg = str(cm.exception)
        self.assertIn("adress", msg)
        self.assertRegex(msg, r"\d+:\d+")  # line:column
        with self.assertRaises(hams.HamsError) as cm:
            hams.Hams.from_file("/nonexistent/hams.yaml")
        self.assertIn("/nonexistent/hams.yaml", str(cm.exception))
        with self.assertRaises(hams.HamsError):
            hams.Hams.from_config({"service": {"name": "x"}})


class ShutdownTest(TestCase):
    def test_shutdown_wait_on_shutdown(self) -> None:
        h = hams.Hams.from_yaml(
            "service: {name: s, version: '1'}\nserver: {address: '127.0.0.1:0'}\nshutdown: {drain_ms: 300}\n"
        )
        ran: List[str] = []
        order: List[str] = []
        done = threading.Event()

        @h.on_shutdown
        def first() -> None:
            order.append("first")
            ran.append(threading.current_thread().name)

        def broken() -> None:
            order.append("broken")
            raise RuntimeError("cleanup failed")

        h.on_shutdown(broken)
        h.on_shutdown(lambda: (order.append("last"), done.set()))
        with h:
            port = h.port
            self.assertFalse(h.wait(0.05))
            self.assertEqual(http_get(port, "/hams/ready")[0], 200)
            with self.assertLogs("hams", level="ERROR") as logs:
                t0 = time.monotonic()
                h.shutdown()
                h.shutdown()  # harmless
                status, body = http_get(port, "/hams/ready?verbose")
                self.assertEqual(status, 503)
                self.assertIn("shutting down", body)
                self.assertEqual(http_get(port, "/hams/alive")[0], 200)
                self.assertFalse(order)  # not before the drain
                self.assertTrue(h.wait(5))
                elapsed = time.monotonic() - t0
            self.assertGreaterEqual(elapsed, 0.25)
            self.assertTrue(h.wait(0))  # stays done
            self.assertTrue(h.wait())
            self.assertTrue(done.is_set())
            self.assertEqual(order, ["first", "broken", "last"])
            self.assertNotEqual(ran[0], threading.current_thread().name)
            self.assertTrue(any("shutdown callback" in r.getMessage() and r.exc_info for r in logs.records))

    def test_wait_timeout(self) -> None:
        with new() as h:
            t0 = time.monotonic()
            self.assertFalse(h.wait(0.25))
            self.assertGreaterEqual(time.monotonic() - t0, 0.2)
            self.assertFalse(h.wait(0))
            with self.assertRaises(hams.HamsError):
                h.wait(-1)

    def test_close_from_callback_is_refused(self) -> None:
        h = hams.Hams.from_yaml("service: {name: s, version: '1'}\nshutdown: {drain_ms: 0}\n")
        errors: List[BaseException] = []

        def close_me() -> None:
            try:
                h.close()
            except hams.HamsError as e:
                errors.append(e)

        h.on_shutdown(close_me)
        h.shutdown()
        self.assertTrue(h.wait(5))
        self.assertEqual(len(errors), 1)
        self.assertEqual(getattr(errors[0], "code"), hams.ERR_STATE)
        h.close()


# Each child first installs Python's default SIGINT handler, as in a program
# started from a terminal (a shell's background job inherits SIGINT ignored).
SIGNAL_CHILD = r"""
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
import hams
h = hams.Hams.from_yaml("service: {name: s, version: '1'}\nserver: {address: '127.0.0.1:0'}\nshutdown: {drain_ms: 200}\n")
h.on_shutdown(lambda: print("callback", flush=True))
before = signal.getsignal(signal.SIGINT)
h.handle_signals(True)
h.start()
print("port", h.port, flush=True)
t0 = time.monotonic()
while not h.wait(0.05):
    if time.monotonic() - t0 > 10:
        print("timeout", flush=True)
        sys.exit(3)
print("stopped", flush=True)
h.handle_signals(False)
print("restored", signal.getsignal(signal.SIGINT) is before, before is signal.default_int_handler, flush=True)
h.close()
"""

SIGNAL_YAML_CHILD = r"""
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
import hams
h = hams.Hams.from_yaml("service: {name: s, version: '1'}\nserver: {address: '127.0.0.1:0'}\n"
                        "shutdown: {drain_ms: 0, handle_signals: true}\n")
plain = hams.Hams("other", "1")
try:
    plain.handle_signals(True)
    print("second owner allowed", flush=True)
except hams.HamsError as e:
    print("second owner refused:", e, flush=True)
h.start()
print("port", h.port, flush=True)
while not h.wait(0.05):
    pass
print("stopped", flush=True)
h.close()
print("restored", signal.getsignal(signal.SIGINT) is signal.default_int_handler, flush=True)
try:
    signal.raise_signal(signal.SIGINT)
    time.sleep(0.5)
    print("no KeyboardInterrupt", flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt again", flush=True)
"""


class SignalTest(TestCase):
    def run_child(self, code: str, sig: int) -> List[str]:
        env = child_env()
        p = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # A fresh process group: Python's default SIGINT handler is
            # installed (a background shell job would ignore SIGINT).
            start_new_session=True,
        )
        assert p.stdout is not None
        line = p.stdout.readline()
        lines = [line.strip()]
        while not line.startswith("port"):
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        time.sleep(0.1)
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        lines += out.splitlines()
        self.assertEqual(p.returncode, 0, f"stdout={lines} stderr={err}")
        self.assertNotIn("Traceback", err)
        return lines

    def test_sigterm(self) -> None:
        lines = self.run_child(SIGNAL_CHILD, signal.SIGTERM)
        self.assertIn("callback", lines)
        self.assertIn("stopped", lines)
        self.assertIn("restored True True", lines)

    def test_sigint_no_keyboard_interrupt(self) -> None:
        lines = self.run_child(SIGNAL_CHILD, signal.SIGINT)
        self.assertIn("callback", lines)
        self.assertIn("stopped", lines)
        self.assertIn("restored True True", lines)

    def test_signals_from_yaml(self) -> None:
        lines = self.run_child(SIGNAL_YAML_CHILD, signal.SIGINT)
        self.assertTrue(any(x.startswith("second owner refused:") and "already handled" in x for x in lines), lines)
        self.assertIn("stopped", lines)
        self.assertIn("restored True", lines)
        self.assertIn("KeyboardInterrupt again", lines)


class FromHandleTest(TestCase):
    def test_borrowed_handle(self) -> None:
        with new() as owner:
            borrowed = hams.Hams.from_handle(owner.handle)
            self.assertFalse(borrowed.owned)
            self.assertEqual(borrowed.port, owner.port)
            side = borrowed.probe_manual("py-side", healthy=False)
            side.set(True)
            calls: List[int] = []
            borrowed.probe_callback("py-check", lambda: calls.append(1) is None, interval=0.05)
            self.assertEqual(owner.probe("py-side").name, "py-side")
            self.assertTrue(eventually(lambda: "[+]py-check ok" in http_get(owner.port, "/hams/ready?verbose")[1]))
            self.assertIn("[+]py-side ok", http_get(owner.port, "/hams/ready?verbose")[1])
            borrowed.close()
            borrowed.close()
            del borrowed
            gc.collect()
            # Still served: closing a borrowed wrapper frees nothing, and the
            # check it registered keeps running.
            self.assertTrue(owner.running)
            n = len(calls)
            self.assertTrue(eventually(lambda: len(calls) > n))
            self.assertIn("[+]py-side ok", http_get(owner.port, "/hams/ready?verbose")[1])
        self.assertTrue(owner.closed)

    def test_bad_handles(self) -> None:
        with self.assertRaises(hams.HamsError):
            hams.Hams.from_handle(0)
        with self.assertRaises(hams.HamsError):
            hams.Hams.from_handle(None)  # type: ignore[arg-type]

    def test_owned_handle(self) -> None:
        a = new()
        ptr = a.handle
        # Hand the handle over: `a` forgets it without freeing it.
        a._owned = False
        a.close()
        b = hams.Hams.from_handle(ptr, owned=True)
        b.start()
        port = b.port
        b.close()
        with self.assertRaises(OSError):
            http_get(port, "/hams/alive")


class ConcurrencyTest(TestCase):
    def test_many_threads(self) -> None:
        with new() as h:
            c = h.counter("hits_total", "hits")
            loop = h.probe_kick("loop", margin=5)
            h.probe_callback("cb", lambda: True, interval=0.01)

            def work() -> None:
                for _ in range(500):
                    c.inc()
                    loop.kick()

            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads:
                t.start()
            for _ in range(20):
                http_get(h.port, "/hams/ready")
            for t in threads:
                t.join()
            self.assertIn("hits_total 2000", http_get(h.port, "/hams/metrics")[1])


if __name__ == "__main__":
    unittest.main()
