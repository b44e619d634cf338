//! The HTTP server over real sockets on 127.0.0.1.

mod common;

use common::*;
use hams::{Checks, Hams, Limits};
use std::io::Write;
use std::time::{Duration, Instant};

#[test]
fn checks_pass_with_no_probes() {
    let (_h, port) = started("empty");
    for check in ["alive", "ready", "startup"] {
        let r = get(port, &format!("/hams/{check}"));
        assert_eq!((r.status, r.body.as_str()), (200, "ok"), "{check}");
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
        assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(r.header("Connection"), Some("close"));
    }
    let r = get_with(port, "/hams/alive", "Accept: application/json\r\n");
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":"UP","checks":[]}"#));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
}

#[test]
fn failing_probe_is_named_and_verbose_lists_all() {
    let (h, port) = started("svc");
    let _ping = h.probe_manual("ping", Checks::ALIVE | Checks::READY, true).unwrap();
    let db = h.probe_manual("db", Checks::READY, false).unwrap();
    db.set(false, Some("connection refused")).unwrap();

    let r = get(port, "/hams/ready");
    assert_eq!(r.status, 503);
    assert_eq!(r.body, "[+]ping ok\n[-]db failed: connection refused\nready check failed\n");
    let r = get(port, "/hams/alive");
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let r = get(port, "/hams/alive?verbose");
    assert_eq!((r.status, r.body.as_str()), (200, "[+]ping ok\nalive check passed\n"));

    let r = get(port, "/hams/ready?exclude=db&exclude=ghost&verbose=1");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        "[+]ping ok\n[+]db excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"ghost\"\nready check passed\n"
    );

    let r = get_with(port, "/hams/ready", "Accept: application/json\r\n");
    assert_eq!(r.status, 503);
    assert_eq!(
        r.body,
        r#"{"status":"DOWN","checks":[{"name":"ping","status":"UP"},{"name":"db","status":"DOWN","reason":"connection refused"}]}"#
    );

    db.set(true, None).unwrap();
    assert_eq!(get(port, "/hams/ready").status, 200);
}

#[test]
fn single_probe_endpoint() {
    let (h, port) = started("svc");
    let db = h.probe_manual("db", Checks::READY, true).unwrap();
    let r = get(port, "/hams/ready/db");
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    db.set(false, Some("gone")).unwrap();
    let r = get(port, "/hams/ready/db");
    assert_eq!((r.status, r.body.as_str()), (503, "[-]db failed: gone\n"));
    assert_eq!(get(port, "/hams/alive/db").status, 404, "db is not in the alive check");
    assert_eq!(get(port, "/hams/ready/nope").status, 404);
    assert_eq!(get(port, "/hams/ready/db/extra").status, 404);
    drop(db);
    assert_eq!(get(port, "/hams/ready/db").status, 404, "a dropped probe is gone");
}

#[test]
fn reasons_cannot_inject_headers_or_lines() {
    let (h, port) = started("svc");
    let p = h.probe_manual("x", Checks::ALIVE, true).unwrap();
    p.set(false, Some("bad\r\nSet-Cookie: a=b\r\n\r\n[+]fake ok")).unwrap();
    let r = get(port, "/hams/alive");
    assert!(r.header("Set-Cookie").is_none());
    assert_eq!(r.body, "[-]x failed: bad  Set-Cookie: a=b    [+]fake ok\nalive check failed\n");
}

#[test]
fn startup_gates_readiness_and_latches() {
    let (h, port) = started("svc");
    let warm = h.probe_manual("warmup", Checks::STARTUP | Checks::READY, false).unwrap();
    assert_eq!(get(port, "/hams/startup").status, 503);
    let r = get(port, "/hams/ready");
    assert_eq!(r.status, 503);
    assert!(r.body.contains("[-]startup failed: startup check has not passed yet\n"), "{}", r.body);
    warm.set(true, None).unwrap();
    assert_eq!(get(port, "/hams/ready").status, 200);
    warm.set(false, Some("flapping")).unwrap();
    assert_eq!(get(port, "/hams/startup").status, 200, "startup stays passed");
    assert_eq!(get(port, "/hams/ready").status, 503, "readiness follows the probe itself");
}

#[test]
fn version_document() {
    let (_h, port) = started("orders");
    let r = get(port, "/hams/version");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.body, format!(r#"{{"service":"orders","version":"1.2.3","hams_version":"{}"}}"#, hams::VERSION));
}

#[test]
fn unknown_paths_and_methods() {
    let (_h, port) = started("svc");
    for path in ["/", "/hams", "/hams/", "/hams/alive/", "/hams/aliveX", "/hams/alive/anything/more", "/healthz"] {
        assert_eq!(get(port, path).status, 404, "{path}");
    }
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let mut s = connect(port);
        write!(s, "{method} /hams/alive HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").unwrap();
        let r = read_response(&mut s, false);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("Allow"), Some("GET, HEAD"));
    }
    let mut s = connect(port);
    write!(s, "DELETE /nowhere HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, false).status, 404);
}

#[test]
fn head_has_length_but_no_body() {
    let (h, port) = started("svc");
    let _p = h.probe_manual("p", Checks::ALIVE, false).unwrap();
    let mut s = connect(port);
    write!(s, "HEAD /hams/alive HTTP/1.1\r\nHost: a\r\n\r\nGET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let head = read_response(&mut s, true);
    let get = read_response(&mut s, false);
    assert_eq!((head.status, get.status), (503, 503));
    assert_eq!(head.header("Content-Length").unwrap(), get.body.len().to_string());
}

#[test]
fn keep_alive_many_requests_on_one_connection() {
    let (_h, port) = started("svc");
    let mut s = connect(port);
    for i in 0..50 {
        let path = ["/hams/alive", "/hams/ready", "/hams/version", "/missing"][i % 4];
        write!(s, "GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        let r = read_response(&mut s, false);
        assert_eq!(r.status, if i % 4 == 3 { 404 } else { 200 });
        assert_eq!(r.header("Connection"), None, "HTTP/1.1 default is persistent");
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (_h, port) = started("svc");
    let mut s = connect(port);
    let mut batch = String::new();
    for path in ["/hams/alive", "/nope", "/hams/version", "/hams/ready?verbose"] {
        batch.push_str(&format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n"));
    }
    s.write_all(batch.as_bytes()).unwrap();
    let statuses: Vec<u16> = (0..4).map(|_| read_response(&mut s, false).status).collect();
    assert_eq!(statuses, [200, 404, 200, 200]);
    // A large pipeline (more output than the server buffers at once) still completes.
    let many = "GET /hams/ready?verbose HTTP/1.1\r\nHost: a\r\n\r\n".repeat(2000);
    let writer = {
        let mut w = s.try_clone().unwrap();
        std::thread::spawn(move || w.write_all(many.as_bytes()).unwrap())
    };
    for _ in 0..2000 {
        assert_eq!(read_response(&mut s, false).status, 200);
    }
    writer.join().unwrap();
}

#[test]
fn http10_closes_unless_keep_alive() {
    let (_h, port) = started("svc");
    let mut s = connect(port);
    s.write_all(b"GET /hams/alive HTTP/1.0\r\n\r\n").unwrap();
    let r = read_response(&mut s, false);
    assert_eq!((r.status, r.header("Connection")), (200, Some("close")));
    assert!(is_closed(&mut s));

    let mut s = connect(port);
    for _ in 0..3 {
        s.write_all(b"GET /hams/alive HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let r = read_response(&mut s, false);
        assert_eq!((r.status, r.header("Connection")), (200, Some("keep-alive")));
    }
}

#[test]
fn connection_close_is_honoured() {
    let (_h, port) = started("svc");
    let mut s = connect(port);
    s.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(is_closed(&mut s));
}

#[test]
fn kubelet_style_probe() {
    let (h, port) = started("svc");
    let _p = h.probe_manual("p", Checks::READY, true).unwrap();
    let out = raw(
        port,
        b"GET /hams/ready HTTP/1.1\r\nHost: 10.0.0.7:8079\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nok"), "{out}");
}

#[test]
fn malformed_requests_get_400_and_close() {
    let (_h, port) = started("svc");
    let cases: &[&[u8]] = &[
        b"GARBAGE\r\n\r\n",
        b"GET /hams/alive HTTP/1.1\r\n\r\n",                       // no Host
        b"GET /hams/alive HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", // two Hosts
        b"GET /hams/alive HTTP/2.0\r\nHost: a\r\n\r\n",
        b"GET hams/alive HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /hams/alive HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
        b"GET /hams/alive HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        b"GET /hams/alive HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", // TLS hello
    ];
    for case in cases {
        let out = raw(port, case);
        assert!(out.starts_with("HTTP/1.1 400 "), "{:?} -> {out}", String::from_utf8_lossy(case));
        assert!(out.contains("Connection: close\r\n"));
    }
    assert_eq!(get(port, "/hams/alive").status, 200, "the server still serves");
}

#[test]
fn oversized_heads_get_431_and_bodies_413() {
    let (_h, port) = started("svc");
    let big = format!("GET /hams/alive HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "a".repeat(9000));
    let out = raw(port, big.as_bytes());
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    // A head that never ends is cut off at the limit too.
    let endless = format!("GET /hams/alive HTTP/1.1\r\nHost: a\r\nX-Big: {}", "a".repeat(70_000));
    assert!(raw(port, endless.as_bytes()).starts_with("HTTP/1.1 431 "));
    let many: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
    assert!(
        raw(port, format!("GET /hams/alive HTTP/1.1\r\nHost: a\r\n{many}\r\n").as_bytes()).starts_with("HTTP/1.1 431 ")
    );
    let out = raw(port, b"POST /hams/alive HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
    assert!(out.starts_with("HTTP/1.1 413 "), "{out}");
    let out = raw(port, b"GET /hams/alive HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 413 "), "{out}");
    assert_eq!(get(port, "/hams/alive").status, 200);
}

#[test]
fn requests_split_into_single_bytes() {
    let (_h, port) = started("svc");
    let mut s = connect(port);
    for b in b"GET /hams/version HTTP/1.1\r\nHost: a\r\n\r\n" {
        s.write_all(&[*b]).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(read_response(&mut s, false).status, 200);
}

#[test]
fn connection_limit_closes_extra_connections() {
    let limits = Limits { max_connections: 3, ..Limits::default() };
    let (_h, port) = started_with("svc", limits);
    let mut held: Vec<_> = (0..3)
        .map(|_| {
            let mut s = connect(port);
            s.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
            assert_eq!(read_response(&mut s, false).status, 200);
            s
        })
        .collect();
    let mut extra = connect(port);
    let _ = extra.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(is_closed(&mut extra), "a connection past the limit is closed");
    held.pop();
    std::thread::sleep(Duration::from_millis(50));
    let r = get(port, "/hams/alive");
    assert_eq!(r.status, 200, "a slot freed by a closed connection is reused");
    let s = &mut held[0];
    s.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(read_response(s, false).status, 200, "held connections are unaffected");
}

#[test]
fn header_timeout_answers_408_and_idle_timeout_closes() {
    let limits = Limits {
        header_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let (_h, port) = started_with("svc", limits);
    let mut slow = connect(port);
    slow.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n").unwrap();
    let t = Instant::now();
    let out = read_to_close(&mut slow);
    assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
    assert!(t.elapsed() < Duration::from_secs(3));

    let mut silent = connect(port);
    assert!(is_closed(&mut silent), "a connection that never sends is closed");

    let mut idle = connect(port);
    idle.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut idle, false).status, 200);
    let t = Instant::now();
    assert!(is_closed(&mut idle));
    assert!(t.elapsed() >= Duration::from_millis(250), "not before the idle timeout");
}

#[test]
fn hung_callback_times_out_without_delaying_responses() {
    let (h, port) = started("svc");
    let release = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r2 = release.clone();
    let _slow = h
        .probe_callback("slow", Checks::READY, 50, 100, move || {
            while !r2.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        })
        .unwrap();
    let _fast = h.probe_callback("fast", Checks::READY, 20, 1000, || Ok(())).unwrap();
    std::thread::sleep(Duration::from_millis(250));
    let t = Instant::now();
    let r = get(port, "/hams/ready?verbose");
    assert!(t.elapsed() < Duration::from_millis(500), "answered at once while a check hangs");
    assert_eq!(r.status, 503);
    assert!(r.body.contains("[-]slow failed: check timed out after 100 ms\n"), "{}", r.body);
    assert!(r.body.contains("[+]fast ok\n"), "{}", r.body);
    assert_eq!(get(port, "/hams/alive").status, 200);
    release.store(true, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn callback_results_and_reasons() {
    let (h, port) = started("svc");
    let healthy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let h2 = healthy.clone();
    let _p = h
        .probe_callback("cache", Checks::READY, 10, 1000, move || {
            if h2.load(std::sync::atomic::Ordering::SeqCst) {
                Ok(())
            } else {
                Err("cache cold".into())
            }
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = get(port, "/hams/ready?verbose");
        if r.body.contains("[-]cache failed: cache cold") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", r.body);
        std::thread::sleep(Duration::from_millis(10));
    }
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    while get(port, "/hams/ready").status != 200 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn kick_probe_expires_and_recovers() {
    let (h, port) = started("svc");
    let p = h.probe_kick("loop", Checks::ALIVE, 150).unwrap();
    assert_eq!(get(port, "/hams/alive").status, 200, "healthy from creation");
    std::thread::sleep(Duration::from_millis(300));
    let r = get(port, "/hams/alive");
    assert_eq!(r.status, 503);
    assert!(r.body.contains("[-]loop failed: not kicked for "), "{}", r.body);
    p.kick().unwrap();
    assert_eq!(get(port, "/hams/alive").status, 200);
}

#[test]
fn many_instances_at_once() {
    let servers: Vec<(Hams, u16)> = (0..16).map(|i| started(&format!("svc{i}"))).collect();
    let probes: Vec<_> =
        servers.iter().enumerate().map(|(i, (h, _))| h.probe_manual("p", Checks::ALIVE, i % 2 == 0).unwrap()).collect();
    for (i, (_, port)) in servers.iter().enumerate() {
        assert_eq!(get(*port, "/hams/alive").status, if i % 2 == 0 { 200 } else { 503 });
        assert!(get(*port, "/hams/version").body.contains(&format!("\"svc{i}\"")));
    }
    drop(probes);
}

#[test]
fn bind_errors_and_state_errors() {
    let (h, port) = started("svc");
    let other = Hams::new("other", "1").unwrap();
    other.set_address(&format!("127.0.0.1:{port}")).unwrap();
    let e = other.start().unwrap_err();
    assert_eq!(e.kind(), hams::ErrorKind::Io);
    assert!(e.message().contains("in use"), "{e}");
    assert!(other.port().is_err());
    assert_eq!(h.start().unwrap_err().kind(), hams::ErrorKind::State);
    assert_eq!(h.set_address("127.0.0.1:0").unwrap_err().kind(), hams::ErrorKind::State);
    h.stop().unwrap();
    assert_eq!(h.stop().unwrap_err().kind(), hams::ErrorKind::State);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "stopped means not listening");
    h.start().unwrap();
    let port2 = h.port().unwrap();
    assert_eq!(get(port2, "/hams/alive").status, 200, "started again");
}

#[test]
fn stop_closes_open_connections() {
    let (h, port) = started("svc");
    let mut s = connect(port);
    s.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, false).status, 200);
    h.stop().unwrap();
    assert!(is_closed(&mut s));
}

#[test]
fn a_client_that_shuts_its_side_gets_its_answer_and_the_close() {
    let (_h, port) = started("svc");
    let mut s = connect(port);
    s.write_all(b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let t = Instant::now();
    let out = read_to_close(&mut s);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n") && out.ends_with("ok"), "{out}");
    assert!(t.elapsed() < Duration::from_secs(2), "closed at once, not after the idle timeout");
}
