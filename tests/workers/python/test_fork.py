"""Fork safety: a process that started hams fork()s; the child uses the
inherited handle (metrics, a refused start, close) without a word on its
stdout or stderr, and the parent goes on serving. In workers mode the
child's counts and probes reach the parent's endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import unittest

from workers_support import APPS, PYTHON, child_env, total

import hams


def run(mode: str) -> dict:
    p = subprocess.run(
        [PYTHON, os.path.join(APPS, "fork_child.py"), mode],
        env=child_env(),
        capture_output=True,
        timeout=30,
    )
    if p.returncode != 0:
        raise AssertionError(f"fork_child.py {mode} exited {p.returncode}:\n{p.stdout.decode()}\n{p.stderr.decode()}")
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


class ForkTest(unittest.TestCase):
    def check_child(self, r: dict) -> None:
        child = r["child"]
        self.assertTrue(child["worker"], "an inherited handle says it is a worker's")
        self.assertIsInstance(child["start"], dict, "start() on the inherited handle must fail")
        self.assertEqual(child["start"]["code"], hams.ERR_STATE)
        self.assertIn("fork", child["start"]["message"])
        self.assertEqual(r["child_exit"], 0)
        self.assertEqual(r["child_stdout"], "", "the child printed on stdout")
        self.assertEqual(r["child_stderr"], "", "the child printed on stderr")
        self.assertEqual(r["ready_after"], 200)
        self.assertEqual(r["metrics_status_after"], 200)
        expect = os.environ.get("HAMS_PYTHON_EXPECT")
        if expect:
            self.assertEqual(child["implementation"], expect)

    def test_plain_fork(self) -> None:
        r = run("plain")
        self.check_child(r)
        # Not in workers mode: the child's memory is its own.
        self.assertEqual(r["fork_total_after"], 1.0)

    def test_workers_mode_fork(self) -> None:
        r = run("workers")
        self.check_child(r)
        pid = r["child"]["pid"]
        self.assertIn(f"[+]child@{pid} ok", r["ready_verbose_while_child"])
        self.assertEqual(total(r["metrics_while_child"], "fork_total"), 6.0)
        self.assertEqual(total(r["metrics_while_child"], "child_total"), 3.0)
        # After the exit: the probe left, the counts stay.
        self.assertNotIn(f"child@{pid}", r["ready_verbose_after"])
        self.assertEqual(r["fork_total_after"], 6.0)
        self.assertEqual(r["child_total_after"], 3.0)

    def test_fork_while_a_hams_thread_logs(self) -> None:
        # The package routes libhams' records into logging; a fork while a
        # hams thread is in that callback must not leave the child stuck.
        for mode in ("plain", "workers"):
            p = subprocess.run(
                [PYTHON, os.path.join(APPS, "fork_while_logging.py"), mode],
                env=child_env(), capture_output=True, timeout=60,
            )
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            r = json.loads(p.stdout.decode().strip().splitlines()[-1])
            self.assertTrue(r["held"], "no log record reached the handler: the test proves nothing")
            self.assertEqual(r["child_exit"], 0, f"{mode}: the forked child did not exit")
            self.assertEqual(r["ready_after"], 200)


if __name__ == "__main__":
    unittest.main()
