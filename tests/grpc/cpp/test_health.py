#!/usr/bin/env python3
"""gRPC health of examples/cpp/grpc_health.cpp (bindings/cpp/hams_grpc.hpp),
asked with grpcio's own health stub (grpcio-health-checking): Check("") is
SERVING when ready, Watch("ready") turns NOT_SERVING within 100 ms of a probe
failing, every service is NOT_SERVING within 100 ms of the shutdown start
while HTTP still answers, and an unknown service is NOT_FOUND (Check) or
SERVICE_UNKNOWN (Watch).

Usage: test_health.py PATH/TO/grpc_health
Prints one line per check, then "grpc-cpp: N passed, N failed".
"""
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
NAMES = {v: k for k, v in health_pb2.HealthCheckResponse.ServingStatus.items()}
WITHIN = 0.1  # the library's delivery bound, plus gRPC's own hop

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what} {detail}".rstrip())
    else:
        failed += 1
        print(f"FAIL {what} {detail}".rstrip())


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return -1


def status(stub, service):
    try:
        return NAMES[stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2).status]
    except grpc.RpcError as e:
        return e.code().name


class Watch:
    """A Watch stream read on its own thread: (time, status) in a queue."""

    def __init__(self, stub, service):
        self.q = queue.Queue()
        self.call = stub.Watch(health_pb2.HealthCheckRequest(service=service))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for r in self.call:
                self.q.put((time.monotonic(), r.status))
        except grpc.RpcError:
            pass

    def next(self, within=5.0):
        try:
            return self.q.get(timeout=within)
        except queue.Empty:
            return None, None

    def until(self, want, within=5.0):
        """The time `want` arrived, or None."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            t, s = self.next(end - time.monotonic())
            if s == want:
                return t
        return None


def main():
    binary = sys.argv[1]
    proc = subprocess.Popen([binary, "--address", "127.0.0.1:0", "--grpc-address", "127.0.0.1:0",
                             "--drain-ms", "1500"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    killer = threading.Timer(60, proc.kill)
    killer.start()
    try:
        line = proc.stdout.readline()
        m = re.search(r"http port (\d+) grpc port (\d+)", line)
        if not m:
            check(False, "the server starts", repr(line))
            return
        http_port, grpc_port = int(m.group(1)), int(m.group(2))
        channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = health_pb2_grpc.HealthStub(channel)

        def send(cmd):
            t = time.monotonic()
            proc.stdin.write(cmd + "\n")
            proc.stdin.flush()
            return t

        for service in ("", "ready", "alive", "startup"):
            check(status(stub, service) == "SERVING", f'Check("{service}") SERVING when ready', status(stub, service))
        check(status(stub, "orders") == "NOT_FOUND", 'Check("orders") of an unknown service: NOT_FOUND',
              status(stub, "orders"))
        unknown = Watch(stub, "orders")
        check(unknown.next()[1] == SERVICE_UNKNOWN, 'Watch("orders") of an unknown service: SERVICE_UNKNOWN')
        unknown.call.cancel()

        ready = Watch(stub, "ready")
        check(ready.next()[1] == SERVING, 'Watch("ready") starts SERVING')
        t0 = send("fail-db")
        t = ready.until(NOT_SERVING)
        check(t is not None and t - t0 < WITHIN, 'a probe fails: Watch("ready") NOT_SERVING within 100 ms',
              f"after {(t - t0) * 1000:.0f} ms" if t else "never")
        check(status(stub, "") == "NOT_SERVING", 'Check("") NOT_SERVING while not ready')
        check(status(stub, "alive") == "SERVING", 'Check("alive") still SERVING')
        check(http_status(http_port, "/hams/ready") == 503, "HTTP /hams/ready agrees (503)")
        t0 = send("heal-db")
        t = ready.until(SERVING)
        check(t is not None and t - t0 < WITHIN, 'the probe heals: Watch("ready") SERVING within 100 ms',
              f"after {(t - t0) * 1000:.0f} ms" if t else "never")

        alive = Watch(stub, "alive")
        check(alive.next()[1] == SERVING, 'Watch("alive") starts SERVING')
        t0 = send("shutdown")
        t = alive.until(NOT_SERVING)
        check(t is not None and t - t0 < WITHIN, 'shutdown: Watch("alive") NOT_SERVING within 100 ms',
              f"after {(t - t0) * 1000:.0f} ms" if t else "never")
        t = ready.until(NOT_SERVING)
        check(t is not None and t - t0 < WITHIN, 'shutdown: Watch("ready") NOT_SERVING within 100 ms',
              f"after {(t - t0) * 1000:.0f} ms" if t else "never")
        states = {s: status(stub, s) for s in ("", "ready", "alive", "startup")}
        check(set(states.values()) == {"NOT_SERVING"}, "shutdown: every service NOT_SERVING", str(states))
        # The drain goes on: HTTP answers, alive passes, ready fails.
        check(http_status(http_port, "/hams/alive") == 200, "during the drain HTTP /hams/alive answers 200")
        check(http_status(http_port, "/hams/ready") == 503, "during the drain HTTP /hams/ready answers 503")
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = "still running 10 s later"
        check(rc == 0, "the server stops after the drain, its Watch streams open", f"exit status {rc}")
        channel.close()
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def shutdown_while_not_ready():
    """Ready failing already when the shutdown starts: no change of ready
    tells the listener, so alive and startup turn NOT_SERVING when the
    drain is over (the bridge's shutdown callback), before gRPC stops."""
    binary = sys.argv[1]
    proc = subprocess.Popen([binary, "--address", "127.0.0.1:0", "--grpc-address", "127.0.0.1:0",
                             "--drain-ms", "300"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    killer = threading.Timer(60, proc.kill)
    killer.start()
    try:
        m = re.search(r"grpc port (\d+)", proc.stdout.readline())
        if not m:
            check(False, "the server starts")
            return
        channel = grpc.insecure_channel(f"127.0.0.1:{m.group(1)}")
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = health_pb2_grpc.HealthStub(channel)
        ready, alive = Watch(stub, ""), Watch(stub, "alive")
        check(alive.next()[1] == SERVING and ready.next()[1] == SERVING, "second server: serving")
        proc.stdin.write("fail-db\n")
        proc.stdin.flush()
        check(ready.until(NOT_SERVING) is not None, 'second server: not ready, Watch("") NOT_SERVING')
        proc.stdin.write("shutdown\n")
        proc.stdin.flush()
        check(alive.until(NOT_SERVING, within=5) is not None,
              'shutdown while not ready: Watch("alive") NOT_SERVING after the drain at the latest')
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = "still running 10 s later"
        check(rc == 0, "second server: stops after the drain", f"exit status {rc}")
        channel.close()
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
    shutdown_while_not_ready()
    print(f"grpc-cpp: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
