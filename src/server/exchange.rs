//! What an endpoint's handler works with: the request, the response being
//! built, and how to say that the answer must wait.

use super::http::{Connection, Head, Request};
use crate::metrics::negotiate::Exposition;

/// One request and its response in the making. The router writes `head`
/// and `body` once the handler returns `Outcome::Respond`.
pub(crate) struct Exchange<'x, 'r> {
    pub req: &'x Request<'r>,
    /// The path segment matched by `{probe}` (empty for other paths).
    pub param: &'r str,
    pub now_ns: u64,
    /// Status 200, plain text, the connection header already decided.
    pub head: Head,
    /// Empty when the handler is called.
    pub body: &'x mut Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Respond,
    /// Answer later, when the wait is over (see `route::resume`).
    Park(Wait),
}

/// What a parked request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The shutdown sequence to finish; the connection closes after.
    Shutdown,
    /// The render thread to answer scrape `ticket` (given when it is queued).
    Scrape { job: ScrapeJob, ticket: u64 },
}

/// What the render thread needs to answer a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScrapeJob {
    pub format: Exposition,
    /// The request accepts gzip (large bodies are then compressed).
    pub gzip: bool,
    pub head_only: bool,
    pub connection: Connection,
}

impl Wait {
    /// Whether input after the parked request is served afterwards.
    pub(crate) fn keeps_input(self) -> bool {
        matches!(self, Wait::Scrape { job, .. } if job.connection != Connection::Close)
    }
}

/// A parked request: which endpoint (to count the answer) and what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parked {
    pub endpoint: usize,
    pub wait: Wait,
}
