"""Status listeners (Hams.on_change, Hams.changes), Hams.check_state and
Probe.set_thresholds (see hams_on_change(3))."""

from __future__ import annotations

import asyncio
import threading
import time
import unittest
from typing import List, Tuple

from _support import TestCase, eventually, http_get

import hams


class Recorder:
    """A listener that keeps every call."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, bool, str]] = []
        self.threads: List[str] = []
        self.lock = threading.Lock()

    def __call__(self, name: str, healthy: bool, reason: str) -> None:
        with self.lock:
            self.calls.append((name, healthy, reason))
            self.threads.append(threading.current_thread().name)

    def seen(self) -> List[Tuple[str, bool]]:
        with self.lock:
            return [(n, ok) for n, ok, _ in self.calls]

    def wait_for(self, count: int, timeout: float = 5.0) -> List[Tuple[str, bool]]:
        eventually(lambda: len(self.calls) >= count, timeout)
        return self.seen()


def server() -> hams.Hams:
    h = hams.Hams("listeners", "1", address="127.0.0.1:0")
    h.start()
    return h


class ListenerTest(TestCase):
    def test_first_call_every_probe_in_order_then_the_checks(self) -> None:
        with server() as h:
            h.probe_manual("db", healthy=False, reason="connecting")
            h.probe_kick("loop", margin=5.0, checks=hams.ALIVE)
            h.probe_manual("cache")
            rec = Recorder()
            self.assertIs(h.on_change(rec), rec)  # a decorator
            first = rec.wait_for(6)
            self.assertEqual(
                first,
                [("db", False), ("loop", True), ("cache", True), ("alive", True), ("ready", False), ("startup", True)],
            )
            self.assertEqual(rec.calls[0][2], "connecting")
            self.assertEqual(rec.calls[4][2], "probe db: connecting")
            self.assertTrue(all(not ok or r == "" for _, ok, r in rec.calls))  # "" when healthy
            self.assertNotIn(threading.main_thread().name, rec.threads)

    def test_a_probe_changes_before_the_checks_it_changes(self) -> None:
        with server() as h:
            db = h.probe_manual("db", checks=hams.READY | hams.ALIVE)
            rec = Recorder()
            h.on_change(rec)
            rec.wait_for(4)
            db.set(False, "down")
            self.assertEqual(
                sorted(rec.wait_for(7)[4:]), sorted([("db", False), ("alive", False), ("ready", False)])
            )
            self.assertEqual(rec.seen()[4], ("db", False))
            db.set(False, "still down")  # a new reason alone is no change
            db.set(True)
            after = rec.wait_for(10)[7:]
            self.assertEqual(after[0], ("db", True))
            self.assertEqual(sorted(after), sorted([("db", True), ("alive", True), ("ready", True)]))

    def test_a_listener_raising_is_logged_and_hams_goes_on(self) -> None:
        with server() as h:
            db = h.probe_manual("db")
            rec = Recorder()

            def bad(name: str, healthy: bool, reason: str) -> None:
                raise RuntimeError(f"listener broke on {name}")

            with self.assertLogs("hams", level="ERROR") as logs:
                h.on_change(bad)
                h.on_change(rec)
                rec.wait_for(4)
            self.assertTrue(any("listener broke on db" in line for line in logs.output), logs.output)
            with self.assertLogs("hams", level="ERROR"):
                db.set(False, "down")
                self.assertEqual(rec.wait_for(6)[4:], [("db", False), ("ready", False)])
            self.assertEqual(http_get(h.port, "/hams/ready")[0], 503)
            self.assertEqual(http_get(h.port, "/hams/alive")[0], 200)

    def test_a_listener_may_call_hams_and_close_it(self) -> None:
        h = server()
        db = h.probe_manual("db")
        seen: List[bool] = []
        done = threading.Event()

        def listener(name: str, healthy: bool, reason: str) -> None:
            seen.append(h.check_state(hams.READY))
            if name == "ready" and not healthy:
                h.close()
                done.set()

        h.on_change(listener)
        eventually(lambda: len(seen) >= 4)
        db.set(False)
        self.assertTrue(done.wait(5))
        self.assertTrue(h.closed)
        with self.assertRaises(hams.HamsError):
            db.set(True)

    def test_check_state(self) -> None:
        with server() as h:
            db = h.probe_manual("db")
            self.assertTrue(h.check_state(hams.READY))
            db.set(False)
            self.assertFalse(h.check_state(hams.READY))
            self.assertTrue(h.check_state(hams.ALIVE))
            self.assertTrue(h.check_state(hams.STARTUP))
            for bad in (0, 3, hams.ALIVE | hams.READY, True):
                with self.assertRaises(hams.HamsError):
                    h.check_state(bad)

    def test_thresholds_three_failures(self) -> None:
        with server() as h:
            db = h.probe_manual("db")
            db.set_thresholds(3, 2)
            rec = Recorder()
            h.on_change(rec)
            rec.wait_for(4)
            db.set(False, "blip 1")
            db.set(False, "blip 2")
            time.sleep(0.15)
            self.assertEqual(len(rec.calls), 4)  # no change yet
            self.assertTrue(h.check_state(hams.READY))
            self.assertEqual(http_get(h.port, "/hams/ready")[0], 200)
            db.set(False, "down")
            self.assertEqual(rec.wait_for(6)[4:], [("db", False), ("ready", False)])
            self.assertEqual(rec.calls[4][2], "down")  # the last failure's reason
            db.set(True)
            time.sleep(0.15)
            self.assertFalse(h.check_state(hams.READY))  # one success of two
            db.set(True)
            self.assertEqual(rec.wait_for(8)[6:], [("db", True), ("ready", True)])

    def test_thresholds_of_a_callback_probe(self) -> None:
        with server() as h:
            runs: List[float] = []

            def check() -> hams.CheckResult:
                runs.append(time.monotonic())
                return len(runs) <= 2, "fails from the third run"

            p = h.probe_callback("cb", check, interval=0.05, timeout=1.0)
            p.set_thresholds(3, 1)
            turns: List[Tuple[bool, int]] = []  # (healthy, runs so far) at each change of cb
            h.on_change(lambda name, healthy, reason: turns.append((healthy, len(runs))) if name == "cb" else None)

            def turned_unhealthy() -> List[int]:
                # Before its first result a callback probe may be unhealthy: after a healthy state.
                healthy_at = next((i for i, (ok, _) in enumerate(turns) if ok), None)
                return [] if healthy_at is None else [n for ok, n in turns[healthy_at:] if not ok]

            self.assertTrue(eventually(lambda: bool(turned_unhealthy())), turns)
            self.assertGreaterEqual(turned_unhealthy()[0], 5, turns)  # two good runs, then three failures

    def test_thresholds_invalid(self) -> None:
        with server() as h:
            db = h.probe_manual("db")
            kick = h.probe_kick("loop", margin=1.0)
            for f, s in ((0, 1), (1, 0), (-1, 1), (2**32, 1)):
                with self.assertRaises(hams.HamsError) as cm:
                    db.set_thresholds(f, s)
                self.assertEqual(cm.exception.code, hams.ERR_INVALID)
            with self.assertRaises(TypeError):
                db.set_thresholds(1.5, 1)  # type: ignore[arg-type]
            with self.assertRaises(hams.HamsError):
                kick.set_thresholds(2, 1)

    def test_changes_async_iterator(self) -> None:
        async def main() -> List[Tuple[str, bool, str]]:
            with server() as h:
                db = h.probe_manual("db")
                got: List[Tuple[str, bool, str]] = []
                loop_thread = threading.get_ident()
                threads = set()
                async for change in h.changes():
                    threads.add(threading.get_ident())
                    got.append(change)
                    if len(got) == 4:
                        db.set(False, "down")
                    if len(got) == 6:
                        break
                self.assertEqual(threads, {loop_thread})
                return got

        got = asyncio.run(main())
        self.assertEqual([(n, ok) for n, ok, _ in got][4:], [("db", False), ("ready", False)])
        self.assertEqual(got[5][2], "probe db: down")

    def test_on_change_needs_a_callable(self) -> None:
        with server() as h:
            with self.assertRaises(TypeError):
                h.on_change(42)  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
