//! What a `Hams` is created with, and the validation of each field. A
//! configuration can also come from YAML plus environment overrides
//! (`file.rs`).

mod file;

pub(crate) use file::parse_without_env;
pub use file::{from_file, from_yaml, ENV_VARS};

use crate::error::{Error, Result};
use crate::health::Checks;
use crate::server::Limits;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The settings of one health server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub service_name: String,
    pub service_version: String,
    /// `IP:PORT`; port 0 picks a free port. Default `0.0.0.0:8079`.
    pub address: String,
    /// Prefix of every endpoint path, default `/hams`.
    pub prefix: String,
    pub limits: Limits,
    pub shutdown: ShutdownConfig,
    /// Probes created with the server (the application gets them by name).
    pub probes: Vec<ProbeDecl>,
    /// How long a scrape waits for the metrics callback (default 2 s).
    pub metrics_callback_timeout: Duration,
    pub workers: WorkersConfig,
}

/// Workers mode: one endpoint for a process and its worker processes (see
/// `Hams::set_workers`, `hams::attach`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkersConfig {
    /// Whether the `Hams` starts in workers mode (default false).
    pub enabled: bool,
    /// Readiness fails while fewer workers are attached (default 0).
    pub min_ready: u32,
    /// The size of the shared memory region, in KiB (default 16384).
    pub capacity_kib: u64,
}

impl Default for WorkersConfig {
    fn default() -> WorkersConfig {
        WorkersConfig { enabled: false, min_ready: 0, capacity_kib: crate::shm::region::DEFAULT_CAPACITY_KIB }
    }
}

/// How the graceful shutdown sequence behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownConfig {
    /// Time between readiness failing and the shutdown callbacks (default 5 s).
    pub drain: Duration,
    /// Whether hams handles SIGTERM and SIGINT (default false: a library
    /// must not take signals from a runtime that has its own).
    pub handle_signals: bool,
    /// Whether `POST <prefix>/shutdown` is served (default false).
    pub endpoint: bool,
    /// Bearer token the endpoint requires, if any.
    pub token: Option<String>,
    /// How long the endpoint waits for the sequence before answering 202.
    pub endpoint_wait: Duration,
}

impl Default for ShutdownConfig {
    fn default() -> ShutdownConfig {
        ShutdownConfig {
            drain: Duration::from_secs(5),
            handle_signals: false,
            endpoint: false,
            token: None,
            endpoint_wait: Duration::from_secs(10),
        }
    }
}

/// A probe declared in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeDecl {
    pub name: String,
    pub checks: Checks,
    pub kind: ProbeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Kick { margin_ms: u64 },
    Manual { healthy: bool },
}

pub const DEFAULT_ADDRESS: &str = "0.0.0.0:8079";
pub const DEFAULT_PREFIX: &str = "/hams";

impl Config {
    pub fn new(service_name: &str, service_version: &str) -> Config {
        Config {
            service_name: service_name.to_string(),
            service_version: service_version.to_string(),
            address: DEFAULT_ADDRESS.to_string(),
            prefix: DEFAULT_PREFIX.to_string(),
            limits: Limits::default(),
            shutdown: ShutdownConfig::default(),
            probes: Vec::new(),
            metrics_callback_timeout: Duration::from_secs(2),
            workers: WorkersConfig::default(),
        }
    }

    /// Checks every field; returns the parsed address.
    pub(crate) fn validate(&self) -> Result<SocketAddr> {
        validate_label("service name", &self.service_name)?;
        validate_label("service version", &self.service_version)?;
        validate_prefix(&self.prefix)?;
        validate_limits(&self.limits)?;
        if self.metrics_callback_timeout.is_zero() {
            return Err(Error::invalid("metrics callback timeout must be greater than zero"));
        }
        validate_capacity(self.workers.capacity_kib)?;
        if let Some(token) = &self.shutdown.token {
            validate_token(token)?;
        }
        for (i, p) in self.probes.iter().enumerate() {
            crate::health::validate_name(&p.name)?;
            if self.probes[..i].iter().any(|q| q.name == p.name) {
                return Err(Error::invalid(format!("a probe named '{}' is declared twice", p.name)));
            }
            if p.kind == (ProbeKind::Kick { margin_ms: 0 }) {
                return Err(Error::invalid(format!("probe '{}': margin_ms must be greater than zero", p.name)));
            }
        }
        parse_address(&self.address)
    }
}

/// The workers' region: big enough for a chunk per process, small enough to map.
pub(crate) fn validate_capacity(kib: u64) -> Result<()> {
    use crate::shm::region::{MAX_CAPACITY_KIB, MIN_CAPACITY_KIB};
    if !(MIN_CAPACITY_KIB..=MAX_CAPACITY_KIB).contains(&kib) {
        return Err(Error::invalid(format!(
            "workers.capacity_kib is {kib}; it must be between {MIN_CAPACITY_KIB} and {MAX_CAPACITY_KIB}"
        )));
    }
    Ok(())
}

/// Service names and versions are echoed in JSON and logs: printable, short.
pub(crate) fn validate_label(what: &str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(format!("{what} is empty")));
    }
    if s.len() > 128 {
        return Err(Error::invalid(format!("{what} is longer than 128 bytes")));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(format!("{what} {s:?} contains control characters")));
    }
    Ok(())
}

pub(crate) fn validate_prefix(p: &str) -> Result<()> {
    let ok = p.is_empty()
        || (p.starts_with('/')
            && !p.ends_with('/')
            && !p.contains("//")
            && p.chars().all(|c| c == '/' || crate::health::is_name_char(c)));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!("path prefix {p:?} must be empty or like /hams: starting with /, no trailing /")))
    }
}

pub(crate) fn validate_limits(l: &Limits) -> Result<()> {
    if l.max_connections == 0 {
        return Err(Error::invalid("max_connections must be at least 1"));
    }
    if l.header_timeout.is_zero() || l.idle_timeout.is_zero() {
        return Err(Error::invalid("timeouts must be greater than zero"));
    }
    Ok(())
}

/// Tokens travel in an `Authorization: Bearer` header: visible ASCII only.
pub(crate) fn validate_token(t: &str) -> Result<()> {
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid("shutdown token must be non-empty visible ASCII (no spaces)"));
    }
    Ok(())
}

/// Parses `IP:PORT` (`[v6]:PORT` for IPv6; `localhost:PORT` is 127.0.0.1).
/// No name resolution: a library call must not block on DNS.
pub fn parse_address(s: &str) -> Result<SocketAddr> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some(port) = s.strip_prefix("localhost:").and_then(|p| p.parse::<u16>().ok()) {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    Err(Error::invalid(format!(
        "invalid address {s:?}: expected IP:PORT, such as 0.0.0.0:8079, 127.0.0.1:0 or [::1]:8079"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_address("127.0.0.1:0").unwrap().port(), 0);
        assert!(parse_address("[::1]:8079").unwrap().is_ipv6());
        assert_eq!(parse_address("localhost:80").unwrap().to_string(), "127.0.0.1:80");
        for bad in ["", "nonsense", "1.2.3.4:99999", "1.2.3.4", ":80", "example.com:80"] {
            assert!(parse_address(bad).unwrap_err().message().contains("invalid address"), "{bad}");
        }
    }

    #[test]
    fn labels_and_prefix() {
        assert!(Config::new("svc", "1.0").validate().is_ok());
        assert!(Config::new("", "1.0").validate().is_err());
        assert!(Config::new("a\nb", "1.0").validate().is_err());
        for p in ["", "/hams", "/a/b-c"] {
            assert!(validate_prefix(p).is_ok(), "{p}");
        }
        for p in ["hams", "/hams/", "//x", "/a b", "/"] {
            assert!(validate_prefix(p).is_err(), "{p}");
        }
    }

    #[test]
    fn probes_and_tokens() {
        let mut c = Config::new("svc", "1");
        let decl = ProbeDecl { name: "a".into(), checks: Checks::ALIVE, kind: ProbeKind::Kick { margin_ms: 10 } };
        c.probes = vec![decl.clone(), decl];
        assert!(c.validate().unwrap_err().message().contains("declared twice"));
        assert!(validate_token("abc-123").is_ok());
        assert!(validate_token("a b").is_err() && validate_token("").is_err());
    }
}
