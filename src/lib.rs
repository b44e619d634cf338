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
mod process;
mod runtime_info;
mod server;
mod shm;
mod sync;
mod workers;

// The C API's doc comments are written for hams.h (cbindgen copies them):
// C notation such as "[::1]:8079" is text there, not a Rust link.
#[allow(rustdoc::broken_intra_doc_links)]
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

/// The settings of one health server: build one with `Config::new`, change
/// its fields, and give it to [`Hams::with_config`]; or read it from YAML
/// with [`config::from_file`] (see hams_config(5)).
///
/// ```
/// use std::time::Duration;
/// use hams::{Checks, Config, Hams, ProbeDecl, ProbeKind};
/// let mut config = Config::new("my-service", "1.0.0");
/// config.address = "127.0.0.1:0".into();
/// config.shutdown.drain = Duration::from_millis(500);
/// config.probes.push(ProbeDecl { name: "warmup".into(), checks: Checks::STARTUP, kind: ProbeKind::Manual { healthy: false } });
/// let hams = Hams::with_config(config)?;
/// let warmup = hams.take_probe("warmup").expect("declared above");
/// warmup.set(true, None)?;
///
/// let yaml = hams::config::from_yaml("service: {name: my-service, version: 1.0.0}\n")?;
/// assert_eq!(yaml.address, hams::DEFAULT_ADDRESS);
/// # Ok::<(), hams::Error>(())
/// ```
#[doc(inline)]
pub use config::Config;
pub use config::{parse_address, ProbeDecl, ProbeKind, ShutdownConfig, WorkersConfig, DEFAULT_ADDRESS, DEFAULT_PREFIX};
pub use error::{Error, ErrorKind, Result};
pub use handle::{attach, Hams, Probe};
pub use health::{Check, Checks, MAX_NAME_LEN, MAX_REASON_LEN};
pub use lifecycle::shutdown::{Origin, Phase};
pub use metrics::collector::MetricsFn;
/// Made by [`Hams::counter`], [`Hams::gauge`] or [`Hams::histogram`], each
/// with a fixed label set; updates are lock-free, from any thread.
///
/// ```
/// use hams::Hams;
/// let hams = Hams::new("my-service", "1.0.0")?;
/// let jobs = hams.counter("jobs_total", "Jobs done.", &[("queue", "mail")])?;
/// jobs.add(1.0)?;
/// let queued = hams.gauge("jobs_queued", "Jobs waiting.", &[])?;
/// queued.set(3.0)?;
/// let seconds = hams.histogram("job_seconds", "Job duration.", &[0.1, 1.0, 10.0], &[])?;
/// seconds.observe(0.25)?;
/// assert_eq!(jobs.value() + queued.value() + seconds.value(), 4.25);
/// assert!(jobs.set(1.0).is_err(), "a counter is not a gauge");
/// # Ok::<(), hams::Error>(())
/// ```
pub use metrics::Metric;
pub use metrics::{
    buckets_exponential, buckets_linear, Aggregation, Kind as MetricKind, MetricVec, DEFAULT_BUCKETS,
    MAX_EXEMPLAR_CHARS,
};
pub use server::Limits;
/// The environment variable naming a workers' tree to `attach`.
pub use shm::region::ENV as WORKERS_ENV;

/// The library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
