//! The boundary's pointer handling, small enough for Miri
//! (`cargo +nightly miri test --lib ffi::`): no sockets, no server.

use super::*;
use std::ffi::{c_int, CStr};
use std::ptr::{null, null_mut};

fn last() -> String {
    unsafe { CStr::from_ptr(hams_last_error()) }.to_string_lossy().into_owned()
}

#[test]
fn null_and_utf8_arguments_are_refused() {
    unsafe {
        assert!(hams_new(null(), c"1".as_ptr()).is_null());
        assert_eq!(hams_last_error_code(), hams_result::HAMS_ERR_NULL as c_int);
        assert_eq!(last(), "service_name is NULL");
        let bad = [0xffu8, 0xfe, 0];
        assert!(hams_new(bad.as_ptr().cast(), c"1".as_ptr()).is_null());
        assert!(last().starts_with("service_name is not valid UTF-8"), "{}", last());
        assert_eq!(hams_start(null_mut()), hams_result::HAMS_ERR_NULL as c_int);
        assert_eq!(hams_probe_kick(null_mut()), hams_result::HAMS_ERR_NULL as c_int);
        hams_free(null_mut());
    }
}

#[test]
fn handles_live_and_die_with_their_owner() {
    unsafe {
        let h = hams_new(c"svc".as_ptr(), c"1".as_ptr());
        assert!(!h.is_null());
        let p = hams_probe_new_manual(h, c"db".as_ptr(), HAMS_READY, false);
        assert!(!p.is_null());
        assert_eq!(hams_probe_get(h, c"db".as_ptr()), p);
        assert!(hams_probe_new_manual(h, c"db".as_ptr(), HAMS_READY, false).is_null(), "duplicate");
        assert_eq!(hams_probe_set(p, false, c"down".as_ptr()), HAMS_OK);
        let labels = [c"code".as_ptr(), c"200".as_ptr(), null()];
        let m = hams_counter_new_labeled(h, c"req_total".as_ptr(), c"Requests.".as_ptr(), labels.as_ptr());
        assert!(!m.is_null());
        assert_eq!(hams_counter_add(m, 2.0), HAMS_OK);
        assert_eq!(hams_gauge_set(m, 1.0), hams_result::HAMS_ERR_INVALID as c_int);
        let odd = [c"code".as_ptr(), null()];
        assert!(hams_gauge_new_labeled(h, c"g".as_ptr(), c"G.".as_ptr(), odd.as_ptr()).is_null());
        assert!(last().contains("has no value"), "{}", last());
        let buckets = [0.1, 1.0];
        let hist = hams_histogram_new(h, c"lat".as_ptr(), c"L.".as_ptr(), buckets.as_ptr(), buckets.len());
        assert_eq!(hams_histogram_observe(hist, 0.5), HAMS_OK);
        assert_eq!(hams_metric_free(m), HAMS_OK);
        assert_eq!(hams_probe_free(p), HAMS_OK);
        assert!(hams_probe_get(h, c"db".as_ptr()).is_null());
        // What is left (the histogram, a kick probe) goes with the owner.
        assert!(!hams_probe_new_kick(h, c"k".as_ptr(), HAMS_ALIVE, 10).is_null());
        hams_free(h);
    }
}

#[test]
fn configuration_from_yaml_declares_probes() {
    unsafe {
        let yaml =
            c"service: {name: s, version: '1'}\nprobes:\n  - {name: loop, type: kick, checks: [alive], margin_ms: 5}\n";
        let h = hams_new_from_yaml(yaml.as_ptr());
        assert!(!h.is_null(), "{}", last());
        assert!(!hams_probe_get(h, c"loop".as_ptr()).is_null());
        assert_eq!(hams_wait(h, 0), 0);
        assert_eq!(hams_wait(h, -2), hams_result::HAMS_ERR_INVALID as c_int);
        hams_free(h);
        assert!(hams_new_from_yaml(c"service: [".as_ptr()).is_null());
        assert_eq!(hams_last_error_code(), hams_result::HAMS_ERR_CONFIG as c_int);
    }
}

#[test]
fn the_guard_turns_results_and_panics_into_c_values() {
    assert_eq!(guard(|| Ok(())), HAMS_OK);
    assert_eq!(guard(|| Ok(7)), 7);
    let failed = guard(|| -> crate::error::Result<*mut hams_t> { Err(crate::Error::invalid("bad")) });
    assert!(failed.is_null());
    assert_eq!((hams_last_error_code(), last()), (hams_result::HAMS_ERR_INVALID as c_int, "bad".to_string()));
    // (The test harness captures what the panic hook prints.)
    let code = guard(|| -> crate::error::Result<()> { panic!("boom") });
    let ptr = guard(|| -> crate::error::Result<*mut hams_t> { panic!("boom") });
    assert_eq!(code, hams_result::HAMS_ERR_PANIC as c_int);
    assert!(ptr.is_null());
    assert_eq!(last(), "internal error (please report): boom");
}

#[test]
fn vecs_own_their_series_handles() {
    unsafe {
        let h = hams_new(c"svc".as_ptr(), c"1".as_ptr());
        let names = [c"path".as_ptr(), c"code".as_ptr(), null()];
        let v = hams_counter_vec_new(h, c"req_total".as_ptr(), c"Requests.".as_ptr(), names.as_ptr());
        assert!(!v.is_null(), "{}", last());
        let ok = [c"/".as_ptr(), c"200".as_ptr(), null()];
        let m = hams_vec_with(v, ok.as_ptr());
        assert!(!m.is_null(), "{}", last());
        assert_eq!(hams_vec_with(v, ok.as_ptr()), m, "the same handle every time");
        assert_eq!(hams_counter_add(m, 1.0), HAMS_OK);
        assert_eq!(hams_metric_free(m), hams_result::HAMS_ERR_INVALID as c_int);
        assert!(last().contains("belongs to a vec"), "{}", last());
        let short = [c"/".as_ptr(), null()];
        assert!(hams_vec_with(v, short.as_ptr()).is_null());
        assert_eq!(last(), "1 label values for 2 label names (one value per name)");
        let long = [c"/".as_ptr(), c"200".as_ptr(), c"x".as_ptr(), null()];
        assert!(hams_vec_with(v, long.as_ptr()).is_null());
        assert!(last().starts_with("more label values than the 2 label names"), "{}", last());
        let holes = [c"/".as_ptr(), null(), c"x".as_ptr()];
        assert!(hams_vec_with(v, holes.as_ptr()).is_null());
        assert!(hams_vec_with(v, null()).is_null());
        assert_eq!(hams_last_error_code(), hams_result::HAMS_ERR_NULL as c_int);
        let bad = [0xffu8, 0];
        let bad_utf8 = [bad.as_ptr().cast(), c"200".as_ptr(), null()];
        assert!(hams_vec_with(v, bad_utf8.as_ptr()).is_null());
        assert!(last().starts_with("label value is not valid UTF-8"), "{}", last());
        assert_eq!(hams_vec_remove(v, ok.as_ptr()), HAMS_OK);
        assert_eq!(hams_vec_remove(v, ok.as_ptr()), hams_result::HAMS_ERR_INVALID as c_int);
        // A histogram vec with the default buckets; a native one; both left to hams_free.
        let op = [c"op".as_ptr(), null()];
        let hv = hams_histogram_vec_new(h, c"lat".as_ptr(), c"L.".as_ptr(), null(), 0, op.as_ptr());
        assert!(!hv.is_null(), "{}", last());
        let get = [c"get".as_ptr(), null()];
        assert_eq!(hams_histogram_observe(hams_vec_with(hv, get.as_ptr()), 0.3), HAMS_OK);
        let nv = hams_histogram_native_vec_new(h, c"rt".as_ptr(), c"R.".as_ptr(), 1.1, 0, op.as_ptr());
        assert_eq!(hams_histogram_observe(hams_vec_with(nv, get.as_ptr()), -0.3), HAMS_OK);
        assert!(hams_histogram_native_vec_new(h, c"rt2".as_ptr(), c"R.".as_ptr(), 1.0, 0, op.as_ptr()).is_null());
        let le = [c"le".as_ptr(), null()];
        assert!(hams_histogram_vec_new(h, c"h2".as_ptr(), c"L.".as_ptr(), null(), 0, le.as_ptr()).is_null());
        assert!(hams_counter_vec_new(h, c"req_total".as_ptr(), c"R.".as_ptr(), names.as_ptr()).is_null());
        assert!(hams_counter_vec_new(h, c"x_total".as_ptr(), c"R.".as_ptr(), null()).is_null());
        assert_eq!(hams_vec_free(v), HAMS_OK);
        assert_eq!(hams_vec_free(null_mut()), hams_result::HAMS_ERR_NULL as c_int);
        let mut out = [0.0; 3];
        assert_eq!(hams_buckets_exponential(1.0, 2.0, 3, out.as_mut_ptr()), HAMS_OK);
        assert_eq!(out, [1.0, 2.0, 4.0]);
        assert_eq!(hams_buckets_linear(1.0, 0.0, 3, out.as_mut_ptr()), hams_result::HAMS_ERR_INVALID as c_int);
        assert_eq!(hams_buckets_linear(1.0, 1.0, 3, null_mut()), hams_result::HAMS_ERR_NULL as c_int);
        hams_free(h);
    }
}
