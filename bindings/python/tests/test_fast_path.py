"""The compiled fast path (hams._fast) and the ctypes fallback behave alike;
HAMS_PYTHON_EXPECT (c-extension or ctypes) makes sure the intended one runs."""

from __future__ import annotations

import os
import unittest

from _support import TestCase, http_get

import hams
from hams.errors import ERR_STATE


class FastPathTest(TestCase):
    def test_the_expected_implementation(self) -> None:
        expect = os.environ.get("HAMS_PYTHON_EXPECT")
        if os.environ.get("HAMS_PYTHON_NO_EXT") == "1":
            self.assertEqual(hams.implementation(), "ctypes")
        if expect:
            self.assertEqual(hams.implementation(), expect)
        self.assertIn(hams.implementation(), ("c-extension", "ctypes"))

    def test_values_arguments_and_errors(self) -> None:
        with hams.Hams("s", "1", address="127.0.0.1:0") as h:
            c = h.counter("c_total", "c")
            c.inc()
            c.inc(2)
            c.inc(True)  # float(True) as before
            c.inc(amount=0.5)
            g = h.gauge("g", "g")
            g.set(10)
            g.add(-2.5)
            g.inc()
            g.dec(3)
            g.dec()
            hi = h.histogram("hi", "h", [1.0])
            hi.observe(0.5)
            hi.observe(value=3)
            v = h.counter("v_total", "v", labelnames=["p", "code"])
            v.labels("/", 200).inc()
            v.labels(p="/", code="200").inc(3)
            self.assertIs(v.labels("/", "200"), v.labels(code="200", p="/"))
            v.labels(["unhashable"], "x").inc()  # its str() is the key
            text = http_get(h.port, "/hams/metrics")[1]
            self.assertIn("c_total 4.5", text)
            self.assertIn("g 4.5", text)
            self.assertIn("hi_count 2", text)
            self.assertIn('v_total{p="/",code="200"} 4', text)
            with self.assertRaises(ValueError):  # float("x"), as before
                c.inc("x")
            with self.assertRaises(TypeError):
                c.inc(1, 2)
            with self.assertRaises(TypeError):
                g.set()
            with self.assertRaises(TypeError):
                c.inc(value=1)
            with self.assertRaises(hams.HamsError):
                c.inc(-1)
            with self.assertRaises(hams.HamsError):
                hi.observe(float("nan"))
            with self.assertRaises(hams.HamsError):
                v.labels("/")  # one value for two labels
            with self.assertRaises(hams.HamsError):
                v.labels(p="/", nope="200")
            with self.assertRaises(hams.HamsError):
                v.labels("/", code="200")
            child = v.labels("/", "200")
            v.remove("/", "200")
            with self.assertRaises(hams.HamsError) as e:
                child.inc()
            self.assertEqual(e.exception.code, ERR_STATE)
            c.close()
            with self.assertRaises(hams.HamsError):
                c.inc()
        with self.assertRaises(hams.HamsError) as e:
            g.set(1)  # its Hams is closed
        self.assertEqual(e.exception.code, ERR_STATE)
        with self.assertRaises(hams.HamsError):
            v.labels("/", 200)


class RuntimeInfoTest(TestCase):
    def test_version_names_python_and_the_binding(self) -> None:
        import json
        import platform

        with hams.Hams("s", "1", address="127.0.0.1:0") as h:
            info = json.loads(http_get(h.port, "/hams/version")[1])
        self.assertEqual(info["runtime"], f"CPython {platform.python_version()}"
                         if platform.python_implementation() == "CPython" else info["runtime"])
        self.assertTrue(info["runtime"].startswith(platform.python_implementation() + " "))
        self.assertEqual(info["library"], "hams-python")
        self.assertEqual(info["library_version"], hams.__version__)


if __name__ == "__main__":
    unittest.main()
