use super::*;
use crate::metrics::expose::{Format, Writer as Expo};
use crate::metrics::registry::Snapshot;
use crate::metrics::shared::SharedStore;
use crate::metrics::MetricVec;
use crate::shm::Writer;

/// A registry of one process of the tree (all in this test process: the
/// slots tell them apart).
fn member(writer: Writer) -> Arc<MetricRegistry> {
    let r = Arc::new(MetricRegistry::default());
    r.share(SharedStore::new(Arc::new(writer))).unwrap();
    r
}

fn text(tree: &TreeMetrics) -> String {
    tree.refresh();
    let mut out = Vec::new();
    let mut w = Expo::new(&mut out, Format::Text);
    w.families(tree.mirror(), &mut Snapshot::default());
    w.finish();
    let text = String::from_utf8(out).unwrap();
    crate::metrics::validate::check(&text, &|_| false).unwrap();
    text
}

fn samples(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

fn vec(r: &Arc<MetricRegistry>, name: &str, kind: Kind, labels: &[&str]) -> MetricVec {
    MetricVec::new(r, name, "Help.", kind, labels, Shape::Scalar).unwrap()
}

#[test]
fn sums_over_processes_and_keeps_what_exited() {
    let region = Arc::new(Region::create(1024).unwrap());
    let parent = member(Writer::parent(region.clone()).unwrap());
    let w1 = member(Writer::worker(region.clone()));
    let w2 = member(Writer::worker(region.clone()));
    let tree = TreeMetrics::new(region.clone());
    let (p, a, b) = (
        vec(&parent, "req_total", Kind::Counter, &["path"]),
        vec(&w1, "req_total", Kind::Counter, &["path"]),
        vec(&w2, "req_total", Kind::Counter, &["path"]),
    );
    p.with(&["/"]).unwrap().add(1.0).unwrap();
    a.with(&["/"]).unwrap().add(10.0).unwrap();
    a.with(&["/x"]).unwrap().add(5.0).unwrap();
    b.with(&["/"]).unwrap().add(100.0).unwrap();
    let h = MetricVec::new(&w2, "lat", "L.", Kind::Histogram, &[], Shape::Histogram([1.0].as_slice().into())).unwrap();
    h.with(&[]).unwrap().observe(0.5).unwrap();
    h.with(&[]).unwrap().observe(2.0).unwrap();
    let t = text(&tree);
    let s = samples(&t);
    assert!(s.contains(&"req_total{path=\"/\"} 111"), "{t}");
    assert!(s.contains(&"req_total{path=\"/x\"} 5"), "{t}");
    assert!(s.contains(&"lat_bucket{le=\"1\"} 1") && s.contains(&"lat_count 2"), "{t}");
    // w1 exits: its counts stay, in the retired totals.
    let mut members = Vec::new();
    reader::members(&region, &mut members);
    let slot_w1 = members[1].slot;
    tree.retire(slot_w1);
    reader::members(&region, &mut members);
    assert_eq!(members.len(), 2, "w1's slot is free");
    b.with(&["/x"]).unwrap().add(1.0).unwrap();
    let t = text(&tree);
    let s = samples(&t);
    assert!(s.contains(&"req_total{path=\"/\"} 111") && s.contains(&"req_total{path=\"/x\"} 6"), "{t}");
    drop((a, w1));
}

#[test]
fn gauges_per_worker_or_aggregated_and_agreed_on() {
    let region = Arc::new(Region::create(1024).unwrap());
    let parent = member(Writer::parent(region.clone()).unwrap());
    let w1 = member(Writer::worker(region.clone()));
    let tree = TreeMetrics::new(region.clone());
    let g0 = vec(&parent, "inflight", Kind::Gauge, &[]);
    let g1 = vec(&w1, "inflight", Kind::Gauge, &[]);
    g0.set_aggregation(Aggregation::Max).unwrap();
    g1.set_aggregation(Aggregation::Max).unwrap();
    assert!(g1.set_aggregation(Aggregation::Sum).unwrap_err().message().contains("another aggregation"));
    g0.with(&[]).unwrap().set(3.0).unwrap();
    g1.with(&[]).unwrap().set(7.0).unwrap();
    let t = text(&tree);
    assert!(samples(&t).contains(&"inflight 7"), "{t}");
    let c = vec(&w1, "per", Kind::Gauge, &["pid"]);
    c.with(&["x"]).unwrap().set(1.0).unwrap();
    let t = text(&tree);
    let want = format!("per{{pid=\"x\",hams_pid=\"{}\"}} 1", crate::process::current_pid());
    assert!(samples(&t).contains(&want.as_str()), "a family with its own pid label gets hams_pid: {t}");
    // A removed per-worker gauge leaves; a counter would stay.
    c.remove(&["x"]).unwrap();
    assert!(!text(&tree).contains("per{"), "removed");
    let counter = vec(&w1, "n_total", Kind::Counter, &[]);
    assert!(counter.set_aggregation(Aggregation::Sum).is_err(), "only gauges");
}

#[test]
fn a_full_region_says_so_and_native_histograms_are_refused() {
    let region = Arc::new(Region::create(256).unwrap());
    let chunks = region.chunk_count() as usize;
    let parent = member(Writer::parent(region.clone()).unwrap());
    let mut held = Vec::new();
    let mut err = None;
    for i in 0..=chunks {
        let w = member(Writer::worker(region.clone()));
        match MetricVec::new(&w, "c_total", "C.", Kind::Counter, &[], Shape::Scalar)
            .and_then(|v| v.with(&[]).map(|m| (v, m)))
        {
            Ok(x) => held.push((w, x)),
            Err(e) => {
                err = Some(e);
                break;
            }
        }
        assert!(i < chunks, "more processes got a chunk than there are chunks");
    }
    let e = err.expect("the region fills up");
    assert!(e.message().contains("full") && e.message().contains("capacity_kib"), "{e}");
    let native = MetricVec::new(&parent, "n", "N.", Kind::NativeHistogram, &[], Shape::Scalar);
    assert!(native.unwrap_err().message().contains("not shared across workers"));
}

#[test]
fn garbage_in_a_chunk_is_not_served() {
    let region = Arc::new(Region::create(1024).unwrap());
    let _parent = member(Writer::parent(region.clone()).unwrap());
    let w1 = member(Writer::worker(region.clone()));
    let tree = TreeMetrics::new(region.clone());
    let v = vec(&w1, "ok_total", Kind::Counter, &[]);
    v.with(&[]).unwrap().add(2.0).unwrap();
    let bad = vec(&w1, "bad_total", Kind::Counter, &[]);
    bad.with(&[]).unwrap().add(1.0).unwrap();
    // Scribble over the second record: names with spaces, wild lengths.
    let ptr = (0..region.chunk_count())
        .find(|&c| region.chunk_meta(c).unwrap().owner.load(Ordering::Relaxed) == 2)
        .and_then(|c| region.chunk_ptr(c))
        .unwrap();
    let t = text(&tree);
    let first_len = t.len();
    assert!(samples(&t).contains(&"ok_total 2") && samples(&t).contains(&"bad_total 1"), "{t}");
    for (i, b) in b"\xff\xff\xff\x7fjunk! not a name {}\"\n".iter().enumerate() {
        // SAFETY: inside the chunk's first record area of this test's region.
        unsafe { *ptr.add(64 + i) = *b };
    }
    // The parent reads records again when the region's epoch changes (any
    // record, slot or removal does it); until then it sums the cells it knows.
    v.with(&[]).unwrap().add(1.0).unwrap();
    assert!(samples(&text(&tree)).contains(&"ok_total 3"), "values are read again without a new epoch");
    region.bump_epoch();
    let t = text(&tree);
    assert!(t.len() <= first_len && !t.contains("junk"), "{t}");
    // SAFETY: as above; the record's length word itself.
    unsafe { ptr.cast::<u32>().write(u32::MAX) };
    region.bump_epoch();
    let t = text(&tree);
    assert!(!t.contains("ok_total"), "a chunk whose first record is broken is not read: {t}");
}

/// `cargo test --release --lib tree_refresh_time -- --ignored --nocapture`
#[test]
#[ignore]
fn tree_refresh_time() {
    let region = Arc::new(Region::create(64 << 10).unwrap());
    let _parent = member(Writer::parent(region.clone()).unwrap());
    let workers: Vec<_> = (0..8).map(|_| member(Writer::worker(region.clone()))).collect();
    let vecs: Vec<_> = workers.iter().map(|w| vec(w, "req_total", Kind::Counter, &["path", "code"])).collect();
    for v in &vecs {
        for i in 0..1000 {
            v.with(&[&format!("/path/{i}"), "200"]).unwrap().add(1.0).unwrap();
        }
    }
    let tree = TreeMetrics::new(region.clone());
    tree.refresh();
    let t = std::time::Instant::now();
    for _ in 0..30 {
        tree.refresh();
    }
    eprintln!("refresh of 8 x 1000 series: {:?} each", t.elapsed() / 30);
}
