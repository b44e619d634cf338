//! Connection limits and timeouts.

use std::time::Duration;

/// Connection limits and timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections beyond this many are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Time allowed from a connection's (or request's) first byte to the end of its head.
    pub header_timeout: Duration,
    /// Time a keep-alive connection may sit idle between requests.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_connections: 1024, header_timeout: Duration::from_secs(5), idle_timeout: Duration::from_secs(60) }
    }
}
