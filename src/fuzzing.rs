//! Entry points for fuzzing and corpus replay; not a stable API.
//!
//! They drive the request path (reader buffering, parser, router, response
//! writer) without sockets, and check the invariants every response must
//! keep, panicking when one breaks.

use crate::health::Checks;
use crate::server::conn::{serve, End};
use crate::Hams;

/// A service with probes in every state, for feeding requests to.
pub struct Target {
    hams: Hams,
    _probes: Vec<crate::Probe>,
    _metric: crate::Metric,
}

impl Default for Target {
    fn default() -> Target {
        let mut config = crate::Config::new("fuzz", "1");
        config.shutdown.endpoint = true;
        config.shutdown.token = Some("t0ken".into());
        let hams = Hams::with_config(config).expect("fuzz config");
        let ok = hams.probe_manual("ok", Checks::ALIVE | Checks::READY, true).expect("probe");
        let bad = hams.probe_manual("bad", Checks::READY | Checks::STARTUP, false).expect("probe");
        bad.set(false, Some("a \"quoted\" \\ reason")).expect("set");
        let kick = hams.probe_kick("kick", Checks::ALIVE, 60_000).expect("probe");
        let metric = hams.counter("fuzz_total", "Fuzz.", &[("l", "v")]).expect("counter");
        Target { hams, _probes: vec![ok, bad, kick], _metric: metric }
    }
}

impl Target {
    /// Feeds `data` to one connection in the chunks given by `cuts` (each
    /// byte of `cuts` is a chunk length, 0 meaning 1), as a socket would
    /// deliver it, and returns the bytes written back.
    pub fn feed(&self, data: &[u8], cuts: &[u8]) -> Vec<u8> {
        let site = self.hams.site();
        let (mut pending, mut body, mut out) = (Vec::new(), Vec::new(), Vec::new());
        let mut at = 0;
        let mut cut = cuts.iter().cycle();
        while at < data.len() {
            let n = if cuts.is_empty() { data.len() } else { usize::from(*cut.next().unwrap_or(&1)).max(1) };
            let end = (at + n).min(data.len());
            pending.extend_from_slice(&data[at..end]);
            at = end;
            loop {
                let before = out.len();
                let (consumed, how) = serve(site, &pending, crate::clock::now_ns(), &mut body, &mut out);
                check_responses(&out[before..]);
                pending.drain(..consumed);
                match how {
                    End::NeedMore => break,
                    End::Backpressure => continue,
                    // A scrape is rendered here, where the server has its render thread.
                    End::Park(parked) => {
                        let before = out.len();
                        if !crate::server::render_here(site, parked, &mut out) {
                            return out;
                        }
                        check_responses(&out[before..]);
                    }
                    End::Close { .. } => return out,
                }
            }
            assert!(pending.len() <= crate::server::http::MAX_HEAD, "a partial head is never kept past the limit");
        }
        out
    }
}

/// Every response is `HTTP/1.1 NNN ...`, its head has no bare CR or LF and
/// ends in CRLFCRLF, and it carries a Content-Length (HEAD responses may
/// omit the body, so only the head is checked for length).
pub fn check_responses(mut out: &[u8]) {
    while !out.is_empty() {
        assert!(out.starts_with(b"HTTP/1.1 "), "response starts with a status line");
        let end = out.windows(4).position(|w| w == b"\r\n\r\n").expect("head ends with CRLFCRLF");
        let head = std::str::from_utf8(&out[..end]).expect("head is UTF-8");
        for line in head.split("\r\n") {
            assert!(!line.contains('\r') && !line.contains('\n'), "no bare CR/LF in the head");
        }
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .expect("Content-Length")
            .parse()
            .expect("numeric length");
        let rest = &out[end + 4..];
        // The next response, if any, starts right after this body (or right
        // after the head for HEAD requests).
        let after =
            if rest.len() >= len && (rest.len() == len || rest[len..].starts_with(b"HTTP/1.1 ")) { len } else { 0 };
        out = &rest[after..];
    }
}

/// Parses a YAML configuration the way `hams_new_from_yaml` does, without
/// environment overrides; errors are fine, panics are not.
pub fn config(text: &str) {
    if let Ok(c) = crate::config::parse_without_env(text) {
        let _ = Hams::with_config(c);
    }
}
