use super::Encoding::{Gzip, Identity};
use super::Exposition::{OpenMetrics, Protobuf, Text};
use super::*;

fn format(accept: &str) -> Exposition {
    exposition(accept.as_bytes())
}

fn coding(accept_encoding: &str) -> Encoding {
    encoding(accept_encoding.as_bytes())
}

// Prometheus 2.42 (Debian 12's), scrape/scrape.go scrapeAcceptHeader and, with
// --enable-feature=native-histograms, scrapeAcceptHeaderWithProtobuf.
const PROMETHEUS_2_42: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const PROMETHEUS_2_42_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
// Prometheus 3.0.0's acceptHeader() with its defaults (UTF-8 names, so every
// protocol gets escaping=allow-utf-8, text 1.0.0 twice).
const PROMETHEUS_3_0: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2";
// Prometheus 3.x (scrape/scrape_test.go TestAcceptHeader): the defaults, and
// the protobuf-first protocols that scrape_native_histograms selects.
const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
const PROMETHEUS_3_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
const PROMETHEUS_3_UNDERSCORES: &str = "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
const FIREFOX: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/png,image/svg+xml,*/*;q=0.8";
const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

#[test]
fn prometheus_scrapers() {
    assert_eq!(format(PROMETHEUS_2_42), OpenMetrics);
    assert_eq!(format(PROMETHEUS_2_42_NATIVE), Protobuf);
    assert_eq!(format(PROMETHEUS_3_0), OpenMetrics);
    assert_eq!(format(PROMETHEUS_3), OpenMetrics);
    assert_eq!(format(PROMETHEUS_3_NATIVE), Protobuf);
    assert_eq!(format(PROMETHEUS_3_UNDERSCORES), OpenMetrics);
    // scrape_protocols: [PrometheusText0.0.4] alone.
    assert_eq!(format("text/plain;version=0.0.4;q=0.6,*/*;q=0.5"), Text);
    // Prometheus asks for gzip (or identity with enable_compression: false).
    assert_eq!(coding("gzip"), Gzip);
    assert_eq!(coding("identity"), Identity);
}

#[test]
fn people_and_their_tools_get_text() {
    assert_eq!(format("*/*"), Text); // curl
    assert_eq!(format(FIREFOX), Text);
    assert_eq!(format(CHROME), Text);
    assert_eq!(format(""), Text);
    assert_eq!(format("text/html"), Text); // nothing acceptable: text all the same
    assert_eq!(AcceptFormat::default().choose(), Text); // no Accept header
    assert_eq!(coding("gzip, deflate, br, zstd"), Gzip); // browsers
    assert_eq!(coding(""), Identity); // curl without --compressed
    assert_eq!(coding("deflate, gzip"), Gzip); // curl --compressed
}

#[test]
fn content_types_are_exact() {
    assert_eq!(
        Protobuf.content_type(),
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
    );
    assert_eq!(OpenMetrics.content_type(), "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert_eq!(Text.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    // Each answer is itself an Accept value that chooses it.
    for e in [Protobuf, OpenMetrics, Text] {
        assert_eq!(format(e.content_type()), e);
    }
}

#[test]
fn q_values_decide() {
    assert_eq!(format("application/openmetrics-text;q=0.5, text/plain;q=0.6"), Text);
    assert_eq!(format("application/openmetrics-text;q=0.7, text/plain;q=0.6"), OpenMetrics);
    assert_eq!(format("text/plain;q=0.001, application/openmetrics-text;q=0"), Text);
    // Without q, 1; a tie goes to the more specific request, then to text.
    assert_eq!(format("application/openmetrics-text, */*"), OpenMetrics);
    assert_eq!(format("application/*"), OpenMetrics);
    assert_eq!(format("application/*;q=0.5, application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.4"), OpenMetrics);
    assert_eq!(format("text/*, application/*"), Text);
    // The most specific element wins even with a lower q.
    assert_eq!(format("text/plain;version=0.0.4;q=0.2, text/*;q=0.9, application/openmetrics-text;q=0.5"), OpenMetrics);
}

#[test]
fn q_zero_refuses() {
    assert_eq!(format("text/plain;q=0, */*"), OpenMetrics);
    assert_eq!(format("text/plain;q=0, application/openmetrics-text;q=0, */*"), Protobuf);
    assert_eq!(format("*/*;q=0"), Text); // nothing acceptable: text all the same
    assert_eq!(format("application/openmetrics-text;q=0.0, text/plain;q=0.000"), Text);
    assert_eq!(coding("gzip;q=0"), Identity);
    assert_eq!(coding("*;q=0"), Identity);
    assert_eq!(coding("*;q=0, gzip"), Gzip);
    assert_eq!(coding("gzip, identity;q=0"), Gzip);
    assert_eq!(coding("identity;q=0"), Identity);
}

#[test]
fn versions_and_parameters() {
    // Formats hams does not write are not matched by their versions.
    assert_eq!(format("application/openmetrics-text;version=0.0.1"), Text);
    assert_eq!(format("application/openmetrics-text;version=0.0.1, text/plain;q=0.1"), Text);
    assert_eq!(format("text/plain;version=1.0.0, application/openmetrics-text;q=0.1"), OpenMetrics);
    // Protobuf needs the MetricFamily message and the delimited encoding.
    assert_eq!(format("application/vnd.google.protobuf"), Text);
    assert_eq!(format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily"), Text);
    assert_eq!(format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"), Text);
    assert_eq!(format("application/vnd.google.protobuf;proto=other.Message;encoding=delimited"), Text);
    assert_eq!(
        format("application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily"),
        Protobuf
    );
    // Quoted values, with an escape; a quoted comma or semicolon separates nothing.
    assert_eq!(
        format(r#"application/vnd.google.protobuf;proto="io.prometheus.client.MetricFamily";encoding="delim\ited""#),
        Protobuf
    );
    assert_eq!(format(r#"text/plain;x="a,b;q=0";q=0.1, application/openmetrics-text;q=0.05"#), Text);
    // Unknown parameters (charset, escaping) change nothing.
    assert_eq!(format("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots"), OpenMetrics);
}

#[test]
fn case_and_whitespace() {
    assert_eq!(format("Application/OpenMetrics-Text; Version=1.0.0; Q=0.9, TEXT/PLAIN; q=0.5"), OpenMetrics);
    assert_eq!(
        format("  application/vnd.google.protobuf ; proto=io.prometheus.client.metricfamily ; encoding=DELIMITED  "),
        Protobuf
    );
    assert_eq!(format("\ttext/plain\t;\tq=0.5\t,\tapplication/openmetrics-text;q=0.4"), Text);
    assert_eq!(coding("GZip"), Gzip);
    assert_eq!(coding("x-gzip"), Gzip);
    assert_eq!(coding(" gzip ; q=0.5 , identity ; q=0.4 "), Gzip);
}

#[test]
fn malformed_elements_are_ignored_alone() {
    assert_eq!(format("application/openmetrics-text;q=abc, text/plain;q=0.5"), Text);
    assert_eq!(format("application/openmetrics-text;q=1.5"), Text);
    assert_eq!(format("application/openmetrics-text;q=0.5000"), Text);
    assert_eq!(format("application/openmetrics-text;q=, text/plain;q=0.1"), Text);
    assert_eq!(format("application/openmetrics-text;q=-1"), Text);
    assert_eq!(
        format("openmetrics, /, application/, */plain, a b/c, ,,,;;;, application/openmetrics-text"),
        OpenMetrics
    );
    assert_eq!(format("application/openmetrics-text;version;=;q=1."), OpenMetrics);
    assert_eq!(format("application/openmetrics-text;\"unterminated, text/plain"), OpenMetrics);
    assert_eq!(format("\u{0}\u{ff}garbage"), Text);
    assert_eq!(coding("gzip;q=2"), Identity);
    assert_eq!(coding("gzip;q=x, br"), Identity);
    assert_eq!(coding(",,gzip,,"), Gzip);
}

#[test]
fn q_value_grammar() {
    for (q, w) in [
        ("1", 1000),
        ("1.", 1000),
        ("1.000", 1000),
        ("0", 0),
        ("0.", 0),
        ("0.5", 500),
        ("0.25", 250),
        ("0.125", 125),
        ("0.001", 1),
    ] {
        assert_eq!(parse_q(q.as_bytes()), Some(w), "{q}");
    }
    for q in ["", "1.001", "2", "0.1234", ".5", "00.5", "0,5", "0.5x", "+1", "1e0"] {
        assert_eq!(parse_q(q.as_bytes()), None, "{q}");
    }
}

#[test]
fn identity_preference() {
    assert_eq!(coding("gzip;q=0.5, identity"), Identity);
    assert_eq!(coding("gzip;q=0.5, identity;q=0.5"), Gzip);
    assert_eq!(coding("gzip;q=0.5"), Gzip); // identity unmentioned is no preference
    assert_eq!(coding("*"), Gzip);
    assert_eq!(coding("*;q=0.5, identity"), Identity);
    assert_eq!(coding("br, zstd"), Identity);
}

#[test]
fn header_lines_accumulate() {
    let mut a = AcceptFormat::default();
    a.add(b"text/plain;q=0.5");
    a.add(b"application/openmetrics-text;q=0.6");
    assert_eq!(a.choose(), OpenMetrics);
    let mut e = AcceptEncoding::default();
    e.add(b"identity;q=0.9");
    e.add(b"gzip");
    assert_eq!(e.choose(), Gzip);
}
