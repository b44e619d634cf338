#!/usr/bin/env python3
"""End-to-end tests of the graceful shutdown sequence, through the C demo.

Each scenario starts a fresh demo on 127.0.0.1:0 (the port is read from its
"serving on" line), drives it with signals or HTTP, and checks what the
probes answer and when the shutdown callback runs.

Usage: tests/c/shutdown_test.py [PATH/TO/demo]   (default target/c-tests/demo)
libhams must be findable (LD_LIBRARY_PATH); tests/c/run.sh sets it up.

Prints one "ok"/"FAIL" line per scenario, then "shutdown: N passed, N failed";
exits 1 if any scenario failed. Python 3 standard library only.
"""

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "target", "c-tests", "demo")
EXAMPLE_CONFIG = os.path.join(ROOT, "examples", "config.yaml")

# The requirement: readiness fails this soon after the signal is sent.
READY_FAILS_WITHIN_S = 0.100
SHUTDOWN_LINE = "[-]shutdown failed: shutting down"
CALLBACK_LINE = "hams demo: shutdown callback ran"
STOPPED_LINE = "hams demo: stopped"


class Fail(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Fail(message)


def clean_env(extra=None):
    """The environment without variables that would change the demo's
    configuration (HAMS_*) or make it talk to a service manager."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HAMS_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(extra or {})
    return env


class Demo:
    """A running demo whose output lines are time-stamped when read.

    Output is only read by pump(), called often by the scenarios: a line's
    time stamp is when the test saw it, never before the demo wrote it."""

    def __init__(self, *args, env=None, cwd=None):
        self.args = [DEMO, *args]
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=clean_env(env), cwd=cwd)
        self.fds = {self.proc.stdout.fileno(): "out", self.proc.stderr.fileno(): "err"}
        self.partial = {"out": b"", "err": b""}
        self.lines = {"out": [], "err": []}  # (monotonic time read, text)
        self.port = None

    def pump(self, timeout=0.0):
        """Reads whatever output is available, waiting up to `timeout` s."""
        end = time.monotonic() + timeout
        while self.fds:
            left = max(0.0, end - time.monotonic())
            ready, _, _ = select.select(list(self.fds), [], [], left)
            if not ready:
                return
            now = time.monotonic()
            for fd in ready:
                name = self.fds[fd]
                data = os.read(fd, 65536)
                if not data:
                    del self.fds[fd]
                    if self.partial[name]:
                        self.lines[name].append((now, self.partial[name].decode(errors="replace")))
                        self.partial[name] = b""
                    continue
                buf = self.partial[name] + data
                *complete, self.partial[name] = buf.split(b"\n")
                for line in complete:
                    self.lines[name].append((now, line.decode(errors="replace")))
            timeout = 0.0  # after the first read, only take what is there
            end = time.monotonic()

    def line_time(self, text, stream="out"):
        """When the first line equal to `text` was read, or None."""
        for t, line in self.lines[stream]:
            if line == text:
                return t
        return None

    def wait_line(self, pattern, within, stream="out"):
        """Waits for a line matching the regex `pattern`: (time, match)."""
        deadline = time.monotonic() + within
        while True:
            for t, line in self.lines[stream]:
                m = re.search(pattern, line)
                if m:
                    return t, m
            if time.monotonic() > deadline or (not self.fds and self.proc.poll() is not None):
                raise Fail(f"no line matching {pattern!r} within {within} s")
            self.pump(0.05)

    def start(self, within=10.0):
        _, m = self.wait_line(r"hams demo: serving on http://127\.0\.0\.1:(\d+)/hams/ready", within)
        self.port = int(m.group(1))
        return self

    def running(self):
        return self.proc.poll() is None

    def wait_exit(self, within):
        """Waits for the demo to exit and its output to end; returns the code."""
        deadline = time.monotonic() + within
        while self.proc.poll() is None or self.fds:
            if time.monotonic() > deadline:
                raise Fail(f"still running {within} s later")
            self.pump(0.05)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        try:
            self.pump(0.2)
        except OSError:
            pass
        self.proc.stdout.close()
        self.proc.stderr.close()

    def transcript(self):
        out = "\n".join(line for _, line in self.lines["out"])
        err = "\n".join(line for _, line in self.lines["err"])
        return f"  command: {' '.join(self.args)}\n  stdout:\n    " + out.replace("\n", "\n    ") + \
               "\n  stderr:\n    " + err.replace("\n", "\n    ")


def request(port, method, path, headers=None, timeout=5.0):
    """One request on a new connection: (status, headers lower-cased, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read().decode(errors="replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def status(port, path):
    return request(port, "GET", path)[0]


def wait_status(demo, path, want, within):
    deadline = time.monotonic() + within
    last = None
    while True:
        demo.pump(0)
        try:
            last = status(demo.port, path)
        except OSError as e:
            last = repr(e)
        if last == want:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise Fail(f"GET {path}: {last}, expected {want} within {within} s")
        time.sleep(0.02)


def demo_args(*extra):
    return ["--address", "127.0.0.1:0", "--warmup-ms", "0", *extra]


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------

def signal_sequence(sig, drain_ms):
    """The whole sequence started by one signal, timed."""
    drain = drain_ms / 1000.0
    d = Demo(*demo_args("--drain-ms", str(drain_ms)))
    try:
        d.start()
        wait_status(d, "/hams/ready", 200, 10)
        check(status(d.port, "/hams/alive") == 200, "alive is not 200 before the signal")

        t0 = time.monotonic()
        os.kill(d.proc.pid, sig)
        first_503 = None
        seen = []
        while first_503 is None:
            st = status(d.port, "/hams/ready")
            now = time.monotonic()
            if st == 503:
                first_503 = now
            else:
                seen.append(st)
                check(now - t0 < 5, f"ready still {st} 5 s after {sig.name}")
        took = first_503 - t0
        check(took <= READY_FAILS_WITHIN_S,
              f"ready answered 503 {took * 1000:.1f} ms after {sig.name}, more than "
              f"{READY_FAILS_WITHIN_S * 1000:.0f} ms (before: {seen[:5]}... {len(seen)} answers)")

        st, _, body = request(d.port, "GET", "/hams/ready?verbose")
        check(st == 503, f"GET /hams/ready?verbose during the drain: {st}")
        first_line = body.split("\n", 1)[0]
        check(first_line == SHUTDOWN_LINE,
              f"first line of /hams/ready?verbose is {first_line!r}, expected {SHUTDOWN_LINE!r}; body: {body!r}")

        # During the drain: alive 200, ready 503, version answers; no callback yet.
        checks = 0
        while True:
            d.pump(0)
            cb = d.line_time(CALLBACK_LINE)
            if cb is not None:
                break
            now = time.monotonic()
            check(now - t0 < drain + 5, f"no {CALLBACK_LINE!r} line {drain + 5:.1f} s after {sig.name}")
            check(d.running(), f"exited during the drain with {d.proc.returncode}")
            # Leave a margin before the drain ends: then the demo stops serving.
            if now < t0 + drain - 0.25:
                a = status(d.port, "/hams/alive")
                check(a == 200, f"alive answered {a} during the drain ({(now - t0) * 1000:.0f} ms in)")
                r = status(d.port, "/hams/ready")
                check(r == 503, f"ready answered {r} during the drain ({(now - t0) * 1000:.0f} ms in)")
                if checks == 0:
                    v = status(d.port, "/hams/version")
                    check(v == 200, f"version answered {v} during the drain")
                checks += 1
            time.sleep(0.01)
        check(checks >= 3, f"only {checks} checks during the drain")
        check(cb >= t0 + drain - 0.005,
              f"the shutdown callback ran {(cb - t0) * 1000:.0f} ms after {sig.name}, before the "
              f"{drain_ms} ms drain had passed")
        check(cb <= t0 + drain + 3, f"the shutdown callback ran {(cb - t0) * 1000:.0f} ms after {sig.name}")

        rc = d.wait_exit(10)
        check(rc == 0, f"exit status {rc}, expected 0")
        stopped = d.line_time(STOPPED_LINE)
        check(stopped is not None and stopped >= cb, f"no {STOPPED_LINE!r} line after the callback")
        return f"503 after {took * 1000:.1f} ms, callback after {(cb - t0) * 1000:.0f} ms"
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()


def test_sigterm():
    return signal_sequence(signal.SIGTERM, 1000)


def test_sigint():
    return signal_sequence(signal.SIGINT, 1000)


def test_second_sigterm_skips_drain():
    d = Demo(*demo_args("--drain-ms", "30000"))
    try:
        d.start()
        wait_status(d, "/hams/ready", 200, 10)
        os.kill(d.proc.pid, signal.SIGTERM)
        wait_status(d, "/hams/ready", 503, 3)
        time.sleep(0.3)
        d.pump(0)
        check(d.running(), "exited after one SIGTERM, with a 30 s drain")
        check(d.line_time(CALLBACK_LINE) is None, "the callback ran during a 30 s drain")
        check(status(d.port, "/hams/alive") == 200, "alive is not 200 during the drain")
        t1 = time.monotonic()
        os.kill(d.proc.pid, signal.SIGTERM)
        rc = d.wait_exit(10)
        took = time.monotonic() - t1
        check(rc == 0, f"exit status {rc}, expected 0")
        check(took < 3, f"exited {took:.1f} s after the second SIGTERM")
        check(d.line_time(CALLBACK_LINE) is not None, "the callback did not run")
        return f"exited {took * 1000:.0f} ms after the second SIGTERM"
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()


def test_run_ms_hams_shutdown():
    """--run-ms makes the demo call hams_shutdown()."""
    d = Demo(*demo_args("--run-ms", "500", "--drain-ms", "300"))
    try:
        d.start()
        t_serving = d.line_time("hams demo: serving on http://127.0.0.1:%d/hams/ready" % d.port)
        saw_200 = False
        first_503 = None
        while first_503 is None:
            d.pump(0)
            st = status(d.port, "/hams/ready")
            now = time.monotonic()
            if st == 200:
                saw_200 = True
            elif st == 503 and saw_200:
                first_503 = now
            check(now - t_serving < 5, f"ready still {st} 5 s after start")
            time.sleep(0.005)
        after = first_503 - t_serving
        check(0.4 <= after <= 2.5, f"readiness failed {after * 1000:.0f} ms after start, expected ~500 ms")
        st, _, body = request(d.port, "GET", "/hams/ready?verbose")
        check(body.startswith(SHUTDOWN_LINE + "\n"), f"verbose ready body {body!r}")
        check(status(d.port, "/hams/alive") == 200, "alive is not 200 during the drain")
        cb, _ = d.wait_line("^" + re.escape(CALLBACK_LINE) + "$", 5)
        check(cb - first_503 >= 0.3 - 0.05,
              f"callback {(cb - first_503) * 1000:.0f} ms after readiness failed, drain is 300 ms")
        rc = d.wait_exit(10)
        check(rc == 0, f"exit status {rc}, expected 0")
        check(d.line_time(STOPPED_LINE) is not None, f"no {STOPPED_LINE!r} line")
        return f"503 at {after * 1000:.0f} ms, callback {(cb - first_503) * 1000:.0f} ms later"
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()


def check_done_json(resp, drain_ms, where):
    st, headers, body = resp
    check(st == 200, f"{where}: POST /hams/shutdown answered {st}: {body!r}")
    check(headers.get("content-type", "").startswith("application/json"),
          f"{where}: content-type {headers.get('content-type')!r}")
    check(headers.get("connection", "").lower() == "close", f"{where}: no 'Connection: close' ({headers})")
    try:
        doc = json.loads(body)
    except ValueError:
        raise Fail(f"{where}: body is not JSON: {body!r}")
    want = {"status": "done", "origin": "http", "drain_ms": drain_ms, "callbacks_run": 1}
    for k, v in want.items():
        check(doc.get(k) == v, f"{where}: {k} is {doc.get(k)!r}, expected {v!r}; body {body!r}")
    check(isinstance(doc.get("elapsed_ms"), int) and doc["elapsed_ms"] >= drain_ms,
          f"{where}: elapsed_ms {doc.get('elapsed_ms')!r}, expected >= {drain_ms}")
    return doc


def test_endpoint_without_token():
    d = Demo(*demo_args("--shutdown-endpoint", "--drain-ms", "300"))
    try:
        d.start()
        wait_status(d, "/hams/ready", 200, 10)
        for method in ("GET", "HEAD"):
            st, headers, body = request(d.port, method, "/hams/shutdown")
            check(st == 405, f"{method} /hams/shutdown: {st}, expected 405")
            check(headers.get("allow") == "POST", f"{method} /hams/shutdown: Allow {headers.get('allow')!r}")
        check(status(d.port, "/hams/ready") == 200, "a GET of /hams/shutdown started the shutdown")
        t0 = time.monotonic()
        resp = request(d.port, "POST", "/hams/shutdown", timeout=15)
        t_resp = time.monotonic()
        # The callback wrote its line before the answer was sent: it is in the pipe.
        d.pump(0)
        check(d.line_time(CALLBACK_LINE) is not None,
              "POST /hams/shutdown answered before the callback line was written")
        doc = check_done_json(resp, 300, "no token")
        check(t_resp - t0 >= 0.3 - 0.005, f"answered after {(t_resp - t0) * 1000:.0f} ms, the drain is 300 ms")
        rc = d.wait_exit(10)
        check(rc == 0, f"exit status {rc}, expected 0")
        return f"answered after {(t_resp - t0) * 1000:.0f} ms: {json.dumps(doc, separators=(',', ':'))}"
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()


def test_endpoint_with_token():
    d = Demo(*demo_args("--shutdown-endpoint", "--shutdown-token", "s3cret", "--drain-ms", "0"))
    try:
        d.start()
        wait_status(d, "/hams/ready", 200, 10)
        bad = [
            ("no header", {}),
            ("wrong token", {"Authorization": "Bearer wrong"}),
            ("longer token", {"Authorization": "Bearer s3crets"}),
            ("basic scheme", {"Authorization": "Basic czNjcmV0"}),
        ]
        for what, headers in bad:
            st, h, body = request(d.port, "POST", "/hams/shutdown", headers=headers)
            check(st == 401, f"POST /hams/shutdown, {what}: {st}, expected 401")
            check(h.get("www-authenticate", "").startswith("Bearer"),
                  f"POST /hams/shutdown, {what}: WWW-Authenticate {h.get('www-authenticate')!r}")
        time.sleep(0.05)
        d.pump(0)
        check(d.running(), "exited after refused requests")
        check(d.line_time(CALLBACK_LINE) is None, "a refused request ran the callback")
        check(status(d.port, "/hams/ready") == 200, "ready is not 200 after refused requests")
        resp = request(d.port, "POST", "/hams/shutdown", headers={"Authorization": "Bearer s3cret"}, timeout=15)
        d.pump(0)
        check(d.line_time(CALLBACK_LINE) is not None, "answered before the callback line")
        check_done_json(resp, 0, "right token")
        rc = d.wait_exit(10)
        check(rc == 0, f"exit status {rc}, expected 0")
        return "401 x4, then 200"
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()


def test_endpoint_off_by_default():
    d = Demo(*demo_args("--drain-ms", "0"))
    try:
        d.start()
        wait_status(d, "/hams/ready", 200, 10)
        for method in ("POST", "GET"):
            st, _, _ = request(d.port, method, "/hams/shutdown")
            check(st == 404, f"{method} /hams/shutdown with the endpoint off: {st}, expected 404")
        check(status(d.port, "/hams/ready") == 200, "ready is not 200 after POST /hams/shutdown (off)")
        d.pump(0)
        check(d.running() and d.line_time(CALLBACK_LINE) is None, "the endpoint, off, shut the demo down")
        os.kill(d.proc.pid, signal.SIGTERM)
        rc = d.wait_exit(10)
        check(rc == 0, f"exit status {rc} after SIGTERM, expected 0")
        return "404"
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()


def run_demo(args, cwd, env=None, within=10):
    p = subprocess.run([DEMO, *args], cwd=cwd, env=clean_env(env), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=within)
    return p.returncode, p.stdout, p.stderr


GOOD_CONFIG = """\
service:
  name: config-demo
  version: 9.8.7
server:
  address: 127.0.0.1:0
shutdown:
  drain_ms: 0
probes:
  - name: loop
    type: kick
    checks: [alive]
    margin_ms: 1000
  - name: warmup
    type: manual
    checks: [ready, startup]
"""


def test_config_errors():
    with tempfile.TemporaryDirectory() as tmp:
        def expect_error(args, needle, env=None):
            rc, out, err = run_demo(args, tmp, env)
            check(rc != 0, f"demo {' '.join(args)}: exit status 0, expected an error")
            check("serving on" not in out, f"demo {' '.join(args)}: served anyway")
            check(needle in err, f"demo {' '.join(args)}: stderr {err!r} lacks {needle!r}")
            return err

        expect_error(["--config", "missing.yaml"], "cannot read config file missing.yaml")

        with open(os.path.join(tmp, "bad.yaml"), "w") as f:
            f.write("service:\n  name: demo\n  version: 1.0.0\n  colour: red\n")
        expect_error(["--config", "bad.yaml"], "bad.yaml:4:3: service: unknown field `colour`")

        with open(os.path.join(tmp, "address.yaml"), "w") as f:
            f.write("service:\n  name: demo\n  version: 1.0.0\nserver:\n  address: nowhere\n")
        expect_error(["--config", "address.yaml"], 'address.yaml:5:3: server.address: invalid address "nowhere"')

        # A valid file without the probes the demo needs.
        with open(os.path.join(tmp, "noprobe.yaml"), "w") as f:
            f.write(GOOD_CONFIG.split("probes:")[0])
        expect_error(["--config", "noprobe.yaml"], "hams_probe_get(loop) failed")

        # Environment overrides are checked too.
        expect_error(demo_args(), 'environment variable HAMS_ADDRESS="nope"', env={"HAMS_ADDRESS": "nope"})
        expect_error(["--config", "bad.yaml", "--drain-ms", "0"], "--config cannot be combined")
    return "missing file, unknown key, bad address, missing probe, bad environment"


def test_config_file():
    """--config FILE: probes from the file, the demo's signals still handled."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "demo.yaml")
        with open(path, "w") as f:
            f.write(GOOD_CONFIG)
        d = Demo("--config", path, "--warmup-ms", "300")
        try:
            d.start()
            check(status(d.port, "/hams/ready") == 503, "ready is not 503 during warm-up")
            wait_status(d, "/hams/ready", 200, 10)
            st, _, body = request(d.port, "GET", "/hams/version")
            check(st == 200 and json.loads(body).get("service") == "config-demo" and
                  json.loads(body).get("version") == "9.8.7", f"version: {st} {body!r}")
            st, _, body = request(d.port, "GET", "/hams/ready?verbose")
            for probe in ("[+]warmup ok", "[+]disk ok"):
                check(probe in body.split("\n"), f"ready?verbose lacks {probe!r}: {body!r}")
            os.kill(d.proc.pid, signal.SIGTERM)
            rc = d.wait_exit(10)
            check(rc == 0, f"exit status {rc} after SIGTERM, expected 0")
            check(d.line_time(CALLBACK_LINE) is not None, "the callback did not run")
        except Fail as e:
            raise Fail(f"{e}\n{d.transcript()}")
        finally:
            d.kill()
    return "served, exited on SIGTERM"


def test_example_config():
    """examples/config.yaml, with environment overrides for a test run."""
    env = {"HAMS_ADDRESS": "127.0.0.1:0", "HAMS_DRAIN_MS": "200",
           "HAMS_SHUTDOWN_ENDPOINT": "yes", "HAMS_SHUTDOWN_TOKEN": "t0ken"}
    d = Demo("--config", EXAMPLE_CONFIG, "--warmup-ms", "0", env=env)
    try:
        d.start()
        wait_status(d, "/hams/ready", 200, 10)
        st, _, _ = request(d.port, "POST", "/hams/shutdown", headers={"Authorization": "Bearer change-me"})
        check(st == 401, f"the file's token still works after HAMS_SHUTDOWN_TOKEN: {st}")
        resp = request(d.port, "POST", "/hams/shutdown", headers={"Authorization": "Bearer t0ken"}, timeout=15)
        check_done_json(resp, 200, "examples/config.yaml")
        rc = d.wait_exit(10)
        check(rc == 0, f"exit status {rc}, expected 0")
    except Fail as e:
        raise Fail(f"{e}\n{d.transcript()}")
    finally:
        d.kill()
    return "overrides applied"


class NotifySocket:
    """A stand-in for systemd's notification socket."""

    def __init__(self, tmp, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "hams-test-%d-%d" % (os.getpid(), int(time.monotonic() * 1e6))
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            path = os.path.join(tmp, "notify.sock")
            self.sock.bind(path)
            self.env = path
        self.messages = []  # (monotonic time received, text)

    def pump(self, timeout=0.0):
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return
            self.messages.append((time.monotonic(), self.sock.recv(4096).decode(errors="replace")))
            end = time.monotonic()

    def find(self, text, after=0.0):
        for t, m in self.messages:
            if m == text and t >= after:
                return t
        return None

    def close(self):
        self.sock.close()


def notify_scenario(abstract):
    with tempfile.TemporaryDirectory() as tmp:
        ns = NotifySocket(tmp, abstract)
        env = {"NOTIFY_SOCKET": ns.env, "WATCHDOG_USEC": "400000"}
        if abstract:
            env["WATCHDOG_PID"] = "1"  # the watchdog is someone else's
        d = Demo("--address", "127.0.0.1:0", "--warmup-ms", "400", "--drain-ms", "300", env=env)
        try:
            d.start()
            t_serving = time.monotonic()

            def pump_both(seconds):
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    ns.pump(0.02)
                    d.pump(0)

            pump_both(0.2)
            check(ns.find("READY=1\nSTATUS=ready") is None, f"READY=1 during warm-up: {ns.messages}")
            deadline = time.monotonic() + 5
            while ns.find("READY=1\nSTATUS=ready") is None:
                check(time.monotonic() < deadline, f"no READY=1 5 s after start: {ns.messages}")
                pump_both(0.05)
            check(status(d.port, "/hams/ready") == 200, "READY=1 sent but ready is not 200")
            pump_both(1.0)
            pings = [m for _, m in ns.messages if m == "WATCHDOG=1"]
            if abstract:
                check(not pings, f"WATCHDOG=1 sent with WATCHDOG_PID of another process: {ns.messages}")
            else:
                check(len(pings) >= 3, f"{len(pings)} WATCHDOG=1 in ~1.4 s with WATCHDOG_USEC=400000: {ns.messages}")
            t0 = time.monotonic()
            os.kill(d.proc.pid, signal.SIGTERM)
            while ns.find("STOPPING=1\nSTATUS=shutting down") is None:
                check(time.monotonic() - t0 < 2, f"no STOPPING=1 2 s after SIGTERM: {ns.messages}")
                pump_both(0.02)
            took = ns.find("STOPPING=1\nSTATUS=shutting down") - t0
            rc = d.wait_exit(10)
            check(rc == 0, f"exit status {rc}, expected 0")
            unknown = [m for _, m in ns.messages
                       if m not in ("READY=1\nSTATUS=ready", "WATCHDOG=1", "STOPPING=1\nSTATUS=shutting down")
                       and not m.startswith("STATUS=")]
            check(not unknown, f"unexpected notifications: {unknown}")
            return f"READY=1 {(ns.find('READY=1' + chr(10) + 'STATUS=ready') - t_serving) * 1000:.0f} ms after start, " \
                   f"{len(pings)} pings, STOPPING=1 {took * 1000:.0f} ms after SIGTERM"
        except Fail as e:
            raise Fail(f"{e}\n{d.transcript()}")
        finally:
            d.kill()
            ns.close()


def test_notify_socket_path():
    return notify_scenario(abstract=False)


def test_notify_socket_abstract():
    return notify_scenario(abstract=True)


SCENARIOS = [
    ("sigterm_drain", test_sigterm),
    ("second_sigterm_skips_drain", test_second_sigterm_skips_drain),
    ("sigint_drain", test_sigint),
    ("hams_shutdown_run_ms", test_run_ms_hams_shutdown),
    ("endpoint_without_token", test_endpoint_without_token),
    ("endpoint_with_token", test_endpoint_with_token),
    ("endpoint_off_by_default", test_endpoint_off_by_default),
    ("config_errors", test_config_errors),
    ("config_file", test_config_file),
    ("example_config", test_example_config),
    ("notify_socket_path", test_notify_socket_path),
    ("notify_socket_abstract", test_notify_socket_abstract),
]


def main():
    if not os.access(DEMO, os.X_OK):
        print(f"shutdown: demo not found: {DEMO}", file=sys.stderr)
        print("shutdown: 0 passed, 1 failed")
        return 1
    only = os.environ.get("SHUTDOWN_TEST_ONLY")
    passed = failed = 0
    for name, fn in SCENARIOS:
        if only and name not in only.split(","):
            continue
        t0 = time.monotonic()
        try:
            note = fn()
            passed += 1
            print(f"ok   {name:<30} ({(time.monotonic() - t0) * 1000:.0f} ms) {note or ''}".rstrip(), flush=True)
        except Exception as e:  # a Fail, or an unexpected error (connection refused, ...)
            failed += 1
            what = str(e) if isinstance(e, Fail) else f"{type(e).__name__}: {e}"
            print(f"FAIL {name:<30} ({(time.monotonic() - t0) * 1000:.0f} ms) {what}", flush=True)
    print(f"shutdown: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
