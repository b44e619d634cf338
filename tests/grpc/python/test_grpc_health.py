"""hams.grpc against a real grpcio server on 127.0.0.1 and the grpcio health
stub as the client (Check and Watch), with the mapping of the contract:
"" = ready, "alive", "ready", "startup"; NOT_SERVING everywhere from the
start of the shutdown sequence; NOT_FOUND / SERVICE_UNKNOWN for the rest.

HAMS_GRPC_CONTROL=1 runs the same tests with the bridge's status listener
left out (Hams.on_change a no-op): the changes must then be missed, which
shows that the timings here come from the listener.
"""

from __future__ import annotations

import http.client
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
from concurrent import futures
from typing import Any, List, Tuple

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

import hams
import hams.grpc
from hams._native import _C

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
# The contract's bound, from the call to the message at the client.
WITHIN = 0.100
CONFIG = "service: {name: grpc-test, version: '1'}\nserver: {address: '127.0.0.1:0'}\nshutdown: {drain_ms: 2000}\n"

if os.environ.get("HAMS_GRPC_CONTROL") == "1":
    hams.Hams.on_change = lambda self, fn: fn  # type: ignore[assignment,method-assign]


def http_status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


class Watch:
    """One Watch stream; each message with the time it arrived."""

    def __init__(self, stub: Any, service: str) -> None:
        self.messages: "queue.Queue[Tuple[float, int]]" = queue.Queue()
        self.call = stub.Watch(health_pb2.HealthCheckRequest(service=service))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for m in self.call:
                self.messages.put((time.monotonic(), m.status))
        except grpc.RpcError:
            pass  # cancelled at the end

    def next(self, timeout: float = 5.0) -> Tuple[float, int]:
        return self.messages.get(timeout=timeout)

    def until(self, status: int, timeout: float = 2.0) -> float:
        """The arrival time of the next message with ``status``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
                raise AssertionError(f"no {name} within {timeout} s")
            try:
                at, got = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if got == status:
                return at

    def close(self) -> None:
        self.call.cancel()


class GrpcHealthTest(unittest.TestCase):
    def setUp(self) -> None:
        self.h = hams.Hams.from_yaml(CONFIG)
        self.db = self.h.probe_manual("db", healthy=True)
        self.h.start()
        self.servicer = hams.grpc.bridge(self.h)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = health_pb2_grpc.HealthStub(self.channel)
        self.watches: List[Watch] = []

    def tearDown(self) -> None:
        for w in self.watches:
            w.close()
        self.channel.close()
        self.server.stop(None)
        self.h.close()

    @staticmethod
    def _eventually(cond: Any, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def check(self, service: str) -> int:
        return self.stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status

    def watch(self, service: str) -> Watch:
        w = Watch(self.stub, service)
        self.watches.append(w)
        return w

    def test_check_serving_when_ready(self) -> None:
        for service in ("", "alive", "ready", "startup"):
            self.assertEqual(self.check(service), SERVING, service)

    def test_unknown_service(self) -> None:
        with self.assertRaises(grpc.RpcError) as cm:
            self.check("orders")
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(self.watch("orders").next()[1], SERVICE_UNKNOWN)

    def test_probe_unhealthy_turns_watch_ready_within_100ms(self) -> None:
        ready, overall = self.watch("ready"), self.watch("")
        self.assertEqual(ready.next()[1], SERVING)
        self.assertEqual(overall.next()[1], SERVING)
        t0 = time.monotonic()
        self.db.set(False, "down")
        took = ready.until(NOT_SERVING) - t0
        self.assertLess(took, WITHIN, f"Watch(ready) NOT_SERVING after {took * 1000:.1f} ms")
        self.assertLess(overall.until(NOT_SERVING) - t0, WITHIN)
        self.assertEqual(self.check(""), NOT_SERVING)
        self.assertEqual(self.check("alive"), SERVING)
        t0 = time.monotonic()
        self.db.set(True)
        self.assertLess(ready.until(SERVING) - t0, WITHIN)
        self.assertEqual(self.check(""), SERVING)
        print(f"\n    Watch(ready) NOT_SERVING {took * 1000:.1f} ms after the probe's set", file=sys.stderr)

    def shutdown_turns_every_service(self, start: Any, how: str) -> None:
        self.servicer.set("orders", SERVING)  # a service of the application's own
        services = ("", "alive", "ready", "startup", "orders")
        watches = [self.watch(s) for s in services]
        for w in watches:
            self.assertEqual(w.next()[1], SERVING)
        t0 = time.monotonic()
        start()
        worst = max(w.until(NOT_SERVING) - t0 for w in watches)
        self.assertLess(worst, WITHIN, f"every service NOT_SERVING after {worst * 1000:.1f} ms")
        # The drain: hams still answers, alive passes, and gRPC says NOT_SERVING.
        self.assertFalse(self.h.wait(0))
        self.assertEqual(http_status(self.h.port, "/hams/alive"), 200)
        self.assertEqual(http_status(self.h.port, "/hams/ready"), 503)
        for s in services:
            self.assertEqual(self.check(s), NOT_SERVING, s)
        self.db.set(False)
        self.db.set(True)  # no change brings a service back during the drain
        time.sleep(0.05)
        for s in services:
            self.assertEqual(self.check(s), NOT_SERVING, s)
        print(f"\n    {how}: every service NOT_SERVING within {worst * 1000:.1f} ms", file=sys.stderr)

    def test_shutdown_from_python(self) -> None:
        self.shutdown_turns_every_service(self.h.shutdown, "Hams.shutdown()")

    def test_shutdown_started_outside_python(self) -> None:
        # As a handled SIGTERM would: hams_shutdown() called from C, so only
        # the ready change tells the bridge.
        handle = self.h.handle
        self.shutdown_turns_every_service(lambda: _C.shutdown(handle), "hams_shutdown() from C")

    def test_shutdown_while_ready_already_failing(self) -> None:
        self.db.set(False)
        alive = self.watch("alive")
        self.assertEqual(alive.next()[1], SERVING)
        self.assertTrue(self._eventually(lambda: self.check("") == NOT_SERVING))
        t0 = time.monotonic()
        self.h.shutdown()
        self.assertLess(alive.until(NOT_SERVING) - t0, WITHIN)

    def test_shutdown_from_c_while_ready_already_failing(self) -> None:
        # A handled SIGTERM or /hams/shutdown while ready fails already: no
        # check turns, and only hams' own "shutdown" report tells the bridge.
        self.db.set(False)
        alive = self.watch("alive")
        self.assertEqual(alive.next()[1], SERVING)
        self.assertTrue(self._eventually(lambda: self.check("") == NOT_SERVING))
        handle = self.h.handle
        t0 = time.monotonic()
        _C.shutdown(handle)
        self.assertLess(alive.until(NOT_SERVING) - t0, WITHIN)

    def test_bridge_onto_a_servicer_of_the_application(self) -> None:
        from grpc_health.v1 import health

        mine = health.HealthServicer()
        mine.set("orders", SERVING)
        self.db.set(False)
        self.assertIs(hams.grpc.bridge(self.h, mine), mine)
        ctx = _Context()
        self.assertEqual(mine.Check(health_pb2.HealthCheckRequest(service=""), ctx).status, NOT_SERVING)
        self.assertEqual(mine.Check(health_pb2.HealthCheckRequest(service="alive"), ctx).status, SERVING)
        self.assertEqual(mine.Check(health_pb2.HealthCheckRequest(service="orders"), ctx).status, SERVING)

    def test_bridge_after_shutdown(self) -> None:
        self.h.shutdown()
        servicer = hams.grpc.bridge(self.h)
        for s in ("", "alive", "ready", "startup"):
            self.assertEqual(servicer.Check(health_pb2.HealthCheckRequest(service=s), _Context()).status, NOT_SERVING)


class _Context:
    def set_code(self, code: Any) -> None:
        self.code = code


class ImportTest(unittest.TestCase):
    def test_import_hams_does_not_need_grpcio(self) -> None:
        code = (
            "import sys\n"
            "sys.modules['grpc'] = None; sys.modules['grpc_health'] = None\n"
            "import hams\n"
            "h = hams.Hams('s', '1', address='127.0.0.1:0'); h.start(); h.close()\n"
            "try:\n"
            "    import hams.grpc\n"
            "except ImportError:\n"
            "    print('no grpc: ImportError')\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "no grpc: ImportError")


if __name__ == "__main__":
    unittest.main()
