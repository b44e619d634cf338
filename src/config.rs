//! What a `Hams` is created with, and the validation of each field.

use crate::error::{Error, Result};
use crate::server::Limits;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

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
        }
    }

    pub(crate) fn validate(&self) -> Result<SocketAddr> {
        validate_label("service name", &self.service_name)?;
        validate_label("service version", &self.service_version)?;
        validate_prefix(&self.prefix)?;
        if self.limits.max_connections == 0 {
            return Err(Error::invalid("max_connections must be at least 1"));
        }
        if self.limits.header_timeout.is_zero() || self.limits.idle_timeout.is_zero() {
            return Err(Error::invalid("timeouts must be greater than zero"));
        }
        parse_address(&self.address)
    }
}

/// Service names and versions are echoed in JSON and logs: printable, short.
fn validate_label(what: &str, s: &str) -> Result<()> {
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

fn validate_prefix(p: &str) -> Result<()> {
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
}
