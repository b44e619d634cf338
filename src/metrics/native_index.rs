//! Where an observation falls in a native (exponential) histogram: the schema
//! a bucket factor asks for, and the bucket index of a value for a schema.
//!
//! Bucket `i` of schema `s` holds `(b^(i-1), b^i]` with `b = 2^(2^-s)`, so 1 is
//! a boundary at every schema and each power of two is split into `2^s` buckets.
//! The numbers follow client_golang bit for bit, since Prometheus computes the
//! same boundaries when it reads the buckets back.

use std::sync::OnceLock;

/// The finest schema Prometheus accepts (256 buckets per power of two).
pub(crate) const MAX_SCHEMA: i32 = 8;
/// The coarsest schema (one bucket per factor of 2^16).
pub(crate) const MIN_SCHEMA: i32 = -4;

/// client_golang's default zero threshold, 2^-128: a boundary at every schema,
/// so widening the schema never moves an observation into or out of it.
pub(crate) const ZERO_THRESHOLD: f64 = 2.938735877055719e-39;

/// The largest schema whose bucket growth `2^(2^-schema)` is at most
/// `bucket_factor`, clamped to [MIN_SCHEMA, MAX_SCHEMA]; `None` for a factor
/// that is not above 1 (client_golang then has no native buckets at all).
pub(crate) fn pick_schema(bucket_factor: f64) -> Option<i32> {
    if bucket_factor.is_nan() || bucket_factor <= 1.0 {
        return None;
    }
    let floor = go_log2(go_log2(bucket_factor)).floor();
    Some(if floor <= -f64::from(MAX_SCHEMA) {
        MAX_SCHEMA
    } else if floor >= -f64::from(MIN_SCHEMA) {
        MIN_SCHEMA
    } else {
        -(floor as i32)
    })
}

/// log2 computed the way Go's math.Log2 does, exact for powers of two, so that a
/// factor right on a schema's boundary picks the same schema as client_golang.
fn go_log2(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return x.log2();
    }
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return f64::from(exp - 1);
    }
    frac.ln() * std::f64::consts::LOG2_E + f64::from(exp)
}

/// `x = frac * 2^exp` with `frac` in [0.5, 1), for a finite non-zero `x`
/// (sign dropped); (0, 0) for zero.
pub(crate) fn frexp(x: f64) -> (f64, i32) {
    let x = x.abs();
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, bias) = if x < f64::MIN_POSITIVE { (x * 2f64.powi(54), -54) } else { (x, 0) };
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, biased - 1022 + bias)
}

/// The bucket index of a non-zero, non-NaN `v` (its sign ignored) at `schema`.
/// ±Inf lands one bucket above the one holding f64::MAX, as in client_golang.
pub(crate) fn bucket_index(v: f64, schema: i32) -> i32 {
    let inf = v.is_infinite();
    let v = if inf { f64::MAX } else { v.abs() };
    let (frac, exp) = frexp(v);
    let index = if schema > 0 {
        let bounds = bounds(schema);
        // The first boundary at or above frac: bucket upper bounds are inclusive.
        let within = bounds.partition_point(|&b| b < frac) as i32;
        within + (exp - 1) * bounds.len() as i32
    } else {
        // Exactly a power of two is the upper bound of the bucket below.
        let index = if frac == 0.5 { exp - 1 } else { exp };
        // Rounding up (i / 2^-schema), written as a shift so negatives floor.
        (index + (1 << -schema) - 1) >> -schema
    };
    index + i32::from(inf)
}

/// The fractions 2^(j/2^schema - 1), j in 0..2^schema, of one power of two
/// (schemas 1 to 8). They are built the way client_golang builds its table: odd
/// ones by multiplying the previous one by the schema's factor, even ones taken
/// from the coarser schema. That is not always the closest f64 to the exact
/// value, but it is the boundary Prometheus uses.
fn bounds(schema: i32) -> &'static [f64] {
    static TABLE: OnceLock<Vec<Vec<f64>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        // 2^(2^-s) as Go's math.Exp2 computes it (for s = 1 one ulp below the
        // closest f64), written out so no platform's libm can change them.
        #[allow(clippy::approx_constant)] // deliberately not SQRT_2
        const FACTORS: [f64; 8] = [
            1.414213562373095,
            1.189207115002721,
            1.0905077326652577,
            1.0442737824274138,
            1.0218971486541166,
            1.0108892860517005,
            1.0054299011128027,
            1.0027112750502025,
        ];
        let mut table: Vec<Vec<f64>> = vec![vec![0.5]];
        for factor in FACTORS {
            let coarser = &table[table.len() - 1];
            let mut row = Vec::with_capacity(coarser.len() * 2);
            row.push(0.5);
            for j in 1..coarser.len() * 2 {
                let b = if j % 2 == 0 { coarser[j / 2] } else { row[j - 1] * factor };
                row.push(b);
            }
            table.push(row);
        }
        table
    });
    let s = schema.clamp(1, MAX_SCHEMA) as usize;
    &table[s]
}

/// The upper bound of bucket `index` at `schema` (for tests and debugging).
#[cfg(test)]
pub(crate) fn upper_bound(index: i32, schema: i32) -> f64 {
    if schema <= 0 {
        return 2f64.powi(index << -schema);
    }
    let n = 1i32 << schema;
    let frac = bounds(schema)[index.rem_euclid(n) as usize];
    frac * 2f64.powi(index.div_euclid(n) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_from_bucket_factor_like_client_golang() {
        assert_eq!(pick_schema(1.0), None);
        assert_eq!(pick_schema(0.5), None);
        assert_eq!(pick_schema(f64::NAN), None);
        // Exact powers: 2^(2^-s) is the factor of schema s itself.
        assert_eq!(pick_schema(2.0), Some(0));
        assert_eq!(pick_schema(4.0), Some(-1));
        assert_eq!(pick_schema(16.0), Some(-2));
        assert_eq!(pick_schema(256.0), Some(-3));
        assert_eq!(pick_schema(65536.0), Some(-4));
        assert_eq!(pick_schema(std::f64::consts::SQRT_2), Some(1));
        // Between two schemas the coarser growth that is still within the factor wins.
        assert_eq!(pick_schema(1.1), Some(3)); // 2^(1/8) = 1.0905 <= 1.1 < 2^(1/4)
        assert_eq!(pick_schema(1.5), Some(1));
        assert_eq!(pick_schema(3.0), Some(0));
        assert_eq!(pick_schema(1.0905077326652577), Some(3));
        // Clamped at both ends.
        assert_eq!(pick_schema(1.00001), Some(8));
        assert_eq!(pick_schema(1.00271), Some(8));
        assert_eq!(pick_schema(1e300), Some(-4));
        assert_eq!(pick_schema(f64::INFINITY), Some(-4));
    }

    #[test]
    fn frexp_matches_the_definition() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(3.0), (0.75, 2));
        assert_eq!(frexp(0.3), (0.6, -1));
        assert_eq!(frexp(-8.0), (0.5, 4));
        assert_eq!(frexp(f64::MAX), (1.0 - f64::EPSILON / 2.0, 1024));
        // Subnormals: the smallest one is 2^-1074.
        assert_eq!(frexp(f64::from_bits(1)), (0.5, -1073));
        assert_eq!(frexp(f64::MIN_POSITIVE), (0.5, -1021));
    }

    #[test]
    fn table_is_client_golangs() {
        // Values printed in client_golang's table; these are where the closest
        // f64 differs, so they check the construction, not just exp2.
        assert_eq!(bounds(1), &[0.5, 0.7071067811865475]);
        assert_eq!(bounds(3)[1], 0.5452538663326288);
        assert_eq!(bounds(3)[7], 0.9170040432046711);
        assert_eq!(bounds(8)[255], 0.9972960560854698);
        assert_eq!(bounds(8)[242], 0.9628029718180622);
        for s in 1..=MAX_SCHEMA {
            let b = bounds(s);
            assert_eq!(b.len(), 1 << s);
            for (j, &v) in b.iter().enumerate() {
                let exact = (j as f64 / b.len() as f64).exp2() / 2.0;
                assert!((v - exact).abs() <= 4.0 * f64::EPSILON, "schema {s} bound {j}: {v} vs {exact}");
            }
        }
    }

    #[test]
    fn indexes_at_schema_0() {
        // Bucket i holds (2^(i-1), 2^i].
        for (v, i) in [(1.0, 0), (1.5, 1), (2.0, 1), (3.0, 2), (4.0, 2), (4.5, 3), (0.5, -1), (0.3, -1), (0.25, -2)] {
            assert_eq!(bucket_index(v, 0), i, "value {v}");
            assert_eq!(bucket_index(-v, 0), i, "value {}", -v);
        }
    }

    #[test]
    fn indexes_at_schema_3() {
        // Eight buckets per power of two: bucket i holds (2^((i-1)/8), 2^(i/8)].
        // 1.1 lies between 2^(1/8) = 1.0905 and 2^(2/8) = 1.1892; 3 = 2^1.585, and
        // 1.585 * 8 = 12.68; 0.75 = 2^-0.415, and -0.415 * 8 = -3.32.
        for (v, i) in [(1.0, 0), (1.05, 1), (1.1, 2), (2.0, 8), (3.0, 13), (0.75, -3), (0.5, -8), (1024.0, 80)] {
            assert_eq!(bucket_index(v, 3), i, "value {v}");
        }
        // A boundary belongs to the bucket below it; the next f64 to the one above.
        let b = upper_bound(5, 3);
        assert_eq!(bucket_index(b, 3), 5);
        assert_eq!(bucket_index(f64::from_bits(b.to_bits() + 1), 3), 6);
    }

    #[test]
    fn indexes_at_schema_minus_1() {
        // Bucket i holds (4^(i-1), 4^i].
        for (v, i) in [(1.0, 0), (2.0, 1), (4.0, 1), (5.0, 2), (16.0, 2), (17.0, 3), (0.5, 0), (0.25, -1), (0.2, -1)] {
            assert_eq!(bucket_index(v, -1), i, "value {v}");
        }
    }

    #[test]
    fn extremes() {
        // f64::MAX is in the last regular bucket; infinities one above it.
        assert_eq!(bucket_index(f64::MAX, 0), 1024);
        assert_eq!(bucket_index(f64::INFINITY, 0), 1025);
        assert_eq!(bucket_index(f64::NEG_INFINITY, 0), 1025);
        assert_eq!(bucket_index(f64::MAX, 3), 8192);
        assert_eq!(bucket_index(f64::MAX, -4), 64);
        // The zero threshold is a boundary everywhere: 2^-128 ends bucket -128 at schema 0.
        assert_eq!(bucket_index(ZERO_THRESHOLD, 0), -128);
        assert_eq!(ZERO_THRESHOLD, 2f64.powi(-128));
        assert_eq!(bucket_index(f64::from_bits(1), 0), -1074);
    }
}
