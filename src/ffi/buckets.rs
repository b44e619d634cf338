//! Bucket bounds for hams_histogram_new(), written into the caller's array.

use super::guard;
use super::null;
use crate::error::Result;
use std::ffi::{c_double, c_int};

unsafe fn write(out: *mut c_double, make: impl FnOnce() -> Result<Vec<f64>>) -> Result<()> {
    if out.is_null() {
        return Err(null("out"));
    }
    let bounds = make()?;
    std::ptr::copy_nonoverlapping(bounds.as_ptr(), out, bounds.len());
    Ok(())
}

/// Writes `count` (1 to 1024) bounds into `out`: `start`, `start + width`,
/// ... (`width` > 0, every bound finite), as client_golang's LinearBuckets.
/// `out` is untouched on error.
#[no_mangle]
pub unsafe extern "C" fn hams_buckets_linear(
    start: c_double,
    width: c_double,
    count: usize,
    out: *mut c_double,
) -> c_int {
    guard(|| write(out, || crate::metrics::buckets_linear(start, width, count)))
}

/// Writes `count` (1 to 1024) bounds into `out`: `start`, `start * factor`,
/// ... (`start` > 0, `factor` > 1, every bound finite), as client_golang's
/// ExponentialBuckets. `out` is untouched on error.
#[no_mangle]
pub unsafe extern "C" fn hams_buckets_exponential(
    start: c_double,
    factor: c_double,
    count: usize,
    out: *mut c_double,
) -> c_int {
    guard(|| write(out, || crate::metrics::buckets_exponential(start, factor, count)))
}
