//! Return codes and this thread's last error, what C sees of a failure.

use crate::error::{Error, ErrorKind};
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, CString};

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

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    static LAST_CODE: Cell<c_int> = const { Cell::new(0) };
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

/// Records `e` as this thread's last error and returns its code.
pub(super) fn set_last_error(e: &Error) -> c_int {
    let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = msg);
    let c = code(e.kind());
    LAST_CODE.with(|l| l.set(c));
    c
}

/// The error for a NULL pointer argument.
pub(super) fn null(what: &str) -> Error {
    Error::new(ErrorKind::Null, format!("{what} is NULL"))
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
