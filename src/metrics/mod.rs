//! Prometheus metrics: the application's counters, gauges and histograms
//! (lock-free to update from any thread), alone or in vecs, hams' built-in
//! metrics, and the exposition formats.

pub(crate) mod buckets;
pub(crate) mod builtin;
pub(crate) mod cells;
pub(crate) mod collector;
pub(crate) mod exemplar;
pub(crate) mod expose;
pub(crate) mod gzip;
pub(crate) mod metric;
pub(crate) mod names;
pub(crate) mod native;
pub(crate) mod native_index;
pub(crate) mod negotiate;
pub(crate) mod proto;
pub(crate) mod registry;
pub(crate) mod scrape;
pub(crate) mod series;
pub(crate) mod series_set;
pub(crate) mod shared;
pub(crate) mod text_proto;
pub(crate) mod tree;
pub(crate) mod validate;
pub(crate) mod vec;

pub use buckets::{buckets_exponential, buckets_linear, DEFAULT_BUCKETS};
pub use exemplar::MAX_EXEMPLAR_CHARS;
pub use metric::Metric;
pub(crate) use names::{is_label_name, is_metric_name};
pub(crate) use registry::MetricRegistry;
pub use vec::MetricVec;

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    /// A classic histogram: fixed buckets.
    Histogram,
    /// A native histogram: sparse exponential buckets, in the protobuf
    /// format; the text formats show its count and sum.
    NativeHistogram,
}

/// How the parent of a workers' tree shows a gauge family. Counters and
/// histograms are always summed over every worker that ever joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// One series per process, with a `pid` label (the default).
    PerWorker,
    /// The sum over the live processes.
    Sum,
    /// The largest value of the live processes.
    Max,
    /// The smallest value of the live processes.
    Min,
}

impl Aggregation {
    /// Its code in the region's family table (0 is "not declared").
    pub(crate) fn code(self) -> u8 {
        match self {
            Aggregation::PerWorker => 1,
            Aggregation::Sum => 2,
            Aggregation::Max => 3,
            Aggregation::Min => 4,
        }
    }

    pub(crate) fn from_code(code: u8) -> Aggregation {
        match code {
            2 => Aggregation::Sum,
            3 => Aggregation::Max,
            4 => Aggregation::Min,
            _ => Aggregation::PerWorker,
        }
    }
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::NativeHistogram => "native histogram",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::series::Values;
    use super::*;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    fn reg() -> Arc<MetricRegistry> {
        Arc::new(MetricRegistry::default())
    }

    fn series_counts(r: &MetricRegistry) -> Vec<usize> {
        let mut families = Vec::new();
        r.snapshot(&mut families);
        families.iter().map(|f| f.series_count()).collect()
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
        assert_eq!((r.family_count(), series_counts(&r)), (1, vec![2]));
        drop(a);
        drop(b);
        assert_eq!(r.family_count(), 0);
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
        if let Values::Histogram { counts, .. } = &h.series().values {
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
