//! Configuration from YAML, then environment overrides for containers.
//!
//! Every value is validated while it is deserialized, so that an error names
//! the key and the line; the whole file is checked before anything is used,
//! so nothing is half-applied.

use super::{parse_address, validate_label, validate_prefix, validate_token, Config, ProbeDecl, ProbeKind};
use crate::error::{Error, ErrorKind, Result};
use crate::health::{validate_name, Check, Checks};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    service: ServiceSection,
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    shutdown: ShutdownSection,
    #[serde(default)]
    probes: Vec<ProbeSection>,
    #[serde(default)]
    metrics: MetricsSection,
    #[serde(default)]
    workers: WorkersSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WorkersSection {
    enabled: Option<bool>,
    min_ready: Option<u32>,
    capacity_kib: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MetricsSection {
    callback_timeout_ms: Option<CallbackTimeout>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceSection {
    name: Label,
    version: Label,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    address: Option<Address>,
    prefix: Option<Prefix>,
    max_connections: Option<MaxConnections>,
    header_timeout_ms: Option<HeaderTimeout>,
    idle_timeout_ms: Option<IdleTimeout>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ShutdownSection {
    drain_ms: Option<u64>,
    handle_signals: Option<bool>,
    endpoint: Option<bool>,
    token: Option<Token>,
    endpoint_wait_ms: Option<EndpointWait>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeSection {
    name: ProbeName,
    #[serde(rename = "type")]
    kind: KindName,
    checks: Vec<CheckName>,
    margin_ms: Option<Margin>,
    healthy: Option<bool>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum KindName {
    Kick,
    Manual,
}

/// Marks the key inside a custom error, so that `key_path` can join it to
/// the path serde_norway reports (which ends at the enclosing map).
const KEY_MARK: char = '\u{1f}';

fn keyed<E: de::Error>(key: &str, message: impl std::fmt::Display) -> E {
    E::custom(format!("{KEY_MARK}{key}{KEY_MARK}{message}"))
}

/// Turns `server: \x1faddress\x1finvalid...` into `server.address: invalid...`.
fn key_path(msg: &str) -> String {
    let Some(start) = msg.find(KEY_MARK) else { return msg.to_string() };
    let rest = &msg[start + 1..];
    let Some(end) = rest.find(KEY_MARK) else { return msg.to_string() };
    let (key, message) = (&rest[..end], &rest[end + 1..]);
    match msg[..start].strip_suffix(": ") {
        Some(path) => format!("{path}.{key}: {message}"),
        None => format!("{key}: {message}"),
    }
}

/// A string checked by `check` as it is read, so errors carry a location.
macro_rules! checked_string {
    ($name:ident, $key:literal, $check:expr) => {
        struct $name(String);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                let check: fn(&str) -> Result<()> = $check;
                check(&s).map_err(|e| keyed($key, e.message()))?;
                Ok($name(s))
            }
        }
    };
}

checked_string!(Label, "name", |s| validate_label("value", s));
checked_string!(Address, "address", |s| parse_address(s).map(|_| ()));
checked_string!(Prefix, "prefix", validate_prefix);
checked_string!(Token, "token", validate_token);
checked_string!(ProbeName, "name", validate_name);

struct CheckName(Check);
impl<'de> Deserialize<'de> for CheckName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Check::from_name(&s)
            .map(CheckName)
            .ok_or_else(|| de::Error::custom(format!("unknown check {s:?}; expected alive, ready or startup")))
    }
}

/// A number that must not be zero.
macro_rules! positive {
    ($name:ident, $key:literal) => {
        struct $name(u64);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                match u64::deserialize(d)? {
                    0 => Err(keyed($key, "must be greater than zero")),
                    n => Ok($name(n)),
                }
            }
        }
    };
}

positive!(MaxConnections, "max_connections");
positive!(HeaderTimeout, "header_timeout_ms");
positive!(IdleTimeout, "idle_timeout_ms");
positive!(EndpointWait, "endpoint_wait_ms");
positive!(Margin, "margin_ms");
positive!(CallbackTimeout, "callback_timeout_ms");

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// Reads a configuration file (YAML), then applies environment overrides.
pub fn from_file(path: &str) -> Result<Config> {
    let text =
        std::fs::read_to_string(path).map_err(|e| config_error(format!("cannot read config file {path}: {e}")))?;
    parse(&text, path, &|k| std::env::var(k).ok())
}

/// Parses configuration text (YAML), then applies environment overrides.
pub fn from_yaml(text: &str) -> Result<Config> {
    parse(text, "<yaml>", &|k| std::env::var(k).ok())
}

/// Parses `text` ignoring the environment.
pub(crate) fn parse_without_env(text: &str) -> Result<Config> {
    parse(text, "<yaml>", &|_| None)
}

pub(crate) fn parse(text: &str, source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
    let file: File = serde_norway::from_str(text).map_err(|e| {
        let msg = e.to_string();
        // serde_norway ends messages with " at line L column C"; say it first.
        let msg = key_path(msg.split(" at line ").next().unwrap_or(&msg));
        match e.location() {
            Some(l) => config_error(format!("{source}:{}:{}: {msg}", l.line(), l.column())),
            None => config_error(format!("{source}: {msg}")),
        }
    })?;
    let mut c = Config::new(&file.service.name.0, &file.service.version.0);
    let s = file.server;
    if let Some(a) = s.address {
        c.address = a.0;
    }
    if let Some(p) = s.prefix {
        c.prefix = p.0;
    }
    if let Some(n) = s.max_connections {
        c.limits.max_connections = usize::try_from(n.0).unwrap_or(usize::MAX);
    }
    if let Some(ms) = s.header_timeout_ms {
        c.limits.header_timeout = Duration::from_millis(ms.0);
    }
    if let Some(ms) = s.idle_timeout_ms {
        c.limits.idle_timeout = Duration::from_millis(ms.0);
    }
    let sh = file.shutdown;
    if let Some(ms) = sh.drain_ms {
        c.shutdown.drain = Duration::from_millis(ms);
    }
    c.shutdown.handle_signals = sh.handle_signals.unwrap_or(false);
    c.shutdown.endpoint = sh.endpoint.unwrap_or(false);
    c.shutdown.token = sh.token.map(|t| t.0);
    if let Some(ms) = sh.endpoint_wait_ms {
        c.shutdown.endpoint_wait = Duration::from_millis(ms.0);
    }
    let w = file.workers;
    c.workers.enabled = w.enabled.unwrap_or(false);
    c.workers.min_ready = w.min_ready.unwrap_or(0);
    if let Some(kib) = w.capacity_kib {
        super::validate_capacity(kib).map_err(|e| config_error(format!("{source}: {}", e.message())))?;
        c.workers.capacity_kib = kib;
    }
    if let Some(ms) = file.metrics.callback_timeout_ms {
        c.metrics_callback_timeout = Duration::from_millis(ms.0);
    }
    for (i, p) in file.probes.into_iter().enumerate() {
        c.probes.push(probe_decl(i, p).map_err(|m| config_error(format!("{source}: probes[{i}]: {m}")))?);
    }
    apply_env(&mut c, env)?;
    c.validate().map_err(|e| config_error(format!("{source}: {}", e.message())))?;
    Ok(c)
}

fn probe_decl(_i: usize, p: ProbeSection) -> std::result::Result<ProbeDecl, String> {
    let name = p.name.0;
    let mut bits = 0;
    for c in &p.checks {
        bits |= match c.0 {
            Check::Alive => Checks::ALIVE.bits(),
            Check::Ready => Checks::READY.bits(),
            Check::Startup => Checks::STARTUP.bits(),
        };
    }
    let checks = Checks::from_bits(bits).map_err(|e| format!("{name}: checks: {}", e.message()))?;
    let kind = match (p.kind, p.margin_ms, p.healthy) {
        (KindName::Kick, Some(m), None) => ProbeKind::Kick { margin_ms: m.0 },
        (KindName::Kick, None, _) => return Err(format!("{name}: a kick probe needs margin_ms")),
        (KindName::Kick, Some(_), Some(_)) => return Err(format!("{name}: healthy is only for manual probes")),
        (KindName::Manual, None, healthy) => ProbeKind::Manual { healthy: healthy.unwrap_or(false) },
        (KindName::Manual, Some(_), _) => return Err(format!("{name}: margin_ms is only for kick probes")),
    };
    Ok(ProbeDecl { name, checks, kind })
}

/// The environment variables that override a configuration file.
pub const ENV_VARS: &[&str] = &[
    "HAMS_SERVICE_NAME",
    "HAMS_SERVICE_VERSION",
    "HAMS_ADDRESS",
    "HAMS_PREFIX",
    "HAMS_MAX_CONNECTIONS",
    "HAMS_HEADER_TIMEOUT_MS",
    "HAMS_IDLE_TIMEOUT_MS",
    "HAMS_DRAIN_MS",
    "HAMS_HANDLE_SIGNALS",
    "HAMS_SHUTDOWN_ENDPOINT",
    "HAMS_SHUTDOWN_TOKEN",
    "HAMS_SHUTDOWN_WAIT_MS",
    "HAMS_METRICS_CALLBACK_TIMEOUT_MS",
];

fn apply_env(c: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    for &var in ENV_VARS {
        let Some(v) = env(var) else { continue };
        let bad = |what: &str| config_error(format!("environment variable {var}={v:?}: {what}"));
        let ms = |v: &str| v.parse::<u64>().map_err(|_| bad("expected a number of milliseconds"));
        let flag = |v: &str| match v {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(bad("expected true or false")),
        };
        match var {
            "HAMS_SERVICE_NAME" => c.service_name = v.clone(),
            "HAMS_SERVICE_VERSION" => c.service_version = v.clone(),
            "HAMS_ADDRESS" => {
                parse_address(&v).map_err(|e| bad(e.message()))?;
                c.address = v.clone();
            }
            "HAMS_PREFIX" => c.prefix = v.clone(),
            "HAMS_MAX_CONNECTIONS" => {
                c.limits.max_connections = v.parse().map_err(|_| bad("expected a number"))?;
            }
            "HAMS_HEADER_TIMEOUT_MS" => c.limits.header_timeout = Duration::from_millis(ms(&v)?),
            "HAMS_IDLE_TIMEOUT_MS" => c.limits.idle_timeout = Duration::from_millis(ms(&v)?),
            "HAMS_DRAIN_MS" => c.shutdown.drain = Duration::from_millis(ms(&v)?),
            "HAMS_HANDLE_SIGNALS" => c.shutdown.handle_signals = flag(&v)?,
            "HAMS_SHUTDOWN_ENDPOINT" => c.shutdown.endpoint = flag(&v)?,
            "HAMS_SHUTDOWN_TOKEN" => c.shutdown.token = Some(v.clone()),
            "HAMS_SHUTDOWN_WAIT_MS" => c.shutdown.endpoint_wait = Duration::from_millis(ms(&v)?),
            "HAMS_METRICS_CALLBACK_TIMEOUT_MS" => c.metrics_callback_timeout = Duration::from_millis(ms(&v)?),
            _ => {}
        }
        c.validate().map_err(|e| bad(e.message()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn err(text: &str) -> String {
        let e = parse(text, "c.yaml", &no_env).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        e.message().to_string()
    }

    const GOOD: &str = "service:\n  name: demo\n  version: 1.0.0\n";

    #[test]
    fn full_file() {
        let text = format!(
            "{GOOD}server:\n  address: 127.0.0.1:0\n  prefix: /health\n  max_connections: 10\n  header_timeout_ms: 100\n  idle_timeout_ms: 200\n\
             shutdown:\n  drain_ms: 0\n  handle_signals: true\n  endpoint: true\n  token: s3cret\n  endpoint_wait_ms: 50\n\
             probes:\n  - name: loop\n    type: kick\n    checks: [alive]\n    margin_ms: 1000\n  - name: db\n    type: manual\n    checks: [ready, startup]\n"
        );
        let c = parse(&text, "c.yaml", &no_env).unwrap();
        assert_eq!((c.address.as_str(), c.prefix.as_str(), c.limits.max_connections), ("127.0.0.1:0", "/health", 10));
        assert_eq!(c.limits.header_timeout, Duration::from_millis(100));
        assert_eq!(c.shutdown.drain, Duration::ZERO);
        assert!(c.shutdown.handle_signals && c.shutdown.endpoint);
        assert_eq!(c.shutdown.token.as_deref(), Some("s3cret"));
        assert_eq!(
            c.probes[0],
            ProbeDecl { name: "loop".into(), checks: Checks::ALIVE, kind: ProbeKind::Kick { margin_ms: 1000 } }
        );
        assert_eq!(c.probes[1].kind, ProbeKind::Manual { healthy: false });
        assert_eq!(c.probes[1].checks, Checks::READY | Checks::STARTUP);
    }

    #[test]
    fn errors_name_key_line_and_problem() {
        let table: &[(&str, &str)] = &[
            ("", "c.yaml:1:1: missing field `service`"),
            ("service:\n  name: demo\n", "c.yaml:2:3: service: missing field `version`"),
            ("service:\n  name: demo\n  version: 1\n  colour: red\n", "c.yaml:4:3: service: unknown field `colour`"),
            ("bogus: 1\n", "c.yaml:1:1: unknown field `bogus`"),
            (
                &format!("{GOOD}server:\n  address: nowhere\n"),
                "c.yaml:5:3: server.address: invalid address \"nowhere\"",
            ),
            (
                &format!("{GOOD}server:\n  max_connections: many\n"),
                "c.yaml:5:20: server.max_connections: invalid type: string \"many\"",
            ),
            (
                &format!("{GOOD}server:\n  idle_timeout_ms: 0\n"),
                "c.yaml:5:3: server.idle_timeout_ms: must be greater than zero",
            ),
            (&format!("{GOOD}server:\n  prefix: hams\n"), "c.yaml:5:3: server.prefix: path prefix \"hams\""),
            (
                &format!("{GOOD}shutdown:\n  handle_signals: maybe\n"),
                "c.yaml:5:19: shutdown.handle_signals: invalid type: string \"maybe\", expected a boolean",
            ),
            (&format!("{GOOD}shutdown:\n  token: \"a b\"\n"), "c.yaml:5:3: shutdown.token: shutdown token must be"),
            (
                &format!("{GOOD}probes:\n  - name: bad name\n    type: kick\n    checks: [alive]\n    margin_ms: 1\n"),
                "c.yaml:5:5: probes[0].name: probe name \"bad name\"",
            ),
            (
                &format!("{GOOD}probes:\n  - name: a\n    type: timer\n    checks: [alive]\n"),
                "c.yaml:6:11: probes[0].type: unknown variant `timer`",
            ),
            (
                &format!("{GOOD}probes:\n  - name: a\n    type: kick\n    checks: [lively]\n"),
                "c.yaml:7:13: probes[0].checks: unknown check \"lively\"",
            ),
            (
                &format!("{GOOD}probes:\n  - name: a\n    type: kick\n    checks: [alive]\n"),
                "c.yaml: probes[0]: a: a kick probe needs margin_ms",
            ),
            (
                &format!("{GOOD}probes:\n  - name: a\n    type: kick\n    checks: []\n    margin_ms: 5\n"),
                "c.yaml: probes[0]: a: checks: checks must name at least one",
            ),
            ("service: [\n", "c.yaml:1:"),
        ];
        let mut wrong = Vec::new();
        for (text, want) in table {
            let got = err(text);
            if !got.starts_with(want) {
                wrong.push(format!("for {text:?}\n  got:  {got}\n  want: {want}..."));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = |k: &str| match k {
            "HAMS_ADDRESS" => Some("127.0.0.1:9999".to_string()),
            "HAMS_DRAIN_MS" => Some("250".to_string()),
            "HAMS_HANDLE_SIGNALS" => Some("true".to_string()),
            _ => None,
        };
        let c = parse(&format!("{GOOD}server:\n  address: 0.0.0.0:1\n"), "c.yaml", &env).unwrap();
        assert_eq!(c.address, "127.0.0.1:9999");
        assert_eq!(c.shutdown.drain, Duration::from_millis(250));
        assert!(c.shutdown.handle_signals);
        let bad = |k: &str| (k == "HAMS_ADDRESS").then(|| "nope".to_string());
        let e = parse(GOOD, "c.yaml", &bad).unwrap_err();
        assert!(e.message().starts_with("environment variable HAMS_ADDRESS=\"nope\": invalid address"), "{e}");
        let bad = |k: &str| (k == "HAMS_DRAIN_MS").then(|| "5s".to_string());
        assert!(parse(GOOD, "c.yaml", &bad).unwrap_err().message().contains("milliseconds"));
    }

    #[test]
    fn missing_file() {
        let e = from_file("/nonexistent/hams.yaml").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().starts_with("cannot read config file /nonexistent/hams.yaml: "), "{e}");
    }
}
