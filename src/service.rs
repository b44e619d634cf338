//! What the serving thread shares with the application: identity, probes,
//! and the shutdown sequence.

use crate::health::probe_registry::ProbeRegistry;
use crate::lifecycle::shutdown::Shutdown;
use crate::metrics::builtin::HttpCounters;
use crate::metrics::collector::Collector;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Service {
    pub name: String,
    pub version: String,
    /// Path prefix of every endpoint, e.g. `/hams` (no trailing slash).
    pub prefix: String,
    pub registry: Arc<ProbeRegistry>,
    pub shutdown: Shutdown,
    /// `POST <prefix>/shutdown`, when enabled.
    pub endpoint: Option<ShutdownEndpoint>,
    /// Whether this instance owns SIGTERM/SIGINT (its event loop reads them).
    pub signals: AtomicBool,
    /// The application's metrics.
    pub metrics: Arc<crate::metrics::Registry>,
    /// Requests served, by route and status.
    pub http: HttpCounters,
    /// The application's metrics callback.
    pub collector: Arc<Collector>,
    /// Whether a metric family name is taken (built-in or registered).
    pub taken: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

pub(crate) struct ShutdownEndpoint {
    pub token: Option<String>,
    /// How long the request waits for the sequence before a 202.
    pub wait: Duration,
}
