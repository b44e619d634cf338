//! The metrics callback's text (0.0.4, already validated: no timestamps, a
//! family's samples together) converted to protobuf `MetricFamily` messages,
//! so protobuf scrapes carry it too. Runs on the render thread.

use super::proto::{self, MetricType};

/// Appends `text`'s families to `out` as length-delimited `MetricFamily`s.
pub(crate) fn write(text: &str, out: &mut Vec<u8>) {
    let mut help: Option<(&str, String)> = None;
    let mut family: Option<Family> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(name), text) => help = Some((name, unescape_help(text.unwrap_or("")))),
                (Some("TYPE"), Some(name), Some(t)) => {
                    flush(&mut family, out);
                    let kind = match t.trim() {
                        "counter" => MetricType::Counter,
                        "gauge" => MetricType::Gauge,
                        "histogram" => MetricType::Histogram,
                        "summary" => MetricType::Summary,
                        _ => MetricType::Untyped,
                    };
                    family = Some(Family::new(name, kind, &mut help));
                }
                _ => {}
            }
            continue;
        }
        let end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        let (labels, rest) = match rest.strip_prefix('{') {
            Some(after) => parse_labels(after),
            None => (Vec::new(), rest),
        };
        let Some(value) = parse_value(rest.trim()) else { continue };
        let suffix = family.as_ref().and_then(|f| f.suffix_of(name));
        if suffix.is_none() && family.as_ref().map_or(true, |f| f.name != name) {
            // A sample of a family without TYPE: untyped.
            flush(&mut family, out);
            family = Some(Family::new(name, MetricType::Untyped, &mut help));
        }
        if let Some(f) = family.as_mut() {
            f.add(suffix.unwrap_or(""), labels, value);
        }
    }
    flush(&mut family, out);
}

/// One family's series as they are read.
struct Family<'t> {
    name: &'t str,
    help: String,
    kind: MetricType,
    series: Vec<Series>,
}

struct Series {
    /// Without `le` or `quantile`.
    labels: Vec<(String, String)>,
    value: f64,
    sum: f64,
    count: Option<f64>,
    /// (le or quantile, value) in the order read.
    points: Vec<(f64, f64)>,
}

impl<'t> Family<'t> {
    fn new(name: &'t str, kind: MetricType, help: &mut Option<(&str, String)>) -> Family<'t> {
        let help = match help.take() {
            Some((n, h)) if n == name => h,
            _ => String::new(),
        };
        Family { name, help, kind, series: Vec::new() }
    }

    /// `_bucket`, `_sum` or `_count` when `name` is one of this histogram's
    /// or summary's samples (a summary's quantiles are named as the family).
    fn suffix_of(&self, name: &str) -> Option<&'static str> {
        if !matches!(self.kind, MetricType::Histogram | MetricType::Summary) {
            return None;
        }
        let rest = name.strip_prefix(self.name)?;
        ["_bucket", "_sum", "_count", "_created", ""].into_iter().find(|s| *s == rest)
    }

    fn add(&mut self, suffix: &str, mut labels: Vec<(String, String)>, value: f64) {
        if matches!(self.kind, MetricType::Counter | MetricType::Gauge | MetricType::Untyped) {
            self.series.push(Series { labels, value, sum: 0.0, count: None, points: Vec::new() });
            return;
        }
        let point_label = if self.kind == MetricType::Histogram { "le" } else { "quantile" };
        let point = labels.iter().position(|(k, _)| k == point_label).map(|i| labels.remove(i).1);
        let at = match self.series.iter().position(|s| s.labels == labels) {
            Some(at) => at,
            None => {
                self.series.push(Series { labels, value: 0.0, sum: 0.0, count: None, points: Vec::new() });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[at];
        match suffix {
            "_sum" => s.sum = value,
            "_count" => s.count = Some(value),
            "_bucket" | "" => {
                if let Some(p) = point.as_deref().and_then(parse_value) {
                    s.points.push((p, value));
                }
            }
            _ => {}
        }
    }
}

fn flush(family: &mut Option<Family>, out: &mut Vec<u8>) {
    let Some(f) = family.take().filter(|f| !f.series.is_empty()) else { return };
    proto::write_family(out, f.name, &f.help, f.kind, |m| {
        for s in &f.series {
            let labels = s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            match f.kind {
                MetricType::Counter => m.counter(labels, s.value),
                MetricType::Gauge => m.gauge(labels, s.value),
                MetricType::Untyped => m.untyped(labels, s.value),
                MetricType::Histogram => {
                    let inf = s.points.iter().find(|(le, _)| *le == f64::INFINITY).map(|p| p.1);
                    let count = s.count.or(inf).unwrap_or(0.0) as u64;
                    let buckets = s.points.iter().filter(|(le, _)| le.is_finite()).map(|&(le, c)| (le, c as u64));
                    m.histogram(labels, count, s.sum, buckets);
                }
                MetricType::Summary => {
                    m.summary(labels, s.count.unwrap_or(0.0) as u64, s.sum, s.points.iter().copied());
                }
            }
        }
    });
}

/// `k="v",...}` (validated) into pairs with the escapes undone, and what follows.
fn parse_labels(s: &str) -> (Vec<(String, String)>, &str) {
    let mut labels = Vec::new();
    let mut rest = s.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return (labels, after);
        }
        let Some(eq) = rest.find('=') else { return (labels, "") };
        let name = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(quoted) = after.strip_prefix('"') else { return (labels, "") };
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        let mut end = quoted.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => value.push('\n'),
                    Some(e) => value.push(e),
                    None => {}
                },
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        labels.push((name, value));
        rest = quoted[end..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
}

fn parse_value(v: &str) -> Option<f64> {
    match v {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => v.parse().ok(),
    }
}

/// HELP text escapes `\\` and `\n`.
fn unescape_help(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(e) => out.push(e),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "text_proto_tests.rs"]
mod tests;
