//! The C ABI: thin, guarded calls into the safe API.
//!
//! Every `extern "C"` function checks its arguments (NULL, UTF-8, handle
//! validity), runs inside a panic guard, and maps the core's `Error` to a
//! return code plus this thread's `hams_last_error()` message.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod lifecycle;
mod log;
mod metrics;
mod probe;
mod server;

pub use self::lifecycle::*;
pub use self::log::*;
pub use self::metrics::*;
pub use self::probe::*;
pub use self::server::*;

use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What every int-returning function returns: HAMS_OK (0) on success, a
/// negative code on failure, with hams_last_error() saying why.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hams_result {
    /// Success.
    HAMS_OK = 0,
    /// A required pointer argument was NULL.
    HAMS_ERR_NULL = -1,
    /// An argument is invalid: bad UTF-8, bad name, bad address, bad checks bits.
    HAMS_ERR_INVALID = -2,
    /// The call is not allowed in the current state (start twice, port before start).
    HAMS_ERR_STATE = -3,
    /// The operating system refused (bind failed: port in use, no permission).
    HAMS_ERR_IO = -4,
    /// A configuration could not be applied.
    HAMS_ERR_CONFIG = -5,
    /// An internal error (a panic) was caught; the library remains usable.
    HAMS_ERR_PANIC = -6,
}

pub(crate) const HAMS_OK: c_int = hams_result::HAMS_OK as c_int;

/// The probe takes part in the liveness check (`/hams/alive`).
pub const HAMS_ALIVE: c_uint = 1;
/// The probe takes part in the readiness check (`/hams/ready`).
pub const HAMS_READY: c_uint = 2;
/// The probe takes part in the startup check (`/hams/startup`).
pub const HAMS_STARTUP: c_uint = 4;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    static LAST_CODE: std::cell::Cell<c_int> = const { std::cell::Cell::new(0) };
}

fn code(kind: ErrorKind) -> c_int {
    let r = match kind {
        ErrorKind::Null => hams_result::HAMS_ERR_NULL,
        ErrorKind::Invalid => hams_result::HAMS_ERR_INVALID,
        ErrorKind::State => hams_result::HAMS_ERR_STATE,
        ErrorKind::Io => hams_result::HAMS_ERR_IO,
        ErrorKind::Config => hams_result::HAMS_ERR_CONFIG,
        ErrorKind::Panic => hams_result::HAMS_ERR_PANIC,
    };
    r as c_int
}

fn set_last_error(e: &Error) -> c_int {
    let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = msg);
    let c = code(e.kind());
    LAST_CODE.with(|l| l.set(c));
    c
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(ErrorKind::Panic, format!("internal error (please report): {what}"))
}

/// Runs `f` inside the panic guard; errors become a code and the last error.
fn guard(f: impl FnOnce() -> Result<c_int>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => set_last_error(&e),
        Err(p) => set_last_error(&panic_error(p)),
    }
}

/// Like `guard`, for functions returning a pointer (NULL on error).
fn guard_ptr<T>(f: impl FnOnce() -> Result<*mut T>) -> *mut T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            set_last_error(&e);
            std::ptr::null_mut()
        }
        Err(p) => {
            set_last_error(&panic_error(p));
            std::ptr::null_mut()
        }
    }
}

fn null(what: &str) -> Error {
    Error::new(ErrorKind::Null, format!("{what} is NULL"))
}

/// Borrows a C string argument as UTF-8.
unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null(what));
    }
    CStr::from_ptr(p).to_str().map_err(|e| Error::invalid(format!("{what} is not valid UTF-8 ({e})")))
}

/// The `void *user` an application passes with a callback.
pub(crate) struct UserPtr(*mut c_void);

// SAFETY: every function taking a callback documents that the callback and
// its `user` are called from hams' threads, so the application vouches for
// them being usable there; hams never dereferences the pointer itself.
unsafe impl Send for UserPtr {}
unsafe impl Sync for UserPtr {}

impl UserPtr {
    // A method (not `.0`) so that closures capture the whole `Send` wrapper.
    pub(crate) fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Handles carry a magic number so that a freed or foreign pointer is
/// usually refused instead of used.
trait Handle {
    const MAGIC: u64;
    const WHAT: &'static str;
    fn magic(&self) -> u64;
}

/// A handle owned by a `hams_t` (probes, metrics).
trait Child: Handle {
    fn owner(&self) -> *const server::hams_t;
    /// The owner's list this kind of handle lives in.
    fn siblings(owner: &server::hams_t) -> &Owned<Self>
    where
        Self: Sized;
    fn invalidate(&mut self);
}

/// The handles of one kind a `hams_t` owns; hams_free frees what is left.
struct Owned<T>(std::sync::Mutex<Vec<*mut T>>);

// SAFETY: the pointers are only dereferenced by the thread that removes them
// from the list (under its lock) or by callers holding a live handle.
unsafe impl<T> Send for Owned<T> {}
unsafe impl<T> Sync for Owned<T> {}

impl<T> Default for Owned<T> {
    fn default() -> Self {
        Owned(std::sync::Mutex::new(Vec::new()))
    }
}

impl<T: Child> Owned<T> {
    /// Boxes `child`, keeps it, and returns the handle.
    fn adopt(&self, child: T) -> *mut T {
        let p = Box::into_raw(Box::new(child));
        crate::sync::lock(&self.0).push(p);
        p
    }

    fn find(&self, mut pred: impl FnMut(&T) -> bool) -> Option<*mut T> {
        // SAFETY: pointers in the list are live.
        crate::sync::lock(&self.0).iter().copied().find(|&p| pred(unsafe { &*p }))
    }

    /// Frees every handle left (when the owner is freed).
    unsafe fn release_all(&self) {
        let all = std::mem::take(&mut *crate::sync::lock(&self.0));
        for p in all {
            destroy(p);
        }
    }
}

unsafe fn destroy<T: Child>(p: *mut T) {
    (*p).invalidate();
    drop(Box::from_raw(p));
}

/// Frees one child handle: checks it, takes it off its owner's list, and
/// drops it outside the lock (dropping may wait for a running callback).
unsafe fn free_child<T: Child>(p: *mut T) -> Result<c_int> {
    let owner = handle(handle(p)?.owner())?;
    let mut list = crate::sync::lock(&T::siblings(owner).0);
    let Some(pos) = list.iter().position(|&q| q == p) else {
        return Err(Error::invalid(format!("{} does not belong to its hams_t (already freed?)", T::WHAT)));
    };
    list.swap_remove(pos);
    drop(list);
    destroy(p);
    Ok(HAMS_OK)
}

unsafe fn handle<'a, T: Handle>(p: *const T) -> Result<&'a T> {
    if p.is_null() {
        return Err(null(T::WHAT));
    }
    let h = &*p;
    if h.magic() != T::MAGIC {
        return Err(Error::invalid(format!("{} is not a live {} handle (freed, or not one)", T::WHAT, T::WHAT)));
    }
    Ok(h)
}

/// The library's version, e.g. "0.1.0". The string is static.
#[no_mangle]
pub extern "C" fn hams_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The message of this thread's last failed hams call, or "" if none has
/// failed. Valid until the next failing call on this thread; never NULL.
#[no_mangle]
pub extern "C" fn hams_last_error() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// The HAMS_ERR_* code of this thread's last failed hams call (HAMS_OK if
/// none has failed): the code behind a NULL returned by a constructor.
#[no_mangle]
pub extern "C" fn hams_last_error_code() -> c_int {
    LAST_CODE.with(|l| l.get())
}

/// The boundary's pointer handling, small enough for Miri
/// (`cargo +nightly miri test --lib ffi::`): no sockets, no server.
#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    fn last() -> String {
        unsafe { CStr::from_ptr(hams_last_error()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn null_and_utf8_arguments_are_refused() {
        unsafe {
            assert!(hams_new(null(), c"1".as_ptr()).is_null());
            assert_eq!(hams_last_error_code(), hams_result::HAMS_ERR_NULL as c_int);
            assert_eq!(last(), "service_name is NULL");
            let bad = [0xffu8, 0xfe, 0];
            assert!(hams_new(bad.as_ptr().cast(), c"1".as_ptr()).is_null());
            assert!(last().starts_with("service_name is not valid UTF-8"), "{}", last());
            assert_eq!(hams_start(null_mut()), hams_result::HAMS_ERR_NULL as c_int);
            assert_eq!(hams_probe_kick(null_mut()), hams_result::HAMS_ERR_NULL as c_int);
            hams_free(null_mut());
        }
    }

    #[test]
    fn handles_live_and_die_with_their_owner() {
        unsafe {
            let h = hams_new(c"svc".as_ptr(), c"1".as_ptr());
            assert!(!h.is_null());
            let p = hams_probe_new_manual(h, c"db".as_ptr(), HAMS_READY, false);
            assert!(!p.is_null());
            assert_eq!(hams_probe_get(h, c"db".as_ptr()), p);
            assert!(hams_probe_new_manual(h, c"db".as_ptr(), HAMS_READY, false).is_null(), "duplicate");
            assert_eq!(hams_probe_set(p, false, c"down".as_ptr()), HAMS_OK);
            let labels = [c"code".as_ptr(), c"200".as_ptr(), null()];
            let m = hams_counter_new_labeled(h, c"req_total".as_ptr(), c"Requests.".as_ptr(), labels.as_ptr());
            assert!(!m.is_null());
            assert_eq!(hams_counter_add(m, 2.0), HAMS_OK);
            assert_eq!(hams_gauge_set(m, 1.0), hams_result::HAMS_ERR_INVALID as c_int);
            let odd = [c"code".as_ptr(), null()];
            assert!(hams_gauge_new_labeled(h, c"g".as_ptr(), c"G.".as_ptr(), odd.as_ptr()).is_null());
            assert!(last().contains("has no value"), "{}", last());
            let buckets = [0.1, 1.0];
            let hist = hams_histogram_new(h, c"lat".as_ptr(), c"L.".as_ptr(), buckets.as_ptr(), buckets.len());
            assert_eq!(hams_histogram_observe(hist, 0.5), HAMS_OK);
            assert_eq!(hams_metric_free(m), HAMS_OK);
            assert_eq!(hams_probe_free(p), HAMS_OK);
            assert!(hams_probe_get(h, c"db".as_ptr()).is_null());
            // What is left (the histogram, a kick probe) goes with the owner.
            assert!(!hams_probe_new_kick(h, c"k".as_ptr(), HAMS_ALIVE, 10).is_null());
            hams_free(h);
        }
    }

    #[test]
    fn configuration_from_yaml_declares_probes() {
        unsafe {
            let yaml = c"service: {name: s, version: '1'}\nprobes:\n  - {name: loop, type: kick, checks: [alive], margin_ms: 5}\n";
            let h = hams_new_from_yaml(yaml.as_ptr());
            assert!(!h.is_null(), "{}", last());
            assert!(!hams_probe_get(h, c"loop".as_ptr()).is_null());
            assert_eq!(hams_wait(h, 0), 0);
            assert_eq!(hams_wait(h, -2), hams_result::HAMS_ERR_INVALID as c_int);
            hams_free(h);
            assert!(hams_new_from_yaml(c"service: [".as_ptr()).is_null());
            assert_eq!(hams_last_error_code(), hams_result::HAMS_ERR_CONFIG as c_int);
        }
    }
}
