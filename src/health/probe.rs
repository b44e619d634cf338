//! One probe's state, written by the application (or a callback run) and
//! read by the serving thread without ever waiting on application code.

use super::shared::{Published, Remote};
pub(crate) use super::verdict::Verdict;
use super::verdict::{kick_verdict, overdue};
use super::{sanitize_reason_into, Checks};
use crate::clock::ms_to_ns;
use crate::error::{Error, Result};
use crate::shm::records::ProbeKind;
use crate::sync::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The last known result of a manual or callback probe.
struct LastResult {
    healthy: bool,
    /// Already sanitised: no control characters, at most `MAX_REASON_LEN` bytes.
    reason: String,
}

enum Kind {
    /// Set by the application.
    Manual(Mutex<LastResult>),
    /// Healthy while less than `margin_ns` has passed since `last_kick_ns`.
    Kick { margin_ns: u64, last_kick_ns: AtomicU64 },
    /// Run by the probe scheduler; `started_ns` is non-zero while a run is in flight,
    /// so a hung callback is seen as timed out by whoever reads the probe.
    Callback { timeout_ns: u64, started_ns: AtomicU64, last: Mutex<LastResult> },
    /// A worker's probe, shown by the parent of a workers' tree.
    Remote(Remote),
}

pub(crate) struct ProbeState {
    name: Box<str>,
    checks: Checks,
    kind: Kind,
    /// Workers mode, in a worker: the cells this probe's state is copied to.
    published: OnceLock<Published>,
}

const NOT_CHECKED: &str = "not checked yet";

impl ProbeState {
    pub(crate) fn manual(name: &str, checks: Checks, healthy: bool) -> ProbeState {
        let last = LastResult { healthy, reason: String::new() };
        ProbeState { name: name.into(), checks, kind: Kind::Manual(Mutex::new(last)), published: OnceLock::new() }
    }

    pub(crate) fn new_kick(name: &str, checks: Checks, margin_ms: u64, now_ns: u64) -> ProbeState {
        let kind = Kind::Kick { margin_ns: ms_to_ns(margin_ms), last_kick_ns: AtomicU64::new(now_ns) };
        ProbeState { name: name.into(), checks, kind, published: OnceLock::new() }
    }

    pub(crate) fn callback(name: &str, checks: Checks, timeout_ms: u64) -> ProbeState {
        let last = LastResult { healthy: false, reason: NOT_CHECKED.to_string() };
        let kind =
            Kind::Callback { timeout_ns: ms_to_ns(timeout_ms), started_ns: AtomicU64::new(0), last: Mutex::new(last) };
        ProbeState { name: name.into(), checks, kind, published: OnceLock::new() }
    }

    /// A worker's probe as the parent shows it.
    pub(crate) fn remote(name: String, checks: Checks, remote: Remote) -> ProbeState {
        ProbeState { name: name.into(), checks, kind: Kind::Remote(remote), published: OnceLock::new() }
    }

    /// Whether this is a worker's probe that the worker unregistered.
    pub(crate) fn is_removed_remote(&self) -> bool {
        matches!(&self.kind, Kind::Remote(r) if r.is_removed())
    }

    /// What a worker writes about this probe: its kind, margin or timeout
    /// (ns), and its first state (healthy?, reason, last kick).
    pub(crate) fn publishing(&self) -> (ProbeKind, u64, bool) {
        match &self.kind {
            Kind::Manual(last) => (ProbeKind::Manual, 0, lock(last).healthy),
            Kind::Kick { margin_ns, .. } => (ProbeKind::Kick, *margin_ns, true),
            Kind::Callback { timeout_ns, .. } => (ProbeKind::Callback, *timeout_ns, false),
            Kind::Remote(_) => (ProbeKind::Manual, 0, false),
        }
    }

    /// Starts copying this probe's state to `cells` (a worker's probe).
    pub(crate) fn publish(&self, published: Published) {
        match &self.kind {
            Kind::Manual(last) | Kind::Callback { last, .. } => {
                let o = lock(last);
                published.result(o.healthy, &o.reason);
            }
            Kind::Kick { last_kick_ns, .. } => published.last_ns(last_kick_ns.load(Ordering::Acquire)),
            Kind::Remote(_) => return,
        }
        let _ = self.published.set(published);
    }

    /// A worker's probe was unregistered.
    pub(crate) fn unpublish(&self) {
        if let Some(p) = self.published.get() {
            p.removed();
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn checks(&self) -> Checks {
        self.checks
    }

    /// Calls `f` with the probe's verdict at `now_ns`. A lock may be taken
    /// around `f`, but only ever one that hams code holds briefly.
    pub(crate) fn with_verdict<R>(&self, now_ns: u64, f: impl FnOnce(Verdict<'_>) -> R) -> R {
        match &self.kind {
            Kind::Manual(last) => last_verdict(&lock(last), f),
            Kind::Kick { margin_ns, last_kick_ns } => {
                f(kick_verdict(now_ns, last_kick_ns.load(Ordering::Acquire), *margin_ns))
            }
            Kind::Callback { timeout_ns, started_ns, last } => {
                match overdue(now_ns, started_ns.load(Ordering::Acquire), *timeout_ns) {
                    Some(v) => f(v),
                    None => last_verdict(&lock(last), f),
                }
            }
            Kind::Remote(r) => r.with_verdict(now_ns, f),
        }
    }

    pub(crate) fn is_healthy(&self, now_ns: u64) -> bool {
        self.with_verdict(now_ns, |v| v.is_ok())
    }

    /// Sets a manual probe.
    pub(crate) fn set(&self, healthy: bool, reason: Option<&str>) -> Result<()> {
        let Kind::Manual(last) = &self.kind else {
            return Err(Error::invalid(format!("probe '{}' is not a manual probe", self.name)));
        };
        let mut o = lock(last);
        sanitize_reason_into(reason.unwrap_or(""), &mut o.reason);
        o.healthy = healthy;
        if let Some(p) = self.published.get() {
            p.result(healthy, &o.reason);
        }
        Ok(())
    }

    /// Kicks a kick probe: healthy for its margin from `now_ns`.
    pub(crate) fn kick(&self, now_ns: u64) -> Result<()> {
        let Kind::Kick { last_kick_ns, .. } = &self.kind else {
            return Err(Error::invalid(format!("probe '{}' is not a kick probe", self.name)));
        };
        last_kick_ns.store(now_ns, Ordering::Release);
        if let Some(p) = self.published.get() {
            p.last_ns(now_ns);
        }
        Ok(())
    }

    /// Marks a callback run as started.
    pub(crate) fn begin_run(&self, now_ns: u64) {
        if let Kind::Callback { started_ns, .. } = &self.kind {
            started_ns.store(now_ns, Ordering::Release);
            if let Some(p) = self.published.get() {
                p.last_ns(now_ns);
            }
        }
    }

    /// Records a callback run's result. A run that overran its timeout
    /// counts as failed even if it eventually said healthy.
    pub(crate) fn end_run(&self, result: std::result::Result<(), String>, now_ns: u64) {
        let Kind::Callback { timeout_ns, started_ns, last } = &self.kind else { return };
        let started = started_ns.load(Ordering::Acquire);
        let overran = started != 0 && now_ns.saturating_sub(started) > *timeout_ns;
        {
            let mut o = lock(last);
            match result {
                _ if overran => {
                    o.healthy = false;
                    let msg = format!("check timed out after {} ms", timeout_ns / 1_000_000);
                    sanitize_reason_into(&msg, &mut o.reason);
                }
                Ok(()) => {
                    o.healthy = true;
                    o.reason.clear();
                }
                Err(reason) => {
                    o.healthy = false;
                    sanitize_reason_into(&reason, &mut o.reason);
                }
            }
            if let Some(p) = self.published.get() {
                p.result(o.healthy, &o.reason);
            }
        }
        started_ns.store(0, Ordering::Release);
        if let Some(p) = self.published.get() {
            p.last_ns(0);
        }
    }
}

fn last_verdict<R>(o: &LastResult, f: impl FnOnce(Verdict<'_>) -> R) -> R {
    if o.healthy {
        f(Verdict::Ok)
    } else {
        f(Verdict::Failed(&o.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(p: &ProbeState, now: u64) -> String {
        p.with_verdict(now, |v| {
            let mut out = Vec::new();
            v.write_reason(&mut out);
            String::from_utf8(out).unwrap()
        })
    }

    #[test]
    fn manual_set_and_sanitise() {
        let p = ProbeState::manual("db", Checks::READY, true);
        assert!(p.is_healthy(1));
        p.set(false, Some("down\r\nX-Evil: 1")).unwrap();
        assert!(!p.is_healthy(1));
        assert_eq!(reason(&p, 1), "down  X-Evil: 1");
        p.set(true, None).unwrap();
        assert!(p.is_healthy(1));
        assert!(p.kick(1).is_err());
    }

    #[test]
    fn kick_expires_on_margin() {
        let ms = 1_000_000;
        let p = ProbeState::new_kick("loop", Checks::ALIVE, 100, 10 * ms);
        assert!(p.is_healthy(10 * ms));
        assert!(p.is_healthy(109 * ms));
        assert!(!p.is_healthy(110 * ms));
        assert_eq!(reason(&p, 250 * ms), "not kicked for 240 ms (margin 100 ms)");
        p.kick(200 * ms).unwrap();
        assert!(p.is_healthy(250 * ms));
        assert!(p.set(true, None).is_err());
    }

    #[test]
    fn callback_timeout_and_results() {
        let ms = 1_000_000;
        let p = ProbeState::callback("cache", Checks::READY, 50);
        assert_eq!(reason(&p, 1), "not checked yet");
        p.begin_run(ms);
        assert!(!p.is_healthy(2 * ms)); // still "not checked yet"
        p.end_run(Ok(()), 10 * ms);
        assert!(p.is_healthy(11 * ms));
        p.begin_run(100 * ms);
        assert!(p.is_healthy(140 * ms), "in flight but within timeout keeps the last result");
        assert_eq!(reason(&p, 151 * ms), "check timed out after 50 ms");
        p.end_run(Ok(()), 160 * ms);
        assert_eq!(reason(&p, 161 * ms), "check timed out after 50 ms", "overrun counts as failure");
        p.begin_run(200 * ms);
        p.end_run(Err("no\nconn".into()), 201 * ms);
        assert_eq!(reason(&p, 202 * ms), "no conn");
    }
}
