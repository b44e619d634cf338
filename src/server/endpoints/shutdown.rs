//! `POST <prefix>/shutdown`, when enabled: checks the bearer token, starts
//! the shutdown sequence and parks until it is done (see `resume`).

use crate::json::json_str;
use crate::lifecycle::shutdown::{Origin, Phase};
use crate::server::exchange::{Exchange, Outcome, Wait};
use crate::server::http::{self, Connection, Head};
use crate::server::site::Site;
use std::io::Write;

pub(super) fn enabled(site: &Site) -> bool {
    site.endpoint.is_some()
}

pub(super) fn post(site: &Site, x: &mut Exchange) -> Outcome {
    let token = site.endpoint.as_ref().and_then(|e| e.token.as_deref());
    if let Some(token) = token {
        if !bearer_matches(x.req.authorization, token.as_bytes()) {
            x.head.status = 401;
            x.head.extra = Some("WWW-Authenticate: Bearer");
            x.body.extend_from_slice(b"a valid bearer token is required\n");
            return Outcome::Respond;
        }
    }
    site.shutdown.request(Origin::Http);
    Outcome::Park(Wait::Shutdown)
}

/// Writes the answer to a parked shutdown request: 200 when the sequence is
/// done, 202 while it is still going (the wait bound passed). The connection
/// closes after it. Returns the status.
pub(crate) fn resume(site: &Site, out: &mut Vec<u8>) -> u16 {
    let s = site.shutdown.summary();
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
        site.shutdown.drain().as_millis(),
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
    head.status
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        assert!(bearer_matches(b"Bearer s3cret", b"s3cret"));
        assert!(bearer_matches(b"bearer  s3cret ", b"s3cret"));
        for bad in [&b""[..], b"Bearer", b"Bearer s3cre", b"Bearer s3cretX", b"Basic s3cret", b"Bearer S3cret"] {
            assert!(!bearer_matches(bad, b"s3cret"), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
