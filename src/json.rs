//! The little JSON hams writes (health documents, the version and shutdown
//! answers), straight into caller-provided buffers.

/// Appends `s` as a JSON string literal.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let at = out.len();
    out.extend_from_slice(s.as_bytes());
    json_escape_tail(out, at);
    out.push(b'"');
}

/// Escapes, in place, the bytes of `out` from `from` on as JSON string content.
/// Rarely needed (reasons are sanitised), so the common case is a scan only.
pub(crate) fn json_escape_tail(out: &mut Vec<u8>, from: usize) {
    let needs = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    if !out[from..].iter().any(|&b| needs(b)) {
        return;
    }
    let mut i = from;
    while i < out.len() {
        let b = out[i];
        if needs(b) {
            let esc: [u8; 6] = match b {
                b'"' => *b"\\\"\0\0\0\0",
                b'\\' => *b"\\\\\0\0\0\0",
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]
                }
            };
            let len = if b == b'"' || b == b'\\' { 2 } else { 6 };
            out.splice(i..i + 1, esc[..len].iter().copied());
            i += len;
        } else {
            i += 1;
        }
    }
}

/// Writes the version document: `{"service":..,"version":..,"hams_version":..}`.
/// `extra`: string fields between the service's version and hams' (the
/// language runtime's, when a binding named it).
pub(crate) fn render_version(service: &str, version: &str, extra: &[(&str, &str)], body: &mut Vec<u8>) {
    body.clear();
    body.extend_from_slice(b"{\"service\":");
    json_str(body, service);
    body.extend_from_slice(b",\"version\":");
    json_str(body, version);
    for (name, value) in extra {
        body.push(b',');
        json_str(body, name);
        body.push(b':');
        json_str(body, value);
    }
    body.extend_from_slice(b",\"hams_version\":");
    json_str(body, crate::VERSION);
    body.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut out = Vec::new();
        json_str(&mut out, "a\"b\\c\u{1}");
        assert_eq!(out, br#""a\"b\\c\u0001""#);
    }

    #[test]
    fn version_document() {
        let mut body = b"stale".to_vec();
        render_version("svc \"x\"", "1.2", &[], &mut body);
        let want = format!(r#"{{"service":"svc \"x\"","version":"1.2","hams_version":"{}"}}"#, crate::VERSION);
        assert_eq!(String::from_utf8(body).unwrap(), want);
    }

    #[test]
    fn version_document_with_runtime() {
        let mut body = Vec::new();
        let rt = [("runtime", "CPython 3.11.7"), ("library", "hams-python"), ("library_version", "0.2.0")];
        render_version("svc", "1.2", &rt, &mut body);
        let want = format!(
            r#"{{"service":"svc","version":"1.2","runtime":"CPython 3.11.7","library":"hams-python","library_version":"0.2.0","hams_version":"{}"}}"#,
            crate::VERSION
        );
        assert_eq!(String::from_utf8(body).unwrap(), want);
    }
}
