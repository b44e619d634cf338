"""bench/metrics/report.py: the markdown section of the metrics benchmarks.

  report.py RAW_DIR OUT.md          tables from bench/metrics/run.sh's raw files
  report.py --splice SECTION.md RESULTS.md
                                    puts the section into RESULTS.md between
                                    its markers (replacing an older one, or
                                    appended)

Ratios are hams/peer, computed per round (both sides measured in the same
round, one after the other) and then the median taken: below 1 hams is
faster or smaller. Times are medians over rounds (each scrape time is first
the median of its process's scrapes)."""

import gzip
import json
import os
import statistics
import sys

BEGIN = "<!-- metrics: begin (written by bench/metrics/run.sh) -->"
END = "<!-- metrics: end -->"
NO_VEC = "n/a (no vec API in this build)"
PEERS_PY = "prometheus_client"
PEERS_JS = "prom-client"
GZIP_LEVEL = 6  # zlib's default, as client_golang's gzip.DefaultCompression


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def read_tsv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[1].startswith("{"):
                try:
                    rows.append((int(parts[0]), json.loads(parts[1])))
                except ValueError:
                    pass
    return rows


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return meta


def secs(s):
    if s is None:
        return "—"
    if s >= 1:
        return "%.2f s" % s
    if s >= 0.001:
        return "%.1f ms" % (s * 1e3)
    return "%.0f us" % (s * 1e6)


def num(x, digits=0):
    return "—" if x is None else "{:,.{}f}".format(x, digits)


def ratio(x):
    if x is None:
        return "—"
    return "%.3f" % x if x < 0.1 else "%.2f" % x


class Series:
    """series.tsv: per (impl, n), per round, the record."""

    def __init__(self, rows):
        self.by = {}
        for rnd, rec in rows:
            if rec.get("failed"):
                self.by.setdefault((rec["impl"], None), {})[rnd] = rec
                continue
            self.by.setdefault((rec["impl"], rec["n"]), {})[rnd] = rec

    def recs(self, impl, n):
        return self.by.get((impl, n), {})

    def failed(self, impl):
        return bool(self.by.get((impl, None)))

    def create(self, impl, n):
        return med(r["create_s"] for r in self.recs(impl, n).values())

    def scrape(self, impl, n, variant="text"):
        return med(med(r["scrape"][variant]["s"]) for r in self.recs(impl, n).values() if "scrape" in r)

    def rss(self, impl, n):
        return med(r["rss_bytes"] for r in self.recs(impl, n).values())

    def ratio(self, a, b, n, get):
        """median over rounds of get(rec_a) / get(rec_b)"""
        ra, rb = self.recs(a, n), self.recs(b, n)
        out = []
        for rnd in ra:
            if rnd in rb:
                x, y = get(ra[rnd]), get(rb[rnd])
                if x is not None and y:
                    out.append(x / y)
        return med(out)

    def any_rec(self, impl, n):
        recs = self.recs(impl, n)
        return recs[min(recs)] if recs else None


def create_of(rec):
    return rec.get("create_s")


def scrape_of(rec):
    return med(rec["scrape"]["text"]["s"]) if "scrape" in rec else None


def section(raw):
    meta = read_meta(os.path.join(raw, "meta.txt"))
    series = Series(read_tsv(os.path.join(raw, "series.tsv")))
    ops_rows = read_tsv(os.path.join(raw, "ops.tsv"))
    sizes = sorted(int(s) for s in meta.get("sizes", "").split())
    small, large = (sizes[0], sizes[-1]) if sizes else (0, 0)
    vec = meta.get("api") == "vec"
    py_vec = meta.get("py_api") == "vec"
    api_note = "the vec API" if vec else "one `hams_counter_new_labeled` per series (no vec API in this build)"
    out = []
    w = out.append

    versions = []
    for impl in (PEERS_PY, PEERS_JS):
        rec = series.any_rec(impl, small)
        if rec and rec.get("version"):
            versions.append("%s %s" % (impl, rec["version"]))
    w(BEGIN)
    w("## Metrics: hams against prometheus_client and prom-client")
    w("")
    w(
        "Written by `bench/metrics/run.sh` on %s (commit %s); rounds: %s%s. The series are "
        "`bench_requests_total{path, code}` counters, one `inc` each. hams from C: %s; from Python: %s. "
        "Peers: %s (Python %s, with `PROMETHEUS_DISABLE_CREATED_SERIES=True`: the same samples as hams), "
        "Node %s. Machine: %s, %s CPUs (shared, noisy), load at start %s. Ratios are hams/peer, the median "
        "of per-round ratios: below 1, hams is faster or smaller."
        % (
            meta.get("date", "?"),
            meta.get("commit", "?"),
            meta.get("rounds", "?"),
            " (--quick)" if meta.get("quick") == "1" else "",
            api_note,
            "`labelnames` (vec)" if py_vec else "one `counter(..., labels=...)` per series (no `labelnames` in this build)",
            ", ".join(versions) or "none installed",
            meta.get("python", "?"),
            meta.get("node", "?"),
            meta.get("cpu", "?"),
            meta.get("ncpu", "?"),
            meta.get("load", "?"),
        )
    )
    w("")

    # ---- targets
    probes = read_probes(os.path.join(raw, "probes.tsv"))
    w("### Targets")
    w("")
    w("| target | measured | goal | result |")
    w("|---|---|---|---|")
    at = "" if large == 100000 else " (measured at %s series)" % num(large)
    verdict_ok = large == 100000

    def verdict(ok):
        if ok is None:
            return "—"
        if not verdict_ok:
            return "not at 100,000"
        return "**PASS**" if ok else "**FAIL**"

    c = series.create("hams-c", large)
    w(
        "| creating 100,000 series from C%s%s | %s | < 1 s | %s |"
        % (at, "" if vec else ", labeled fallback (no vec API in this build)", secs(c), verdict(None if c is None else c < 1.0))
    )
    if small and large > small:
        factor = large / small
        for impl, label in (("hams-c", "C"), ("hams-py", "Python")):
            a, b = series.create(impl, large), series.create(impl, small)
            g = a / b if a and b else None
            # closer to linear than to quadratic on a log scale
            ok = None if g is None else g < factor**1.5
            res = "—" if ok is None else ("**PASS**" if ok else "**FAIL**")
            w(
                "| creation time %s/%s series, hams from %s | %s | about %s (linear), not %s | %s |"
                % (num(large), num(small), label, ratio(g), num(factor), num(factor * factor), res)
            )
    r = series.ratio("hams-c", PEERS_PY, large, scrape_of)
    w(
        "| scraping 100,000 series: hams/prometheus_client `generate_latest`%s | %s | <= 0.05 (20x faster) | %s |"
        % (at, ratio(r), verdict(None if r is None else r <= 0.05))
    )
    loaded = [p for p in probes if p["kind"] == "scraping"]
    p99 = med(p["p99_us"] for p in loaded if "p99_us" in p)
    # a probe that failed (kubelet waits 2 s at most) is not in the percentiles: it fails the goal
    lost = sum(p.get("requests", 0) - p.get("ok", 0) for p in loaded)
    w(
        "| probe p99 (kubelet-style) while 100,000-series scrapes run back to back%s | %s%s | < 5 ms | %s |"
        % (
            at,
            secs(None if p99 is None else p99 / 1e6),
            ", %s probes failed or not sent" % num(lost) if lost else "",
            verdict(None if p99 is None else p99 < 5000 and lost == 0),
        )
    )
    w("")

    # ---- creation
    w("### Creating labeled series")
    w("")
    w(
        "Time to create N series, one `inc` each (C: `hams_vec_with` or `hams_counter_new_labeled`; "
        "Python: `labels(...).inc()` or one `counter(..., labels=...)` each; peers: `labels(...).inc()`)."
    )
    w("")
    w(
        "| series | hams C | hams Python | prometheus_client | prom-client | hams C/prometheus_client "
        "| hams Python/prometheus_client | hams C/prom-client |"
    )
    w("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        w(
            "| %s | %s | %s | %s | %s | %s | %s | %s |"
            % (
                num(n),
                secs(series.create("hams-c", n)),
                secs(series.create("hams-py", n)),
                secs(series.create(PEERS_PY, n)),
                secs(series.create(PEERS_JS, n)),
                ratio(series.ratio("hams-c", PEERS_PY, n, create_of)),
                ratio(series.ratio("hams-py", PEERS_PY, n, create_of)),
                ratio(series.ratio("hams-c", PEERS_JS, n, create_of)),
            )
        )
    if small and large > small:
        cells = []
        for impl in ("hams-c", "hams-py", PEERS_PY, PEERS_JS):
            a, b = series.create(impl, large), series.create(impl, small)
            cells.append(ratio(a / b) if a and b else "—")
        w("| growth %s/%s | %s | | | |" % (num(large), num(small), " | ".join(cells)))
    w("")

    # ---- scraping
    w("### Scraping")
    w("")
    w(
        "hams: `GET /hams/metrics` over one keep-alive connection from C, request to last byte, median of 3 "
        "per round; prometheus_client: `generate_latest(registry)`; prom-client: `await registry.metrics()` "
        "(both in process: no HTTP)."
    )
    w("")
    w("| series | hams C (text) | prometheus_client | prom-client | hams/prometheus_client | hams/prom-client |")
    w("|---|---|---|---|---|---|")
    for n in sizes:
        w(
            "| %s | %s | %s | %s | %s | %s |"
            % (
                num(n),
                secs(series.scrape("hams-c", n)),
                secs(series.scrape(PEERS_PY, n)),
                secs(series.scrape(PEERS_JS, n)),
                ratio(series.ratio("hams-c", PEERS_PY, n, scrape_of)),
                ratio(series.ratio("hams-c", PEERS_JS, n, scrape_of)),
            )
        )
    w("")
    rec = series.any_rec("hams-c", large)
    if rec and "scrape" in rec:
        w("What hams answered for %s series, by what the scraper asked (`Accept`, `Accept-Encoding`):" % num(large))
        w("")
        w("| asked | time | Content-Type | Content-Encoding | body bytes on the wire |")
        w("|---|---|---|---|---|")
        asked = {
            "text": "text 0.0.4",
            "text_gzip": "text 0.0.4, gzip",
            "prom2_gzip": "Prometheus 2.x default (OpenMetrics first), gzip",
            "proto": "protobuf first (native histograms on)",
            "proto_gzip": "protobuf first, gzip",
        }
        for v, label in asked.items():
            s = rec["scrape"].get(v)
            if s is None:
                continue
            w(
                "| %s | %s | `%s` | %s | %s |"
                % (
                    label,
                    secs(series.scrape("hams-c", large, v)),
                    s.get("content_type") or "?",
                    s.get("content_encoding") or "identity",
                    num(s.get("wire_bytes")),
                )
            )
        w("")

    # ---- bytes
    w("### Bytes per series")
    w("")
    w(
        "Resident: growth of the process's RSS (`/proc/self/statm`) while creating N series, divided by N "
        "(hams Python includes the binding's Python objects). Wire: the scrape body divided by N, plain and "
        "gzip. When the server does not gzip, the bench compresses the plain body itself (Python `gzip`, "
        "level %d) and says so." % GZIP_LEVEL
    )
    w("")
    w("| series | side | resident bytes/series | body bytes/series | gzip bytes/series | gzip by |")
    w("|---|---|---|---|---|---|")
    for n in sizes:
        bodies = os.path.join(raw, "bodies-%d" % n)
        for impl, label in (("hams-c", "hams C"), ("hams-py", "hams Python"), (PEERS_PY, PEERS_PY), (PEERS_JS, PEERS_JS)):
            rss = series.rss(impl, n)
            if rss is None:
                continue
            plain = gz = None
            by = "—"
            rec = series.any_rec(impl, n)
            if impl == "hams-c" and rec and "scrape" in rec:
                plain = rec["scrape"]["text"]["body_bytes"]
                tg = rec["scrape"].get("text_gzip", {})
                if tg.get("content_encoding") == "gzip":
                    gz, by = tg.get("wire_bytes"), "hams (on the wire)"
                else:
                    gz, by = gzip_size(os.path.join(bodies, "hams-c-text.body")), "the bench (hams does not gzip yet)"
            elif impl in (PEERS_PY, PEERS_JS) and rec and "scrape" in rec:
                plain = rec["scrape"]["text"]["body_bytes"]
                gz, by = gzip_size(os.path.join(bodies, "%s-text.body" % impl)), "the bench"
            w(
                "| %s | %s | %s | %s | %s | %s |"
                % (
                    num(n),
                    label,
                    num(rss / n),
                    num(None if plain is None else plain / n, 1),
                    num(None if gz is None else gz / n, 1),
                    by if gz is not None else "—",
                )
            )
        rec = series.any_rec("hams-c", n)
        proto = rec["scrape"].get("proto") if rec and "scrape" in rec else None
        if proto is not None:
            if "protobuf" in (proto.get("content_type") or ""):
                pg = rec["scrape"].get("proto_gzip", {})
                w(
                    "| %s | hams C, protobuf | | %s | %s | %s |"
                    % (
                        num(n),
                        num(proto["body_bytes"] / n, 1),
                        num(pg.get("wire_bytes", 0) / n, 1) if pg.get("content_encoding") == "gzip" else "—",
                        "hams (on the wire)" if pg.get("content_encoding") == "gzip" else "—",
                    )
                )
            else:
                w("| %s | hams C, protobuf | | n/a (not negotiated in this build) | | |" % num(n))
    w("")

    # ---- probes
    w("### Probe latency while the exposition is scraped")
    w("")
    w(
        "`bench/kubelet.c`: sequential `GET /hams/alive` with `Connection: close`, a new connection each, "
        "against a hams holding %s series; without scrapes, then while `scraper.c` scrapes back to back over "
        "one keep-alive connection (Prometheus 2.x's `Accept`, gzip). Medians over rounds." % num(large)
    )
    w("")
    w("| load | rounds | probes ok/asked | p50 | p99 | max | scrapes during the probes | mean scrape |")
    w("|---|---|---|---|---|---|---|---|")
    for kind, label in (("idle", "no scrapes"), ("scraping", "scrapes back to back")):
        ps = [p for p in probes if p["kind"] == kind]
        if not ps:
            w("| %s | 0 | — | — | — | — | — | — |" % label)
            continue
        sc = [p.get("scraper") or {} for p in ps]
        w(
            "| %s | %d | %s/%s | %s | %s | %s | %s | %s |"
            % (
                label,
                len(ps),
                num(sum(p.get("ok", 0) for p in ps)),
                num(sum(p.get("requests", 0) for p in ps)),
                secs(us(med(p.get("p50_us") for p in ps))),
                secs(us(med(p.get("p99_us") for p in ps))),
                secs(us(max((p.get("max_us", 0) for p in ps), default=None))),
                num(sum(s.get("scrapes", 0) for s in sc)) if kind == "scraping" else "—",
                secs(med(s.get("mean_s") for s in sc if s.get("scrapes"))) if kind == "scraping" else "—",
            )
        )
    w("")

    # ---- ns per operation
    w("### Nanoseconds per operation")
    w("")
    w(
        "One process per side and round, %s iterations of each operation in a loop of the language itself "
        "(Node: after a warm-up pass). `labels(...).inc()` looks the series up by its label values each time "
        "(C: `hams_vec_with` + `hams_counter_add`)." % num(int(meta.get("ops", "0") or 0))
    )
    w("")
    w("| language | operation | hams ns | peer | peer ns | hams/peer |")
    w("|---|---|---|---|---|---|")
    ops = {}
    for rnd, rec in ops_rows:
        if not rec.get("failed"):
            ops.setdefault(rec["impl"], {})[rnd] = rec["ops"]
    names = (
        ("inc", "inc"),
        ("set", "set"),
        ("observe", "observe"),
        ("observe_exemplar", "observe with an exemplar"),
        ("labels_inc", "labels(...).inc()"),
    )
    for lang, hams_impl, peer in (("C", "hams-c", None), ("Python", "hams-py", PEERS_PY), ("Node", "hams-node", PEERS_JS)):
        if hams_impl not in ops and peer not in ops:
            continue
        for key, label in names:
            h = med(o.get(key) for o in ops.get(hams_impl, {}).values())
            p = med(o.get(key) for o in ops.get(peer, {}).values()) if peer else None
            rs = []
            for rnd, o in ops.get(hams_impl, {}).items():
                po = ops.get(peer, {}).get(rnd) if peer else None
                if po and o.get(key) is not None and po.get(key):
                    rs.append(o[key] / po[key])
            hcell = num(h, 1) if h is not None else (NO_VEC if key == "labels_inc" and hams_impl in ops else "—")
            w(
                "| %s | %s | %s | %s | %s | %s |"
                % (lang, label, hcell, peer or "—", num(p, 1), ratio(med(rs)) if rs else "—")
            )
    failed = sorted({impl for (impl, n) in series.by if n is None} | {r["impl"] for _, r in ops_rows if r.get("failed")})
    if failed:
        w("")
        w("Failed or timed out in some round (left out of the medians): %s." % ", ".join(failed))
    w(END)
    return "\n".join(out) + "\n"


def us(x):
    return None if x is None else x / 1e6


def gzip_size(path):
    try:
        with open(path, "rb") as f:
            return len(gzip.compress(f.read(), GZIP_LEVEL))
    except OSError:
        return None


def read_probes(path):
    """probes.tsv: ROUND, kind, kubelet's key=value line, scraper's JSON line"""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            p = {"kind": parts[1]}
            for kv in parts[2].split():
                k, _, v = kv.partition("=")
                if k in ("requests", "ok", "errors"):
                    p[k] = int(v) if v.isdigit() else 0
                elif k.endswith("_us"):
                    try:
                        p[k] = float(v)
                    except ValueError:
                        pass
            if len(parts) > 3 and parts[3].startswith("{"):
                try:
                    p["scraper"] = json.loads(parts[3])
                except ValueError:
                    pass
            if p.get("ok", 0) == 0:
                p.pop("p99_us", None)  # nothing answered: no latency to speak of
            out.append(p)
    return out


def splice(section_path, results_path):
    with open(section_path) as f:
        sec = f.read().strip("\n")
    with open(results_path) as f:
        text = f.read()
    b, e = text.find(BEGIN), text.find(END)
    if b >= 0 and e > b:
        text = text[:b] + sec + text[e + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + sec + "\n"
    with open(results_path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) == 4 and argv[1] == "--splice":
        splice(argv[2], argv[3])
        return 0
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    text = section(argv[1])
    with open(argv[2], "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
