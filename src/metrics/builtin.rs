//! hams' own metrics: build info, check and probe health, metrics callback
//! failures, and the standard process metrics read from /proc.

use super::collector::{Collector, Failure};
use super::expose::{Type, Writer};
use crate::health::decide::{decide, passes, Source};
use crate::health::exclude::Excludes;
use crate::health::probe_registry::ProbeRegistry;
use crate::health::Check;
use crate::runtime_info::RuntimeInfo;
use std::io::Read;
use std::sync::OnceLock;

/// Writes the built-in families; `server` writes the HTTP server's own
/// (between the health and the callback families, where they always were).
pub(crate) fn render(
    w: &mut Writer,
    now_ns: u64,
    probes: &ProbeRegistry,
    collector: &Collector,
    runtime: Option<&RuntimeInfo>,
    server: &dyn Fn(&mut Writer),
) {
    w.header("hams_build_info", "hams library build information.", Type::Info);
    // The runtime labels only when a binding set them: a plain C program's
    // series stays exactly what it was.
    let rt = runtime.into_iter().flat_map(|r| {
        [
            ("runtime", r.runtime.as_str()),
            ("library", r.library.as_str()),
            ("library_version", r.library_version.as_str()),
        ]
    });
    w.sample("hams_build_info", "", [("version", crate::VERSION)].into_iter().chain(rt), None, 1.0);

    let reg = probes;
    w.header("hams_check_healthy", "Whether a health check passes (1) or fails (0).", Type::Gauge);
    for check in Check::ALL {
        let ok = passes(reg, check, now_ns);
        w.sample("hams_check_healthy", "", [("check", check.name())].into_iter(), None, f64::from(u8::from(ok)));
    }
    w.header("hams_probe_healthy", "Whether a probe passes (1) or fails (0), per check it takes part in.", Type::Gauge);
    for check in Check::ALL {
        decide(reg, check, &mut Excludes::none(), now_ns, |e| {
            if e.source == Source::Probe {
                let v = f64::from(u8::from(e.verdict.is_ok()));
                w.sample("hams_probe_healthy", "", [("check", check.name()), ("probe", e.name)].into_iter(), None, v);
            }
        });
    }

    if let Some((attached, _)) = reg.workers() {
        w.header("hams_workers", "Worker processes attached to this tree (workers mode).", Type::Gauge);
        w.sample("hams_workers", "", std::iter::empty(), None, f64::from(attached));
    }

    server(w);

    w.header(
        "hams_metrics_callback_failures_total",
        "Scrapes served without the metrics callback's output, by reason.",
        Type::Counter,
    );
    for f in Failure::ALL {
        let n = collector.failures(f);
        w.sample("hams_metrics_callback_failures_total", "", [("reason", f.label())].into_iter(), None, n as f64);
    }

    process(w);
}

fn sysconf(name: libc::c_int) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(name) };
    if v > 0 {
        v as f64
    } else {
        0.0
    }
}

/// Seconds since the epoch at boot, from /proc/stat (read once).
fn boot_time() -> f64 {
    static BTIME: OnceLock<f64> = OnceLock::new();
    *BTIME.get_or_init(|| {
        std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse().ok())))
            .unwrap_or(0.0)
    })
}

fn process(w: &mut Writer) {
    let mut stat = [0u8; 1024];
    let n = std::fs::File::open("/proc/self/stat").and_then(|mut f| f.read(&mut stat)).unwrap_or(0);
    let text = std::str::from_utf8(&stat[..n]).unwrap_or("");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = text.rfind(')').map_or("", |i| &text[i + 1..]);
    let field = |k: usize| after.split_ascii_whitespace().nth(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // stat(5) numbering: utime 14, stime 15, starttime 22, vsize 23, rss 24; `after` starts at field 3.
    let ticks = sysconf(libc::_SC_CLK_TCK).max(1.0);
    let cpu = (field(11) + field(12)) / ticks;
    let start = boot_time() + field(19) / ticks;
    let vsize = field(20);
    let rss = field(21) * sysconf(libc::_SC_PAGESIZE);

    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into `lim`.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };

    let none = || std::iter::empty::<(&str, &str)>();
    w.header("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Type::Counter);
    w.sample("process_cpu_seconds_total", "", none(), None, cpu);
    w.header("process_resident_memory_bytes", "Resident memory size in bytes.", Type::Gauge);
    w.sample("process_resident_memory_bytes", "", none(), None, rss);
    w.header("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::Gauge);
    w.sample("process_virtual_memory_bytes", "", none(), None, vsize);
    w.header("process_open_fds", "Number of open file descriptors.", Type::Gauge);
    w.sample("process_open_fds", "", none(), None, open_fds());
    w.header("process_max_fds", "Maximum number of open file descriptors.", Type::Gauge);
    w.sample("process_max_fds", "", none(), None, lim.rlim_cur as f64);
    w.header("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Type::Gauge);
    w.sample("process_start_time_seconds", "", none(), None, start);
}

fn open_fds() -> f64 {
    // SAFETY: opendir/readdir/closedir on a fixed path; entries are not kept.
    unsafe {
        let dir = libc::opendir(c"/proc/self/fd".as_ptr());
        if dir.is_null() {
            return 0.0;
        }
        let mut n = 0;
        while !libc::readdir(dir).is_null() {
            n += 1;
        }
        libc::closedir(dir);
        // ".", ".." and the directory's own descriptor.
        (n - 3).max(0) as f64
    }
}
