//! Scrapes are rendered off the serving thread: a probe that arrives while a
//! large scrape is being rendered is answered without waiting for it, and a
//! small scrape stays fast. Prints the figures it measures.

mod common;

use common::*;
use hams::Hams;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reads one response on a keep-alive connection; returns its head and body.
fn exchange(s: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> (String, usize) {
    s.write_all(req).unwrap();
    buf.clear();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(buf));
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.parse().ok())
                .expect("Content-Length");
            if buf.len() >= end + 4 + len {
                assert_eq!(buf.len(), end + 4 + len, "no more than one response");
                return (head, len);
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn small_scrapes_stay_fast() {
    let (h, port) = started("small");
    let mut metrics = Vec::new();
    for i in 0..10 {
        let c = h.counter(&format!("jobs{i}_total"), "Jobs.", &[("queue", "a")]).unwrap();
        c.add(i as f64).unwrap();
        metrics.push(c);
    }
    let mut s = connect(port);
    let mut buf = Vec::new();
    let req = b"GET /hams/metrics HTTP/1.1\r\nHost: a\r\n\r\n";
    for _ in 0..100 {
        exchange(&mut s, req, &mut buf);
    }
    let mut times = Vec::with_capacity(2000);
    let start = Instant::now();
    for _ in 0..2000 {
        let t = Instant::now();
        let (head, _) = exchange(&mut s, req, &mut buf);
        times.push(t.elapsed());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    }
    let total = start.elapsed();
    times.sort();
    println!(
        "2,000 small scrapes on one connection: {:.1} us each on average, p50 {:?}, p99 {:?}",
        total.as_secs_f64() * 1e6 / 2000.0,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    drop(h);
}
