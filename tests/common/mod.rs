//! A tiny, strict HTTP client over real sockets for the integration tests.
#![allow(dead_code)]

use hams::{Config, Hams, Limits};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A started `Hams` on 127.0.0.1 with an ephemeral port.
pub fn started(name: &str) -> (Hams, u16) {
    started_with(name, Limits::default())
}

pub fn started_with(name: &str, limits: Limits) -> (Hams, u16) {
    let mut config = Config::new(name, "1.2.3");
    config.address = "127.0.0.1:0".into();
    config.limits = limits;
    let h = Hams::with_config(config).expect("new");
    h.start().expect("start");
    let port = h.port().expect("port");
    (h, port)
}

pub fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one response from `s` (its body per Content-Length unless `head`).
pub fn read_response(s: &mut TcpStream, head: bool) -> Response {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).expect("read head");
        assert!(n == 1, "connection closed inside a response head; got {:?}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    let text = String::from_utf8(buf).expect("utf-8 head");
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(": ").expect("header line");
            (n.to_string(), v.to_string())
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .expect("Content-Length on every response")
        .1
        .parse()
        .unwrap();
    let mut body = vec![0u8; if head { 0 } else { len }];
    s.read_exact(&mut body).expect("read body");
    Response { status, headers, body: String::from_utf8(body).expect("utf-8 body") }
}

/// One request on a new connection (closed after).
pub fn get(port: u16, path: &str) -> Response {
    get_with(port, path, "")
}

pub fn get_with(port: u16, path: &str, extra_headers: &str) -> Response {
    let mut s = connect(port);
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra_headers}\r\n").unwrap();
    read_response(&mut s, false)
}

/// Sends raw bytes and reads everything until the server closes.
pub fn raw(port: u16, bytes: &[u8]) -> String {
    let mut s = connect(port);
    s.write_all(bytes).unwrap();
    read_to_close(&mut s)
}

pub fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read: {e} after {:?}", String::from_utf8_lossy(&out)),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True when the server closes `s` (EOF or reset) within the read timeout;
/// anything it sends first is drained.
pub fn is_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}
