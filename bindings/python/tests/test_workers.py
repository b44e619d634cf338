"""Workers mode in the binding: Hams(workers=True), set_workers, attach(),
gauge aggregations, and the handle a forked or spawned worker holds (the
servers themselves: tests/workers/python)."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

from _support import TestCase, child_env, eventually, http_get

import hams
from hams.errors import ERR_INVALID, ERR_STATE

ATTACH_CHILD = r"""
import json, hams
w = hams.attach()
out = {"worker": w.worker, "repr": repr(w)}
w.counter("spawned_total", "from a spawned child").inc(7)
g = w.gauge("depth", "per worker, summed", aggregation="sum")
g.set(2)
try:
    w.start()
except hams.HamsError as e:
    out["start"] = [e.code, str(e)]
print(json.dumps(out), flush=True)
input()  # the parent has looked
w.close()
"""


class WorkersApiTest(TestCase):
    def test_constants(self) -> None:
        self.assertEqual((hams.AGG_PER_WORKER, hams.AGG_SUM, hams.AGG_MAX, hams.AGG_MIN), (0, 1, 2, 3))

    def test_attach_without_a_tree(self) -> None:
        env = child_env()
        env.pop("HAMS_WORKERS", None)
        code = "import hams\ntry:\n    hams.attach()\nexcept hams.HamsError as e:\n    print(e.code, e)\n"
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=30, text=True)
        self.assertEqual(out.stderr, "")
        self.assertTrue(out.stdout.startswith(f"{ERR_STATE} "), out.stdout)
        self.assertIn("HAMS_WORKERS", out.stdout)

    def test_set_workers_only_before_registering(self) -> None:
        h = hams.Hams("w", "1", address="127.0.0.1:0")
        try:
            h.counter("c_total", "c")
            with self.assertRaises(hams.HamsError) as cm:
                h.set_workers(True)
            self.assertEqual(cm.exception.code, ERR_STATE)
        finally:
            h.close()

    def test_aggregation_arguments(self) -> None:
        with hams.Hams("w", "1", address="127.0.0.1:0", workers=True) as h:
            self.assertFalse(h.worker)
            h.gauge("g1", "g").set_aggregation("sum")
            h.gauge("g2", "g").set_aggregation(hams.AGG_MAX)
            h.gauge("g3", "g", aggregation="min").set(1)
            h.gauge("g4", "g", labelnames=["k"]).set_aggregation("per_worker")
            h.gauge("g5", "g", labelnames=["k"], aggregation=hams.AGG_SUM).labels("x").set(1)
            with self.assertRaises(hams.HamsError) as cm:
                h.gauge("g6", "g").set_aggregation("avg")
            self.assertEqual(cm.exception.code, ERR_INVALID)
            with self.assertRaises(hams.HamsError):
                h.gauge("g7", "g").set_aggregation(7)
            with self.assertRaises(TypeError):
                h.gauge("g8", "g").set_aggregation(True)  # type: ignore[arg-type]
            # A failed aggregation leaves no family behind.
            with self.assertRaises(hams.HamsError):
                h.gauge("g9", "g", aggregation="mean")
            h.gauge("g9", "g")
            self.assertFalse(hasattr(h.counter("c_total", "c"), "set_aggregation"))

    def test_spawned_child_attaches(self) -> None:
        h = hams.Hams("w", "1", address="127.0.0.1:0", workers=True)
        try:
            h.start()
            # libhams' setenv is mirrored, so os.environ.copy() carries it.
            self.assertTrue(os.environ.get("HAMS_WORKERS"))
            env = child_env()
            env["HAMS_WORKERS"] = os.environ["HAMS_WORKERS"]
            p = subprocess.Popen([sys.executable, "-c", ATTACH_CHILD], env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                import json

                assert p.stdout is not None and p.stdin is not None
                out = json.loads(p.stdout.readline())
                self.assertTrue(out["worker"])
                self.assertEqual(out["repr"], "<hams.Hams worker>")
                self.assertEqual(out["start"][0], ERR_STATE)

                def shown() -> bool:
                    text = http_get(h.port, "/hams/metrics")[1]
                    return "spawned_total 7" in text and "\ndepth 2" in text and "hams_workers 1" in text

                self.assertTrue(eventually(shown, 3), http_get(h.port, "/hams/metrics")[1])
                p.stdin.write("\n")
                p.stdin.close()
                self.assertEqual(p.wait(30), 0)
                self.assertEqual(p.stderr.read() if p.stderr else "", "")
                self.assertTrue(eventually(lambda: "hams_workers 0" in http_get(h.port, "/hams/metrics")[1], 3))
                self.assertIn("spawned_total 7", http_get(h.port, "/hams/metrics")[1])
            finally:
                if p.poll() is None:
                    p.kill()
                p.wait()
                for f in (p.stdout, p.stderr):
                    if f:
                        f.close()
        finally:
            h.close()
        # libhams took HAMS_WORKERS back when the parent was freed; so did os.environ.
        self.assertNotIn("HAMS_WORKERS", os.environ)


if __name__ == "__main__":
    unittest.main()
