//! Steady state on a keep-alive connection allocates nothing per request.
//! A counting global allocator sees every allocation in this process (the
//! server thread's and the client's); the client below allocates nothing in
//! its loop, so the count over N requests must not grow with N.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::ALLOCS;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;

/// Sends `n` requests on `s`, reading each whole response into `buf`.
fn requests(s: &mut TcpStream, req: &[u8], buf: &mut [u8], n: usize) {
    for _ in 0..n {
        s.write_all(req).unwrap();
        let mut got = 0;
        // Responses here are small and end with the body "ok" or a verbose
        // line ending in "passed\n"; read until the head and body are in.
        loop {
            got += s.read(&mut buf[got..]).unwrap();
            let text = &buf[..got];
            if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = &text[..end];
                let len = content_length(head);
                if got >= end + 4 + len {
                    assert!(head.starts_with(b"HTTP/1.1 200 "));
                    break;
                }
            }
        }
    }
}

fn content_length(head: &[u8]) -> usize {
    let key = b"Content-Length: ";
    let at = head.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    head[at..].iter().take_while(|b| b.is_ascii_digit()).fold(0, |n, d| n * 10 + (d - b'0') as usize)
}

#[test]
fn keep_alive_requests_allocate_nothing_per_request() {
    let h = hams::Hams::new("alloc", "1").unwrap();
    h.set_address("127.0.0.1:0").unwrap();
    let _a = h.probe_manual("a", hams::Checks::ALIVE | hams::Checks::READY, true).unwrap();
    let _b = h.probe_kick("b", hams::Checks::ALIVE, 60_000).unwrap();
    let bad = h.probe_manual("c", hams::Checks::READY, true).unwrap();
    bad.set(true, Some("some reason")).unwrap();
    h.start().unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", h.port().unwrap())).unwrap();
    s.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 8192];

    for req in [
        &b"GET /hams/alive HTTP/1.1\r\nHost: a\r\n\r\n"[..],
        b"GET /hams/ready?verbose&exclude=c HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /hams/ready HTTP/1.1\r\nHost: a\r\nAccept: application/json\r\n\r\n",
    ] {
        requests(&mut s, req, &mut buf, 200); // warm-up: buffers reach their size
        let before = ALLOCS.load(Ordering::SeqCst);
        requests(&mut s, req, &mut buf, 10_000);
        let during = ALLOCS.load(Ordering::SeqCst) - before;
        println!(
            "{during} allocations in 10,000 keep-alive requests of {:?}",
            String::from_utf8_lossy(req).lines().next().unwrap_or("")
        );
        assert!(
            during < 10,
            "{during} allocations during 10,000 keep-alive requests of {:?}",
            String::from_utf8_lossy(req)
        );
    }
}
