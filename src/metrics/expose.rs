//! Writing the Prometheus text format 0.0.4, OpenMetrics 1.0 and the
//! protobuf format (length-delimited `MetricFamily`, see `proto`) into a
//! reused buffer.

use super::native::NativeSnapshot;
use super::proto::{self, MetricType};
use super::registry::{Family, MetricRegistry, Snapshot};
use super::series::{Series, View};
use super::Kind;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `text/plain; version=0.0.4`
    Text,
    /// `application/openmetrics-text; version=1.0.0`
    OpenMetrics,
    /// `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`
    Protobuf,
}

pub(crate) struct Writer<'a> {
    pub out: &'a mut Vec<u8>,
    pub format: Format,
    /// Protobuf: the family `header` started (where, and its type), ended by
    /// the next header or `finish`.
    open: Option<(usize, MetricType)>,
    /// Protobuf: a native histogram's state, reused between series.
    native: NativeSnapshot,
}

/// A family's type as the format names it (`info` exists only in OpenMetrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Counter,
    Gauge,
    Histogram,
    /// A `<name>_info` gauge of value 1 carrying labels.
    Info,
}

impl From<Kind> for Type {
    fn from(k: Kind) -> Type {
        match k {
            Kind::Counter => Type::Counter,
            Kind::Gauge => Type::Gauge,
            Kind::Histogram | Kind::NativeHistogram => Type::Histogram,
        }
    }
}

impl From<Type> for MetricType {
    fn from(t: Type) -> MetricType {
        match t {
            Type::Counter => MetricType::Counter,
            // As client_golang writes an info metric: a gauge of value 1.
            Type::Gauge | Type::Info => MetricType::Gauge,
            Type::Histogram => MetricType::Histogram,
        }
    }
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, format: Format) -> Writer<'a> {
        Writer { out, format, open: None, native: NativeSnapshot::default() }
    }

    /// `# HELP` and `# TYPE` for the family whose samples are named `name`
    /// (`foo_total` for a counter, `foo_info` for an info metric); in
    /// protobuf the start of its `MetricFamily` (named so too, as
    /// client_golang names them).
    pub(crate) fn header(&mut self, name: &str, help: &str, t: Type) {
        if self.format == Format::Protobuf {
            self.end_family();
            self.open = Some((proto::begin_family(self.out, name, help, t.into()), t.into()));
            return;
        }
        let (family, type_name) = match (self.format, t) {
            (Format::OpenMetrics, Type::Counter) => (name.strip_suffix("_total").unwrap_or(name), "counter"),
            (Format::OpenMetrics, Type::Info) => (name.strip_suffix("_info").unwrap_or(name), "info"),
            (Format::Protobuf, _) | (_, Type::Counter) => (name, "counter"),
            (_, Type::Gauge) | (Format::Text, Type::Info) => (name, "gauge"),
            (_, Type::Histogram) => (name, "histogram"),
        };
        self.out.extend_from_slice(b"# HELP ");
        self.out.extend_from_slice(family.as_bytes());
        self.out.push(b' ');
        escape_help(self.out, help);
        let _ = writeln!(self.out, "\n# TYPE {family} {type_name}");
    }

    /// One sample line: `name{k="v",...[,le="x"]} value`.
    pub(crate) fn sample<'l>(
        &mut self,
        name: &str,
        suffix: &str,
        labels: impl Iterator<Item = (&'l str, &'l str)>,
        le: Option<f64>,
        value: f64,
    ) {
        if let Some((_, kind)) = self.open {
            // Only counters and gauges are written sample by sample here.
            let mut m = proto::Metrics::new(self.out);
            match kind {
                MetricType::Counter => m.counter(labels, value),
                _ => m.gauge(labels, value),
            }
            let _ = (name, suffix, le);
            return;
        }
        let out = &mut *self.out;
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
        let mut first = true;
        for (k, v) in labels {
            out.push(if first { b'{' } else { b',' });
            first = false;
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_label_value(out, v);
            out.push(b'"');
        }
        if let Some(le) = le {
            out.extend_from_slice(if first { b"{le=\"" } else { b",le=\"" });
            write_float(out, le, self.format);
            out.push(b'"');
            first = false;
        }
        if !first {
            out.push(b'}');
        }
        out.push(b' ');
        write_float(out, value, Format::Text);
        out.push(b'\n');
    }

    /// All the application's families, from a snapshot (see `Snapshot`).
    pub(crate) fn families(&mut self, registry: &MetricRegistry, snapshot: &mut Snapshot) {
        snapshot.each(registry, |f, series| self.family(f, series));
    }

    pub(crate) fn family(&mut self, f: &Family, series: &[Arc<Series>]) {
        if self.format == Format::Protobuf {
            self.end_family();
            proto_family(self.out, f, series, &mut self.native);
            return;
        }
        self.header(&f.name, &f.help, f.kind.into());
        for s in series {
            let labels = || s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            match s.values.view() {
                View::Scalar(v) => {
                    self.sample(&f.name, "", labels(), None, v.get());
                    if f.kind == Kind::Counter {
                        self.exemplar(s, 0);
                    }
                }
                View::Histogram { bounds, counts, sum } => {
                    let mut cumulative = 0u64;
                    for (i, c) in counts.iter().enumerate() {
                        cumulative = cumulative.saturating_add(c.load(Ordering::Relaxed));
                        let le = bounds.get(i).copied().unwrap_or(f64::INFINITY);
                        self.sample(&f.name, "_bucket", labels(), Some(le), cumulative as f64);
                        self.exemplar(s, i);
                    }
                    self.sample(&f.name, "_sum", labels(), None, sum.get());
                    // _count equals the +Inf bucket by construction.
                    self.sample(&f.name, "_count", labels(), None, cumulative as f64);
                }
                View::Native(n) => {
                    // As client_golang's text for a histogram without classic
                    // buckets: the +Inf bucket (both formats require one), sum, count.
                    let count = n.count() as f64;
                    self.sample(&f.name, "_bucket", labels(), Some(f64::INFINITY), count);
                    self.exemplar(s, 0);
                    self.sample(&f.name, "_sum", labels(), None, n.sum());
                    self.sample(&f.name, "_count", labels(), None, count);
                }
            }
        }
    }

    /// OpenMetrics: ` # {labels} value timestamp` after the sample just
    /// written, when slot `i` of the series has an exemplar (other formats
    /// have none).
    fn exemplar(&mut self, s: &Series, i: usize) {
        if self.format != Format::OpenMetrics {
            return;
        }
        let out = &mut *self.out;
        s.exemplars.with(i, |e| {
            if out.pop() != Some(b'\n') {
                return; // not after a sample: nothing was written
            }
            out.extend_from_slice(b" # {");
            for (n, (k, v)) in e.label_pairs().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b"=\"");
                escape_label_value(out, v);
                out.push(b'"');
            }
            out.extend_from_slice(b"} ");
            write_float(out, e.value, Format::Text);
            let _ = writeln!(out, " {}.{:03}", e.seconds, e.nanos / 1_000_000);
        });
    }

    /// Ends the protobuf family `header` started, if any.
    pub(crate) fn end_family(&mut self) {
        if let Some((start, _)) = self.open.take() {
            proto::end_family(self.out, start);
        }
    }

    pub(crate) fn finish(&mut self) {
        self.end_family();
        if self.format == Format::OpenMetrics {
            self.out.extend_from_slice(b"# EOF\n");
        }
    }
}

fn proto_family(out: &mut Vec<u8>, f: &Family, series: &[Arc<Series>], native: &mut NativeSnapshot) {
    proto::write_family(out, &f.name, &f.help, Type::from(f.kind).into(), |m| {
        for s in series {
            let labels = s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            match s.values.view() {
                View::Scalar(v) if f.kind == Kind::Counter => m.counter_with(labels, v.get(), &s.exemplars),
                View::Scalar(v) => m.gauge(labels, v.get()),
                View::Histogram { bounds, counts, sum } => {
                    let mut cumulative = 0u64;
                    let mut buckets: Vec<(f64, u64)> = bounds
                        .iter()
                        .zip(counts.iter())
                        .map(|(&le, c)| {
                            cumulative = cumulative.saturating_add(c.load(Ordering::Relaxed));
                            (le, cumulative)
                        })
                        .collect();
                    // The +Inf bucket is the count (left out, as client_golang does).
                    let count =
                        cumulative.saturating_add(counts.get(bounds.len()).map_or(0, |c| c.load(Ordering::Relaxed)));
                    if s.exemplars.has(bounds.len()) {
                        // The +Inf bucket written only to carry its exemplar (as client_golang does).
                        buckets.push((f64::INFINITY, count));
                    }
                    m.histogram_with(labels, count, sum.get(), buckets, &s.exemplars);
                }
                View::Native(_) => {
                    s.native_snapshot(native);
                    m.native_histogram(labels, native, &s.exemplars);
                }
            }
        }
    });
}

/// Floats as Prometheus parses them; OpenMetrics bucket bounds keep a `.0`.
pub(crate) fn write_float(out: &mut Vec<u8>, v: f64, format: Format) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if format == Format::OpenMetrics && v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{v:.1}");
    } else {
        let _ = write!(out, "{v}");
    }
}

fn escape_help(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

pub(crate) fn escape_label_value(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Metric;
    use super::*;
    use std::sync::Arc;

    fn render(r: &MetricRegistry, format: Format) -> String {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, format);
        w.families(r, &mut Snapshot::default());
        w.finish();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_and_openmetrics() {
        let r = Arc::new(MetricRegistry::default());
        let c =
            Metric::new(&r, "jobs_total", "Jobs done\\ \nnow", Kind::Counter, &[("q", "a\"b\\c\nd")], None).unwrap();
        c.add(2.0).unwrap();
        let h = Metric::new(&r, "lat_seconds", "Latency", Kind::Histogram, &[], Some(&[0.1, 1.0])).unwrap();
        for v in [0.05, 0.5, 5.0] {
            h.observe(v).unwrap();
        }
        let g = Metric::new(&r, "temp", "T", Kind::Gauge, &[], None).unwrap();
        g.set(f64::NEG_INFINITY).unwrap();
        assert_eq!(
            render(&r, Format::Text),
            "# HELP jobs_total Jobs done\\\\ \\nnow\n# TYPE jobs_total counter\njobs_total{q=\"a\\\"b\\\\c\\nd\"} 2\n\
             # HELP lat_seconds Latency\n# TYPE lat_seconds histogram\nlat_seconds_bucket{le=\"0.1\"} 1\nlat_seconds_bucket{le=\"1\"} 2\n\
             lat_seconds_bucket{le=\"+Inf\"} 3\nlat_seconds_sum 5.55\nlat_seconds_count 3\n\
             # HELP temp T\n# TYPE temp gauge\ntemp -Inf\n"
        );
        let om = render(&r, Format::OpenMetrics);
        assert!(om.starts_with("# HELP jobs Jobs done\\\\ \\nnow\n# TYPE jobs counter\njobs_total{"), "{om}");
        assert!(om.contains("lat_seconds_bucket{le=\"1.0\"} 2\n"), "{om}");
        assert!(om.ends_with("# EOF\n"));
        drop((c, h, g));
    }

    #[test]
    fn exemplars_in_openmetrics_only() {
        let r = Arc::new(MetricRegistry::default());
        let c = Metric::new(&r, "jobs_total", "Jobs", Kind::Counter, &[], None).unwrap();
        c.add_exemplar(2.0, &[("trace_id", "a\"b")]).unwrap();
        let h = Metric::new(&r, "lat_seconds", "Latency", Kind::Histogram, &[], Some(&[0.1, 1.0])).unwrap();
        h.observe_exemplar(0.5, &[("trace_id", "t1")]).unwrap();
        h.observe_exemplar(7.0, &[]).unwrap();
        h.observe(0.05).unwrap();
        let om = render(&r, Format::OpenMetrics);
        let line = |prefix: &str| om.lines().find(|l| l.starts_with(prefix)).unwrap().to_string();
        let counter = line("jobs_total ");
        assert!(counter.starts_with("jobs_total 2 # {trace_id=\"a\\\"b\"} 2 "), "{counter}");
        let ts: f64 = counter.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(ts > 1.7e9 && counter.rsplit(' ').next().unwrap().split('.').nth(1).unwrap().len() == 3);
        assert_eq!(line("lat_seconds_bucket{le=\"0.1\"}"), "lat_seconds_bucket{le=\"0.1\"} 1");
        assert!(line("lat_seconds_bucket{le=\"1.0\"}")
            .starts_with("lat_seconds_bucket{le=\"1.0\"} 2 # {trace_id=\"t1\"} 0.5 "));
        assert!(line("lat_seconds_bucket{le=\"+Inf\"}").starts_with("lat_seconds_bucket{le=\"+Inf\"} 3 # {} 7 "));
        let text = render(&r, Format::Text);
        assert!(!text.contains(" # "), "{text}");
        // Nothing is counted when the exemplar is refused.
        assert!(c.add_exemplar(1.0, &[("trace_id", &"x".repeat(121))]).is_err());
        assert!(h.observe_exemplar(0.5, &[("0", "x")]).is_err());
        assert_eq!((c.value(), h.count()), (2.0, 3));
    }
}
