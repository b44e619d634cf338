//! Exemplars through the safe API over the system libhams: shown in an
//! OpenMetrics scrape, not in the text format; a bad one counts nothing.

use hams::{ErrorKind, Hams};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The body of `GET /hams/metrics` with these extra header lines.
fn metrics(port: u16, headers: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    write!(s, "GET /hams/metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n").expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string()
}

fn openmetrics(port: u16) -> String {
    metrics(port, "Accept: application/openmetrics-text; version=1.0.0\r\n")
}

/// The line of `body` that starts with `sample ` (a sample's name and labels).
fn line<'a>(body: &'a str, sample: &str) -> &'a str {
    let prefix = format!("{sample} ");
    body.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no `{sample}` in\n{body}"))
}

/// `value # {labels} exemplar_value timestamp`: the timestamp a number of seconds.
fn assert_exemplar(body: &str, sample: &str, value: &str, labels: &str, exemplar_value: &str) {
    let l = line(body, sample);
    let want = format!("{sample} {value} # {{{labels}}} {exemplar_value} ");
    assert!(l.starts_with(&want), "`{l}` is not `{want}<timestamp>`");
    let ts: f64 = l[want.len()..].parse().unwrap_or_else(|_| panic!("no timestamp in `{l}`"));
    assert!(ts > 1.6e9, "{l}");
}

#[test]
fn exemplars_are_shown_in_openmetrics() {
    let h = Hams::new("sys-exemplars", "1").expect("new");
    h.set_address("127.0.0.1:0").expect("address");
    let jobs = h.counter("jobs_total", "Jobs.", &[]).expect("counter");
    jobs.add_exemplar(1.0, &[("trace_id", TRACE)]).expect("add_exemplar");
    jobs.add(2.0).expect("add");
    let work = h.histogram("work_seconds", "Work.", &hams::DEFAULT_BUCKETS, &[]).expect("histogram");
    work.observe_exemplar(0.3, &[("trace_id", TRACE)]).expect("observe_exemplar");
    let requests = h.counter_vec("requests_total", "Requests.", &["path", "code"]).expect("counter_vec");
    requests.with(&["/b", "500"]).expect("with").add_exemplar(1.0, &[("trace_id", "b7ad6b7169203331")]).expect("add");
    let rpc = h.histogram_vec("rpc_seconds", "RPCs.", &[1.0], &["method"]).expect("histogram_vec");
    rpc.with(&["get"]).expect("with").observe_exemplar(0.5, &[]).expect("no labels is an exemplar too");
    h.start().expect("start");
    let port = h.port().expect("port");
    let om = openmetrics(port);
    assert_exemplar(&om, "jobs_total", "3", &format!("trace_id=\"{TRACE}\""), "1");
    assert_exemplar(&om, "work_seconds_bucket{le=\"0.5\"}", "1", &format!("trace_id=\"{TRACE}\""), "0.3");
    assert_eq!(line(&om, "work_seconds_bucket{le=\"0.25\"}"), "work_seconds_bucket{le=\"0.25\"} 0");
    assert_exemplar(&om, "requests_total{path=\"/b\",code=\"500\"}", "1", "trace_id=\"b7ad6b7169203331\"", "1");
    assert_exemplar(&om, "rpc_seconds_bucket{method=\"get\",le=\"1.0\"}", "1", "", "0.5");
    let text = metrics(port, "");
    assert_eq!(line(&text, "jobs_total"), "jobs_total 3");
    assert!(!text.contains("trace_id"), "no exemplar in the text format 0.0.4:\n{text}");
}

#[test]
fn a_bad_exemplar_is_an_error_and_counts_nothing() {
    let h = Hams::new("sys-exemplars-bad", "1").expect("new");
    h.set_address("127.0.0.1:0").expect("address");
    let jobs = h.counter("bad_total", "Bad.", &[]).expect("counter");
    let work = h.histogram("bad_seconds", "Bad.", &hams::DEFAULT_BUCKETS, &[]).expect("histogram");
    let ok = "x".repeat(128 - "trace_id".len());
    jobs.add_exemplar(1.0, &[("trace_id", &ok)]).expect("128 characters: the limit");
    let long = format!("{ok}x");
    let bad: [(&[(&str, &str)], &str); 4] = [
        (&[("trace_id", &long)], "128"),
        (&[("bad name", "v")], "bad name"),
        (&[("1st", "v")], "1st"),
        (&[("a", "1"), ("a", "2")], "a"),
    ];
    for (labels, text) in bad {
        for e in [jobs.add_exemplar(1.0, labels), work.observe_exemplar(0.1, labels)] {
            let e = e.expect_err("a bad exemplar");
            assert_eq!(e.kind(), ErrorKind::Invalid, "{labels:?}: {e}");
            assert!(e.message().contains(text), "{labels:?}: {e}");
        }
    }
    let e = jobs.add_exemplar(1.0, &[("a\0b", "v")]).expect_err("a NUL");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(h.gauge("g", "G.", &[]).expect("gauge").add_exemplar(1.0, &[]).is_err(), "a gauge has no exemplars");
    h.start().expect("start");
    let om = openmetrics(h.port().expect("port"));
    assert_exemplar(&om, "bad_total", "1", &format!("trace_id=\"{ok}\""), "1");
    assert_eq!(line(&om, "bad_seconds_count"), "bad_seconds_count 0");
}
