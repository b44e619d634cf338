//! hams over the system library: the safe API of the `hams` crate (`Hams`,
//! `Probe`, `Metric`, `Config`, `Checks`) implemented by calling the C API of
//! the installed `libhams.so.0` through `hams-sys`, so that a Rust program
//! shares one libhams with the C, Python, Node or Java code of its process.
//!
//! The library is named `hams`, like the crate it stands in for: a program
//! moves to the system library by its Cargo.toml alone
//! (`hams = { package = "hams-system", ... }`).
//!
//! ```
//! use hams::{Checks, Hams};
//! let hams = Hams::new("my-service", "1.0.0")?;
//! hams.set_address("127.0.0.1:0")?;
//! let db = hams.probe_manual("db", Checks::READY, false)?;
//! hams.start()?;
//! db.set(true, None)?;
//! println!("libhams {} serving on port {}", hams::library_version(), hams.port()?);
//! # Ok::<(), hams::Error>(())
//! ```
//!
//! What the C API does not offer is left out (see README.md): `Hams::report`,
//! `Hams::set_limits` (use `Config::limits`), `Hams::is_shutting_down`,
//! `Probe::is_healthy`, `Metric::value` and `count`, `MetricVec::len`.

mod buckets;
mod checks;
mod config;
mod error;
mod handle;
mod labels;
mod life;
mod listen;
pub mod logging;
mod metric;
mod probe;
mod vec;
mod workers;

pub use buckets::{buckets_exponential, buckets_linear, DEFAULT_BUCKETS};
pub use checks::{Check, Checks};
pub use config::{
    Config, Limits, ProbeDecl, ProbeKind, ShutdownConfig, WorkersConfig, DEFAULT_ADDRESS, DEFAULT_PREFIX,
};
pub use error::{Error, ErrorKind, Result};
pub use handle::Hams;
pub use metric::{Metric, MetricKind, MetricsFn};
pub use probe::Probe;
pub use vec::MetricVec;
pub use workers::{attach, Aggregation};

/// The raw C API this crate calls.
pub use hams_sys as sys;

/// This crate's version (the `hams` crate's `VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The version of the libhams loaded in this process (`hams_version()`).
pub fn library_version() -> String {
    // SAFETY: hams_version returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(hams_sys::hams_version()) }.to_string_lossy().into_owned()
}
