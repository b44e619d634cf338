//! The embedded HTTP server: one thread, one mio event loop.
//!
//! The loop sleeps until a socket is ready or the nearest deadline; with no
//! connections and no deadlines it sleeps without a timeout, so an idle
//! server causes no wake-ups at all.
//!
//! A request goes `conn` (bytes) -> `http` (parsed head) -> `route` (the
//! route table in `endpoints`) -> a handler in `endpoints/`, which sees only
//! the `Site`. New endpoints are a row in the table and a handler file.

pub(crate) mod conn;
mod counters;
mod endpoints;
mod exchange;
pub(crate) mod http;
mod limits;
mod render_thread;
mod route;
mod site;
mod status;

use crate::error::{Error, Result};
use crate::health::probe_registry::ProbeRegistry;
use crate::lifecycle::shutdown::Shutdown;
use crate::metrics::scrape::Scrape;
use conn::{Conn, Next, Scratch};
use counters::HttpCounters;
use endpoints::ENDPOINTS;
use exchange::Wait;
pub use limits::Limits;
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};
pub(crate) use render_thread::render_here;
use render_thread::{Done, RenderThread};
pub(crate) use site::{Identity, ShutdownEndpoint, Site};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the server serves, with a request counter for each endpoint of the route table.
pub(crate) fn site(
    identity: Identity,
    probes: Arc<ProbeRegistry>,
    shutdown: Shutdown,
    endpoint: Option<ShutdownEndpoint>,
    signals: Arc<AtomicBool>,
    scrape: Scrape,
) -> Site {
    let http = HttpCounters::new(&identity.prefix, ENDPOINTS.iter().map(|e| e.path));
    Site::new(identity, probes, shutdown, endpoint, signals, scrape, http)
}

const LISTENER: Token = Token(usize::MAX);
const WAKER: Token = Token(usize::MAX - 1);
const SIGNALS: Token = Token(usize::MAX - 2);
/// After accept fails for lack of descriptors, wait this long before trying
/// again instead of spinning on a listener that stays readable.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A started server; stopping joins its thread.
pub(crate) struct Running {
    port: u16,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
    site: Arc<Site>,
    render: RenderThread,
    /// The shutdown listener that wakes this loop.
    listener: u64,
}

impl Running {
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn stop(mut self) {
        self.shut_down();
    }

    /// Makes the loop look again at state the application changed
    /// (signal ownership).
    pub(crate) fn wake(&self) {
        let _ = self.waker.wake();
    }

    fn shut_down(&mut self) {
        self.site.shutdown.remove_listener(self.listener);
        self.stop.store(true, Ordering::Release);
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.render.stop();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Binds `addr` (so that a busy port is an error here, not a dead thread
/// later), then serves on a new thread.
pub(crate) fn start(site: Arc<Site>, addr: SocketAddr, limits: Limits) -> Result<Running> {
    let mut listener = TcpListener::bind(addr).map_err(|e| Error::io(format!("cannot listen on {addr}"), e))?;
    let bound = listener.local_addr().map_err(|e| Error::io("cannot read the bound address", e))?;
    let port = bound.port();
    let poll = Poll::new().map_err(|e| Error::io("cannot create the event loop", e))?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(|e| Error::io("cannot create a waker", e))?);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .map_err(|e| Error::io("cannot register the listener", e))?;
    let stop = Arc::new(AtomicBool::new(false));
    let wake = waker.clone();
    let shutdown_listener = site.shutdown.add_listener(Arc::new(move |_| {
        let _ = wake.wake();
    }));
    let render = RenderThread::new(site.clone(), waker.clone());
    let mut server = Server {
        poll,
        listener,
        site: site.clone(),
        signals: None,
        parked: Vec::new(),
        render: render.clone(),
        done: Vec::new(),
        again: Vec::new(),
        again_next: Vec::new(),
        limits,
        stop: stop.clone(),
        conns: Vec::new(),
        free: Vec::new(),
        active: 0,
        scratch: Scratch::new(),
        next_sweep: None,
        accept_paused_until: None,
    };
    server.sync_signals();
    let spawned = std::thread::Builder::new().name("hams-server".into()).spawn(move || {
        log::info!(target: "hams::server", "serving on {bound}");
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.run())).is_err() {
            log::error!(target: "hams::server", "the server thread panicked and stopped serving");
        }
    });
    let thread = match spawned {
        Ok(t) => t,
        Err(e) => {
            site.shutdown.remove_listener(shutdown_listener);
            return Err(Error::io("cannot start the server thread", e));
        }
    };
    Ok(Running { port, stop, waker, thread: Some(thread), site, render, listener: shutdown_listener })
}

struct Server {
    poll: Poll,
    listener: TcpListener,
    site: Arc<Site>,
    /// The signal pipe, while registered with this loop.
    signals: Option<std::os::fd::RawFd>,
    /// Connections holding a request that waits (shutdown, scrape).
    parked: Vec<usize>,
    render: RenderThread,
    /// Responses taken from the render thread (kept for its capacity).
    done: Vec<Done>,
    /// Connections that used their turn with work left, and the next batch.
    again: Vec<usize>,
    again_next: Vec<usize>,
    limits: Limits,
    stop: Arc<AtomicBool>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    active: usize,
    scratch: Scratch,
    /// No deadline is due before this; deadlines are only scanned then.
    next_sweep: Option<Instant>,
    accept_paused_until: Option<Instant>,
}

impl Server {
    fn run(&mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            let timeout = if self.again.is_empty() {
                self.next_sweep.map(|t| t.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                log::error!(target: "hams::server", "event loop failed: {e}");
                return;
            }
            if self.stop.load(Ordering::Acquire) {
                self.finish();
                log::info!(target: "hams::server", "stopped");
                return;
            }
            for event in events.iter() {
                self.take_raised_signal();
                match event.token() {
                    LISTENER if self.accept_paused_until.is_none() => self.accept(),
                    LISTENER => {}
                    WAKER => {
                        self.sync_signals();
                        self.deliver_scrapes();
                        self.answer_parked(false);
                    }
                    SIGNALS => {
                        if let Some(fd) = self.signals {
                            crate::lifecycle::signals::drain(fd, |sig| self.site.shutdown.on_signal(sig));
                        }
                    }
                    Token(idx) => {
                        if event.is_read_closed() {
                            if let Some(Some(conn)) = self.conns.get_mut(idx) {
                                conn.peer_closed = true;
                            }
                        }
                        self.drive_on(idx, event.is_readable() || event.is_read_closed() || event.is_error())
                    }
                }
            }
            // Then one more turn for each connection that had work left.
            self.take_raised_signal();
            let mut again = std::mem::take(&mut self.again);
            for idx in again.drain(..) {
                self.drive(idx);
            }
            self.again = std::mem::replace(&mut self.again_next, again);
            if self.next_sweep.is_some_and(|t| Instant::now() >= t) {
                self.sweep();
            }
        }
    }

    /// A signal that came before the event at hand is seen before that
    /// event is answered (one atomic load when none came).
    fn take_raised_signal(&mut self) {
        if let Some(fd) = self.signals.filter(|_| crate::lifecycle::signals::raised()) {
            crate::lifecycle::signals::drain(fd, |sig| self.site.shutdown.on_signal(sig));
        }
    }

    /// On stop: answers what can be answered (a shutdown request whose
    /// sequence is done: the application may stop right after `wait`) and
    /// writes out what the sockets take, before the connections close.
    fn finish(&mut self) {
        self.deliver_scrapes();
        self.answer_parked(false);
        for idx in 0..self.conns.len() {
            if let Some(conn) = self.conns[idx].as_mut() {
                conn.flush_before_close();
            }
        }
    }

    fn accept(&mut self) {
        loop {
            let (mut stream, _) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::ConnectionAborted) => continue,
                Err(e) => {
                    // EMFILE and friends: the pending connection stays queued
                    // and the listener readable; back off rather than spin.
                    log::warn!(target: "hams::server", "accept failed: {e}; retrying in {ACCEPT_BACKOFF:?}");
                    let until = Instant::now() + ACCEPT_BACKOFF;
                    self.accept_paused_until = Some(until);
                    self.wake_at(until);
                    return;
                }
            };
            if self.active >= self.limits.max_connections {
                log::debug!(target: "hams::server", "connection limit {} reached; closing a new connection", self.limits.max_connections);
                continue; // dropping `stream` closes it
            }
            let _ = stream.set_nodelay(true);
            let idx = self.free.pop().unwrap_or_else(|| {
                self.conns.push(None);
                self.conns.len() - 1
            });
            if let Err(e) =
                self.poll.registry().register(&mut stream, Token(idx), Interest::READABLE | Interest::WRITABLE)
            {
                log::warn!(target: "hams::server", "cannot register a connection: {e}");
                self.free.push(idx);
                continue;
            }
            let conn = Conn::new(stream, Instant::now(), &self.limits);
            self.wake_at(conn.deadline);
            self.conns[idx] = Some(conn);
            self.active += 1;
        }
    }

    fn drive(&mut self, idx: usize) {
        self.drive_on(idx, true);
    }

    fn drive_on(&mut self, idx: usize, readable: bool) {
        let Some(Some(conn)) = self.conns.get_mut(idx) else { return };
        match conn.drive(&self.site, &mut self.scratch, &self.limits, readable) {
            Next::Keep => {
                let deadline = conn.deadline;
                match conn.waiting_for() {
                    Some(Wait::Scrape { ticket: 0, job }) => {
                        conn.scrape_queued(self.render.submit(job));
                        if !self.parked.contains(&idx) {
                            self.parked.push(idx);
                        }
                    }
                    Some(Wait::Shutdown) if !self.parked.contains(&idx) => {
                        self.parked.push(idx);
                        // The sequence may have finished before we parked.
                        self.answer_parked(false);
                    }
                    _ => {}
                }
                self.wake_at(deadline);
            }
            Next::Again => {
                if !self.again_next.contains(&idx) {
                    self.again_next.push(idx);
                }
            }
            Next::Close => self.close(idx),
        }
    }

    /// Answers parked requests whose wait is over, and, when `deadlines`
    /// is set, those whose time ran out.
    fn answer_parked(&mut self, deadlines: bool) {
        if self.parked.is_empty() {
            return;
        }
        let shutdown_done = self.site.shutdown.phase() == crate::lifecycle::shutdown::Phase::Done;
        let now = Instant::now();
        let parked = std::mem::take(&mut self.parked);
        for idx in parked {
            let Some(Some(conn)) = self.conns.get_mut(idx) else { continue };
            let Some(wait) = conn.waiting_for() else { continue };
            // A scrape is answered by the render thread (`deliver_scrapes`),
            // here only when that did not happen in time.
            let ready = wait == Wait::Shutdown && shutdown_done;
            if ready || (deadlines && conn.deadline <= now) {
                conn.answer_parked(&self.site, &mut self.scratch, &self.limits);
                self.drive(idx);
            } else {
                self.parked.push(idx);
            }
        }
    }

    /// Hands the render thread's responses to their parked connections
    /// (one that closed meanwhile has none: its response is dropped).
    fn deliver_scrapes(&mut self) {
        self.render.take_done(&mut self.done);
        let mut done = std::mem::take(&mut self.done);
        for Done { ticket, response } in done.drain(..) {
            let found = self.parked.iter().position(|&idx| {
                matches!(self.conns.get(idx), Some(Some(c)) if matches!(c.waiting_for(), Some(Wait::Scrape { ticket: t, .. }) if t == ticket))
            });
            let Some(at) = found else { continue };
            let idx = self.parked.swap_remove(at);
            let Some(Some(conn)) = self.conns.get_mut(idx) else { continue };
            let endpoint = conn.parked_endpoint();
            conn.deliver(response, &self.limits);
            self.site.http.record(endpoint, 200);
            self.drive(idx);
        }
        self.done = done;
    }

    /// Registers or deregisters the signal pipe to match `signals`.
    fn sync_signals(&mut self) {
        use mio::unix::SourceFd;
        let wanted = self.site.signals.load(Ordering::Acquire);
        match (wanted, self.signals) {
            (true, None) => {
                let Some(fd) = crate::lifecycle::signals::pipe_fd() else { return };
                match self.poll.registry().register(&mut SourceFd(&fd), SIGNALS, Interest::READABLE) {
                    Ok(()) => {
                        self.signals = Some(fd);
                        // Signals that came while nobody listened.
                        crate::lifecycle::signals::drain(fd, |sig| self.site.shutdown.on_signal(sig));
                    }
                    Err(e) => log::error!(target: "hams::server", "cannot watch the signal pipe: {e}"),
                }
            }
            (false, Some(fd)) => {
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
                self.signals = None;
            }
            _ => {}
        }
    }

    fn close(&mut self, idx: usize) {
        // Closing the socket takes it out of the epoll set: no epoll_ctl.
        if self.conns[idx].take().is_some() {
            self.free.push(idx);
            self.active -= 1;
            // The last connection gone: no deadline is left to wake up for.
            if self.active == 0 && self.accept_paused_until.is_none() {
                self.next_sweep = None;
            }
        }
    }

    fn wake_at(&mut self, t: Instant) {
        if self.next_sweep.map_or(true, |s| t < s) {
            self.next_sweep = Some(t);
        }
    }

    /// Closes connections whose deadline passed, retries a paused accept,
    /// and finds the next deadline.
    fn sweep(&mut self) {
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        self.answer_parked(true);
        for idx in 0..self.conns.len() {
            let Some(conn) = self.conns[idx].as_mut() else { continue };
            if conn.deadline <= now && conn.waiting_for().is_none() {
                conn.expire();
                self.close(idx);
            } else if next.map_or(true, |n| conn.deadline < n) {
                next = Some(conn.deadline);
            }
        }
        self.next_sweep = next;
        match self.accept_paused_until {
            Some(until) if until <= now => {
                self.accept_paused_until = None;
                self.accept();
            }
            Some(until) => self.wake_at(until),
            None => {}
        }
    }
}
