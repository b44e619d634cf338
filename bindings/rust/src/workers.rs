//! Workers mode: one server for a process and its workers (pre-fork
//! servers, Node's cluster, `uvicorn --workers`). The parent turns it on with
//! `Hams::set_workers`; a spawned worker joins with `attach()`, a forked one
//! may also keep using the handle it inherited. The parent's endpoints show
//! every worker's metrics (counters summed, gauges as their `Aggregation`
//! says) and probes (as `name@pid`).

use crate::error::{check, check_ptr, Error, ErrorKind, Result};
use crate::handle::Hams;
use crate::metric::{Metric, MetricKind, Target};
use crate::vec::MetricVec;

/// How the parent shows a gauge that several worker processes set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregation {
    /// One series per worker, with a label `pid` (the default).
    #[default]
    PerWorker,
    /// The sum over the live workers (and the parent).
    Sum,
    /// The largest value of the live workers.
    Max,
    /// The smallest value of the live workers.
    Min,
}

impl Aggregation {
    fn code(self) -> libc::c_int {
        match self {
            Aggregation::PerWorker => hams_sys::HAMS_AGG_PER_WORKER,
            Aggregation::Sum => hams_sys::HAMS_AGG_SUM,
            Aggregation::Max => hams_sys::HAMS_AGG_MAX,
            Aggregation::Min => hams_sys::HAMS_AGG_MIN,
        }
    }
}

/// In a worker process: joins the server of the parent in workers mode
/// named by `$HAMS_WORKERS`. The handle registers probes and metrics, which
/// the parent serves; `start`, `stop`, `shutdown` and `wait` are the
/// parent's (errors of kind `State`). Outside workers mode an error of kind
/// `State` whose message names `HAMS_WORKERS`.
pub fn attach() -> Result<Hams> {
    // SAFETY: no arguments; a new handle this process owns, or NULL.
    let ptr = check_ptr(unsafe { hams_sys::hams_attach() })?;
    Ok(Hams::adopt(ptr, String::new(), Some(Vec::new()), true))
}

impl Hams {
    /// Makes this server the parent of worker processes (on) or not (off);
    /// before `start` and before any probe or metric is made on it. Sets
    /// `HAMS_WORKERS` in this process's environment for the workers.
    pub fn set_workers(&self, on: bool) -> Result<()> {
        // SAFETY: a live handle.
        check(unsafe { hams_sys::hams_set_workers(self.as_ptr(), on) }).map(drop)
    }
}

impl Metric {
    /// Gauges in workers mode: how the parent shows this gauge; before its
    /// first update. A vec's series take their vec's (`MetricVec::set_aggregation`).
    pub fn set_aggregation(&self, how: Aggregation) -> Result<()> {
        if self.kind != MetricKind::Gauge {
            let message = format!("set_aggregation: metric {} is a {:?}, not a gauge", self.name, self.kind);
            return Err(Error::new(ErrorKind::Invalid, message));
        }
        let ptr = match &self.target {
            Target::Own(ptr) => *ptr,
            Target::Series { .. } => {
                let message = format!("set_aggregation: {} is a vec's series: set it on the vec", self.name);
                return Err(Error::new(ErrorKind::Invalid, message));
            }
        };
        // SAFETY: a live gauge handle, while the server exists.
        let rc = self.life.with(|| unsafe { hams_sys::hams_gauge_set_aggregation(ptr, how.code()) });
        rc.map_or_else(|| Err(Error::state("the server was freed")), |rc| check(rc).map(drop))
    }
}

impl MetricVec {
    /// Gauge vecs in workers mode: how the parent shows every series of the
    /// family; before the first update.
    pub fn set_aggregation(&self, how: Aggregation) -> Result<()> {
        let rc = self.life().with(|| {
            // SAFETY: a live vec handle.
            self.handle().with(|ptr| unsafe { hams_sys::hams_vec_set_aggregation(ptr, how.code()) })
        });
        match rc.flatten() {
            Some(rc) => check(rc).map(drop),
            None => Err(Error::state(format!("{} was freed", self.name()))),
        }
    }
}
