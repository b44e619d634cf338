//! From a request's path and method to what to answer.

use super::http::{self, Connection, Head, Method, Request};
use crate::health::report::{self, Format, Options};
use crate::health::Check;
use crate::service::Service;

/// The resources under the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    Check(Check),
    Probe(Check, &'a str),
    Version,
    NotFound,
}

/// Matches `path` exactly (no prefix matching: `/hams/alive/x/y` is 404).
pub(crate) fn route<'a>(prefix: &str, path: &'a str) -> Route<'a> {
    let Some(rest) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
        return Route::NotFound;
    };
    if rest == "version" {
        return Route::Version;
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

const ALLOW: &str = "GET, HEAD";

/// Appends the response to `req` to `out`, using `body` as scratch space.
pub(crate) fn respond(svc: &Service, req: &Request, now_ns: u64, body: &mut Vec<u8>, out: &mut Vec<u8>) {
    let connection = match (req.keep_alive, req.http10) {
        (false, _) => Connection::Close,
        (true, true) => Connection::KeepAlive,
        (true, false) => Connection::Default,
    };
    let mut head = Head { status: 200, content_type: http::TEXT, connection, allow: None, head_only: req.method == Method::Head };
    let route = route(&svc.prefix, req.path);
    body.clear();
    if route == Route::NotFound {
        head.status = 404;
        body.extend_from_slice(b"not found\n");
    } else if !matches!(req.method, Method::Get | Method::Head) {
        head.status = 405;
        head.allow = Some(ALLOW);
        body.extend_from_slice(b"method not allowed\n");
    } else {
        let format = if req.accept_json { Format::Json } else { Format::Text };
        let opts = match Options::new(format).parse_query(req.query) {
            Ok(opts) => opts,
            Err(message) => {
                head.status = 400;
                body.extend_from_slice(message.as_bytes());
                body.push(b'\n');
                http::write_response(out, &head, body);
                return;
            }
        };
        if format == Format::Json {
            head.content_type = http::JSON;
        }
        let passed = match route {
            Route::Check(check) => Some(report::render_check(&svc.registry, check, &opts, now_ns, body)),
            Route::Probe(check, name) => report::render_probe(&svc.registry, check, name, &opts, now_ns, body),
            Route::Version => {
                head.content_type = http::JSON;
                report::render_version(&svc.name, &svc.version, body);
                Some(true)
            }
            Route::NotFound => None,
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
    http::write_response(out, &head, body);
}

/// Appends the answer to a refused request head (the connection closes after it).
pub(crate) fn refuse(refusal: http::Refusal, out: &mut Vec<u8>) {
    let head = Head { status: refusal.status, content_type: http::TEXT, connection: Connection::Close, allow: None, head_only: false };
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
        assert_eq!(route(p, "/hams/ready/db"), Route::Probe(Check::Ready, "db"));
        for nf in ["/hams", "/hams/", "/hams/alive/", "/hams/alive/a/b", "/hamsalive", "/hams/alivex", "/other/alive", "/hams/version/x"] {
            assert_eq!(route(p, nf), Route::NotFound, "{nf}");
        }
        assert_eq!(route("/x/y", "/x/y/alive"), Route::Check(Check::Alive));
    }
}
