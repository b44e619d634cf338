"""Exemplars: ``Counter.inc(amount, exemplar=)`` and
``Histogram.observe(value, exemplar=)``, on plain metrics and on vectors'
children, seen in an OpenMetrics scrape of a real libhams server on
127.0.0.1:0; an invalid exemplar raises HamsError and counts nothing."""

from __future__ import annotations

import inspect
import re
import unittest
from typing import Any

from _support import TestCase, http_get

import hams
from hams._native import _C

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class ExemplarTest(TestCase):
    def setUp(self) -> None:
        self.h = hams.Hams("py-exemplars", "1", address="127.0.0.1:0")
        self.h.start()

    def tearDown(self) -> None:
        self.h.close()

    def scrape(self, openmetrics: bool = True) -> str:
        status, body = http_get(self.h.port, "/hams/metrics", OPENMETRICS if openmetrics else None)
        self.assertEqual(status, 200)
        return body

    def sample(self, series: str, openmetrics: bool = True) -> str:
        """The exposition line of `series` (name and labels as printed)."""
        for line in self.scrape(openmetrics).splitlines():
            if line.startswith(series + " "):
                return line
        self.fail(f"no sample {series!r} in the scrape")

    def assertExemplar(self, line: str, labels: str, value: str) -> None:
        # `<series> <value> # {<labels>} <exemplar value> <timestamp>`
        m = re.search(r" # \{(.*)\} (\S+) (\d+(?:\.\d+)?)$", line)
        self.assertIsNotNone(m, line)
        assert m is not None
        self.assertEqual(m.group(1), labels, line)
        self.assertEqual(float(m.group(2)), float(value), line)

    def test_counter(self) -> None:
        c = self.h.counter("jobs_total", "Jobs")
        c.inc(2, exemplar={"trace_id": TRACE})
        line = self.sample("jobs_total")
        self.assertTrue(line.startswith("jobs_total 2 # "), line)
        self.assertExemplar(line, f'trace_id="{TRACE}"', "2")
        c.inc(1, {"trace_id": "b7ad6b7169203331"})  # positionally; the latest one is shown
        line = self.sample("jobs_total")
        self.assertTrue(line.startswith("jobs_total 3 # "), line)
        self.assertExemplar(line, 'trace_id="b7ad6b7169203331"', "1")
        c.inc()  # a plain inc keeps the exemplar
        self.assertExemplar(self.sample("jobs_total"), 'trace_id="b7ad6b7169203331"', "1")

    def test_histogram_bucket(self) -> None:
        lat = self.h.histogram("work_seconds", "Work")  # default buckets
        lat.observe(0.3, exemplar={"trace_id": TRACE})
        self.assertExemplar(self.sample('work_seconds_bucket{le="0.5"}'), f'trace_id="{TRACE}"', "0.3")
        # Only the bucket the value falls in carries it.
        self.assertNotIn(" # ", self.sample('work_seconds_bucket{le="0.25"}'))
        self.assertNotIn(" # ", self.sample('work_seconds_bucket{le="1.0"}'))
        lat.observe(20.0, {"trace_id": "ff", "span_id": "01"})  # +Inf; two labels
        self.assertExemplar(self.sample('work_seconds_bucket{le="+Inf"}'), 'trace_id="ff",span_id="01"', "20")
        self.assertIn("work_seconds_count 2", self.scrape())

    def test_vec_children(self) -> None:
        req = self.h.counter("requests_total", "Requests", labelnames=["path", "code"])
        req.labels("/work", "200").inc(exemplar={"trace_id": TRACE})
        req.labels(path="/work", code="500").inc(1.0, {"trace_id": "abc"})
        self.assertExemplar(self.sample('requests_total{path="/work",code="200"}'), f'trace_id="{TRACE}"', "1")
        self.assertExemplar(self.sample('requests_total{path="/work",code="500"}'), 'trace_id="abc"', "1")
        lat = self.h.histogram("rpc_seconds", "RPCs", buckets=[0.1, 1.0], labelnames=["method"])
        lat.labels("get").observe(0.05, exemplar={"trace_id": TRACE})
        self.assertExemplar(self.sample('rpc_seconds_bucket{method="get",le="0.1"}'), f'trace_id="{TRACE}"', "0.05")

    def test_empty_exemplar_and_128_characters(self) -> None:
        c = self.h.counter("empty_total", "c")
        c.inc(exemplar={})
        self.assertExemplar(self.sample("empty_total"), "", "1")
        name = "trace_id"
        c.inc(exemplar={name: "x" * (128 - len(name))})  # exactly 128: allowed
        self.assertExemplar(self.sample("empty_total"), f'{name}="{"x" * 120}"', "1")
        c.inc(exemplar={name: "é" * 120})  # characters, not bytes
        self.assertIn("empty_total 3 # ", self.sample("empty_total"))

    def test_text_format_has_no_exemplars(self) -> None:
        self.h.counter("plain_total", "c").inc(exemplar={"trace_id": TRACE})
        self.h.histogram("plain_seconds", "h").observe(0.3, exemplar={"trace_id": TRACE})
        text = self.scrape(openmetrics=False)
        self.assertIn("plain_total 1", text)
        self.assertNotIn(TRACE, text)

    def assertRefused(self, metric: Any, call: Any, series: str, counted: str, code: Any = hams.ERR_INVALID,
                      error: type = hams.HamsError) -> None:
        with self.assertRaises(error) as cm:
            call()
        if error is hams.HamsError:
            self.assertEqual(cm.exception.code, code, str(cm.exception))  # type: ignore[attr-defined]
        line = self.sample(series)
        self.assertEqual(line.split(" # ")[0], f"{series} {counted}", f"{metric}: counted after {cm.exception!r}")

    def test_invalid_exemplars_count_nothing(self) -> None:
        c = self.h.counter("bad_total", "c")
        c.inc()
        lat = self.h.histogram("bad_seconds", "h", buckets=[1.0])
        lat.observe(0.5)
        too_long = {"trace_id": "x" * 121}  # 129 characters in all
        bad = [too_long, {"1trace": "x"}, {"trace-id": "x"}, {"": "x"}, {"trace id": "x"}, {"é": "x"}]
        for ex in bad:
            with self.subTest(exemplar=ex):
                self.assertRefused(c, lambda: c.inc(1, exemplar=ex), "bad_total", "1")
                self.assertRefused(lat, lambda: lat.observe(0.5, ex), 'bad_seconds_bucket{le="1.0"}', "1")
                self.assertRefused(c, lambda: c.inc(-1, exemplar={"trace_id": "x"}), "bad_total", "1")
        vec = self.h.counter("badvec_total", "c", labelnames=["path"])
        vec.labels("/").inc()
        self.assertRefused(vec, lambda: vec.labels("/").inc(exemplar=too_long), 'badvec_total{path="/"}', "1")
        # Not a dict, or not str values: TypeError, before libhams is called.
        for ex in ([("trace_id", "x")], "trace_id=x", {"trace_id": 7}, {7: "x"}):
            with self.subTest(exemplar=ex):
                self.assertRefused(c, lambda: c.inc(exemplar=ex), "bad_total", "1", error=TypeError)
        # A NUL cannot reach C.
        self.assertRefused(c, lambda: c.inc(exemplar={"trace_id": "a\0b"}), "bad_total", "1")
        # The message names the problem.
        with self.assertRaises(hams.HamsError) as cm:
            c.inc(exemplar=too_long)
        self.assertIn("128", str(cm.exception))

    def test_unknown_keyword_and_closed_metric(self) -> None:
        c = self.h.counter("kw_total", "c")
        with self.assertRaises(TypeError):
            c.inc(1, examplar={"trace_id": "x"})  # type: ignore[call-arg]
        c.close()
        with self.assertRaises(hams.HamsError) as cm:
            c.inc(exemplar={"trace_id": "x"})
        self.assertEqual(cm.exception.code, hams.ERR_STATE)

    def test_signatures(self) -> None:
        # The compiled fast path's methods say so too (inspect, as callers
        # feature-test with it).
        self.assertIn("exemplar", inspect.signature(hams.Counter.inc).parameters)
        self.assertIn("exemplar", inspect.signature(hams.Histogram.observe).parameters)

    @unittest.skipIf(
        hams.implementation() == "c-extension",
        "the compiled fast path links the exemplar functions: with a libhams without them it does not load, "
        "and the ctypes path (this test's run without the extension) is what remains",
    )
    def test_library_without_exemplars(self) -> None:
        c = self.h.counter("old_total", "c")
        real = _C.counter_add_exemplar
        _C.counter_add_exemplar = None  # type: ignore[assignment]
        try:
            with self.assertRaises(hams.HamsError) as cm:
                c.inc(exemplar={"trace_id": "x"})
            self.assertEqual(cm.exception.code, hams.ERR_STATE)
            self.assertIn("exemplar", str(cm.exception))
        finally:
            _C.counter_add_exemplar = real  # type: ignore[assignment]
        self.assertEqual(self.sample("old_total"), "old_total 0")


if __name__ == "__main__":
    unittest.main()
