//! The systemd notification protocol, spoken directly (no libsystemd):
//! `READY=1` when the ready check first passes, `STATUS=` on changes,
//! `STOPPING=1` when shutdown starts, and `WATCHDOG=1` every half watchdog
//! interval while the alive check passes, so the same probes that answer
//! Kubernetes drive systemd's watchdog.
//!
//! Nothing runs unless `$NOTIFY_SOCKET` is set.

use crate::clock::now_ns;
use crate::health::decide::passes;
use crate::health::probe_registry::ProbeRegistry;
use crate::health::Check;
use crate::lifecycle::shutdown::Shutdown;
use crate::sync::lock;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where and how often to notify, from the environment.
#[derive(Debug)]
pub(crate) struct Target {
    addr: SocketAddr,
    /// Half the watchdog interval, when the watchdog is on for this process.
    watchdog_every: Option<Duration>,
}

impl Target {
    /// `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace) and
    /// `$WATCHDOG_USEC` (honoured when `$WATCHDOG_PID` is unset or ours).
    pub(crate) fn from_env() -> Option<Target> {
        let sock = std::env::var("NOTIFY_SOCKET").ok().filter(|s| !s.is_empty())?;
        let addr = match sock.strip_prefix('@') {
            Some(name) => SocketAddr::from_abstract_name(name.as_bytes()),
            None if sock.starts_with('/') => SocketAddr::from_pathname(&sock),
            None => {
                log::warn!(target: "hams::notify", "NOTIFY_SOCKET={sock:?} is neither a path nor @abstract; ignored");
                return None;
            }
        };
        let addr = match addr {
            Ok(a) => a,
            Err(e) => {
                log::warn!(target: "hams::notify", "NOTIFY_SOCKET={sock:?}: {e}; ignored");
                return None;
            }
        };
        let pid_ok = match std::env::var("WATCHDOG_PID") {
            Ok(pid) => pid.trim().parse::<u32>().ok() == Some(std::process::id()),
            Err(_) => true,
        };
        let watchdog_every = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&us| us > 0 && pid_ok)
            .map(|us| Duration::from_micros(us / 2));
        Some(Target { addr, watchdog_every })
    }

    /// Sends one datagram; errors are logged, never fatal.
    pub(crate) fn send(&self, message: &str) {
        let sent = UnixDatagram::unbound().and_then(|s| s.send_to_addr(message.as_bytes(), &self.addr));
        if let Err(e) = sent {
            log::warn!(target: "hams::notify", "sd_notify {message:?} failed: {e}");
        }
    }
}

/// How often readiness is looked at before `READY=1`, and after.
const UNTIL_READY: Duration = Duration::from_millis(100);
const AFTER_READY: Duration = Duration::from_secs(1);

/// The thread that watches the checks for systemd while hams is started.
pub(crate) struct Notifier {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    listener: u64,
    shutdown: Shutdown,
}

impl Notifier {
    pub(crate) fn start(shutdown: Shutdown, probes: Arc<ProbeRegistry>, target: Target) -> crate::Result<Notifier> {
        let target = Arc::new(target);
        let t2 = target.clone();
        let listener = shutdown.add_listener(Arc::new(move |phase| {
            if phase == crate::lifecycle::shutdown::Phase::Draining {
                t2.send("STOPPING=1\nSTATUS=shutting down");
            }
        }));
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("hams-notify".into())
            .spawn(move || watch(&probes, &target, &stop2))
            .map_err(|e| crate::Error::io("cannot start the notify thread", e))?;
        Ok(Notifier { stop, thread: Some(thread), listener, shutdown })
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.shutdown.remove_listener(self.listener);
        *lock(&self.stop.0) = true;
        self.stop.1.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn status_text(reg: &ProbeRegistry, now: u64) -> (bool, bool, &'static str) {
    let alive = passes(reg, Check::Alive, now);
    let ready = passes(reg, Check::Ready, now);
    let text = match (reg.is_shutting_down(), alive, ready) {
        (true, _, _) => "shutting down",
        (false, false, _) => "not alive",
        (false, true, true) => "ready",
        (false, true, false) => "not ready",
    };
    (alive, ready, text)
}

fn watch(probes: &ProbeRegistry, target: &Target, stop: &(Mutex<bool>, Condvar)) {
    let mut sent_ready = false;
    let mut last_status = "";
    let mut next_ping = Instant::now();
    loop {
        let now = Instant::now();
        let (alive, ready, text) = status_text(probes, now_ns());
        if ready && !sent_ready {
            sent_ready = true;
            last_status = text;
            target.send(&format!("READY=1\nSTATUS={text}"));
        } else if text != last_status && (sent_ready || text != "not ready") {
            last_status = text;
            target.send(&format!("STATUS={text}"));
        }
        let mut wake = now + if sent_ready { AFTER_READY } else { UNTIL_READY };
        if let Some(every) = target.watchdog_every {
            if now >= next_ping {
                if alive {
                    target.send("WATCHDOG=1");
                }
                next_ping = now + every;
            }
            wake = wake.min(next_ping);
        }
        let guard = lock(&stop.0);
        if *guard {
            return;
        }
        let (guard, _) = stop
            .1
            .wait_timeout(guard, wake.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|e| e.into_inner());
        if *guard {
            return;
        }
    }
}
