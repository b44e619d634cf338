//! One labelled series and its values, updated lock-free from any thread.

pub(crate) use super::cells::{AtomicF64, View};
use super::exemplar::Exemplars;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::Arc;

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
    /// The latest exemplar of the counter or of each bucket.
    pub(crate) exemplars: Exemplars,
}

impl Series {
    pub(crate) fn new(labels: Vec<(String, String)>, values: Values) -> Series {
        Series {
            labels,
            values,
            slot: AtomicUsize::new(0),
            handle: AtomicPtr::new(std::ptr::null_mut()),
            exemplars: Exemplars::default(),
        }
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
