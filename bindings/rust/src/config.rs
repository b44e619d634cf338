//! `Config`, as the `hams` crate names its fields. libhams takes a full
//! configuration only as YAML (`hams_new_from_yaml`), so `Hams::with_config`
//! writes it as YAML: libhams validates it, and the `HAMS_*` environment
//! overrides apply as for a C program (see hams_config(5)).

use crate::checks::Checks;
use std::fmt::Write;
use std::time::Duration;

pub const DEFAULT_ADDRESS: &str = "0.0.0.0:8079";
pub const DEFAULT_PREFIX: &str = "/hams";

/// The settings of one health server.
///
/// ```
/// use std::time::Duration;
/// let mut config = hams::Config::new("my-service", "1.0.0");
/// config.address = "127.0.0.1:0".into();
/// config.shutdown.drain = Duration::from_millis(500);
/// let h = hams::Hams::with_config(config)?;
/// # Ok::<(), hams::Error>(())
/// ```
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
    /// Probes created with the server (taken with `Hams::take_probe`).
    pub probes: Vec<ProbeDecl>,
    /// How long a scrape waits for the metrics callback (default 2 s).
    pub metrics_callback_timeout: Duration,
    /// Workers mode (see `Hams::set_workers`).
    pub workers: WorkersConfig,
}

/// Workers mode: this server is the parent of worker processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkersConfig {
    /// On: the workers join with `hams::attach()` (default off).
    pub enabled: bool,
    /// Readiness fails (entry `workers`) while fewer workers are attached (default 0).
    pub min_ready: u32,
    /// Size of the memory the workers share, in KiB.
    pub capacity_kib: u64,
}

impl Default for WorkersConfig {
    fn default() -> WorkersConfig {
        WorkersConfig { enabled: false, min_ready: 0, capacity_kib: 16384 }
    }
}

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

/// How the graceful shutdown sequence behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownConfig {
    /// Time between readiness failing and the shutdown callbacks (default 5 s).
    pub drain: Duration,
    /// Whether hams handles SIGTERM and SIGINT (default false).
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

    /// The configuration as hams_config(5) YAML; every string double-quoted.
    pub fn to_yaml(&self) -> String {
        let ms = |d: Duration| d.as_millis();
        let mut y = String::new();
        let s = &self.shutdown;
        let l = &self.limits;
        // Writing to a String cannot fail.
        let _ = write!(
            y,
            "service:\n  name: {}\n  version: {}\n\
             server:\n  address: {}\n  prefix: {}\n  max_connections: {}\n  header_timeout_ms: {}\n  idle_timeout_ms: {}\n\
             shutdown:\n  drain_ms: {}\n  handle_signals: {}\n  endpoint: {}\n  endpoint_wait_ms: {}\n",
            quote(&self.service_name),
            quote(&self.service_version),
            quote(&self.address),
            quote(&self.prefix),
            l.max_connections,
            ms(l.header_timeout),
            ms(l.idle_timeout),
            ms(s.drain),
            s.handle_signals,
            s.endpoint,
            ms(s.endpoint_wait),
        );
        if let Some(token) = &s.token {
            let _ = writeln!(y, "  token: {}", quote(token));
        }
        let _ = writeln!(y, "metrics:\n  callback_timeout_ms: {}", ms(self.metrics_callback_timeout));
        if self.workers != WorkersConfig::default() {
            let w = &self.workers;
            let _ = writeln!(
                y,
                "workers:\n  enabled: {}\n  min_ready: {}\n  capacity_kib: {}",
                w.enabled, w.min_ready, w.capacity_kib
            );
        }
        if !self.probes.is_empty() {
            y.push_str("probes:\n");
        }
        for p in &self.probes {
            let checks: Vec<String> = p.checks.names().into_iter().map(String::from).collect();
            let _ = writeln!(y, "  - name: {}\n    checks: [{}]", quote(&p.name), checks.join(", "));
            let _ = match p.kind {
                ProbeKind::Kick { margin_ms } => writeln!(y, "    type: kick\n    margin_ms: {margin_ms}"),
                ProbeKind::Manual { healthy } => writeln!(y, "    type: manual\n    healthy: {healthy}"),
            };
        }
        y
    }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, control characters as
/// `\uXXXX`, so that any string reads back as itself (and libhams judges it).
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_and_escaped() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }

    #[test]
    fn probes_are_written_with_their_kind() {
        let mut c = Config::new("svc", "1");
        c.probes.push(ProbeDecl {
            name: "loop".into(),
            checks: Checks::ALIVE,
            kind: ProbeKind::Kick { margin_ms: 50 },
        });
        let y = c.to_yaml();
        assert!(y.contains("  - name: \"loop\"\n    checks: [alive]\n    type: kick\n    margin_ms: 50\n"), "{y}");
        assert!(y.contains("drain_ms: 5000"), "{y}");
        assert!(!y.contains("workers:"), "{y}");
    }

    #[test]
    fn workers_mode_is_written_when_set() {
        let mut c = Config::new("svc", "1");
        c.workers.enabled = true;
        c.workers.min_ready = 2;
        let y = c.to_yaml();
        assert!(y.contains("workers:\n  enabled: true\n  min_ready: 2\n  capacity_kib: 16384\n"), "{y}");
    }
}
