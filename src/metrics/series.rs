//! One labelled series and its values, updated lock-free from any thread.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

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

/// The values of one labelled series.
pub(crate) enum Values {
    Scalar(AtomicF64),
    /// A classic histogram; a vec's series share their bounds.
    Histogram {
        bounds: Arc<[f64]>,
        counts: Box<[AtomicU64]>,
        sum: AtomicF64,
    },
    Native(super::native::NativeHistogram),
    /// A counter's, gauge's or classic histogram's values in the workers'
    /// shared memory (see `shared.rs`).
    Shared(super::shared::SharedValues),
}

/// What a series' values are, wherever they live.
pub(crate) enum View<'a> {
    Scalar(&'a AtomicF64),
    Histogram { bounds: &'a [f64], counts: &'a [AtomicU64], sum: &'a AtomicF64 },
    Native(&'a super::native::NativeHistogram),
}

impl Values {
    pub(crate) fn view(&self) -> View<'_> {
        match self {
            Values::Scalar(v) => View::Scalar(v),
            Values::Histogram { bounds, counts, sum } => View::Histogram { bounds, counts, sum },
            Values::Native(n) => View::Native(n),
            Values::Shared(s) => s.view(),
        }
    }
}

/// What a new series' values look like (a family's, for a vec).
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Scalar,
    Histogram(Arc<[f64]>),
    Native { bucket_factor: f64, max_buckets: u32 },
}

impl Shape {
    pub(crate) fn values(&self) -> Values {
        match self {
            Shape::Scalar => Values::Scalar(AtomicF64::default()),
            Shape::Histogram(bounds) => Values::Histogram {
                bounds: bounds.clone(),
                counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
                sum: AtomicF64::default(),
            },
            Shape::Native { bucket_factor, max_buckets } => {
                match super::native::NativeHistogram::new(*bucket_factor, *max_buckets) {
                    Some(n) => Values::Native(n),
                    // Validated when the family was made.
                    None => Values::Scalar(AtomicF64::default()),
                }
            }
        }
    }
}

pub(crate) struct Series {
    /// Label names and values, in the family's order of names.
    pub labels: Vec<(String, String)>,
    pub values: Values,
    /// Where it is in its family's exposition order (changed only under the
    /// family's write lock).
    pub(crate) slot: AtomicUsize,
    /// The C layer's handle for a vec's series, made on first use so that
    /// every hams_vec_with() gives the same pointer; the C layer frees it.
    pub(crate) handle: AtomicPtr<()>,
}

impl Series {
    pub(crate) fn new(labels: Vec<(String, String)>, values: Values) -> Series {
        Series { labels, values, slot: AtomicUsize::new(0), handle: AtomicPtr::new(std::ptr::null_mut()) }
    }

    pub(crate) fn label_values(&self) -> impl Iterator<Item = &str> {
        self.labels.iter().map(|(_, v)| v.as_str())
    }

    /// A native histogram's state for the protobuf exposition (false, `out`
    /// untouched, for other kinds).
    pub(crate) fn native_snapshot(&self, out: &mut super::native::NativeSnapshot) -> bool {
        match &self.values {
            Values::Native(n) => {
                n.snapshot_into(out);
                true
            }
            _ => false,
        }
    }
}
