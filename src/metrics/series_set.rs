//! A family's series: found in O(1) by a hash of their label values, and
//! kept in registration order for the exposition.

use super::series::Series;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The keys are already SipHash outputs (keyed per family, so that label
/// values from the network cannot aim at one chain): use them as they are.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub(crate) struct SeriesSet {
    keys: RandomState,
    /// Series by the hash of their label values; a chain holds the rare
    /// series whose hashes collide, told apart by their values.
    by_hash: HashMap<u64, Vec<Arc<Series>>, BuildHasherDefault<PassThrough>>,
    /// Registration order; a removed series leaves a hole until compaction.
    slots: Vec<Option<Arc<Series>>>,
    live: usize,
}

impl Default for SeriesSet {
    fn default() -> Self {
        SeriesSet { keys: RandomState::new(), by_hash: HashMap::default(), slots: Vec::new(), live: 0 }
    }
}

impl SeriesSet {
    fn hash<'a>(&self, values: impl Iterator<Item = &'a str>) -> u64 {
        let mut h = self.keys.build_hasher();
        for v in values {
            h.write(v.as_bytes());
            // 0xff never occurs in UTF-8: ("a", "b") and ("ab", "") differ.
            h.write_u8(0xff);
        }
        h.finish()
    }

    /// The series with these label values; allocates nothing.
    pub(crate) fn get(&self, values: &[&str]) -> Option<&Arc<Series>> {
        let chain = self.by_hash.get(&self.hash(values.iter().copied()))?;
        chain.iter().find(|s| s.label_values().eq(values.iter().copied()))
    }

    /// Whether this very series is in the set.
    pub(crate) fn contains(&self, series: &Arc<Series>) -> bool {
        let chain = self.by_hash.get(&self.hash(series.label_values()));
        chain.is_some_and(|c| c.iter().any(|s| Arc::ptr_eq(s, series)))
    }

    /// Adds a series whose values are not in the set yet.
    pub(crate) fn insert(&mut self, series: Arc<Series>) {
        let h = self.hash(series.label_values());
        series.slot.store(self.slots.len(), Ordering::Relaxed);
        self.slots.push(Some(series.clone()));
        self.by_hash.entry(h).or_default().push(series);
        self.live += 1;
    }

    /// Removes the series with these label values.
    pub(crate) fn remove(&mut self, values: &[&str]) -> Option<Arc<Series>> {
        let found = self.get(values)?.clone();
        self.remove_series(&found).then_some(found)
    }

    /// Removes this very series; false if it is not in the set.
    pub(crate) fn remove_series(&mut self, series: &Arc<Series>) -> bool {
        let h = self.hash(series.label_values());
        let Some(chain) = self.by_hash.get_mut(&h) else { return false };
        let Some(pos) = chain.iter().position(|s| Arc::ptr_eq(s, series)) else { return false };
        chain.swap_remove(pos);
        if chain.is_empty() {
            self.by_hash.remove(&h);
        }
        let slot = series.slot.load(Ordering::Relaxed);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = None;
        }
        self.live -= 1;
        if self.slots.len() > 32 && self.live < self.slots.len() / 2 {
            self.compact();
        }
        true
    }

    /// Closes the holes, keeping the order: O(n) once per n/2 removals.
    fn compact(&mut self) {
        self.slots.retain(Option::is_some);
        for (i, s) in self.slots.iter().flatten().enumerate() {
            s.slot.store(i, Ordering::Relaxed);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The series in registration order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Series>> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::Shape;

    fn series(values: &[&str]) -> Arc<Series> {
        let labels = values.iter().enumerate().map(|(i, v)| (format!("l{i}"), v.to_string())).collect();
        Arc::new(Series::new(labels, Shape::Scalar.values()))
    }

    #[test]
    fn found_by_values_removed_in_order() {
        let mut set = SeriesSet::default();
        let all: Vec<_> = (0..100).map(|i| series(&[&i.to_string(), "x"])).collect();
        all.iter().for_each(|s| set.insert(s.clone()));
        assert!(Arc::ptr_eq(set.get(&["42", "x"]).unwrap(), &all[42]));
        assert!(set.get(&["42", "y"]).is_none() && set.get(&["42x", ""]).is_none());
        for i in (0..100).filter(|i| i % 3 != 0) {
            assert!(set.remove(&[&i.to_string(), "x"]).is_some());
        }
        assert!(set.remove(&["1", "x"]).is_none(), "already gone");
        assert!(!set.remove_series(&all[1]) && !set.contains(&all[1]) && set.contains(&all[0]));
        let left: Vec<String> = set.iter().map(|s| s.labels[0].1.clone()).collect();
        let want: Vec<String> = (0..100).filter(|i| i % 3 == 0).map(|i| i.to_string()).collect();
        assert_eq!((left, set.len()), (want, 34));
        assert!(set.remove_series(&all[99]) && set.get(&["99", "x"]).is_none());
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_value() {
        let mut set = SeriesSet::default();
        let (a, b) = (series(&["a"]), series(&["b"]));
        // Force a collision: put b in a's chain.
        set.insert(a.clone());
        let h = set.hash(a.label_values());
        set.by_hash.get_mut(&h).unwrap().insert(0, b.clone());
        assert!(Arc::ptr_eq(set.get(&["a"]).unwrap(), &a));
        assert!(set.get(&["b"]).is_none(), "b hashes elsewhere");
        assert!(set.remove_series(&a));
        assert_eq!(set.by_hash.get(&h).map(Vec::len), Some(1));
    }
}
