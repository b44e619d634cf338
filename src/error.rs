//! The one error type of the core, and its kinds (mapped 1:1 to the C codes).

use std::fmt;

/// What went wrong, in the categories the C API reports as `HAMS_ERR_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A required pointer was NULL (only the C layer produces this).
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

/// An error with a message meant for a human reading a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, message)
    }
    pub(crate) fn state(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::State, message)
    }
    pub(crate) fn io(context: impl fmt::Display, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Io, format!("{context}: {err}"))
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
