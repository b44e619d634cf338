//! The render thread: scrapes are rendered (and compressed) here, never on the
//! serving thread, so a probe that arrives during a large scrape is answered
//! at once. The loop queues a scrape, parks its connection, and is woken to
//! hand each finished response (a `Vec`, moved, not copied) to its connection.
//!
//! One thread per running server, started by the first scrape and ended after
//! `LINGER` without work or when the server stops: an idle hams has no thread
//! for it, and a scraper in a loop does not pay a thread start per scrape. The
//! metrics callback keeps its own short-lived thread (see `metrics::collector`):
//! it may overrun its timeout, and the render must then go on without it.

use super::endpoints::{late_scrape, render_scrape, RenderBuffers};
use super::exchange::{Parked, ScrapeJob, Wait};
use super::site::Site;
use crate::sync::lock;
use mio::Waker;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the thread waits for another scrape before it ends.
const LINGER: Duration = Duration::from_secs(2);

/// A rendered response for the scrape queued as `ticket`.
pub(crate) struct Done {
    pub ticket: u64,
    pub response: Vec<u8>,
}

struct Queued {
    ticket: u64,
    job: ScrapeJob,
    arrived: Instant,
}

#[derive(Default)]
struct State {
    queue: Vec<Queued>,
    done: Vec<Done>,
    last_ticket: u64,
    /// A thread is alive and will look at the queue.
    running: bool,
    stop: bool,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    site: Arc<Site>,
    /// Wakes the server's loop when responses are done.
    waker: Arc<Waker>,
    state: Mutex<State>,
    work: Condvar,
}

/// The server's handle on its render thread.
#[derive(Clone)]
pub(crate) struct RenderThread {
    shared: Arc<Shared>,
}

impl RenderThread {
    pub(crate) fn new(site: Arc<Site>, waker: Arc<Waker>) -> RenderThread {
        RenderThread {
            shared: Arc::new(Shared { site, waker, state: Mutex::new(State::default()), work: Condvar::new() }),
        }
    }

    /// Queues `job` (starting the thread if none runs); returns its ticket.
    /// If no thread can be started the answer is a 503.
    pub(crate) fn submit(&self, job: ScrapeJob) -> u64 {
        let mut st = lock(&self.shared.state);
        st.last_ticket += 1;
        let ticket = st.last_ticket;
        st.queue.push(Queued { ticket, job, arrived: Instant::now() });
        if st.running {
            drop(st);
            self.shared.work.notify_one();
            return ticket;
        }
        if let Some(old) = st.thread.take() {
            // It has said it ends (`running` is false): this join is short.
            let _ = old.join();
        }
        let shared = self.shared.clone();
        match std::thread::Builder::new().name("hams-render".into()).spawn(move || work(&shared)) {
            Ok(t) => {
                st.running = true;
                st.thread = Some(t);
            }
            Err(e) => {
                log::error!(target: "hams::server", "cannot start the render thread: {e}; answering 503");
                for q in std::mem::take(&mut st.queue) {
                    let mut response = Vec::new();
                    late_scrape(&q.job, &mut response);
                    st.done.push(Done { ticket: q.ticket, response });
                }
                let _ = self.shared.waker.wake();
            }
        }
        ticket
    }

    /// Moves the finished responses into `into`.
    pub(crate) fn take_done(&self, into: &mut Vec<Done>) {
        let mut st = lock(&self.shared.state);
        if !st.done.is_empty() {
            std::mem::swap(&mut st.done, into);
        }
    }

    /// Ends the thread (after the render in progress) and waits for it.
    pub(crate) fn stop(&self) {
        let thread = {
            let mut st = lock(&self.shared.state);
            st.stop = true;
            st.queue.clear();
            st.thread.take()
        };
        self.shared.work.notify_all();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn work(shared: &Shared) {
    lower_priority();
    let mut batch = Vec::new();
    let mut bufs = RenderBuffers::default();
    while next_batch(shared, &mut batch) {
        let with_callback = collect(shared, &batch);
        for q in batch.drain(..) {
            let response =
                catch_unwind(AssertUnwindSafe(|| render_scrape(&shared.site, &q.job, with_callback, &mut bufs)));
            let Ok(response) = response else {
                // Nothing is delivered: the connection gets its 503 at the deadline.
                log::error!(target: "hams::server", "rendering a scrape panicked");
                bufs = RenderBuffers::default();
                continue;
            };
            let mut st = lock(&shared.state);
            if st.stop {
                return;
            }
            st.done.push(Done { ticket: q.ticket, response });
            drop(st);
            let _ = shared.waker.wake();
        }
    }
}

/// Waits for queued scrapes and moves them into `batch`; false when the
/// thread should end (stopped, or nothing came for `LINGER`).
fn next_batch(shared: &Shared, batch: &mut Vec<Queued>) -> bool {
    let mut st = lock(&shared.state);
    loop {
        if st.stop {
            st.running = false;
            return false;
        }
        if !st.queue.is_empty() {
            std::mem::swap(&mut st.queue, batch);
            return true;
        }
        let (guard, waited) = shared.work.wait_timeout(st, LINGER).unwrap_or_else(|e| e.into_inner());
        st = guard;
        if waited.timed_out() && st.queue.is_empty() {
            st.running = false;
            return false;
        }
    }
}

/// Runs the metrics callback once for the batch, if one is installed, and
/// waits for it until the first scrape's timeout; whether its output is fresh.
fn collect(shared: &Shared, batch: &[Queued]) -> bool {
    let collector = shared.site.scrape.collector();
    let Some(target) = collector.request() else { return false };
    let first = batch.iter().map(|q| q.arrived).min().unwrap_or_else(Instant::now);
    let stopping = || lock(&shared.state).stop;
    if collector.wait_for(target, first + collector.timeout, &stopping) {
        return true;
    }
    for _ in batch {
        shared.site.scrape.timed_out();
    }
    false
}

/// Answers a parked scrape on the calling thread, as the render thread
/// would, for harnesses without a server (fuzzing). Returns whether input
/// after it is to be served; false for a request that is not a scrape.
pub(crate) fn render_here(site: &Site, parked: Parked, out: &mut Vec<u8>) -> bool {
    let Wait::Scrape { job, .. } = parked.wait else { return false };
    out.extend_from_slice(&render_scrape(site, &job, false, &mut RenderBuffers::default()));
    site.http.record(Some(parked.endpoint), 200);
    parked.wait.keeps_input()
}

/// Renders yield the CPU to the serving thread (and to the application):
/// when cores are scarce a probe should not queue behind a large scrape.
fn lower_priority() {
    // SAFETY: gettid has no preconditions; setpriority on our own thread id
    // changes only this thread's nice value (Linux threads have their own).
    unsafe {
        let tid = libc::gettid();
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, RENDER_NICE);
    }
}

/// The render thread's nice value (from 0: about a tenth of the CPU share
/// when it competes with a thread at 0).
const RENDER_NICE: libc::c_int = 10;
