//! /hams/metrics answers the format the `Accept` header prefers, with the
//! exact `Content-Type`, for the literal headers of Prometheus, curl and
//! browsers; and gzip when `Accept-Encoding` allows it and the body is large.

mod common;

use common::*;
use std::io::{Read, Write};

const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROTOBUF: &str = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// Prometheus 2.42 (Debian 12's), scrape_classic_histograms off.
const PROMETHEUS_2_42: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// Prometheus 2.42 with --enable-feature=native-histograms.
const PROMETHEUS_2_42_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// Prometheus 3.x's default scrape_protocols.
const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// Prometheus 3.x with native histograms (PrometheusProto first).
const PROMETHEUS_3_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
const CURL: &str = "*/*";
const FIREFOX: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/png,image/svg+xml,*/*;q=0.8";
const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

/// One scrape with these extra header lines: the status, the head's lines
/// and the raw body.
fn scrape(port: u16, headers: &str) -> (u16, Vec<String>, Vec<u8>) {
    let mut s = connect(port);
    write!(s, "GET /hams/metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n{headers}\r\n").unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let end = all.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8(all[..end].to_vec()).unwrap();
    let lines: Vec<String> = head.split("\r\n").map(str::to_string).collect();
    let status = lines[0][9..12].parse().unwrap();
    let body = all[end + 4..].to_vec();
    let len: usize = header(&lines, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(body.len(), len);
    (status, lines, body)
}

fn header<'l>(lines: &'l [String], name: &str) -> Option<&'l str> {
    lines.iter().find_map(|l| l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

#[test]
fn accept_headers_of_prometheus_curl_and_browsers() {
    let (h, port) = started("negotiation");
    let c = h.counter("jobs_total", "Jobs.", &[]).unwrap();
    c.add(1.0).unwrap();
    let table = [
        ("Prometheus 2.42", Some(PROMETHEUS_2_42), OPENMETRICS),
        ("Prometheus 2.42, native histograms", Some(PROMETHEUS_2_42_NATIVE), PROTOBUF),
        ("Prometheus 3", Some(PROMETHEUS_3), OPENMETRICS),
        ("Prometheus 3, native histograms", Some(PROMETHEUS_3_NATIVE), PROTOBUF),
        ("curl", Some(CURL), TEXT),
        ("Firefox", Some(FIREFOX), TEXT),
        ("Chrome", Some(CHROME), TEXT),
        ("no Accept", None, TEXT),
    ];
    for (who, accept, want) in table {
        let extra = accept.map(|a| format!("Accept: {a}\r\n")).unwrap_or_default();
        let (status, head, body) = scrape(port, &extra);
        assert_eq!(status, 200, "{who}");
        assert_eq!(header(&head, "Content-Type"), Some(want), "{who}");
        assert_eq!(header(&head, "Vary"), Some("Accept, Accept-Encoding"), "{who}");
        assert_eq!(header(&head, "Content-Encoding"), None, "{who}: small bodies stay identity");
        match want {
            OPENMETRICS => assert!(body.ends_with(b"\njobs_total 1\n# EOF\n") || body.ends_with(b"# EOF\n"), "{who}"),
            TEXT => assert!(String::from_utf8_lossy(&body).contains("\njobs_total 1\n"), "{who}"),
            _ => assert!(!body.is_empty() && body[0] < 0x80 || body.len() > 1, "{who}"),
        }
        println!("{who:36} -> {want}");
    }
    drop(h);
}
