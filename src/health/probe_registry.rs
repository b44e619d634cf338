//! The named probes of one `Hams`, and the two facts the built-in states of
//! the checks read: whether startup has passed, and whether shutdown started.
//! What a check answers is decided in `decide`, not here.

use super::probe::ProbeState;
use super::shared::Published;
use super::validate_name;
use crate::error::{Error, Result};
use crate::process::current_pid;
use crate::shm::records::encode_probe;
use crate::shm::Writer;
use crate::sync::{read, write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Workers mode: where a worker's probes are published.
struct Publisher {
    writer: Arc<Writer>,
    /// The parent's pid (its own probes are not published: it decides
    /// them itself); 0 in a worker.
    except_pid: u32,
}

/// No workers mode (see `set_workers`).
const NO_WORKERS: u64 = u64::MAX;

pub(crate) struct ProbeRegistry {
    probes: RwLock<Vec<Arc<ProbeState>>>,
    /// Set the first time the startup check passes; it never fails again.
    startup_passed: AtomicBool,
    /// Set when the shutdown sequence starts: readiness fails from then on.
    shutting_down: AtomicBool,
    publisher: OnceLock<Publisher>,
    /// Workers mode, in the parent: attached workers << 32 | workers.min_ready.
    workers: AtomicU64,
}

impl Default for ProbeRegistry {
    fn default() -> Self {
        ProbeRegistry {
            probes: RwLock::default(),
            startup_passed: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
            publisher: OnceLock::new(),
            workers: AtomicU64::new(NO_WORKERS),
        }
    }
}

impl ProbeRegistry {
    pub(crate) fn add(&self, probe: Arc<ProbeState>) -> Result<()> {
        validate_name(probe.name())?;
        let mut probes = write(&self.probes);
        if probes.iter().any(|p| p.name() == probe.name()) {
            return Err(Error::invalid(format!("a probe named '{}' already exists", probe.name())));
        }
        if let Some(p) = self.publisher.get().filter(|p| p.except_pid != current_pid()) {
            let (kind, limit_ns, healthy) = probe.publishing();
            let rec = encode_probe(kind, probe.checks().bits() as u8, limit_ns, probe.name(), u64::from(healthy))?;
            probe.publish(Published(p.writer.append(&rec)?));
        }
        probes.push(probe);
        Ok(())
    }

    /// A worker's probe, shown by the parent (its name is `<name>@<pid>`).
    pub(crate) fn add_remote(&self, probe: Arc<ProbeState>) {
        write(&self.probes).push(probe);
    }

    pub(crate) fn remove(&self, probe: &Arc<ProbeState>) -> bool {
        let mut probes = write(&self.probes);
        let before = probes.len();
        probes.retain(|p| !Arc::ptr_eq(p, probe));
        let removed = probes.len() != before;
        if removed {
            probe.unpublish();
        }
        removed
    }

    /// Workers mode: publishes the probes registered from now on by a
    /// worker (any process but `except_pid`).
    pub(crate) fn publish_to(&self, writer: Arc<Writer>, except_pid: u32) -> Result<()> {
        self.publisher.set(Publisher { writer, except_pid }).map_err(|_| Error::state("already in workers mode"))
    }

    /// Workers mode, in the parent: how many workers are attached, and how
    /// many readiness needs.
    pub(crate) fn set_workers(&self, attached: u32, min_ready: u32) {
        self.workers.store(u64::from(attached) << 32 | u64::from(min_ready), Ordering::Release);
    }

    pub(crate) fn workers(&self) -> Option<(u32, u32)> {
        let w = self.workers.load(Ordering::Acquire);
        (w != NO_WORKERS).then_some(((w >> 32) as u32, w as u32))
    }

    /// Runs `f` over the probes in registration order, under a read lock that
    /// only registration (hams code, never application code) ever contends.
    pub(crate) fn with_probes<R>(&self, f: impl FnOnce(&[Arc<ProbeState>]) -> R) -> R {
        f(&read(&self.probes))
    }

    pub(crate) fn find(&self, name: &str) -> Option<Arc<ProbeState>> {
        read(&self.probes).iter().find(|p| p.name() == name).cloned()
    }

    pub(crate) fn startup_latched(&self) -> bool {
        self.startup_passed.load(Ordering::Acquire)
    }

    pub(crate) fn latch_startup(&self) {
        self.startup_passed.store(true, Ordering::Release);
    }

    pub(crate) fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Checks;

    #[test]
    fn duplicates_and_removal() {
        let r = ProbeRegistry::default();
        let a = Arc::new(ProbeState::manual("a", Checks::READY, true));
        r.add(a.clone()).unwrap();
        let dup = Arc::new(ProbeState::manual("a", Checks::ALIVE, true));
        assert!(r.add(dup).unwrap_err().message().contains("already exists"));
        assert!(r.add(Arc::new(ProbeState::manual("bad name", Checks::ALIVE, true))).is_err());
        assert!(r.find("a").is_some());
        assert!(r.remove(&a));
        assert!(!r.remove(&a));
        assert!(r.find("a").is_none());
    }
}
