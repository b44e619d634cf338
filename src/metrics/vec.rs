//! `MetricVec`: a metric family whose series are made on first use of their
//! label values, as client_golang's CounterVec, GaugeVec and HistogramVec.

use super::metric::Metric;
use super::names::validate_buckets;
use super::registry::{Family, MetricRegistry};
use super::series::{Series, Shape};
use super::Kind;
use crate::error::{Error, Result};
use std::ptr::null_mut;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// A family with run-time label values; dropping it unregisters the family
/// with all its series. Made by `Hams::counter_vec`, `gauge_vec`,
/// `histogram_vec` and `histogram_native_vec`.
///
/// ```
/// let hams = hams::Hams::new("svc", "1")?;
/// let requests = hams.counter_vec("http_requests_total", "Requests.", &["path", "code"])?;
/// requests.with(&["/", "200"])?.add(1.0)?;
/// let latency = hams.histogram_vec("http_seconds", "Latency.", &hams::DEFAULT_BUCKETS, &["path"])?;
/// let root = latency.with(&["/"])?; // keep it to update it often
/// root.observe(0.042)?;
/// requests.remove(&["/", "200"])?;
/// # Ok::<(), hams::Error>(())
/// ```
pub struct MetricVec {
    family: Arc<Family>,
    shape: Shape,
    registry: Weak<MetricRegistry>,
}

/// The shape of a vec's series, checked before anything is registered.
pub(crate) fn shape_of(name: &str, kind: Kind, buckets: Option<&[f64]>, native: Option<(f64, u32)>) -> Result<Shape> {
    match (kind, buckets, native) {
        (Kind::Histogram, Some(b), _) => {
            validate_buckets(name, b)?;
            Ok(Shape::Histogram(b.into()))
        }
        (Kind::NativeHistogram, _, Some((bucket_factor, max_buckets))) => {
            validate_native(name, bucket_factor)?;
            Ok(Shape::Native { bucket_factor, max_buckets })
        }
        _ => Ok(Shape::Scalar),
    }
}

/// A native histogram's bucket factor: finite and above 1 (max_buckets:
/// any; 0 means no limit).
pub(crate) fn validate_native(name: &str, bucket_factor: f64) -> Result<()> {
    if !bucket_factor.is_finite() || bucket_factor <= 1.0 {
        return Err(Error::invalid(format!(
            "native histogram {name}: bucket_factor is {bucket_factor}; it must be finite and greater than 1"
        )));
    }
    Ok(())
}

impl MetricVec {
    pub(crate) fn new(
        registry: &Arc<MetricRegistry>,
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
        shape: Shape,
    ) -> Result<MetricVec> {
        let family = registry.register_vec(name, help, kind, label_names)?;
        Ok(MetricVec { family, shape, registry: Arc::downgrade(registry) })
    }

    pub fn name(&self) -> &str {
        &self.family.name
    }

    pub fn kind(&self) -> Kind {
        self.family.kind
    }

    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.family.label_names.iter().map(String::as_str)
    }

    /// The series for these label values (one per label name, in order),
    /// made on first use. Concurrent first uses get the same series. For
    /// values already used it takes a read lock only and allocates nothing.
    pub fn with(&self, values: &[&str]) -> Result<Metric> {
        let series = self.family.get_or_add(values, &self.shape)?;
        Ok(Metric::member(self.family.clone(), series))
    }

    /// The C layer's handle for the series of `values`: the one attached to
    /// it before, or else `make`'s, attached now (`discard` frees the handle
    /// of a thread that lost the race to attach one). A handle is attached
    /// only to a series still in the vec, so that `remove` frees every
    /// handle but the ones of series removed while a caller still used them.
    pub(crate) fn handle_for(
        &self,
        values: &[&str],
        make: impl Fn(Metric) -> *mut (),
        discard: impl Fn(*mut ()),
    ) -> Result<*mut ()> {
        loop {
            let series = self.family.get_or_add(values, &self.shape)?;
            let made = series.handle.load(Ordering::Acquire);
            if !made.is_null() {
                return Ok(made);
            }
            let attached = self.family.while_contains(&series, |contained| {
                // Removed since `get_or_add`: make the series again.
                contained.then(|| {
                    let new = make(Metric::member(self.family.clone(), series.clone()));
                    match series.handle.compare_exchange(null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => new,
                        Err(winner) => {
                            discard(new);
                            winner
                        }
                    }
                })
            });
            if let Some(p) = attached {
                return Ok(p);
            }
        }
    }

    /// Removes the series with these values from the exposition; a `Metric`
    /// still held updates a series no longer exposed, and `with` makes a new
    /// one. An error if there is no such series.
    pub fn remove(&self, values: &[&str]) -> Result<()> {
        self.remove_series(values).map(drop)
    }

    pub(crate) fn remove_series(&self, values: &[&str]) -> Result<Arc<Series>> {
        if values.len() != self.family.label_names.len() {
            return Err(Error::invalid(format!(
                "metric {}: {} label values for {} label names",
                self.family.name,
                values.len(),
                self.family.label_names.len()
            )));
        }
        self.family.remove(values).ok_or_else(|| {
            Error::invalid(format!("metric {}: no series with label values {values:?}", self.family.name))
        })
    }

    /// Gauge vecs: how the parent of a workers' tree shows the family (see
    /// `Aggregation`); set before the first update.
    pub fn set_aggregation(&self, how: super::Aggregation) -> Result<()> {
        self.family.set_aggregation(how)
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.family.series_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The series now in the vec (for the C layer's handles).
    pub(crate) fn series_snapshot(&self, out: &mut Vec<Arc<Series>>) {
        self.family.series_snapshot(out);
    }
}

impl std::fmt::Debug for MetricVec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricVec").field("name", &self.name()).field("kind", &self.kind()).finish()
    }
}

impl Drop for MetricVec {
    fn drop(&mut self) {
        if let Some(r) = self.registry.upgrade() {
            r.unregister_family(&self.family);
        }
    }
}

#[cfg(test)]
#[path = "vec_tests.rs"]
mod tests;
