//! Workers mode, the parent's side: the metrics of every process of the
//! tree, as one set of families. Counters and histograms are summed over
//! every process that ever joined (an exited one's last values are folded
//! into the retired totals, so nothing goes backwards); gauges are shown per
//! process (a `pid` label) or summed, maxed or minned over the live ones.
//!
//! The result is kept in a mirror registry that the exposition renders like
//! any other. What the processes wrote is not trusted: names, labels and
//! buckets are validated as if an application had registered them, and a
//! family that two processes describe differently keeps the first shape.

use super::names::validate_buckets;
use super::registry::{Family, MetricRegistry};
use super::series::Series;
use super::series::{Shape, View};
use super::{Aggregation, Kind};
use crate::shm::records::{Record, SeriesKind, SeriesRecord, FLAGS, REMOVED};
use crate::shm::{families, reader, Region};
use crate::sync::lock;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The values of one series, summed (or picked) so far.
#[derive(Debug, Clone, Default)]
struct Values {
    value: f64,
    counts: Vec<u64>,
    sum: f64,
}

#[derive(Debug, Clone)]
struct AggFamily {
    kind: Kind,
    help: String,
    label_names: Vec<String>,
    bounds: Vec<f64>,
    how: Aggregation,
    /// Series by their label values joined with 0xff (never in UTF-8).
    index: HashMap<String, usize>,
    series: Vec<(Vec<String>, Values)>,
}

/// Where one summed value came from: a record's cells (read again at each
/// scrape while the region's layout is unchanged), or a retired total.
enum Source {
    Cells { cells: *const AtomicU64, histogram: Option<usize> },
    Fixed(Values),
}

/// One value added into series `si` of family `fi`.
struct Contribution {
    fi: usize,
    si: usize,
    source: Source,
}

/// The tree's families being summed from records.
#[derive(Default)]
pub(crate) struct Aggregate {
    index: HashMap<String, usize>,
    families: Vec<(String, AggFamily)>,
    key: String,
    /// Every value added, in order, to sum them again without parsing.
    plan: Vec<Contribution>,
}

// SAFETY: the cell pointers point into the region, which the `TreeMetrics`
// holding the plan keeps mapped; chunks are freed only under the same lock
// that uses the plan, and freeing changes the epoch that invalidates it.
unsafe impl Send for Aggregate {}

/// A series' values from its cells, `word(i)` being cell `i` (0 holds the
/// flags): the value; or, for a histogram of `n` bounds, the `n + 1` bucket
/// counts and the sum (see `shm::records`).
fn series_values(histogram: Option<usize>, word: impl Fn(usize) -> u64) -> Values {
    let mut v = Values::default();
    match histogram {
        Some(n) => {
            v.counts = (1..=n + 1).map(&word).collect();
            v.sum = f64::from_bits(word(n + 2));
        }
        None => v.value = f64::from_bits(word(1)),
    }
    v
}

/// Reads a record's values from its cells (`cells` points at its flags).
fn read_cells(cells: *const AtomicU64, histogram: Option<usize>) -> Values {
    // SAFETY: `cells` and the words after it were bounds-checked by `parse`
    // when the plan was made (see `Source`).
    series_values(histogram, |i| unsafe { (*cells.add(i)).load(Ordering::Relaxed) })
}

fn kind_of(k: SeriesKind) -> Kind {
    match k {
        SeriesKind::Counter => Kind::Counter,
        SeriesKind::Gauge => Kind::Gauge,
        SeriesKind::Histogram => Kind::Histogram,
    }
}

/// The label a per-process gauge gets: `pid`, unless the family has one.
fn pid_label(names: &[String]) -> &'static str {
    if names.iter().any(|n| n == "pid") {
        "hams_pid"
    } else {
        "pid"
    }
}

impl Aggregate {
    /// Adds one record of process `pid`; `cell(off)` reads the word at a
    /// cell offset of the record. `how` says how a gauge family aggregates.
    /// `addr`, when given, is where the record's cells are in memory, so
    /// that a later scrape can read them again without parsing (`replay`).
    pub(crate) fn add(
        &mut self,
        pid: u32,
        r: &SeriesRecord<'_>,
        cell: &dyn Fn(usize) -> u64,
        addr: Option<*const AtomicU64>,
        how: &dyn Fn(&str) -> Aggregation,
    ) {
        let kind = kind_of(r.kind);
        let removed = cell(r.cells + 8 * FLAGS) & REMOVED != 0;
        if removed && kind == Kind::Gauge {
            return;
        }
        let histogram = (kind == Kind::Histogram).then_some(r.bounds.len());
        let v = series_values(histogram, |i| cell(r.cells + 8 * i));
        let source = addr.map(|cells| Source::Cells { cells, histogram });
        self.add_values(r.name, r.help, kind, &r.labels, &r.bounds, Some(pid), v, source, how);
    }

    /// Sums every value of the plan again, from the cells as they are now.
    fn replay(&mut self) {
        for (_, f) in &mut self.families {
            for (_, v) in &mut f.series {
                v.value = 0.0;
                v.sum = 0.0;
                v.counts.iter_mut().for_each(|c| *c = 0);
            }
        }
        let mut first = vec![Vec::new(); self.families.len()];
        for (fi, (_, f)) in self.families.iter().enumerate() {
            first[fi] = vec![true; f.series.len()];
        }
        for c in &self.plan {
            let v = match &c.source {
                Source::Cells { cells, histogram } => read_cells(*cells, *histogram),
                Source::Fixed(v) => v.clone(),
            };
            let f = &mut self.families[c.fi].1;
            let is_first = std::mem::replace(&mut first[c.fi][c.si], false);
            combine(f.kind, f.how, &mut f.series[c.si].1, &v, is_first);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_values(
        &mut self,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(&str, &str)],
        bounds: &[f64],
        pid: Option<u32>,
        v: Values,
        source: Option<Source>,
        how: &dyn Fn(&str) -> Aggregation,
    ) {
        let fi = match self.index.get(name) {
            Some(&i) => i,
            None => {
                if kind == Kind::Histogram && validate_buckets(name, bounds).is_err() {
                    return;
                }
                let how = if kind == Kind::Gauge { how(name) } else { Aggregation::Sum };
                let mut label_names: Vec<String> = labels.iter().map(|(k, _)| k.to_string()).collect();
                if how == Aggregation::PerWorker {
                    label_names.push(pid_label(&label_names).to_string());
                }
                let f = AggFamily {
                    kind,
                    help: help.to_string(),
                    label_names,
                    bounds: bounds.to_vec(),
                    how,
                    index: HashMap::new(),
                    series: Vec::new(),
                };
                self.families.push((name.to_string(), f));
                self.index.insert(name.to_string(), self.families.len() - 1);
                self.families.len() - 1
            }
        };
        let f = &mut self.families[fi].1;
        let per_worker = f.how == Aggregation::PerWorker;
        // Another shape than the family's first: not summable, left out.
        let own = f.label_names.len() - usize::from(per_worker);
        if f.kind != kind
            || own != labels.len()
            || !f.label_names.iter().zip(labels).all(|(a, (b, _))| a == b)
            || (kind == Kind::Histogram && f.bounds != bounds)
            || (per_worker && pid.is_none())
        {
            return;
        }
        let pid_text = pid.filter(|_| per_worker).map(|p| p.to_string());
        self.key.clear();
        for (_, value) in labels {
            self.key.push_str(value);
            self.key.push('\u{ffff}');
        }
        if let Some(p) = &pid_text {
            self.key.push_str(p);
        }
        let (si, first) = match f.index.get(self.key.as_str()) {
            Some(&i) => (i, false),
            None => {
                let mut values: Vec<String> = labels.iter().map(|(_, v)| v.to_string()).collect();
                values.extend(pid_text);
                f.series.push((values, Values { counts: vec![0; v.counts.len()], ..Values::default() }));
                f.index.insert(self.key.clone(), f.series.len() - 1);
                (f.series.len() - 1, true)
            }
        };
        combine(kind, f.how, &mut f.series[si].1, &v, first);
        self.plan.push(Contribution { fi, si, source: source.unwrap_or(Source::Fixed(v)) });
    }

    /// Adds the retired totals.
    fn add_retired(&mut self, retired: &Retired) {
        for r in &retired.series {
            let labels: Vec<(&str, &str)> = r.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let v = r.values.clone();
            self.add_values(&r.name, &r.help, r.kind, &labels, &r.bounds, None, v, None, &|_| Aggregation::Sum);
        }
    }

    /// Makes `mirror` show exactly these families and series; returns the
    /// mirror's series of each (family, series), to store into directly
    /// while nothing but values changes (`None`: not shown).
    pub(crate) fn apply(
        &self,
        mirror: &MetricRegistry,
        shown: &mut HashMap<String, Arc<Family>>,
    ) -> Vec<Vec<Option<Arc<Series>>>> {
        let mut targets = Vec::with_capacity(self.families.len());
        let mut seen = HashSet::new();
        for (name, f) in &self.families {
            let mut target = vec![None; f.series.len()];
            let same = shown
                .get(name)
                .is_some_and(|m| m.kind == f.kind && m.label_names.iter().eq(f.label_names.iter()) && m.help == f.help);
            if !same {
                if let Some(old) = shown.remove(name) {
                    mirror.unregister_family(&old);
                }
                let names: Vec<&str> = f.label_names.iter().map(String::as_str).collect();
                // Validates what a process wrote as if it were registered here.
                match mirror.register_vec(name, &f.help, f.kind, &names) {
                    Ok(family) => {
                        shown.insert(name.clone(), family);
                    }
                    Err(e) => {
                        log::debug!(target: "hams::workers", "a worker's metric is not shown: {e}");
                        targets.push(target);
                        continue;
                    }
                }
            }
            let Some(family) = shown.get(name) else {
                targets.push(target);
                continue;
            };
            seen.insert(name.clone());
            let shape =
                if f.kind == Kind::Histogram { Shape::Histogram(f.bounds.as_slice().into()) } else { Shape::Scalar };
            let mut keep = HashSet::with_capacity(f.series.len());
            let mut refs: Vec<&str> = Vec::new();
            for (si, (values, v)) in f.series.iter().enumerate() {
                refs.clear();
                refs.extend(values.iter().map(String::as_str));
                let Ok(series) = family.get_or_add(&refs, &shape) else { continue };
                keep.insert(Arc::as_ptr(&series));
                store(series.values.view(), v);
                target[si] = Some(series);
            }
            let mut current = Vec::new();
            family.series_snapshot(&mut current);
            for s in current.iter().filter(|s| !keep.contains(&Arc::as_ptr(s))) {
                let values: Vec<&str> = s.label_values().collect();
                family.remove(&values);
            }
            targets.push(target);
        }
        shown.retain(|name, family| {
            let keep = seen.contains(name);
            if !keep {
                mirror.unregister_family(family);
            }
            keep
        });
        targets
    }

    /// Stores the values into the mirror's series found by `apply`.
    fn store_into(&self, targets: &[Vec<Option<Arc<Series>>>]) {
        for ((_, f), target) in self.families.iter().zip(targets) {
            for ((_, v), series) in f.series.iter().zip(target) {
                if let Some(series) = series {
                    store(series.values.view(), v);
                }
            }
        }
    }
}

/// Adds `v` into `s` as the family aggregates (`first`: `s` has nothing yet).
fn combine(kind: Kind, how: Aggregation, s: &mut Values, v: &Values, first: bool) {
    if first {
        s.value = v.value;
        s.counts.clone_from(&v.counts);
        s.sum = v.sum;
        return;
    }
    match (kind, how) {
        (Kind::Histogram, _) => {
            for (a, b) in s.counts.iter_mut().zip(&v.counts) {
                *a = a.saturating_add(*b);
            }
            s.sum += v.sum;
        }
        (Kind::Gauge, Aggregation::Max) => s.value = s.value.max(v.value),
        (Kind::Gauge, Aggregation::Min) => s.value = s.value.min(v.value),
        _ => s.value += v.value,
    }
}

/// Writes summed values into a mirror series. Bucket counts are capped so
/// that their running total cannot overflow when the exposition adds them.
fn store(view: View<'_>, v: &Values) {
    match view {
        View::Scalar(x) => x.set(v.value),
        View::Histogram { counts, sum, .. } => {
            let mut total = 0u64;
            for (c, &n) in counts.iter().zip(&v.counts) {
                let n = n.min(u64::MAX / 2 - total);
                total += n;
                c.store(n, Ordering::Relaxed);
            }
            sum.set(v.sum);
        }
        View::Native(_) => {}
    }
}

/// Counters and histograms of processes that exited.
#[derive(Default)]
struct Retired {
    index: HashMap<(String, Vec<String>), usize>,
    series: Vec<RetiredSeries>,
}

struct RetiredSeries {
    name: String,
    help: String,
    kind: Kind,
    labels: Vec<(String, String)>,
    bounds: Vec<f64>,
    values: Values,
}

/// The last full refresh, replayed while the region's epoch is unchanged
/// (no record, slot, removal or aggregation since).
struct Cache {
    epoch: u64,
    agg: Aggregate,
    targets: Vec<Vec<Option<Arc<Series>>>>,
}

#[derive(Default)]
struct State {
    cache: Option<Cache>,
    retired: Retired,
    shown: HashMap<String, Arc<Family>>,
    buf: Vec<u8>,
    members: Vec<reader::Member>,
}

/// The tree's metrics as the parent serves them.
pub(crate) struct TreeMetrics {
    region: Arc<Region>,
    mirror: Arc<MetricRegistry>,
    /// Held by a refresh and by a fold, so that a scrape never counts an
    /// exited process both live and retired, or neither.
    state: Mutex<State>,
}

impl TreeMetrics {
    pub(crate) fn new(region: Arc<Region>) -> TreeMetrics {
        TreeMetrics { region, mirror: Arc::default(), state: Mutex::default() }
    }

    pub(crate) fn mirror(&self) -> &MetricRegistry {
        &self.mirror
    }

    /// Brings the mirror up to date with every process' records.
    pub(crate) fn refresh(&self) {
        let mut st = lock(&self.state);
        let st = &mut *st;
        let region = &self.region;
        // Read before the records: a record added meanwhile changes it.
        let epoch = region.epoch();
        if let Some(c) = st.cache.as_mut().filter(|c| c.epoch == epoch) {
            c.agg.replay();
            c.agg.store_into(&c.targets);
            return;
        }
        let mut agg = Aggregate::default();
        let how = |name: &str| Aggregation::from_code(families::lookup(region, name));
        reader::members(region, &mut st.members);
        for m in &st.members {
            reader::records(region, m.slot, &mut st.buf, |r, cells| {
                if let Record::Series(s) = r {
                    agg.add(m.pid, s, &|off| cells.load(off), cells.addr(s.cells), &how);
                }
            });
        }
        agg.add_retired(&st.retired);
        let targets = agg.apply(&self.mirror, &mut st.shown);
        st.cache = Some(Cache { epoch, agg, targets });
    }

    /// Folds the counters and histograms of the exited process in `slot`
    /// into the retired totals, then frees its slot and chunks.
    pub(crate) fn retire(&self, slot: usize) {
        let mut st = lock(&self.state);
        let st = &mut *st;
        let retired = &mut st.retired;
        reader::records(&self.region, slot, &mut st.buf, |r, cells| {
            let Record::Series(s) = r else { return };
            let kind = kind_of(s.kind);
            if kind == Kind::Gauge {
                return;
            }
            let histogram = (kind == Kind::Histogram).then_some(s.bounds.len());
            let v = series_values(histogram, |i| cells.load(s.cells + 8 * i));
            let labels: Vec<String> = s.labels.iter().map(|(_, v)| v.to_string()).collect();
            let key = (s.name.to_string(), labels);
            let i = match retired.index.get(&key) {
                Some(&i) => i,
                None => {
                    retired.series.push(RetiredSeries {
                        name: s.name.to_string(),
                        help: s.help.to_string(),
                        kind,
                        labels: s.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                        bounds: s.bounds.clone(),
                        values: Values { counts: vec![0; s.bounds.len() + 1], ..Values::default() },
                    });
                    retired.index.insert(key, retired.series.len() - 1);
                    retired.series.len() - 1
                }
            };
            let t = &mut retired.series[i];
            // Another shape under the same name and labels is not summable.
            if t.kind == kind && t.bounds == s.bounds {
                combine(kind, Aggregation::Sum, &mut t.values, &v, false);
            }
        });
        reader::free(&self.region, slot);
        st.cache = None;
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
