//! Workers mode, one process' side: a registry whose series keep their
//! values in the tree's shared memory, so that the parent reads them and
//! an update is still one atomic operation on a word.

use super::cells::{AtomicF64, View};
use super::{Aggregation, Kind};
use crate::error::{Error, Result};
use crate::shm::records::{encode_series, SeriesKind, FLAGS, REMOVED};
use crate::shm::{families, Cells, Writer};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A series' cells: flags, then the value, or the bucket counts and the sum.
pub(crate) struct SharedValues {
    cells: Cells,
    bounds: Option<Arc<[f64]>>,
}

impl SharedValues {
    pub(crate) fn view(&self) -> View<'_> {
        let c = self.cells.get();
        match &self.bounds {
            None => View::Scalar(AtomicF64::from_cell(&c[1])),
            Some(b) => {
                View::Histogram { bounds: b, counts: &c[1..b.len() + 2], sum: AtomicF64::from_cell(&c[b.len() + 2]) }
            }
        }
    }
}

impl Drop for SharedValues {
    /// The series left its family: the parent stops showing it (counters
    /// and histograms keep counting in the tree's totals). An inherited
    /// series is the parent's, not ours to remove.
    fn drop(&mut self) {
        if self.cells.is_own() {
            self.cells.get()[FLAGS].fetch_or(REMOVED, Ordering::Release);
            self.cells.touch();
        }
    }
}

/// Where a workers-mode registry puts its series.
pub(crate) struct SharedStore {
    writer: Arc<Writer>,
}

impl SharedStore {
    pub(crate) fn new(writer: Arc<Writer>) -> SharedStore {
        SharedStore { writer }
    }

    /// Refuses the kinds the tree cannot sum.
    pub(crate) fn check_kind(name: &str, kind: Kind) -> Result<()> {
        if kind == Kind::NativeHistogram {
            return Err(Error::invalid(format!(
                "native histogram {name}: native histograms are not shared across workers; use a classic histogram"
            )));
        }
        Ok(())
    }

    /// A new series' values, in a record of this process.
    pub(crate) fn values(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(String, String)],
        bounds: Option<Arc<[f64]>>,
    ) -> Result<SharedValues> {
        SharedStore::check_kind(name, kind)?;
        let k = match (kind, &bounds) {
            (Kind::Counter, _) => SeriesKind::Counter,
            (Kind::Gauge, _) => SeriesKind::Gauge,
            (_, Some(_)) => SeriesKind::Histogram,
            _ => return Err(Error::invalid(format!("metric {name}: this kind is not shared across workers"))),
        };
        let rec = encode_series(k, name, help, labels, bounds.as_deref().unwrap_or(&[]))?;
        let cells = self.writer.append(&rec)?;
        Ok(SharedValues { cells, bounds })
    }

    /// Tells the tree how gauge family `name` aggregates.
    pub(crate) fn declare(&self, name: &str, how: Aggregation) -> Result<()> {
        families::declare(self.writer.region(), name, how.code())
    }
}
