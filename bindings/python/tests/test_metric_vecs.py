"""Tests of metric vectors (``labelnames`` / ``labels(...)``), default
buckets, native histograms and the bucket helpers, over HTTP against a real
libhams server on 127.0.0.1:0."""

from __future__ import annotations

import threading
import unittest
from typing import Any, List

from _support import TestCase, http_get

import hams
from hams._native import _C


class VecTest(TestCase):
    def setUp(self) -> None:
        self.h = hams.Hams("py-vec", "1", address="127.0.0.1:0")
        self.h.start()

    def tearDown(self) -> None:
        self.h.close()

    def metrics(self, headers: Any = None) -> str:
        status, body = http_get(self.h.port, "/hams/metrics", headers)
        self.assertEqual(status, 200)
        return body

    def test_counter_vec_positional_and_keyword(self) -> None:
        req = self.h.counter("requests_total", "Requests", labelnames=["path", "code"])
        self.assertIsInstance(req, hams.CounterVec)
        self.assertEqual(req.labelnames, ("path", "code"))
        req.labels("/", "200").inc()
        req.labels(path="/", code="200").inc(2)
        req.labels(code=500, path="/x").inc()  # any value is its str(), as in prometheus_client
        child = req.labels("/", "200")
        self.assertIsInstance(child, hams.Counter)
        self.assertIs(child, req.labels(path="/", code="200"))
        self.assertIs(req.labels("/x", "500"), req.labels("/x", 500))
        m = self.metrics()
        self.assertIn("# TYPE requests_total counter", m)
        self.assertIn('requests_total{path="/",code="200"} 3', m)
        self.assertIn('requests_total{path="/x",code="500"} 1', m)

    def test_cached_child_does_not_call_libhams(self) -> None:
        req = self.h.counter("cached_total", "c", labelnames=["path"])
        calls: List[Any] = []
        real = _C.vec_with

        def counting(*args: Any) -> Any:
            calls.append(args)
            return real(*args)

        _C.vec_with = counting  # type: ignore[assignment]
        try:
            first = req.labels("/")
            for _ in range(100):
                self.assertIs(req.labels("/"), first)
                self.assertIs(req.labels(path="/"), first)
        finally:
            _C.vec_with = real  # type: ignore[assignment]
        self.assertEqual(len(calls), 1)

    def test_gauge_and_histogram_vecs(self) -> None:
        temp = self.h.gauge("temperature", "T", labelnames=("room",))
        self.assertIsInstance(temp, hams.GaugeVec)
        temp.labels("kitchen").set(21.5)
        temp.labels(room="hall").dec(2)
        lat = self.h.histogram("latency_seconds", "L", [0.1, 1.0], labelnames=["op"])
        self.assertIsInstance(lat, hams.HistogramVec)
        lat.labels("get").observe(0.5)
        m = self.metrics()
        self.assertIn('temperature{room="kitchen"} 21.5', m)
        self.assertIn('temperature{room="hall"} -2', m)
        self.assertIn('latency_seconds_bucket{op="get",le="0.1"} 0', m)
        self.assertIn('latency_seconds_bucket{op="get",le="1"} 1', m)
        self.assertIn('latency_seconds_count{op="get"} 1', m)

    def test_default_buckets(self) -> None:
        self.h.histogram("plain_seconds", "P").observe(0.3)
        self.h.histogram("vec_seconds", "V", labelnames=["op"]).labels("put").observe(0.3)
        m = self.metrics()
        for le in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25"):
            self.assertIn(f'plain_seconds_bucket{{le="{le}"}} 0', m)
            self.assertIn(f'vec_seconds_bucket{{op="put",le="{le}"}} 0', m)
        for le in ("0.5", "1", "2.5", "5", "10", "+Inf"):
            self.assertIn(f'plain_seconds_bucket{{le="{le}"}} 1', m)
            self.assertIn(f'vec_seconds_bucket{{op="put",le="{le}"}} 1', m)
        with self.assertRaises(hams.HamsError) as cm:
            self.h.histogram("empty_seconds", "E", buckets=[])  # no bounds at all is not "the defaults"
        self.assertIn("bucket", str(cm.exception))

    def test_native_histograms(self) -> None:
        one = self.h.histogram("native_seconds", "N", native=True, bucket_factor=1.1)
        self.assertIsInstance(one, hams.Histogram)
        one.observe(0.25)
        one.observe(3)
        vec = self.h.histogram("native_vec_seconds", "NV", native=True, bucket_factor=2.0, max_buckets=10,
                               labelnames=["op"])
        self.assertIsInstance(vec, hams.HistogramVec)
        vec.labels(op="get").observe(1.5)
        m = self.metrics()
        self.assertIn("native_seconds_count 2", m)
        self.assertIn("native_seconds_sum 3.25", m)
        self.assertIn('native_vec_seconds_count{op="get"} 1', m)
        proto = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
        self.assertIn("native_seconds", self.metrics({"Accept": proto}))

    def test_native_histogram_errors(self) -> None:
        for factor in (1.0, 0.5, float("nan"), float("inf")):
            with self.assertRaises(hams.HamsError) as cm:
                self.h.histogram("bad_native_seconds", "B", native=True, bucket_factor=factor)
            self.assertIn("bucket_factor", str(cm.exception))
        with self.assertRaises(hams.HamsError):
            self.h.histogram("b1_seconds", "B", [1.0], native=True)
        with self.assertRaises(hams.HamsError):
            self.h.histogram("b2_seconds", "B", native=True, labels={"a": "b"})
        with self.assertRaises(hams.HamsError):
            self.h.histogram("b3_seconds", "B", native=True, max_buckets=-1)
        with self.assertRaises(hams.HamsError) as cm:
            self.h.histogram("b4_seconds", "B", native=True, bucket_factor=1.0, labelnames=["x"])
        self.assertIn("bucket_factor", str(cm.exception))

    def test_remove_and_child_close(self) -> None:
        req = self.h.counter("removed_total", "R", labelnames=["path"])
        a = req.labels("/a")
        a.inc()
        req.labels("/b").inc()
        req.remove("/a")
        m = self.metrics()
        self.assertNotIn('removed_total{path="/a"}', m)
        self.assertIn('removed_total{path="/b"} 1', m)
        with self.assertRaises(hams.HamsError) as cm:
            a.inc()
        self.assertEqual(cm.exception.code, hams.ERR_STATE)
        with self.assertRaises(hams.HamsError) as cm:
            req.remove("/a")  # no such series any more: libhams says so
        self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        self.assertIn("/a", str(cm.exception))
        again = req.labels("/a")  # a new series from zero
        self.assertIsNot(again, a)
        self.assertIn('removed_total{path="/a"} 0', self.metrics())
        req.remove(path="/a")
        b = req.labels("/b")
        b.close()
        b.close()
        self.assertNotIn('removed_total{path="/b"}', self.metrics())
        self.assertIn("closed", repr(b))

    def test_clear_and_close(self) -> None:
        g = self.h.gauge("cleared", "C", labelnames=["k"])
        for k in "abc":
            g.labels(k).set(1)
        g.clear()
        self.assertNotIn("cleared{", self.metrics())
        g.labels("d").set(2)
        self.assertIn('cleared{k="d"} 2', self.metrics())
        child = g.labels("d")
        g.close()
        g.close()
        self.assertTrue(g.closed)
        self.assertNotIn("cleared", self.metrics())
        for call in (lambda: g.labels("d"), lambda: child.set(1), lambda: g.remove("d")):
            with self.assertRaises(hams.HamsError) as cm:
                call()
            self.assertEqual(cm.exception.code, hams.ERR_STATE)
        # The name is free again.
        self.h.gauge("cleared", "C", labelnames=["k"]).labels("e").set(3)
        self.assertIn('cleared{k="e"} 3', self.metrics())

    def test_closing_hams_closes_vecs(self) -> None:
        v = self.h.counter("gone_total", "G", labelnames=["x"])
        c = v.labels("y")
        self.h.close()
        self.assertTrue(v.closed)
        with self.assertRaises(hams.HamsError) as cm:
            v.labels("z")
        self.assertEqual(cm.exception.code, hams.ERR_STATE)
        with self.assertRaises(hams.HamsError):
            c.inc()
        v.close()  # harmless

    def test_bad_label_values(self) -> None:
        req = self.h.counter("bad_total", "B", labelnames=["path", "code"])
        with self.assertRaises(hams.HamsError) as cm:
            req.labels("/")
        self.assertIn("1 label values for 2 label names", str(cm.exception))
        with self.assertRaises(hams.HamsError) as cm:
            req.labels("/", "200", "extra")
        self.assertIn("more label values", str(cm.exception))
        with self.assertRaises(hams.HamsError) as cm:
            req.labels(path="/", status="200")
        self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        self.assertIn("status", str(cm.exception))
        with self.assertRaises(hams.HamsError) as cm:
            req.labels(path="/")
        self.assertIn("code", str(cm.exception))
        with self.assertRaises(hams.HamsError):
            req.labels("/", code="200")
        with self.assertRaises(hams.HamsError) as cm:
            req.labels(None, "200")
        self.assertEqual(cm.exception.code, hams.ERR_NULL)
        with self.assertRaises(hams.HamsError) as cm:
            req.labels(path="/", code=None)
        self.assertEqual(cm.exception.code, hams.ERR_NULL)
        with self.assertRaises(hams.HamsError) as cm:
            req.labels("/\0", "200")
        self.assertIn("NUL", str(cm.exception))
        with self.assertRaises(hams.HamsError):
            req.remove("/")
        self.assertNotIn("bad_total{", self.metrics())

    def test_bad_label_names(self) -> None:
        with self.assertRaises(hams.HamsError) as cm:
            self.h.histogram("le_seconds", "L", labelnames=["le"])
        self.assertIn("le", str(cm.exception))
        with self.assertRaises(hams.HamsError):
            self.h.counter("dash_total", "D", labelnames=["bad-name"])
        with self.assertRaises(hams.HamsError):
            self.h.counter("dup_total", "D", labelnames=["a", "a"])
        with self.assertRaises(hams.HamsError):
            self.h.counter("both_total", "B", labels={"a": "b"}, labelnames=["c"])
        with self.assertRaises(TypeError):
            self.h.counter("str_total", "S", labelnames="path")
        with self.assertRaises(TypeError):
            self.h.counter("none_total", "N", labelnames=[None])  # type: ignore[list-item]
        with self.assertRaises(hams.HamsError):
            self.h.counter("suffix", "no _total", labelnames=["a"])
        self.h.counter("taken_total", "T", labelnames=["a"])
        with self.assertRaises(hams.HamsError):
            self.h.counter("taken_total", "T", labelnames=["a"])

    def test_concurrent_first_use(self) -> None:
        v = self.h.counter("race_total", "R", labelnames=["k"])
        seen: List[Any] = []
        start = threading.Barrier(8)

        def worker() -> None:
            start.wait()
            for _ in range(200):
                c = v.labels("same")
                c.inc()
            seen.append(c)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(c is seen[0] for c in seen))
        self.assertIn('race_total{k="same"} 1600', self.metrics())


class BucketsTest(TestCase):
    def test_linear_and_exponential(self) -> None:
        self.assertEqual(hams.linear_buckets(1, 2, 4), [1.0, 3.0, 5.0, 7.0])
        self.assertEqual(hams.exponential_buckets(0.5, 2, 4), [0.5, 1.0, 2.0, 4.0])
        self.assertEqual(len(hams.linear_buckets(0, 1, 1024)), 1024)

    def test_errors(self) -> None:
        for call in (
            lambda: hams.linear_buckets(1, 0, 3),
            lambda: hams.linear_buckets(1, 1, 0),
            lambda: hams.linear_buckets(1, 1, 1025),
            lambda: hams.linear_buckets(1, 1, -1),
            lambda: hams.exponential_buckets(0, 2, 3),
            lambda: hams.exponential_buckets(1, 1, 3),
            lambda: hams.exponential_buckets(1, 1e300, 3),
        ):
            with self.assertRaises(hams.HamsError) as cm:
                call()
            self.assertEqual(cm.exception.code, hams.ERR_INVALID)
        with self.assertRaises(TypeError):
            hams.linear_buckets(1, 1, 2.5)  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
