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
            _ => {
                let names = delimited_names(&body);
                assert!(names.iter().any(|n| n == "jobs_total"), "{who}: {names:?}");
                assert!(names.iter().any(|n| n == "hams_build_info"), "{who}: {names:?}");
            }
        }
        println!("{who:36} -> {want}");
    }
    drop(h);
}

/// The `name` (field 1) of each length-delimited message in `body`, which
/// must hold whole messages only.
fn delimited_names(body: &[u8]) -> Vec<String> {
    fn varint(b: &[u8], at: &mut usize) -> usize {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return v;
            }
        }
    }
    let mut names = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let len = varint(body, &mut at);
        let message = &body[at..at + len];
        at += len;
        assert_eq!(message[0], 0x0a, "MetricFamily starts with its name");
        let mut p = 1;
        let n = varint(message, &mut p);
        names.push(String::from_utf8(message[p..p + n].to_vec()).unwrap());
    }
    assert_eq!(at, body.len());
    names
}

#[test]
fn gzip_when_accepted_and_large_identity_otherwise() {
    let (h, port) = started("gzip");
    let mut keep = Vec::new();
    for i in 0..200 {
        let c = h.counter("requests_total", "Requests.", &[("path", &format!("/p{i}"))]).unwrap();
        c.add(i as f64).unwrap();
        keep.push(c);
    }
    let (_, plain_head, plain) = scrape(port, "");
    assert_eq!(header(&plain_head, "Content-Encoding"), None);
    for coding in ["gzip", "deflate, gzip", "gzip;q=0.5, identity;q=0.4", "*"] {
        let (status, head, body) = scrape(port, &format!("Accept-Encoding: {coding}\r\n"));
        assert_eq!(status, 200);
        assert_eq!(header(&head, "Content-Encoding"), Some("gzip"), "{coding}");
        assert_eq!(header(&head, "Content-Type"), Some(TEXT));
        assert_eq!(&body[..3], &[0x1f, 0x8b, 8], "a gzip member");
        // ISIZE: the uncompressed length (the document differs from the
        // plain one only in the request counters it shows).
        let isize = u32::from_le_bytes(body[body.len() - 4..].try_into().unwrap()) as usize;
        assert!(isize.abs_diff(plain.len()) < 200, "{isize} vs {}", plain.len());
        assert!(body.len() * 3 < isize, "{} bytes compressed from {isize}", body.len());
    }
    for coding in ["identity", "gzip;q=0", "gzip;q=0.4, identity;q=0.5", "br"] {
        let (_, head, _) = scrape(port, &format!("Accept-Encoding: {coding}\r\n"));
        assert_eq!(header(&head, "Content-Encoding"), None, "{coding}");
    }
    // Probe answers stay identity.
    let r = get_with(port, "/hams/alive", "Accept-Encoding: gzip\r\n");
    assert_eq!((r.status, r.header("Content-Encoding"), r.body.as_str()), (200, None, "ok"));
    drop(keep);
    drop(h);
}
