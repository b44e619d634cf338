//! Checks exposition text that an application's metrics callback produced
//! before it is served, and converts it for OpenMetrics scrapes.
//!
//! Accepted: the Prometheus text format 0.0.4 without timestamps. Refused:
//! bad names, bad label syntax or escapes, unparsable values, a TYPE after
//! its samples or twice, interleaved families, and names hams or the
//! application's registered metrics already use.

use super::{is_label_name, is_metric_name};

/// Validates `text`; `taken` says whether a family name is already used.
pub(crate) fn check(text: &str, taken: &dyn Fn(&str) -> bool) -> Result<(), String> {
    let mut families: Vec<(String, Option<String>)> = Vec::new(); // (name, type)
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let fail = |what: &str| Err(format!("line {}: {what}", n + 1));
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("TYPE"), Some(name), Some(t)) => {
                    if !is_metric_name(name) {
                        return fail("bad metric name in TYPE");
                    }
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&t.trim()) {
                        return fail("unknown TYPE");
                    }
                    if taken(name) {
                        return fail(&format!("{name} is already exposed by hams or the application"));
                    }
                    match families.iter_mut().find(|(f, _)| f == name) {
                        Some((_, Some(_))) => return fail("TYPE given twice"),
                        Some(_) => return fail("TYPE after the family's samples"),
                        None => families.push((name.to_string(), Some(t.trim().to_string()))),
                    }
                    current = Some(name.to_string());
                }
                (Some("HELP"), Some(name), _) if !is_metric_name(name) => return fail("bad metric name in HELP"),
                _ => {}
            }
            continue;
        }
        let (name, rest) = split_name(line);
        if !is_metric_name(name) {
            return fail("bad metric name");
        }
        let family = family_of(name, &families);
        if taken(&family) || taken(name) {
            return fail(&format!("{name} is already exposed by hams or the application"));
        }
        if current.as_deref() != Some(family.as_str()) {
            if families.iter().any(|(f, _)| *f == family) {
                return fail(&format!("samples of {family} are not together"));
            }
            families.push((family.clone(), None));
            current = Some(family);
        }
        let rest = match rest.strip_prefix('{') {
            Some(labels) => match skip_labels(labels) {
                Some(after) => after,
                None => return fail("bad labels"),
            },
            None => rest,
        };
        let mut fields = rest.split_ascii_whitespace();
        match (fields.next(), fields.next()) {
            (Some(v), None) if parse_value(v) => {}
            (Some(_), Some(_)) => return fail("timestamps are not accepted"),
            _ => return fail("bad value"),
        }
    }
    Ok(())
}

fn split_name(line: &str) -> (&str, &str) {
    let end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
    line.split_at(end)
}

/// The family a sample belongs to: `x` for `x_bucket` when `x` is typed.
fn family_of(name: &str, families: &[(String, Option<String>)]) -> String {
    for suffix in ["_bucket", "_sum", "_count", "_created"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if families.iter().any(|(f, t)| f == base && matches!(t.as_deref(), Some("histogram" | "summary"))) {
                return base.to_string();
            }
        }
    }
    name.to_string()
}

/// Skips `k="v",...}`; returns what follows, or None when malformed.
fn skip_labels(s: &str) -> Option<&str> {
    let mut rest = s.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Some(after);
        }
        let eq = rest.find('=')?;
        if !is_label_name(rest[..eq].trim()) {
            return None;
        }
        let mut chars = rest[eq + 1..].trim_start().char_indices();
        let base = rest.len() - rest[eq + 1..].trim_start().len();
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next()?.1 {
                    '\\' | '"' | 'n' => {}
                    _ => return None,
                },
                '"' => {
                    end = Some(i);
                    break;
                }
                '\n' => return None,
                _ => {}
            }
        }
        rest = rest[base + end? + 1..].trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.starts_with('}') {
            return None;
        }
    }
}

fn parse_value(v: &str) -> bool {
    matches!(v, "NaN" | "+Inf" | "-Inf" | "Inf")
        || (v.parse::<f64>().is_ok() && !v.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E'))
}

/// Converts valid 0.0.4 text to OpenMetrics lines: counter families lose
/// their `_total` in HELP/TYPE (samples gain it), `untyped` becomes
/// `unknown`, other comments and blank lines go.
pub(crate) fn to_openmetrics(text: &str, out: &mut Vec<u8>) {
    let counters: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, t)| t.trim() == "counter")
        .map(|(n, _)| n)
        .collect();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim_start();
            let Some((kw, rest)) = c.split_once(' ') else { continue };
            if kw != "HELP" && kw != "TYPE" {
                continue;
            }
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let family = if counters.contains(&name) { name.strip_suffix("_total").unwrap_or(name) } else { name };
            let tail = if kw == "TYPE" && tail.trim() == "untyped" { "unknown" } else { tail };
            out.extend_from_slice(format!("# {kw} {family} {tail}\n").as_bytes());
            continue;
        }
        let (name, rest) = split_name(line);
        out.extend_from_slice(name.as_bytes());
        if counters.contains(&name) && !name.ends_with("_total") {
            out.extend_from_slice(b"_total");
        }
        out.extend_from_slice(rest.as_bytes());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: &str) -> Result<(), String> {
        check(t, &|n| n == "taken_total")
    }

    #[test]
    fn accepts_client_library_output() {
        let text = "# HELP py_requests_total Requests\n# TYPE py_requests_total counter\npy_requests_total{path=\"/a\\\"b\",code=\"200\"} 3.0\n\
                    # TYPE lat histogram\nlat_bucket{le=\"0.5\"} 1\nlat_bucket{le=\"+Inf\"} 2\nlat_sum 1.5e0\nlat_count 2\n\n# a comment\nup 1\nnan_gauge NaN\n";
        assert_eq!(ok(text), Ok(()));
        let mut om = Vec::new();
        to_openmetrics(text, &mut om);
        let om = String::from_utf8(om).unwrap();
        assert!(om.starts_with("# HELP py_requests Requests\n# TYPE py_requests counter\npy_requests_total{"), "{om}");
        assert!(!om.contains("# a comment") && !om.contains("\n\n"));
    }

    #[test]
    fn refuses_bad_text() {
        for (t, why) in [
            ("1bad 1\n", "bad metric name"),
            ("x{a=\"1\" 1\n", "bad labels"),
            ("x{a=1} 1\n", "bad labels"),
            ("x{a=\"\\q\"} 1\n", "bad labels"),
            ("x{1a=\"v\"} 1\n", "bad labels"),
            ("x one\n", "bad value"),
            ("x\n", "bad value"),
            ("x 1 1700000000000\n", "timestamps"),
            ("x 1\ny 1\nx 2\n", "not together"),
            ("x 1\n# TYPE x gauge\n", "TYPE after"),
            ("# TYPE x gauge\n# TYPE x gauge\n", "TYPE given twice"),
            ("# TYPE x thing\n", "unknown TYPE"),
            ("taken_total 1\n", "already exposed"),
        ] {
            let e = ok(t).unwrap_err();
            assert!(e.contains(why), "{t:?}: {e}");
        }
    }
}
