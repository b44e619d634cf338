//! Workers mode in one process, over real sockets: the parent serves what
//! an attached handle registers (the same process plays the worker; the
//! real process trees, forked and spawned, are tested from C, Python and
//! Node), and every call that is not allowed says why. One test, because
//! the environment variable it sets is process-wide.

mod common;

use common::*;
use hams::{Aggregation, Checks, Config, ErrorKind, Hams};
use std::time::{Duration, Instant};

fn attach_err() -> hams::Error {
    match hams::attach() {
        Ok(_) => panic!("attached without a tree"),
        Err(e) => e,
    }
}

fn wait_for(port: u16, path: &str, what: impl Fn(&Response) -> bool) -> Response {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = get(port, path);
        if what(&r) || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_parent_serves_its_workers() {
    std::env::remove_var(hams::WORKERS_ENV);
    let e = attach_err();
    assert_eq!(e.kind(), ErrorKind::State);
    assert!(e.message().contains("HAMS_WORKERS"), "{e}");
    std::env::set_var(hams::WORKERS_ENV, "1:2");
    assert!(attach_err().message().contains("<pid>:<fd>:<token>"));
    std::env::set_var(hams::WORKERS_ENV, "999999999:3:abc");
    assert_eq!(attach_err().kind(), ErrorKind::Io, "no such process");

    // Not after a metric, not after start.
    let late = Hams::new("late", "1").unwrap();
    let _c = late.counter("x_total", "X.", &[]).unwrap();
    assert!(late.set_workers(true).unwrap_err().message().contains("before any metric"));

    let mut config = Config::new("tree", "1");
    config.address = "127.0.0.1:0".into();
    config.workers.enabled = true;
    config.workers.min_ready = 1;
    let parent = Hams::with_config(config).unwrap();
    parent.start().unwrap();
    assert!(parent.set_workers(false).is_err(), "cannot leave workers mode");
    let port = parent.port().unwrap();
    let env = std::env::var(hams::WORKERS_ENV).unwrap();
    assert!(env.starts_with(&format!("{}:", std::process::id())), "{env}");
    let requests = parent.counter_vec("req_total", "Requests.", &["code"]).unwrap();
    requests.with(&["200"]).unwrap().add(1.0).unwrap();

    let r = get(port, "/hams/ready?verbose");
    assert_eq!(r.status, 503, "min_ready 1 and no worker: {}", r.body);
    assert!(r.body.contains("[-]workers failed: fewer workers attached than workers.min_ready"), "{}", r.body);

    let worker = hams::attach().unwrap();
    assert!(worker.is_worker());
    for e in [worker.start().unwrap_err(), worker.port().unwrap_err(), worker.handle_signals(true).unwrap_err()] {
        assert_eq!(e.kind(), ErrorKind::State);
        assert!(e.message().contains("worker"), "{e}");
    }
    assert!(!worker.shutdown() && !worker.wait(Some(Duration::ZERO)));
    let wreq = worker.counter_vec("req_total", "Requests.", &["code"]).unwrap();
    wreq.with(&["200"]).unwrap().add(10.0).unwrap();
    wreq.with(&["500"]).unwrap().add(1.0).unwrap();
    let temp = worker.gauge_vec("temp", "T.", &[]).unwrap();
    temp.set_aggregation(Aggregation::Sum).unwrap();
    temp.with(&[]).unwrap().set(4.0).unwrap();
    let probe = worker.probe_manual("loop", Checks::READY, true).unwrap();

    let name = format!("loop@{}", std::process::id());
    let r = wait_for(port, "/hams/ready?verbose", |r| r.status == 200);
    assert!(r.body.contains(&format!("[+]{name} ok")), "{}", r.body);
    let m = get(port, "/hams/metrics").body;
    for want in ["req_total{code=\"200\"} 11", "req_total{code=\"500\"} 1", "temp 4", "hams_workers 1"] {
        assert!(m.lines().any(|l| l == want), "{want} in\n{m}");
    }
    probe.set(false, Some("stuck\non a lock")).unwrap();
    let r = get(port, &format!("/hams/ready/{name}"));
    assert_eq!(r.status, 503, "a worker's probe decides at once: {}", r.body);
    let r = get(port, "/hams/ready?verbose");
    assert!(r.body.contains(&format!("[-]{name} failed: stuck on a lock")), "{}", r.body);
    drop(probe);
    let r = wait_for(port, "/hams/ready?verbose", |r| !r.body.contains(&name));
    assert_eq!(r.status, 200, "an unregistered worker probe leaves: {}", r.body);
    drop((parent, requests));
    assert!(std::env::var(hams::WORKERS_ENV).is_err(), "the parent's end takes the variable back");
}
