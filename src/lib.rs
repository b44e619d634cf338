//! hams, the Health and Monitoring System: the lifecycle endpoints that
//! Kubernetes, systemd and Prometheus expect, served by a tiny embedded
//! HTTP/1.1 server on a background thread.
//!
//! The crate is both a Rust library (this API) and, through [`ffi`], the C
//! library `libhams` declared in `include/hams.h`.
//!
//! ```no_run
//! use hams::{Checks, Hams};
//! let hams = Hams::new("my-service", "1.0.0")?;
//! hams.set_address("127.0.0.1:0")?;
//! let db = hams.probe_manual("db", Checks::READY, false)?;
//! hams.start()?;
//! db.set(true, None)?;
//! println!("serving on port {}", hams.port()?);
//! # Ok::<(), hams::Error>(())
//! ```

mod clock;
pub mod config;
mod error;
mod handle;
mod health;
mod json;
mod lifecycle;
pub mod logging;
mod metrics;
mod server;
mod sync;

pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

pub use config::{parse_address, Config, ProbeDecl, ProbeKind, ShutdownConfig, DEFAULT_ADDRESS, DEFAULT_PREFIX};
pub use error::{Error, ErrorKind, Result};
pub use handle::{Hams, Probe};
pub use health::{Check, Checks, MAX_NAME_LEN, MAX_REASON_LEN};
pub use lifecycle::shutdown::{Origin, Phase};
pub use metrics::collector::MetricsFn;
pub use metrics::{buckets_exponential, buckets_linear, Kind as MetricKind, Metric, MetricVec, DEFAULT_BUCKETS};
pub use server::Limits;

/// The library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
