"""uvicorn --workers 3 (spawned processes) with FastAPI: each worker calls
hams.attach(); the parent's hams counts every request exactly, shows the
workers' probes as app@pid and the hams_workers gauge, and forgets the
probes once the workers are gone."""

from __future__ import annotations

import json
import os
import signal
import socket
import unittest
from typing import Dict, List, Tuple

from workers_support import PYTHON, Server, child_env, children, eventually, http_get, ready_entries, total

WORKERS = 3
PATHS = ("/a", "/b", "/missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class UvicornTest(unittest.TestCase):
    def test_spawned_workers_attach(self) -> None:
        port = free_port()
        server = Server([PYTHON, "uvicorn_main.py", str(port), str(WORKERS)], child_env())
        self.addCleanup(server.stop)
        hams_port = int(server.wait_for(r"hams: serving on port (\d+)").group(1))

        def probes() -> List[str]:
            return sorted(e for e in ready_entries(hams_port) if e.startswith("app@"))

        ups = [0]  # /up requests answered (each counted too)

        def all_up() -> bool:
            try:
                if http_get(port, "/up")[0] != 200:
                    return False
            except OSError:
                return False
            ups[0] += 1
            return len(probes()) == WORKERS

        self.assertTrue(eventually(all_up, 30), f"{probes()}\n{server.output()}")
        self.assertEqual(total(http_get(hams_port, "/hams/metrics")[1], "hams_workers"), float(WORKERS))
        # The probes are the worker processes' (uvicorn's spawned children).
        kids = set(children(server.proc.pid))
        self.assertTrue({int(p.split("@")[1]) for p in probes()} <= kids, (probes(), kids))

        n = 150
        want: Dict[Tuple[str, str], float] = {("/up", "200"): float(ups[0])}
        pids = set()
        for i in range(n):
            path = PATHS[i % len(PATHS)]
            code = "404" if path == "/missing" else "200"
            status, body = http_get(port, path)
            self.assertEqual(str(status), code)
            pids.add(json.loads(body)["pid"])
            want[(path, code)] = want.get((path, code), 0.0) + 1

        def counts() -> Dict[Tuple[str, str], float]:
            text = http_get(hams_port, "/hams/metrics")[1]
            return {k: total(text, "app_requests_total", path=k[0], code=k[1]) for k in want}

        self.assertTrue(eventually(lambda: counts() == want, 3), f"{counts()} != {want}")
        # uvicorn stops its workers: their probes leave, their counts stay.
        os.kill(server.proc.pid, signal.SIGINT)
        server.wait_for("uvicorn stopped", 20)
        self.assertTrue(eventually(lambda: probes() == [], 3), probes())
        self.assertEqual(counts(), want)
        self.assertEqual(total(http_get(hams_port, "/hams/metrics")[1], "hams_workers"), 0.0)


if __name__ == "__main__":
    unittest.main()
