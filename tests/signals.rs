//! Opt-in signal handling. Signal dispositions are process-wide, so these
//! tests live in their own binary and run one at a time.

mod common;

use common::*;
use hams::{Config, Hams};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());
static PREVIOUS_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn previous_handler(_: libc::c_int) {
    PREVIOUS_CALLS.fetch_add(1, Ordering::SeqCst);
}

fn disposition(sig: libc::c_int) -> usize {
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
    old.sa_sigaction
}

fn set_handler(sig: libc::c_int, handler: usize) {
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler;
    unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) };
}

fn started_with_drain(drain_ms: u64) -> (Hams, u16) {
    let mut c = Config::new("sig", "1");
    c.address = "127.0.0.1:0".into();
    c.shutdown.drain = Duration::from_millis(drain_ms);
    let h = Hams::with_config(c).unwrap();
    h.start().unwrap();
    let port = h.port().unwrap();
    (h, port)
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(5), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn signals_are_untouched_unless_opted_in() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = [disposition(libc::SIGTERM), disposition(libc::SIGINT)];
    let (h, _) = started_with_drain(0);
    assert_eq!([disposition(libc::SIGTERM), disposition(libc::SIGINT)], before);
    drop(h);
    assert_eq!([disposition(libc::SIGTERM), disposition(libc::SIGINT)], before);
}

#[test]
fn sigterm_starts_shutdown_chains_and_restores_the_previous_handler() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let prev = previous_handler as *const () as usize;
    set_handler(libc::SIGTERM, prev);
    PREVIOUS_CALLS.store(0, Ordering::SeqCst);
    let (h, port) = started_with_drain(60_000);
    h.handle_signals(true).unwrap();
    h.handle_signals(true).unwrap(); // idempotent
    assert_ne!(disposition(libc::SIGTERM), prev);
    let other = Hams::new("other", "1").unwrap();
    assert_eq!(other.handle_signals(true).unwrap_err().kind(), hams::ErrorKind::State, "one owner per process");

    assert_eq!(get(port, "/hams/ready").status, 200);
    unsafe { libc::raise(libc::SIGTERM) };
    wait_for("readiness to fail", || get(port, "/hams/ready").status == 503);
    assert_eq!(get(port, "/hams/alive").status, 200);
    assert_eq!(PREVIOUS_CALLS.load(Ordering::SeqCst), 1, "the previous handler was chained to");
    assert!(!h.wait(Some(Duration::from_millis(50))), "still draining");
    unsafe { libc::raise(libc::SIGTERM) };
    assert!(h.wait(Some(Duration::from_secs(5))), "a second signal skips the drain");

    drop(h);
    assert_eq!(disposition(libc::SIGTERM), prev, "restored when freed");
    set_handler(libc::SIGTERM, libc::SIG_DFL);
}

#[test]
fn one_shot_handlers_are_not_chained() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    extern "C" fn reraise(sig: libc::c_int) {
        PREVIOUS_CALLS.fetch_add(1, Ordering::SeqCst);
        unsafe { libc::raise(sig) }; // as Node does: expects SIG_DFL now
    }
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = reraise as *const () as usize;
    sa.sa_flags = libc::SA_RESETHAND;
    unsafe { libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut()) };
    PREVIOUS_CALLS.store(0, Ordering::SeqCst);
    let (h, port) = started_with_drain(60_000);
    h.handle_signals(true).unwrap();
    unsafe { libc::raise(libc::SIGTERM) };
    wait_for("readiness to fail", || get(port, "/hams/ready").status == 503);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(PREVIOUS_CALLS.load(Ordering::SeqCst), 0, "a one-shot handler is not chained to");
    assert!(!h.wait(Some(Duration::from_millis(50))), "still draining: no signal storm skipped the drain");
    drop(h);
    set_handler(libc::SIGTERM, libc::SIG_DFL);
}

#[test]
fn sigint_works_and_turning_off_restores() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = disposition(libc::SIGINT);
    let (h, port) = started_with_drain(0);
    h.handle_signals(true).unwrap();
    h.handle_signals(false).unwrap();
    assert_eq!(disposition(libc::SIGINT), before);
    // Enabled while started: the running loop picks the pipe up.
    h.handle_signals(true).unwrap();
    unsafe { libc::raise(libc::SIGINT) };
    assert!(h.wait(Some(Duration::from_secs(5))));
    assert_eq!(get(port, "/hams/ready").status, 503);
    drop(h);
    assert_eq!(disposition(libc::SIGINT), before);
}
