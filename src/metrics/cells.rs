//! Where a series' numbers are kept: `AtomicF64`, and `View`, what a
//! series' values are, in the process' memory or in the workers' region.

use std::sync::atomic::{AtomicU64, Ordering};

/// An f64 in an atomic, updated with compare-and-swap.
#[derive(Default)]
#[repr(transparent)]
pub(crate) struct AtomicF64(AtomicU64);

impl AtomicF64 {
    /// A word of shared memory seen as an f64.
    pub(crate) fn from_cell(cell: &AtomicU64) -> &AtomicF64 {
        // SAFETY: AtomicF64 is a transparent wrapper of AtomicU64.
        unsafe { &*(cell as *const AtomicU64).cast::<AtomicF64>() }
    }
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    pub(crate) fn add(&self, v: f64) {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match self.0.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// What a series' values are, wherever they live.
pub(crate) enum View<'a> {
    Scalar(&'a AtomicF64),
    Histogram { bounds: &'a [f64], counts: &'a [AtomicU64], sum: &'a AtomicF64 },
    Native(&'a super::native::NativeHistogram),
}
