//! The application's metric families of one `Hams`: found by name in O(1),
//! exposed in registration order, and snapshotted cheaply so that a render
//! on any thread holds no lock that updates or new series wait on for long.

use super::names::{exposed, reserved_claims, validate_help, validate_label_names, validate_name};
use super::series::{Series, Shape, Values};
use super::series_set::SeriesSet;
use super::shared::SharedStore;
use super::{Aggregation, Kind};
use crate::error::{Error, Result};
use crate::sync::{read, write};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

pub(crate) struct Family {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    pub label_names: Box<[String]>,
    /// Made by a vec, which alone adds and removes its series; it stays
    /// registered, empty or not, until the vec goes.
    pub(crate) vec: bool,
    series: RwLock<SeriesSet>,
    /// Workers mode: where the series' values live.
    shared: Option<Arc<SharedStore>>,
}

impl Family {
    /// Appends the family's series, in order, to `out`: the read lock is
    /// held only while their `Arc`s are copied.
    pub(crate) fn series_snapshot(&self, out: &mut Vec<Arc<Series>>) {
        out.extend(read(&self.series).iter().cloned());
    }

    pub(crate) fn series_count(&self) -> usize {
        read(&self.series).len()
    }

    /// The series with these label values (one per label name, in order),
    /// made with `shape` if there is none yet. A hit takes only the read
    /// lock and allocates nothing.
    pub(crate) fn get_or_add(&self, values: &[&str], shape: &Shape) -> Result<Arc<Series>> {
        if values.len() != self.label_names.len() {
            return Err(Error::invalid(format!(
                "metric {}: {} label values for {} label names ({})",
                self.name,
                values.len(),
                self.label_names.len(),
                self.label_names.join(", ")
            )));
        }
        if let Some(s) = read(&self.series).get(values) {
            return Ok(s.clone());
        }
        let mut set = write(&self.series);
        // Another thread may have made it between the two locks.
        if let Some(s) = set.get(values) {
            return Ok(s.clone());
        }
        let labels: Vec<(String, String)> =
            self.label_names.iter().zip(values).map(|(k, v)| (k.clone(), v.to_string())).collect();
        let values = match &self.shared {
            Some(store) => {
                let bounds = match shape {
                    Shape::Histogram(b) => Some(b.clone()),
                    _ => None,
                };
                Values::Shared(store.values(&self.name, &self.help, self.kind, &labels, bounds)?)
            }
            None => shape.values(),
        };
        let series = Arc::new(Series::new(labels, values));
        set.insert(series.clone());
        Ok(series)
    }

    /// Runs `f` with whether `series` is in the family, holding the read
    /// lock, so that it is not removed until `f` returns.
    pub(crate) fn while_contains<R>(&self, series: &Arc<Series>, f: impl FnOnce(bool) -> R) -> R {
        let set = read(&self.series);
        f(set.contains(series))
    }

    pub(crate) fn remove(&self, values: &[&str]) -> Option<Arc<Series>> {
        write(&self.series).remove(values)
    }

    /// Gauges: how the tree's parent shows the family (see `Aggregation`).
    pub(crate) fn set_aggregation(&self, how: Aggregation) -> Result<()> {
        if self.kind != Kind::Gauge {
            return Err(Error::invalid(format!(
                "metric {} is a {}: only gauges have an aggregation (the others are summed)",
                self.name,
                self.kind.name()
            )));
        }
        if let Some(store) = &self.shared {
            store.declare(&self.name, how)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Families {
    by_name: HashMap<String, Arc<Family>>,
    /// Every name a family exposes (see `exposed`), and that family's name.
    claimed: HashMap<String, String>,
    /// Exposition order.
    order: Vec<Arc<Family>>,
}

impl Families {
    fn add(&mut self, family: Arc<Family>) {
        for e in exposed(&family.name, family.kind) {
            self.claimed.insert(e, family.name.clone());
        }
        self.by_name.insert(family.name.clone(), family.clone());
        self.order.push(family);
    }

    fn remove(&mut self, family: &Arc<Family>) {
        if !self.by_name.get(&family.name).is_some_and(|f| Arc::ptr_eq(f, family)) {
            return;
        }
        self.by_name.remove(&family.name);
        for e in exposed(&family.name, family.kind) {
            self.claimed.remove(&e);
        }
        self.order.retain(|f| !Arc::ptr_eq(f, family));
    }

    /// Refuses a new family `name` whose exposed names another family or
    /// hams itself already shows.
    fn check_clashes(&self, name: &str, kind: Kind) -> Result<()> {
        for e in exposed(name, kind) {
            if let Some(other) = self.claimed.get(&e).filter(|o| *o != name) {
                return Err(Error::invalid(format!("metric {name} clashes with {other} (both expose {e})")));
            }
            if reserved_claims(&e) {
                return Err(Error::invalid(format!(
                    "metric {name} clashes with hams' built-in metrics (both expose {e})"
                )));
            }
        }
        Ok(())
    }
}

/// The application's metrics of one `Hams`.
#[derive(Default)]
pub(crate) struct MetricRegistry {
    families: RwLock<Families>,
    /// Workers mode: every series' values are in the tree's shared memory.
    shared: OnceLock<Arc<SharedStore>>,
}

impl MetricRegistry {
    /// Puts the series of this registry in shared memory from now on:
    /// allowed only while it has none.
    pub(crate) fn share(&self, store: SharedStore) -> Result<()> {
        let families = write(&self.families);
        if !families.order.is_empty() {
            return Err(Error::state("workers mode must be set before any metric is registered"));
        }
        self.shared.set(Arc::new(store)).map_err(|_| Error::state("already in workers mode"))
    }

    fn new_family(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        label_names: Box<[String]>,
        vec: bool,
    ) -> Result<Arc<Family>> {
        let shared = self.shared.get().cloned();
        if shared.is_some() {
            SharedStore::check_kind(name, kind)?;
        }
        Ok(Arc::new(Family {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            label_names,
            vec,
            series: RwLock::new(SeriesSet::default()),
            shared,
        }))
    }

    /// Appends the families, in order, to `out`, holding the lock only
    /// while their `Arc`s are copied (then see `Family::series_snapshot`).
    pub(crate) fn snapshot(&self, out: &mut Vec<Arc<Family>>) {
        out.extend(read(&self.families).order.iter().cloned());
    }

    #[cfg(test)]
    pub(crate) fn family_count(&self) -> usize {
        read(&self.families).order.len()
    }

    /// Whether `name` is a name hams or a registered family already exposes
    /// (a family's own name, its series suffixes, its OpenMetrics name).
    pub(crate) fn claims(&self, name: &str) -> bool {
        reserved_claims(name) || read(&self.families).claimed.contains_key(name)
    }

    /// Registers one series with fixed labels, in the family `name` (made
    /// if needed; it goes with its last series).
    pub(crate) fn register(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(&str, &str)],
        shape: &Shape,
    ) -> Result<(Arc<Family>, Arc<Series>)> {
        validate_name(name, kind)?;
        validate_help(name, help)?;
        let label_names = validate_label_names(name, kind, labels.iter().map(|(k, _)| *k))?;
        let values: Vec<&str> = labels.iter().map(|(_, v)| *v).collect();
        // Under the registry's lock, so that the family cannot go between
        // being found and getting the series.
        let mut families = write(&self.families);
        families.check_clashes(name, kind)?;
        let family = match families.by_name.get(name) {
            Some(f) => {
                if f.kind != kind {
                    return Err(Error::invalid(format!("metric {name} is already registered as a {}", f.kind.name())));
                }
                if f.vec {
                    return Err(Error::invalid(format!(
                        "metric {name} is a vec's family: get its series from the vec"
                    )));
                }
                if f.help != help {
                    return Err(Error::invalid(format!("metric {name} is already registered with other help text")));
                }
                if f.label_names != label_names {
                    return Err(Error::invalid(format!(
                        "metric {name}: every series of a family must have the same label names"
                    )));
                }
                if read(&f.series).get(&values).is_some() {
                    return Err(Error::invalid(format!("metric {name} with these labels is already registered")));
                }
                f.clone()
            }
            None => {
                let family = self.new_family(name, help, kind, label_names, false)?;
                families.add(family.clone());
                family
            }
        };
        let series = family.get_or_add(&values, shape)?;
        Ok((family, series))
    }

    /// Registers the family of a vec: its name must be new.
    pub(crate) fn register_vec(&self, name: &str, help: &str, kind: Kind, label_names: &[&str]) -> Result<Arc<Family>> {
        validate_name(name, kind)?;
        validate_help(name, help)?;
        let label_names = validate_label_names(name, kind, label_names.iter().copied())?;
        let mut families = write(&self.families);
        families.check_clashes(name, kind)?;
        if let Some(f) = families.by_name.get(name) {
            return Err(Error::invalid(format!(
                "metric {name} is already registered (as a {}); a vec needs a family of its own",
                f.kind.name()
            )));
        }
        let family = self.new_family(name, help, kind, label_names, true)?;
        families.add(family.clone());
        Ok(family)
    }

    /// Removes a series registered alone; its family goes with its last one.
    pub(crate) fn unregister(&self, family: &Arc<Family>, series: &Arc<Series>) {
        let mut families = write(&self.families);
        let mut set = write(&family.series);
        set.remove_series(series);
        if set.is_empty() {
            drop(set);
            families.remove(family);
        }
    }

    pub(crate) fn unregister_family(&self, family: &Arc<Family>) {
        write(&self.families).remove(family);
    }
}

/// Buffers a renderer keeps between scrapes for the snapshot of families
/// and of one family's series.
#[derive(Default)]
pub(crate) struct Snapshot {
    pub families: Vec<Arc<Family>>,
    pub series: Vec<Arc<Series>>,
}

impl Snapshot {
    /// Calls `f` with each family that has series, and its series, without
    /// holding any lock while `f` runs. Keeps the buffers' capacity.
    pub(crate) fn each(&mut self, registry: &MetricRegistry, mut f: impl FnMut(&Family, &[Arc<Series>])) {
        self.families.clear();
        registry.snapshot(&mut self.families);
        for family in &self.families {
            self.series.clear();
            family.series_snapshot(&mut self.series);
            if !self.series.is_empty() {
                f(family, &self.series);
            }
        }
        // Removed series and families are freed now, not at the next scrape.
        self.series.clear();
        self.families.clear();
    }
}
