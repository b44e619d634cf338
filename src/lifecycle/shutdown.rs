//! The graceful shutdown sequence, whatever starts it (the application, a
//! signal, `POST /hams/shutdown`):
//!
//! 1. readiness fails at once (the built-in `shutdown` line), liveness stays;
//! 2. after the drain time, the application's shutdown callbacks run;
//! 3. `wait` returns true: the application finishes and stops hams.
//!
//! The sequence runs on a thread that exists only while it runs.

use crate::health::probe_registry::ProbeRegistry;
use crate::sync::{lock, Listeners};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

/// Where the sequence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Draining,
    Callbacks,
    Done,
}

/// What started the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Application,
    Signal(i32),
    Http,
}

impl Origin {
    pub fn describe(self) -> String {
        match self {
            Origin::Application => "application".to_string(),
            Origin::Signal(libc::SIGTERM) => "SIGTERM".to_string(),
            Origin::Signal(libc::SIGINT) => "SIGINT".to_string(),
            Origin::Signal(n) => format!("signal {n}"),
            Origin::Http => "http".to_string(),
        }
    }
}

type Callback = Box<dyn FnOnce() + Send>;
/// Told of every phase change (wakes the server, tells systemd).
pub(crate) type Listener = crate::sync::Listener<Phase>;

/// A summary of a sequence, for the shutdown endpoint's answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary {
    pub phase: Phase,
    pub origin: Option<Origin>,
    pub elapsed: Duration,
    pub callbacks_run: usize,
}

struct State {
    phase: Phase,
    origin: Option<Origin>,
    started: Option<Instant>,
    skip_drain: bool,
    cancelled: bool,
    callbacks: Vec<Callback>,
    callbacks_run: usize,
    thread: Option<JoinHandle<()>>,
    thread_id: Option<ThreadId>,
}

struct Inner {
    state: Mutex<State>,
    changed: Condvar,
    listeners: Listeners<Phase>,
    drain: Duration,
    registry: Arc<ProbeRegistry>,
}

#[derive(Clone)]
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
}

impl Shutdown {
    pub(crate) fn new(drain: Duration, registry: Arc<ProbeRegistry>) -> Shutdown {
        let state = State {
            phase: Phase::Running,
            origin: None,
            started: None,
            skip_drain: false,
            cancelled: false,
            callbacks: Vec::new(),
            callbacks_run: 0,
            thread: None,
            thread_id: None,
        };
        Shutdown {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                changed: Condvar::new(),
                listeners: Listeners::default(),
                drain,
                registry,
            }),
        }
    }

    pub(crate) fn drain(&self) -> Duration {
        self.inner.drain
    }

    /// Adds a callback for step 2; refused once the callbacks have started.
    pub(crate) fn on_shutdown(&self, f: Callback) -> crate::Result<()> {
        let mut st = lock(&self.inner.state);
        if matches!(st.phase, Phase::Callbacks | Phase::Done) {
            return Err(crate::Error::state("the shutdown callbacks have already run"));
        }
        st.callbacks.push(f);
        Ok(())
    }

    pub(crate) fn add_listener(&self, l: Listener) -> u64 {
        self.inner.listeners.add(l)
    }

    pub(crate) fn remove_listener(&self, id: u64) {
        self.inner.listeners.remove(id);
    }

    /// Starts the sequence; false if it had already started.
    pub(crate) fn request(&self, origin: Origin) -> bool {
        let mut st = lock(&self.inner.state);
        if st.phase != Phase::Running || st.cancelled {
            return false;
        }
        log::info!(target: "hams::shutdown", "shutdown requested ({}); readiness now fails, callbacks in {:?}", origin.describe(), self.inner.drain);
        self.inner.registry.set_shutting_down();
        st.phase = Phase::Draining;
        st.origin = Some(origin);
        st.started = Some(Instant::now());
        let inner = self.inner.clone();
        match std::thread::Builder::new().name("hams-shutdown".into()).spawn(move || run(&inner)) {
            Ok(handle) => {
                st.thread_id = Some(handle.thread().id());
                st.thread = Some(handle);
            }
            Err(e) => {
                // Without a thread, run the rest here rather than never.
                log::error!(target: "hams::shutdown", "cannot start the shutdown thread ({e}); skipping the drain");
                st.skip_drain = true;
                drop(st);
                notify(&self.inner, Phase::Draining);
                run(&self.inner);
                return true;
            }
        }
        drop(st);
        notify(&self.inner, Phase::Draining);
        true
    }

    /// A signal: the first starts the sequence, a second skips the drain.
    pub(crate) fn on_signal(&self, signo: i32) {
        if !self.request(Origin::Signal(signo)) {
            let mut st = lock(&self.inner.state);
            if st.phase == Phase::Draining {
                log::warn!(target: "hams::shutdown", "second signal: skipping the rest of the drain");
                st.skip_drain = true;
                self.inner.changed.notify_all();
            }
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        lock(&self.inner.state).phase
    }

    pub(crate) fn summary(&self) -> Summary {
        let st = lock(&self.inner.state);
        Summary {
            phase: st.phase,
            origin: st.origin,
            elapsed: st.started.map(|t| t.elapsed()).unwrap_or_default(),
            callbacks_run: st.callbacks_run,
        }
    }

    /// Blocks until the sequence is done (true) or `timeout` passes (false).
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = lock(&self.inner.state);
        while st.phase != Phase::Done {
            st = match deadline {
                None => self.inner.changed.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    self.inner.changed.wait_timeout(st, d - now).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
        true
    }

    /// Cancels a sequence in progress (callbacks not yet started are
    /// dropped) and waits for its thread, unless called from that thread.
    pub(crate) fn cancel_and_join(&self) {
        let handle = {
            let mut st = lock(&self.inner.state);
            st.cancelled = true;
            st.callbacks.clear();
            self.inner.changed.notify_all();
            if st.thread_id == Some(std::thread::current().id()) {
                None
            } else {
                st.thread.take()
            }
        };
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

fn notify(inner: &Inner, phase: Phase) {
    inner.listeners.notify(phase);
}

fn run(inner: &Inner) {
    let mut st = lock(&inner.state);
    let end = st.started.unwrap_or_else(Instant::now) + inner.drain;
    while !st.skip_drain && !st.cancelled {
        let now = Instant::now();
        if now >= end {
            break;
        }
        st = inner.changed.wait_timeout(st, end - now).unwrap_or_else(|e| e.into_inner()).0;
    }
    st.phase = Phase::Callbacks;
    let callbacks = std::mem::take(&mut st.callbacks);
    drop(st);
    notify(inner, Phase::Callbacks);
    let mut ran = 0;
    for cb in callbacks {
        if lock(&inner.state).cancelled {
            break;
        }
        if catch_unwind(AssertUnwindSafe(cb)).is_err() {
            log::error!(target: "hams::shutdown", "a shutdown callback panicked");
        }
        ran += 1;
    }
    let mut st = lock(&inner.state);
    st.callbacks_run = ran;
    st.phase = Phase::Done;
    inner.changed.notify_all();
    drop(st);
    log::info!(target: "hams::shutdown", "shutdown sequence done; the application may stop");
    notify(inner, Phase::Done);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn sequence_runs_callbacks_after_the_drain() {
        let reg = Arc::new(ProbeRegistry::default());
        let s = Shutdown::new(Duration::from_millis(100), reg.clone());
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        s.on_shutdown(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }))
        .unwrap();
        assert!(!s.wait(Some(Duration::from_millis(10))));
        let t = Instant::now();
        assert!(s.request(Origin::Application));
        assert!(reg.is_shutting_down());
        assert!(!s.request(Origin::Http), "only once");
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        assert!(s.wait(None));
        assert!(t.elapsed() >= Duration::from_millis(100));
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(s.summary().callbacks_run, 1);
        assert!(s.on_shutdown(Box::new(|| {})).is_err());
    }

    #[test]
    fn second_signal_skips_the_drain() {
        let s = Shutdown::new(Duration::from_secs(60), Arc::new(ProbeRegistry::default()));
        s.on_signal(libc::SIGTERM);
        assert_eq!(s.phase(), Phase::Draining);
        s.on_signal(libc::SIGTERM);
        assert!(s.wait(Some(Duration::from_secs(5))));
    }

    #[test]
    fn cancel_drops_pending_callbacks() {
        let s = Shutdown::new(Duration::from_secs(60), Arc::new(ProbeRegistry::default()));
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        s.on_shutdown(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }))
        .unwrap();
        s.request(Origin::Application);
        s.cancel_and_join();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
