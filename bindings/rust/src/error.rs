//! The error type: the `HAMS_ERR_*` code of a failed call as an `ErrorKind`,
//! and `hams_last_error()`'s message.

use libc::c_int;
use std::ffi::{CStr, CString};
use std::fmt;

/// What went wrong, one kind per `HAMS_ERR_*` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A required pointer was NULL.
    Null,
    /// An argument is not acceptable: bad UTF-8, bad name, bad address, ...
    Invalid,
    /// The call is not allowed in the current state (start twice, port before start).
    State,
    /// The operating system refused something (bind, spawn).
    Io,
    /// A configuration could not be applied.
    Config,
    /// An internal panic was caught at the boundary.
    Panic,
}

impl ErrorKind {
    fn from_code(code: c_int) -> ErrorKind {
        match code {
            hams_sys::HAMS_ERR_NULL => ErrorKind::Null,
            hams_sys::HAMS_ERR_STATE => ErrorKind::State,
            hams_sys::HAMS_ERR_IO => ErrorKind::Io,
            hams_sys::HAMS_ERR_CONFIG => ErrorKind::Config,
            hams_sys::HAMS_ERR_PANIC => ErrorKind::Panic,
            _ => ErrorKind::Invalid,
        }
    }
}

/// An error with a message meant for a human reading a log: libhams' own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error of this thread's last failed call, which returned `code`
    /// (or NULL: then the code is `hams_last_error_code()`).
    pub(crate) fn last(code: Option<c_int>) -> Error {
        // SAFETY: no arguments; the message is a NUL-terminated string valid
        // until this thread's next failing call, copied at once.
        let (code, message) = unsafe {
            let code = code.unwrap_or_else(|| hams_sys::hams_last_error_code());
            (code, CStr::from_ptr(hams_sys::hams_last_error()).to_string_lossy().into_owned())
        };
        Error::new(ErrorKind::from_code(code), message)
    }

    pub(crate) fn state(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::State, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// An int-returning call: `HAMS_OK` or a negative code.
pub(crate) fn check(code: c_int) -> Result<c_int> {
    if code < 0 {
        Err(Error::last(Some(code)))
    } else {
        Ok(code)
    }
}

/// A pointer-returning call: NULL means it failed.
pub(crate) fn check_ptr<T>(ptr: *mut T) -> Result<*mut T> {
    if ptr.is_null() {
        Err(Error::last(None))
    } else {
        Ok(ptr)
    }
}

/// A Rust string as a C string; an interior NUL is an invalid argument
/// (the same words as libhams would use, naming what it is).
pub(crate) fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new(ErrorKind::Invalid, format!("{what} contains a NUL byte")))
}
