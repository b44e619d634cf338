//! Workers mode: one endpoint for a pre-fork server and its workers.
//!
//! The parent makes the tree's region (`shm`), puts its own metrics there
//! (slot 0), names the region in `$HAMS_WORKERS`, and runs the watcher: a
//! thread that every `TICK` sees which workers are alive (pid and start
//! time), folds an exited one's counters into the retired totals
//! (`metrics::tree`), and shows each worker's probes as `<name>@<pid>`.
//! Workers join with an inherited handle (forked) or `attach` (spawned).

use crate::error::Result;
use crate::health::probe::ProbeState;
use crate::health::probe_registry::ProbeRegistry;
use crate::health::shared::Remote;
use crate::health::{validate_name, Checks};
use crate::metrics::shared::SharedStore;
use crate::metrics::tree::TreeMetrics;
use crate::metrics::MetricRegistry;
use crate::process::{current_pid, is_alive};
use crate::shm::reader::{self, Member};
use crate::shm::records::Record;
use crate::shm::region::ENV;
use crate::shm::{Region, Writer};
use crate::sync::lock;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the watcher looks: a worker's exit is seen within this.
const TICK: Duration = Duration::from_millis(200);

/// What a process of the tree holds: the parent's watcher, or nothing.
pub(crate) struct Parent {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    env_value: String,
}

/// Makes the region and puts the parent's metrics and the workers' probes
/// in it; the scrape then serves the tree's metrics.
pub(crate) fn enable(
    capacity_kib: u64,
    min_ready: u32,
    metrics: &MetricRegistry,
    probes: &Arc<ProbeRegistry>,
) -> Result<(Parent, Arc<TreeMetrics>)> {
    let region = Arc::new(Region::create(capacity_kib)?);
    let writer = Arc::new(Writer::parent(region.clone())?);
    metrics.share(SharedStore::new(writer.clone()))?;
    probes.publish_to(writer, current_pid())?;
    probes.set_workers(0, min_ready);
    let tree = Arc::new(TreeMetrics::new(region.clone()));
    let env_value = region.env_value();
    // Read by children when they start (the environment is inherited).
    std::env::set_var(ENV, &env_value);
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let mut watch = Watch { region, tree: tree.clone(), probes: probes.clone(), min_ready, shown: HashMap::new() };
    let stop2 = stop.clone();
    let thread = std::thread::Builder::new()
        .name("hams-workers".into())
        .spawn(move || loop {
            watch.tick();
            let (m, cv) = &*stop2;
            let stopped = lock(m);
            let (stopped, _) = cv.wait_timeout(stopped, TICK).unwrap_or_else(|e| e.into_inner());
            if *stopped {
                return;
            }
        })
        .map_err(|e| crate::error::Error::io("cannot start the workers' watcher thread", e))?;
    Ok((Parent { stop, thread: Some(thread), env_value }, tree))
}

/// A worker's side: publishes its metrics and probes to the tree named by
/// `$HAMS_WORKERS`, and takes its slot now (so that it counts as attached).
pub(crate) fn join(metrics: &MetricRegistry, probes: &ProbeRegistry) -> Result<()> {
    let region = Arc::new(Region::attach_env()?);
    let writer = Arc::new(Writer::worker(region));
    writer.join()?;
    metrics.share(SharedStore::new(writer.clone()))?;
    probes.publish_to(writer, 0)
}

impl Drop for Parent {
    fn drop(&mut self) {
        let (m, cv) = &*self.stop;
        *lock(m) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // Children started from now on must not look for a region that is gone.
        if std::env::var(ENV).is_ok_and(|v| v == self.env_value) {
            std::env::remove_var(ENV);
        }
    }
}

/// The watcher's state.
struct Watch {
    region: Arc<Region>,
    tree: Arc<TreeMetrics>,
    probes: Arc<ProbeRegistry>,
    min_ready: u32,
    /// Worker probes shown, by (pid, address of their cells).
    shown: HashMap<(u32, usize), Arc<ProbeState>>,
}

impl Watch {
    fn tick(&mut self) {
        let mut members = Vec::new();
        reader::members(&self.region, &mut members);
        let mut live = Vec::new();
        for m in members.into_iter().filter(|m| m.slot != 0) {
            if is_alive(m.pid, m.start) {
                live.push(m);
            } else {
                self.drop_probes(|&(pid, _)| pid == m.pid);
                self.tree.retire(m.slot);
                log::debug!(target: "hams::workers", "worker {} left the tree", m.pid);
            }
        }
        self.show_probes(&live);
        // A process may hold two slots (an inherited handle and an attached one).
        let mut pids: Vec<u32> = live.iter().map(|m| m.pid).collect();
        pids.sort_unstable();
        pids.dedup();
        self.probes.set_workers(pids.len() as u32, self.min_ready);
    }

    /// Stops showing the probes `gone` names, and those their worker
    /// unregistered.
    fn drop_probes(&mut self, gone: impl Fn(&(u32, usize)) -> bool) {
        let probes = &self.probes;
        self.shown.retain(|key, p| {
            let keep = !gone(key) && !p.is_removed_remote();
            if !keep {
                probes.remove(p);
            }
            keep
        });
    }

    /// Shows every live worker's probes, and only those.
    fn show_probes(&mut self, live: &[Member]) {
        let mut seen = std::collections::HashSet::new();
        let mut buf = Vec::new();
        for m in live {
            reader::records(&self.region, m.slot, &mut buf, |r, cells| {
                let Record::Probe(p) = r else { return };
                let Some(addr) = cells.addr(p.cells) else { return };
                let key = (m.pid, addr as usize);
                seen.insert(key);
                if self.shown.contains_key(&key) {
                    return;
                }
                let Ok(checks) = Checks::from_bits(u32::from(p.checks)) else { return };
                if validate_name(p.name).is_err() {
                    return;
                }
                // SAFETY: `parse` checked that the record holds its cells.
                let remote = unsafe { Remote::new(self.region.clone(), addr, p.kind, p.limit_ns) };
                if remote.is_removed() {
                    return;
                }
                let state = Arc::new(ProbeState::remote(format!("{}@{}", p.name, m.pid), checks, remote));
                self.probes.add_remote(state.clone());
                self.shown.insert(key, state);
            });
        }
        self.drop_probes(|key| !seen.contains(key));
    }
}
