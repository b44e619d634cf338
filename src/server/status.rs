//! The status codes hams answers with and their reason phrases, defined
//! once: the status line and the `code` label of the request counters both
//! come from here.

const STATUSES: [(u16, &str); 11] = [
    (200, "OK"),
    (202, "Accepted"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (408, "Request Timeout"),
    (413, "Content Too Large"),
    (431, "Request Header Fields Too Large"),
    (500, "Internal Server Error"),
    (503, "Service Unavailable"),
];

/// The known codes and one slot for any other.
pub(crate) const COUNT: usize = STATUSES.len() + 1;

pub(crate) fn reason(status: u16) -> &'static str {
    STATUSES.iter().find(|(c, _)| *c == status).map_or("Unknown", |(_, r)| r)
}

/// The slot of `status` (the last one for a code not listed).
pub(crate) fn index(status: u16) -> usize {
    STATUSES.iter().position(|(c, _)| *c == status).unwrap_or(COUNT - 1)
}

/// The code of slot `i`; `None` for the slot of other codes.
pub(crate) fn code(i: usize) -> Option<u16> {
    STATUSES.get(i).map(|(c, _)| *c)
}
