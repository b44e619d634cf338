"""Shared helpers of the binding's tests: finding the package and libhams
of this source tree, HTTP requests, and the closing summary line."""

from __future__ import annotations

import atexit
import http.client
import os
import sys
import time
import unittest
from typing import Callable, Dict, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)  # bindings/python
REPO = os.path.dirname(os.path.dirname(PACKAGE_DIR))

# The package from this tree, unless told otherwise (HAMS_PYTHON_INSTALLED=1:
# the one installed, e.g. from the wheel into a virtualenv).
if not os.environ.get("HAMS_PYTHON_INSTALLED") and PACKAGE_DIR not in sys.path:
    sys.path.insert(0, PACKAGE_DIR)



def child_env() -> Dict[str, str]:
    """The environment for a child Python process that must import the same
    package as these tests (the tree's, or the installed one)."""
    env = dict(os.environ)
    if not os.environ.get("HAMS_PYTHON_INSTALLED"):
        env["PYTHONPATH"] = PACKAGE_DIR + os.pathsep + env.get("PYTHONPATH", "")
    return env


# libhams: $HAMS_LIBRARY, else the one `cargo build --release` made here,
# else the platform's normal lookup (an installed libhams).
_built = os.path.join(REPO, "target", "release", "libhams.so")
if not os.environ.get("HAMS_LIBRARY") and os.path.exists(_built):
    os.environ["HAMS_LIBRARY"] = _built


def http_get(port: int, path: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def eventually(cond: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


_counts = {"passed": 0, "failed": 0, "skipped": 0}


class TestCase(unittest.TestCase):
    """Counts outcomes for the summary line printed at exit."""

    def run(self, result=None):  # type: ignore[no-untyped-def]
        if result is None or not isinstance(result, unittest.TestResult):
            return super().run(result)  # e.g. pytest: it prints its own summary
        before = (len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", [])),
                  len(result.skipped))
        out = super().run(result)
        after = (len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", [])),
                 len(result.skipped))
        if after[0] > before[0]:
            _counts["failed"] += 1
        elif after[1] > before[1]:
            _counts["skipped"] += 1
        else:
            _counts["passed"] += 1
        return out


@atexit.register
def _summary() -> None:
    if sum(_counts.values()):
        line = f"python: {_counts['passed']} passed, {_counts['failed']} failed"
        if _counts["skipped"]:
            line += f", {_counts['skipped']} skipped"
        sys.stdout.flush()
        print(line, flush=True)
