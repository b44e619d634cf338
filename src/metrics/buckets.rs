//! Bucket bounds for classic histograms: Prometheus' defaults, and linear
//! and exponential series as client_golang's LinearBuckets and
//! ExponentialBuckets make them.

use crate::error::{Error, Result};

/// client_golang's DefBuckets, for response times in seconds.
pub const DEFAULT_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// `count` bounds from `start`, each `width` above the one before. `width`
/// must be above 0, `count` at least 1, and every bound finite.
pub fn buckets_linear(start: f64, width: f64, count: usize) -> Result<Vec<f64>> {
    check(count, start.is_finite() && width.is_finite() && width > 0.0, "width must be finite and greater than 0")?;
    finite((0..count).map(|i| start + width * i as f64).collect())
}

/// `count` bounds from `start`, each `factor` times the one before. `start`
/// must be above 0, `factor` above 1, `count` at least 1, and every bound
/// finite.
pub fn buckets_exponential(start: f64, factor: f64, count: usize) -> Result<Vec<f64>> {
    let ok = start.is_finite() && start > 0.0 && factor.is_finite() && factor > 1.0;
    check(count, ok, "start must be greater than 0 and factor greater than 1")?;
    let mut v = Vec::with_capacity(count);
    let mut b = start;
    for _ in 0..count {
        v.push(b);
        b *= factor;
    }
    finite(v)
}

fn check(count: usize, ok: bool, why: &str) -> Result<()> {
    if count == 0 || count > 1024 {
        return Err(Error::invalid(format!("count is {count}; a histogram needs 1 to 1024 buckets")));
    }
    if !ok {
        return Err(Error::invalid(why));
    }
    Ok(())
}

/// Bounds that overflow (or stop increasing at large magnitudes) are refused.
fn finite(v: Vec<f64>) -> Result<Vec<f64>> {
    if v.iter().any(|b| !b.is_finite()) || v.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid("the buckets are not finite and strictly increasing (too many, or too large)"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_client_golang_makes_them() {
        assert_eq!(buckets_linear(1.0, 2.0, 4).unwrap(), [1.0, 3.0, 5.0, 7.0]);
        assert_eq!(buckets_linear(-1.0, 0.5, 3).unwrap(), [-1.0, -0.5, 0.0]);
        assert_eq!(buckets_exponential(0.5, 2.0, 4).unwrap(), [0.5, 1.0, 2.0, 4.0]);
        assert_eq!(buckets_exponential(1.0, 10.0, 1).unwrap(), [1.0]);
    }

    #[test]
    fn bad_arguments_are_refused() {
        for (s, w, n) in [(0.0, 1.0, 0), (0.0, 0.0, 3), (0.0, -1.0, 3), (f64::NAN, 1.0, 2), (0.0, f64::INFINITY, 2)] {
            assert!(buckets_linear(s, w, n).is_err(), "{s} {w} {n}");
        }
        assert!(buckets_linear(f64::MAX, f64::MAX, 3).is_err(), "overflows");
        assert!(buckets_linear(0.0, 1.0, 1025).is_err());
        for (s, f, n) in
            [(1.0, 2.0, 0), (0.0, 2.0, 3), (-1.0, 2.0, 3), (1.0, 1.0, 3), (1.0, 0.5, 3), (1.0, f64::NAN, 2)]
        {
            assert!(buckets_exponential(s, f, n).is_err(), "{s} {f} {n}");
        }
        assert!(buckets_exponential(1e300, 1e10, 3).is_err(), "overflows");
    }
}
