#!/usr/bin/env python3
"""End-to-end test of examples/c/prefork.c: a pre-forking C server whose
workers share the parent's hams in workers mode.

The parent's /hams/metrics must show exactly the requests the workers
answered: after N requests, after a worker is killed with SIGKILL (never
less, while it dies and while the parent forks another) and after more
requests; each worker's probe shows as worker@<pid> and leaves with it; on
SIGTERM readiness fails while the workers still answer (the drain), then
the parent exits 0.

Usage: tests/workers/c/prefork_test.py PATH/TO/prefork
libhams must be findable (LD_LIBRARY_PATH); tests/workers/c/run.sh sets it up.
Prints one line per check group, then "prefork: N passed, N failed".
"""

import http.client
import os
import re
import select
import signal
import subprocess
import sys
import time

PREFORK = os.path.abspath(sys.argv[1])
WORKERS = 3
N = 200
DRAIN_MS = 1500
COUNT_LINE = 'prefork_requests_total{path="/",code="200"} '

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}", flush=True)


def get(port, path, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def count(port):
    body = get(port, "/hams/metrics")[1]
    for line in body.splitlines():
        if line.startswith(COUNT_LINE):
            return float(line[len(COUNT_LINE):].split()[0])
    return None


def sample(port, name):
    for line in get(port, "/hams/metrics")[1].splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def probe_pids(port):
    body = get(port, "/hams/ready?verbose")[1]
    return sorted(int(p) for p in re.findall(r"worker@(\d+) ok", body))


def until(cond, within_s=5.0):
    end = time.monotonic() + within_s
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(0.02)


def hello(port, n):
    ok = 0
    for _ in range(n):
        status, body = get(port, "/")
        ok += status == 200 and body == "hello\n"
    return ok


class Prefork:
    def __init__(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAMS_")}
        env.update(HAMS_ADDRESS="127.0.0.1:0", HAMS_DRAIN_MS=str(DRAIN_MS))
        self.proc = subprocess.Popen([PREFORK, "--app", "127.0.0.1:0", "--workers", str(WORKERS)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out = b""
        self.err = b""

    def pump(self, timeout=0.0):
        fds = [self.proc.stdout.fileno(), self.proc.stderr.fileno()]
        ready, _, _ = select.select(fds, [], [], timeout)
        for fd in ready:
            data = os.read(fd, 65536)
            if fd == fds[0]:
                self.out += data
            else:
                self.err += data
        return self.out.decode(errors="replace")

    def ports(self):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            m = re.search(r"hams port (\d+), app port (\d+)", self.pump(0.1))
            if m:
                return int(m.group(1)), int(m.group(2))
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"prefork did not start: {self.out!r} {self.err!r}")


def main():
    p = Prefork()
    try:
        run(p)
    finally:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()
    err = p.err.decode(errors="replace")
    check(err == "", f"nothing on stderr, got {err!r}")
    print(f"prefork: {passed} passed, {failed} failed")
    return 1 if failed else 0


def run(p):
    hp, app = p.ports()
    first = until(lambda: len(probe_pids(hp)) == WORKERS and probe_pids(hp))
    check(len(first or []) == WORKERS, f"{WORKERS} worker@<pid> probes, got {first}")
    check(sample(hp, "hams_workers") == WORKERS, "hams_workers counts the workers")

    check(hello(app, N) == N, "every request answered")
    check(count(hp) == N, f"exactly {N} counted at once, got {count(hp)}")

    victim = first[0]
    os.kill(victim, signal.SIGKILL)
    seen = set()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        seen.add(count(hp))
        time.sleep(0.01)
    check(seen == {N}, f"the count stays {N} while a worker dies, saw {sorted(seen, key=str)}")
    now = until(lambda: (lambda pids: len(pids) == WORKERS and victim not in pids and pids)(probe_pids(hp)))
    check(bool(now) and victim not in now, f"the killed worker's probe left, another came: {now}")
    p.pump(0.1)
    check(f"worker {victim} killed by signal 9" in p.out.decode(), "the parent saw the worker die")

    check(hello(app, N) == N, "every request answered after the restart")
    check(count(hp) == 2 * N, f"exactly {2 * N} counted, got {count(hp)}")

    # SIGTERM: readiness fails at once, the workers answer during the drain.
    p.proc.send_signal(signal.SIGTERM)
    status = until(lambda: get(hp, "/hams/ready")[0] == 503, 1.0)
    check(status, "readiness fails once SIGTERM is received")
    check(hello(app, 10) == 10, "the workers answer during the drain")
    check(count(hp) == 2 * N + 10, "and are counted")
    try:
        rc = p.proc.wait(timeout=DRAIN_MS / 1000 + 5)
    except subprocess.TimeoutExpired:
        rc = None
    p.pump(0.1)
    check(rc == 0, f"the parent exits 0 after the drain, got {rc}")
    check("prefork: stopped" in p.out.decode(), "the parent stopped its workers")


if __name__ == "__main__":
    sys.exit(main())
