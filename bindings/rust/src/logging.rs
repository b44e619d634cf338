//! Where libhams' log records go (`hams_set_logger`), process-wide.

use crate::error::{check, Result};
use libc::{c_char, c_int, c_void};
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Receives one record: level (1 error .. 5 trace), target (e.g.
/// `hams::server`), message. Called from any hams thread.
pub type LogCallback = Box<dyn Fn(i32, &str, &str) + Send + Sync>;

unsafe extern "C" fn forward(user: *mut c_void, level: c_int, target: *const c_char, message: *const c_char) {
    // SAFETY: `user` is a leaked LogCallback (below); the strings are
    // NUL-terminated and valid for the call.
    let (f, target, message) = unsafe {
        (
            &*(user as *const LogCallback),
            CStr::from_ptr(target).to_string_lossy(),
            CStr::from_ptr(message).to_string_lossy(),
        )
    };
    // A panic must not unwind into libhams; the record is lost.
    let _ = catch_unwind(AssertUnwindSafe(|| f(level, &target, &message)));
}

/// Routes libhams' records up to `max_level` (0 off .. 5 trace) to
/// `callback`, or with `None` to stderr prefixed `hams: ` (the default, at
/// level 2). A callback replaced later is kept (leaked): libhams may still
/// be calling it on another thread when this returns.
pub fn set_logger(callback: Option<LogCallback>, max_level: i32) -> Result<()> {
    let user = callback.map_or(std::ptr::null_mut(), |f| Box::into_raw(Box::new(f)) as *mut c_void);
    let forward_fn: hams_sys::hams_log_fn = if user.is_null() { None } else { Some(forward) };
    // SAFETY: `user` is NULL or a callback that is never freed.
    check(unsafe { hams_sys::hams_set_logger(forward_fn, user, max_level) }).map(drop)
}
