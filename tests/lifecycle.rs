//! The graceful shutdown sequence and the shutdown endpoint, over real sockets.

mod common;

use common::*;
use hams::{Checks, Config, Hams};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn with_shutdown(drain_ms: u64, endpoint: bool, token: Option<&str>, wait_ms: u64) -> (Hams, u16) {
    let mut c = Config::new("svc", "1");
    c.address = "127.0.0.1:0".into();
    c.shutdown.drain = Duration::from_millis(drain_ms);
    c.shutdown.endpoint = endpoint;
    c.shutdown.token = token.map(str::to_string);
    c.shutdown.endpoint_wait = Duration::from_millis(wait_ms);
    let h = Hams::with_config(c).unwrap();
    h.start().unwrap();
    let port = h.port().unwrap();
    (h, port)
}

fn post(port: u16, path: &str, headers: &str) -> Response {
    let mut s = connect(port);
    write!(s, "POST {path} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n{headers}\r\n").unwrap();
    read_response(&mut s, false)
}

#[test]
fn api_shutdown_fails_readiness_then_runs_callbacks_after_the_drain() {
    let (h, port) = with_shutdown(300, false, None, 1000);
    let _p = h.probe_manual("db", Checks::READY, true).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    h.on_shutdown(move || {
        r.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    assert_eq!(get(port, "/hams/ready").status, 200);
    assert!(!h.wait(Some(Duration::ZERO)));
    let t = Instant::now();
    assert!(h.shutdown());
    let r = get(port, "/hams/ready?verbose");
    assert_eq!(r.status, 503);
    assert_eq!(r.body, "[-]shutdown failed: shutting down\n[+]db ok\nready check failed\n");
    assert_eq!(get(port, "/hams/alive").status, 200, "liveness keeps passing");
    assert_eq!(get(port, "/hams/version").status, 200, "every endpoint keeps answering");
    assert_eq!(ran.load(Ordering::SeqCst), 0, "callbacks wait for the drain");
    assert!(h.wait(Some(Duration::from_secs(5))));
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(!h.shutdown(), "a second request does nothing");
    assert!(h.on_shutdown(|| {}).is_err());
    assert_eq!(get(port, "/hams/ready").status, 503, "still not ready after the sequence");
}

#[test]
fn endpoint_is_off_by_default() {
    let (_h, port) = with_shutdown(0, false, None, 1000);
    assert_eq!(post(port, "/hams/shutdown", "").status, 404);
    assert_eq!(get(port, "/hams/ready").status, 200);
}

#[test]
fn endpoint_answers_after_callbacks_and_refuses_get() {
    let (h, port) = with_shutdown(200, true, None, 5000);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    h.on_shutdown(move || {
        std::thread::sleep(Duration::from_millis(100));
        r.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    let g = get(port, "/hams/shutdown");
    assert_eq!((g.status, g.header("Allow")), (405, Some("POST")));
    let t = Instant::now();
    let r = post(port, "/hams/shutdown", "");
    assert!(t.elapsed() >= Duration::from_millis(300), "answered only after drain and callbacks");
    assert_eq!(ran.load(Ordering::SeqCst), 1, "the callback completed before the answer");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(r.body.starts_with(r#"{"status":"done","origin":"http","drain_ms":200,"#), "{}", r.body);
    assert!(r.body.ends_with(r#""callbacks_run":1}"#), "{}", r.body);
    assert!(h.wait(Some(Duration::ZERO)));
}

#[test]
fn endpoint_gives_202_when_the_sequence_takes_longer_than_its_bound() {
    let (h, port) = with_shutdown(2000, true, None, 200);
    let t = Instant::now();
    let r = post(port, "/hams/shutdown", "");
    assert_eq!(r.status, 202);
    assert!(t.elapsed() < Duration::from_millis(1500));
    assert!(r.body.starts_with(r#"{"status":"draining","origin":"http""#), "{}", r.body);
    assert_eq!(get(port, "/hams/ready").status, 503);
    assert_eq!(get(port, "/hams/alive").status, 200);
    drop(h);
}

#[test]
fn endpoint_token_is_required_and_checked() {
    let (h, port) = with_shutdown(0, true, Some("s3cret"), 5000);
    for auth in
        ["", "Authorization: Bearer wrong\r\n", "Authorization: Basic s3cret\r\n", "Authorization: Bearer s3cre\r\n"]
    {
        let r = post(port, "/hams/shutdown", auth);
        assert_eq!(r.status, 401, "{auth:?}");
        assert_eq!(r.header("WWW-Authenticate"), Some("Bearer"));
        assert!(!h.is_shutting_down());
    }
    assert_eq!(get(port, "/hams/ready").status, 200);
    let r = post(port, "/hams/shutdown", "Authorization: Bearer s3cret\r\n");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(h.is_shutting_down());
}

#[test]
fn declared_probes_come_from_the_configuration() {
    let yaml = r"
service: {name: cfg, version: '2'}
server:
  address: 127.0.0.1:0
probes:
  - name: loop
    type: kick
    checks: [alive]
    margin_ms: 100
  - name: warm
    type: manual
    checks: [ready, startup]
";
    let h = Hams::with_config(hams::config::from_yaml(yaml).unwrap()).unwrap();
    h.start().unwrap();
    let port = h.port().unwrap();
    assert_eq!(get(port, "/hams/ready").status, 503, "warm starts unhealthy");
    let warm = h.take_probe("warm").unwrap();
    assert!(h.take_probe("warm").is_none(), "taken once");
    warm.set(true, None).unwrap();
    assert_eq!(get(port, "/hams/ready").status, 200);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(get(port, "/hams/alive").status, 503, "the declared kick probe expired");
    assert!(get(port, "/hams/version").body.contains(r#""service":"cfg","version":"2""#));
}

#[test]
fn example_configurations_load() {
    let mut found = 0;
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let hidden_or_vendored = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.') || n == "node_modules" || n == "kubernetes");
            if hidden_or_vendored {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let c = hams::config::from_file(path.to_str().unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                Hams::with_config(c).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                found += 1;
            }
        }
    }
    assert!(found >= 1, "examples/config.yaml at least");
}
