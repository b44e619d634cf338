//! Finding a vec's series that exists allocates nothing, in Rust and
//! through the C API. A counting global allocator sees every allocation of
//! this process; the one test here runs alone, with no server thread.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::ALLOCS;
use std::ptr::null;
use std::sync::atomic::Ordering;

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.load(Ordering::Relaxed);
    f();
    ALLOCS.load(Ordering::Relaxed) - before
}

#[test]
fn a_hit_allocates_nothing() {
    let h = hams::Hams::new("alloc", "1").unwrap();
    let v = h.counter_vec("hits_total", "Hits.", &["path", "code"]).unwrap();
    for i in 0..1000 {
        v.with(&[&i.to_string(), "200"]).unwrap();
    }
    let hits = allocations(|| {
        for _ in 0..10_000 {
            v.with(&["500", "200"]).unwrap().add(1.0).unwrap();
        }
    });
    assert_eq!(hits, 0, "Rust: allocations over 10,000 hits");
    assert_eq!(v.with(&["500", "200"]).unwrap().value(), 10_000.0);

    unsafe {
        use hams::ffi::*;
        let h = hams_new(c"alloc".as_ptr(), c"1".as_ptr());
        let names = [c"path".as_ptr(), null()];
        let v = hams_histogram_vec_new(h, c"lat".as_ptr(), c"L.".as_ptr(), null(), 0, names.as_ptr());
        let values = [c"/".as_ptr(), null()];
        let m = hams_vec_with(v, values.as_ptr());
        assert!(!m.is_null());
        let hits = allocations(|| {
            for _ in 0..10_000 {
                assert_eq!(hams_vec_with(v, values.as_ptr()), m);
                assert_eq!(hams_histogram_observe(m, 0.1), 0);
            }
        });
        assert_eq!(hits, 0, "C: allocations over 10,000 hits");
        hams_free(h);
    }
}
