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

/// Reads `data` as a chunk of the workers' region written by two processes
/// the parent does not trust, sums it as a scrape would, renders every
/// exposition format, and checks that the text one is valid. Panics only
/// on a broken invariant.
pub fn workers_chunk(data: &[u8]) {
    use crate::metrics::expose::{Format, Writer};
    use crate::metrics::registry::Snapshot;
    use crate::metrics::tree::Aggregate;
    use crate::metrics::{Aggregation, MetricRegistry};
    use crate::shm::records::{parse, Record};
    let cell = |off: usize| data.get(off..off + 8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_ne_bytes);
    let how = |name: &str| Aggregation::from_code((name.len() % 5) as u8);
    let mut agg = Aggregate::default();
    for pid in [101, 202] {
        parse(data, |r| {
            if let Record::Series(s) = r {
                agg.add(pid, &s, &cell, None, &how);
            }
        });
    }
    let mirror = MetricRegistry::default();
    agg.apply(&mirror, &mut std::collections::HashMap::new());
    for format in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, format);
        w.families(&mirror, &mut Snapshot::default());
        w.finish();
        if format == Format::Text {
            let text = std::str::from_utf8(&out).expect("the exposition is UTF-8");
            if let Err(e) = crate::metrics::validate::check(text, &|_| false) {
                panic!("invalid exposition from a worker's chunk: {e}\n{text}");
            }
        }
    }
}

/// A chunk as a worker writes it, for seeding the fuzzer: a counter vec
/// series, a per-worker gauge, a histogram and a probe.
pub fn workers_seed() -> Vec<u8> {
    use crate::shm::records::{encode_probe, encode_series, ProbeKind, SeriesKind};
    let l = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let mut out = Vec::new();
    let recs = [
        encode_series(SeriesKind::Counter, "req_total", "Requests.", &l("path", "/a\"b"), &[]),
        encode_series(SeriesKind::Gauge, "temp", "T.", &[], &[]),
        encode_series(SeriesKind::Histogram, "lat_seconds", "L.", &l("op", "get"), &[0.1, 1.0]),
        encode_probe(ProbeKind::Kick, 3, 1_000_000, "loop", 1),
    ];
    for r in recs.into_iter().flatten() {
        out.extend_from_slice(&r.bytes);
    }
    out
}
