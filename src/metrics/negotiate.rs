//! Content negotiation for /metrics: which exposition format an `Accept`
//! header asks for, and whether `Accept-Encoding` allows gzip.
//!
//! Runs on the serving thread, so it reads the header bytes in place and
//! allocates nothing. Both accumulators take each header line in turn, since a
//! header may be split over several lines.

/// An exposition format hams can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exposition {
    /// Length-delimited `io.prometheus.client.MetricFamily` messages.
    Protobuf,
    /// OpenMetrics 1.0.0.
    OpenMetrics,
    /// The Prometheus text format 0.0.4.
    Text,
}

impl Exposition {
    /// The exact `Content-Type` to answer with: Prometheus 3 refuses a scrape
    /// whose media type it does not know.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Exposition::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
            Exposition::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Exposition::Text => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Ties between equally weighted and equally specific ranges go to the format
/// a person can read (curl and browsers send `*/*`).
const PREFERENCE: [Exposition; 3] = [Exposition::Text, Exposition::OpenMetrics, Exposition::Protobuf];

/// How well an `Accept` element names a format: 0 not at all, 1 `*/*`,
/// 2 `type/*`, 3 the media type, more for each parameter it pins down.
type Specificity = u8;

/// q-values in thousandths, 0..=1000.
type Weight = u16;

/// The formats an `Accept` header allows, and how much.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AcceptFormat {
    /// Per format (in PREFERENCE order): the most specific matching element's
    /// specificity and weight.
    best: [(Specificity, Weight); 3],
}

impl AcceptFormat {
    /// Takes one `Accept` header line.
    pub(crate) fn add(&mut self, value: &[u8]) {
        for element in Split::new(value, b',') {
            let Some(range) = MediaRange::parse(element) else { continue };
            for (i, format) in PREFERENCE.iter().enumerate() {
                let s = range.specificity(*format);
                let (best_s, best_q) = &mut self.best[i];
                if s > *best_s || (s == *best_s && s > 0 && range.q > *best_q) {
                    (*best_s, *best_q) = (s, range.q);
                }
            }
        }
    }

    /// The format to answer with: the highest weight, then the most specific
    /// request, then PREFERENCE. Text when nothing acceptable is asked for (or
    /// nothing at all), as client_golang does.
    pub(crate) fn choose(&self) -> Exposition {
        let mut chosen = Exposition::Text;
        let mut chosen_key = (0, 0);
        for (i, &(s, q)) in self.best.iter().enumerate() {
            if s > 0 && q > 0 && (q, s) > chosen_key {
                (chosen, chosen_key) = (PREFERENCE[i], (q, s));
            }
        }
        chosen
    }
}

/// The format one `Accept` header line asks for.
#[cfg(test)]
pub(crate) fn exposition(accept: &[u8]) -> Exposition {
    let mut a = AcceptFormat::default();
    a.add(accept);
    a.choose()
}

/// One element of `Accept`: `type/subtype;param=value;q=0.5`.
struct MediaRange<'a> {
    kind: &'a [u8],
    subtype: &'a [u8],
    params: &'a [u8],
    q: Weight,
}

impl<'a> MediaRange<'a> {
    /// `None` for an element that is not a media range or has a malformed q:
    /// such an element is ignored, not the whole header.
    fn parse(element: &'a [u8]) -> Option<MediaRange<'a>> {
        let (range, params) = match element.iter().position(|&b| b == b';') {
            Some(at) => (&element[..at], &element[at + 1..]),
            None => (element, &[][..]),
        };
        let range = range.trim_ascii();
        let slash = range.iter().position(|&b| b == b'/')?;
        let (kind, subtype) = (&range[..slash], &range[slash + 1..]);
        if !is_token(kind) || !is_token(subtype) || (kind == b"*" && subtype != b"*") {
            return None;
        }
        let mut q = 1000;
        for (name, value) in Params(Split::new(params, b';')) {
            if name.eq_ignore_ascii_case(b"q") {
                q = parse_q(value)?;
            }
        }
        Some(MediaRange { kind, subtype, params, q })
    }

    fn param(&self, name: &[u8]) -> Option<&'a [u8]> {
        Params(Split::new(self.params, b';')).find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    fn specificity(&self, format: Exposition) -> Specificity {
        let (kind, subtype): (&[u8], &[u8]) = match format {
            Exposition::Protobuf => (b"application", b"vnd.google.protobuf"),
            Exposition::OpenMetrics => (b"application", b"openmetrics-text"),
            Exposition::Text => (b"text", b"plain"),
        };
        if self.kind == b"*" {
            return 1;
        }
        if !self.kind.eq_ignore_ascii_case(kind) {
            return 0;
        }
        if self.subtype == b"*" {
            return 2;
        }
        if !self.subtype.eq_ignore_ascii_case(subtype) {
            return 0;
        }
        let version = self.param(b"version");
        match format {
            // Only the delimited encoding of client_model's MetricFamily (not
            // its text forms) is what hams writes.
            Exposition::Protobuf => {
                let proto = self.param(b"proto").is_some_and(|v| unquoted_eq(v, b"io.prometheus.client.MetricFamily"));
                let delimited = self.param(b"encoding").is_some_and(|v| unquoted_eq(v, b"delimited"));
                if proto && delimited {
                    5
                } else {
                    0
                }
            }
            // Other versions name formats hams does not write (OpenMetrics
            // 0.0.1, text 1.0.0); asked for alone they fall through to the rest.
            Exposition::OpenMetrics => versioned(version, b"1.0.0"),
            Exposition::Text => versioned(version, b"0.0.4"),
        }
    }
}

fn versioned(version: Option<&[u8]>, wanted: &[u8]) -> Specificity {
    match version {
        None => 3,
        Some(v) if unquoted_eq(v, wanted) => 4,
        Some(_) => 0,
    }
}

/// Which content coding to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Identity,
}

/// What an `Accept-Encoding` header allows.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AcceptEncoding {
    gzip: Option<Weight>,
    identity: Option<Weight>,
    any: Option<Weight>,
}

impl AcceptEncoding {
    /// Takes one `Accept-Encoding` header line.
    pub(crate) fn add(&mut self, value: &[u8]) {
        for element in Split::new(value, b',') {
            let (coding, params) = match element.iter().position(|&b| b == b';') {
                Some(at) => (&element[..at], &element[at + 1..]),
                None => (element, &[][..]),
            };
            let coding = coding.trim_ascii();
            let mut q = Some(1000);
            for (name, value) in Params(Split::new(params, b';')) {
                if name.eq_ignore_ascii_case(b"q") {
                    q = parse_q(value);
                }
            }
            let Some(q) = q else { continue };
            let slot = if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
                &mut self.gzip
            } else if coding.eq_ignore_ascii_case(b"identity") {
                &mut self.identity
            } else if coding == b"*" {
                &mut self.any
            } else {
                continue;
            };
            *slot = Some(slot.map_or(q, |old| old.max(q)));
        }
    }

    /// Gzip when it is acceptable and identity is not explicitly preferred to
    /// it; identity otherwise (also when even identity is refused: answering
    /// at all beats a 406 for a scrape).
    pub(crate) fn choose(&self) -> Encoding {
        let gzip = self.gzip.or(self.any).unwrap_or(0);
        let identity = self.identity.or(self.any);
        if gzip > 0 && !matches!(identity, Some(q) if q > gzip) {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// The coding one `Accept-Encoding` header line asks for.
#[cfg(test)]
pub(crate) fn encoding(accept_encoding: &[u8]) -> Encoding {
    let mut a = AcceptEncoding::default();
    a.add(accept_encoding);
    a.choose()
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_q(value: &[u8]) -> Option<Weight> {
    let (int, frac) = match value.iter().position(|&b| b == b'.') {
        Some(at) => (&value[..at], &value[at + 1..]),
        None => (value, &[][..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let thousandths = frac.iter().chain(b"000").take(3).fold(0, |n, &d| n * 10 + Weight::from(d - b'0'));
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// RFC 9110 token characters.
fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether a parameter value, plain or quoted (with `\` escapes), reads `wanted`
/// (compared without regard to ASCII case).
fn unquoted_eq(value: &[u8], wanted: &[u8]) -> bool {
    let Some(inner) = value.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")) else {
        return value.eq_ignore_ascii_case(wanted);
    };
    let mut chars = inner.iter();
    let mut wanted = wanted.iter();
    loop {
        let c = match chars.next() {
            Some(b'\\') => chars.next(),
            c => c,
        };
        match (c, wanted.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
    }
}

/// The trimmed, non-empty pieces of `s` between separators that are not inside
/// a quoted string.
struct Split<'a> {
    rest: &'a [u8],
    separator: u8,
}

impl<'a> Split<'a> {
    fn new(s: &'a [u8], separator: u8) -> Split<'a> {
        Split { rest: s, separator }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let (mut quoted, mut escaped) = (false, false);
            let mut end = self.rest.len();
            for (i, &b) in self.rest.iter().enumerate() {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' if quoted => escaped = true,
                    b'"' => quoted = !quoted,
                    _ if b == self.separator && !quoted => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let piece = self.rest[..end].trim_ascii();
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if !piece.is_empty() {
                return Some(piece);
            }
        }
        None
    }
}

/// `name=value` parameters (trimmed); a piece without `=` is skipped.
struct Params<'a>(Split<'a>);

impl<'a> Iterator for Params<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        for piece in self.0.by_ref() {
            if let Some(at) = piece.iter().position(|&b| b == b'=') {
                return Some((piece[..at].trim_ascii(), piece[at + 1..].trim_ascii()));
            }
        }
        None
    }
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
