//! sd_notify over real unix datagram sockets (path and abstract). The
//! environment is process-wide, so these tests run one at a time.

use hams::{Checks, Hams};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn clear_env() {
    for v in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
        std::env::remove_var(v);
    }
}

fn hams() -> Hams {
    let h = Hams::new("sd", "1").unwrap();
    h.set_address("127.0.0.1:0").unwrap();
    h
}

/// Receives messages until one equals `want` (returns the time it came).
fn expect(sock: &UnixDatagram, want: &str, within: Duration) -> Instant {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no {want:?} within {within:?}; saw {seen:?}");
        sock.set_read_timeout(Some(left)).unwrap();
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            if msg == want {
                return Instant::now();
            }
            seen.push(msg);
        }
    }
}

/// Everything received during `d`.
fn collect(sock: &UnixDatagram, d: Duration) -> Vec<(Instant, String)> {
    let end = Instant::now() + d;
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    while Instant::now() < end {
        sock.set_read_timeout(Some(end.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))))
            .unwrap();
        if let Ok(n) = sock.recv(&mut buf) {
            out.push((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned()));
        }
    }
    out
}

#[test]
fn ready_status_watchdog_and_stopping_on_a_path_socket() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("hams-sd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify");
    let _ = std::fs::remove_file(&path);
    let sock = UnixDatagram::bind(&path).unwrap();
    clear_env();
    std::env::set_var("NOTIFY_SOCKET", &path);
    std::env::set_var("WATCHDOG_USEC", "200000");

    let h = hams();
    let warm = h.probe_manual("warm", Checks::READY, false).unwrap();
    let lp = h.probe_kick("loop", Checks::ALIVE, 800).unwrap();
    h.start().unwrap();

    // Alive but not ready: watchdog pings, no READY=1 yet.
    let early = collect(&sock, Duration::from_millis(300));
    assert!(early.iter().any(|(_, m)| m == "WATCHDOG=1"), "{early:?}");
    assert!(!early.iter().any(|(_, m)| m.contains("READY=1")), "{early:?}");

    lp.kick().unwrap();
    warm.set(true, None).unwrap();
    expect(&sock, "READY=1\nSTATUS=ready", Duration::from_secs(2));

    // Cadence: every half of WATCHDOG_USEC while kicked.
    let mut pings = Vec::new();
    let end = Instant::now() + Duration::from_millis(700);
    while Instant::now() < end {
        lp.kick().unwrap();
        for (t, m) in collect(&sock, Duration::from_millis(50)) {
            if m == "WATCHDOG=1" {
                pings.push(t);
            }
        }
    }
    assert!(pings.len() >= 4, "{} pings in 700 ms", pings.len());
    for w in pings.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap >= Duration::from_millis(60) && gap <= Duration::from_millis(250), "gap {gap:?}");
    }

    // The kick probe expires: status says so and the pings stop.
    expect(&sock, "STATUS=not alive", Duration::from_secs(3));
    let quiet = collect(&sock, Duration::from_millis(500));
    assert!(!quiet.iter().any(|(_, m)| m == "WATCHDOG=1"), "pings while not alive: {quiet:?}");
    lp.kick().unwrap();
    expect(&sock, "WATCHDOG=1", Duration::from_secs(2));

    h.shutdown();
    expect(&sock, "STOPPING=1\nSTATUS=shutting down", Duration::from_secs(2));
    drop(h);
    clear_env();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn abstract_socket_and_foreign_watchdog_pid() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let name = format!("hams-test-{}", std::process::id());
    let sock = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    clear_env();
    std::env::set_var("NOTIFY_SOCKET", format!("@{name}"));
    std::env::set_var("WATCHDOG_USEC", "100000");
    std::env::set_var("WATCHDOG_PID", "1"); // not us: no watchdog
    let h = hams();
    h.start().unwrap();
    expect(&sock, "READY=1\nSTATUS=ready", Duration::from_secs(2));
    let later = collect(&sock, Duration::from_millis(300));
    assert!(!later.iter().any(|(_, m)| m == "WATCHDOG=1"), "{later:?}");
    drop(h);
    clear_env();
}

#[test]
fn nothing_is_sent_without_notify_socket() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    clear_env();
    let h = hams();
    h.start().unwrap();
    let threads = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok())
        .filter(|c| c.trim() == "hams-notify")
        .count();
    assert_eq!(threads, 0, "no notify thread without NOTIFY_SOCKET");
}
