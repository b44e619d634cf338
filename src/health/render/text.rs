//! The kube-apiserver text form: `ok`; or, verbose or failing, one line per
//! entry (`[+]db ok`, `[-]db failed: reason`, `[+]db excluded: ok`) and a
//! summary line (`ready check failed`).

use crate::health::decide::Entry;
use crate::health::Check;
use std::io::Write;

/// Appends the line of one entry.
pub(super) fn entry(body: &mut Vec<u8>, e: &Entry) {
    let ok = e.verdict.is_ok();
    body.extend_from_slice(if ok { b"[+]" } else { b"[-]" });
    body.extend_from_slice(e.name.as_bytes());
    if e.excluded {
        body.extend_from_slice(b" excluded: ok\n");
    } else if ok {
        body.extend_from_slice(b" ok\n");
    } else {
        body.extend_from_slice(b" failed");
        let at = body.len();
        body.extend_from_slice(b": ");
        let reason_at = body.len();
        e.verdict.write_reason(body);
        if body.len() == reason_at {
            body.truncate(at);
        }
        body.push(b'\n');
    }
}

/// Ends a check: just `ok` when it passed and `verbose` is off; else the
/// lines so far, a warning naming the excludes that matched nothing, and the
/// summary line.
pub(super) fn finish_check<'e>(
    body: &mut Vec<u8>,
    check: Check,
    passed: bool,
    verbose: bool,
    unmatched: impl Iterator<Item = &'e str>,
) {
    if passed && !verbose {
        body.clear();
        body.extend_from_slice(b"ok");
        return;
    }
    let mut unmatched = unmatched.peekable();
    if unmatched.peek().is_some() {
        body.extend_from_slice(b"warn: some health checks cannot be excluded: no matches for ");
        for (i, name) in unmatched.enumerate() {
            if i > 0 {
                body.push(b',');
            }
            quote(body, name);
        }
        body.push(b'\n');
    }
    let _ = writeln!(body, "{} check {}", check.name(), if passed { "passed" } else { "failed" });
}

/// Ends a single probe: just `ok` when it passed and `verbose` is off, else its line.
pub(super) fn finish_probe(body: &mut Vec<u8>, passed: bool, verbose: bool) {
    if passed && !verbose {
        body.clear();
        body.extend_from_slice(b"ok");
    }
}

/// Writes `"name"` with anything outside printable ASCII shown as `\xNN`;
/// exclude names come from the network and are echoed back.
fn quote(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    for &b in name.as_bytes() {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            out.push(b);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let mut out = Vec::new();
        quote(&mut out, "a\"\u{e9}");
        assert_eq!(out, br#""a\x22\xc3\xa9""#);
    }
}
