//! /hams/metrics over real sockets.

mod common;

use common::*;
use hams::{Checks, Config, Hams};
use std::io::Write;
use std::time::{Duration, Instant};

fn started_metrics(callback_timeout_ms: u64) -> (Hams, u16) {
    let mut c = Config::new("m", "1");
    c.address = "127.0.0.1:0".into();
    c.metrics_callback_timeout = Duration::from_millis(callback_timeout_ms);
    let h = Hams::with_config(c).unwrap();
    h.start().unwrap();
    let port = h.port().unwrap();
    (h, port)
}

fn value(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

#[test]
fn builtin_and_application_metrics() {
    let (h, port) = started_metrics(1000);
    let _db = h.probe_manual("db", Checks::READY, false).unwrap();
    let jobs = h.counter("jobs_total", "Jobs done.", &[("queue", "a\"b")]).unwrap();
    jobs.add(3.0).unwrap();
    let lat = h.histogram("latency_seconds", "Latency.", &[0.1, 1.0], &[]).unwrap();
    lat.observe(0.05).unwrap();
    lat.observe(2.0).unwrap();
    let temp = h.gauge("temperature_celsius", "Temperature.", &[]).unwrap();
    temp.set(-4.5).unwrap();
    assert_eq!(get(port, "/hams/alive").status, 200);

    let r = get(port, "/hams/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let b = &r.body;
    assert_eq!(value(b, &format!("hams_build_info{{version=\"{}\"}}", hams::VERSION)), Some(1.0));
    assert_eq!(value(b, "hams_check_healthy{check=\"alive\"}"), Some(1.0));
    assert_eq!(value(b, "hams_check_healthy{check=\"ready\"}"), Some(0.0));
    assert_eq!(value(b, "hams_probe_healthy{check=\"ready\",probe=\"db\"}"), Some(0.0));
    assert_eq!(value(b, "hams_http_requests_total{path=\"/hams/alive\",code=\"200\"}"), Some(1.0));
    assert_eq!(value(b, "jobs_total{queue=\"a\\\"b\"}"), Some(3.0));
    assert_eq!(value(b, "latency_seconds_bucket{le=\"0.1\"}"), Some(1.0));
    assert_eq!(value(b, "latency_seconds_bucket{le=\"+Inf\"}"), Some(2.0));
    assert_eq!(value(b, "latency_seconds_count"), Some(2.0));
    assert_eq!(value(b, "temperature_celsius"), Some(-4.5));
    assert!(value(b, "process_resident_memory_bytes").unwrap() > 1e5);
    assert!(value(b, "process_open_fds").unwrap() >= 3.0);
    assert!(value(b, "process_max_fds").unwrap() >= 64.0);
    let start = value(b, "process_start_time_seconds").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(start <= now && start > now - 3600.0, "start {start} now {now}");
    for family in b.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let name = family.split(' ').next().unwrap();
        assert!(b.contains(&format!("# HELP {name} ")), "HELP for {name}");
    }
    let again = get(port, "/hams/metrics");
    assert_eq!(value(&again.body, "hams_http_requests_total{path=\"/hams/metrics\",code=\"200\"}"), Some(1.0));
}

#[test]
fn openmetrics_on_request() {
    let (h, port) = started_metrics(1000);
    let c = h.counter("ops_total", "Ops.", &[]).unwrap();
    c.add(1.0).unwrap();
    let r = get_with(port, "/hams/metrics", "Accept: application/openmetrics-text; version=1.0.0,text/plain;q=0.5\r\n");
    assert_eq!(r.header("Content-Type"), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    assert!(r.body.ends_with("# EOF\n"));
    assert!(r.body.contains("# TYPE ops counter\nops_total 1\n"), "{}", r.body);
    assert!(r.body.contains("# TYPE hams_build info\n"));
}

#[test]
fn callback_output_is_served_validated_and_timed_out() {
    let (h, port) = started_metrics(300);
    h.set_metrics_callback(Some(Box::new(|out: &mut String| {
        out.push_str("# HELP app_widgets Widgets.\n# TYPE app_widgets gauge\napp_widgets{colour=\"red\"} 7\n");
    })));
    // Two scrapes on one keep-alive connection, both with the callback's output.
    let mut s = connect(port);
    for _ in 0..2 {
        s.write_all(b"GET /hams/metrics HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        let r = read_response(&mut s, false);
        assert_eq!(value(&r.body, "app_widgets{colour=\"red\"}"), Some(7.0));
    }
    s.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, false).status, 200, "the connection goes on after a parked scrape");

    h.set_metrics_callback(Some(Box::new(|out: &mut String| out.push_str("bad metric{ 1\n"))));
    let r = get(port, "/hams/metrics");
    assert!(!r.body.contains("bad metric"));
    assert_eq!(value(&r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}"), Some(1.0));

    h.set_metrics_callback(Some(Box::new(|out: &mut String| out.push_str("hams_build_info 2\n"))));
    let r = get(port, "/hams/metrics");
    assert_eq!(
        value(&r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}"),
        Some(2.0),
        "built-in names are refused"
    );

    h.set_metrics_callback(Some(Box::new(|out: &mut String| {
        std::thread::sleep(Duration::from_millis(1500));
        out.push_str("late 1\n");
    })));
    let t = Instant::now();
    let r = get(port, "/hams/metrics");
    assert!(t.elapsed() < Duration::from_millis(1200), "answered after the 300 ms timeout");
    assert!(!r.body.contains("late 1"));
    assert_eq!(value(&r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}"), Some(1.0));
    let t = Instant::now();
    assert_eq!(get(port, "/hams/alive").status, 200);
    assert!(t.elapsed() < Duration::from_millis(200), "probes answer at once meanwhile");
    h.set_metrics_callback(None);
}
