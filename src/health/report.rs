//! Aggregates a check and renders it: `ok`, the kube-apiserver verbose form,
//! or MicroProfile Health JSON. Everything is written into caller-provided
//! buffers so the serving thread allocates nothing per request.

use super::probe::Verdict;
use super::registry::Registry;
use super::Check;
use std::io::Write;

/// At most this many `exclude=` parameters are honoured in one request.
pub(crate) const MAX_EXCLUDES: usize = 16;

/// The name of the pseudo-probe that holds readiness down until startup passed.
pub(crate) const STARTUP_GATE: &str = "startup";
const STARTUP_GATE_REASON: &str = "startup check has not passed yet";
/// The built-in probe that fails readiness once shutdown has started.
pub(crate) const SHUTDOWN_PROBE: &str = "shutdown";
const SHUTDOWN_REASON: &str = "shutting down";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
}

/// The options of one request: `?verbose`, `?exclude=NAME`, and the format.
#[derive(Debug)]
pub(crate) struct Options<'a> {
    pub verbose: bool,
    pub format: Format,
    excludes: [&'a str; MAX_EXCLUDES],
    n_excludes: usize,
}

impl<'a> Options<'a> {
    pub(crate) fn new(format: Format) -> Options<'a> {
        Options { verbose: false, format, excludes: [""; MAX_EXCLUDES], n_excludes: 0 }
    }

    /// Parses a query string (without `?`). Unknown parameters are ignored,
    /// as kube-apiserver does; too many excludes is an error.
    pub(crate) fn parse_query(mut self, query: &'a str) -> Result<Options<'a>, &'static str> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "verbose" => self.verbose = !matches!(value, "0" | "false"),
                "exclude" => {
                    if self.n_excludes == MAX_EXCLUDES {
                        return Err("too many exclude parameters");
                    }
                    self.excludes[self.n_excludes] = value;
                    self.n_excludes += 1;
                }
                _ => {}
            }
        }
        Ok(self)
    }

    fn excludes(&self) -> &[&'a str] {
        &self.excludes[..self.n_excludes]
    }
}

/// Renders `check` into `body`; returns whether it passed.
pub(crate) fn render_check(reg: &Registry, check: Check, opts: &Options, now_ns: u64, body: &mut Vec<u8>) -> bool {
    body.clear();
    let mut matched = [false; MAX_EXCLUDES];
    let mut is_excluded = |name: &str| {
        let mut hit = false;
        for (i, e) in opts.excludes().iter().enumerate() {
            if *e == name {
                matched[i] = true;
                hit = true;
            }
        }
        hit
    };
    let mut out = Lines::new(opts.format, body);
    let mut passed = true;

    if check == Check::Ready && reg.is_shutting_down() && !is_excluded(SHUTDOWN_PROBE) {
        out.line(SHUTDOWN_PROBE, Verdict::Failed(SHUTDOWN_REASON), false);
        passed = false;
    }
    if check == Check::Ready && !is_excluded(STARTUP_GATE) && !reg.startup_complete(now_ns) {
        out.line(STARTUP_GATE, Verdict::Failed(STARTUP_GATE_REASON), false);
        passed = false;
    }
    reg.with_probes(|probes| {
        for p in probes.iter().filter(|p| p.checks().contains(check)) {
            if is_excluded(p.name()) {
                out.line(p.name(), Verdict::Ok, true);
                continue;
            }
            p.with_verdict(now_ns, |v| {
                passed &= v.is_ok();
                out.line(p.name(), v, false);
            });
        }
    });
    if check == Check::Startup {
        // Only a full, unfiltered pass latches startup; once latched it passes.
        if passed && opts.n_excludes == 0 {
            reg.latch_startup();
        }
        passed |= reg.startup_latched();
    }

    let unmatched = || opts.excludes().iter().zip(matched).filter(|(_, m)| !m).map(|(e, _)| *e);
    out.finish(check, passed, opts.verbose, unmatched());
    passed
}

/// Renders the single probe `name` of `check`; `None` when there is no such probe.
pub(crate) fn render_probe(
    reg: &Registry,
    check: Check,
    name: &str,
    opts: &Options,
    now_ns: u64,
    body: &mut Vec<u8>,
) -> Option<bool> {
    let probe = reg.find(name).filter(|p| p.checks().contains(check))?;
    body.clear();
    let mut out = Lines::new(opts.format, body);
    let passed = probe.with_verdict(now_ns, |v| {
        out.line(name, v, false);
        v.is_ok()
    });
    out.finish_single(passed, opts.verbose);
    Some(passed)
}

/// Writes the version document: `{"service":..,"version":..,"hams_version":..}`.
pub(crate) fn render_version(service: &str, version: &str, body: &mut Vec<u8>) {
    body.clear();
    body.extend_from_slice(b"{\"service\":");
    json_str(body, service);
    body.extend_from_slice(b",\"version\":");
    json_str(body, version);
    body.extend_from_slice(b",\"hams_version\":");
    json_str(body, crate::VERSION);
    body.push(b'}');
}

/// Prefix reserved at the start of a JSON body; "UP" is 2 bytes shorter than
/// "DOWN", so a passing document is shifted left by 2 at the end.
const JSON_DOWN: &[u8] = b"{\"status\":\"DOWN\",\"checks\":[";
const JSON_UP: &[u8] = b"{\"status\":\"UP\",\"checks\":[";

/// One line (text) or one object (JSON) per probe, then the closing part.
struct Lines<'b> {
    format: Format,
    body: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Lines<'b> {
    fn new(format: Format, body: &'b mut Vec<u8>) -> Lines<'b> {
        if format == Format::Json {
            body.extend_from_slice(JSON_DOWN);
        }
        Lines { format, body, first: true }
    }

    fn line(&mut self, name: &str, v: Verdict<'_>, excluded: bool) {
        let body = &mut *self.body;
        match self.format {
            Format::Text => {
                body.extend_from_slice(if v.is_ok() { b"[+]" } else { b"[-]" });
                body.extend_from_slice(name.as_bytes());
                if excluded {
                    body.extend_from_slice(b" excluded: ok\n");
                } else if v.is_ok() {
                    body.extend_from_slice(b" ok\n");
                } else {
                    body.extend_from_slice(b" failed");
                    let at = body.len();
                    body.extend_from_slice(b": ");
                    let reason_at = body.len();
                    v.write_reason(body);
                    if body.len() == reason_at {
                        body.truncate(at);
                    }
                    body.push(b'\n');
                }
            }
            Format::Json => {
                if excluded {
                    return;
                }
                if !self.first {
                    body.push(b',');
                }
                body.extend_from_slice(b"{\"name\":");
                json_str(body, name);
                if v.is_ok() {
                    body.extend_from_slice(b",\"status\":\"UP\"}");
                } else {
                    body.extend_from_slice(b",\"status\":\"DOWN\",\"reason\":\"");
                    let at = body.len();
                    v.write_reason(body);
                    json_escape_tail(body, at);
                    body.extend_from_slice(b"\"}");
                }
            }
        }
        self.first = false;
    }

    fn finish<'e>(self, check: Check, passed: bool, verbose: bool, unmatched: impl Iterator<Item = &'e str>) {
        let body = self.body;
        match self.format {
            Format::Text => {
                if passed && !verbose {
                    body.clear();
                    body.extend_from_slice(b"ok");
                    return;
                }
                let mut unmatched = unmatched.peekable();
                if unmatched.peek().is_some() {
                    body.extend_from_slice(b"warn: some health checks cannot be excluded: no matches for ");
                    for (i, name) in unmatched.enumerate() {
                        if i > 0 {
                            body.push(b',');
                        }
                        quote_text(body, name);
                    }
                    body.push(b'\n');
                }
                let _ = writeln!(body, "{} check {}", check.name(), if passed { "passed" } else { "failed" });
            }
            Format::Json => finish_json(body, passed),
        }
    }

    fn finish_single(self, passed: bool, verbose: bool) {
        match self.format {
            Format::Text if passed && !verbose => {
                self.body.clear();
                self.body.extend_from_slice(b"ok");
            }
            Format::Text => {}
            Format::Json => finish_json(self.body, passed),
        }
    }
}

fn finish_json(body: &mut Vec<u8>, passed: bool) {
    body.extend_from_slice(b"]}");
    if passed {
        let shift = JSON_DOWN.len() - JSON_UP.len();
        body[shift..JSON_DOWN.len()].copy_from_slice(JSON_UP);
        body.drain(..shift);
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let at = out.len();
    out.extend_from_slice(s.as_bytes());
    json_escape_tail(out, at);
    out.push(b'"');
}

/// Escapes, in place, the bytes of `out` from `from` on as JSON string content.
/// Rarely needed (reasons are sanitised), so the common case is a scan only.
fn json_escape_tail(out: &mut Vec<u8>, from: usize) {
    let needs = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    if !out[from..].iter().any(|&b| needs(b)) {
        return;
    }
    let mut i = from;
    while i < out.len() {
        let b = out[i];
        if needs(b) {
            let esc: [u8; 6] = match b {
                b'"' => *b"\\\"\0\0\0\0",
                b'\\' => *b"\\\\\0\0\0\0",
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]
                }
            };
            let len = if b == b'"' || b == b'\\' { 2 } else { 6 };
            out.splice(i..i + 1, esc[..len].iter().copied());
            i += len;
        } else {
            i += 1;
        }
    }
}

/// Writes `"name"` with anything outside printable ASCII shown as `\xNN`;
/// exclude names come from the network and are echoed back.
fn quote_text(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    for &b in name.as_bytes() {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            out.push(b);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::probe::ProbeState;
    use crate::health::Checks;
    use std::sync::Arc;

    fn reg() -> (Registry, Arc<ProbeState>, Arc<ProbeState>) {
        let r = Registry::default();
        let a = Arc::new(ProbeState::manual("ping", Checks::ALIVE | Checks::READY, true));
        let b = Arc::new(ProbeState::manual("db", Checks::READY, true));
        r.add(a.clone()).unwrap();
        r.add(b.clone()).unwrap();
        (r, a, b)
    }

    fn text(r: &Registry, check: Check, query: &str) -> (bool, String) {
        let mut body = Vec::new();
        let opts = Options::new(Format::Text).parse_query(query).unwrap();
        let passed = render_check(r, check, &opts, 1, &mut body);
        (passed, String::from_utf8(body).unwrap())
    }

    fn json(r: &Registry, check: Check, query: &str) -> (bool, String) {
        let mut body = Vec::new();
        let opts = Options::new(Format::Json).parse_query(query).unwrap();
        let passed = render_check(r, check, &opts, 1, &mut body);
        (passed, String::from_utf8(body).unwrap())
    }

    #[test]
    fn plain_and_verbose() {
        let (r, _, db) = reg();
        assert_eq!(text(&r, Check::Ready, ""), (true, "ok".into()));
        assert_eq!(text(&r, Check::Ready, "verbose"), (true, "[+]ping ok\n[+]db ok\nready check passed\n".into()));
        db.set(false, Some("connection refused")).unwrap();
        let failed = "[+]ping ok\n[-]db failed: connection refused\nready check failed\n";
        assert_eq!(text(&r, Check::Ready, ""), (false, failed.into()));
        assert_eq!(text(&r, Check::Alive, ""), (true, "ok".into()));
        db.set(false, None).unwrap();
        assert_eq!(text(&r, Check::Ready, "").1, "[+]ping ok\n[-]db failed\nready check failed\n");
    }

    #[test]
    fn exclude() {
        let (r, _, db) = reg();
        db.set(false, Some("x")).unwrap();
        assert_eq!(text(&r, Check::Ready, "exclude=db"), (true, "ok".into()));
        let (passed, body) = text(&r, Check::Ready, "exclude=db&exclude=nope&verbose");
        assert!(passed);
        assert_eq!(
            body,
            "[+]ping ok\n[+]db excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nready check passed\n"
        );
        let too_many = "exclude=a&".repeat(MAX_EXCLUDES + 1);
        assert!(Options::new(Format::Text).parse_query(&too_many).is_err());
    }

    #[test]
    fn startup_gates_readiness() {
        let (r, _, _) = reg();
        let warm = Arc::new(ProbeState::manual("warm", Checks::STARTUP, false));
        r.add(warm.clone()).unwrap();
        let (passed, body) = text(&r, Check::Ready, "");
        assert!(!passed);
        assert!(body.starts_with("[-]startup failed: startup check has not passed yet\n"), "{body}");
        assert!(!text(&r, Check::Startup, "").0);
        warm.set(true, None).unwrap();
        assert!(text(&r, Check::Ready, "").0);
        warm.set(false, Some("cold")).unwrap();
        assert!(text(&r, Check::Startup, "").0, "startup stays passed");
        assert!(text(&r, Check::Ready, "").0);
    }

    #[test]
    fn shutdown_fails_readiness_only() {
        let (r, _, _) = reg();
        r.set_shutting_down();
        let (passed, body) = text(&r, Check::Ready, "");
        assert!(!passed);
        assert!(body.starts_with("[-]shutdown failed: shutting down\n"), "{body}");
        assert!(text(&r, Check::Alive, "").0);
        assert!(text(&r, Check::Ready, "exclude=shutdown").0);
    }

    #[test]
    fn json_shapes() {
        let (r, _, db) = reg();
        assert_eq!(
            json(&r, Check::Ready, ""),
            (true, r#"{"status":"UP","checks":[{"name":"ping","status":"UP"},{"name":"db","status":"UP"}]}"#.into())
        );
        db.set(false, Some("say \"no\" \\ now")).unwrap();
        assert_eq!(
            json(&r, Check::Ready, "exclude=ping").1,
            r#"{"status":"DOWN","checks":[{"name":"db","status":"DOWN","reason":"say \"no\" \\ now"}]}"#
        );
        let empty = Registry::default();
        assert_eq!(json(&empty, Check::Alive, "").1, r#"{"status":"UP","checks":[]}"#);
    }

    #[test]
    fn single_probe() {
        let (r, _, db) = reg();
        let opts = Options::new(Format::Text);
        let mut body = Vec::new();
        assert_eq!(render_probe(&r, Check::Ready, "db", &opts, 1, &mut body), Some(true));
        assert_eq!(body, b"ok");
        assert_eq!(render_probe(&r, Check::Alive, "db", &opts, 1, &mut body), None);
        db.set(false, Some("gone")).unwrap();
        assert_eq!(render_probe(&r, Check::Ready, "db", &opts, 1, &mut body), Some(false));
        assert_eq!(body, b"[-]db failed: gone\n");
    }

    #[test]
    fn escaping() {
        let mut out = Vec::new();
        json_str(&mut out, "a\"b\\c\u{1}");
        assert_eq!(out, br#""a\"b\\c\u0001""#);
        out.clear();
        quote_text(&mut out, "a\"\u{e9}");
        assert_eq!(out, br#""a\x22\xc3\xa9""#);
    }
}
