//! From a request's path and method to what to answer.

use super::http::{self, Connection, Head, Method, Request};
use crate::health::render::{render_check, render_probe, Format, Options};
use crate::health::Check;
use crate::json::{json_str, render_version};
use crate::lifecycle::shutdown::{Origin, Phase};
use crate::metrics::builtin::{self, RouteLabel};
use crate::metrics::collector::Failure;
use crate::metrics::expose::{self, Writer};
use crate::metrics::validate;
use crate::service::Service;
use std::io::Write;

/// The resources under the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    Check(Check),
    Probe(Check, &'a str),
    Version,
    Metrics,
    Shutdown,
    NotFound,
}

/// Matches `path` exactly (no prefix matching: `/hams/alive/x/y` is 404).
pub(crate) fn route<'a>(prefix: &str, path: &'a str) -> Route<'a> {
    let Some(rest) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
        return Route::NotFound;
    };
    match rest {
        "version" => return Route::Version,
        "metrics" => return Route::Metrics,
        "shutdown" => return Route::Shutdown,
        _ => {}
    }
    let (check, probe) = match rest.split_once('/') {
        Some((check, probe)) => (check, Some(probe)),
        None => (rest, None),
    };
    match (Check::from_name(check), probe) {
        (Some(check), None) => Route::Check(check),
        (Some(check), Some(name)) if !name.is_empty() && !name.contains('/') => Route::Probe(check, name),
        _ => Route::NotFound,
    }
}

/// Whether the response was written, or must wait for something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    Sent,
    Park(Wait),
}

/// What a parked request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The shutdown sequence to finish; the connection closes after.
    Shutdown,
    /// The metrics callback's run number `target` to finish.
    Metrics { target: u64, format: expose::Format, head_only: bool, connection: Connection },
}

impl Wait {
    /// Whether input after the parked request is served afterwards.
    pub(crate) fn keeps_input(self) -> bool {
        matches!(self, Wait::Metrics { connection, .. } if connection != Connection::Close)
    }
}

const ALLOW_GET: &str = "Allow: GET, HEAD";
const ALLOW_POST: &str = "Allow: POST";

fn connection_header(req: &Request) -> Connection {
    match (req.keep_alive, req.http10) {
        (false, _) => Connection::Close,
        (true, true) => Connection::KeepAlive,
        (true, false) => Connection::Default,
    }
}

fn label(route: Route) -> RouteLabel {
    match route {
        Route::Check(c) => RouteLabel::for_check(c, false),
        Route::Probe(c, _) => RouteLabel::for_check(c, true),
        Route::Version => RouteLabel::Version,
        Route::Metrics => RouteLabel::Metrics,
        Route::Shutdown => RouteLabel::Shutdown,
        Route::NotFound => RouteLabel::Other,
    }
}

/// Appends the response to `req` to `out`, using `body` as scratch space,
/// and counts it.
pub(crate) fn respond(svc: &Service, req: &Request, now_ns: u64, body: &mut Vec<u8>, out: &mut Vec<u8>) -> Reply {
    let route = match route(&svc.prefix, req.path) {
        Route::Shutdown if svc.endpoint.is_none() => Route::NotFound,
        r => r,
    };
    let (reply, status) = answer(svc, route, req, now_ns, body, out);
    if let Some(status) = status {
        svc.http.record(label(route), status);
    }
    reply
}

/// Writes the answer; returns the status written (none when parked).
fn answer(
    svc: &Service,
    route: Route,
    req: &Request,
    now_ns: u64,
    body: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> (Reply, Option<u16>) {
    let mut head = Head {
        status: 200,
        content_type: http::TEXT,
        connection: connection_header(req),
        extra: None,
        head_only: req.method == Method::Head,
    };
    body.clear();
    let reads = matches!(req.method, Method::Get | Method::Head);
    match route {
        Route::NotFound => {
            head.status = 404;
            body.extend_from_slice(b"not found\n");
        }
        Route::Shutdown if req.method != Method::Post => {
            head.status = 405;
            head.extra = Some(ALLOW_POST);
            body.extend_from_slice(b"method not allowed\n");
        }
        Route::Shutdown => return shutdown(svc, req, head, body, out),
        _ if !reads => {
            head.status = 405;
            head.extra = Some(ALLOW_GET);
            body.extend_from_slice(b"method not allowed\n");
        }
        Route::Metrics => {
            let format = if req.accept_openmetrics { expose::Format::OpenMetrics } else { expose::Format::Text };
            if let Some(target) = svc.collector.request(svc.taken.clone()) {
                let wait = Wait::Metrics { target, format, head_only: head.head_only, connection: head.connection };
                return (Reply::Park(wait), None);
            }
            head.content_type = format.content_type();
            render_metrics(svc, format, now_ns, false, body);
        }
        _ => {
            let format = if req.accept_json { Format::Json } else { Format::Text };
            let opts = match Options::new(format).parse_query(req.query) {
                Ok(opts) => opts,
                Err(message) => {
                    head.status = 400;
                    body.extend_from_slice(message.as_bytes());
                    body.push(b'\n');
                    http::write_response(out, &head, body);
                    return (Reply::Sent, Some(400));
                }
            };
            if format == Format::Json {
                head.content_type = http::JSON;
            }
            let passed = match route {
                Route::Check(check) => Some(render_check(&svc.registry, check, &opts, now_ns, body)),
                Route::Probe(check, name) => render_probe(&svc.registry, check, name, &opts, now_ns, body),
                _ => {
                    head.content_type = http::JSON;
                    render_version(&svc.name, &svc.version, body);
                    Some(true)
                }
            };
            match passed {
                Some(true) => {}
                Some(false) => head.status = 503,
                None => {
                    head.status = 404;
                    head.content_type = http::TEXT;
                    body.clear();
                    body.extend_from_slice(b"no such probe\n");
                }
            }
        }
    }
    http::write_response(out, &head, body);
    (Reply::Sent, Some(head.status))
}

/// The metrics document: hams' families, the application's, then the
/// callback's last valid output when `with_callback`.
fn render_metrics(svc: &Service, format: expose::Format, now_ns: u64, with_callback: bool, body: &mut Vec<u8>) {
    body.clear();
    let mut w = Writer { out: body, format };
    let mut path = [0u8; 160];
    builtin::render(svc, &mut w, now_ns, &mut path);
    svc.metrics.with_families(|f| w.families(f));
    if with_callback {
        svc.collector.with_output(|text| match format {
            expose::Format::Text => {
                w.out.extend_from_slice(text.as_bytes());
                if !text.is_empty() && !text.ends_with('\n') {
                    w.out.push(b'\n');
                }
            }
            expose::Format::OpenMetrics => validate::to_openmetrics(text, w.out),
        });
    }
    w.finish();
}

/// Answers a parked metrics request: with the callback's output, or without
/// it (counted) when the collection did not finish in time.
pub(crate) fn metrics_answer(svc: &Service, wait: Wait, timed_out: bool, body: &mut Vec<u8>, out: &mut Vec<u8>) {
    let Wait::Metrics { format, head_only, connection, .. } = wait else { return };
    if timed_out {
        svc.collector.count(Failure::Timeout);
    }
    render_metrics(svc, format, crate::clock::now_ns(), !timed_out, body);
    let head = Head { status: 200, content_type: format.content_type(), connection, extra: None, head_only };
    http::write_response(out, &head, body);
    svc.http.record(RouteLabel::Metrics, 200);
}

/// `POST <prefix>/shutdown`: checks the token, starts the sequence, and
/// parks the connection until it is done (see `shutdown_answer`).
fn shutdown(
    svc: &Service,
    req: &Request,
    mut head: Head,
    body: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> (Reply, Option<u16>) {
    let token = svc.endpoint.as_ref().and_then(|e| e.token.as_deref());
    if let Some(token) = token {
        if !bearer_matches(req.authorization, token.as_bytes()) {
            head.status = 401;
            head.extra = Some("WWW-Authenticate: Bearer");
            body.extend_from_slice(b"a valid bearer token is required\n");
            http::write_response(out, &head, body);
            return (Reply::Sent, Some(401));
        }
    }
    svc.shutdown.request(Origin::Http);
    (Reply::Park(Wait::Shutdown), None)
}

/// Writes the answer to a parked shutdown request: 200 when the sequence is
/// done, 202 while it is still going (the wait bound passed). The connection
/// closes after it.
pub(crate) fn shutdown_answer(svc: &Service, out: &mut Vec<u8>) {
    let s = svc.shutdown.summary();
    let done = s.phase == Phase::Done;
    let mut body = Vec::with_capacity(160);
    let phase = match s.phase {
        Phase::Running => "running",
        Phase::Draining => "draining",
        Phase::Callbacks => "callbacks",
        Phase::Done => "done",
    };
    let _ = write!(body, "{{\"status\":\"{phase}\",\"origin\":");
    json_str(&mut body, &s.origin.map(|o| o.describe()).unwrap_or_default());
    let _ = write!(
        body,
        ",\"drain_ms\":{},\"elapsed_ms\":{},\"callbacks_run\":{}}}",
        svc.shutdown.drain().as_millis(),
        s.elapsed.as_millis(),
        s.callbacks_run
    );
    let head = Head {
        status: if done { 200 } else { 202 },
        content_type: http::JSON,
        connection: Connection::Close,
        extra: None,
        head_only: false,
    };
    http::write_response(out, &head, &body);
    svc.http.record(RouteLabel::Shutdown, head.status);
}

/// Compares `Authorization: Bearer <token>` in time independent of where
/// the token differs.
fn bearer_matches(header: &[u8], token: &[u8]) -> bool {
    let Some(scheme) = header.get(..7) else { return false };
    if !scheme.eq_ignore_ascii_case(b"Bearer ") {
        return false;
    }
    let given = header[7..].trim_ascii();
    if given.len() != token.len() {
        return false;
    }
    let diff = given.iter().zip(token).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// Appends the answer to a refused request head (the connection closes after it).
pub(crate) fn refuse(refusal: http::Refusal, out: &mut Vec<u8>) {
    let head = Head {
        status: refusal.status,
        content_type: http::TEXT,
        connection: Connection::Close,
        extra: None,
        head_only: false,
    };
    let mut msg = [0u8; 128];
    let text = refusal.message.as_bytes();
    let n = text.len().min(msg.len() - 1);
    msg[..n].copy_from_slice(&text[..n]);
    msg[n] = b'\n';
    http::write_response(out, &head, &msg[..=n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_routes() {
        let p = "/hams";
        assert_eq!(route(p, "/hams/alive"), Route::Check(Check::Alive));
        assert_eq!(route(p, "/hams/ready"), Route::Check(Check::Ready));
        assert_eq!(route(p, "/hams/startup"), Route::Check(Check::Startup));
        assert_eq!(route(p, "/hams/version"), Route::Version);
        assert_eq!(route(p, "/hams/shutdown"), Route::Shutdown);
        assert_eq!(route(p, "/hams/metrics"), Route::Metrics);
        assert_eq!(route(p, "/hams/ready/db"), Route::Probe(Check::Ready, "db"));
        for nf in [
            "/hams",
            "/hams/",
            "/hams/alive/",
            "/hams/alive/a/b",
            "/hamsalive",
            "/hams/alivex",
            "/other/alive",
            "/hams/version/x",
        ] {
            assert_eq!(route(p, nf), Route::NotFound, "{nf}");
        }
        assert_eq!(route("/x/y", "/x/y/alive"), Route::Check(Check::Alive));
    }

    #[test]
    fn bearer_tokens() {
        assert!(bearer_matches(b"Bearer s3cret", b"s3cret"));
        assert!(bearer_matches(b"bearer  s3cret ", b"s3cret"));
        for bad in [&b""[..], b"Bearer", b"Bearer s3cre", b"Bearer s3cretX", b"Basic s3cret", b"Bearer S3cret"] {
            assert!(!bearer_matches(bad, b"s3cret"), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
