//! The route table: every endpoint once, with its path under the prefix,
//! the methods it takes, and its handler. Routing, `405` with its `Allow`
//! header and the `path` label of `hams_http_requests_total` all come from
//! it. Adding an endpoint is a row here and a handler file.

mod health;
mod metrics;
mod shutdown;
mod version;

use super::exchange::{Exchange, Outcome};
use super::http::Method;
use super::site::Site;

pub(crate) use metrics::{late as late_scrape, render as render_scrape, RenderBuffers};
pub(crate) use shutdown::resume as resume_shutdown;

pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint::read("/alive", health::alive),
    Endpoint::read("/ready", health::ready),
    Endpoint::read("/startup", health::startup),
    Endpoint::read("/alive/{probe}", health::alive_probe),
    Endpoint::read("/ready/{probe}", health::ready_probe),
    Endpoint::read("/startup/{probe}", health::startup_probe),
    Endpoint::read("/version", version::get),
    Endpoint::read("/metrics", metrics::get),
    Endpoint::post("/shutdown", shutdown::post).when(shutdown::enabled),
];

pub(crate) type Handler = fn(&Site, &mut Exchange) -> Outcome;

pub(crate) struct Endpoint {
    /// The path under the prefix; a final `{probe}` matches one non-empty segment.
    pub path: &'static str,
    pub methods: Methods,
    pub handler: Handler,
    /// Whether the endpoint is served; otherwise it is 404 (counted as "other").
    pub enabled: fn(&Site) -> bool,
}

fn always(_: &Site) -> bool {
    true
}

impl Endpoint {
    const fn read(path: &'static str, handler: Handler) -> Endpoint {
        Endpoint { path, methods: Methods::Read, handler, enabled: always }
    }

    const fn post(path: &'static str, handler: Handler) -> Endpoint {
        Endpoint { path, methods: Methods::Post, handler, enabled: always }
    }

    const fn when(self, enabled: fn(&Site) -> bool) -> Endpoint {
        Endpoint { enabled, ..self }
    }

    /// The `{probe}` segment when `rest` (the path after the prefix) is this endpoint's.
    fn matches<'p>(&self, rest: &'p str) -> Option<&'p str> {
        match self.path.strip_suffix("{probe}") {
            None => (rest == self.path).then_some(""),
            Some(parent) => rest.strip_prefix(parent).filter(|p| !p.is_empty() && !p.contains('/')),
        }
    }
}

/// The methods an endpoint takes (HEAD goes with GET).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Methods {
    Read,
    Post,
}

impl Methods {
    pub(crate) fn allows(self, m: Method) -> bool {
        match self {
            Methods::Read => matches!(m, Method::Get | Method::Head),
            Methods::Post => m == Method::Post,
        }
    }

    /// The header a 405 carries.
    pub(crate) fn allow_header(self) -> &'static str {
        match self {
            Methods::Read => "Allow: GET, HEAD",
            Methods::Post => "Allow: POST",
        }
    }
}

/// The endpoint `path` names exactly (no prefix matching: `/hams/alive/x/y`
/// is none), with its `{probe}` segment.
pub(crate) fn find<'p>(prefix: &str, path: &'p str) -> Option<(usize, &'p str)> {
    let rest = path.strip_prefix(prefix).filter(|r| r.starts_with('/'))?;
    ENDPOINTS.iter().enumerate().find_map(|(i, e)| e.matches(rest).map(|param| (i, param)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route<'p>(prefix: &str, path: &'p str) -> Option<(&'static str, &'p str)> {
        find(prefix, path).map(|(i, param)| (ENDPOINTS[i].path, param))
    }

    #[test]
    fn exact_routes() {
        let p = "/hams";
        assert_eq!(route(p, "/hams/alive"), Some(("/alive", "")));
        assert_eq!(route(p, "/hams/ready"), Some(("/ready", "")));
        assert_eq!(route(p, "/hams/startup"), Some(("/startup", "")));
        assert_eq!(route(p, "/hams/version"), Some(("/version", "")));
        assert_eq!(route(p, "/hams/shutdown"), Some(("/shutdown", "")));
        assert_eq!(route(p, "/hams/metrics"), Some(("/metrics", "")));
        assert_eq!(route(p, "/hams/ready/db"), Some(("/ready/{probe}", "db")));
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
            assert_eq!(route(p, nf), None, "{nf}");
        }
        assert_eq!(route("/x/y", "/x/y/alive"), Some(("/alive", "")));
        assert_eq!(route("", "/alive"), Some(("/alive", "")));
    }

    #[test]
    fn paths_are_unique() {
        for (i, e) in ENDPOINTS.iter().enumerate() {
            assert!(e.path.starts_with('/'), "{}", e.path);
            assert!(ENDPOINTS[..i].iter().all(|o| o.path != e.path), "{} twice", e.path);
        }
    }
}
