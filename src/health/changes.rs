//! The one signal that a probe's or a check's state may have changed, for
//! the listeners' threads (see `listen.rs`). Process-wide: a change wakes
//! every listener thread, which finds out itself whether anything of its
//! `Hams` changed. Nothing is signalled, and nobody wakes, while nothing
//! changes; what changes with time alone (a kick's margin, a callback's
//! timeout) the listener's thread computes and sleeps until.

use crate::sync::lock;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

static GENERATION: Mutex<u64> = Mutex::new(0);
static CHANGED: Condvar = Condvar::new();

/// Something may have changed.
pub(crate) fn notify() {
    *lock(&GENERATION) += 1;
    CHANGED.notify_all();
}

pub(crate) fn generation() -> u64 {
    *lock(&GENERATION)
}

/// Waits until the generation is no longer `seen`, or `until` passes.
pub(crate) fn wait(seen: u64, until: Option<Instant>) {
    let mut g = lock(&GENERATION);
    while *g == seen {
        let timeout = match until {
            Some(t) => match t.checked_duration_since(Instant::now()) {
                Some(d) if !d.is_zero() => d,
                _ => return,
            },
            // Woken by `notify` (a stop is a notify too); the cap only
            // bounds the damage of a lost wake-up.
            None => Duration::from_secs(3600),
        };
        g = CHANGED.wait_timeout(g, timeout).map(|(g, _)| g).unwrap_or_else(|e| e.into_inner().0);
    }
}
