//! The router: from a request to its endpoint in the route table, 404 and
//! 405 for the rest, and every response counted.

use super::endpoints::{self, ENDPOINTS};
use super::exchange::{Exchange, Outcome, Parked, Wait};
use super::http::{self, Connection, Head, Method, Request};
use super::site::Site;

/// Whether the response was written, or must wait for something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    Sent,
    Park(Parked),
}

fn connection_header(req: &Request) -> Connection {
    match (req.keep_alive, req.http10) {
        (false, _) => Connection::Close,
        (true, true) => Connection::KeepAlive,
        (true, false) => Connection::Default,
    }
}

/// Appends the response to `req` to `out`, using `body` as scratch space,
/// and counts it.
pub(crate) fn respond(site: &Site, req: &Request, now_ns: u64, body: &mut Vec<u8>, out: &mut Vec<u8>) -> Reply {
    let mut head = Head {
        status: 200,
        content_type: http::TEXT,
        connection: connection_header(req),
        extra: None,
        head_only: req.method == Method::Head,
    };
    body.clear();
    let found = endpoints::find(&site.identity.prefix, req.path).filter(|(i, _)| (ENDPOINTS[*i].enabled)(site));
    let Some((i, param)) = found else {
        head.status = 404;
        body.extend_from_slice(b"not found\n");
        http::write_response(out, &head, body);
        site.http.record(None, head.status);
        return Reply::Sent;
    };
    let endpoint = &ENDPOINTS[i];
    if !endpoint.methods.allows(req.method) {
        head.status = 405;
        head.extra = Some(endpoint.methods.allow_header());
        body.extend_from_slice(b"method not allowed\n");
        http::write_response(out, &head, body);
        site.http.record(Some(i), head.status);
        return Reply::Sent;
    }
    let mut x = Exchange { req, param, now_ns, head, body };
    match (endpoint.handler)(site, &mut x) {
        Outcome::Respond => {
            http::write_response(out, &x.head, x.body);
            site.http.record(Some(i), x.head.status);
            Reply::Sent
        }
        Outcome::Park(wait) => Reply::Park(Parked { endpoint: i, wait }),
    }
}

/// Answers a parked request whose wait is over, or (a scrape) ran out, and counts it.
pub(crate) fn resume(site: &Site, parked: Parked, out: &mut Vec<u8>) {
    let status = match parked.wait {
        Wait::Shutdown => endpoints::resume_shutdown(site, out),
        Wait::Scrape { job, .. } => endpoints::late_scrape(&job, out),
    };
    site.http.record(Some(parked.endpoint), status);
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
