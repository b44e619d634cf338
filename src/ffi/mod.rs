//! The C ABI: thin, guarded calls into the safe API.
//!
//! Every `extern "C"` function checks its arguments (NULL, UTF-8, handle
//! validity), runs inside a panic guard, and maps the core's `Error` to a
//! return code plus this thread's `hams_last_error()` message. The function
//! files (hams, probe, metrics, vec, buckets, lifecycle, log, workers) take handle types from
//! `handles` and helpers from here, never from each other.
//!
//! cbindgen writes hams.h's functions in module order, this file's first.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod args;
mod error;
mod guard;
mod hams;
mod handles;
mod lifecycle;
mod log;
mod metrics;
// After metrics: hams.h declares the bucket helpers after the histograms.
mod buckets;
mod probe;
#[cfg(test)]
mod tests;
mod vec;
mod workers;

pub use self::buckets::*;
pub use self::error::*;
pub use self::hams::*;
// Not the struct `hams`: `ffi::hams` names the module of its functions.
pub use self::handles::{hams_metric, hams_metric_t, hams_probe, hams_probe_t, hams_t, hams_vec, hams_vec_t};
pub use self::lifecycle::*;
pub use self::log::*;
pub use self::metrics::*;
pub use self::probe::*;
pub use self::vec::*;
pub use self::workers::*;

use self::args::{buckets_arg, labels_arg, str_arg, UserPtr};
use self::error::null;
use self::guard::guard;
use std::ffi::{c_char, c_uint};

/// The probe takes part in the liveness check (`/hams/alive`).
pub const HAMS_ALIVE: c_uint = 1;
/// The probe takes part in the readiness check (`/hams/ready`).
pub const HAMS_READY: c_uint = 2;
/// The probe takes part in the startup check (`/hams/startup`).
pub const HAMS_STARTUP: c_uint = 4;

/// The library's version, e.g. "0.1.0". The string is static.
#[no_mangle]
pub extern "C" fn hams_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
