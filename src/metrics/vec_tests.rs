use super::*;
use crate::metrics::expose::{Format, Writer};
use crate::metrics::registry::Snapshot;
use crate::metrics::DEFAULT_BUCKETS;
use std::collections::HashMap;

fn reg() -> Arc<MetricRegistry> {
    Arc::new(MetricRegistry::default())
}

fn counter_vec(r: &Arc<MetricRegistry>, name: &str, labels: &[&str]) -> Result<MetricVec> {
    MetricVec::new(r, name, "Help.", Kind::Counter, labels, Shape::Scalar)
}

fn render(r: &MetricRegistry) -> String {
    let mut out = Vec::new();
    Writer::new(&mut out, Format::Text).families(r, &mut Snapshot::default());
    String::from_utf8(out).unwrap()
}

fn same(a: &Metric, b: &Metric) -> bool {
    Arc::ptr_eq(a.series(), b.series())
}

#[test]
fn series_are_made_on_first_use_and_found_again() {
    let r = reg();
    let v = counter_vec(&r, "req_total", &["path", "code"]).unwrap();
    assert!(v.is_empty());
    assert_eq!(render(&r), "", "a vec without series is not exposed");
    let a = v.with(&["/", "200"]).unwrap();
    a.add(2.0).unwrap();
    v.with(&["/x", "500"]).unwrap().add(1.0).unwrap();
    assert!(same(&a, &v.with(&["/", "200"]).unwrap()));
    assert!(a.is_vec_member() && a.name() == "req_total" && v.len() == 2);
    assert_eq!(a.label_values().collect::<Vec<_>>(), ["/", "200"]);
    assert_eq!(
        render(&r),
        "# HELP req_total Help.\n# TYPE req_total counter\nreq_total{path=\"/\",code=\"200\"} 2\n\
         req_total{path=\"/x\",code=\"500\"} 1\n"
    );
    // Dropping a member's Metric leaves the series; removing it does not.
    drop(a);
    assert_eq!(v.len(), 2);
    v.remove(&["/", "200"]).unwrap();
    assert!(v.remove(&["/", "200"]).unwrap_err().message().contains("no series"));
    assert_eq!(render(&r), "# HELP req_total Help.\n# TYPE req_total counter\nreq_total{path=\"/x\",code=\"500\"} 1\n");
    assert_eq!(v.with(&["/", "200"]).unwrap().value(), 0.0, "made again, from zero");
    drop(v);
    assert_eq!((r.family_count(), render(&r).as_str()), (0, ""));
    let again = counter_vec(&r, "req_total", &["other"]).unwrap();
    assert_eq!(again.label_names().collect::<Vec<_>>(), ["other"], "the name is free again");
}

#[test]
fn gauge_and_histogram_vecs_with_default_buckets() {
    let r = reg();
    let g = MetricVec::new(&r, "temp", "T.", Kind::Gauge, &["room"], Shape::Scalar).unwrap();
    g.with(&["a"]).unwrap().set(-1.5).unwrap();
    let shape = shape_of("lat", Kind::Histogram, Some(&DEFAULT_BUCKETS), None).unwrap();
    let h = MetricVec::new(&r, "lat", "L.", Kind::Histogram, &["op"], shape).unwrap();
    for v in [0.003, 0.2, 20.0] {
        h.with(&["get"]).unwrap().observe(v).unwrap();
    }
    assert!(h.with(&["get"]).unwrap().add(1.0).is_err(), "a histogram is no counter");
    let text = render(&r);
    assert!(text.contains("temp{room=\"a\"} -1.5\n"), "{text}");
    let buckets: Vec<&str> = text.lines().filter(|l| l.starts_with("lat_bucket")).collect();
    assert_eq!(buckets.len(), 12, "11 default bounds and +Inf: {text}");
    assert_eq!(buckets[0], "lat_bucket{op=\"get\",le=\"0.005\"} 1");
    assert_eq!(buckets[5], "lat_bucket{op=\"get\",le=\"0.25\"} 2");
    assert_eq!(buckets[10], "lat_bucket{op=\"get\",le=\"10\"} 2");
    assert!(
        text.contains("lat_bucket{op=\"get\",le=\"+Inf\"} 3\nlat_sum{op=\"get\"} 20.203\nlat_count{op=\"get\"} 3\n")
    );
}

#[test]
fn native_histograms_show_count_and_sum_in_text() {
    let r = reg();
    let shape = shape_of("rt", Kind::NativeHistogram, None, Some((1.1, 160))).unwrap();
    let v = MetricVec::new(&r, "rt", "R.", Kind::NativeHistogram, &["op"], shape).unwrap();
    let m = v.with(&["x"]).unwrap();
    for x in [-2.0, 0.0, 0.5, 3.0] {
        m.observe(x).unwrap();
    }
    assert!(m.observe(f64::NAN).is_err() && m.set(1.0).is_err());
    assert_eq!((m.count(), m.value()), (4, 1.5));
    let mut snap = crate::metrics::native::NativeSnapshot::default();
    assert!(m.series().native_snapshot(&mut snap));
    assert_eq!((snap.count, snap.zero_count, snap.schema), (4, 1, 3), "factor 1.1 is schema 3");
    assert_eq!(
        render(&r),
        "# HELP rt R.\n# TYPE rt histogram\nrt_bucket{op=\"x\",le=\"+Inf\"} 4\nrt_sum{op=\"x\"} 1.5\nrt_count{op=\"x\"} 4\n"
    );
    for bad in [1.0, 0.5, f64::NAN, f64::INFINITY, -2.0] {
        let e = shape_of("rt2", Kind::NativeHistogram, None, Some((bad, 0))).unwrap_err();
        assert!(e.message().contains("bucket_factor"), "{bad}: {e}");
    }
}

#[test]
fn errors() {
    let r = reg();
    let v = counter_vec(&r, "e_total", &["a", "b"]).unwrap();
    for values in [&[][..], &["1"], &["1", "2", "3"]] {
        let e = v.with(values).unwrap_err();
        assert!(e.message().contains("label values for 2 label names"), "{values:?}: {e}");
        assert!(v.remove(values).is_err());
    }
    for names in [&["1a"][..], &["__x"], &["a", "a"], &["a-b"], &[""]] {
        assert!(counter_vec(&r, "n_total", names).is_err(), "{names:?}");
    }
    for kind in [Kind::Histogram, Kind::NativeHistogram] {
        let e = MetricVec::new(&r, "h", "H.", kind, &["le"], Shape::Scalar).unwrap_err();
        assert!(e.message().contains("le is reserved"), "{e}");
    }
    // Name clashes: with a vec, with a family registered alone, with suffixes.
    assert!(counter_vec(&r, "e_total", &["a", "b"]).unwrap_err().message().contains("already registered"));
    let _alone = Metric::new(&r, "alone_total", "A.", Kind::Counter, &[], None).unwrap();
    assert!(counter_vec(&r, "alone_total", &["a"]).is_err());
    let e = Metric::new(&r, "e_total", "Help.", Kind::Counter, &[("a", "1"), ("b", "2")], None).unwrap_err();
    assert!(e.message().contains("vec's family"), "{e}");
    assert!(MetricVec::new(&r, "e", "G.", Kind::Gauge, &["a"], Shape::Scalar)
        .unwrap_err()
        .message()
        .contains("clashes"));
    assert!(counter_vec(&r, "process_open_fds", &["a"]).is_err());
    assert!(counter_vec(&r, "bad name_total", &["a"]).is_err());
    assert!(MetricVec::new(&r, "g", "", Kind::Gauge, &["a"], Shape::Scalar).is_err(), "empty help");
    assert!(shape_of("h", Kind::Histogram, Some(&[2.0, 1.0]), None).is_err());
    // Label values may be any text.
    let m = v.with(&["", "a\"b\\c\nd"]).unwrap();
    m.add(1.0).unwrap();
    assert!(render(&r).contains("e_total{a=\"\",b=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

#[test]
fn concurrent_first_use_makes_one_series() {
    let r = reg();
    let v = Arc::new(counter_vec(&r, "c_total", &["k"]).unwrap());
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (v, barrier) = (v.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let m = v.with(&["same"]).unwrap();
                for i in 0..1000 {
                    m.add(1.0).unwrap();
                    v.with(&[&(i % 50).to_string()]).unwrap().add(1.0).unwrap();
                }
                Arc::as_ptr(m.series()) as usize
            })
        })
        .collect();
    let ptrs: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(ptrs.windows(2).all(|w| w[0] == w[1]), "one series for one set of values");
    assert_eq!(v.len(), 51);
    assert_eq!(v.with(&["same"]).unwrap().value(), 8000.0);
    assert_eq!(v.with(&["7"]).unwrap().value(), 8.0 * 20.0);
}

/// 100,000 series in one registry: made, updated from several threads while
/// being scraped, and rendered exactly.
#[test]
fn a_hundred_thousand_series() {
    const N: usize = 100_000;
    let r = reg();
    let v = Arc::new(counter_vec(&r, "big_total", &["shard", "id"]).unwrap());
    let labels = |i: usize| [(i % 16).to_string(), i.to_string()];
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let v = v.clone();
            std::thread::spawn(move || {
                for i in (t..N).step_by(4) {
                    let [a, b] = labels(i);
                    v.with(&[&a, &b]).unwrap().add((i % 7) as f64).unwrap();
                }
            })
        })
        .collect();
    // Scrapes while the series are being made and updated.
    while threads.iter().any(|t| !t.is_finished()) {
        assert!(render(&r).lines().count() <= N + 2);
    }
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(v.len(), N);
    for i in (0..N).step_by(3) {
        let [a, b] = labels(i);
        v.with(&[&a, &b]).unwrap().add(1.0).unwrap();
    }
    let text = render(&r);
    let mut seen: HashMap<usize, f64> = HashMap::new();
    for line in text.lines().skip(2) {
        let rest = line.strip_prefix("big_total{shard=\"").unwrap();
        let (shard, rest) = rest.split_once("\",id=\"").unwrap();
        let (id, value) = rest.split_once("\"} ").unwrap();
        let id: usize = id.parse().unwrap();
        assert_eq!(shard.parse::<usize>().unwrap(), id % 16);
        assert!(seen.insert(id, value.parse().unwrap()).is_none(), "{id} twice");
    }
    assert_eq!(seen.len(), N);
    for (id, value) in seen {
        let want = (id % 7) as f64 + if id % 3 == 0 { 1.0 } else { 0.0 };
        assert_eq!(value, want, "{id}");
    }
    // Removing most of them keeps the rest in order.
    for i in (0..N).filter(|i| i % 10 != 0) {
        let [a, b] = labels(i);
        v.remove(&[&a, &b]).unwrap();
    }
    let ids: Vec<usize> = render(&r)
        .lines()
        .skip(2)
        .map(|l| l.split("id=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), N / 10);
    assert!(ids.iter().all(|i| i % 10 == 0));
}
