"""The Python demo (examples/python/demo.py, a service on top of this
package) against the demo contract of
tests/tck/README.md: one scenario, run as a child process."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import unittest
from typing import List, Optional

from _support import child_env, REPO, TestCase, eventually, http_get

DEMO = os.path.join(REPO, "examples", "python", "demo.py")


class DemoTest(TestCase):
    proc: subprocess.Popen
    port: int
    lines: "queue.Queue[str]"
    changes: List[str]  # the status listener's lines, "<name> <healthy|unhealthy>"

    @classmethod
    def setUpClass(cls) -> None:
        env = child_env()
        cls.started = time.monotonic()
        cls.proc = subprocess.Popen(
            [sys.executable, DEMO, "--address", "127.0.0.1:0", "--warmup-ms", "500", "--drain-ms", "300"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        cls.lines = queue.Queue()
        cls.changes = []
        cls.stderr: List[str] = []

        def pump() -> None:
            assert cls.proc.stdout is not None
            for line in cls.proc.stdout:
                line = line.rstrip("\n")
                # The listener's lines come at any time: checked on their own.
                change = re.fullmatch(r"hams demo: change (\S+ (?:healthy|unhealthy))", line)
                if change:
                    cls.changes.append(change.group(1))
                else:
                    cls.lines.put(line)

        def pump_err() -> None:
            assert cls.proc.stderr is not None
            for line in cls.proc.stderr:
                cls.stderr.append(line)

        threading.Thread(target=pump, daemon=True).start()
        threading.Thread(target=pump_err, daemon=True).start()
        first = cls.next_line(10)
        m = re.fullmatch(r"hams demo: serving on http://127\.0\.0\.1:(\d+)/hams/ready", first or "")
        if not m:
            cls.proc.kill()
            raise AssertionError(f"bad first line {first!r}; stderr={''.join(cls.stderr)}")
        cls.port = int(m.group(1))

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.proc.poll() is None:
            cls.proc.kill()
            cls.proc.wait()

    @classmethod
    def next_line(cls, timeout: float) -> Optional[str]:
        try:
            return cls.lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def send(self, cmd: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def get(self, path: str) -> tuple:
        return http_get(self.port, path)

    # The steps run in order (unittest sorts by name).

    def test_1_warmup(self) -> None:
        if time.monotonic() - self.started < 0.4:
            self.assertEqual(self.get("/hams/startup")[0], 503)
            self.assertEqual(self.get("/hams/ready")[0], 503)
        self.assertTrue(eventually(lambda: self.get("/hams/startup")[0] == 200, timeout=5))
        self.assertTrue(eventually(lambda: self.get("/hams/ready")[0] == 200, timeout=5))
        # The listener: first every probe and check, then warmup's and ready's turns.
        first = {c.split()[0] for c in self.changes[:6]}
        self.assertEqual(first, {"warmup", "loop", "disk", "alive", "ready", "startup"}, self.changes)
        self.assertTrue(eventually(lambda: "ready healthy" in self.changes, timeout=5), self.changes)

    def test_2_kick(self) -> None:
        self.assertEqual(self.get("/hams/alive")[0], 200)
        self.send("stop-kicking")
        self.assertTrue(eventually(lambda: self.get("/hams/alive")[0] == 503, timeout=5))
        self.assertIn("[-]loop failed", self.get("/hams/alive?verbose")[1])
        self.send("start-kicking")
        self.assertTrue(eventually(lambda: self.get("/hams/alive")[0] == 200, timeout=5))

    def test_3_callback(self) -> None:
        self.assertTrue(eventually(lambda: "[+]disk ok" in self.get("/hams/ready?verbose")[1]))
        mark = len(self.changes)
        self.send("fail-disk")
        self.assertTrue(
            eventually(lambda: "[-]disk failed: disk full (tck)" in self.get("/hams/ready?verbose")[1], timeout=5)
        )
        self.assertTrue(eventually(lambda: "ready unhealthy" in self.changes[mark:], timeout=5), self.changes)
        self.assertEqual(self.changes[mark:][:2], ["disk unhealthy", "ready unhealthy"])
        mark = len(self.changes)
        self.send("heal-disk")
        self.assertTrue(eventually(lambda: self.get("/hams/ready")[0] == 200, timeout=5))
        self.assertTrue(eventually(lambda: "ready healthy" in self.changes[mark:], timeout=5), self.changes)
        self.assertEqual(self.changes[mark:][:2], ["disk healthy", "ready healthy"])

    def test_4_metrics(self) -> None:
        body = self.get("/hams/metrics")[1]
        m = re.search(r"^demo_loops_total (\d+(\.\d+)?)$", body, re.M)
        self.assertIsNotNone(m, body)
        assert m is not None
        self.assertGreater(float(m.group(1)), 0)

    def test_5_error(self) -> None:
        self.send("invalid-call")
        line = self.next_line(5)
        self.assertIsNotNone(line)
        assert line is not None
        self.assertTrue(line.startswith("hams demo: error: "), line)
        self.assertIn("probe name \"bad name\" has the character ' '", line)

    def test_6_shutdown(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # end of stdin is not a command
        time.sleep(0.2)
        self.assertIsNone(self.proc.poll())
        self.assertEqual(self.get("/hams/ready")[0], 200)
        self.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        self.assertTrue(eventually(lambda: self.get("/hams/ready")[0] == 503, timeout=1, step=0.005))
        self.assertLess(time.monotonic() - t0, 0.1)
        self.assertEqual(self.get("/hams/alive")[0], 200)
        self.assertEqual(self.next_line(5), "hams demo: shutdown callback ran")
        self.assertEqual(self.next_line(5), "hams demo: stopped")
        self.assertEqual(self.proc.wait(10), 0, "".join(self.stderr))
        self.assertNotIn("Traceback", "".join(self.stderr))


if __name__ == "__main__":
    unittest.main()
