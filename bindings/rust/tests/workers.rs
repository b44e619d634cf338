//! Workers mode over the system libhams: a parent in workers mode and a
//! worker process (this test binary again, as a spawned program would be)
//! that joins with `hams::attach()`. Its own test binary: `set_workers`
//! changes this process's environment.

use hams::{Aggregation, Checks, ErrorKind, Hams};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the worker's environment: run `worker_entry` for real.
const WORKER: &str = "HAMS_SYSTEM_TEST_WORKER";
/// What the worker prints once its metrics and probe are made.
const READY: &str = "worker ready";

fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let status = text.get(9..12).and_then(|c| c.parse().ok()).expect("status line");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

/// The value of the sample `series` in the parent's /hams/metrics.
fn sample(port: u16, series: &str) -> Option<f64> {
    let body = get(port, "/hams/metrics").1;
    let line = body.lines().find(|l| l.strip_prefix(series).is_some_and(|rest| rest.starts_with(' ')))?;
    line[series.len()..].trim().parse().ok()
}

fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !cond() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The worker: joins, registers, says "ready", and lives until stdin closes.
#[test]
fn worker_entry() {
    if std::env::var_os(WORKER).is_none() {
        return;
    }
    let h = hams::attach().expect("attach");
    assert_eq!(h.start().map_err(|e| e.kind()), Err(ErrorKind::State));
    let level = h.gauge("sys_level", "Summed over workers.", &[]).expect("gauge");
    level.set_aggregation(Aggregation::Sum).expect("aggregation");
    level.set(2.0).expect("set");
    assert!(level.set_aggregation(Aggregation::Max).is_err(), "too late after an update");
    let depth = h.gauge_vec("sys_depth", "Largest per queue.", &["queue"]).expect("gauge vec");
    depth.set_aggregation(Aggregation::Max).expect("vec aggregation");
    depth.with(&["mail"]).expect("series").set(5.0).expect("set");
    let jobs = h.counter_vec("sys_jobs_total", "Jobs.", &["queue"]).expect("counter vec");
    jobs.with(&["mail"]).expect("series").add(3.0).expect("add");
    let _probe = h.probe_manual("child", Checks::READY, true).expect("probe");
    // On the line libtest began with "test worker_entry ... ".
    println!("{READY}");
    std::io::stdout().flush().expect("flush");
    let mut rest = String::new();
    let _ = std::io::stdin().read_to_string(&mut rest);
}

#[test]
fn a_spawned_worker_attaches_and_shows_in_the_parent() {
    // Outside workers mode attach() fails, naming the variable.
    std::env::remove_var("HAMS_WORKERS");
    let e = hams::attach().expect_err("no workers mode yet");
    assert_eq!(e.kind(), ErrorKind::State);
    assert!(e.message().contains("HAMS_WORKERS"), "{e}");

    let h = Hams::new("sys-workers", "1").expect("new");
    h.set_address("127.0.0.1:0").expect("address");
    h.set_workers(true).expect("workers");
    assert!(std::env::var_os("HAMS_WORKERS").is_some());
    h.start().expect("start");
    // Once on, workers mode stays on (on again is harmless).
    assert_eq!(h.set_workers(false).map_err(|e| e.kind()), Err(ErrorKind::State));
    let port = h.port().expect("port");

    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "worker_entry", "--nocapture", "--test-threads=1"])
        .env(WORKER, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the worker");
    let pid = child.id();
    // A worker that never gets ready must not hang the suite.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        // SAFETY: a signal to the worker's pid (at worst one already reaped).
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.contains(READY))), "the worker did not get ready");

    // Metrics are shared memory: exact at once.
    assert_eq!(sample(port, "sys_level"), Some(2.0));
    assert_eq!(sample(port, "sys_depth{queue=\"mail\"}"), Some(5.0));
    assert_eq!(sample(port, "sys_jobs_total{queue=\"mail\"}"), Some(3.0));
    // The parent sees the new worker and its probe within a second.
    assert!(eventually(|| sample(port, "hams_workers") == Some(1.0)));
    let probe = format!("[+]child@{pid} ok");
    assert!(eventually(|| get(port, "/hams/ready?verbose").1.contains(&probe)), "no {probe}");
    assert_eq!(get(port, &format!("/hams/ready/child@{pid}")).0, 200);

    drop(child.stdin.take());
    assert!(child.wait().expect("wait").success(), "the worker's assertions failed");
    assert!(eventually(|| !get(port, "/hams/ready?verbose").1.contains(&probe)), "the probe stayed");
    assert!(eventually(|| sample(port, "hams_workers") == Some(0.0)));
    assert_eq!(sample(port, "sys_jobs_total{queue=\"mail\"}"), Some(3.0));
}
