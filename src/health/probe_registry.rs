//! The named probes of one `Hams`, and the two facts the built-in states of
//! the checks read: whether startup has passed, and whether shutdown started.
//! What a check answers is decided in `decide`, not here.

use super::probe::ProbeState;
use super::validate_name;
use crate::error::{Error, Result};
use crate::sync::{read, write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

#[derive(Default)]
pub(crate) struct ProbeRegistry {
    probes: RwLock<Vec<Arc<ProbeState>>>,
    /// Set the first time the startup check passes; it never fails again.
    startup_passed: AtomicBool,
    /// Set when the shutdown sequence starts: readiness fails from then on.
    shutting_down: AtomicBool,
}

impl ProbeRegistry {
    pub(crate) fn add(&self, probe: Arc<ProbeState>) -> Result<()> {
        validate_name(probe.name())?;
        let mut probes = write(&self.probes);
        if probes.iter().any(|p| p.name() == probe.name()) {
            return Err(Error::invalid(format!("a probe named '{}' already exists", probe.name())));
        }
        probes.push(probe);
        Ok(())
    }

    pub(crate) fn remove(&self, probe: &Arc<ProbeState>) -> bool {
        let mut probes = write(&self.probes);
        let before = probes.len();
        probes.retain(|p| !Arc::ptr_eq(p, probe));
        probes.len() != before
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
