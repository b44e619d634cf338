//! Prometheus metrics: the application's counters, gauges and histograms
//! (lock-free to update from any thread), hams' built-in metrics, and the
//! exposition formats.

pub(crate) mod builtin;
pub(crate) mod collector;
pub(crate) mod expose;
// The next metrics edition's building blocks, not wired into exposition yet.
#[allow(dead_code)]
pub(crate) mod gzip;
#[allow(dead_code)]
pub(crate) mod native;
#[allow(dead_code)]
pub(crate) mod native_index;
#[allow(dead_code)]
pub(crate) mod negotiate;
#[allow(dead_code)]
pub(crate) mod proto;
pub(crate) mod scrape;
pub(crate) mod validate;

use crate::error::{Error, Result};
use crate::sync::{read, write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// An f64 in an atomic, updated with compare-and-swap.
#[derive(Default)]
pub(crate) struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
    fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    fn add(&self, v: f64) {
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
    Histogram { bounds: Box<[f64]>, counts: Box<[AtomicU64]>, sum: AtomicF64 },
}

pub(crate) struct Series {
    pub labels: Vec<(String, String)>,
    pub values: Values,
}

pub(crate) struct Family {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    pub series: Vec<Arc<Series>>,
}

/// The application's metrics of one `Hams`.
#[derive(Default)]
pub(crate) struct MetricRegistry {
    families: RwLock<Vec<Family>>,
}

impl MetricRegistry {
    pub(crate) fn with_families<R>(&self, f: impl FnOnce(&[Family]) -> R) -> R {
        f(&read(&self.families))
    }

    /// Whether `name` is a name hams or a registered family already exposes
    /// (a family's own name, its series suffixes, its OpenMetrics name).
    pub(crate) fn claims(&self, name: &str) -> bool {
        reserved_claims(name) || read(&self.families).iter().any(|f| exposed(&f.name, f.kind).iter().any(|e| e == name))
    }

    fn register(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(&str, &str)],
        buckets: Option<&[f64]>,
    ) -> Result<Arc<Series>> {
        validate_name(name, kind)?;
        if help.is_empty() || help.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::invalid(format!("metric {name}: help must be non-empty text")));
        }
        let labels = validate_labels(name, kind, labels)?;
        let values = match buckets {
            None => Values::Scalar(AtomicF64::default()),
            Some(b) => {
                validate_buckets(name, b)?;
                let counts = (0..=b.len()).map(|_| AtomicU64::new(0)).collect();
                Values::Histogram { bounds: b.into(), counts, sum: AtomicF64::default() }
            }
        };
        let series = Arc::new(Series { labels, values });
        let mut families = write(&self.families);
        for e in exposed(name, kind) {
            let clash = families.iter().find(|f| f.name != name && exposed(&f.name, f.kind).contains(&e));
            if let Some(f) = clash {
                return Err(Error::invalid(format!("metric {name} clashes with {} (both expose {e})", f.name)));
            }
            if reserved_claims(&e) {
                return Err(Error::invalid(format!(
                    "metric {name} clashes with hams' built-in metrics (both expose {e})"
                )));
            }
        }
        match families.iter_mut().find(|f| f.name == name) {
            Some(f) => {
                if f.kind != kind {
                    return Err(Error::invalid(format!("metric {name} is already registered as a {}", f.kind.name())));
                }
                if f.help != help {
                    return Err(Error::invalid(format!("metric {name} is already registered with other help text")));
                }
                if f.series.iter().any(|s| same_label_names(&s.labels, &series.labels) && s.labels == series.labels) {
                    return Err(Error::invalid(format!("metric {name} with these labels is already registered")));
                }
                if f.series.iter().any(|s| !same_label_names(&s.labels, &series.labels)) {
                    return Err(Error::invalid(format!(
                        "metric {name}: every series of a family must have the same label names"
                    )));
                }
                f.series.push(series.clone());
            }
            None => families.push(Family { name: name.into(), help: help.into(), kind, series: vec![series.clone()] }),
        }
        Ok(series)
    }

    fn unregister(&self, series: &Arc<Series>) {
        let mut families = write(&self.families);
        for f in families.iter_mut() {
            f.series.retain(|s| !Arc::ptr_eq(s, series));
        }
        families.retain(|f| !f.series.is_empty());
    }
}

fn same_label_names(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0)
}

/// Names hams exposes itself; applications cannot register them.
pub(crate) const RESERVED: &[&str] = &[
    "hams_build_info",
    "hams_check_healthy",
    "hams_probe_healthy",
    "hams_http_requests_total",
    "hams_metrics_callback_failures_total",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
];

/// Every name a family shows in either format: samples and family names.
fn exposed(name: &str, kind: Kind) -> Vec<String> {
    match kind {
        Kind::Counter => {
            let base = name.strip_suffix("_total").unwrap_or(name);
            vec![name.to_string(), base.to_string(), format!("{base}_created")]
        }
        Kind::Gauge => vec![name.to_string()],
        Kind::Histogram => ["", "_bucket", "_sum", "_count", "_created"].iter().map(|s| format!("{name}{s}")).collect(),
    }
}

fn reserved_claims(name: &str) -> bool {
    name == "hams_build"
        || RESERVED.iter().any(|r| {
            let kind = if r.ends_with("_total") { Kind::Counter } else { Kind::Gauge };
            exposed(r, kind).iter().any(|e| e == name)
        })
}

pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn validate_name(name: &str, kind: Kind) -> Result<()> {
    if !is_metric_name(name) || name.contains(':') {
        return Err(Error::invalid(format!(
            "metric name {name:?} must match [a-zA-Z_][a-zA-Z0-9_]* (colons are for recording rules)"
        )));
    }
    if name.starts_with("__") {
        return Err(Error::invalid(format!("metric name {name:?}: names starting with __ are reserved")));
    }
    if reserved_claims(name) {
        return Err(Error::invalid(format!("metric name {name:?} is one of hams' built-in metrics")));
    }
    match kind {
        Kind::Counter if !name.ends_with("_total") => {
            Err(Error::invalid(format!("counter name {name:?} must end in _total")))
        }
        Kind::Gauge | Kind::Histogram if name.ends_with("_total") => {
            Err(Error::invalid(format!("metric name {name:?}: only counters end in _total")))
        }
        Kind::Histogram if ["_bucket", "_sum", "_count"].iter().any(|s| name.ends_with(s)) => {
            Err(Error::invalid(format!("histogram name {name:?} must not end in _bucket, _sum or _count")))
        }
        _ => Ok(()),
    }
}

fn validate_labels(name: &str, kind: Kind, labels: &[(&str, &str)]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(labels.len());
    for (k, v) in labels {
        if !is_label_name(k) || k.starts_with("__") {
            return Err(Error::invalid(format!(
                "metric {name}: label name {k:?} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"
            )));
        }
        if kind == Kind::Histogram && *k == "le" {
            return Err(Error::invalid(format!("metric {name}: the label le is reserved for histogram buckets")));
        }
        if out.iter().any(|(o, _)| o == k) {
            return Err(Error::invalid(format!("metric {name}: label {k:?} is given twice")));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

fn validate_buckets(name: &str, b: &[f64]) -> Result<()> {
    if b.is_empty() {
        return Err(Error::invalid(format!("histogram {name}: at least one bucket is needed")));
    }
    if b.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid(format!("histogram {name}: buckets must be finite (+Inf is implied)")));
    }
    if b.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid(format!("histogram {name}: buckets must be strictly increasing")));
    }
    Ok(())
}

/// One application metric; dropping it removes it from the exposition.
pub struct Metric {
    series: Arc<Series>,
    kind: Kind,
    name: String,
    registry: Weak<MetricRegistry>,
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
        let series = registry.register(name, help, kind, labels, buckets)?;
        Ok(Metric { series, kind, name: name.to_string(), registry: Arc::downgrade(registry) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn scalar(&self) -> &AtomicF64 {
        match &self.series.values {
            Values::Scalar(v) => v,
            Values::Histogram { sum, .. } => sum,
        }
    }

    fn expect(&self, kind: Kind, op: &str) -> Result<()> {
        if self.kind != kind {
            return Err(Error::invalid(format!(
                "{op}: metric {} is a {}, not a {}",
                self.name,
                self.kind.name(),
                kind.name()
            )));
        }
        Ok(())
    }

    /// Counters: adds `v` (finite, not negative).
    pub fn add(&self, v: f64) -> Result<()> {
        self.expect(Kind::Counter, "counter_add")?;
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(format!(
                "counter {}: cannot add {v} (must be finite and not negative)",
                self.name
            )));
        }
        self.scalar().add(v);
        Ok(())
    }

    /// Gauges: sets the value (NaN and infinities are allowed).
    pub fn set(&self, v: f64) -> Result<()> {
        self.expect(Kind::Gauge, "gauge_set")?;
        self.scalar().set(v);
        Ok(())
    }

    /// Gauges: adds `v` (may be negative).
    pub fn gauge_add(&self, v: f64) -> Result<()> {
        self.expect(Kind::Gauge, "gauge_add")?;
        if v.is_nan() {
            return Err(Error::invalid(format!("gauge {}: cannot add NaN", self.name)));
        }
        self.scalar().add(v);
        Ok(())
    }

    /// Histograms: records one observation (finite).
    pub fn observe(&self, v: f64) -> Result<()> {
        self.expect(Kind::Histogram, "histogram_observe")?;
        if !v.is_finite() {
            return Err(Error::invalid(format!("histogram {}: cannot observe {v}", self.name)));
        }
        if let Values::Histogram { bounds, counts, sum } = &self.series.values {
            let i = bounds.partition_point(|&b| b < v);
            counts[i].fetch_add(1, Ordering::Relaxed);
            sum.add(v);
        }
        Ok(())
    }

    /// The current value (counters and gauges) or sum (histograms).
    pub fn value(&self) -> f64 {
        self.scalar().get()
    }
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

impl Drop for Metric {
    fn drop(&mut self) {
        if let Some(r) = self.registry.upgrade() {
            r.unregister(&self.series);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Arc<MetricRegistry> {
        Arc::new(MetricRegistry::default())
    }

    #[test]
    fn names_and_labels_are_validated() {
        let r = reg();
        for (name, kind) in [
            ("jobs", Kind::Counter),
            ("a:b_total", Kind::Counter),
            ("1x_total", Kind::Counter),
            ("__x_total", Kind::Counter),
            ("x_total", Kind::Gauge),
            ("h_sum", Kind::Histogram),
            ("process_open_fds", Kind::Gauge),
        ] {
            let b = (kind == Kind::Histogram).then_some(&[1.0][..]);
            assert!(Metric::new(&r, name, "h", kind, &[], b).is_err(), "{name}");
        }
        assert!(Metric::new(&r, "x_total", "", Kind::Counter, &[], None).is_err(), "empty help");
        for labels in [&[("1a", "v")][..], &[("__a", "v")], &[("a", "v"), ("a", "w")], &[("a-b", "v")]] {
            assert!(Metric::new(&r, "y_total", "h", Kind::Counter, labels, None).is_err(), "{labels:?}");
        }
        assert!(Metric::new(&r, "h", "h", Kind::Histogram, &[("le", "1")], Some(&[1.0])).is_err());
        for b in [&[][..], &[2.0, 1.0], &[1.0, 1.0], &[f64::INFINITY], &[f64::NAN]] {
            assert!(Metric::new(&r, "h2", "h", Kind::Histogram, &[], Some(b)).is_err(), "{b:?}");
        }
        let ok = Metric::new(&r, "z_total", "h", Kind::Counter, &[("q", "a\"b\\c\nd")], None);
        assert!(ok.is_ok());
    }

    #[test]
    fn duplicates_and_families() {
        let r = reg();
        let a = Metric::new(&r, "req_total", "Requests", Kind::Counter, &[("code", "200")], None).unwrap();
        assert!(Metric::new(&r, "req_total", "Requests", Kind::Counter, &[("code", "200")], None).is_err());
        assert!(Metric::new(&r, "req_total", "Other", Kind::Counter, &[("code", "500")], None).is_err());
        assert!(Metric::new(&r, "req_total", "Requests", Kind::Counter, &[("path", "/")], None).is_err());
        let b = Metric::new(&r, "req_total", "Requests", Kind::Counter, &[("code", "500")], None).unwrap();
        r.with_families(|f| assert_eq!((f.len(), f[0].series.len()), (1, 2)));
        drop(a);
        drop(b);
        r.with_families(|f| assert!(f.is_empty()));
    }

    #[test]
    fn names_that_clash_after_suffixes() {
        let r = reg();
        let _g = Metric::new(&r, "cl", "g", Kind::Gauge, &[], None).unwrap();
        assert!(Metric::new(&r, "cl_total", "c", Kind::Counter, &[], None)
            .unwrap_err()
            .message()
            .contains("clashes with cl"));
        let _h = Metric::new(&r, "y", "h", Kind::Histogram, &[], Some(&[1.0])).unwrap();
        assert!(Metric::new(&r, "y_bucket", "g", Kind::Gauge, &[], None).is_err());
        let _c = Metric::new(&r, "x_total", "c", Kind::Counter, &[], None).unwrap();
        assert!(Metric::new(&r, "x_created", "g", Kind::Gauge, &[], None).is_err());
        assert!(Metric::new(&r, "process_open_fds", "g", Kind::Gauge, &[], None).is_err());
        assert!(r.claims("y_count") && r.claims("x") && r.claims("hams_build") && !r.claims("z"));
    }

    #[test]
    fn values_and_wrong_kinds() {
        let r = reg();
        let c = Metric::new(&r, "c_total", "c", Kind::Counter, &[], None).unwrap();
        c.add(1.5).unwrap();
        assert!(c.add(-1.0).is_err() && c.add(f64::NAN).is_err() && c.add(f64::INFINITY).is_err());
        assert!(c.set(1.0).is_err() && c.observe(1.0).is_err());
        assert_eq!(c.value(), 1.5);
        let g = Metric::new(&r, "g", "g", Kind::Gauge, &[], None).unwrap();
        g.set(f64::NAN).unwrap();
        g.set(3.0).unwrap();
        g.gauge_add(-5.0).unwrap();
        assert_eq!(g.value(), -2.0);
        let h = Metric::new(&r, "h", "h", Kind::Histogram, &[], Some(&[1.0, 2.0])).unwrap();
        for v in [0.5, 1.0, 1.5, 3.0] {
            h.observe(v).unwrap();
        }
        assert!(h.observe(f64::NAN).is_err());
        if let Values::Histogram { counts, .. } = &h.series.values {
            let c: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            assert_eq!(c, [2, 1, 1], "le=1 takes 0.5 and 1.0");
        }
        assert_eq!(h.value(), 6.0);
    }

    #[test]
    fn concurrent_adds_are_exact() {
        let r = reg();
        let c = Arc::new(Metric::new(&r, "n_total", "n", Kind::Counter, &[], None).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..100_000).for_each(|_| c.add(1.0).unwrap()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(c.value(), 400_000.0);
    }
}
