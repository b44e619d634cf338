//! Metric vecs and native histograms over real sockets, up to 100,000
//! series in one `Hams`.

mod common;

use common::*;
use hams::{Hams, DEFAULT_BUCKETS};
use std::collections::HashMap;
use std::sync::Arc;

fn value(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

#[test]
fn vecs_and_native_histograms_are_scraped() {
    let (h, port) = started("vecs");
    let req = h.counter_vec("http_requests_total", "Requests.", &["path", "code"]).unwrap();
    req.with(&["/", "200"]).unwrap().add(2.0).unwrap();
    let lat = h.histogram_vec("http_seconds", "Latency.", &DEFAULT_BUCKETS, &["path"]).unwrap();
    lat.with(&["/"]).unwrap().observe(0.3).unwrap();
    let queue = h.gauge_vec("queue_depth", "Depth.", &["queue"]).unwrap();
    queue.with(&["mail"]).unwrap().set(4.0).unwrap();
    let native = h.histogram_native("rt_seconds", "Native.", 1.1, 100, &[("op", "get")]).unwrap();
    native.observe(0.25).unwrap();
    let nv = h.histogram_native_vec("nv_seconds", "Native vec.", 2.0, 0, &["op"]).unwrap();
    nv.with(&["put"]).unwrap().observe(-1.0).unwrap();

    let b = get(port, "/hams/metrics").body;
    assert_eq!(value(&b, "http_requests_total{path=\"/\",code=\"200\"}"), Some(2.0));
    assert_eq!(value(&b, "http_seconds_bucket{path=\"/\",le=\"0.25\"}"), Some(0.0));
    assert_eq!(value(&b, "http_seconds_bucket{path=\"/\",le=\"0.5\"}"), Some(1.0));
    assert_eq!(value(&b, "queue_depth{queue=\"mail\"}"), Some(4.0));
    assert_eq!(value(&b, "rt_seconds_bucket{op=\"get\",le=\"+Inf\"}"), Some(1.0));
    assert_eq!(value(&b, "rt_seconds_sum{op=\"get\"}"), Some(0.25));
    assert_eq!(value(&b, "nv_seconds_count{op=\"put\"}"), Some(1.0));
    assert!(b.contains("# TYPE rt_seconds histogram\n"));
    let om = get_with(port, "/hams/metrics", "Accept: application/openmetrics-text; version=1.0.0\r\n").body;
    assert!(om.contains("# TYPE http_requests counter\nhttp_requests_total{path=\"/\",code=\"200\"} 2\n"), "{om}");

    req.remove(&["/", "200"]).unwrap();
    drop(lat);
    let b = get(port, "/hams/metrics").body;
    assert!(!b.contains("\nhttp_requests_total") && !b.contains("http_seconds"), "{b}");
    assert!(!b.contains("# HELP http_requests_total"), "a vec without series is not exposed: {b}");
}

/// 100,000 series: made and updated from several threads while being
/// scraped, then scraped exactly.
#[test]
fn a_hundred_thousand_series() {
    const N: usize = 100_000;
    const THREADS: usize = 4;
    let (h, port) = started("big");
    let v = Arc::new(h.counter_vec("big_total", "Many series.", &["shard", "id"]).unwrap());
    let labels = |i: usize| [(i % 32).to_string(), i.to_string()];
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let v = v.clone();
            std::thread::spawn(move || {
                for round in 0..2 {
                    for i in (t..N).step_by(THREADS) {
                        let [a, b] = labels(i);
                        v.with(&[&a, &b]).unwrap().add((1 + round) as f64).unwrap();
                    }
                }
            })
        })
        .collect();
    let mut scrapes = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        assert_eq!(get(port, "/hams/metrics").status, 200);
        scrapes += 1;
    }
    workers.into_iter().for_each(|w| w.join().unwrap());
    assert!(scrapes >= 1);

    let body = get(port, "/hams/metrics").body;
    let mut seen: HashMap<usize, f64> = HashMap::new();
    for line in body.lines().filter(|l| l.starts_with("big_total{")) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let id = series.split("id=\"").nth(1).unwrap().trim_end_matches("\"}").parse().unwrap();
        assert_eq!(series, format!("big_total{{shard=\"{}\",id=\"{id}\"}}", id % 32));
        assert!(seen.insert(id, value.parse().unwrap()).is_none(), "{id} twice");
    }
    assert_eq!(seen.len(), N);
    assert!(seen.values().all(|&v| v == 3.0), "each series got 1 then 2");
    assert_eq!(v.len(), N);
    drop(h);
}

#[test]
fn names_clash_across_vecs_and_metrics() {
    let h = Hams::new("clash", "1").unwrap();
    let _v = h.counter_vec("a_total", "A.", &["x"]).unwrap();
    assert!(h.counter("a_total", "A.", &[("x", "1")]).is_err());
    assert!(h.gauge_vec("a", "A.", &["x"]).is_err());
    assert!(h.counter_vec("a_total", "A.", &["x"]).is_err());
    let _g = h.gauge("g", "G.", &[]).unwrap();
    assert!(h.gauge_vec("g", "G.", &["x"]).is_err());
    assert!(h.histogram_native("n", "N.", 1.0, 0, &[]).is_err());
    assert!(h.histogram_vec("hv", "H.", &[], &["x"]).is_err(), "no buckets");
    assert_eq!(hams::buckets_linear(0.0, 1.0, 3).unwrap(), [0.0, 1.0, 2.0]);
    assert_eq!(hams::buckets_exponential(1.0, 3.0, 3).unwrap(), [1.0, 3.0, 9.0]);
}
