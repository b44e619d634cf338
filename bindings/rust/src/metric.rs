//! `Metric`: one application metric over `hams_metric_t`; and the metrics
//! callback, whose text is handed to `hams_metrics_append`.

use crate::error::{check, check_ptr, Error, ErrorKind, Result};
use crate::labels::CStrings;
use crate::life::Life;
use crate::vec::{MetricVec, VecHandle};
use libc::c_void;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    /// A classic histogram: fixed buckets.
    Histogram,
    /// A native histogram: sparse exponential buckets, in the protobuf
    /// format; the text formats show its count and sum.
    NativeHistogram,
}

impl MetricKind {
    fn name(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::NativeHistogram => "native histogram",
        }
    }
}

/// One application metric; dropping it removes it from the exposition.
///
/// ```
/// let h = hams::Hams::new("my-service", "1.0.0")?;
/// let jobs = h.counter("jobs_total", "Jobs done.", &[("queue", "mail")])?;
/// jobs.add(1.0)?;
/// let latency = h.histogram("job_seconds", "Job latency.", &[0.1, 1.0, 10.0], &[])?;
/// latency.observe(0.25)?;
/// latency.observe_exemplar(0.3, &[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")])?;
/// # Ok::<(), hams::Error>(())
/// ```
pub struct Metric {
    pub(crate) target: Target,
    pub(crate) life: Arc<Life>,
    pub(crate) name: String,
    pub(crate) kind: MetricKind,
}

/// What a `Metric` updates.
pub(crate) enum Target {
    /// A metric of its own, freed with the `Metric`.
    Own(*mut hams_sys::hams_metric_t),
    /// A vec's series, found by its label values on each update: libhams
    /// frees a series' handle when it is removed, so none is kept here.
    Series {
        vec: Arc<VecHandle>,
        values: CStrings,
        /// The vec behind a labelled native histogram, which is its only series.
        owner: Option<MetricVec>,
    },
}

// SAFETY: the metric functions are lock-free and thread-safe; the handle is
// used only while `life` says the server exists.
unsafe impl Send for Metric {}
unsafe impl Sync for Metric {}

impl Metric {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> MetricKind {
        self.kind
    }

    /// Whether it is a series of a vec (which removes and frees it).
    pub fn is_vec_member(&self) -> bool {
        matches!(self.target, Target::Series { owner: None, .. })
    }

    /// The label values of a vec's series, in the order of the label names.
    pub fn label_values(&self) -> impl Iterator<Item = &str> {
        let values = match &self.target {
            Target::Series { values, .. } => Some(values.iter()),
            Target::Own(_) => None,
        };
        values.into_iter().flatten()
    }

    /// Runs the C update `f` on the metric's handle, if it is of one of `kinds`.
    fn call(
        &self,
        kinds: &[MetricKind],
        op: &str,
        f: impl Fn(*mut hams_sys::hams_metric_t) -> libc::c_int,
    ) -> Result<()> {
        if !kinds.contains(&self.kind) {
            let (name, is, not) = (&self.name, self.kind.name(), kinds[0].name());
            return Err(Error::new(ErrorKind::Invalid, format!("{op}: metric {name} is a {is}, not a {not}")));
        }
        let update = || match &self.target {
            // SAFETY (of `f`'s call): a live metric handle of the right kind.
            Target::Own(ptr) => check(f(*ptr)).map(drop),
            Target::Series { vec, values, .. } => vec
                .with(|v_ptr| {
                    // SAFETY: a live vec (the lock held keeps its series); the
                    // series' handle is used before the lock is released.
                    let ptr = check_ptr(unsafe { hams_sys::hams_vec_with(v_ptr, values.as_ptr()) })?;
                    check(f(ptr)).map(drop)
                })
                .unwrap_or(Ok(())),
        };
        self.life.with(update).unwrap_or(Ok(()))
    }

    /// Counters: adds `v` (finite, not negative).
    pub fn add(&self, v: f64) -> Result<()> {
        // SAFETY: `call` passes a live counter handle.
        self.call(&[MetricKind::Counter], "counter_add", |m| unsafe { hams_sys::hams_counter_add(m, v) })
    }

    /// Counters: adds `v` with an exemplar (e.g. `&[("trace_id", id)]`), which
    /// becomes the counter's latest, shown in the OpenMetrics exposition. A bad
    /// exemplar (over 128 characters in all, an invalid or repeated name) is an
    /// `ErrorKind::Invalid` error, and nothing is counted.
    pub fn add_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<()> {
        let labels = CStrings::exemplar(labels)?;
        // SAFETY: `call` passes a live counter handle; `labels` is NULL-terminated and outlives the call.
        let f = |m| unsafe { hams_sys::hams_counter_add_exemplar(m, v, labels.as_ptr()) };
        self.call(&[MetricKind::Counter], "counter_add_exemplar", f)
    }

    /// Gauges: sets the value (NaN and infinities are allowed).
    pub fn set(&self, v: f64) -> Result<()> {
        // SAFETY: `call` passes a live gauge handle.
        self.call(&[MetricKind::Gauge], "gauge_set", |m| unsafe { hams_sys::hams_gauge_set(m, v) })
    }

    /// Gauges: adds `v` (may be negative).
    pub fn gauge_add(&self, v: f64) -> Result<()> {
        // SAFETY: `call` passes a live gauge handle.
        self.call(&[MetricKind::Gauge], "gauge_add", |m| unsafe { hams_sys::hams_gauge_add(m, v) })
    }

    /// Histograms, classic or native: records one observation (finite;
    /// native histograms take negative ones and zero too).
    pub fn observe(&self, v: f64) -> Result<()> {
        let kinds = [MetricKind::Histogram, MetricKind::NativeHistogram];
        // SAFETY: `call` passes a live histogram handle.
        self.call(&kinds, "histogram_observe", |m| unsafe { hams_sys::hams_histogram_observe(m, v) })
    }

    /// Histograms: records `v` with an exemplar, which becomes the latest of
    /// the bucket `v` falls in (errors as `add_exemplar`).
    pub fn observe_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<()> {
        let kinds = [MetricKind::Histogram, MetricKind::NativeHistogram];
        let labels = CStrings::exemplar(labels)?;
        // SAFETY: `call` passes a live histogram handle; `labels` is NULL-terminated and outlives the call.
        let f = |m| unsafe { hams_sys::hams_histogram_observe_exemplar(m, v, labels.as_ptr()) };
        self.call(&kinds, "histogram_observe_exemplar", f)
    }
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

impl Drop for Metric {
    fn drop(&mut self) {
        if let Target::Own(ptr) = self.target {
            // SAFETY: a live metric handle, freed once.
            self.life.with(|| unsafe { hams_sys::hams_metric_free(ptr) });
        }
    }
}

/// A function that appends exposition text to each scrape.
pub type MetricsFn = Box<dyn FnMut(&mut String) + Send>;

/// The metrics callback at a fixed address for libhams' `user`.
pub(crate) struct MetricsSlot(Mutex<MetricsFn>);

impl MetricsSlot {
    pub(crate) fn new(f: MetricsFn) -> Box<MetricsSlot> {
        Box::new(MetricsSlot(Mutex::new(f)))
    }
}

/// libhams' `hams_metrics_fn` for a `MetricsSlot`: the closure writes into a
/// String, appended in one call. A panic is caught (it must not unwind into
/// C): that scrape is served without the application's text.
pub(crate) unsafe extern "C" fn run_metrics(user: *mut c_void, out: *mut hams_sys::hams_metrics_buffer_t) {
    // SAFETY: `user` is the MetricsSlot the Hams owns until the callback is
    // replaced or removed, which waits for a run in progress.
    let slot = unsafe { &*(user as *const MetricsSlot) };
    let text = catch_unwind(AssertUnwindSafe(|| {
        let mut text = String::new();
        (slot.0.lock().unwrap_or_else(|e| e.into_inner()))(&mut text);
        text
    }));
    if let Ok(Ok(text)) = text.map(CString::new) {
        // SAFETY: `out` is the buffer of this run, `text` a C string. A
        // failure is libhams' to log and count; there is no caller to tell.
        unsafe { hams_sys::hams_metrics_append(out, text.as_ptr()) };
    }
}
