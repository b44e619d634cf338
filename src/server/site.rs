//! What the server serves: each part is owned elsewhere (the probes by the
//! health model, the shutdown sequence by the lifecycle, the metrics by the
//! scrape) except the request counters, which are the server's own.

use super::counters::HttpCounters;
use crate::health::probe_registry::ProbeRegistry;
use crate::lifecycle::shutdown::Shutdown;
use crate::metrics::scrape::Scrape;
use crate::runtime_info::SharedRuntime;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Who answers, and where: the service's name and version, and the path
/// prefix of every endpoint (e.g. `/hams`, no trailing slash).
pub(crate) struct Identity {
    pub name: String,
    pub version: String,
    pub prefix: String,
    /// The language runtime and binding, when one said (shared with the scrape).
    pub runtime: SharedRuntime,
}

/// `POST <prefix>/shutdown`, when enabled.
pub(crate) struct ShutdownEndpoint {
    pub token: Option<String>,
    /// How long the request waits for the sequence before a 202.
    pub wait: Duration,
}

pub(crate) struct Site {
    pub(super) identity: Identity,
    pub(super) probes: Arc<ProbeRegistry>,
    pub(super) shutdown: Shutdown,
    pub(super) endpoint: Option<ShutdownEndpoint>,
    /// Whether this instance owns SIGTERM/SIGINT (the event loop reads them).
    pub(super) signals: Arc<AtomicBool>,
    pub(super) scrape: Scrape,
    pub(super) http: HttpCounters,
}

impl Site {
    pub(super) fn new(
        identity: Identity,
        probes: Arc<ProbeRegistry>,
        shutdown: Shutdown,
        endpoint: Option<ShutdownEndpoint>,
        signals: Arc<AtomicBool>,
        scrape: Scrape,
        http: HttpCounters,
    ) -> Site {
        Site { identity, probes, shutdown, endpoint, signals, scrape, http }
    }

    pub(crate) fn scrape(&self) -> &Scrape {
        &self.scrape
    }

    pub(crate) fn name(&self) -> &str {
        &self.identity.name
    }

    pub(crate) fn runtime(&self) -> &SharedRuntime {
        &self.identity.runtime
    }
}
