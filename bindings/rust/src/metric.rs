//! `Metric`: one application metric over `hams_metric_t`; and the metrics
//! callback, whose text is handed to `hams_metrics_append`.

use crate::error::{check, Error, ErrorKind, Result};
use crate::life::Life;
use libc::c_void;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

impl MetricKind {
    fn name(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
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
/// # Ok::<(), hams::Error>(())
/// ```
pub struct Metric {
    pub(crate) ptr: *mut hams_sys::hams_metric_t,
    pub(crate) life: Arc<Life>,
    pub(crate) name: String,
    pub(crate) kind: MetricKind,
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

    fn call(
        &self,
        kind: MetricKind,
        op: &str,
        f: unsafe extern "C" fn(*mut hams_sys::hams_metric_t, f64) -> i32,
        v: f64,
    ) -> Result<()> {
        if self.kind != kind {
            let (name, is, not) = (&self.name, self.kind.name(), kind.name());
            return Err(Error::new(ErrorKind::Invalid, format!("{op}: metric {name} is a {is}, not a {not}")));
        }
        // SAFETY: a live metric handle of the right kind.
        self.life.with(|| check(unsafe { f(self.ptr, v) })).transpose()?;
        Ok(())
    }

    /// Counters: adds `v` (finite, not negative).
    pub fn add(&self, v: f64) -> Result<()> {
        self.call(MetricKind::Counter, "counter_add", hams_sys::hams_counter_add, v)
    }

    /// Gauges: sets the value (NaN and infinities are allowed).
    pub fn set(&self, v: f64) -> Result<()> {
        self.call(MetricKind::Gauge, "gauge_set", hams_sys::hams_gauge_set, v)
    }

    /// Gauges: adds `v` (may be negative).
    pub fn gauge_add(&self, v: f64) -> Result<()> {
        self.call(MetricKind::Gauge, "gauge_add", hams_sys::hams_gauge_add, v)
    }

    /// Histograms: records one observation (finite).
    pub fn observe(&self, v: f64) -> Result<()> {
        self.call(MetricKind::Histogram, "histogram_observe", hams_sys::hams_histogram_observe, v)
    }
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

impl Drop for Metric {
    fn drop(&mut self) {
        // SAFETY: a live metric handle, freed once.
        self.life.with(|| unsafe { hams_sys::hams_metric_free(self.ptr) });
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
