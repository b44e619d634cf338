//! The application's metrics callback: text in the exposition format,
//! produced on demand off the serving thread.
//!
//! A scrape asks for a fresh collection and its render waits (on the render
//! thread, never the serving thread) until it completes or its timeout
//! passes; a run happens on a short-lived thread of its own, so a callback
//! that overruns does not hold up the render. Output that fails validation is
//! dropped and counted.

use super::{validate, MetricRegistry};
use crate::sync::lock;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Appends exposition text to the buffer.
pub type MetricsFn = Box<dyn FnMut(&mut String) + Send>;

/// Why a scrape was served without the callback's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Invalid = 0,
    Timeout = 1,
    Panic = 2,
}

impl Failure {
    pub(crate) const ALL: [Failure; 3] = [Failure::Invalid, Failure::Timeout, Failure::Panic];
    pub(crate) fn label(self) -> &'static str {
        match self {
            Failure::Invalid => "invalid",
            Failure::Timeout => "timeout",
            Failure::Panic => "panic",
        }
    }
}

struct State {
    installed: bool,
    running: bool,
    /// Runs started and finished; a scrape waits for `finished >= target`.
    started: u64,
    finished: u64,
    /// The last valid output (empty when the last run failed).
    output: String,
}

pub(crate) struct Collector {
    state: Mutex<State>,
    /// Output must not repeat a family these metrics already expose.
    metrics: Arc<MetricRegistry>,
    /// Held while the callback runs; replacing the callback waits for it.
    func: Arc<Mutex<Option<MetricsFn>>>,
    pub(crate) timeout: Duration,
    failures: [AtomicU64; 3],
    /// Signalled when a run finishes.
    finished: Condvar,
}

impl Collector {
    pub(crate) fn new(timeout: Duration, metrics: Arc<MetricRegistry>) -> Arc<Collector> {
        Arc::new(Collector {
            state: Mutex::new(State {
                installed: false,
                running: false,
                started: 0,
                finished: 0,
                output: String::new(),
            }),
            metrics,
            func: Arc::new(Mutex::new(None)),
            timeout,
            failures: Default::default(),
            finished: Condvar::new(),
        })
    }

    /// Installs (or with `None` removes) the callback. Waits for a run in
    /// progress, so the old callback is never called after this returns.
    pub(crate) fn set(&self, f: Option<MetricsFn>) {
        let installed = f.is_some();
        *lock(&self.func) = f;
        let mut st = lock(&self.state);
        st.installed = installed;
        st.output.clear();
    }

    pub(crate) fn count(&self, f: Failure) {
        self.failures[f as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Scrapes served without the callback's output for reason `f`.
    pub(crate) fn failures(&self, f: Failure) -> u64 {
        self.failures[f as usize].load(Ordering::Relaxed)
    }

    /// Starts a collection unless one is running; returns the run count to
    /// wait for, or `None` when no callback is installed.
    pub(crate) fn request(self: &Arc<Self>) -> Option<u64> {
        let mut st = lock(&self.state);
        if !st.installed {
            return None;
        }
        if st.running {
            return Some(st.started);
        }
        st.running = true;
        st.started += 1;
        let target = st.started;
        drop(st);
        let me = self.clone();
        let spawned = std::thread::Builder::new().name("hams-metrics".into()).spawn(move || me.run());
        if spawned.is_err() {
            let mut st = lock(&self.state);
            st.running = false;
            st.finished = target;
            st.output.clear();
        }
        Some(target)
    }

    fn run(&self) {
        let mut text = String::new();
        let outcome = {
            let mut func = lock(&self.func);
            match func.as_mut() {
                Some(f) => catch_unwind(AssertUnwindSafe(|| f(&mut text))).map_err(|_| Failure::Panic),
                None => Ok(()),
            }
        };
        let outcome = outcome.and_then(|()| {
            validate::check(&text, &|name| self.metrics.claims(name)).map_err(|why| {
                log::warn!(target: "hams::metrics", "metrics callback output dropped: {why}");
                Failure::Invalid
            })
        });
        let mut st = lock(&self.state);
        match outcome {
            Ok(()) => st.output = text,
            Err(f) => {
                st.output.clear();
                self.count(f);
            }
        }
        st.running = false;
        st.finished = st.started;
        drop(st);
        self.finished.notify_all();
    }

    /// Waits until run `target` has finished (true) or `deadline` passed or
    /// `give_up` says so (false); `give_up` is asked at least every 50 ms.
    pub(crate) fn wait_for(&self, target: u64, deadline: Instant, give_up: &dyn Fn() -> bool) -> bool {
        let mut st = lock(&self.state);
        while st.finished < target {
            let now = Instant::now();
            if now >= deadline || give_up() {
                return false;
            }
            let slice = (deadline - now).min(Duration::from_millis(50));
            st = self.finished.wait_timeout(st, slice).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    /// Calls `f` with the last valid output.
    pub(crate) fn with_output<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        f(&lock(&self.state).output)
    }
}
