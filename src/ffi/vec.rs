//! `hams_vec_t`: metric families whose series are made on first use of
//! their label values.

use super::args::{label_names_arg, label_values_arg, MAX_LABELS};
use super::handles::{adopt, free, free_member_handle, hams_metric_t, hams_t, hams_vec_t, handle, member_handle};
use super::{buckets_arg, guard, str_arg};
use crate::error::Result;
use crate::metrics::MetricVec;
use std::ffi::{c_char, c_double, c_int};

unsafe fn create(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    make: impl FnOnce(&crate::Hams, &str, &str, &[&str]) -> Result<MetricVec>,
) -> Result<*mut hams_vec_t> {
    let owner = handle(h)?;
    let name = str_arg(name, "name")?;
    let help = str_arg(help, "help")?;
    let names = label_names_arg(label_names)?;
    let vec = make(&owner.core, name, help, &names)?;
    adopt(h, vec)
}

/// Creates a family of counters with the NULL-terminated `label_names`,
/// e.g. {"path", "code", NULL}; hams_vec_with() gives its series. `name`
/// must not be registered on `h` yet. NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_counter_vec_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
) -> *mut hams_vec_t {
    guard(|| create(h, name, help, label_names, |core, n, hl, l| core.counter_vec(n, hl, l)))
}

/// Like hams_counter_vec_new(), for gauges.
#[no_mangle]
pub unsafe extern "C" fn hams_gauge_vec_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
) -> *mut hams_vec_t {
    guard(|| create(h, name, help, label_names, |core, n, hl, l| core.gauge_vec(n, hl, l)))
}

/// Like hams_counter_vec_new(), for histograms whose series all have these
/// `n` bucket bounds (see hams_histogram_new(); NULL and 0 for the defaults).
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_vec_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    buckets: *const c_double,
    n: usize,
    label_names: *const *const c_char,
) -> *mut hams_vec_t {
    guard(|| {
        let b = buckets_arg(buckets, n)?;
        create(h, name, help, label_names, |core, nm, hl, l| core.histogram_vec(nm, hl, b, l))
    })
}

/// Like hams_counter_vec_new(), for native histograms (see
/// hams_histogram_native_new()).
#[no_mangle]
pub unsafe extern "C" fn hams_histogram_native_vec_new(
    h: *mut hams_t,
    name: *const c_char,
    help: *const c_char,
    bucket_factor: c_double,
    max_buckets: u32,
    label_names: *const *const c_char,
) -> *mut hams_vec_t {
    guard(|| {
        create(h, name, help, label_names, |core, n, hl, l| {
            core.histogram_native_vec(n, hl, bucket_factor, max_buckets, l)
        })
    })
}

/// The series of `v` for the NULL-terminated `label_values`, one per label
/// name, made on first use. Every call with the same values gives the same
/// pointer, owned by `v` (hams_metric_free() refuses it). Once made, finding
/// it allocates nothing and takes only a shared lock. NULL on error.
#[no_mangle]
pub unsafe extern "C" fn hams_vec_with(v: *mut hams_vec_t, label_values: *const *const c_char) -> *mut hams_metric_t {
    guard(|| {
        let v = handle(v)?;
        let mut buf = [""; MAX_LABELS];
        let values = label_values_arg(label_values, v.vec.label_names().count(), &mut buf)?;
        member_handle(v, values)
    })
}

/// Removes the series for `label_values` from the exposition and frees its
/// hams_metric_t (invalid afterwards). HAMS_ERR_INVALID if there is none.
#[no_mangle]
pub unsafe extern "C" fn hams_vec_remove(v: *mut hams_vec_t, label_values: *const *const c_char) -> c_int {
    guard(|| {
        let v = handle(v)?;
        let mut buf = [""; MAX_LABELS];
        let values = label_values_arg(label_values, v.vec.label_names().count(), &mut buf)?;
        let series = v.vec.remove_series(values)?;
        free_member_handle(&series.handle);
        Ok(())
    })
}

/// Unregisters the family and frees `v` with its series' handles.
#[no_mangle]
pub unsafe extern "C" fn hams_vec_free(v: *mut hams_vec_t) -> c_int {
    guard(|| free(v))
}
