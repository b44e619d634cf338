"""Prometheus scraping the replicas' hams ports every second, with exemplar
storage on, its data in the run's temporary directory; and the queries the
rehearsal asks it afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from typing import Dict, List, Optional, Tuple

import processes

SCRAPE_INTERVAL_S = 1.0


def config(targets: List[int]) -> str:
    # Written as YAML by hand: its flow style is JSON, so no YAML library.
    tgt = ", ".join(f'"127.0.0.1:{p}"' for p in targets)
    return (
        "global:\n"
        f"  scrape_interval: {SCRAPE_INTERVAL_S:g}s\n"
        "  scrape_timeout: 900ms\n"
        "scrape_configs:\n"
        "  - job_name: replicas\n"
        "    metrics_path: /hams/metrics\n"
        f"    static_configs: [{{targets: [{tgt}]}}]\n"
    )


class Prometheus:
    def __init__(self, workdir: str, port: int, targets: List[int]) -> None:
        self.port = port
        self.dir = os.path.join(workdir, "prometheus")
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "prometheus.yml")
        self.log = os.path.join(self.dir, "prometheus.log")
        with open(self.cfg, "w") as f:
            f.write(config(targets))
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        self.proc = processes.start(
            [
                binary,
                f"--config.file={self.cfg}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--enable-feature=exemplar-storage",
                "--log.level=warn",
            ],
            self.log,
        )
        proc = self.proc

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {proc.returncode} (see {self.log})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False

        processes.wait_for("Prometheus ready", ready, 30, 0.1)

    def api(self, path: str, **params: str) -> object:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as r:
            doc = json.load(r)
        if doc.get("status") != "success":
            raise RuntimeError(f"{url}: {doc}")
        return doc["data"]

    def query(self, q: str, at: float) -> list:
        return self.api("query", query=q, time=f"{at:.3f}")["result"]  # type: ignore[index]

    def samples(self, q: str, at: float) -> Dict[Tuple[Tuple[str, str], ...], List[Tuple[float, float]]]:
        """The raw samples of a range selector q (e.g. `m[60s]`) at time at,
        by series (its labels without __name__)."""
        out = {}
        for s in self.query(q, at):
            key = tuple(sorted((k, v) for k, v in s["metric"].items() if k != "__name__"))
            out[key] = [(float(t), float(v)) for t, v in s["values"]]
        return out

    def exact_total(self, metric: str, window_s: int, at: float) -> Tuple[float, int]:
        """The requests every process counted, summed exactly: each series'
        samples are split by the process that exposed them (its
        process_start_time_seconds at the same scrape) and each process
        contributes its last value (its counters start at 0 and only grow).
        No extrapolation, unlike increase(). Returns (total, processes seen)."""
        starts: Dict[Tuple[str, float], float] = {}
        for labels, values in self.samples(f"process_start_time_seconds[{window_s}s]", at).items():
            inst = dict(labels)["instance"]
            for t, v in values:
                starts[(inst, t)] = v
        last: Dict[Tuple[Tuple[Tuple[str, str], ...], float], float] = {}
        for labels, values in self.samples(f"{metric}[{window_s}s]", at).items():
            inst = dict(labels)["instance"]
            for t, v in values:
                start = starts.get((inst, t))
                if start is None:
                    raise RuntimeError(f"no process_start_time_seconds for {inst} at {t}")
                last[(labels, start)] = v  # samples come in time order: the last one stays
        return sum(last.values()), len({(dict(k)["instance"], s) for k, s in last})

    def exemplars(self, q: str, start: float, end: float) -> List[dict]:
        """Every exemplar of q's series between start and end."""
        out = []
        for series in self.api("query_exemplars", query=q, start=f"{start:.3f}", end=f"{end:.3f}"):  # type: ignore
            out.extend(series.get("exemplars", []))
        return out
