//! What a health endpoint answers: a check or one probe, decided by
//! `decide` and drawn as text (`text`) or MicroProfile JSON (`json`).
//! Everything is written into caller-provided buffers so the serving thread
//! allocates nothing per request.

mod json;
mod text;

use super::decide::{decide, decide_probe};
use super::exclude::Excludes;
pub(crate) use super::exclude::MAX_EXCLUDES;
use super::probe_registry::ProbeRegistry;
use super::Check;

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
pub(crate) fn render_check(reg: &ProbeRegistry, check: Check, opts: &Options, now_ns: u64, body: &mut Vec<u8>) -> bool {
    body.clear();
    let mut excludes = Excludes::new(opts.excludes());
    match opts.format {
        Format::Text => {
            let passed = decide(reg, check, &mut excludes, now_ns, |e| text::entry(body, &e));
            text::finish_check(body, check, passed, opts.verbose, excludes.unmatched());
            passed
        }
        Format::Json => {
            json::start(body);
            let passed = decide(reg, check, &mut excludes, now_ns, |e| json::entry(body, &e));
            json::finish(body, passed);
            passed
        }
    }
}

/// Renders the single probe `name` of `check`; `None` when there is no such probe.
pub(crate) fn render_probe(
    reg: &ProbeRegistry,
    check: Check,
    name: &str,
    opts: &Options,
    now_ns: u64,
    body: &mut Vec<u8>,
) -> Option<bool> {
    body.clear();
    match opts.format {
        Format::Text => {
            let passed = decide_probe(reg, check, name, now_ns, |e| text::entry(body, &e))?;
            text::finish_probe(body, passed, opts.verbose);
            Some(passed)
        }
        Format::Json => {
            json::start(body);
            let Some(passed) = decide_probe(reg, check, name, now_ns, |e| json::entry(body, &e)) else {
                body.clear();
                return None;
            };
            json::finish(body, passed);
            Some(passed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::probe::ProbeState;
    use crate::health::Checks;
    use std::sync::Arc;

    fn reg() -> (ProbeRegistry, Arc<ProbeState>, Arc<ProbeState>) {
        let r = ProbeRegistry::default();
        let a = Arc::new(ProbeState::manual("ping", Checks::ALIVE | Checks::READY, true));
        let b = Arc::new(ProbeState::manual("db", Checks::READY, true));
        r.add(a.clone()).unwrap();
        r.add(b.clone()).unwrap();
        (r, a, b)
    }

    fn text(r: &ProbeRegistry, check: Check, query: &str) -> (bool, String) {
        let mut body = Vec::new();
        let opts = Options::new(Format::Text).parse_query(query).unwrap();
        let passed = render_check(r, check, &opts, 1, &mut body);
        (passed, String::from_utf8(body).unwrap())
    }

    fn json(r: &ProbeRegistry, check: Check, query: &str) -> (bool, String) {
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
        let empty = ProbeRegistry::default();
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
        let opts = Options::new(Format::Json);
        assert_eq!(render_probe(&r, Check::Ready, "db", &opts, 1, &mut body), Some(false));
        assert_eq!(body, br#"{"status":"DOWN","checks":[{"name":"db","status":"DOWN","reason":"gone"}]}"#);
        assert_eq!(render_probe(&r, Check::Ready, "nope", &opts, 1, &mut body), None);
        assert!(body.is_empty());
    }

    #[test]
    fn latched_startup_shows_its_failing_probe_and_passes() {
        let (r, _, _) = reg();
        let warm = Arc::new(ProbeState::manual("warm", Checks::STARTUP, true));
        r.add(warm.clone()).unwrap();
        assert_eq!(text(&r, Check::Startup, ""), (true, "ok".into()));
        warm.set(false, Some("cold")).unwrap();
        assert_eq!(text(&r, Check::Startup, "verbose"), (true, "[-]warm failed: cold\nstartup check passed\n".into()));
        assert_eq!(
            json(&r, Check::Startup, "").1,
            r#"{"status":"UP","checks":[{"name":"warm","status":"DOWN","reason":"cold"}]}"#
        );
    }

    #[test]
    fn shutdown_and_startup_lines_come_first_in_order() {
        let (r, _, _) = reg();
        r.add(Arc::new(ProbeState::manual("warm", Checks::STARTUP, false))).unwrap();
        r.set_shutting_down();
        let want = "[-]shutdown failed: shutting down\n[-]startup failed: startup check has not passed yet\n\
                    [+]ping ok\n[+]db ok\nready check failed\n";
        assert_eq!(text(&r, Check::Ready, ""), (false, want.into()));
        let (passed, body) = text(&r, Check::Ready, "exclude=shutdown&exclude=startup&verbose");
        assert!(passed);
        assert_eq!(body, "[+]ping ok\n[+]db ok\nready check passed\n");
    }
}
