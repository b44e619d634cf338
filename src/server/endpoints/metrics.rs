//! `GET <prefix>/metrics`: the Prometheus scrape. With a metrics callback
//! installed the request parks until a fresh collection finishes (or its
//! timeout passes), without blocking the server.

use crate::metrics::expose::Format;
use crate::server::exchange::{Exchange, Outcome, Wait};
use crate::server::http::{self, Head};
use crate::server::site::Site;

pub(super) fn get(site: &Site, x: &mut Exchange) -> Outcome {
    let format = if x.req.accept_openmetrics { Format::OpenMetrics } else { Format::Text };
    if let Some(target) = site.scrape.collector().request() {
        let (head_only, connection) = (x.head.head_only, x.head.connection);
        return Outcome::Park(Wait::Metrics { target, format, head_only, connection });
    }
    x.head.content_type = format.content_type();
    render(site, format, x.now_ns, false, x.body);
    Outcome::Respond
}

fn render(site: &Site, format: Format, now_ns: u64, with_callback: bool, body: &mut Vec<u8>) {
    site.scrape.render(format, now_ns, with_callback, body, &|w| site.http.render(w));
}

/// Answers a parked scrape: with the callback's output, or without it
/// (counted) when the collection did not finish in time. Returns the status.
pub(crate) fn resume(site: &Site, wait: Wait, timed_out: bool, body: &mut Vec<u8>, out: &mut Vec<u8>) -> u16 {
    let Wait::Metrics { format, head_only, connection, .. } = wait else { return 0 };
    if timed_out {
        site.scrape.timed_out();
    }
    render(site, format, crate::clock::now_ns(), !timed_out, body);
    let head = Head { status: 200, content_type: format.content_type(), connection, extra: None, head_only };
    http::write_response(out, &head, body);
    head.status
}
