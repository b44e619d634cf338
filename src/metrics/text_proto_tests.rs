//! The converter's output equals what `proto::write_family` writes for the
//! families the text describes (that writer is checked against Google's
//! protobuf library in proto_tests.rs).

use super::write;
use crate::metrics::expose::{Format, Type, Writer};
use crate::metrics::proto::{write_family, MetricType};

fn none() -> [(&'static str, &'static str); 0] {
    []
}

#[test]
fn every_kind_with_escapes() {
    let text = "# HELP jobs_total Jobs\\\\done\\nnow\n# TYPE jobs_total counter\n\
                jobs_total{q=\"a\\\"b\\\\c\\nd\",k=\"x\"} 3\njobs_total{q=\"p\",k=\"y\"} 0\n\n\
                # a comment\n# TYPE temp gauge\ntemp -Inf\n\
                legacy 1.5e3\n\
                # HELP lat Latency.\n# TYPE lat histogram\n\
                lat_bucket{op=\"get\",le=\"0.1\"} 1\nlat_bucket{op=\"get\",le=\"+Inf\"} 3\nlat_sum{op=\"get\"} 2.5\nlat_count{op=\"get\"} 3\n\
                lat_bucket{op=\"put\",le=\"0.1\"} 0\nlat_bucket{op=\"put\",le=\"+Inf\"} 1\nlat_sum{op=\"put\"} 7\nlat_count{op=\"put\"} 1\n\
                # TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.2\nrpc{quantile=\"0.9\"} NaN\nrpc_sum 4\nrpc_count 9\n";
    let mut got = Vec::new();
    write(text, &mut got);

    let mut want = Vec::new();
    write_family(&mut want, "jobs_total", "Jobs\\done\nnow", MetricType::Counter, |m| {
        m.counter([("q", "a\"b\\c\nd"), ("k", "x")], 3.0);
        m.counter([("q", "p"), ("k", "y")], 0.0);
    });
    write_family(&mut want, "temp", "", MetricType::Gauge, |m| m.gauge(none(), f64::NEG_INFINITY));
    write_family(&mut want, "legacy", "", MetricType::Untyped, |m| m.untyped(none(), 1500.0));
    write_family(&mut want, "lat", "Latency.", MetricType::Histogram, |m| {
        m.histogram([("op", "get")], 3, 2.5, [(0.1, 1)]);
        m.histogram([("op", "put")], 1, 7.0, [(0.1, 0)]);
    });
    write_family(&mut want, "rpc", "", MetricType::Summary, |m| {
        m.summary(none(), 9, 4.0, [(0.5, 0.2), (0.9, f64::NAN)]);
    });
    assert_eq!(got, want);
}

#[test]
fn empty_and_untyped_only() {
    let mut got = Vec::new();
    write("", &mut got);
    write("# TYPE nothing gauge\n", &mut got);
    assert!(got.is_empty());
    write("a 1\nb 2\n", &mut got);
    let mut want = Vec::new();
    write_family(&mut want, "a", "", MetricType::Untyped, |m| m.untyped(none(), 1.0));
    write_family(&mut want, "b", "", MetricType::Untyped, |m| m.untyped(none(), 2.0));
    assert_eq!(got, want);
}

/// The built-in families are written header by header and sample by sample.
#[test]
fn streamed_families_equal_whole_ones() {
    let mut got = Vec::new();
    let mut w = Writer::new(&mut got, Format::Protobuf);
    w.header("hams_build_info", "Build.", Type::Info);
    w.sample("hams_build_info", "", [("version", "1")].into_iter(), None, 1.0);
    w.header("up_total", "Ups.", Type::Counter);
    w.sample("up_total", "", [("a", "b")].into_iter(), None, 2.0);
    w.sample("up_total", "", [("a", "c")].into_iter(), None, 3.0);
    w.header("empty", "Nothing.", Type::Gauge);
    w.finish();

    let mut want = Vec::new();
    write_family(&mut want, "hams_build_info", "Build.", MetricType::Gauge, |m| m.gauge([("version", "1")], 1.0));
    write_family(&mut want, "up_total", "Ups.", MetricType::Counter, |m| {
        m.counter([("a", "b")], 2.0);
        m.counter([("a", "c")], 3.0);
    });
    write_family(&mut want, "empty", "Nothing.", MetricType::Gauge, |_| {});
    assert_eq!(got, want);
}
