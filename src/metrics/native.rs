//! A native histogram: sparse exponential buckets for positive and negative
//! observations, a zero bucket, count and sum; observed from any thread, read as
//! the spans and deltas of the protobuf exposition.

use super::native_index::{bucket_index, pick_schema, MIN_SCHEMA, ZERO_THRESHOLD};
use crate::sync::{read, write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

pub(crate) struct NativeHistogram {
    /// 0: no limit.
    max_buckets: u32,
    /// Observers share the read lock and update atomics; adding a bucket,
    /// widening the schema and taking a snapshot hold the write lock, so a
    /// snapshot sees no observation half done.
    state: RwLock<State>,
}

struct State {
    schema: i32,
    count: AtomicU64,
    /// An f64's bits, added to with compare-and-swap.
    sum: AtomicU64,
    zero: AtomicU64,
    /// Sorted by index, no duplicates, no empty bucket.
    positive: Vec<(i32, AtomicU64)>,
    negative: Vec<(i32, AtomicU64)>,
}

/// A run of `length` consecutive buckets, `offset` buckets after the end of the
/// previous run (for the first run: its first index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub offset: i32,
    pub length: u32,
}

/// One sign's buckets as the protobuf carries them: each count as the
/// difference to the count of the bucket before it (the first to zero).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Buckets {
    pub spans: Vec<Span>,
    pub deltas: Vec<i64>,
}

/// A consistent copy of a native histogram for exposition; reused between
/// scrapes so that taking one allocates nothing once it has grown.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct NativeSnapshot {
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: u64,
    pub count: u64,
    pub sum: f64,
    pub positive: Buckets,
    pub negative: Buckets,
}

enum Sign {
    Positive,
    Negative,
    Zero,
}

fn sign(v: f64) -> Sign {
    if v > ZERO_THRESHOLD {
        Sign::Positive
    } else if v < -ZERO_THRESHOLD {
        Sign::Negative
    } else {
        Sign::Zero
    }
}

impl NativeHistogram {
    /// `None` when `bucket_factor` is not above 1 (or NaN).
    pub(crate) fn new(bucket_factor: f64, max_buckets: u32) -> Option<NativeHistogram> {
        let schema = pick_schema(bucket_factor)?;
        let state = State {
            schema,
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
            zero: AtomicU64::new(0),
            positive: Vec::new(),
            negative: Vec::new(),
        };
        Some(NativeHistogram { max_buckets, state: RwLock::new(state) })
    }

    pub(crate) fn observe(&self, v: f64) {
        {
            let state = read(&self.state);
            if state.try_observe(v) {
                return;
            }
        }
        // A bucket that does not exist yet: add it under the write lock (another
        // thread may have added it, or widened the schema, in between).
        let mut state = write(&self.state);
        if state.try_observe(v) {
            return;
        }
        let index = bucket_index(v, state.schema);
        let buckets = if v > 0.0 { &mut state.positive } else { &mut state.negative };
        let at = buckets.partition_point(|&(i, _)| i < index);
        buckets.insert(at, (index, AtomicU64::new(1)));
        state.add_count_and_sum(v);
        if self.max_buckets > 0 {
            while state.positive.len() + state.negative.len() > self.max_buckets as usize && state.schema > MIN_SCHEMA {
                state.widen();
            }
        }
    }

    /// The number of observations (all of them, NaN included).
    pub(crate) fn count(&self) -> u64 {
        read(&self.state).count.load(Ordering::Relaxed)
    }

    pub(crate) fn sum(&self) -> f64 {
        f64::from_bits(read(&self.state).sum.load(Ordering::Relaxed))
    }

    #[cfg(test)]
    pub(crate) fn schema(&self) -> i32 {
        read(&self.state).schema
    }

    /// Fills `out` (its vectors cleared and reused) with the current state.
    pub(crate) fn snapshot_into(&self, out: &mut NativeSnapshot) {
        let state = write(&self.state);
        out.schema = state.schema;
        out.zero_threshold = ZERO_THRESHOLD;
        out.zero_count = state.zero.load(Ordering::Relaxed);
        out.count = state.count.load(Ordering::Relaxed);
        out.sum = f64::from_bits(state.sum.load(Ordering::Relaxed));
        spans_and_deltas(&state.positive, &mut out.positive);
        spans_and_deltas(&state.negative, &mut out.negative);
    }
}

impl State {
    /// Counts `v` if it needs no new bucket; false (and nothing counted) if it does.
    fn try_observe(&self, v: f64) -> bool {
        if !v.is_nan() {
            let buckets = match sign(v) {
                Sign::Positive => &self.positive,
                Sign::Negative => &self.negative,
                Sign::Zero => {
                    self.zero.fetch_add(1, Ordering::Relaxed);
                    self.add_count_and_sum(v);
                    return true;
                }
            };
            let index = bucket_index(v, self.schema);
            match buckets.binary_search_by_key(&index, |&(i, _)| i) {
                Ok(at) => buckets[at].1.fetch_add(1, Ordering::Relaxed),
                Err(_) => return false,
            };
        }
        // NaN counts and poisons the sum but has no bucket, as in client_golang.
        self.add_count_and_sum(v);
        true
    }

    fn add_count_and_sum(&self, v: f64) {
        let mut cur = self.sum.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match self.sum.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// One schema coarser: each bucket merges with its neighbour. Bucket i of
    /// the old schema lies inside bucket ceil(i/2) of the new one.
    fn widen(&mut self) {
        self.schema -= 1;
        merge_pairs(&mut self.positive);
        merge_pairs(&mut self.negative);
    }
}

fn merge_pairs(buckets: &mut Vec<(i32, AtomicU64)>) {
    let mut kept = 0;
    for at in 0..buckets.len() {
        let index = (buckets[at].0 + 1).div_euclid(2);
        let count = *buckets[at].1.get_mut();
        if kept > 0 && buckets[kept - 1].0 == index {
            *buckets[kept - 1].1.get_mut() += count;
        } else {
            buckets[kept].0 = index;
            *buckets[kept].1.get_mut() = count;
            kept += 1;
        }
    }
    buckets.truncate(kept);
}

/// Spans and deltas as client_golang writes them: a gap of one or two empty
/// buckets is cheaper as zero deltas than as a new span.
fn spans_and_deltas(buckets: &[(i32, AtomicU64)], out: &mut Buckets) {
    out.spans.clear();
    out.deltas.clear();
    let mut previous_count = 0i64;
    let mut next_index = 0i32;
    for (n, (index, count)) in buckets.iter().enumerate() {
        let count = count.load(Ordering::Relaxed) as i64;
        let gap = index - next_index;
        match out.spans.last_mut() {
            Some(span) if n > 0 && gap <= 2 => {
                span.length += gap as u32 + 1;
                out.deltas.extend((0..gap).map(|_| -std::mem::take(&mut previous_count)));
            }
            _ => out.spans.push(Span { offset: gap, length: 1 }),
        }
        out.deltas.push(count - previous_count);
        previous_count = count;
        next_index = index + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::native_index::upper_bound;
    use std::sync::Arc;

    fn snapshot(h: &NativeHistogram) -> NativeSnapshot {
        let mut s = NativeSnapshot::default();
        h.snapshot_into(&mut s);
        s
    }

    /// Each bucket's (index, count), decoded back from spans and deltas.
    fn decode(b: &Buckets) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        let (mut index, mut count, mut deltas) = (0, 0, b.deltas.iter());
        for span in &b.spans {
            index += span.offset;
            for _ in 0..span.length {
                count += deltas.next().copied().unwrap_or_default();
                out.push((index, count));
                index += 1;
            }
        }
        assert!(deltas.next().is_none(), "more deltas than spans cover");
        out
    }

    #[test]
    fn factor_must_be_above_one() {
        assert!(NativeHistogram::new(1.0, 0).is_none());
        assert!(NativeHistogram::new(f64::NAN, 0).is_none());
        assert_eq!(NativeHistogram::new(1.1, 0).map(|h| h.schema()), Some(3));
    }

    #[test]
    fn positive_negative_and_zero_observations() {
        let h = NativeHistogram::new(2.0, 0).unwrap();
        for v in [1.0, 1.5, 2.0, 3.0, -1.0, -0.3, 0.0, -0.0, 1e-40, -1e-40] {
            h.observe(v);
        }
        let s = snapshot(&h);
        assert_eq!(s.schema, 0);
        assert_eq!(s.count, 10);
        assert_eq!(s.zero_count, 4);
        assert_eq!(s.zero_threshold, ZERO_THRESHOLD);
        assert!((s.sum - (1.0 + 1.5 + 2.0 + 3.0 - 1.0 - 0.3)).abs() < 1e-12);
        // 1 -> bucket 0; 1.5 and 2 -> 1; 3 -> 2.
        assert_eq!(decode(&s.positive), [(0, 1), (1, 2), (2, 1)]);
        assert_eq!(s.positive.spans, [Span { offset: 0, length: 3 }]);
        assert_eq!(s.positive.deltas, [1, 1, -1]);
        // -0.3 -> bucket -1, -1 -> bucket 0.
        assert_eq!(decode(&s.negative), [(-1, 1), (0, 1)]);
        assert_eq!(s.negative.spans, [Span { offset: -1, length: 2 }]);
    }

    #[test]
    fn small_gaps_are_filled_large_ones_start_a_span() {
        let h = NativeHistogram::new(2.0, 0).unwrap();
        // Buckets 0, 3 (gap of 2), 7 (gap of 3) at schema 0.
        for v in [1.0, 8.0, 8.0, 128.0] {
            h.observe(v);
        }
        let s = snapshot(&h);
        assert_eq!(s.positive.spans, [Span { offset: 0, length: 4 }, Span { offset: 3, length: 1 }]);
        assert_eq!(s.positive.deltas, [1, -1, 0, 2, -1]);
        assert_eq!(decode(&s.positive), [(0, 1), (1, 0), (2, 0), (3, 2), (7, 1)]);
    }

    #[test]
    fn nan_counts_without_a_bucket_and_infinities_get_one() {
        let h = NativeHistogram::new(2.0, 0).unwrap();
        h.observe(f64::NAN);
        h.observe(f64::INFINITY);
        h.observe(f64::NEG_INFINITY);
        let s = snapshot(&h);
        assert_eq!(s.count, 3);
        assert!(s.sum.is_nan());
        assert_eq!(decode(&s.positive), [(1025, 1)]);
        assert_eq!(decode(&s.negative), [(1025, 1)]);
    }

    #[test]
    fn widening_merges_pairs_until_within_the_limit() {
        // Schema 3, at most 4 buckets.
        let h = NativeHistogram::new(1.1, 4).unwrap();
        // Buckets 0, 1, 2, 3 at schema 3 (1, and just above 2^(0/8), 2^(1/8), 2^(2/8)).
        let values = [1.0, upper_bound(1, 3), upper_bound(2, 3), upper_bound(3, 3)];
        for v in values {
            h.observe(v);
        }
        assert_eq!(h.schema(), 3);
        assert_eq!(decode(&snapshot(&h).positive), [(0, 1), (1, 1), (2, 1), (3, 1)]);
        // A fifth bucket (index 4) exceeds the limit: schema 2 merges
        // {0} -> 0, {1, 2} -> 1, {3, 4} -> 2.
        h.observe(upper_bound(4, 3));
        assert_eq!(h.schema(), 2);
        let s = snapshot(&h);
        assert_eq!(decode(&s.positive), [(0, 1), (1, 2), (2, 2)]);
        assert_eq!(s.count, 5);
        // A value far away needs another bucket at every schema: widening goes
        // on until the buckets fit (schema 0: 0 -> 0, 1 and 2 -> 1) or the
        // coarsest schema is reached.
        h.observe(-1000.0);
        h.observe(1e6);
        let s = snapshot(&h);
        assert!(decode(&s.positive).len() + decode(&s.negative).len() <= 4, "{s:?}");
        assert_eq!(s.count, 7);
        let total: i64 = decode(&s.positive).iter().chain(&decode(&s.negative)).map(|&(_, c)| c).sum();
        assert_eq!(total, 7);
        // Every observation still lies in its bucket at the final schema.
        let expected: Vec<(i32, i64)> = {
            let mut v: Vec<i32> =
                values.iter().chain(&[upper_bound(4, 3), 1e6]).map(|&x| bucket_index(x, s.schema)).collect();
            v.sort();
            let mut out: Vec<(i32, i64)> = Vec::new();
            for i in v {
                match out.last_mut() {
                    Some((j, c)) if *j == i => *c += 1,
                    _ => out.push((i, 1)),
                }
            }
            out
        };
        assert_eq!(decode(&s.positive), expected);
        assert_eq!(decode(&s.negative), [(bucket_index(-1000.0, s.schema), 1)]);
    }

    #[test]
    fn merging_negative_indexes_rounds_up() {
        let mut b: Vec<(i32, AtomicU64)> =
            [-4, -3, -2, -1, 0, 1, 2, 5].iter().map(|&i| (i, AtomicU64::new(1))).collect();
        merge_pairs(&mut b);
        let got: Vec<(i32, u64)> = b.iter().map(|(i, c)| (*i, c.load(Ordering::Relaxed))).collect();
        // ceil(i/2): -4 -> -2, -3 and -2 -> -1, -1 and 0 -> 0, 1 and 2 -> 1, 5 -> 3.
        assert_eq!(got, [(-2, 1), (-1, 2), (0, 2), (1, 2), (3, 1)]);
    }

    #[test]
    fn widening_stops_at_the_coarsest_schema() {
        let h = NativeHistogram::new(65536.0, 1).unwrap();
        h.observe(1.0);
        h.observe(1e10);
        h.observe(1e-10);
        assert_eq!(h.schema(), MIN_SCHEMA);
        assert_eq!(h.count(), 3);
        // Indexes -2, 0 and 3 at schema -4: the gaps are filled with empty buckets.
        assert_eq!(decode(&snapshot(&h).positive), [(-2, 1), (-1, 0), (0, 1), (1, 0), (2, 0), (3, 1)]);
    }

    #[test]
    fn snapshot_reuses_its_vectors() {
        let h = NativeHistogram::new(2.0, 0).unwrap();
        for v in [1.0, 100.0, -5.0] {
            h.observe(v);
        }
        let mut s = NativeSnapshot::default();
        h.snapshot_into(&mut s);
        let first = s.clone();
        let pointer = s.positive.deltas.as_ptr();
        h.snapshot_into(&mut s);
        assert_eq!(s, first);
        assert_eq!(s.positive.deltas.as_ptr(), pointer);
    }

    #[test]
    fn concurrent_observations_are_all_counted() {
        let h = Arc::new(NativeHistogram::new(1.01, 20).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let h = Arc::clone(&h);
                std::thread::spawn(move || {
                    for i in 0..5000 {
                        let v = (i % 97) as f64 * if t % 2 == 0 { 1.0 } else { -0.5 };
                        h.observe(v);
                    }
                })
            })
            .collect();
        let mut s = NativeSnapshot::default();
        for _ in 0..50 {
            // Mid-way snapshots are consistent: buckets add up to the count.
            h.snapshot_into(&mut s);
            let buckets: i64 = decode(&s.positive).iter().chain(&decode(&s.negative)).map(|&(_, c)| c).sum();
            assert_eq!(buckets as u64 + s.zero_count, s.count);
        }
        for t in threads {
            t.join().unwrap();
        }
        h.snapshot_into(&mut s);
        assert_eq!(s.count, 20000);
        assert_eq!(s.zero_count, 4 * (5000 / 97 + 1));
        let buckets = decode(&s.positive).len() + decode(&s.negative).len();
        assert!(buckets <= 20, "{buckets} buckets");
    }
}
