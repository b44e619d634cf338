//! Stopping well: the graceful shutdown sequence, opt-in signal handling,
//! and the systemd notification protocol. None of it is on the request path.

pub(crate) mod notify;
pub(crate) mod shutdown;
pub(crate) mod signals;
