//! `Metric`: one series to update, lock-free, from any thread.

use super::exemplar;
use super::registry::{Family, MetricRegistry};
use super::series::{AtomicF64, Series, Shape, View};
use super::{Aggregation, Kind};
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// One application metric (a series). A metric registered alone leaves the
/// exposition when dropped; one from a vec (see `MetricVec::with`) is the
/// vec's, and dropping it does nothing.
pub struct Metric {
    series: Arc<Series>,
    family: Arc<Family>,
    /// Set for a metric registered alone.
    registry: Option<Weak<MetricRegistry>>,
}

impl Metric {
    pub(crate) fn new(
        registry: &Arc<MetricRegistry>,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(&str, &str)],
        buckets: Option<&[f64]>,
    ) -> Result<Metric> {
        let shape = match buckets {
            None => Shape::Scalar,
            Some(b) => {
                super::names::validate_buckets(name, b)?;
                Shape::Histogram(b.into())
            }
        };
        Metric::register(registry, name, help, kind, labels, &shape)
    }

    pub(crate) fn register(
        registry: &Arc<MetricRegistry>,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(&str, &str)],
        shape: &Shape,
    ) -> Result<Metric> {
        let (family, series) = registry.register(name, help, kind, labels, shape)?;
        Ok(Metric { series, family, registry: Some(Arc::downgrade(registry)) })
    }

    /// A vec's member.
    pub(crate) fn member(family: Arc<Family>, series: Arc<Series>) -> Metric {
        Metric { series, family, registry: None }
    }

    pub fn name(&self) -> &str {
        &self.family.name
    }

    pub fn kind(&self) -> Kind {
        self.family.kind
    }

    /// Whether it belongs to a vec (which removes and frees it).
    pub fn is_vec_member(&self) -> bool {
        self.registry.is_none()
    }

    /// The label values, in the order of the label names.
    pub fn label_values(&self) -> impl Iterator<Item = &str> {
        self.series.label_values()
    }

    /// Counters' and gauges' value (the kind was checked).
    fn scalar(&self) -> Option<&AtomicF64> {
        match self.series.values.view() {
            View::Scalar(v) => Some(v),
            _ => None,
        }
    }

    fn expect(&self, ok: bool, kind: Kind, op: &str) -> Result<()> {
        if !ok {
            return Err(Error::invalid(format!(
                "{op}: metric {} is a {}, not a {}",
                self.name(),
                self.kind().name(),
                kind.name()
            )));
        }
        Ok(())
    }

    /// Gauges: how the parent of a workers' tree shows this family (see
    /// `Aggregation`); set before the first update. Without workers mode it
    /// is recorded and changes nothing.
    pub fn set_aggregation(&self, how: Aggregation) -> Result<()> {
        self.family.set_aggregation(how)
    }

    /// Counters: adds `v` (finite, not negative).
    pub fn add(&self, v: f64) -> Result<()> {
        self.check_add(v)?;
        if let Some(s) = self.scalar() {
            s.add(v);
        }
        Ok(())
    }

    /// Counters: adds `v` and makes `labels` (with `v` and the time) the
    /// counter's exemplar, shown in OpenMetrics and protobuf scrapes. On an
    /// error nothing is added.
    pub fn add_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<()> {
        self.check_add(v)?;
        exemplar::check(self.name(), labels)?;
        if let Some(s) = self.scalar() {
            s.add(v);
        }
        self.series.exemplars.record(1, 0, labels, v);
        Ok(())
    }

    fn check_add(&self, v: f64) -> Result<()> {
        self.expect(self.kind() == Kind::Counter, Kind::Counter, "counter_add")?;
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(format!(
                "counter {}: cannot add {v} (must be finite and not negative)",
                self.name()
            )));
        }
        Ok(())
    }

    /// Gauges: sets the value (NaN and infinities are allowed).
    pub fn set(&self, v: f64) -> Result<()> {
        self.expect(self.kind() == Kind::Gauge, Kind::Gauge, "gauge_set")?;
        if let Some(s) = self.scalar() {
            s.set(v);
        }
        Ok(())
    }

    /// Gauges: adds `v` (may be negative).
    pub fn gauge_add(&self, v: f64) -> Result<()> {
        self.expect(self.kind() == Kind::Gauge, Kind::Gauge, "gauge_add")?;
        if v.is_nan() {
            return Err(Error::invalid(format!("gauge {}: cannot add NaN", self.name())));
        }
        if let Some(s) = self.scalar() {
            s.add(v);
        }
        Ok(())
    }

    /// Histograms, classic or native: records one observation (finite;
    /// native histograms take negative ones and zero too).
    pub fn observe(&self, v: f64) -> Result<()> {
        self.check_observe(v)?;
        self.record_observation(v);
        Ok(())
    }

    /// Histograms: records `v` and makes `labels` (with `v` and the time)
    /// the exemplar of the bucket `v` falls in (a native histogram keeps one).
    /// On an error nothing is recorded.
    pub fn observe_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<()> {
        self.check_observe(v)?;
        exemplar::check(self.name(), labels)?;
        let (slots, i) = self.record_observation(v);
        self.series.exemplars.record(slots, i, labels, v);
        Ok(())
    }

    fn check_observe(&self, v: f64) -> Result<()> {
        let is_histogram = matches!(self.kind(), Kind::Histogram | Kind::NativeHistogram);
        self.expect(is_histogram, Kind::Histogram, "histogram_observe")?;
        if !v.is_finite() {
            return Err(Error::invalid(format!("histogram {}: cannot observe {v}", self.name())));
        }
        Ok(())
    }

    /// Counts `v`; returns the series' number of exemplar slots and the one `v` belongs to.
    fn record_observation(&self, v: f64) -> (usize, usize) {
        match self.series.values.view() {
            View::Histogram { bounds, counts, sum } => {
                let i = bounds.partition_point(|&b| b < v);
                if let Some(c) = counts.get(i) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                sum.add(v);
                (counts.len(), i)
            }
            View::Native(n) => {
                n.observe(v);
                (1, 0)
            }
            View::Scalar(_) => (1, 0),
        }
    }

    /// The current value (counters and gauges) or sum (histograms).
    pub fn value(&self) -> f64 {
        match self.series.values.view() {
            View::Scalar(v) => v.get(),
            View::Histogram { sum, .. } => sum.get(),
            View::Native(n) => n.sum(),
        }
    }

    /// Histograms: the number of observations (0 for other kinds).
    pub fn count(&self) -> u64 {
        match self.series.values.view() {
            View::Histogram { counts, .. } => counts.iter().map(|c| c.load(Ordering::Relaxed)).sum(),
            View::Native(n) => n.count(),
            View::Scalar(_) => 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn series(&self) -> &Arc<Series> {
        &self.series
    }
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name()).field("kind", &self.kind()).finish()
    }
}

impl Drop for Metric {
    fn drop(&mut self) {
        if let Some(r) = self.registry.as_ref().and_then(Weak::upgrade) {
            r.unregister(&self.family, &self.series);
        }
    }
}
