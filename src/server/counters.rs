//! `hams_http_requests_total`: requests served, by endpoint and status, with
//! atomics only. The server owns them; the route table names the endpoints.

use super::status;
use crate::metrics::expose::{Type, Writer};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) struct HttpCounters {
    /// The `path` label of each endpoint (prefix included), then "other".
    paths: Box<[String]>,
    counts: Box<[[AtomicU64; status::COUNT]]>,
}

impl HttpCounters {
    /// Counters for endpoints with these paths under `prefix`, and for requests
    /// that reached none of them.
    pub(crate) fn new<'p>(prefix: &str, paths: impl Iterator<Item = &'p str>) -> HttpCounters {
        let paths: Box<[String]> = paths.map(|p| format!("{prefix}{p}")).chain(["other".to_string()]).collect();
        let counts = paths.iter().map(|_| std::array::from_fn(|_| AtomicU64::new(0))).collect();
        HttpCounters { paths, counts }
    }

    /// Counts a response of endpoint `endpoint` (`None`: no endpoint).
    pub(crate) fn record(&self, endpoint: Option<usize>, status: u16) {
        let other = self.counts.len() - 1;
        let row = endpoint.filter(|&e| e < other).unwrap_or(other);
        self.counts[row][status::index(status)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn render(&self, w: &mut Writer) {
        w.header("hams_http_requests_total", "HTTP requests served by hams, by route and status code.", Type::Counter);
        for (path, counts) in self.paths.iter().zip(self.counts.iter()) {
            for (c, count) in counts.iter().enumerate() {
                let n = count.load(Ordering::Relaxed);
                if n > 0 {
                    let mut digits = [0u8; 5];
                    let code = status::code(c).map_or("other", |code| fmt_u16(code, &mut digits));
                    let labels = [("path", path.as_str()), ("code", code)];
                    w.sample("hams_http_requests_total", "", labels.into_iter(), None, n as f64);
                }
            }
        }
    }
}

/// Formats without allocating (scrapes on keep-alive connections allocate nothing).
fn fmt_u16(v: u16, buf: &mut [u8; 5]) -> &str {
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::expose::Format;

    #[test]
    fn counts_by_path_and_code() {
        let c = HttpCounters::new("/p", ["/a", "/b/{x}"].into_iter());
        c.record(Some(1), 200);
        c.record(Some(1), 200);
        c.record(None, 404);
        c.record(Some(7), 299);
        let mut out = Vec::new();
        c.render(&mut Writer::new(&mut out, Format::Text));
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(
            "hams_http_requests_total{path=\"/p/b/{x}\",code=\"200\"} 2\n\
             hams_http_requests_total{path=\"other\",code=\"404\"} 1\n\
             hams_http_requests_total{path=\"other\",code=\"other\"} 1\n"
        ));
    }
}
