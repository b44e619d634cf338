#!/usr/bin/env python3
"""A gRPC health service kept in sync with hams, probed by grpcio's health client.

Usage: tests/grpc/node/check.py SERVER_COMMAND...

The server (tests/grpc/node/server.js) prints "ports GRPC_PORT HTTP_PORT",
has a manual probe `db` on ready, takes fail-db, heal-db and shutdown on
stdin, and hams handles its SIGTERM. Checked, per the gRPC health mapping of
hams(3): "" is ready; alive, ready, startup are those checks; a change shows
in Watch within 100 ms; from the start of the shutdown sequence every service
is NOT_SERVING (within 100 ms) while /hams/alive still answers 200; an
unknown service is NOT_FOUND for Check and SERVICE_UNKNOWN for Watch.
Prints "ok N - ..." lines, then "grpc: N passed"; exits 1 on a failure.
"""
import http.client
import os
import queue
import signal
import subprocess
import sys
import threading
import time

# grpc's core logs a GOAWAY at INFO when the server stops: only errors, please.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
SERVICES = ["", "alive", "ready", "startup"]
LIMIT_S = 0.100
NAMES = {v: k for k, v in health_pb2.HealthCheckResponse.ServingStatus.items()}

passed = 0


def ok(what):
    global passed
    passed += 1
    print(f"ok {passed} - {what}", flush=True)


def fail(what):
    print(f"not ok {passed + 1} - {what}", flush=True)
    sys.exit(1)


class Server:
    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ports "):
            self.proc.kill()
            fail(f"the server did not start: {line!r}")
        grpc_port, self.http_port = (int(p) for p in line.split()[1:3])
        self.channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        self.stub = health_pb2_grpc.HealthStub(self.channel)
        self.watches = []

    def command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def check(self, service):
        return self.stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status

    def watch(self, service):
        """A queue of (monotonic time, status) of a Watch stream, read on a thread."""
        q = queue.Queue()
        call = self.stub.Watch(health_pb2.HealthCheckRequest(service=service))
        self.watches.append(call)

        def read():
            try:
                for resp in call:
                    q.put((time.monotonic(), resp.status))
            except grpc.RpcError:
                pass

        threading.Thread(target=read, daemon=True).start()
        return q

    def alive_status(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5)
        try:
            conn.request("GET", "/hams/alive")
            return conn.getresponse().status
        finally:
            conn.close()

    def finish(self):
        """Waits for the exit after the drain; returns the exit status."""
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "still running after 10 s"
        for call in self.watches:
            call.cancel()
        self.channel.close()
        return code


def next_status(q, timeout=2.0):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return None, None


def expect_first(q, status, what):
    _, got = next_status(q)
    if got != status:
        fail(f"{what}: first Watch message {NAMES.get(got, got)}, want {NAMES[status]}")


def within_limit(queues, status, started, what):
    """Each queue's next message is `status`, received within LIMIT_S of `started`."""
    late, slowest = [], 0.0
    for service, q in queues.items():
        at, got = next_status(q)
        if got != status:
            fail(f"{what}: Watch({service!r}) got {NAMES.get(got, got)}, want {NAMES[status]}")
        slowest = max(slowest, at - started)
        if at - started > LIMIT_S:
            late.append(f"{service!r} after {(at - started) * 1000:.0f} ms")
    if late:
        fail(f"{what}: later than {LIMIT_S * 1000:.0f} ms: {', '.join(late)}")
    ok(f"{what}: Watch says {NAMES[status]} after {slowest * 1000:.0f} ms (limit {LIMIT_S * 1000:.0f})")


def wait_serving(s):
    end = time.monotonic() + 5
    while s.check("") != SERVING:
        if time.monotonic() > end:
            fail('Check("") is not SERVING 5 s after start')
        time.sleep(0.02)


def changes_and_unknown(command):
    s = Server(command)
    wait_serving(s)
    states = {svc: NAMES[s.check(svc)] for svc in SERVICES}
    if set(states.values()) != {"SERVING"}:
        fail(f"Check of each service when ready: {states}")
    ok('Check("") SERVING when ready; alive, ready, startup SERVING')

    try:
        s.check("no-such-service")
        fail("Check of an unknown service answered")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.NOT_FOUND:
            fail(f"Check of an unknown service: {e.code()}, want NOT_FOUND")
    ok("Check of an unknown service: NOT_FOUND")
    expect_first(s.watch("no-such-service"), SERVICE_UNKNOWN, "Watch of an unknown service")
    ok("Watch of an unknown service: SERVICE_UNKNOWN")

    ready = s.watch("ready")
    default = s.watch("")
    expect_first(ready, SERVING, 'Watch("ready")')
    expect_first(default, SERVING, 'Watch("")')
    started = time.monotonic()
    s.command("fail-db")
    within_limit({"ready": ready, "": default}, NOT_SERVING, started, "a probe set unhealthy")
    if (s.check("alive"), s.check("startup")) != (SERVING, SERVING):
        fail("alive and startup do not stay SERVING while db fails")
    ok("alive and startup stay SERVING while ready fails")
    started = time.monotonic()
    s.command("heal-db")
    within_limit({"ready": ready, "": default}, SERVING, started, "the probe healed")

    watches = {svc: s.watch(svc) for svc in SERVICES}
    for svc, q in watches.items():
        expect_first(q, SERVING, f"Watch({svc!r})")
    started = time.monotonic()
    s.command("shutdown")
    within_limit(watches, NOT_SERVING, started, "shutdown (a command): every service")
    alive = s.alive_status()
    states = {svc: NAMES[s.check(svc)] for svc in SERVICES}
    if alive != 200 or set(states.values()) != {"NOT_SERVING"}:
        fail(f"during the drain: /hams/alive {alive}, Check {states}")
    ok("during the drain /hams/alive answers 200 while Check says NOT_SERVING for every service")
    code = s.finish()
    if code != 0:
        fail(f"the server exited with {code}")
    ok("the server exits 0 after the drain")


def sigterm(command):
    s = Server(command)
    wait_serving(s)
    watches = {svc: s.watch(svc) for svc in SERVICES}
    for svc, q in watches.items():
        expect_first(q, SERVING, f"Watch({svc!r})")
    started = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    within_limit(watches, NOT_SERVING, started, "shutdown (SIGTERM): every service")
    if s.alive_status() != 200:
        fail("/hams/alive does not answer 200 during the drain after SIGTERM")
    ok("/hams/alive answers 200 during the drain after SIGTERM")
    code = s.finish()
    if code != 0:
        fail(f"the server exited with {code} after SIGTERM")


def shutdown_while_not_ready(command):
    s = Server(command)
    wait_serving(s)
    s.command("fail-db")
    end = time.monotonic() + 2
    while s.check("ready") != NOT_SERVING:
        if time.monotonic() > end:
            fail("ready does not turn NOT_SERVING")
        time.sleep(0.02)
    watches = {svc: s.watch(svc) for svc in ("alive", "startup")}
    for svc, q in watches.items():
        expect_first(q, SERVING, f"Watch({svc!r})")
    started = time.monotonic()
    s.command("shutdown")
    within_limit(watches, NOT_SERVING, started, "shutdown while ready already fails: alive and startup")
    if s.finish() != 0:
        fail("the server did not exit 0")


def main():
    command = sys.argv[1:]
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    changes_and_unknown(command)
    sigterm(command)
    shutdown_while_not_ready(command)
    print(f"grpc: {passed} passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
