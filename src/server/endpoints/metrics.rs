//! `GET <prefix>/metrics`: the Prometheus scrape. The handler only decides
//! what to answer; the document is rendered on the render thread
//! (`server/render_thread.rs`) and the request parks until it is done, so the
//! serving thread never waits on a long render or on the metrics callback.

use crate::metrics::gzip::{self, Gzip};
use crate::metrics::negotiate::{AcceptEncoding, AcceptFormat, Encoding};
use crate::server::exchange::{Exchange, Outcome, ScrapeJob, Wait};
use crate::server::http::{self, Head};
use crate::server::site::Site;

pub(super) fn get(_site: &Site, x: &mut Exchange) -> Outcome {
    let mut format = AcceptFormat::default();
    x.req.accept.iter().for_each(|v| format.add(v));
    let mut coding = AcceptEncoding::default();
    x.req.accept_encoding.iter().for_each(|v| coding.add(v));
    let job = ScrapeJob {
        format: format.choose(),
        gzip: coding.choose() == Encoding::Gzip,
        head_only: x.head.head_only,
        connection: x.head.connection,
    };
    Outcome::Park(Wait::Scrape { job, ticket: 0 })
}

/// The answer depends on these request headers (for caches in between).
const VARY: &str = "Vary: Accept, Accept-Encoding";
const VARY_GZIP: &str = "Content-Encoding: gzip\r\nVary: Accept, Accept-Encoding";

/// Reused between scrapes by the render thread.
#[derive(Default)]
pub(crate) struct RenderBuffers {
    body: Vec<u8>,
    gzipped: Vec<u8>,
    /// Made on the first compressed scrape (its state is some 300 KiB).
    gzip: Option<Gzip>,
}

/// The complete response to `job`, rendered on the render thread; with the
/// metrics callback's output when `with_callback`.
pub(crate) fn render(site: &Site, job: &ScrapeJob, with_callback: bool, bufs: &mut RenderBuffers) -> Vec<u8> {
    let RenderBuffers { body, gzipped, gzip } = bufs;
    let format = job.format;
    site.scrape.render(format, crate::clock::now_ns(), with_callback, body, &|w| site.http.render(w));
    // Small bodies stay identity: one TCP segment carries them anyway.
    gzipped.clear();
    let compressed =
        job.gzip && body.len() >= gzip::MIN_BODY && gzip.get_or_insert_with(Gzip::new).encode(body, gzipped);
    let (sent, extra) = if compressed { (&*gzipped, VARY_GZIP) } else { (&*body, VARY) };
    let head = Head {
        status: 200,
        content_type: format.content_type(),
        connection: job.connection,
        extra: Some(extra),
        head_only: job.head_only,
    };
    let mut out = Vec::with_capacity(256 + if job.head_only { 0 } else { sent.len() });
    http::write_response(&mut out, &head, sent);
    for buf in [body, gzipped] {
        if buf.capacity() > KEEP_CAPACITY && buf.len() < buf.capacity() / 4 {
            // A registry that shrank: give the memory back.
            *buf = Vec::new();
        }
    }
    out
}

/// The render buffer keeps at most this much memory between scrapes unless
/// the scrapes need it.
const KEEP_CAPACITY: usize = 1 << 20;

/// Answers a scrape the render thread did not deliver in time (it is stuck
/// or could not start). Returns the status.
pub(crate) fn late(job: &ScrapeJob, out: &mut Vec<u8>) -> u16 {
    let head = Head {
        status: 503,
        content_type: http::TEXT,
        connection: job.connection,
        extra: None,
        head_only: job.head_only,
    };
    http::write_response(out, &head, b"the scrape could not be rendered in time\n");
    head.status
}
