//! MicroProfile Health JSON: `{"status":"UP","checks":[{"name":..,"status":..}]}`,
//! with a `reason` on failing entries; excluded probes are left out.

use crate::health::decide::Entry;
use crate::json::{json_escape_tail, json_str};

/// Prefix reserved at the start of a body; "UP" is 2 bytes shorter than
/// "DOWN", so a passing document is shifted left by 2 at the end.
const DOWN: &[u8] = b"{\"status\":\"DOWN\",\"checks\":[";
const UP: &[u8] = b"{\"status\":\"UP\",\"checks\":[";

pub(super) fn start(body: &mut Vec<u8>) {
    body.extend_from_slice(DOWN);
}

/// Appends the object of one entry.
pub(super) fn entry(body: &mut Vec<u8>, e: &Entry) {
    if e.excluded {
        return;
    }
    if body.last() != Some(&b'[') {
        body.push(b',');
    }
    body.extend_from_slice(b"{\"name\":");
    json_str(body, e.name);
    if e.verdict.is_ok() {
        body.extend_from_slice(b",\"status\":\"UP\"}");
    } else {
        body.extend_from_slice(b",\"status\":\"DOWN\",\"reason\":\"");
        let at = body.len();
        e.verdict.write_reason(body);
        json_escape_tail(body, at);
        body.extend_from_slice(b"\"}");
    }
}

/// Closes the document and sets its status.
pub(super) fn finish(body: &mut Vec<u8>, passed: bool) {
    body.extend_from_slice(b"]}");
    if passed {
        let shift = DOWN.len() - UP.len();
        body[shift..DOWN.len()].copy_from_slice(UP);
        body.drain(..shift);
    }
}
