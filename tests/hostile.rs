//! Hostile clients against the real server: slowloris, floods past the
//! connection limit, clients that never read, abrupt resets. Its own binary:
//! it raises the descriptor limit and holds hundreds of sockets.

mod common;

use common::*;
use hams::Limits;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// These tests measure latency and memory under load they make themselves:
/// run side by side, each would measure the others' load as well (a flood
/// beside a latency bound), so they take turns.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn raise_fd_limit() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max.min(8192);
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}

/// A kubelet-style probe: new connection, Connection: close; its latency.
fn kubelet_probe(port: u16) -> (u16, Duration) {
    let t = Instant::now();
    let out = raw(port, b"GET /hams/ready HTTP/1.1\r\nHost: 10.0.0.1:8079\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    (out.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0), t.elapsed())
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn slowloris_does_not_delay_a_kubelet_probe() {
    let _turn = one_at_a_time();
    raise_fd_limit();
    let (_h, port) = started("slowloris");
    let mut loris: Vec<TcpStream> = (0..300).map(|_| connect(port)).collect();
    for s in &mut loris {
        s.write_all(b"GET /hams/ready HTTP/1.1\r\nHost: a\r\n").unwrap();
    }
    let mut worst = Duration::ZERO;
    for round in 0..10 {
        for s in &mut loris {
            let _ = s.write_all(format!("X-{round}: y\r\n").as_bytes());
        }
        let (status, took) = kubelet_probe(port);
        assert_eq!(status, 200);
        worst = worst.max(took);
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("slowloris: 300 dribbling connections, worst kubelet-style probe {worst:?}");
    assert!(worst < Duration::from_millis(500), "worst probe latency {worst:?} under slowloris");
}

#[test]
fn header_timeout_ends_slowloris_connections() {
    let _turn = one_at_a_time();
    let limits = Limits { header_timeout: Duration::from_millis(300), ..Limits::default() };
    let (_h, port) = started_with("slowloris2", limits);
    let mut s = connect(port);
    s.write_all(b"GET /hams/ready HTTP/1.1\r\n").unwrap();
    let t = Instant::now();
    // Dribbling bytes does not extend the deadline.
    while t.elapsed() < Duration::from_millis(600) {
        if s.write_all(b"X: y\r\n").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = read_to_close(&mut s);
    assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
}

#[test]
fn flood_past_the_connection_limit() {
    let _turn = one_at_a_time();
    raise_fd_limit();
    let limits = Limits { max_connections: 50, ..Limits::default() };
    let (_h, port) = started_with("flood", limits);
    let flood: Vec<TcpStream> = (0..400).filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let closed = flood
        .iter()
        .filter(|s| {
            let mut s = (*s).try_clone().unwrap();
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            let mut b = [0u8; 1];
            matches!(s.read(&mut b), Ok(0) | Err(_)) && !matches!(s.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut)
        })
        .count();
    println!("flood: {closed} of 400 connections closed at a limit of 50");
    assert!(closed >= 300, "only {closed} of 400 connections past the limit of 50 were closed");
    drop(flood);
    std::thread::sleep(Duration::from_millis(200));
    let (status, took) = kubelet_probe(port);
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(500));
}

#[test]
fn clients_that_never_read_cost_bounded_memory() {
    let _turn = one_at_a_time();
    raise_fd_limit();
    let (_h, port) = started("noread");
    let before = rss_kb();
    let request = b"GET /hams/ready?verbose HTTP/1.1\r\nHost: a\r\n\r\n".repeat(2000);
    let writers: Vec<_> = (0..20)
        .map(|_| {
            let request = request.clone();
            let mut s = connect(port);
            s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    if s.write_all(&request).is_err() {
                        break; // the server stopped reading: buffers are full
                    }
                }
                s
            })
        })
        .collect();
    let held: Vec<TcpStream> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let grown = rss_kb().saturating_sub(before);
    println!("no-read: 20 clients pipelining 1.8 MB each without reading: RSS +{grown} KiB");
    // 20 connections with full kernel buffers; the server keeps at most
    // ~64 KiB of output and one read of input per connection.
    assert!(grown < 16 * 1024, "RSS grew {grown} KiB for 20 non-reading clients");
    let (status, took) = kubelet_probe(port);
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(500), "{took:?}");
    drop(held);
}

#[test]
fn abrupt_resets_mid_request() {
    let _turn = one_at_a_time();
    let (_h, port) = started("reset");
    for i in 0..200 {
        let s = connect(port);
        let mut w = &s;
        let _ = w.write_all(&b"GET /hams/ready HTTP/1.1\r\nHost: a\r\nX-Long: "[..20 + i % 20]);
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        unsafe {
            use std::os::fd::AsRawFd;
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as u32,
            );
        }
        drop(s); // RST
    }
    // Reset while the server has a response to write.
    for _ in 0..50 {
        let s = connect(port);
        let mut w = &s;
        let _ = w.write_all(&b"GET /hams/ready?verbose HTTP/1.1\r\nHost: a\r\n\r\n".repeat(50));
        drop(s);
    }
    let (status, _) = kubelet_probe(port);
    assert_eq!(status, 200);
}
