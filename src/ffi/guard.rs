//! The panic boundary every `extern "C"` function runs its body in.

use super::error::{set_last_error, HAMS_OK};
use crate::error::{Error, ErrorKind, Result};
use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a guarded body's success value becomes in C, and what C gets
/// instead when the body fails: so that a body returns `Result<()>`,
/// `Result<c_int>` or `Result<*mut T>` and never spells a code.
pub(super) trait CReturn {
    type C;
    fn success(self) -> Self::C;
    /// `code` is the negative HAMS_ERR_* of the failure.
    fn failure(code: c_int) -> Self::C;
}

/// Functions that only succeed or fail return HAMS_OK or the code.
impl CReturn for () {
    type C = c_int;
    fn success(self) -> c_int {
        HAMS_OK
    }
    fn failure(code: c_int) -> c_int {
        code
    }
}

/// Functions returning a value (a port, 0/1) return it or the code.
impl CReturn for c_int {
    type C = c_int;
    fn success(self) -> c_int {
        self
    }
    fn failure(code: c_int) -> c_int {
        code
    }
}

/// Constructors return the handle or NULL (hams_last_error_code() has the code).
impl<T> CReturn for *mut T {
    type C = *mut T;
    fn success(self) -> *mut T {
        self
    }
    fn failure(_: c_int) -> *mut T {
        std::ptr::null_mut()
    }
}

/// Runs `f` so that no panic crosses into C; a failure or a caught panic
/// becomes this thread's last error and the C failure value.
pub(super) fn guard<T: CReturn>(f: impl FnOnce() -> Result<T>) -> T::C {
    let e = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => return v.success(),
        Ok(Err(e)) => e,
        Err(p) => panic_error(p),
    };
    T::failure(set_last_error(&e))
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(ErrorKind::Panic, format!("internal error (please report): {what}"))
}
