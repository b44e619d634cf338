//! The declarations of src/lib.rs against include/hams.h: the same functions,
//! each with the same parameter and return types (C types mapped to the Rust
//! ones below), and the same constants with the same values. A function or
//! constant added to, changed in or removed from the header fails here until
//! src/lib.rs follows.

use std::collections::BTreeMap;

/// C type (spaces normalised) -> the Rust type this crate declares for it.
const TYPES: &[(&str, &str)] = &[
    ("void", "()"),
    ("bool", "bool"),
    ("int", "c_int"),
    ("unsigned int", "c_uint"),
    ("int64_t", "i64"),
    ("uint32_t", "u32"),
    ("uint64_t", "u64"),
    ("size_t", "size_t"),
    ("double", "f64"),
    ("const double *", "*const f64"),
    ("double *", "*mut f64"),
    ("const char *", "*const c_char"),
    ("const char *const *", "*const *const c_char"),
    ("void *", "*mut c_void"),
    ("hams_t *", "*mut hams_t"),
    ("const hams_t *", "*const hams_t"),
    ("hams_probe_t *", "*mut hams_probe_t"),
    ("hams_metric_t *", "*mut hams_metric_t"),
    ("hams_metrics_buffer_t *", "*mut hams_metrics_buffer_t"),
    ("hams_vec_t *", "*mut hams_vec_t"),
    ("hams_shutdown_fn", "hams_shutdown_fn"),
    ("hams_change_fn", "hams_change_fn"),
    ("hams_log_fn", "hams_log_fn"),
    ("hams_metrics_fn", "hams_metrics_fn"),
    ("hams_check_fn", "hams_check_fn"),
];

type Signatures = BTreeMap<String, (Vec<String>, String)>;

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `const char * name` -> `const char *`: the type without the parameter name.
fn c_type(param: &str) -> String {
    let p = squash(param).replace(" *", "*").replace('*', " *");
    let p = p.trim();
    let cut = p.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    let ty = squash(&p[..cut]).replace("* ", "*");
    let ty = ty.trim();
    let mapped = TYPES.iter().find(|(c, _)| *c == ty).map(|(_, r)| r.to_string());
    mapped.unwrap_or_else(|| panic!("no Rust type mapped for the C type `{ty}` (add it to TYPES)"))
}

fn strip_c_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn header_functions(text: &str) -> Signatures {
    let mut sigs = Signatures::new();
    for decl in strip_c_comments(text).split(';') {
        // What follows `extern "C" {` or a closing brace is a declaration too.
        let decl = squash(decl.rsplit(['{', '}']).next().unwrap_or(""));
        if decl.contains("typedef") {
            continue;
        }
        let Some(open) = decl.find('(') else { continue };
        let head = &decl[..open];
        let name_at = head.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let name = &head[name_at..];
        if !name.starts_with("hams_") {
            continue;
        }
        let ret = c_type(&format!("{} x", &head[..name_at]));
        let params = decl[open + 1..decl.rfind(')').expect("a closing parenthesis")].trim();
        let params = if params == "void" { vec![] } else { params.split(',').map(c_type).collect() };
        sigs.insert(name.to_string(), (params, ret));
    }
    sigs
}

fn rust_functions(text: &str) -> Signatures {
    let block = &text[text.find("extern \"C\" {").expect("an extern \"C\" block")..];
    let mut sigs = Signatures::new();
    for decl in block.split(';') {
        let decl = squash(decl);
        let Some(at) = decl.find("pub fn ") else { continue };
        let decl = &decl[at + 7..];
        let open = decl.find('(').expect("a parameter list");
        let close = decl.rfind(')').expect("a closing parenthesis");
        let params = decl[open + 1..close]
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| squash(p.split_once(':').expect("name: type").1))
            .collect();
        let ret = decl[close + 1..].trim().strip_prefix("->").map_or("()".to_string(), squash);
        sigs.insert(decl[..open].trim().to_string(), (params, ret));
    }
    sigs
}

#[test]
fn declarations_match_the_header() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let header = std::fs::read_to_string(format!("{dir}/../../include/hams.h")).expect("include/hams.h");
    let rust = std::fs::read_to_string(format!("{dir}/src/lib.rs")).expect("src/lib.rs");
    let (c, r) = (header_functions(&header), rust_functions(&rust));
    assert!(c.len() > 30, "too few functions found in hams.h: {c:?}");
    let mut problems = Vec::new();
    for (name, sig) in &c {
        match r.get(name) {
            None => problems.push(format!("{name}: in hams.h, not declared in src/lib.rs")),
            Some(decl) if decl != sig => {
                problems.push(format!("{name}: hams.h has {sig:?} (as Rust types), src/lib.rs {decl:?}"))
            }
            Some(_) => {}
        }
    }
    problems.extend(r.keys().filter(|n| !c.contains_key(*n)).map(|n| format!("{n}: declared, not in hams.h")));
    assert!(problems.is_empty(), "hams-sys drifted from include/hams.h:\n{}", problems.join("\n"));
}

/// `#define HAMS_X 1` and enum members `HAMS_X = -1,`: name -> value.
fn header_constants(text: &str) -> BTreeMap<String, i64> {
    let mut consts = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        let (name, value) = match line.strip_prefix("#define ") {
            Some(rest) => rest.split_once(' ').unwrap_or((rest, "")),
            None => line.split_once(" = ").unwrap_or((line, "")),
        };
        if let (true, Ok(v)) = (name.starts_with("HAMS_"), value.trim().parse()) {
            consts.insert(name.to_string(), v);
        }
    }
    consts
}

/// `pub const HAMS_X: c_int = -1;`: name -> value.
fn rust_constants(text: &str) -> BTreeMap<String, i64> {
    let mut consts = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("pub const ") else { continue };
        let (name, rest) = rest.split_once(':').expect("pub const NAME: TYPE = VALUE;");
        let value = rest.split_once('=').expect("a value").1.trim().trim_end_matches(';');
        consts.insert(name.trim().to_string(), value.parse().expect("an integer constant"));
    }
    consts
}

#[test]
fn constants_match_the_header() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let header = std::fs::read_to_string(format!("{dir}/../../include/hams.h")).expect("include/hams.h");
    let rust = std::fs::read_to_string(format!("{dir}/src/lib.rs")).expect("src/lib.rs");
    let (c, r) = (header_constants(&header), rust_constants(&rust));
    assert!(c.contains_key("HAMS_READY") && c.contains_key("HAMS_ERR_STATE"), "constants not found in hams.h: {c:?}");
    assert_eq!(c, r, "hams-sys constants drifted from include/hams.h");
}

#[test]
fn the_parsers_agree_on_a_sample() {
    let c = header_functions("/* x */ int hams_f(const hams_t *h,\n const char *const *labels); // y\n");
    let r = rust_functions("extern \"C\" { pub fn hams_f(h: *const hams_t, labels: *const *const c_char) -> c_int; }");
    assert_eq!(c, r);
    assert_eq!(c["hams_f"].1, "c_int");
}
