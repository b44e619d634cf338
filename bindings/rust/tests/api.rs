//! The safe API over the system libhams, checked over HTTP.

use hams::{Checks, Config, ErrorKind, Hams, ProbeDecl, ProbeKind};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `GET path` on a fresh connection: (status, body).
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

/// Polls until `GET path` answers `status` with `needle` in its body.
fn until(port: u16, path: &str, status: u16, needle: &str) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = get(port, path);
        if (got.0 == status && got.1.contains(needle)) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn started(name: &str) -> Hams {
    let h = Hams::new(name, "1.0.0").expect("new");
    h.set_address("127.0.0.1:0").expect("address");
    h
}

#[test]
fn probes_of_every_kind_are_served() {
    let h = started("sys-probes");
    let db = h.probe_manual("db", Checks::READY, false).expect("manual");
    let lp = h.probe_kick("loop", Checks::ALIVE, 60_000).expect("kick");
    let fail = Arc::new(AtomicBool::new(false));
    let f = fail.clone();
    let _disk = h
        .probe_callback("disk", Checks::READY, 20, 1000, move || {
            if f.load(Ordering::Relaxed) {
                Err("disk full".into())
            } else {
                Ok(())
            }
        })
        .expect("callback");
    h.start().expect("start");
    assert!(h.is_running());
    let port = h.port().expect("port");
    assert_eq!(db.name(), "db");
    assert_eq!(lp.checks(), Checks::ALIVE);

    let (status, body) = until(port, "/hams/ready?verbose", 503, "[+]disk ok");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("[-]db failed"), "{body}");
    db.set(true, None).expect("set");
    lp.kick().expect("kick");
    let (status, body) = until(port, "/hams/ready?verbose", 200, "[+]db ok");
    assert_eq!(status, 200, "{body}");
    fail.store(true, Ordering::Relaxed);
    let (status, body) = until(port, "/hams/ready?verbose", 503, "[-]disk failed: disk full");
    assert!(body.contains("[-]disk failed: disk full"), "{status} {body}");
    assert_eq!(get(port, "/hams/alive").0, 200);
    h.stop().expect("stop");
    assert!(!h.is_running());
}

#[test]
fn errors_carry_the_library_message_and_kind() {
    let h = started("sys-errors");
    let e = h.probe_manual("bad name", Checks::READY, true).expect_err("invalid name");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("probe name \"bad name\" has the character ' '"), "{e}");
    assert_eq!(h.port().expect_err("not started").kind(), ErrorKind::State);
    assert_eq!(h.probe_manual("nul\0", Checks::READY, true).expect_err("NUL").kind(), ErrorKind::Invalid);
    let m = h.gauge("temperature", "Degrees.", &[]).expect("gauge");
    assert!(m.add(1.0).expect_err("a gauge is no counter").to_string().contains("is a gauge"));
}

#[test]
fn metrics_and_the_metrics_callback_are_exposed() {
    let h = started("sys-metrics");
    let jobs = h.counter("jobs_total", "Jobs done.", &[("queue", "mail")]).expect("counter");
    let temp = h.gauge("temperature", "Degrees.", &[]).expect("gauge");
    let lat = h.histogram("job_seconds", "Latency.", &[0.5, 1.0], &[]).expect("histogram");
    jobs.add(2.0).expect("add");
    temp.set(21.5).expect("set");
    temp.gauge_add(-1.0).expect("gauge_add");
    lat.observe(0.7).expect("observe");
    h.set_metrics_callback(Some(Box::new(|out: &mut String| {
        out.push_str("# TYPE extra gauge\nextra 7\n");
    })));
    h.start().expect("start");
    let (status, body) = get(h.port().expect("port"), "/hams/metrics");
    assert_eq!(status, 200);
    for line in ["jobs_total{queue=\"mail\"} 2", "temperature 20.5", "job_seconds_bucket{le=\"1\"} 1", "extra 7"] {
        assert!(body.contains(line), "no `{line}` in\n{body}");
    }
    h.set_metrics_callback(None);
    drop(jobs);
    let body = get(h.port().expect("port"), "/hams/metrics").1;
    assert!(!body.contains("jobs_total{") && !body.contains("extra 7"), "{body}");
}

#[test]
fn a_config_declares_probes_and_the_drain() {
    let mut config = Config::new("sys-config", "2.0.0");
    config.address = "127.0.0.1:0".into();
    config.shutdown.drain = Duration::from_millis(50);
    config.probes.push(ProbeDecl {
        name: "warm".into(),
        checks: Checks::READY,
        kind: ProbeKind::Manual { healthy: false },
    });
    let h = Hams::with_config(config).expect("with_config");
    assert_eq!(h.declared_probe_names(), ["warm"]);
    let warm = h.take_probe("warm").expect("declared");
    assert!(h.take_probe("warm").is_none());
    assert_eq!(warm.checks(), Checks::READY);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    h.on_shutdown(move || r.store(true, Ordering::SeqCst)).expect("on_shutdown");
    h.start().expect("start");
    let port = h.port().expect("port");
    assert!(get(port, "/hams/version").1.contains("\"service\":\"sys-config\""));
    assert_eq!(get(port, "/hams/ready").0, 503);
    warm.set(true, None).expect("set");
    assert_eq!(get(port, "/hams/ready").0, 200);
    assert!(!h.wait(Some(Duration::from_millis(10))));
    assert!(h.shutdown());
    assert_eq!(get(port, "/hams/ready").0, 503, "readiness fails at once");
    assert!(h.wait(Some(Duration::from_secs(5))));
    assert!(ran.load(Ordering::SeqCst), "the shutdown callback ran after the drain");

    let mut bad = Config::new("sys-config", "2.0.0");
    bad.address = "nowhere".into();
    assert_eq!(Hams::with_config(bad).expect_err("bad address").kind(), ErrorKind::Config);
}

#[test]
fn handles_may_outlive_their_server() {
    let h = started("sys-outlive");
    let p = h.probe_manual("p", Checks::ALIVE, true).expect("manual");
    let m = h.counter("c_total", "C.", &[]).expect("counter");
    let c = h.probe_callback("cb", Checks::READY, 10, 100, || Ok(())).expect("callback");
    drop(h);
    // The server and its handles are gone: these are no-ops, not use-after-free.
    p.set(false, Some("late")).expect("set after free");
    p.kick().expect("kick after free");
    m.add(1.0).expect("add after free");
    drop((p, m, c));
}

#[test]
fn a_yaml_configuration_declares_probes_for_take_probe() {
    let yaml = "service: {name: sys-yaml, version: '1'}\nserver: {address: '127.0.0.1:0'}\n\
                probes:\n  - {name: loop, type: kick, checks: [alive], margin_ms: 60000}\n";
    let h = Hams::from_yaml(yaml).expect("from_yaml");
    let made = h.probe_manual("made", Checks::READY, true).expect("manual");
    assert!(h.take_probe("made").is_none(), "a probe made here has its owner already");
    let lp = h.take_probe("loop").expect("declared");
    assert!(h.take_probe("loop").is_none(), "handed over once");
    lp.kick().expect("kick");
    h.start().expect("start");
    assert_eq!(get(h.port().expect("port"), "/hams/alive").0, 200);
    drop((made, lp));
    let e = Hams::from_file("/nonexistent/hams.yaml").expect_err("no file");
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn log_records_reach_a_rust_logger() {
    let records = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let r = records.clone();
    let logger: hams::logging::LogCallback =
        Box::new(move |level, target, message| r.lock().expect("lock").push(format!("{level} {target} {message}")));
    hams::logging::set_logger(Some(logger), 5).expect("set_logger");
    let mut config = Config::new("sys-log", "1");
    config.shutdown.endpoint = true; // without a token: hams warns
    drop(Hams::with_config(config).expect("with_config"));
    hams::logging::set_logger(None, 2).expect("back to stderr");
    let got = records.lock().expect("lock").clone();
    assert!(got.iter().any(|l| l.starts_with("2 hams::shutdown") && l.contains("without a token")), "{got:?}");
    assert!(hams::logging::set_logger(None, 9).is_err());
}

#[test]
fn a_borrowed_handle_adds_probes_to_the_owner_server() {
    let owner = started("sys-borrow");
    owner.start().expect("start");
    // SAFETY: `owner` outlives `guest` and what is made through it.
    let guest = unsafe { Hams::from_ptr(owner.as_ptr()) }.expect("from_ptr");
    let p = guest.probe_manual("guest", Checks::READY, false).expect("manual");
    p.set(false, Some("not\0yet")).expect("a NUL is shown as a space");
    let port = owner.port().expect("port");
    let body = get(port, "/hams/ready?verbose").1;
    assert!(body.contains("[-]guest failed: not yet"), "{body}");
    drop(p);
    drop(guest);
    assert_eq!(get(port, "/hams/ready").0, 200, "the guest's probe is gone, the server is not");
    // SAFETY: NULL is refused before use.
    assert_eq!(unsafe { Hams::from_ptr(std::ptr::null_mut()) }.expect_err("NULL").kind(), ErrorKind::Null);
}

#[test]
fn vecs_native_histograms_and_bucket_helpers() {
    let h = started("sys-vecs");
    let requests = h.counter_vec("app_requests_total", "Requests.", &["path", "code"]).expect("counter_vec");
    assert_eq!(requests.label_names().collect::<Vec<_>>(), ["path", "code"]);
    let ok = requests.with(&["/", "200"]).expect("with");
    assert!(ok.is_vec_member());
    assert_eq!(ok.label_values().collect::<Vec<_>>(), ["/", "200"]);
    ok.add(2.0).expect("add");
    requests.with(&["/", "500"]).expect("with").add(1.0).expect("add");
    assert!(requests.with(&["/"]).is_err(), "one value per label name");
    let queued = h.gauge_vec("queued", "Queued.", &["queue"]).expect("gauge_vec");
    queued.with(&["mail"]).expect("with").set(4.0).expect("set");
    let buckets = hams::buckets_linear(0.5, 0.5, 2).expect("linear");
    assert_eq!(buckets, [0.5, 1.0]);
    assert_eq!(hams::buckets_exponential(1.0, 10.0, 3).expect("exponential"), [1.0, 10.0, 100.0]);
    assert!(hams::buckets_linear(1.0, 1.0, 100_000).is_err());
    let latency = h.histogram_vec("latency_seconds", "Latency.", &buckets, &["path"]).expect("histogram_vec");
    latency.with(&["/"]).expect("with").observe(0.7).expect("observe");
    let defaults = h.histogram_vec("default_seconds", "Defaults.", &hams::DEFAULT_BUCKETS, &["x"]).expect("defaults");
    defaults.with(&["y"]).expect("with").observe(0.3).expect("observe");
    let native = h.histogram_native("native_seconds", "Native.", 1.1, 0, &[]).expect("native");
    native.observe(-1.0).expect("native takes negative observations");
    let native_l = h.histogram_native("native_l_seconds", "Native.", 1.1, 100, &[("a", "b")]).expect("labelled");
    native_l.observe(2.0).expect("observe");
    assert!(!native_l.is_vec_member(), "it owns its vec");
    h.start().expect("start");
    let port = h.port().expect("port");
    let body = get(port, "/hams/metrics").1;
    for line in [
        "app_requests_total{path=\"/\",code=\"200\"} 2",
        "app_requests_total{path=\"/\",code=\"500\"} 1",
        "queued{queue=\"mail\"} 4",
        "latency_seconds_bucket{path=\"/\",le=\"1\"} 1",
        "default_seconds_bucket{x=\"y\",le=\"0.5\"} 1",
        "native_seconds_count 1",
        "native_l_seconds_count{a=\"b\"} 1",
    ] {
        assert!(body.contains(line), "no `{line}` in\n{body}");
    }
    requests.remove(&["/", "500"]).expect("remove");
    assert!(requests.remove(&["/", "500"]).is_err(), "removed already");
    let body = get(port, "/hams/metrics").1;
    assert!(!body.contains("code=\"500\""), "{body}");
    ok.add(1.0).expect("a kept series still counts");
    assert!(get(port, "/hams/metrics").1.contains("app_requests_total{path=\"/\",code=\"200\"} 3"));
    drop(requests);
    ok.add(1.0).expect("a series of a dropped vec is a no-op");
    assert!(!get(port, "/hams/metrics").1.contains("app_requests_total{"));
}

#[test]
fn the_runtime_is_named_in_the_version_document() {
    let h = Hams::new("rt", "1.0").unwrap();
    h.set_address("127.0.0.1:0").unwrap();
    assert_eq!(h.set_runtime("Rust", "", "1").unwrap_err().kind(), ErrorKind::Invalid);
    h.set_runtime("Rust", "hams-system", "0.1.0").unwrap();
    h.start().unwrap();
    let (status, body) = get(h.port().unwrap(), "/hams/version");
    assert_eq!(status, 200);
    assert!(body.contains(r#""runtime":"Rust","library":"hams-system","library_version":"0.1.0""#), "{body}");
    assert_eq!(h.set_runtime("Rust", "x", "1").unwrap_err().kind(), ErrorKind::State);
}
