//! Writing the Prometheus protobuf exposition: length-delimited `MetricFamily`
//! messages of prometheus/client_model's metrics.proto, straight into the
//! caller's buffer.
//!
//! A nested message's length is known only once it is written: one byte is set
//! aside for it and, in the rare message of 128 bytes or more, the body is moved
//! up by the extra bytes (nesting is at most six deep, down to an exemplar's labels), so nothing is sized
//! twice and nothing is allocated beyond the output buffer.

use super::exemplar::{Exemplar, Exemplars};
use super::native::{Buckets, NativeSnapshot};

/// `MetricFamily.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricType {
    Counter = 0,
    Gauge = 1,
    Summary = 2,
    Untyped = 3,
    Histogram = 4,
}

// Field numbers of metrics.proto (the native histogram ones are those of
// client_model 0.4 and later, not the experimental sb_* ones before).
mod field {
    pub const FAMILY_NAME: u32 = 1;
    pub const FAMILY_HELP: u32 = 2;
    pub const FAMILY_TYPE: u32 = 3;
    pub const FAMILY_METRIC: u32 = 4;

    pub const METRIC_LABEL: u32 = 1;
    pub const METRIC_GAUGE: u32 = 2;
    pub const METRIC_COUNTER: u32 = 3;
    pub const METRIC_SUMMARY: u32 = 4;
    pub const METRIC_UNTYPED: u32 = 5;
    pub const METRIC_HISTOGRAM: u32 = 7;

    pub const LABEL_NAME: u32 = 1;
    pub const LABEL_VALUE: u32 = 2;

    /// Gauge, Counter and Untyped all keep their value in field 1.
    pub const VALUE: u32 = 1;

    pub const HISTOGRAM_SAMPLE_COUNT: u32 = 1;
    pub const HISTOGRAM_SAMPLE_SUM: u32 = 2;
    pub const HISTOGRAM_BUCKET: u32 = 3;
    pub const HISTOGRAM_SCHEMA: u32 = 5;
    pub const HISTOGRAM_ZERO_THRESHOLD: u32 = 6;
    pub const HISTOGRAM_ZERO_COUNT: u32 = 7;
    pub const HISTOGRAM_NEGATIVE_SPAN: u32 = 9;
    pub const HISTOGRAM_NEGATIVE_DELTA: u32 = 10;
    pub const HISTOGRAM_POSITIVE_SPAN: u32 = 12;
    pub const HISTOGRAM_POSITIVE_DELTA: u32 = 13;

    pub const SUMMARY_SAMPLE_COUNT: u32 = 1;
    pub const SUMMARY_SAMPLE_SUM: u32 = 2;
    pub const SUMMARY_QUANTILE: u32 = 3;
    pub const QUANTILE_QUANTILE: u32 = 1;
    pub const QUANTILE_VALUE: u32 = 2;

    pub const BUCKET_CUMULATIVE_COUNT: u32 = 1;
    pub const BUCKET_UPPER_BOUND: u32 = 2;
    pub const BUCKET_EXEMPLAR: u32 = 3;

    pub const COUNTER_EXEMPLAR: u32 = 2;
    pub const HISTOGRAM_EXEMPLARS: u32 = 16;

    pub const EXEMPLAR_LABEL: u32 = 1;
    pub const EXEMPLAR_VALUE: u32 = 2;
    pub const EXEMPLAR_TIMESTAMP: u32 = 3;
    /// google.protobuf.Timestamp
    pub const TIMESTAMP_SECONDS: u32 = 1;
    pub const TIMESTAMP_NANOS: u32 = 2;

    pub const SPAN_OFFSET: u32 = 1;
    pub const SPAN_LENGTH: u32 = 2;
}

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

/// Appends one length-delimited `MetricFamily` to `out`; `metrics` adds its
/// series through the [`Metrics`] it is given.
pub(crate) fn write_family(
    out: &mut Vec<u8>,
    name: &str,
    help: &str,
    kind: MetricType,
    metrics: impl FnOnce(&mut Metrics<'_>),
) {
    delimited(out, |out| {
        string(out, field::FAMILY_NAME, name);
        string(out, field::FAMILY_HELP, help);
        uint(out, field::FAMILY_TYPE, kind as u64);
        metrics(&mut Metrics { out });
    });
}

/// Starts a family whose series are written one at a time (through
/// [`Metrics::new`]) by a writer that learns them as it goes; returns where it
/// starts, for [`end_family`].
pub(crate) fn begin_family(out: &mut Vec<u8>, name: &str, help: &str, kind: MetricType) -> usize {
    let start = out.len();
    out.push(0);
    string(out, field::FAMILY_NAME, name);
    string(out, field::FAMILY_HELP, help);
    uint(out, field::FAMILY_TYPE, kind as u64);
    start
}

/// Ends the family [`begin_family`] started at `start`.
pub(crate) fn end_family(out: &mut Vec<u8>, start: usize) {
    patch_length(out, start);
}

/// The series of one family being written.
pub(crate) struct Metrics<'a> {
    out: &'a mut Vec<u8>,
}

/// A series' labels, in the order written.
pub(crate) trait Labels {
    fn write(self, out: &mut Vec<u8>);
    /// As `LabelPair`s in field `at` (a metric's, an exemplar's).
    fn write_as(self, out: &mut Vec<u8>, at: u32);
}

impl<'l, I: IntoIterator<Item = (&'l str, &'l str)>> Labels for I {
    fn write(self, out: &mut Vec<u8>) {
        self.write_as(out, field::METRIC_LABEL);
    }
    fn write_as(self, out: &mut Vec<u8>, at: u32) {
        for (name, value) in self {
            message(out, at, |out| {
                string(out, field::LABEL_NAME, name);
                string(out, field::LABEL_VALUE, value);
            });
        }
    }
}

impl Metrics<'_> {
    /// Series of the family [`begin_family`] started last in `out`.
    pub(crate) fn new(out: &mut Vec<u8>) -> Metrics<'_> {
        Metrics { out }
    }

    pub(crate) fn counter(&mut self, labels: impl Labels, value: f64) {
        self.scalar(labels, field::METRIC_COUNTER, value);
    }

    /// A counter with its exemplar, if it has one.
    pub(crate) fn counter_with(&mut self, labels: impl Labels, value: f64, x: &Exemplars) {
        message(self.out, field::FAMILY_METRIC, |out| {
            labels.write(out);
            message(out, field::METRIC_COUNTER, |out| {
                double(out, field::VALUE, value);
                x.with(0, |e| exemplar(out, field::COUNTER_EXEMPLAR, e));
            });
        });
    }

    pub(crate) fn gauge(&mut self, labels: impl Labels, value: f64) {
        self.scalar(labels, field::METRIC_GAUGE, value);
    }

    pub(crate) fn untyped(&mut self, labels: impl Labels, value: f64) {
        self.scalar(labels, field::METRIC_UNTYPED, value);
    }

    fn scalar(&mut self, labels: impl Labels, which: u32, value: f64) {
        message(self.out, field::FAMILY_METRIC, |out| {
            labels.write(out);
            message(out, which, |out| double(out, field::VALUE, value));
        });
    }

    /// A classic histogram; `buckets` are (upper bound, cumulative count) in
    /// increasing order. The +Inf bucket may be left out (client_golang does;
    /// its count is the sample count).
    pub(crate) fn histogram(
        &mut self,
        labels: impl Labels,
        count: u64,
        sum: f64,
        buckets: impl IntoIterator<Item = (f64, u64)>,
    ) {
        self.histogram_with(labels, count, sum, buckets, &Exemplars::default());
    }

    /// A classic histogram whose bucket `i` has the exemplar of slot `i` of `x`.
    pub(crate) fn histogram_with(
        &mut self,
        labels: impl Labels,
        count: u64,
        sum: f64,
        buckets: impl IntoIterator<Item = (f64, u64)>,
        x: &Exemplars,
    ) {
        message(self.out, field::FAMILY_METRIC, |out| {
            labels.write(out);
            message(out, field::METRIC_HISTOGRAM, |out| {
                uint(out, field::HISTOGRAM_SAMPLE_COUNT, count);
                double(out, field::HISTOGRAM_SAMPLE_SUM, sum);
                for (i, (upper_bound, cumulative)) in buckets.into_iter().enumerate() {
                    message(out, field::HISTOGRAM_BUCKET, |out| {
                        uint(out, field::BUCKET_CUMULATIVE_COUNT, cumulative);
                        double(out, field::BUCKET_UPPER_BOUND, upper_bound);
                        x.with(i, |e| exemplar(out, field::BUCKET_EXEMPLAR, e));
                    });
                }
            });
        });
    }

    /// A summary; `quantiles` are (quantile, value).
    pub(crate) fn summary(
        &mut self,
        labels: impl Labels,
        count: u64,
        sum: f64,
        quantiles: impl IntoIterator<Item = (f64, f64)>,
    ) {
        message(self.out, field::FAMILY_METRIC, |out| {
            labels.write(out);
            message(out, field::METRIC_SUMMARY, |out| {
                uint(out, field::SUMMARY_SAMPLE_COUNT, count);
                double(out, field::SUMMARY_SAMPLE_SUM, sum);
                for (q, v) in quantiles {
                    message(out, field::SUMMARY_QUANTILE, |out| {
                        double(out, field::QUANTILE_QUANTILE, q);
                        double(out, field::QUANTILE_VALUE, v);
                    });
                }
            });
        });
    }

    /// A native histogram (no classic buckets), with its latest exemplar if any.
    pub(crate) fn native_histogram(&mut self, labels: impl Labels, h: &NativeSnapshot, x: &Exemplars) {
        message(self.out, field::FAMILY_METRIC, |out| {
            labels.write(out);
            message(out, field::METRIC_HISTOGRAM, |out| {
                uint(out, field::HISTOGRAM_SAMPLE_COUNT, h.count);
                double(out, field::HISTOGRAM_SAMPLE_SUM, h.sum);
                uint(out, field::HISTOGRAM_SCHEMA, zigzag(i64::from(h.schema)));
                double(out, field::HISTOGRAM_ZERO_THRESHOLD, h.zero_threshold);
                uint(out, field::HISTOGRAM_ZERO_COUNT, h.zero_count);
                let empty = h.positive.spans.is_empty() && h.negative.spans.is_empty();
                if empty && h.zero_threshold == 0.0 && h.zero_count == 0 {
                    // metrics.proto: a no-op span tells an empty native
                    // histogram from a classic one without buckets.
                    message(out, field::HISTOGRAM_POSITIVE_SPAN, |out| {
                        uint(out, field::SPAN_OFFSET, 0);
                        uint(out, field::SPAN_LENGTH, 0);
                    });
                }
                native_buckets(out, &h.negative, field::HISTOGRAM_NEGATIVE_SPAN, field::HISTOGRAM_NEGATIVE_DELTA);
                native_buckets(out, &h.positive, field::HISTOGRAM_POSITIVE_SPAN, field::HISTOGRAM_POSITIVE_DELTA);
                x.with(0, |e| exemplar(out, field::HISTOGRAM_EXEMPLARS, e));
            });
        });
    }
}

fn exemplar(out: &mut Vec<u8>, field: u32, e: &Exemplar) {
    message(out, field, |out| {
        e.label_pairs().write_as(out, field::EXEMPLAR_LABEL);
        double(out, field::EXEMPLAR_VALUE, e.value);
        message(out, field::EXEMPLAR_TIMESTAMP, |out| {
            uint(out, field::TIMESTAMP_SECONDS, e.seconds as u64);
            uint(out, field::TIMESTAMP_NANOS, u64::from(e.nanos));
        });
    });
}

fn native_buckets(out: &mut Vec<u8>, b: &Buckets, span_field: u32, delta_field: u32) {
    for span in &b.spans {
        message(out, span_field, |out| {
            uint(out, field::SPAN_OFFSET, zigzag(i64::from(span.offset)));
            uint(out, field::SPAN_LENGTH, u64::from(span.length));
        });
    }
    if !b.deltas.is_empty() {
        // Packed, as proto3 (and Prometheus' own copy of the schema) writes
        // repeated numbers; every proto2 reader accepts it too.
        tag(out, delta_field, LEN);
        nested(out, |out| {
            for &d in &b.deltas {
                varint(out, zigzag(d));
            }
        });
    }
}

fn tag(out: &mut Vec<u8>, field: u32, wire_type: u32) {
    varint(out, u64::from(field << 3 | wire_type));
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// sint32 and sint64 are zigzag varints (a sint32 reads the same bits).
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
    tag(out, field, VARINT);
    varint(out, v);
}

fn double(out: &mut Vec<u8>, field: u32, v: f64) {
    tag(out, field, FIXED64);
    out.extend_from_slice(&v.to_le_bytes());
}

fn string(out: &mut Vec<u8>, field: u32, s: &str) {
    tag(out, field, LEN);
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn message(out: &mut Vec<u8>, field: u32, body: impl FnOnce(&mut Vec<u8>)) {
    tag(out, field, LEN);
    nested(out, body);
}

/// A length-prefixed stream element is a nested message without a tag.
fn delimited(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    nested(out, body);
}

/// Writes `body` behind its varint length.
fn nested(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.push(0);
    body(out);
    patch_length(out, start);
}

/// Sets the length of what follows the byte set aside at `start`.
fn patch_length(out: &mut Vec<u8>, start: usize) {
    let len = out.len() - start - 1;
    let width = varint_len(len as u64);
    if width > 1 {
        out.resize(out.len() + width - 1, 0);
        out.copy_within(start + 1..start + 1 + len, start + width);
    }
    let mut at = start;
    let mut v = len as u64;
    while v >= 0x80 {
        out[at] = v as u8 | 0x80;
        v >>= 7;
        at += 1;
    }
    out[at] = v as u8;
}

#[cfg(test)]
#[path = "proto_tests.rs"]
mod tests;
