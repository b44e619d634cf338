//! The rules for what applications register: metric and label names, help
//! text, bucket bounds, and the names each family shows in the exposition.

use super::Kind;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Names hams exposes itself; applications cannot register them.
pub(crate) const RESERVED: &[&str] = &[
    "hams_build_info",
    "hams_check_healthy",
    "hams_probe_healthy",
    "hams_http_requests_total",
    "hams_metrics_callback_failures_total",
    "hams_workers",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
];

/// Every name a family shows in either format: samples and family names.
pub(crate) fn exposed(name: &str, kind: Kind) -> Vec<String> {
    match kind {
        Kind::Counter => {
            let base = name.strip_suffix("_total").unwrap_or(name);
            vec![name.to_string(), base.to_string(), format!("{base}_created")]
        }
        Kind::Gauge => vec![name.to_string()],
        Kind::Histogram | Kind::NativeHistogram => {
            ["", "_bucket", "_sum", "_count", "_created"].iter().map(|s| format!("{name}{s}")).collect()
        }
    }
}

/// Whether hams' own metrics expose `name` (computed once: registration
/// asks for every name a new family exposes).
pub(crate) fn reserved_claims(name: &str) -> bool {
    static CLAIMED: OnceLock<HashSet<String>> = OnceLock::new();
    let claimed = CLAIMED.get_or_init(|| {
        let mut set: HashSet<String> = RESERVED
            .iter()
            .flat_map(|r| exposed(r, if r.ends_with("_total") { Kind::Counter } else { Kind::Gauge }))
            .collect();
        set.insert("hams_build".to_string());
        set
    });
    claimed.contains(name)
}

pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn validate_name(name: &str, kind: Kind) -> Result<()> {
    if !is_metric_name(name) || name.contains(':') {
        return Err(Error::invalid(format!(
            "metric name {name:?} must match [a-zA-Z_][a-zA-Z0-9_]* (colons are for recording rules)"
        )));
    }
    if name.starts_with("__") {
        return Err(Error::invalid(format!("metric name {name:?}: names starting with __ are reserved")));
    }
    if reserved_claims(name) {
        return Err(Error::invalid(format!("metric name {name:?} is one of hams' built-in metrics")));
    }
    match kind {
        Kind::Counter if !name.ends_with("_total") => {
            Err(Error::invalid(format!("counter name {name:?} must end in _total")))
        }
        Kind::Gauge | Kind::Histogram | Kind::NativeHistogram if name.ends_with("_total") => {
            Err(Error::invalid(format!("metric name {name:?}: only counters end in _total")))
        }
        Kind::Histogram | Kind::NativeHistogram if ["_bucket", "_sum", "_count"].iter().any(|s| name.ends_with(s)) => {
            Err(Error::invalid(format!("histogram name {name:?} must not end in _bucket, _sum or _count")))
        }
        _ => Ok(()),
    }
}

pub(crate) fn validate_help(name: &str, help: &str) -> Result<()> {
    if help.is_empty() || help.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(format!("metric {name}: help must be non-empty text")));
    }
    Ok(())
}

/// Label names: valid, not reserved, not repeated.
pub(crate) fn validate_label_names<'a>(
    name: &str,
    kind: Kind,
    names: impl Iterator<Item = &'a str>,
) -> Result<Box<[String]>> {
    let mut out: Vec<String> = Vec::new();
    for k in names {
        if !is_label_name(k) || k.starts_with("__") {
            return Err(Error::invalid(format!(
                "metric {name}: label name {k:?} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"
            )));
        }
        // A native histogram's text form has a +Inf bucket too.
        if matches!(kind, Kind::Histogram | Kind::NativeHistogram) && k == "le" {
            return Err(Error::invalid(format!("metric {name}: the label le is reserved for histogram buckets")));
        }
        if out.iter().any(|o| o == k) {
            return Err(Error::invalid(format!("metric {name}: label {k:?} is given twice")));
        }
        out.push(k.to_string());
    }
    Ok(out.into())
}

pub(crate) fn validate_buckets(name: &str, b: &[f64]) -> Result<()> {
    if b.is_empty() {
        return Err(Error::invalid(format!("histogram {name}: at least one bucket is needed")));
    }
    if b.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid(format!("histogram {name}: buckets must be finite (+Inf is implied)")));
    }
    if b.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid(format!("histogram {name}: buckets must be strictly increasing")));
    }
    Ok(())
}
