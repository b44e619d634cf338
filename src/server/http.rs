//! The HTTP/1.1 we speak: request heads parsed by httparse into a borrowed
//! view, and responses written into a reused buffer.

use std::io::Write;

/// Request heads larger than this get 431.
pub(crate) const MAX_HEAD: usize = 8192;
const MAX_HEADERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Other,
}

/// A parsed request head, borrowing from the read buffer.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a str,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// HTTP/1.0 keep-alive must be confirmed with a `Connection: keep-alive` header.
    pub http10: bool,
    pub accept_json: bool,
    /// The `Accept` header lines, for the scrape's content negotiation.
    pub accept: Lines<'a>,
    /// The `Accept-Encoding` header lines.
    pub accept_encoding: Lines<'a>,
    /// The `Authorization` header's value (empty when absent).
    pub authorization: &'a [u8],
}

/// The values of a header that may come in several lines (up to
/// `MAX_LINES`; more are ignored), borrowed from the read buffer.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Lines<'a> {
    values: [&'a [u8]; MAX_LINES],
    len: usize,
}

const MAX_LINES: usize = 4;

impl<'a> Lines<'a> {
    fn push(&mut self, value: &'a [u8]) {
        if let Some(slot) = self.values.get_mut(self.len) {
            *slot = value;
            self.len += 1;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.values[..self.len].iter().copied()
    }
}

/// Why a request head was refused; the connection is closed after the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: &'static str,
}

const fn refuse(status: u16, message: &'static str) -> Refusal {
    Refusal { status, message }
}

#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    /// More bytes are needed.
    Partial,
    /// A request whose head is `len` bytes long.
    Request(Request<'a>, usize),
    Refused(Refusal),
}

/// Parses one request head at the start of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Parsed<'_> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Parsed::Refused(refuse(431, "request head too large"))
        }
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Refused(refuse(431, "too many header fields")),
        Err(_) => return Parsed::Refused(refuse(400, "malformed request")),
    };
    if len > MAX_HEAD {
        return Parsed::Refused(refuse(431, "request head too large"));
    }
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Parsed::Refused(refuse(400, "malformed request"));
    };
    if !target.starts_with('/') {
        return Parsed::Refused(refuse(400, "request target must be a path"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        _ => Method::Other,
    };
    let http10 = minor == 0;
    let mut hosts = 0;
    let mut close = false;
    let mut keep_alive = false;
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut accept_json = false;
    let mut accept = Lines::default();
    let mut accept_encoding = Lines::default();
    let mut authorization: &[u8] = &[];
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            let Some(n) = parse_decimal(h.value) else {
                return Parsed::Refused(refuse(400, "invalid Content-Length"));
            };
            if content_length.is_some() {
                return Parsed::Refused(refuse(400, "more than one Content-Length"));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("accept") {
            accept_json |= contains_ignore_case(h.value, b"application/json");
            accept.push(h.value);
        } else if name.eq_ignore_ascii_case("accept-encoding") {
            accept_encoding.push(h.value);
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization = h.value;
        }
    }
    if hosts > 1 || (hosts == 0 && !http10) {
        return Parsed::Refused(refuse(400, "exactly one Host header is required"));
    }
    if chunked && content_length.is_some() {
        return Parsed::Refused(refuse(400, "both Transfer-Encoding and Content-Length"));
    }
    if chunked || content_length.is_some_and(|n| n > 0) {
        return Parsed::Refused(refuse(413, "request bodies are not accepted"));
    }
    let keep_alive = if http10 { keep_alive && !close } else { !close };
    Parsed::Request(
        Request { method, path, query, keep_alive, http10, accept_json, accept, accept_encoding, authorization },
        len,
    )
}

fn parse_decimal(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

pub(crate) const TEXT: &str = "text/plain; charset=utf-8";
pub(crate) const JSON: &str = "application/json";

/// What to say about the connection in the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Connection {
    /// HTTP/1.1 default: persistent, nothing to say.
    Default,
    /// Confirms keep-alive to an HTTP/1.0 client.
    KeepAlive,
    Close,
}

/// One response's head fields besides the body.
pub(crate) struct Head {
    pub status: u16,
    pub content_type: &'static str,
    pub connection: Connection,
    /// One more header line without CRLF, e.g. `Allow: GET, HEAD` for 405.
    pub extra: Option<&'static str>,
    /// HEAD requests get the head only, with the body's length.
    pub head_only: bool,
}

/// Appends a complete response to `out`.
pub(crate) fn write_response(out: &mut Vec<u8>, head: &Head, body: &[u8]) {
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        head.status,
        super::status::reason(head.status),
        head.content_type,
        body.len()
    );
    match head.connection {
        Connection::Default => {}
        Connection::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Connection::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
    if let Some(extra) = head.extra {
        out.extend_from_slice(extra.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head.head_only {
        out.extend_from_slice(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Request<'_> {
        match parse(s.as_bytes()) {
            Parsed::Request(r, n) => {
                assert_eq!(n, s.len());
                r
            }
            other => panic!("{other:?}"),
        }
    }

    fn refused(s: &[u8]) -> u16 {
        match parse(s) {
            Parsed::Refused(r) => r.status,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keep_alive_rules() {
        assert!(req("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keep_alive);
        assert!(!req("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!req("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(!req("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
    }

    #[test]
    fn fields() {
        let r = req(
            "HEAD /hams/ready?verbose&exclude=db HTTP/1.1\r\nHost: a\r\nAccept: text/html, Application/JSON\r\n\r\n",
        );
        assert_eq!(
            (r.method, r.path, r.query, r.accept_json),
            (Method::Head, "/hams/ready", "verbose&exclude=db", true)
        );
        assert_eq!(req("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").method, Method::Get);
        let r = req("GET / HTTP/1.1\r\nHost: a\r\nAccept: a/b\r\naccept-encoding: gzip\r\nACCEPT: c/d;q=0.5\r\n\r\n");
        assert_eq!(r.accept.iter().collect::<Vec<_>>(), [&b"a/b"[..], b"c/d;q=0.5"]);
        assert_eq!(r.accept_encoding.iter().collect::<Vec<_>>(), [&b"gzip"[..]]);
        let many = "Accept: x/y\r\n".repeat(6);
        assert_eq!(req(&format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n")).accept.iter().count(), 4);
    }

    #[test]
    fn partial_and_refused() {
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n"), Parsed::Partial));
        assert_eq!(refused(b"GET / HTTP/1.1\r\n\r\n"), 400,);
        assert_eq!(refused(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        assert_eq!(refused(b"GARBAGE\r\n\r\n"), 400);
        assert_eq!(refused(b"GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
        assert_eq!(refused(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"), 413);
        assert_eq!(refused(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 413);
        assert_eq!(
            refused(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            400
        );
        assert_eq!(refused(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
        assert_eq!(refused(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
        let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "y".repeat(MAX_HEAD));
        assert_eq!(refused(big.as_bytes()), 431);
        assert_eq!(refused(&big.as_bytes()[..MAX_HEAD + 10]), 431);
        let many: String = (0..100).map(|i| format!("X{i}: y\r\n")).collect();
        assert_eq!(refused(format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n").as_bytes()), 431);
    }

    #[test]
    fn response_format() {
        let mut out = Vec::new();
        let head = Head {
            status: 405,
            content_type: TEXT,
            connection: Connection::Close,
            extra: Some("Allow: GET, HEAD"),
            head_only: false,
        };
        write_response(&mut out, &head, b"no");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nAllow: GET, HEAD\r\n\r\nno"
        );
    }
}
