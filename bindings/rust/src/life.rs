//! Whether the `hams_t` still exists, for the handles made through it.
//!
//! libhams frees a server's probes and metrics with it, so a `Probe` or
//! `Metric` that outlives its `Hams` must not touch its handle again. Each
//! call on a child handle holds the read lock for the length of the C call;
//! `Hams` marks the server dead under the write lock (waiting for calls in
//! flight) and frees it after releasing the lock, so that a callback probe
//! still running may use its siblings (they are no-ops by then) instead of
//! dead-locking `hams_free`, which waits for it.

use std::sync::RwLock;

#[derive(Default)]
pub(crate) struct Life {
    dead: RwLock<bool>,
}

impl Life {
    /// Runs `f` while the server is alive; `None` once it is freed.
    pub(crate) fn with<T>(&self, f: impl FnOnce() -> T) -> Option<T> {
        let dead = self.dead.read().unwrap_or_else(|e| e.into_inner());
        if *dead {
            None
        } else {
            Some(f())
        }
    }

    /// Marks the server dead once no call on its children is in flight.
    pub(crate) fn end(&self) {
        *self.dead.write().unwrap_or_else(|e| e.into_inner()) = true;
    }
}
