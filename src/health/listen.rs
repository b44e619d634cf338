//! Status listeners: the application is told when a check or a probe
//! changes state, on a thread of hams (`hams-listen`), never the serving one.
//!
//! The thread decides every check and probe, tells each listener what
//! changed since it last looked (every state once, when a listener is
//! added), and sleeps until `changes::notify` or until the next change that
//! time alone can cause. While a listener runs, nothing is looked at: what
//! changed meanwhile is found at the next look, as the latest state per
//! name (coalesced), and a listener that took long is named in the log.

use super::changes;
use super::decide::{decide_with, Latch, Source, SHUTDOWN};
use super::exclude::Excludes;
use super::probe_registry::ProbeRegistry;
use super::Check;
use crate::clock::now_ns;
use crate::error::{Error, Result};
use crate::sync::lock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

/// A listener: `(name, healthy, reason)`; the reason is empty when healthy.
pub type ChangeFn = Box<dyn FnMut(&str, bool, &str) + Send>;

/// A listener that takes longer than this is named in the log.
const SLOW: Duration = Duration::from_millis(500);

/// One entry of the states: a probe's or a check's.
#[derive(Clone)]
struct State {
    name: String,
    healthy: bool,
    reason: String,
}

struct Shared {
    stop: AtomicBool,
    added: Mutex<Vec<ChangeFn>>,
}

#[derive(Default)]
pub(crate) struct Listeners {
    shared: Mutex<Option<Arc<Shared>>>,
    thread: Mutex<Option<(JoinHandle<()>, ThreadId)>>,
}

impl Listeners {
    /// Adds a listener; it is told every current state first.
    pub(crate) fn add(&self, probes: &Arc<ProbeRegistry>, f: ChangeFn) -> Result<()> {
        let mut thread = lock(&self.thread);
        let mut shared = lock(&self.shared);
        let s = shared
            .get_or_insert_with(|| Arc::new(Shared { stop: AtomicBool::new(false), added: Mutex::new(Vec::new()) }))
            .clone();
        lock(&s.added).push(f);
        if thread.is_none() {
            let (s2, reg) = (s.clone(), probes.clone());
            let handle = std::thread::Builder::new()
                .name("hams-listen".into())
                .spawn(move || run(&s2, &reg))
                .map_err(|e| Error::io("cannot start the listeners' thread", e))?;
            let id = handle.thread().id();
            *thread = Some((handle, id));
        }
        changes::notify();
        Ok(())
    }

    /// In a forked child: the thread is the parent's; it is not joined.
    pub(crate) fn forget_inherited(&self) {
        std::mem::forget(lock(&self.thread).take());
    }

    /// Stops the thread: joined, unless this is that thread (a listener
    /// freeing its `Hams`), which then ends when the listener returns.
    pub(crate) fn stop(&self) {
        if let Some(s) = lock(&self.shared).take() {
            s.stop.store(true, Ordering::Release);
        }
        changes::notify();
        if let Some((handle, id)) = lock(&self.thread).take() {
            if id != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// Every probe's state, in registration order, then each check's. Once
/// the shutdown sequence started, the built-in `shutdown` comes first,
/// unhealthy: a listener learns that the drain began even when the ready
/// check was failing already (so that, e.g., a gRPC health service turns
/// every service NOT_SERVING).
fn states(reg: &ProbeRegistry, out: &mut Vec<State>) {
    out.clear();
    let now = now_ns();
    if reg.is_shutting_down() {
        out.push(State { name: SHUTDOWN.to_string(), healthy: false, reason: "shutting down".to_string() });
    }
    reg.with_probes(|probes| {
        for p in probes {
            p.with_verdict(now, |v| {
                let mut reason = Vec::new();
                v.write_reason(&mut reason);
                let reason = String::from_utf8_lossy(&reason).into_owned();
                out.push(State { name: p.name().to_string(), healthy: v.is_ok(), reason });
            });
        }
    });
    for check in Check::ALL {
        // The reason of a failing check: its first failing entry.
        let mut reason = String::new();
        let healthy = decide_with(reg, check, &mut Excludes::none(), now, Latch::No, |e| {
            if reason.is_empty() && !e.verdict.is_ok() {
                let mut r = Vec::new();
                e.verdict.write_reason(&mut r);
                let what = if e.source == Source::Builtin { "" } else { "probe " };
                reason = match String::from_utf8_lossy(&r) {
                    why if why.is_empty() => format!("{what}{}", e.name),
                    why => format!("{what}{}: {why}", e.name),
                };
            }
        });
        out.push(State { name: check.name().to_string(), healthy, reason });
    }
}

/// When a state may next change with time alone.
fn next_change(reg: &ProbeRegistry) -> Option<Instant> {
    let now = now_ns();
    let at = reg.with_probes(|probes| probes.iter().filter_map(|p| p.next_change_ns(now)).min())?;
    Some(Instant::now() + Duration::from_nanos(at.saturating_sub(now)))
}

fn run(shared: &Shared, reg: &ProbeRegistry) {
    let mut listeners: Vec<ChangeFn> = Vec::new();
    let mut last: Vec<State> = Vec::new();
    let mut now: Vec<State> = Vec::new();
    loop {
        let seen = changes::generation();
        if shared.stop.load(Ordering::Acquire) {
            return;
        }
        states(reg, &mut now);
        let added: Vec<ChangeFn> = std::mem::take(&mut *lock(&shared.added));
        // A change is a turn between healthy and unhealthy (a new reason
        // alone is not one), or a name not seen before.
        let changed: Vec<&State> =
            now.iter().filter(|s| !last.iter().any(|l| l.name == s.name && l.healthy == s.healthy)).collect();
        for f in &mut listeners {
            for s in &changed {
                call(f, s, shared);
            }
        }
        for mut f in added {
            for s in &now {
                call(&mut f, s, shared);
            }
            listeners.push(f);
        }
        std::mem::swap(&mut last, &mut now);
        changes::wait(seen, next_change(reg));
    }
}

fn call(f: &mut ChangeFn, s: &State, shared: &Shared) {
    if shared.stop.load(Ordering::Acquire) {
        return;
    }
    let start = Instant::now();
    f(&s.name, s.healthy, &s.reason);
    let took = start.elapsed();
    if took > SLOW {
        log::warn!(
            target: "hams::listen",
            "a status listener took {} ms for '{}'; changes meanwhile are coalesced to the latest state",
            took.as_millis(),
            s.name
        );
    }
}
