use super::*;
use crate::metrics::native::{NativeHistogram, Span};
use std::process::Command;

/// A field as read back: (number, value), the value a varint, a fixed64 or bytes.
#[derive(Debug, PartialEq)]
enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

fn read_varint(data: &[u8], at: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let b = data[*at];
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b < 0x80 {
            return v;
        }
    }
}

fn fields(data: &[u8]) -> Vec<(u32, Value<'_>)> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < data.len() {
        let key = read_varint(data, &mut at);
        let value = match key & 7 {
            0 => Value::Varint(read_varint(data, &mut at)),
            1 => {
                at += 8;
                Value::Fixed64(u64::from_le_bytes(data[at - 8..at].try_into().unwrap()))
            }
            2 => {
                let len = read_varint(data, &mut at) as usize;
                at += len;
                Value::Bytes(&data[at - len..at])
            }
            t => panic!("wire type {t}"),
        };
        out.push(((key >> 3) as u32, value));
    }
    out
}

/// The delimited messages of a stream.
fn messages(data: &[u8]) -> Vec<&[u8]> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < data.len() {
        let len = read_varint(data, &mut at) as usize;
        out.push(&data[at..at + len]);
        at += len;
    }
    out
}

fn no_labels() -> [(&'static str, &'static str); 0] {
    []
}

#[test]
fn counter_family_bytes() {
    let mut out = Vec::new();
    write_family(&mut out, "c", "h", MetricType::Counter, |m| m.counter([("a", "b")], 1.0));
    #[rustfmt::skip]
    let expected = [
        0x1d, // the family's length, 29
        0x0a, 1, b'c', // name
        0x12, 1, b'h', // help
        0x18, 0, // type COUNTER
        0x22, 0x13, // metric, 19 bytes
        0x0a, 6, 0x0a, 1, b'a', 0x12, 1, b'b', // label a="b"
        0x1a, 9, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // counter { value: 1.0 }
    ];
    assert_eq!(out, expected);
}

#[test]
fn appends_to_what_is_there() {
    let mut out = b"xyz".to_vec();
    write_family(&mut out, "g", "help", MetricType::Gauge, |m| m.gauge(no_labels(), -2.5));
    assert_eq!(&out[..3], b"xyz");
    let family = fields(messages(&out[3..])[0]);
    assert_eq!(family[2], (3, Value::Varint(1)));
    let Value::Bytes(metric) = family[3].1 else { panic!("{family:?}") };
    let Value::Bytes(gauge) = fields(metric)[0].1 else { panic!() };
    assert_eq!(fields(gauge), [(1, Value::Fixed64((-2.5f64).to_bits()))]);
}

#[test]
fn lengths_of_two_and_three_bytes_move_the_body() {
    for len in [126, 127, 128, 16383, 16384, 70000] {
        let help = "x".repeat(len);
        let mut out = Vec::new();
        write_family(&mut out, "u", &help, MetricType::Untyped, |m| m.untyped([("k", "v")], 7.0));
        let all = messages(&out);
        assert_eq!(all.len(), 1, "help of {len}");
        let family = fields(all[0]);
        assert_eq!(family[0], (1, Value::Bytes(b"u")));
        assert_eq!(family[1], (2, Value::Bytes(help.as_bytes())));
        assert_eq!(family[2], (3, Value::Varint(3)));
        // The prefix is a minimal varint: the message ends exactly at the end.
        assert_eq!(varint_len(all[0].len() as u64) + all[0].len(), out.len());
    }
}

#[test]
fn varints_and_zigzag() {
    for (v, n) in [(0, 1), (1, 1), (127, 1), (128, 2), (16383, 2), (16384, 3), (u64::MAX, 10)] {
        assert_eq!(varint_len(v), n, "{v}");
        let mut out = Vec::new();
        varint(&mut out, v);
        assert_eq!(out.len(), n);
        assert_eq!(read_varint(&out, &mut 0), v);
    }
    assert_eq!([0, -1, 1, -2, 2, -4].map(zigzag), [0, 1, 2, 3, 4, 7]);
    assert_eq!(zigzag(i64::from(i32::MIN)), u64::from(u32::MAX));
}

#[test]
fn histogram_fields() {
    let mut out = Vec::new();
    write_family(&mut out, "h", "help", MetricType::Histogram, |m| {
        m.histogram(no_labels(), 3, 1.5, [(0.5, 1), (1.0, 3)]);
    });
    let family = fields(messages(&out)[0]);
    let Value::Bytes(metric) = family[3].1 else { panic!() };
    let metric = fields(metric);
    assert_eq!(metric[0].0, 7);
    let Value::Bytes(histogram) = metric[0].1 else { panic!() };
    let h = fields(histogram);
    assert_eq!(h[0], (1, Value::Varint(3)));
    assert_eq!(h[1], (2, Value::Fixed64(1.5f64.to_bits())));
    let Value::Bytes(b) = h[3].1 else { panic!() };
    assert_eq!(fields(b), [(1, Value::Varint(3)), (2, Value::Fixed64(1.0f64.to_bits()))]);
}

#[test]
fn native_histogram_fields() {
    let h = NativeSnapshot {
        schema: -1,
        zero_threshold: 0.25,
        zero_count: 2,
        count: 6,
        sum: 10.0,
        positive: Buckets { spans: vec![Span { offset: -2, length: 2 }], deltas: vec![3, -2] },
        negative: Buckets { spans: vec![Span { offset: 1, length: 1 }], deltas: vec![0] },
    };
    let mut out = Vec::new();
    write_family(&mut out, "n", "help", MetricType::Histogram, |m| {
        m.native_histogram(no_labels(), &h, &Default::default())
    });
    let family = fields(messages(&out)[0]);
    let Value::Bytes(metric) = family[3].1 else { panic!() };
    let Value::Bytes(histogram) = fields(metric)[0].1 else { panic!() };
    let h = fields(histogram);
    let numbers: Vec<u32> = h.iter().map(|f| f.0).collect();
    assert_eq!(numbers, [1, 2, 5, 6, 7, 9, 10, 12, 13]);
    assert_eq!(h[2], (5, Value::Varint(1))); // schema -1, zigzag
    assert_eq!(h[6], (10, Value::Bytes(&[0]))); // packed [0]
    assert_eq!(h[7], (12, Value::Bytes(&[0x08, 3, 0x10, 2]))); // offset -2, length 2
    assert_eq!(h[8], (13, Value::Bytes(&[6, 3]))); // packed [3, -2]
}

#[test]
fn empty_native_histogram_without_zero_bucket_gets_a_no_op_span() {
    let h = NativeSnapshot::default();
    let mut out = Vec::new();
    write_family(&mut out, "n", "help", MetricType::Histogram, |m| {
        m.native_histogram(no_labels(), &h, &Default::default())
    });
    let family = fields(messages(&out)[0]);
    let Value::Bytes(metric) = family[3].1 else { panic!() };
    let Value::Bytes(histogram) = fields(metric)[0].1 else { panic!() };
    assert_eq!(fields(histogram).last(), Some(&(12, Value::Bytes(&[0x08, 0, 0x10, 0]))));
}

/// Decodes our bytes with Google's protobuf library (tests/metrics/proto_decode.py
/// builds the schema with metrics.proto's field numbers). Without python3's
/// protobuf package the check is skipped, unless HAMS_CHECK_STRICT=1.
#[test]
fn google_protobuf_reads_what_we_write() {
    let strict = std::env::var("HAMS_CHECK_STRICT").is_ok_and(|v| v == "1");
    let probe = Command::new("python3").args(["-c", "import google.protobuf"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(!strict, "python3 with the protobuf package is needed (pip install protobuf)");
        eprintln!("skipped: python3 with the protobuf package is not installed");
        return;
    }
    let native = NativeHistogram::new(2.0, 0).unwrap();
    for v in [1.0, 1.5, 2.0, 3.0, 100.0, -0.3, -1.0, 0.0] {
        native.observe(v);
    }
    let mut snapshot = NativeSnapshot::default();
    native.snapshot_into(&mut snapshot);
    let long_help = "a help text long enough to need a two-byte length: ".repeat(4);

    let mut out = Vec::new();
    write_family(&mut out, "requests_total", "Requests served.", MetricType::Counter, |m| {
        m.counter([("code", "200"), ("path", "/ä")], 42.0);
        m.counter([("code", "500"), ("path", "/")], 0.0);
    });
    write_family(&mut out, "temperature", &long_help, MetricType::Gauge, |m| m.gauge(no_labels(), -1.25));
    write_family(&mut out, "legacy", "Untyped.", MetricType::Untyped, |m| m.untyped(no_labels(), 3.0));
    write_family(&mut out, "latency_seconds", "Classic.", MetricType::Histogram, |m| {
        m.histogram([("op", "get")], 5, 2.5, [(0.1, 1), (1.0, 4), (f64::INFINITY, 5)]);
    });
    write_family(&mut out, "size_bytes", "Native.", MetricType::Histogram, |m| {
        m.native_histogram(no_labels(), &snapshot, &Default::default())
    });

    let dir = std::env::temp_dir().join(format!("hams-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("families.bin");
    std::fs::write(&file, &out).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/metrics/proto_decode.py");
    let result = Command::new("python3").arg(script).arg(&file).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "{}{stdout}", String::from_utf8_lossy(&result.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let help = format!("{long_help:?}");
    let expected = [
        r#"{"help": "Requests served.", "metric": [{"counter": {"value": 42.0}, "label": [{"name": "code", "value": "200"}, {"name": "path", "value": "/\u00e4"}]}, {"counter": {"value": 0.0}, "label": [{"name": "code", "value": "500"}, {"name": "path", "value": "/"}]}], "name": "requests_total", "type": "COUNTER"}"#.to_string(),
        format!(r#"{{"help": {help}, "metric": [{{"gauge": {{"value": -1.25}}}}], "name": "temperature", "type": "GAUGE"}}"#),
        r#"{"help": "Untyped.", "metric": [{"untyped": {"value": 3.0}}], "name": "legacy", "type": "UNTYPED"}"#.to_string(),
        r#"{"help": "Classic.", "metric": [{"histogram": {"bucket": [{"cumulative_count": "1", "upper_bound": 0.1}, {"cumulative_count": "4", "upper_bound": 1.0}, {"cumulative_count": "5", "upper_bound": "Infinity"}], "sample_count": "5", "sample_sum": 2.5}, "label": [{"name": "op", "value": "get"}]}], "name": "latency_seconds", "type": "HISTOGRAM"}"#.to_string(),
        // Schema 0: 1 -> bucket 0; 1.5, 2 -> 1; 3 -> 2; 100 -> 7 (a gap of 4:
        // a new span 4 after bucket 2). -0.3 -> -1, -1 -> 0.
        r#"{"help": "Native.", "metric": [{"histogram": {"negative_delta": ["1", "0"], "negative_span": [{"length": 2, "offset": -1}], "positive_delta": ["1", "1", "-1", "0"], "positive_span": [{"length": 3, "offset": 0}, {"length": 1, "offset": 4}], "sample_count": "8", "sample_sum": 106.2, "schema": 0, "zero_count": "1", "zero_threshold": 2.938735877055719e-39}}], "name": "size_bytes", "type": "HISTOGRAM"}"#.to_string(),
    ];
    assert_eq!(lines, expected);
}
