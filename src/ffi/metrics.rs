//! `hams_metric_t`: application counters, gauges and histograms, and the
//! metrics text callback.

use super::handles::{adopt, free, hams_metric_t, hams_t, handle};
use super::{buckets_arg, guard, labels_arg, null, str_arg, UserPtr};
use crate::error::{Error, Result};
use crate::metrics::Metric;
use std::ffi::{c_char, c_double, c_int, c_void};

unsafe fn create(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    labels: *const *const c_char,
    make: impl FnOnce(&crate::Hams, &str, &str, &[(&str, &str)]) -> Result<Metric>,
) -> Result<*mut hams_metric_t> {
    let owner = handle(h)?;
    let name = str_arg(name, "name")?;
    let help = str_arg(help, "help")?;
    let labels = labels_arg(labels)?;
    let metric = make(&owner.core, name, help, &labels)?;
    adopt(h, metric)
}

/// Creates a counter `name` (ending in `_total`) with `help` text. NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_counter_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
) -> *mut hams_metric_t {
    hams_counter_new_labeled(h, name, help, std::ptr::null())
}

/// Like hams_counter_new(), with a fixed label set: `labels` is NULL or a
/// NULL-terminated array of name, value pairs, e.g. {"queue", "mail", NULL}.
/// Series of one family share the name, help and label names.
#[no_mangle]
pub unsafe extern "C" fn hams_counter_new_labeled(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    labels: *const *const c_char,
) -> *mut hams_metric_t {
    guard(|| create(h, name, help, labels, |core, n, hl, l| core.counter(n, hl, l)))
}

/// Creates a gauge. NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_gauge_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
) -> *mut hams_metric_t {
    hams_gauge_new_labeled(h, name, help, std::ptr::null())
}

/// Like hams_gauge_new(), with a fixed label set (see hams_counter_new_labeled()).
#[no_mangle]
pub unsafe extern "C" fn hams_gauge_new_labeled(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    labels: *const *const c_char,
) -> *mut hams_metric_t {
    guard(|| create(h, name, help, labels, |core, n, hl, l| core.gauge(n, hl, l)))
}

/// Creates a histogram with `n` bucket upper bounds (finite, strictly
/// increasing; +Inf is implied); `buckets` NULL and `n` 0 for Prometheus'
/// defaults (0.005 to 10 seconds). NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    buckets: *const c_double,
    n: usize,
) -> *mut hams_metric_t {
    hams_histogram_new_labeled(h, name, help, buckets, n, std::ptr::null())
}

/// Like hams_histogram_new(), with a fixed label set (see hams_counter_new_labeled()).
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_new_labeled(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    buckets: *const c_double,
    n: usize,
    labels: *const *const c_char,
) -> *mut hams_metric_t {
    guard(|| {
        let b = buckets_arg(buckets, n)?;
        create(h, name, help, labels, |core, nm, hl, l| core.histogram(nm, hl, b, l))
    })
}

/// Creates a native histogram (sparse exponential buckets, exposed in the
/// protobuf format; the text formats show its count and sum): each bucket
/// is at most `bucket_factor` (finite, > 1) times as wide as the one below;
/// `max_buckets` caps the bucket count by widening them (0: no cap). NULL
/// on error.
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_native_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    bucket_factor: c_double,
    max_buckets: u32,
) -> *mut hams_metric_t {
    guard(|| {
        create(h, name, help, std::ptr::null(), |core, n, hl, l| {
            core.histogram_native(n, hl, bucket_factor, max_buckets, l)
        })
    })
}

/// Adds `v` (finite, >= 0) to a counter. Lock-free; any thread.
#[no_mangle]
pub unsafe extern "C" fn hams_counter_add(m: *mut hams_metric_t, v: c_double) -> c_int {
    guard(|| handle(m)?.metric.add(v))
}

/// hams_counter_add(), and `labels` (NULL-terminated name, value pairs, at
/// most 128 UTF-8 characters in all; may be empty) become the counter's
/// exemplar, with `v` and the time: shown in OpenMetrics and protobuf
/// scrapes. On an error nothing is added.
#[no_mangle]
pub unsafe extern "C" fn hams_counter_add_exemplar(
    m: *mut hams_metric_t,
    v: c_double,
    labels: *const *const c_char,
) -> c_int {
    guard(|| {
        let m = handle(m)?;
        m.metric.add_exemplar(v, &exemplar_arg(labels)?)
    })
}

/// Sets a gauge (NaN and infinities allowed). Lock-free; any thread.
#[no_mangle]
pub unsafe extern "C" fn hams_gauge_set(m: *mut hams_metric_t, v: c_double) -> c_int {
    guard(|| handle(m)?.metric.set(v))
}

/// Adds `v` (may be negative, not NaN) to a gauge. Lock-free; any thread.
#[no_mangle]
pub unsafe extern "C" fn hams_gauge_add(m: *mut hams_metric_t, v: c_double) -> c_int {
    guard(|| handle(m)?.metric.gauge_add(v))
}

/// Records one finite observation in a histogram, classic or native.
/// Lock-free for classic ones; any thread.
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_observe(m: *mut hams_metric_t, v: c_double) -> c_int {
    guard(|| handle(m)?.metric.observe(v))
}

/// hams_histogram_observe(), and `labels` (as for
/// hams_counter_add_exemplar()) become the exemplar of the bucket `v` falls
/// in. On an error nothing is recorded.
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_observe_exemplar(
    m: *mut hams_metric_t,
    v: c_double,
    labels: *const *const c_char,
) -> c_int {
    guard(|| {
        let m = handle(m)?;
        m.metric.observe_exemplar(v, &exemplar_arg(labels)?)
    })
}

/// An exemplar's labels: unlike a series' labels, NULL is not "none".
unsafe fn exemplar_arg<'a>(labels: *const *const c_char) -> Result<Vec<(&'a str, &'a str)>> {
    if labels.is_null() {
        return Err(null("labels"));
    }
    labels_arg(labels)
}

/// Removes a metric from the exposition and frees it. A vec's series are
/// refused: see hams_vec_remove().
#[no_mangle]
pub unsafe extern "C" fn hams_metric_free(m: *mut hams_metric_t) -> c_int {
    guard(|| free(m))
}

/// The text buffer a metrics callback appends to (opaque).
pub struct hams_metrics_buffer {
    text: String,
}

/// The type applications name in a metrics callback.
pub type hams_metrics_buffer_t = hams_metrics_buffer;

/// Produces exposition text for a scrape by calling hams_metrics_append().
pub type hams_metrics_fn = Option<unsafe extern "C" fn(user: *mut c_void, out: *mut hams_metrics_buffer_t)>;

/// The most text one callback run may append.
const MAX_CALLBACK_TEXT: usize = 4 << 20;

/// Appends exposition text (Prometheus text format 0.0.4, no timestamps)
/// to the buffer of a running metrics callback.
#[no_mangle]
pub unsafe extern "C" fn hams_metrics_append(out: *mut hams_metrics_buffer_t, text: *const c_char) -> c_int {
    guard(|| {
        if out.is_null() {
            return Err(null("out"));
        }
        let text = str_arg(text, "text")?;
        let out = &mut *out;
        if out.text.len() + text.len() > MAX_CALLBACK_TEXT {
            return Err(Error::invalid("metrics callback output exceeds 4 MiB"));
        }
        out.text.push_str(text);
        Ok(())
    })
}

/// Installs `callback(user, out)`, run on a hams thread for each scrape of
/// /hams/metrics; what it appends is validated and served after hams' own
/// metrics. A run longer than the callback timeout (default 2 s) is served
/// without; invalid output is dropped. Both are counted in
/// hams_metrics_callback_failures_total. NULL `callback` removes it; this
/// waits for a run in progress.
#[no_mangle]
pub unsafe extern "C" fn hams_set_metrics_callback(
    h: *mut hams_t,
    callback: hams_metrics_fn,
    user: *mut c_void,
) -> c_int {
    guard(|| {
        let h = handle(h)?;
        let user = UserPtr::new(user);
        let f = callback.map(|f| {
            Box::new(move |out: &mut String| {
                let mut buf = hams_metrics_buffer { text: std::mem::take(out) };
                // SAFETY: the callback's contract is in hams.h.
                unsafe { f(user.get(), &mut buf) };
                *out = buf.text;
            }) as crate::MetricsFn
        });
        h.core.set_metrics_callback(f);
        Ok(())
    })
}
