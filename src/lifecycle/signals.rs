//! Opt-in SIGTERM/SIGINT handling through a self-pipe.
//!
//! The handler only writes the signal number to a pipe (async-signal-safe)
//! and chains to the handler that was installed before; the serving
//! thread's event loop reads the pipe and starts the shutdown sequence.
//! Handlers are process-wide, so one `Hams` at a time may own them; the
//! previous handlers come back when it lets go.

use crate::error::{Error, Result};
use crate::sync::lock;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Mutex;

pub(crate) const SIGNALS: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGINT];

/// The pipe is made once and never closed, so a handler running late never
/// writes to a descriptor that was reused for something else.
static PIPE_READ: AtomicI32 = AtomicI32::new(-1);
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The previous handlers, as (sa_sigaction, sa_flags), for chaining.
static PREV_HANDLER: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
static PREV_FLAGS: [AtomicI32; 2] = [AtomicI32::new(0), AtomicI32::new(0)];
/// The process that installed the handlers: a forked child inherits them,
/// and its signals are its own, not a request to stop the parent.
static OWNER_PID: AtomicI32 = AtomicI32::new(0);

/// Set by the handler before it writes to the pipe: the event loop reads
/// the pipe before answering anything once it is set, so that no request
/// handled after the signal arrived is answered as if it had not.
static RAISED: AtomicBool = AtomicBool::new(false);

/// The full previous dispositions, restored on release; `Some` while owned.
static OWNED: Mutex<Option<[libc::sigaction; 2]>> = Mutex::new(None);

extern "C" fn on_signal(signo: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: only async-signal-safe calls: errno access, write(2), and the
    // previous handler, which was itself installed as a signal handler.
    unsafe {
        let errno = *libc::__errno_location();
        let fd = PIPE_WRITE.load(Ordering::Relaxed);
        let owner = libc::getpid() == OWNER_PID.load(Ordering::Relaxed);
        if fd >= 0 && owner {
            RAISED.store(true, Ordering::Release);
            let b = signo as u8;
            libc::write(fd, (&b as *const u8).cast(), 1);
        }
        if let Some(i) = SIGNALS.iter().position(|&s| s == signo) {
            let prev = PREV_HANDLER[i].load(Ordering::Relaxed);
            let flags = PREV_FLAGS[i].load(Ordering::Relaxed);
            if !owner && prev == libc::SIG_DFL {
                // A forked child that kept hams' handler: the signal does
                // what it would have done without hams (sigaction and raise
                // are async-signal-safe).
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signo, &sa, std::ptr::null_mut());
                libc::raise(signo);
            }
            // A one-shot handler (SA_RESETHAND, as Node's) re-raises the
            // signal expecting the default disposition; with ours in place
            // that would loop, and honouring it would kill the process the
            // application asked hams to stop gracefully. It is not chained.
            if prev != libc::SIG_DFL && prev != libc::SIG_IGN && flags & libc::SA_RESETHAND == 0 {
                if flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(prev);
                    f(signo, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev);
                    f(signo);
                }
            }
        }
        *libc::__errno_location() = errno;
    }
}

fn make_pipe() -> Result<RawFd> {
    let r = PIPE_READ.load(Ordering::Acquire);
    if r >= 0 {
        return Ok(r);
    }
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(Error::io("cannot create the signal pipe", std::io::Error::last_os_error()));
    }
    PIPE_WRITE.store(fds[1], Ordering::Release);
    PIPE_READ.store(fds[0], Ordering::Release);
    Ok(fds[0])
}

/// Installs the handlers; an error if another `Hams` owns them already.
/// Returns the pipe's read end.
pub(crate) fn acquire() -> Result<RawFd> {
    let mut owned = lock(&OWNED);
    if owned.is_some() {
        return Err(Error::state("signals are already handled by another hams instance"));
    }
    let fd = make_pipe()?;
    drain(fd, |_| {}); // nothing left over from an earlier owner
                       // SAFETY: plain sigaction(2) calls with zero-initialised structs.
    unsafe {
        OWNER_PID.store(libc::getpid(), Ordering::Relaxed);
        let mut prev: [libc::sigaction; 2] = std::mem::zeroed();
        for (i, &sig) in SIGNALS.iter().enumerate() {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, std::ptr::null(), &mut prev[i]) != 0 {
                return Err(Error::io("cannot read a signal disposition", std::io::Error::last_os_error()));
            }
            PREV_HANDLER[i].store(prev[i].sa_sigaction, Ordering::Relaxed);
            PREV_FLAGS[i].store(prev[i].sa_flags, Ordering::Relaxed);
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                let e = std::io::Error::last_os_error();
                for (j, &s) in SIGNALS.iter().enumerate().take(i) {
                    libc::sigaction(s, &prev[j], std::ptr::null_mut());
                }
                return Err(Error::io("cannot install a signal handler", e));
            }
        }
        *owned = Some(prev);
    }
    log::info!(target: "hams::signals", "handling SIGTERM and SIGINT");
    Ok(fd)
}

/// Restores the handlers that were there before `acquire`.
pub(crate) fn release() {
    let mut owned = lock(&OWNED);
    if let Some(prev) = owned.take() {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: restores a disposition read by sigaction(2) earlier.
            unsafe { libc::sigaction(sig, &prev[i], std::ptr::null_mut()) };
        }
        log::info!(target: "hams::signals", "previous signal handlers restored");
    }
}

/// Reads the signals waiting in the pipe and calls `f` for each.
pub(crate) fn drain(fd: RawFd, mut f: impl FnMut(libc::c_int)) {
    // Cleared first: a signal arriving meanwhile sets it again after its byte is in the pipe.
    RAISED.store(false, Ordering::Release);
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reads into a local buffer of the given length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return;
        }
        for &b in &buf[..n as usize] {
            f(libc::c_int::from(b));
        }
    }
}

/// Whether a signal arrived that `drain` has not read yet.
pub(crate) fn raised() -> bool {
    RAISED.load(Ordering::Acquire)
}

/// The signal pipe's read end, once made.
pub(crate) fn pipe_fd() -> Option<RawFd> {
    let fd = PIPE_READ.load(Ordering::Acquire);
    (fd >= 0).then_some(fd)
}
