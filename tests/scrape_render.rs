//! Scrapes are rendered off the serving thread: a probe that arrives while a
//! large scrape is being rendered is answered without waiting for it, and a
//! small scrape stays fast. Prints the figures it measures.

mod common;

use common::*;
use hams::Hams;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The tests measure time: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

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
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
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

/// A registry of `n` labeled counters in 100 families, made with the
/// labeled-counter API one series at a time.
fn big(n: usize) -> (Hams, u16, Duration) {
    let (h, port) = started("big");
    let t = Instant::now();
    let mut keep = Vec::with_capacity(n);
    for i in 0..n {
        let family = format!("requests{}_total", i % 100);
        let c = h.counter(&family, "Requests.", &[("series", &i.to_string())]).unwrap();
        c.add(i as f64).unwrap();
        keep.push(c);
    }
    let built = t.elapsed();
    std::mem::forget(keep); // the series live as long as the registry
    (h, port, built)
}

/// `/hams/alive` on a new connection every 2 ms for `time`; the latencies.
fn probe_for(port: u16, time: Duration) -> Vec<Duration> {
    let mut probes = Vec::new();
    let until = Instant::now() + time;
    while Instant::now() < until {
        let t = Instant::now();
        let r = get(port, "/hams/alive");
        probes.push(t.elapsed());
        assert_eq!(r.status, 200);
        std::thread::sleep(Duration::from_millis(2));
    }
    probes
}

#[test]
fn probes_are_answered_while_a_large_scrape_renders() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let n = 100_000;
    let (h, port, built) = big(n);
    let mut idle = probe_for(port, Duration::from_secs(1));
    let stop = Arc::new(AtomicBool::new(false));
    let scraper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut s = connect(port);
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            let mut buf = Vec::new();
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) || times.len() < 3 {
                let t = Instant::now();
                let (head, len) = exchange(&mut s, b"GET /hams/metrics HTTP/1.1\r\nHost: a\r\n\r\n", &mut buf);
                times.push((t.elapsed(), len));
                assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
            }
            times
        })
    };
    // Probes on new connections while the scraper keeps the render thread busy.
    std::thread::sleep(Duration::from_millis(50));
    let mut probes = probe_for(port, Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    let scrapes = scraper.join().unwrap();
    probes.sort();
    idle.sort();
    let mut renders: Vec<Duration> = scrapes.iter().map(|(d, _)| *d).collect();
    renders.sort();
    let render = percentile(&renders, 0.5);
    let p99 = percentile(&probes, 0.99);
    println!(
        "{n} series (built in {built:?}): {} scrapes of {} bytes, median {render:?} each; \
         {} probes on new connections meanwhile: p50 {:?}, p99 {p99:?}, max {:?} \
         (without scrapes: p50 {:?}, p99 {:?})",
        scrapes.len(),
        scrapes[0].1,
        probes.len(),
        percentile(&probes, 0.5),
        probes[probes.len() - 1],
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
    );
    assert!(scrapes[0].1 > n * 20, "{} bytes for {n} series", scrapes[0].1);
    wire_sizes(port, n);
    assert!(p99 * 5 < render, "probe p99 {p99:?} is not far below one scrape's {render:?}");
    drop(h);
}

#[test]
fn parked_scrapes_keep_pipelining_head_and_close() {
    let (h, port) = started("pipelined");
    let c = h.counter("jobs_total", "Jobs.", &[]).unwrap();
    c.add(1.0).unwrap();
    let mut s = connect(port);
    s.write_all(
        b"GET /hams/metrics HTTP/1.1\r\nHost: a\r\n\r\n\
          HEAD /hams/metrics HTTP/1.1\r\nHost: a\r\n\r\n\
          GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n\
          GET /hams/metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let get = read_response(&mut s, false);
    assert_eq!(get.status, 200);
    assert!(get.body.contains("\njobs_total 1\n"), "{}", get.body);
    let head = read_response(&mut s, true);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Type"), get.header("Content-Type"));
    let len: usize = head.header("Content-Length").unwrap().parse().unwrap();
    // The HEAD's document is the GET's but for the request counter it shows.
    assert!(len.abs_diff(get.body.len()) < 100, "{len} vs {}", get.body.len());
    let alive = read_response(&mut s, false);
    assert_eq!((alive.status, alive.body.as_str()), (200, "ok"));
    let last = read_response(&mut s, false);
    assert_eq!(last.status, 200);
    assert_eq!(last.header("Connection"), Some("close"));
    assert!(is_closed(&mut s));
    drop(h);
}

/// Prints the bytes on the wire per series in each format, plain and gzip.
fn wire_sizes(port: u16, n: usize) {
    let mut s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = Vec::new();
    let protobuf = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
    for (name, accept) in
        [("text 0.0.4", "text/plain"), ("OpenMetrics", "application/openmetrics-text"), ("protobuf", protobuf)]
    {
        let mut sizes = Vec::new();
        for coding in ["identity", "gzip"] {
            let req = format!(
                "GET /hams/metrics HTTP/1.1\r\nHost: a\r\nAccept: {accept}\r\nAccept-Encoding: {coding}\r\n\r\n"
            );
            let t = Instant::now();
            let (head, len) = exchange(&mut s, req.as_bytes(), &mut buf);
            let took = t.elapsed();
            assert_eq!(head.contains("Content-Encoding: gzip"), coding == "gzip", "{head}");
            sizes.push((len, took));
        }
        println!(
            "{name:12} {:7.1} bytes/series plain ({:?}), {:5.1} gzip ({:?}), {:.1}:1",
            sizes[0].0 as f64 / n as f64,
            sizes[0].1,
            sizes[1].0 as f64 / n as f64,
            sizes[1].1,
            sizes[0].0 as f64 / sizes[1].0 as f64
        );
    }
}
