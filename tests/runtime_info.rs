//! `Hams::set_runtime`: the runtime and binding in `/hams/version` and as
//! `hams_build_info` labels, validation, and only while stopped.

mod common;

use common::get;
use hams::{Config, ErrorKind, Hams};

fn stopped() -> Hams {
    let mut config = Config::new("orders", "1.2.3");
    config.address = "127.0.0.1:0".into();
    Hams::with_config(config).expect("new")
}

#[test]
fn runtime_shown_when_set() {
    let h = stopped();
    h.set_runtime("Rust 1.80", "my-lib", "0.9.0").expect("set_runtime");
    h.start().expect("start");
    let port = h.port().expect("port");
    let r = get(port, "/hams/version");
    assert_eq!(r.status, 200);
    let want = format!(
        r#"{{"service":"orders","version":"1.2.3","runtime":"Rust 1.80","library":"my-lib","library_version":"0.9.0","hams_version":"{}"}}"#,
        hams::VERSION
    );
    assert_eq!(r.body, want);
    let m = get(port, "/hams/metrics").body;
    let line = format!(
        r#"hams_build_info{{version="{}",runtime="Rust 1.80",library="my-lib",library_version="0.9.0"}} 1"#,
        hams::VERSION
    );
    assert!(m.contains(&line), "{m}");
}

#[test]
fn runtime_only_while_stopped() {
    let h = stopped();
    h.start().expect("start");
    let e = h.set_runtime("Rust", "lib", "1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State);
    assert!(e.message().contains("before hams_start"), "{}", e.message());
    h.stop().expect("stop");
    h.set_runtime("Rust", "lib", "1").expect("after stop");
}

#[test]
fn runtime_validated() {
    let h = stopped();
    for (r, l, v) in [("", "l", "1"), ("r", "l\n", "1"), ("r", "l", "\u{7f}"), ("r", &"x".repeat(129), "1")] {
        assert_eq!(h.set_runtime(r, l, v).unwrap_err().kind(), ErrorKind::Invalid, "{r:?} {l:?} {v:?}");
    }
    h.start().expect("start");
    assert!(!get(h.port().expect("port"), "/hams/version").body.contains("runtime"));
}
