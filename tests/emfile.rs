//! When accept fails for lack of file descriptors, the server backs off
//! instead of spinning on a listener that stays readable, and serves again
//! once descriptors are free. Its own binary: it lowers the process's limit.

mod common;

use common::*;
use std::net::TcpStream;
use std::time::Duration;

/// CPU time of the whole process in microseconds (no descriptor needed);
/// the test thread sleeps meanwhile, so this is the server's.
fn process_cpu_us() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let us = |t: libc::timeval| t.tv_sec * 1_000_000 + t.tv_usec;
    us(ru.ru_utime) + us(ru.ru_stime)
}

#[test]
fn accept_backs_off_on_emfile_and_recovers() {
    let (_h, port) = started("emfile");
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    let open_now = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let low = libc::rlimit { rlim_cur: open_now + 40, rlim_max: lim.rlim_max };
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) }, 0);

    // Connect until this process runs out of descriptors; the last
    // connections wait in the listen queue, which the server cannot accept.
    let mut clients = Vec::new();
    while let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
        clients.push(s);
        assert!(clients.len() < 1000, "the limit did not apply");
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = process_cpu_us();
    std::thread::sleep(Duration::from_secs(1));
    let spent = process_cpu_us() - before;
    assert!(spent < 50_000, "{spent} µs of CPU in 1 s while accept failed: spinning");

    // Free descriptors: the server accepts again and answers.
    clients.truncate(clients.len() / 2);
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    std::thread::sleep(Duration::from_millis(300));
    let r = get(port, "/hams/alive");
    assert_eq!(r.status, 200);
}
