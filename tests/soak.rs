//! Soak: a million requests, over keep-alive and new connections, against
//! one server. Resident memory and open descriptors at the end equal those
//! after the warm-up (within a small bound), and no request fails.
//! Long: run by `make stress` (`cargo test --release --test soak -- --ignored`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const TOTAL: u64 = 1_000_000;
const WARMUP: u64 = 50_000;
const CLIENTS: u64 = 4;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// One request on `s`; the response is read whole into `buf`. False on error.
fn request(s: &mut TcpStream, req: &[u8], buf: &mut [u8]) -> bool {
    if s.write_all(req).is_err() {
        return false;
    }
    let mut got = 0;
    loop {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
        if let Some(end) = buf[..got].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = &buf[..end];
            let key = b"Content-Length: ";
            let Some(at) = head.windows(key.len()).position(|w| w == key) else { return false };
            let len = head[at + key.len()..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0, |n, d| n * 10 + (d - b'0') as usize);
            if got >= end + 4 + len {
                return head.starts_with(b"HTTP/1.1 200 ");
            }
        }
    }
}

fn run(port: u16, n: u64, errors: &Arc<AtomicU64>) {
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let errors = errors.clone();
            std::thread::spawn(move || {
                let keep = b"GET /hams/ready HTTP/1.1\r\nHost: a\r\n\r\n";
                let close = b"GET /hams/alive?verbose HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
                let mut buf = vec![0u8; 4096];
                let mut conn: Option<TcpStream> = None;
                for i in 0..n / CLIENTS {
                    // One request in five on a new connection (kubelet style).
                    let ok = if (i + c) % 5 == 0 {
                        TcpStream::connect(("127.0.0.1", port))
                            .map(|mut s| request(&mut s, close, &mut buf))
                            .unwrap_or(false)
                    } else {
                        let s = conn.get_or_insert_with(|| TcpStream::connect(("127.0.0.1", port)).unwrap());
                        let ok = request(s, keep, &mut buf);
                        if !ok {
                            conn = None;
                        }
                        ok
                    };
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
#[ignore = "long: make stress"]
fn a_million_requests_leave_memory_and_descriptors_as_they_were() {
    let h = hams::Hams::new("soak", "1").unwrap();
    h.set_address("127.0.0.1:0").unwrap();
    let _p = h.probe_manual("db", hams::Checks::READY, true).unwrap();
    let _k = h.probe_kick("loop", hams::Checks::ALIVE, 3_600_000).unwrap();
    h.start().unwrap();
    let port = h.port().unwrap();
    let errors = Arc::new(AtomicU64::new(0));

    run(port, WARMUP, &errors);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (rss0, fds0) = (rss_kb(), open_fds());
    let t = Instant::now();
    run(port, TOTAL, &errors);
    let secs = t.elapsed().as_secs_f64();
    std::thread::sleep(std::time::Duration::from_millis(500)); // closes settle
    let (rss1, fds1) = (rss_kb(), open_fds());
    println!(
        "soak: {TOTAL} requests in {secs:.1} s ({:.0}/s), errors {}, RSS {rss0} -> {rss1} KiB, fds {fds0} -> {fds1}",
        TOTAL as f64 / secs,
        errors.load(Ordering::Relaxed)
    );
    assert_eq!(errors.load(Ordering::Relaxed), 0);
    assert!(rss1 <= rss0 + 1024, "RSS grew from {rss0} to {rss1} KiB");
    assert!(fds1 <= fds0 + 2, "descriptors {fds0} -> {fds1}");
}
