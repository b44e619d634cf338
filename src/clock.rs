//! A monotonic clock in nanoseconds, cheap to store in an atomic.
//!
//! Kick probes and callback deadlines must not jump with the wall clock, so
//! everything is measured from one process-wide `Instant`.

use std::sync::OnceLock;
use std::time::Instant;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since the first call in this process; never 0, never decreasing.
pub(crate) fn now_ns() -> u64 {
    // +1 so that 0 can mean "never" in atomics.
    epoch().elapsed().as_nanos().min(u64::MAX as u128 - 1) as u64 + 1
}

pub(crate) fn ms_to_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}
