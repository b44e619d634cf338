//! Workers mode: one endpoint for a process tree (see hams_workers(3)).

use super::guard;
use super::handles::{hams_metric_t, hams_t, hams_vec_t, handle, new_hams};
use crate::error::{Error, Result};
use crate::metrics::Aggregation;
use std::ffi::c_int;

/// Gauges: one series per process of the tree, with a label `pid` (the default).
pub const HAMS_AGG_PER_WORKER: c_int = 0;
/// Gauges: the sum over the live processes of the tree.
pub const HAMS_AGG_SUM: c_int = 1;
/// Gauges: the largest value of the live processes.
pub const HAMS_AGG_MAX: c_int = 2;
/// Gauges: the smallest value of the live processes.
pub const HAMS_AGG_MIN: c_int = 3;

fn aggregation(how: c_int) -> Result<Aggregation> {
    match how {
        HAMS_AGG_PER_WORKER => Ok(Aggregation::PerWorker),
        HAMS_AGG_SUM => Ok(Aggregation::Sum),
        HAMS_AGG_MAX => Ok(Aggregation::Max),
        HAMS_AGG_MIN => Ok(Aggregation::Min),
        _ => Err(Error::invalid(format!("aggregation {how} is not one of HAMS_AGG_PER_WORKER, _SUM, _MAX, _MIN"))),
    }
}

/// Workers mode (`enabled` true): this process becomes the parent of a tree
/// of worker processes and serves their metrics and probes with its own.
/// Before hams_start() and before any metric is registered on `h`
/// (HAMS_ERR_STATE otherwise). Makes the shared memory region and sets the
/// environment variable HAMS_WORKERS in this process for its children to
/// find it: call it before starting threads that read the environment.
/// Turning it off once on is HAMS_ERR_STATE; off while off is a no-op.
#[no_mangle]
pub unsafe extern "C" fn hams_set_workers(h: *mut hams_t, enabled: bool) -> c_int {
    guard(|| handle(h)?.core.set_workers(enabled))
}

/// In a worker process: joins the tree named by the environment variable
/// HAMS_WORKERS (set by an ancestor's hams_set_workers()). The handle
/// registers probes and metrics as usual and the tree's parent serves them;
/// hams_start(), hams_shutdown(), hams_wait() and the other serving calls
/// return HAMS_ERR_STATE on it. NULL on error (no tree: HAMS_ERR_STATE).
/// Free it with hams_free().
#[no_mangle]
pub extern "C" fn hams_attach() -> *mut hams_t {
    guard(|| {
        crate::logging::install_default();
        Ok(new_hams(crate::handle::attach()?))
    })
}

/// How the tree's parent shows the gauge `g`'s family: HAMS_AGG_PER_WORKER
/// (default), HAMS_AGG_SUM, HAMS_AGG_MAX or HAMS_AGG_MIN. Set it before the
/// first update. A process of the tree that sets another aggregation than
/// one already set for the family gets HAMS_ERR_INVALID; so does a metric
/// that is not a gauge. Without workers mode it is accepted and changes
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn hams_gauge_set_aggregation(g: *mut hams_metric_t, how: c_int) -> c_int {
    guard(|| handle(g)?.metric.set_aggregation(aggregation(how)?))
}

/// Like hams_gauge_set_aggregation(), for a gauge vec's family.
#[no_mangle]
pub unsafe extern "C" fn hams_vec_set_aggregation(v: *mut hams_vec_t, how: c_int) -> c_int {
    guard(|| handle(v)?.vec.set_aggregation(aggregation(how)?))
}
