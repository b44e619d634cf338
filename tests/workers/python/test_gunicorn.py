"""gunicorn (sync workers) with hams.gunicorn's hooks: the master's
/hams/metrics counts every request answered, exactly, with and without
--preload, across max_requests recycling and a SIGKILLed worker; worker
probes come and go as name@pid; SIGTERM drains (readiness 503) while the
app still answers."""

from __future__ import annotations

import os
import signal
import time
import unittest
from typing import Dict, List, Optional, Tuple

from workers_support import PYTHON, Server, child_env, children, eventually, http_get, ready_entries, total

PATHS = ("/a", "/b", "/missing")


def expected(n: int) -> Dict[Tuple[str, str], int]:
    counts: Dict[Tuple[str, str], int] = {}
    for i in range(n):
        path = PATHS[i % len(PATHS)]
        key = (path, "404" if path == "/missing" else "200")
        counts[key] = counts.get(key, 0) + 1
    return counts


class Gunicorn:
    def __init__(self, *extra: str, drain_ms: int = 0) -> None:
        env = child_env(HAMS_ADDRESS="127.0.0.1:0", HAMS_DRAIN_MS=str(drain_ms))
        self.server = Server([PYTHON, "-m", "gunicorn", "-c", "gunicorn_conf.py", *extra, "wsgi_app:app"], env)
        try:
            self.app_port = int(self.server.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
            self.hams_port = int(self.server.wait_for(r"hams: serving on port (\d+)").group(1))
            self.pid = self.server.proc.pid
            if not eventually(lambda: len(self.workers()) == 4, 20):
                raise AssertionError("not 4 workers:\n" + self.server.output())
        except BaseException:
            self.server.stop()
            raise

    def workers(self) -> List[int]:
        return children(self.pid)

    def metrics(self) -> str:
        status, text = http_get(self.hams_port, "/hams/metrics")
        assert status == 200, status
        return text

    def request(self, i: int) -> Tuple[str, int]:
        path = PATHS[i % len(PATHS)]
        status, body = http_get(self.app_port, path)
        assert status == (404 if path == "/missing" else 200), (path, status)
        pid, implementation = body.split()
        expect = os.environ.get("HAMS_PYTHON_EXPECT")
        assert not expect or implementation == expect, (implementation, expect)
        return path, int(pid)

    def counts(self, text: Optional[str] = None) -> Dict[Tuple[str, str], float]:
        text = self.metrics() if text is None else text
        return {key: total(text, "app_requests_total", path=key[0], code=key[1]) for key in expected(len(PATHS))}

    def stop(self) -> None:
        self.server.stop()


class GunicornTest(unittest.TestCase):
    def run_requests(self, g: Gunicorn, n: int, kill_at: Optional[int] = None) -> None:
        pids = set()
        for i in range(n):
            pids.add(g.request(i)[1])
            if kill_at is not None and i + 1 == kill_at:
                victim = g.workers()[0]
                os.kill(victim, signal.SIGKILL)
                self.victim = victim
            if kill_at is not None and i % 10 == 0:
                # Never fewer than the requests answered so far.
                answered = expected(i + 1)
                got = g.counts()
                for key, want in answered.items():
                    self.assertGreaterEqual(got[key], want, f"after {i + 1} requests, {key}")
        self.pids_seen = pids

    def check_exact(self, g: Gunicorn, n: int) -> None:
        want = {k: float(v) for k, v in expected(n).items()}
        last: List[Dict[Tuple[str, str], float]] = []

        def exact() -> bool:
            last[:] = [g.counts()]
            return last[0] == want

        self.assertTrue(eventually(exact, 3), f"counts {last} != {want}\n{g.server.output()[-3000:]}")
        # And they stay so (no late double count).
        time.sleep(0.3)
        self.assertEqual(g.counts(), want)

    def check_probes(self, g: Gunicorn) -> None:
        # One ready probe per live worker, named worker@pid; the exited ones gone.
        def match() -> bool:
            live = {f"worker@{p}" for p in g.workers()}
            return len(live) == 4 and {e for e in ready_entries(g.hams_port) if e.startswith("worker@")} == live

        self.assertTrue(eventually(match, 5), f"{ready_entries(g.hams_port)} vs workers {g.workers()}")

    def scenario(self, *args: str, n: int = 150, kill_at: Optional[int] = None) -> Gunicorn:
        g = Gunicorn(*args)
        self.addCleanup(g.stop)
        self.check_probes(g)
        self.run_requests(g, n, kill_at)
        self.check_exact(g, n)
        self.check_probes(g)
        return g

    def test_four_workers(self) -> None:
        g = self.scenario(n=150)
        self.assertGreater(len(self.pids_seen), 1, "all requests went to one worker: the test proves little")
        # A gauge made in each worker, aggregation "sum": the live workers.
        self.assertTrue(eventually(lambda: total(g.metrics(), "app_workers_up") == 4.0, 3), g.metrics())

    def test_four_workers_preload(self) -> None:
        g = self.scenario("--preload", n=150)
        # Made in the master before the fork: one value, shared.
        self.assertEqual(total(g.metrics(), "app_workers_up"), 1.0)

    def test_max_requests_recycling(self) -> None:
        self.scenario("--max-requests", "20", "--max-requests-jitter", "0", n=200)
        self.assertGreater(len(self.pids_seen), 4, "no worker was recycled")

    def test_max_requests_recycling_preload(self) -> None:
        self.scenario("--preload", "--max-requests", "20", "--max-requests-jitter", "0", n=200)
        self.assertGreater(len(self.pids_seen), 4, "no worker was recycled")

    def test_sigkill_a_worker(self) -> None:
        g = self.scenario(n=160, kill_at=80)
        self.assertNotIn(f"worker@{self.victim}", ready_entries(g.hams_port))

    def test_sigterm_drains_while_workers_answer(self) -> None:
        g = Gunicorn(drain_ms=2500)
        self.addCleanup(g.stop)
        self.check_probes(g)
        self.assertEqual(http_get(g.hams_port, "/hams/ready")[0], 200)
        os.kill(g.pid, signal.SIGTERM)
        self.assertTrue(eventually(lambda: http_get(g.hams_port, "/hams/ready")[0] == 503, 1.5),
                        "readiness did not fail after SIGTERM")
        # During the drain the workers still answer, every one counted.
        for i in range(20):
            g.request(i)
        self.assertEqual(http_get(g.hams_port, "/hams/ready")[0], 503)
        self.check_exact(g, 20)
        # After the drain gunicorn stops its workers, then itself.
        g.server.proc.wait(20)
        self.assertEqual(g.server.proc.returncode, 0, g.server.output())
        out = g.server.output()
        self.assertIn("hams: SIGTERM: draining", out)
        self.assertLess(out.index("hams: SIGTERM: draining"), out.index("Shutting down"))


if __name__ == "__main__":
    unittest.main()
