//! `GET <prefix>/<check>` and `GET <prefix>/<check>/<probe>`: the health
//! model's answer, as text or JSON.

use crate::health::render::{self, Format, Options};
use crate::health::Check;
use crate::server::exchange::{Exchange, Outcome};
use crate::server::http;
use crate::server::site::Site;

pub(super) fn alive(site: &Site, x: &mut Exchange) -> Outcome {
    answer(site, x, Check::Alive, false)
}

pub(super) fn ready(site: &Site, x: &mut Exchange) -> Outcome {
    answer(site, x, Check::Ready, false)
}

pub(super) fn startup(site: &Site, x: &mut Exchange) -> Outcome {
    answer(site, x, Check::Startup, false)
}

pub(super) fn alive_probe(site: &Site, x: &mut Exchange) -> Outcome {
    answer(site, x, Check::Alive, true)
}

pub(super) fn ready_probe(site: &Site, x: &mut Exchange) -> Outcome {
    answer(site, x, Check::Ready, true)
}

pub(super) fn startup_probe(site: &Site, x: &mut Exchange) -> Outcome {
    answer(site, x, Check::Startup, true)
}

fn answer(site: &Site, x: &mut Exchange, check: Check, probe: bool) -> Outcome {
    let Some(opts) = options(x) else { return Outcome::Respond };
    let passed = if probe {
        render::render_probe(&site.probes, check, x.param, &opts, x.now_ns, x.body)
    } else {
        Some(render::render_check(&site.probes, check, &opts, x.now_ns, x.body))
    };
    match passed {
        Some(true) => {}
        Some(false) => x.head.status = 503,
        None => {
            x.head.status = 404;
            x.head.content_type = http::TEXT;
            x.body.clear();
            x.body.extend_from_slice(b"no such probe\n");
        }
    }
    Outcome::Respond
}

/// The query's options (JSON when asked for); or `None` with a 400 written
/// into `x` when the query is not acceptable.
pub(super) fn options<'r>(x: &mut Exchange<'_, 'r>) -> Option<Options<'r>> {
    let format = if x.req.accept_json { Format::Json } else { Format::Text };
    match Options::new(format).parse_query(x.req.query) {
        Ok(opts) => {
            if format == Format::Json {
                x.head.content_type = http::JSON;
            }
            Some(opts)
        }
        Err(message) => {
            x.head.status = 400;
            x.body.extend_from_slice(message.as_bytes());
            x.body.push(b'\n');
            None
        }
    }
}
