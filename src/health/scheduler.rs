//! Runs callback probes off the serving thread.
//!
//! One scheduler thread per `Hams` exists while it has callback probes. Each
//! run of a callback happens on a short-lived thread of its own, so a callback
//! that hangs delays neither the HTTP server nor any other probe: its probe
//! reads as timed out (see `ProbeState::with_verdict`) and it is not started
//! again until the hung run returns.

use super::probe::ProbeState;
use crate::clock::{ms_to_ns, now_ns};
use crate::error::{Error, Result};
use crate::process::current_pid;
use crate::sync::lock;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A callback probe's function: `Ok(())` when healthy, `Err(reason)` when not.
pub type ProbeFn = Box<dyn FnMut() -> std::result::Result<(), String> + Send>;

/// The function of one callback probe. `free` takes the lock to drop it, which
/// waits for a run in progress; after that it is never called again.
struct Callable {
    func: Mutex<Option<ProbeFn>>,
    /// Set when the probe is removed from inside its own callback.
    removed: AtomicBool,
}

struct Job {
    probe: Arc<ProbeState>,
    callable: Arc<Callable>,
    interval_ns: u64,
    next_due_ns: u64,
    running: bool,
}

#[derive(Default)]
struct State {
    jobs: Vec<Job>,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
pub(crate) struct ProbeScheduler {
    shared: Arc<Shared>,
    /// Held while the scheduler thread is started or joined.
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The process the thread runs in: after `fork` the child has a copy of
    /// the handle and the jobs, but no thread.
    pid: AtomicU32,
}

thread_local! {
    /// The probe whose callback this thread is running, if any.
    static RUNNING: Cell<*const ProbeState> = const { Cell::new(std::ptr::null()) };
}

impl ProbeScheduler {
    /// Schedules `func` for `probe`: first run at once, then `interval_ms`
    /// after each run ends.
    pub(crate) fn add(&self, probe: Arc<ProbeState>, func: ProbeFn, interval_ms: u64) -> Result<()> {
        let mut thread = lock(&self.thread);
        self.forget_if_inherited(&mut thread);
        let callable = Arc::new(Callable { func: Mutex::new(Some(func)), removed: AtomicBool::new(false) });
        let job = Job { probe, callable, interval_ns: ms_to_ns(interval_ms), next_due_ns: 0, running: false };
        lock(&self.shared.state).jobs.push(job);
        if thread.is_none() {
            lock(&self.shared.state).stop = false;
            let shared = self.shared.clone();
            // The thread names predate the type names; they are documented, so kept.
            let spawned = std::thread::Builder::new().name("hams-checker".into()).spawn(move || schedule(&shared));
            match spawned {
                Ok(handle) => {
                    *thread = Some(handle);
                    self.pid.store(current_pid(), Ordering::Release);
                }
                Err(e) => {
                    lock(&self.shared.state).jobs.pop();
                    return Err(Error::io("cannot start the probe scheduler thread", e));
                }
            }
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Unschedules `probe`'s callback and drops it, waiting for a run in
    /// progress unless called from inside that very run. The scheduler thread
    /// ends with the last job.
    pub(crate) fn remove(&self, probe: &Arc<ProbeState>) {
        let mut thread = lock(&self.thread);
        self.forget_if_inherited(&mut thread);
        let (callable, empty) = {
            let mut st = lock(&self.shared.state);
            let pos = st.jobs.iter().position(|j| Arc::ptr_eq(&j.probe, probe));
            let callable = pos.map(|i| st.jobs.remove(i).callable);
            let empty = st.jobs.is_empty();
            if empty {
                st.stop = true;
            }
            (callable, empty)
        };
        self.shared.wake.notify_one();
        if empty {
            if let Some(handle) = thread.take() {
                let _ = handle.join();
            }
        }
        drop(thread);
        if let Some(callable) = callable {
            callable.removed.store(true, Ordering::Release);
            if RUNNING.with(|r| r.get()) != Arc::as_ptr(probe) {
                lock(&callable.func).take();
            }
        }
    }

    /// In a forked child: the thread and its jobs are the parent's. The
    /// handle is forgotten (joining a thread that is not in this process
    /// would fail) and the jobs dropped (their callbacks are the parent's).
    fn forget_if_inherited(&self, thread: &mut Option<JoinHandle<()>>) {
        if thread.is_some() && self.pid.load(Ordering::Acquire) != current_pid() {
            std::mem::forget(thread.take());
            lock(&self.shared.state).jobs.clear();
        }
    }

    /// Removes every job (used when the `Hams` is dropped).
    pub(crate) fn remove_all(&self) {
        let probes: Vec<Arc<ProbeState>> = lock(&self.shared.state).jobs.iter().map(|j| j.probe.clone()).collect();
        for p in &probes {
            self.remove(p);
        }
    }
}

/// The scheduler: sleeps until the next job is due, starts due jobs on run
/// threads, and exits when told to stop.
fn schedule(shared: &Arc<Shared>) {
    let mut st = lock(&shared.state);
    loop {
        if st.stop {
            return;
        }
        let now = now_ns();
        let mut next_due: Option<u64> = None;
        for job in st.jobs.iter_mut().filter(|j| !j.running) {
            if job.next_due_ns <= now {
                job.running = true;
                job.probe.begin_run(now);
                start_run(shared, job);
            } else {
                next_due = Some(next_due.map_or(job.next_due_ns, |d: u64| d.min(job.next_due_ns)));
            }
        }
        st = match next_due {
            Some(due) => {
                let wait = Duration::from_nanos(due.saturating_sub(now));
                shared.wake.wait_timeout(st, wait).unwrap_or_else(|e| e.into_inner()).0
            }
            None => shared.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
        };
    }
}

fn start_run(shared: &Arc<Shared>, job: &mut Job) {
    let probe = job.probe.clone();
    let callable = job.callable.clone();
    let shared2 = shared.clone();
    let spawned =
        std::thread::Builder::new().name("hams-check".into()).spawn(move || run_once(&shared2, probe, callable));
    if let Err(e) = spawned {
        job.probe.end_run(Err(format!("cannot start a callback thread: {e}")), now_ns());
        job.running = false;
        job.next_due_ns = now_ns() + job.interval_ns;
    }
}

fn run_once(shared: &Shared, probe: Arc<ProbeState>, callable: Arc<Callable>) {
    RUNNING.with(|r| r.set(Arc::as_ptr(&probe)));
    let result = {
        let mut func = lock(&callable.func);
        match func.as_mut() {
            Some(f) if !callable.removed.load(Ordering::Acquire) => {
                let r = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err("check panicked".to_string()));
                if callable.removed.load(Ordering::Acquire) {
                    func.take();
                }
                Some(r)
            }
            _ => None,
        }
    };
    RUNNING.with(|r| r.set(std::ptr::null()));
    let Some(result) = result else { return };
    let now = now_ns();
    probe.end_run(result, now);
    let mut st = lock(&shared.state);
    if let Some(job) = st.jobs.iter_mut().find(|j| Arc::ptr_eq(&j.probe, &probe)) {
        job.running = false;
        job.next_due_ns = now + job.interval_ns;
    }
    drop(st);
    shared.wake.notify_one();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Checks;
    use std::sync::atomic::AtomicUsize;
    use std::time::Instant;

    fn wait_until(what: &str, f: impl Fn() -> bool) {
        let t = Instant::now();
        while !f() {
            assert!(t.elapsed() < Duration::from_secs(5), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn runs_at_once_then_on_interval_and_stops_after_remove() {
        let scheduler = ProbeScheduler::default();
        let probe = Arc::new(ProbeState::callback("c", Checks::READY, 1000));
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        scheduler
            .add(
                probe.clone(),
                Box::new(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }),
                20,
            )
            .unwrap();
        wait_until("first run", || probe.is_healthy(now_ns()));
        wait_until("three runs", || runs.load(Ordering::SeqCst) >= 3);
        scheduler.remove(&probe);
        let after = runs.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(runs.load(Ordering::SeqCst), after, "no run after remove returned");
        assert!(lock(&scheduler.thread).is_none(), "scheduler ends with the last job");
    }

    #[test]
    fn a_hung_callback_does_not_delay_another() {
        let scheduler = ProbeScheduler::default();
        let slow = Arc::new(ProbeState::callback("slow", Checks::READY, 30));
        let fast = Arc::new(ProbeState::callback("fast", Checks::READY, 1000));
        let release = Arc::new(AtomicBool::new(false));
        let rel = release.clone();
        scheduler
            .add(
                slow.clone(),
                Box::new(move || {
                    while !rel.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Ok(())
                }),
                10,
            )
            .unwrap();
        let fast_runs = Arc::new(AtomicUsize::new(0));
        let fr = fast_runs.clone();
        scheduler
            .add(
                fast.clone(),
                Box::new(move || {
                    fr.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }),
                10,
            )
            .unwrap();
        wait_until("fast runs while slow hangs", || fast_runs.load(Ordering::SeqCst) >= 5);
        wait_until("slow times out", || !slow.is_healthy(now_ns()));
        slow.with_verdict(now_ns(), |v| assert_eq!(v, crate::health::probe::Verdict::TimedOut { timeout_ms: 30 }));
        release.store(true, Ordering::SeqCst);
        scheduler.remove_all();
    }

    #[test]
    fn panicking_callback_fails_with_reason() {
        let scheduler = ProbeScheduler::default();
        let p = Arc::new(ProbeState::callback("boom", Checks::ALIVE, 1000));
        scheduler.add(p.clone(), Box::new(|| panic!("boom")), 1000).unwrap();
        wait_until("panic recorded", || {
            p.with_verdict(now_ns(), |v| v == crate::health::probe::Verdict::Failed("check panicked"))
        });
        scheduler.remove(&p);
    }
}
