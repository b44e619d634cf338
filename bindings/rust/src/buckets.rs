//! Histogram bucket bounds: Prometheus' defaults, and libhams' linear and
//! exponential helpers.

use crate::error::{check, Result};

/// Prometheus' default bucket bounds (client_golang's DefBuckets).
pub const DEFAULT_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// libhams' limit on `count`: a larger one is refused before anything is written.
const MAX_COUNT: usize = 1024;

type Make = unsafe extern "C" fn(f64, f64, libc::size_t, *mut f64) -> libc::c_int;

fn make(f: Make, a: f64, b: f64, count: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; count.min(MAX_COUNT)];
    // SAFETY: `out` holds `count` values, or libhams refuses `count` (too
    // large) and leaves `out` untouched.
    check(unsafe { f(a, b, count, out.as_mut_ptr()) })?;
    Ok(out)
}

/// `count` (1 to 1024) bounds: `start`, `start + width`, ... (`width` > 0).
///
/// ```
/// assert_eq!(hams::buckets_linear(1.0, 0.5, 3)?, [1.0, 1.5, 2.0]);
/// # Ok::<(), hams::Error>(())
/// ```
pub fn buckets_linear(start: f64, width: f64, count: usize) -> Result<Vec<f64>> {
    make(hams_sys::hams_buckets_linear, start, width, count)
}

/// `count` (1 to 1024) bounds: `start`, `start * factor`, ... (`start` > 0,
/// `factor` > 1).
pub fn buckets_exponential(start: f64, factor: f64, count: usize) -> Result<Vec<f64>> {
    make(hams_sys::hams_buckets_exponential, start, factor, count)
}
