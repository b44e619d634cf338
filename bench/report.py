#!/usr/bin/env python3
"""bench/report.py: turns the raw output of bench/run.sh into results.md, a
chart and a summary table.

    report.py RAW OUT [--gnuplot 0|1]   writes OUT/results.md, OUT/chart.png
    report.py --check RAW               prints the wrk scenarios ("close:50")
                                        whose throughput or latency target
                                        missed, for run.sh to profile

RAW holds meta.txt, sizes.txt, footprint.txt (key=value lines), runs.tsv
(mode, conns, round, server, wrk's BENCH key=values) and kubelet.tsv (label,
key=values), and optionally profile.txt. Standard library only.
"""
import os
import statistics
import subprocess
import sys

MIB = 1024 * 1024
SERVERS = ("hams", "demo", "nginx")
SCENARIOS = (("keepalive", 1), ("keepalive", 50), ("close", 1), ("close", 50))


def kv_file(path):
    d = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    d[k] = v
    return d


def kv_line(text):
    d = {}
    for tok in text.split():
        k, sep, v = tok.partition("=")
        if sep:
            d[k] = v
    return d


def num(v, default=None):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def load(raw):
    runs = {}  # (mode, conns) -> round -> server -> dict
    path = os.path.join(raw, "runs.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 4:
                    continue
                mode, conns, rnd, server = parts[0], int(parts[1]), int(parts[2]), parts[3]
                vals = kv_line(parts[4] if len(parts) > 4 else "")
                runs.setdefault((mode, conns), {}).setdefault(rnd, {})[server] = vals
    per = {}  # label -> [kv of each round], in file order
    path = os.path.join(raw, "kubelet.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    per.setdefault(parts[0], []).append(kv_line(parts[2]))
    kube = [(label, kube_aggregate(rounds)) for label, rounds in per.items()]
    syscalls = {}  # (server, mode, conns) -> {name: count}
    path = os.path.join(raw, "syscalls.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 3:
                    continue
                counts = perf_stat_counts(os.path.join(raw, f"syscalls-{parts[0]}-{parts[1]}-c{parts[2]}.csv"))
                if counts:
                    syscalls[(parts[0], parts[1], int(parts[2]))] = counts
    return {
        "syscalls": syscalls,
        "meta": kv_file(os.path.join(raw, "meta.txt")),
        "sizes": kv_file(os.path.join(raw, "sizes.txt")),
        "fp": kv_file(os.path.join(raw, "footprint.txt")),
        "runs": runs,
        "kube": kube,
    }


def kube_aggregate(rounds):
    """One series of kubelet-style probes over its rounds: medians of the
    percentiles, sums of the counts, the worst max, the p99 of each round."""
    def m(key):
        v = med([num(r.get(key)) for r in rounds])
        return "n/a" if v is None else f"{v:.1f}"
    total = lambda key: str(sum(int(num(r.get(key), 0)) for r in rounds))
    opened = [r.get("idle_open", "0/0").split("/") for r in rounds]
    return {
        "requests": total("requests"), "ok": total("ok"), "errors": total("errors"),
        "idle_open": f"{min(int(o[0]) for o in opened)}/{opened[0][-1]}" if opened else "?",
        "p50_us": m("p50_us"), "p90_us": m("p90_us"), "p99_us": m("p99_us"), "p999_us": m("p999_us"),
        "max_us": f"{max(num(r.get('max_us'), 0) for r in rounds):.1f}" if rounds else "n/a",
        "p99_rounds": ", ".join(f"{num(r.get('p99_us'), 0):.0f}" for r in rounds),
        "rounds": str(len(rounds)),
    }


WRITES = ("sendto", "writev", "write", "sendmsg", "sendmmsg")


def perf_stat_counts(path):
    """{syscall: count} from `perf stat -x,` over syscalls:sys_enter_*; the
    filtered sys_exit events (failed calls) become "NAME failed"."""
    counts = {}
    if not os.path.exists(path):
        return counts
    with open(path) as f:
        for line in f:
            t = line.strip().split(",")
            if len(t) < 3 or not t[0].isdigit():
                continue
            n, event = int(t[0]), t[2]
            if event.startswith("syscalls:sys_enter_"):
                name = event[len("syscalls:sys_enter_"):]
            elif event.startswith("syscalls:sys_exit_"):
                name = event[len("syscalls:sys_exit_"):] + " failed"
            else:
                continue
            if n:
                counts[name] = counts.get(name, 0) + n
    return counts


def cpu_per_request(x):
    """Microseconds of server CPU time (user + system) per request of a run."""
    ticks, hz, reqs = num(x.get("cpu_ticks")), num(x.get("clk_tck")), num(x.get("requests"))
    if ticks is None or not hz or not reqs:
        return None
    return ticks / hz * 1e6 / reqs


def others_pct(x):
    """CPU time of other processes during a run, in percent of one CPU:
    all busy time of the machine less the server's and wrk's."""
    o, a, hz = num(x.get("others_ticks")), num(x.get("all_ticks")), num(x.get("clk_tck"))
    dur = num(x.get("duration_us"))
    if o is None or not dur or not hz:
        return None
    return max(0.0, o / hz / (dur / 1e6) * 100)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def scenario_stats(rounds):
    """Per server: median rps, p50, p99 over rounds; per round ratios."""
    s = {}
    for server in SERVERS:
        rows = [rounds[r].get(server, {}) for r in sorted(rounds)]
        s[server] = {
            "rps": med([num(x.get("rps")) for x in rows]),
            "p50": med([num(x.get("p50_us")) for x in rows]),
            "p99": med([num(x.get("p99_us")) for x in rows]),
            "cpu": med([cpu_per_request(x) for x in rows]),
            "errors": sum(
                int(num(x.get(k), 0))
                for x in rows
                for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "status_errors")
            ),
            "missing": sum(1 for x in rows if "rps" not in x),
        }
    ratios = {}
    for server in ("hams", "demo"):
        rs = []
        for r in sorted(rounds):
            a = num(rounds[r].get(server, {}).get("rps"))
            b = num(rounds[r].get("nginx", {}).get("rps"))
            rs.append(a / b if a is not None and b else None)
        ratios[server] = rs
    return s, ratios


def fmt(v, digits=0, unit=""):
    if v is None:
        return "n/a"
    if digits == 0:
        return f"{v:,.0f}{unit}"
    return f"{v:,.{digits}f}{unit}"


def targets(data):
    """[(name, measured text, goal text, pass bool or None, profile scenario)]."""
    runs, fp, sizes, kube = data["runs"], data["fp"], data["sizes"], data["kube"]
    out = []

    def ratio_target(mode, conns, goal, name):
        if (mode, conns) not in runs:
            out.append((name, "n/a", f">= {goal:.1f}x", None, f"{mode}:{conns}"))
            return
        _, ratios = scenario_stats(runs[(mode, conns)])
        m = med(ratios["hams"])
        per = ", ".join(fmt(x, 2) for x in ratios["hams"])
        out.append((name, f"{fmt(m, 2)}x (rounds: {per})", f">= {goal:.1f}x",
                    None if m is None else m >= goal, f"{mode}:{conns}"))

    ratio_target("keepalive", 50, 1.0, "keep-alive throughput, 50 conns, hams/nginx")
    ratio_target("close", 50, 0.9, "Connection: close throughput, 50 conns, hams/nginx")
    ratio_target("close", 1, 0.9, "Connection: close throughput, 1 conn, hams/nginx")
    for mode in ("keepalive", "close"):
        if (mode, 50) in runs:
            s, _ = scenario_stats(runs[(mode, 50)])
            p = s["hams"]["p99"]
            out.append((f"p99 latency, 50 conns, {mode} (hams)",
                        f"{fmt(p)} us (nginx {fmt(s['nginx']['p99'])} us)", "< 1000 us",
                        None if p is None else p < 1000, f"{mode}:50"))
    idle_label = [k for k, _ in kube if k.startswith("hams-idle") and k != "hams-idle0"]
    kd = dict(kube)
    if idle_label:
        k = kd[idle_label[0]]
        p = num(k.get("p99_us"))
        ok = (p is not None and p < 1000 and k.get("errors") == "0"
              and k.get("idle_open", "").split("/")[0] == k.get("idle_open", "").split("/")[-1])
        out.append((f"kubelet-style probe p99, {idle_label[0].split('idle')[1]} idle conns open (hams)",
                    f"{fmt(p)} us (median of rounds: {k.get('p99_rounds', '?')}); {k.get('errors', '?')} errors; "
                    f"idle still open {k.get('idle_open', '?')}",
                    "< 1000 us", None if p is None else ok, "close:1"))
    w = num(fp.get("wakeups_manual"))
    out.append((f"wake-ups of idle hams-server thread, {fp.get('idle_seconds', '?')} s, manual probes",
                fmt(w), "0", None if w is None else w == 0, None))
    tb, tm, tc, tf = (num(fp.get(k)) for k in ("threads_before", "threads_manual",
                                                "threads_callback", "threads_callback_freed"))
    if None not in (tb, tm, tc, tf):
        ok = tm - tb == 1 and tc - tb == 2 and tf - tb == 1
        txt = (f"+{tm - tb:.0f} manual only; +{tc - tb:.0f} with a callback probe; "
               f"+{tf - tb:.0f} after freeing it")
        out.append(("threads per started hams_t", txt, "+1 (+1 while callback probes exist)", ok, None))
    else:
        out.append(("threads per started hams_t", "n/a", "+1", None, None))
    rb, rs, rv = (num(fp.get(k)) for k in ("rss_kib_before", "rss_kib_started", "rss_kib_served"))
    if None not in (rb, rs, rv):
        added = max(rs, rv) - rb
        out.append(("resident memory added by a started hams_t",
                    f"{fmt(rs - rb)} KiB started, {fmt(rv - rb)} KiB after 1200 requests",
                    "< 1024 KiB", added < 1024, None))
    sz = num(sizes.get("lib_stripped_bytes"))
    out.append(("stripped libhams.so", f"{fmt(sz)} bytes ({fmt(sz / MIB if sz else None, 2)} MiB)",
                "< 1 MiB", None if sz is None else sz < MIB, None))
    return out


def result_word(p):
    return "n/a" if p is None else ("PASS" if p else "FAIL")


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(header, rows):
    cols = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cols[1:]]
    return "\n".join(lines)


def chart(data, out, use_gnuplot):
    if not use_gnuplot:
        return None
    runs, kube = data["runs"], data["kube"]
    tp = os.path.join(out, ".chart-throughput.dat")
    lat = os.path.join(out, ".chart-latency.dat")
    kub = os.path.join(out, ".chart-kubelet.dat")
    with open(tp, "w") as f, open(lat, "w") as g:
        for mode, conns in SCENARIOS:
            if (mode, conns) not in runs:
                continue
            s, ratios = scenario_stats(runs[(mode, conns)])
            label = f'"{"keep-alive" if mode == "keepalive" else "close"}\\n{conns} conn{"s" if conns > 1 else ""}"'
            f.write(label + " " + " ".join(str(s[x]["rps"] or 0) for x in SERVERS) + " "
                    + " ".join(str(med(ratios[x]) or 0) for x in ("hams", "demo")) + "\n")
            g.write(label + " " + " ".join(str(s[x]["p99"] or 0) for x in SERVERS) + "\n")
    with open(kub, "w") as f:
        for label, k in kube:
            server, _, idle = label.partition("-idle")
            name = f"{server}\\n{'no' if idle == '0' else idle} idle"
            f.write(f'"{name}" {k.get("p50_us", 0)} {k.get("p99_us", 0)}\n')
    png = os.path.join(out, "chart.png")
    m = data["meta"]
    title = (f"hams vs nginx (1 worker): wrk -t1, medians of {m.get('rounds', '?')} interleaved "
             f"{m.get('duration', '?')} s runs; {m.get('ncpu', '?')} shared CPUs; {m.get('date', '')}"
             + (" (QUICK RUN: not a measurement)" if m.get("quick") == "1" else ""))
    three = ('"{f}" using 2:xtic(1) title "hams (bench/server)" lc rgb "#1f77b4", '
             '"" using 3 title "hams (demo)" lc rgb "#9ecae1", '
             '"" using 4 title "nginx" lc rgb "#2ca02c"')
    script = f"""
set terminal pngcairo size 1200,900 font "DejaVu Sans,10"
set output "{png}"
set multiplot layout 2,2 title "{title}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right font ",9"
set bmargin 4
set title "throughput (requests/s, log scale; higher is better)"
set logscale y
set yrange [1000:*]
set format y "%.0s%c"
plot {three.format(f=tp)}
set title "throughput relative to nginx (median of per-round ratios)"
unset logscale y
set format y "%.2f"
set yrange [0:1.4]
plot "{tp}" using 5:xtic(1) title "hams (bench/server) / nginx" lc rgb "#1f77b4", \\
     "" using 6 title "hams (demo) / nginx" lc rgb "#9ecae1", \\
     1.0 with lines lc rgb "#2ca02c" lw 2 title "nginx (1.0)", \\
     0.9 with lines lc rgb "#d62728" dt 2 title "0.9"
set title "wrk p99 latency (us, log scale; lower is better)"
set logscale y
set format y "%g"
set yrange [10:*]
plot {three.format(f=lat)}, \\
     1000 with lines lc rgb "#d62728" dt 2 title "1 ms"
set title "kubelet-style probes: new connection each (us, log scale)"
plot "{kub}" using 2:xtic(1) title "p50" lc rgb "#ff7f0e", "" using 3 title "p99" lc rgb "#d62728", \\
     1000 with lines lc rgb "#d62728" dt 2 title "1 ms"
unset multiplot
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"bench: gnuplot failed: {e}", file=sys.stderr)
        return None
    finally:
        for p in (tp, lat, kub):
            try:
                os.remove(p)
            except OSError:
                pass
    return png


def write(data, raw, out, use_gnuplot):
    meta, fp, sizes, runs, kube = data["meta"], data["fp"], data["sizes"], data["runs"], data["kube"]
    tg = targets(data)
    md = []
    md.append("# hams benchmark results\n")
    md.append(f"Written by `bench/run.sh{' --quick' if meta.get('quick') == '1' else ''}` on "
              f"{meta.get('date', '?')}; method and reproduction: `docs/performance.md`.")
    if meta.get("quick") == "1":
        md.append("\n**Quick run** (CI): 1 round of short runs. It only proves the harness works; "
                  "its figures are not a measurement.")
    md.append("")
    md.append(md_table(["", ""], [
        ["hams commit", meta.get("commit", "?")],
        ["machine", f"{meta.get('cpu', '?')}, {meta.get('ncpu', '?')} CPUs (shared, noisy), "
                    f"Linux {meta.get('kernel', '?')}, load average at start {meta.get('load', '?')}"],
        ["tools", f"nginx {meta.get('nginx', '?')} (1 worker), wrk {meta.get('wrk', '?')} (-t1)"],
        ["runs", f"{meta.get('rounds', '?')} interleaved rounds x {meta.get('duration', '?')} s per server "
                 f"and scenario; servers pinned to CPU 1 and clients to CPU 0: "
                 f"{'yes' if meta.get('pinned') == '1' else 'no'}"],
    ]))
    md.append("\n## Targets\n")
    md.append(md_table(["target", "measured", "goal", "result"],
                       [[n, m, g, f"**{result_word(p)}**"] for n, m, g, p, _ in tg]))
    md.append("\n## Throughput and latency (wrk)\n")
    md.append("`hams` is `bench/server.c` (one manual probe, `GET /hams/alive`); `demo` is "
              "`examples/c/demo.c` (`GET /hams/ready`: kick, manual and callback probes); `nginx` "
              "serves `location /alive { return 200 \"ok\"; }`. Medians over the rounds; the ratio "
              "is the median of the per-round ratios to nginx. wrk's latency runs from a request's "
              "write to its response, so with `Connection: close` it leaves out the connect. Server CPU "
              "per request is the user + system time of the serving process (`/proc/PID/stat`; "
              "nginx's worker) over the run divided by the requests: less sensitive to the noise "
              "of a shared machine than requests/s.\n")
    rows = []
    for mode, conns in SCENARIOS:
        if (mode, conns) not in runs:
            continue
        s, ratios = scenario_stats(runs[(mode, conns)])
        for server in SERVERS:
            r = "" if server == "nginx" else f"{fmt(med(ratios[server]), 2)}x"
            errs = s[server]["errors"]
            rows.append([("keep-alive" if mode == "keepalive" else "Connection: close"), conns, server,
                         fmt(s[server]["rps"]), fmt(s[server]["p50"]), fmt(s[server]["p99"]), r,
                         fmt(s[server]["cpu"], 1),
                         f"{errs}" + (f" ({s[server]['missing']} runs missing)" if s[server]["missing"] else "")])
    md.append(md_table(["mode", "conns", "server", "req/s", "p50 us", "p99 us", "vs nginx",
                        "server CPU us/req", "errors"], rows))
    md.append("\nEach round (servers run one after the other, order alternating between rounds). "
              "\"Others' CPU\" is the CPU time the rest of the machine used during the run (user, "
              "system and steal time in /proc/stat less the server's and wrk's), in percent of one "
              "CPU: the noise from other work on this shared machine.\n")
    rows = []
    for mode, conns in SCENARIOS:
        rounds = runs.get((mode, conns), {})
        for rnd in sorted(rounds):
            x = rounds[rnd]
            h, d, n = (num(x.get(k, {}).get("rps")) for k in SERVERS)
            rows.append([("keep-alive" if mode == "keepalive" else "close"), conns, rnd,
                         fmt(h), fmt(d), fmt(n),
                         fmt(h / n if h and n else None, 2), fmt(d / n if d and n else None, 2),
                         " / ".join(fmt(num(x.get(k, {}).get("p99_us"))) for k in SERVERS),
                         " / ".join(fmt(others_pct(x.get(k, {}))) for k in SERVERS)])
    md.append(md_table(["mode", "conns", "round", "hams req/s", "demo req/s", "nginx req/s",
                        "hams/nginx", "demo/nginx", "p99 us hams / demo / nginx",
                        "others' CPU % hams / demo / nginx"], rows))
    md.append(f"\n## Kubelet-style probes\n")
    md.append(f"`bench/kubelet.c`: {meta.get('requests', '?')} sequential requests, each on a new "
              "connection with `Connection: close` (connect, send, read the whole response, close; "
              "timed from `socket()` to the response's last byte), while N idle keep-alive "
              "connections (each has served one request) are held open to the same server. The "
              f"series run one after the other, in {meta.get('rounds', '?')} rounds; percentiles are "
              "medians over the rounds, max the worst, and the p99 of each round is listed.\n")
    rows = []
    for label, k in kube:
        server, _, idle = label.partition("-idle")
        rows.append([server, idle, f"{k.get('ok', '?')}/{k.get('requests', '?')}",
                     k.get("p50_us", "?"), k.get("p90_us", "?"), k.get("p99_us", "?"),
                     k.get("p999_us", "?"), k.get("max_us", "?"), k.get("idle_open", "?"),
                     k.get("p99_rounds", "?")])
    md.append(md_table(["server", "idle conns", "ok", "p50 us", "p90 us", "p99 us", "p99.9 us",
                        "max us", "idle still open after (fewest)", "p99 us of each round"], rows))
    md.append("\n## Footprint\n")
    md.append("From `bench/footprint.c` (one process; RSS is VmRSS of /proc/self/status, threads are "
              "the entries of /proc/self/task, wake-ups are voluntary + nonvoluntary context switches "
              "of the `hams-server` thread).\n")

    def g(k):
        return fp.get(k, "n/a")

    rb = num(fp.get("rss_kib_before"))

    def rss(k):
        v = num(fp.get(k))
        return "n/a" if v is None or rb is None else f"{v:,.0f} KiB ({v - rb:+,.0f})"

    lb, ls = num(sizes.get("lib_bytes")), num(sizes.get("lib_stripped_bytes"))
    rows = [
        ["libhams.so, as built / stripped (`strip -o`)",
         f"{fmt(lb)} / {fmt(ls)} bytes ({fmt(ls / MIB if ls else None, 2)} MiB stripped)"],
        ["RSS before hams_new (library loaded)", f"{g('rss_kib_before')} KiB"],
        ["RSS after hams_new + a manual probe", rss("rss_kib_created")],
        ["RSS right after hams_start", rss("rss_kib_started")],
        ["RSS after 1000 keep-alive + 200 close requests", rss("rss_kib_served")],
        [f"RSS with {g('idle_conns_opened')} idle keep-alive connections open "
         "(client sockets in the same process)", rss("rss_kib_idle1000")],
        ["RSS after hams_free", rss("rss_kib_after_free")],
        ["threads before hams_start", g("threads_before")],
        ["threads, started, manual probes only", g("threads_manual")],
        ["threads with a callback probe (steady / most seen, sampled every ms)",
         f"{g('threads_callback')} / {g('threads_callback_max')}"],
        ["threads after freeing the callback probe / after hams_free",
         f"{g('threads_callback_freed')} / {g('threads_after_free')}"],
        [f"hams-server wake-ups over {g('idle_seconds')} s idle: manual probes, never served",
         g("wakeups_manual")],
        [f"... with a kick probe kicked every 100 ms", g("wakeups_kick")],
        [f"... right after 1000 idle connections closed (no connection left)",
         g("wakeups_after_traffic")],
        [f"... with a callback probe (interval 1 s)", g("wakeups_callback")],
        ["hams_start returning -> first 200 (first start in the process)", f"{g('first200_us_first')} us"],
        [f"... median / max over {g('first200_starts')} start/stop cycles",
         f"{g('first200_us_median')} / {g('first200_us_max')} us"],
        ["threads of the running bench server / the demo", f"{g('server_threads')} / {g('demo_threads')} "
                                                            f"({g('demo_thread_names')})"],
    ]
    md.append(md_table(["figure", "value"], rows))
    sc = data["syscalls"]
    if sc:
        md.append("\n## System calls per request under wrk\n")
        md.append("`perf stat -e syscalls:sys_enter_NAME` for 26 system calls a server may make per "
                  "request (`recvfrom`, `sendto`, `writev`, `epoll_wait`, `epoll_ctl`, `accept4`, "
                  "`close`, `setsockopt`, `futex`, `mmap`, ...: see `bench/run.sh`) on the server "
                  "process (the hams bench server; nginx's worker) for a few seconds while wrk loads it as above, plus the "
                  "failed returns of `recvfrom` and `accept4` (EAGAIN: nothing more to read or "
                  "accept). Counts are divided by the responses written in that time (one "
                  "`sendto`/`writev` each: wrk does not pipeline).\n")
        for mode in ("keepalive", "close"):
            cols = [(srv, mode, c) for c in (1, 50) for srv in ("hams", "nginx") if (srv, mode, c) in sc]
            if not cols:
                continue
            writes = {c: sum(sc[c].get(w, 0) for w in WRITES) for c in cols}
            names = sorted({n for c in cols for n in sc[c]},
                           key=lambda n: (-max(sc[c].get(n, 0) / max(writes[c], 1) for c in cols), n))
            names = [n for n in names if max(sc[c].get(n, 0) / max(writes[c], 1) for c in cols) >= 0.005]
            rows = [[f"`{n}`"] + [f"{sc[c].get(n, 0) / writes[c]:.2f}" if writes[c] else "n/a" for c in cols]
                    for n in names]
            rows.append(["**total** (failed returns not added again)"]
                        + [f"**{sum(v for k, v in sc[c].items() if not k.endswith(' failed')) / writes[c]:.2f}**"
                           if writes[c] else "n/a" for c in cols])
            rows.append(["responses counted"] + [fmt(writes[c]) for c in cols])
            md.append(f"{'Keep-alive' if mode == 'keepalive' else 'Connection: close'}:\n")
            md.append(md_table(["system call per request"] + [f"{srv}, {c} conn{'s' if c > 1 else ''}"
                                                              for srv, _, c in cols], rows))
            md.append("")
    png = chart(data, out, use_gnuplot)
    if png:
        md.append("\n## Chart\n")
        md.append("![throughput and latency](chart.png)")
    prof = os.path.join(raw, "profile.txt")
    if os.path.exists(prof):
        md.append("\n## Profile under wrk\n")
        md.append("`perf record -e cpu-clock -F 4999 -p <server>` (no hardware counters on this VM) "
                  "while wrk loads the hams bench server, then nginx's worker the same way, for each "
                  "scenario whose throughput or latency target missed; self time, by object and by "
                  "function.\n")
        with open(prof) as f:
            body = f.read().rstrip()
        # "=== scenario" and "--- view" lines head the sections of profile.txt
        for chunk in body.split("=== ")[1:]:
            title, _, rest = chunk.partition("\n")
            md.append(f"### {title.strip()}\n")
            for part in rest.split("--- ")[1:]:
                sub, _, rows = part.partition("\n")
                md.append(f"{sub.strip()}:\n\n```\n{rows.rstrip()}\n```\n")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md).rstrip() + "\n")

    # The summary on stdout.
    print()
    rows = []
    for mode, conns in SCENARIOS:
        if (mode, conns) not in runs:
            continue
        s, ratios = scenario_stats(runs[(mode, conns)])
        rows.append([("keep-alive" if mode == "keepalive" else "close"), conns,
                     fmt(s["hams"]["rps"]), fmt(s["demo"]["rps"]), fmt(s["nginx"]["rps"]),
                     f"{fmt(med(ratios['hams']), 2)}x", f"{fmt(med(ratios['demo']), 2)}x",
                     f"{fmt(s['hams']['p50'])}/{fmt(s['hams']['p99'])}",
                     f"{fmt(s['nginx']['p50'])}/{fmt(s['nginx']['p99'])}",
                     f"{fmt(s['hams']['cpu'], 1)}/{fmt(s['nginx']['cpu'], 1)}"])
    print(text_table(["mode", "conns", "hams req/s", "demo req/s", "nginx req/s", "hams/nginx",
                      "demo/nginx", "hams p50/p99 us", "nginx p50/p99 us", "CPU us/req hams/nginx"], rows))
    print()
    print(text_table(["target", "measured", "goal", "result"],
                     [[n, m, g_, result_word(p)] for n, m, g_, p, _ in tg]))
    print()
    print(f"bench: wrote {os.path.join(out, 'results.md')}" + (f" and {png}" if png else ""))


def main(argv):
    if len(argv) >= 2 and argv[0] == "--check":
        data = load(argv[1])
        missed = []
        for _, _, _, p, scen in targets(data):
            if scen and p is False and scen not in missed:
                missed.append(scen)
        print(" ".join(missed))
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    raw, out = argv[0], argv[1]
    use_gnuplot = "--gnuplot" in argv and argv[argv.index("--gnuplot") + 1] == "1"
    write(load(raw), raw, out, use_gnuplot)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
