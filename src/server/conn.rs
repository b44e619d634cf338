//! One connection: its pending bytes, its deadline, and the step that turns
//! readable bytes into written responses.
//!
//! In the steady state (a whole request per read, a whole response per
//! write) nothing here allocates: requests are served straight from the
//! server's shared read buffer and responses written from its shared write
//! buffer. Only a partial head or a partial write is copied into the
//! connection's own buffers.

use super::exchange::{Parked, Wait};
use super::http::{self, Parsed};
use super::limits::Limits;
use super::route::{self, Reply};
use super::site::Site;
use mio::net::TcpStream;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

/// Stop serving pipelined requests once this much output is waiting.
const OUT_HIGH_WATER: usize = 64 * 1024;
/// How long a connection closed after an error keeps draining its input, so
/// that the error response is not destroyed by a reset.
const LINGER: Duration = Duration::from_secs(2);
/// At most this much is written in one turn, so that writing a large scrape
/// to a fast reader does not hold up the other connections.
const WRITE_SLICE: usize = 256 * 1024;
/// Buffers that grew past this are released once empty.
const KEEP_CAPACITY: usize = 16 * 1024;
/// A parked scrape is answered 503 if the render thread has not delivered it
/// this long after the metrics callback's timeout: it is stuck or gone.
const RENDER_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnPhase {
    /// Between requests, with nothing buffered.
    Idle,
    /// A request head has started (or the connection is new); the deadline
    /// was set when it started and is not extended by further bytes.
    Head,
    /// Close once the output is flushed.
    Closing { linger: bool },
    /// Output flushed and write side shut down; input is read and discarded.
    Lingering,
    /// A request waits for its answer (the shutdown sequence, a scrape
    /// being rendered); input after it is left unread.
    Parked,
}

/// What the server should do with the connection after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait for the socket's next readiness.
    Keep,
    /// The connection used its turn with work left: drive it again soon,
    /// after the others (readiness is edge-triggered, so no event will come).
    Again,
    Close,
}

/// Reads one connection may do in one turn, so that a client pipelining
/// without end cannot starve the others (a probe must never wait on them).
const READS_PER_TURN: usize = 4;

/// The server's shared scratch space, lent to one connection at a time.
pub(crate) struct Scratch {
    pub rbuf: Box<[u8]>,
    pub wbuf: Vec<u8>,
    pub body: Vec<u8>,
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            rbuf: vec![0; 16 * 1024].into_boxed_slice(),
            wbuf: Vec::with_capacity(4096),
            body: Vec::with_capacity(4096),
        }
    }
}

/// How far a flush got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flushed {
    All,
    /// The socket takes no more now; its writability brings an event.
    Blocked,
    /// The turn's slice is written and more is pending.
    More,
}

/// How serving a run of input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The input ends inside a request head (or exactly between requests).
    NeedMore,
    /// Enough output is waiting; serve the rest of the input later.
    Backpressure,
    /// The connection closes after the output; `linger` after a refusal.
    Close { linger: bool },
    /// A request must wait for its answer.
    Park(Parked),
}

/// Serves the complete requests at the start of `input`, appending their
/// responses to `out`. Returns how many bytes were consumed and why it stopped.
pub(crate) fn serve(site: &Site, input: &[u8], now_ns: u64, body: &mut Vec<u8>, out: &mut Vec<u8>) -> (usize, End) {
    let mut consumed = 0;
    loop {
        if out.len() >= OUT_HIGH_WATER {
            return (consumed, End::Backpressure);
        }
        let rest = &input[consumed..];
        if rest.is_empty() {
            return (consumed, End::NeedMore);
        }
        match http::parse(rest) {
            Parsed::Partial => return (consumed, End::NeedMore),
            Parsed::Refused(refusal) => {
                site.http.record(None, refusal.status);
                route::refuse(refusal, out);
                return (input.len(), End::Close { linger: true });
            }
            Parsed::Request(req, len) => {
                let reply = route::respond(site, &req, now_ns, body, out);
                consumed += len;
                if let Reply::Park(parked) = reply {
                    return (if parked.wait.keeps_input() { consumed } else { input.len() }, End::Park(parked));
                }
                if !req.keep_alive {
                    return (input.len(), End::Close { linger: false });
                }
            }
        }
    }
}

pub(crate) struct Conn {
    pub stream: TcpStream,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    out_pos: usize,
    /// Input is waiting in `inbuf` because of backpressure.
    stalled: bool,
    phase: ConnPhase,
    /// What a parked request waits for.
    parked: Option<Parked>,
    /// The peer shut its side (EPOLLRDHUP): read on to the end of input.
    pub peer_closed: bool,
    pub deadline: Instant,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, now: Instant, limits: &Limits) -> Conn {
        Conn {
            stream,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            out_pos: 0,
            stalled: false,
            phase: ConnPhase::Head,
            parked: None,
            peer_closed: false,
            deadline: now + limits.header_timeout,
        }
    }

    /// Does all the work the socket allows now: flush, serve, read, repeat.
    /// `readable` is false for an event that only says the socket can be
    /// written: then, with no output waiting, no bytes came and no read is
    /// tried (a new connection's first event, saving an EAGAIN read).
    pub(crate) fn drive(&mut self, site: &Site, scratch: &mut Scratch, limits: &Limits, readable: bool) -> Next {
        let mut reads = 0;
        let mut drained = !readable && self.out_pos == self.outbuf.len() && !self.stalled;
        loop {
            match self.flush() {
                Ok(Flushed::All) => {}
                Ok(Flushed::Blocked) => return Next::Keep,
                Ok(Flushed::More) => return Next::Again,
                Err(_) => return Next::Close,
            }
            match self.phase {
                ConnPhase::Closing { linger: false } => return Next::Close,
                ConnPhase::Closing { linger: true } => {
                    let _ = self.stream.shutdown(Shutdown::Write);
                    self.phase = ConnPhase::Lingering;
                    self.deadline = Instant::now() + LINGER;
                    continue;
                }
                ConnPhase::Lingering => return self.discard_input(&mut scratch.rbuf),
                ConnPhase::Parked => return Next::Keep,
                ConnPhase::Idle | ConnPhase::Head => {}
            }
            if self.stalled {
                self.stalled = false;
                self.serve_inbuf(site, scratch, limits);
                continue;
            }
            // A short read emptied the socket: with edge-triggered readiness
            // new bytes bring a new event, so a read that would only say
            // EAGAIN is saved (one system call per request). Not when the
            // peer has shut its side: its end of input comes with no event.
            if drained {
                return Next::Keep;
            }
            if reads == READS_PER_TURN {
                return Next::Again;
            }
            reads += 1;
            let n = match self.stream.read(&mut scratch.rbuf) {
                Ok(0) => return Next::Close,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Keep,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Next::Close,
            };
            drained = n < scratch.rbuf.len() && !self.peer_closed;
            if self.inbuf.is_empty() {
                // The common case: serve straight from the shared buffer.
                let rbuf = std::mem::take(&mut scratch.rbuf);
                let consumed = self.serve_and_write(site, &rbuf[..n], scratch, limits);
                if consumed < n && !matches!(self.phase, ConnPhase::Closing { .. }) {
                    self.inbuf.extend_from_slice(&rbuf[consumed..n]);
                }
                scratch.rbuf = rbuf;
            } else {
                self.inbuf.extend_from_slice(&scratch.rbuf[..n]);
                self.serve_inbuf(site, scratch, limits);
            }
        }
    }

    fn serve_inbuf(&mut self, site: &Site, scratch: &mut Scratch, limits: &Limits) {
        let mut input = std::mem::take(&mut self.inbuf);
        let consumed = self.serve_and_write(site, &input, scratch, limits);
        if matches!(self.phase, ConnPhase::Closing { .. }) {
            input.clear();
        } else {
            input.drain(..consumed);
        }
        if input.is_empty() && input.capacity() > KEEP_CAPACITY {
            input = Vec::new();
        }
        self.inbuf = input;
    }

    /// Serves `input`, updates phase and deadline, writes what the socket
    /// takes; returns how many bytes of `input` were consumed.
    fn serve_and_write(&mut self, site: &Site, input: &[u8], scratch: &mut Scratch, limits: &Limits) -> usize {
        scratch.wbuf.clear();
        let (consumed, end) = serve(site, input, crate::clock::now_ns(), &mut scratch.body, &mut scratch.wbuf);
        let now = Instant::now();
        match end {
            End::Close { linger } => self.phase = ConnPhase::Closing { linger },
            End::Park(parked) => {
                self.phase = ConnPhase::Parked;
                self.parked = Some(parked);
                self.deadline = now
                    + match parked.wait {
                        Wait::Shutdown => site.endpoint.as_ref().map_or(Duration::ZERO, |e| e.wait),
                        Wait::Scrape { .. } => site.scrape.collector().timeout + RENDER_GRACE,
                    };
            }
            End::Backpressure => self.stalled = true,
            End::NeedMore if consumed == input.len() => {
                self.phase = ConnPhase::Idle;
                self.deadline = now + limits.idle_timeout;
            }
            End::NeedMore => {
                // A new head started: its clock starts now and is not
                // extended by the bytes that follow (slowloris).
                if self.phase == ConnPhase::Idle || consumed > 0 {
                    self.deadline = now + limits.header_timeout;
                }
                self.phase = ConnPhase::Head;
            }
        }
        if !scratch.wbuf.is_empty() {
            self.queue_output(&scratch.wbuf, now, limits);
        }
        consumed
    }

    /// Writes `data` now as far as the socket takes it; keeps the rest.
    fn queue_output(&mut self, data: &[u8], now: Instant, limits: &Limits) {
        let mut written = 0;
        if self.outbuf.is_empty() {
            match write_nonblocking(&mut self.stream, data) {
                Ok(n) => written = n,
                Err(_) => {
                    self.phase = ConnPhase::Closing { linger: false };
                    return;
                }
            }
        }
        if written < data.len() {
            self.outbuf.extend_from_slice(&data[written..]);
            // A client that stops reading gets the idle timeout to resume.
            self.deadline = now + limits.idle_timeout;
        }
    }

    /// Keeps `data` itself as the pending output (written by the next
    /// `flush`), or appends it to what is pending.
    fn queue_owned(&mut self, data: Vec<u8>, now: Instant, limits: &Limits) {
        if self.outbuf.is_empty() {
            self.outbuf = data;
            self.out_pos = 0;
        } else {
            self.outbuf.extend_from_slice(&data);
        }
        self.deadline = now + limits.idle_timeout;
    }

    /// Writes pending output, at most `WRITE_SLICE` of it.
    fn flush(&mut self) -> io::Result<Flushed> {
        if self.out_pos == self.outbuf.len() {
            return Ok(Flushed::All);
        }
        let end = self.outbuf.len().min(self.out_pos + WRITE_SLICE);
        let n = write_nonblocking(&mut self.stream, &self.outbuf[self.out_pos..end])?;
        self.out_pos += n;
        if self.out_pos < end {
            return Ok(Flushed::Blocked);
        }
        if self.out_pos < self.outbuf.len() {
            return Ok(Flushed::More);
        }
        self.out_pos = 0;
        self.outbuf.clear();
        if self.outbuf.capacity() > KEEP_CAPACITY {
            self.outbuf = Vec::new();
        }
        Ok(Flushed::All)
    }

    /// Writes what is pending as far as the socket takes it now, and shuts
    /// the write side so the peer sees the end after the data.
    pub(crate) fn flush_before_close(&mut self) {
        while let Ok(Flushed::More) = self.flush() {}
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads and drops input until the peer closes (lingering close).
    fn discard_input(&mut self, rbuf: &mut [u8]) -> Next {
        loop {
            match self.stream.read(rbuf) {
                Ok(0) => return Next::Close,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Keep,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
    }

    /// What a parked request waits for (None when not parked).
    pub(crate) fn waiting_for(&self) -> Option<Wait> {
        if self.phase == ConnPhase::Parked {
            self.parked.map(|p| p.wait)
        } else {
            None
        }
    }

    /// The endpoint of the parked request.
    pub(crate) fn parked_endpoint(&self) -> Option<usize> {
        self.parked.map(|p| p.endpoint)
    }

    /// The scrape this connection parked on was queued as `ticket`.
    pub(crate) fn scrape_queued(&mut self, ticket: u64) {
        if let Some(Parked { wait: Wait::Scrape { ticket: t, .. }, .. }) = self.parked.as_mut() {
            *t = ticket;
        }
    }

    /// Answers the parked request: its wait is over or (a scrape) ran out.
    pub(crate) fn answer_parked(&mut self, site: &Site, scratch: &mut Scratch, limits: &Limits) {
        let Some(parked) = self.parked.take() else { return };
        scratch.wbuf.clear();
        route::resume(site, parked, &mut scratch.wbuf);
        self.unpark(parked.wait, limits);
        let wbuf = std::mem::take(&mut scratch.wbuf);
        self.queue_output(&wbuf, Instant::now(), limits);
        scratch.wbuf = wbuf;
    }

    /// Sends the render thread's `response` to the parked scrape; the buffer
    /// is kept as the pending output, not copied, when the socket does not
    /// take it all at once.
    pub(crate) fn deliver(&mut self, response: Vec<u8>, limits: &Limits) {
        let Some(parked) = self.parked.take() else { return };
        self.unpark(parked.wait, limits);
        self.queue_owned(response, Instant::now(), limits);
    }

    fn unpark(&mut self, wait: Wait, limits: &Limits) {
        match wait {
            Wait::Shutdown => self.phase = ConnPhase::Closing { linger: true },
            Wait::Scrape { job, .. } => {
                if job.connection == http::Connection::Close {
                    self.phase = ConnPhase::Closing { linger: false };
                } else {
                    self.phase = ConnPhase::Idle;
                    self.deadline = Instant::now() + limits.idle_timeout;
                    self.stalled = !self.inbuf.is_empty();
                }
            }
        }
    }

    /// Called when the deadline passed. A request head that took too long
    /// gets a best-effort 408; everything else just closes.
    pub(crate) fn expire(&mut self) {
        if self.phase == ConnPhase::Head && !self.inbuf.is_empty() && self.outbuf.is_empty() {
            let mut out = Vec::new();
            route::refuse(http::Refusal { status: 408, message: "request head not received in time" }, &mut out);
            let _ = write_nonblocking(&mut self.stream, &out);
        }
    }
}

/// Writes as much of `data` as the socket takes without blocking.
fn write_nonblocking(stream: &mut TcpStream, data: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < data.len() {
        match stream.write(&data[written..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}
