//! The modules of `src/` form no import cycle, neither between top-level
//! modules (`server`, `metrics`, ...) nor between files. A cycle means two
//! parts cannot be understood, tested or changed one without the other.
//!
//! Edges are the paths the code names: `crate::a::b`, `super::x`, `self::x`
//! and paths through a child module (`conn::Conn` in `server/mod.rs`), in
//! `use` items and inline alike. Re-exports (`pub use`) are followed to the
//! file that defines the name instead of counting as the re-exporting file's
//! own dependency. `#[cfg(test)]` modules are left out: unit tests may reach
//! anywhere, and `super` means something else inside them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A source file: its module path from the crate root and what it names.
struct File {
    module: Vec<String>,
    /// Absolute paths named by the code (crate-relative segments).
    uses: Vec<Vec<String>>,
    /// `pub use` re-exports: exported name -> absolute path.
    exports: BTreeMap<String, Vec<String>>,
}

/// Blanks comments, strings and char literals (keeping newlines), so that
/// only code is left to scan.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(k).copied().unwrap_or('\0');
        if c[i] == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c[i] == 'r' && (at(i + 1) == '"' || (at(i + 1) == '#' && !at(i.wrapping_sub(1)).is_alphanumeric())) {
            // Raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|h| at(j + 1 + h) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                if i < c.len() && c[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if at(i + 2) == '\'' {
                i += 3;
                out.push_str("' '");
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Sep, // ::
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Hash,
    Other(char),
}

fn tokens(code: &str) -> Vec<Tok> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
            continue;
        }
        if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Other('0'));
            continue;
        }
        i += 1;
        match ch {
            ':' if c.get(i) == Some(&':') => {
                i += 1;
                out.push(Tok::Sep);
            }
            '{' => out.push(Tok::Open),
            '}' => out.push(Tok::Close),
            ',' => out.push(Tok::Comma),
            ';' => out.push(Tok::Semi),
            '*' => out.push(Tok::Star),
            '#' => out.push(Tok::Hash),
            c if c.is_whitespace() => {}
            c => out.push(Tok::Other(c)),
        }
    }
    out
}

/// Drops `#[cfg(test)] mod x { ... }` blocks.
fn without_test_modules(t: Vec<Tok>) -> Vec<Tok> {
    let id = |s: &str| Tok::Ident(s.to_string());
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        let is_cfg_test = t[i] == Tok::Hash
            && t.get(i + 1) == Some(&Tok::Other('['))
            && t.get(i + 2) == Some(&id("cfg"))
            && t.get(i + 3) == Some(&Tok::Other('('))
            && t.get(i + 4) == Some(&id("test"))
            && t.get(i + 5) == Some(&Tok::Other(')'))
            && t.get(i + 6) == Some(&Tok::Other(']'));
        if is_cfg_test {
            let mut j = i + 7;
            if t.get(j) == Some(&id("pub")) {
                j += 1;
            }
            if t.get(j) == Some(&id("mod")) && t.get(j + 2) == Some(&Tok::Open) {
                let mut depth = 0;
                j += 2;
                while j < t.len() {
                    match t[j] {
                        Tok::Open => depth += 1,
                        Tok::Close => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                i = j + 1;
                continue;
            }
        }
        out.push(t[i].clone());
        i += 1;
    }
    out
}

/// Reads a path with `{...}` groups from `t[i]`; returns the expanded
/// paths (a trailing `*` or `self` names the module itself) and the next index.
fn read_path(t: &[Tok], mut i: usize, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) -> usize {
    let mut path = prefix;
    loop {
        match t.get(i) {
            Some(Tok::Ident(s)) if s == "self" && !path.is_empty() => {
                i += 1;
                out.push((path.clone(), None));
                return i;
            }
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                i += 1;
            }
            Some(Tok::Open) => {
                i += 1;
                loop {
                    match t.get(i) {
                        Some(Tok::Close) => return i + 1,
                        Some(Tok::Comma) => i += 1,
                        None => return i,
                        _ => i = read_path(t, i, path.clone(), out),
                    }
                }
            }
            Some(Tok::Star) => {
                out.push((path, None));
                return i + 1;
            }
            _ => {
                out.push((path, None));
                return i;
            }
        }
        if t.get(i) == Some(&Tok::Sep) {
            i += 1;
            continue;
        }
        // `x as y` renames: the exported name is `y`.
        if t.get(i) == Some(&Tok::Ident("as".into())) {
            if let Some(Tok::Ident(alias)) = t.get(i + 1) {
                out.push((path, Some(alias.clone())));
                return i + 2;
            }
        }
        out.push((path, None));
        return i;
    }
}

/// `self`/`super`/`crate`/child-module paths made absolute.
fn absolute(module: &[String], children: &BTreeSet<String>, path: &[String]) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match first.as_str() {
        "crate" => {
            base.clear();
            rest = &path[1..];
        }
        "self" => rest = &path[1..],
        "super" => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        child if children.contains(child) => {}
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn parse(module: Vec<String>, src: &str) -> File {
    let t = without_test_modules(tokens(&code_only(src)));
    let id = |k: usize| match t.get(k) {
        Some(Tok::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    let children: BTreeSet<String> = (0..t.len())
        .filter(|&k| id(k) == Some("mod") && matches!(t.get(k + 2), Some(Tok::Semi)))
        .filter_map(|k| id(k + 1).map(str::to_string))
        .collect();
    let mut file = File { module, uses: Vec::new(), exports: BTreeMap::new() };
    let mut i = 0;
    while i < t.len() {
        let start_of_path = i == 0 || t[i - 1] != Tok::Sep;
        let Some(word) = id(i) else {
            i += 1;
            continue;
        };
        if word == "use" {
            // `pub use`, `pub(crate) use`: a re-export.
            let public = (i >= 1 && id(i - 1) == Some("pub"))
                || (i >= 4 && t[i - 1] == Tok::Other(')') && id(i - 4) == Some("pub"));
            let mut found = Vec::new();
            i = read_path(&t, i + 1, Vec::new(), &mut found);
            for (path, alias) in found {
                let Some(abs) = absolute(&file.module, &children, &path) else { continue };
                if public {
                    let name = alias.or_else(|| path.last().cloned()).unwrap_or_default();
                    file.exports.insert(name, abs);
                } else {
                    file.uses.push(abs);
                }
            }
            continue;
        }
        let starts = matches!(word, "crate" | "super" | "self") || children.contains(word);
        if start_of_path && starts && t.get(i + 1) == Some(&Tok::Sep) {
            let mut found = Vec::new();
            i = read_path(&t, i, Vec::new(), &mut found);
            file.uses.extend(found.iter().filter_map(|(p, _)| absolute(&file.module, &children, p)));
            continue;
        }
        i += 1;
    }
    file
}

struct Crate {
    files: BTreeMap<Vec<String>, File>,
}

impl Crate {
    /// `(relative path, text)` pairs, e.g. `("server/mod.rs", ...)`.
    fn new(sources: &[(String, String)]) -> Crate {
        let files = sources
            .iter()
            .map(|(path, text)| {
                let p = path.trim_end_matches(".rs");
                let mut module: Vec<String> = p.split('/').map(str::to_string).collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                    module.pop();
                }
                let file = parse(module.clone(), text);
                (module, file)
            })
            .collect();
        Crate { files }
    }

    /// The file an absolute path leads to, following re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> Option<&Vec<String>> {
        let n = (0..=path.len()).rev().find(|&n| self.files.contains_key(&path[..n]))?;
        let (module, file) = self.files.get_key_value(&path[..n])?;
        if depth < 8 {
            if let Some(target) = path.get(n).and_then(|name| file.exports.get(name)) {
                let mut next = target.clone();
                next.extend(path[n + 1..].iter().cloned());
                return self.resolve(&next, depth + 1).or(Some(module));
            }
        }
        Some(module)
    }

    fn edges(&self, key: impl Fn(&[String]) -> String) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, file) in &self.files {
            let from = key(module);
            let targets = graph.entry(from.clone()).or_default();
            for u in &file.uses {
                if let Some(to) = self.resolve(u, 0).map(|m| key(m)) {
                    if to != from {
                        targets.insert(to);
                    }
                }
            }
        }
        graph
    }
}

fn file_name(module: &[String]) -> String {
    if module.is_empty() {
        "lib.rs".into()
    } else {
        module.join("/")
    }
}

fn top_module(module: &[String]) -> String {
    module.first().cloned().unwrap_or_else(|| "crate root".into())
}

/// Every cycle found by a depth-first search, as `a -> b -> a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit<'g>(
        g: &'g BTreeMap<String, BTreeSet<String>>,
        n: &'g str,
        stack: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
        found: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|s| *s == n) {
            let mut c: Vec<&str> = stack[at..].to_vec();
            c.push(n);
            found.push(c.join(" -> "));
            return;
        }
        if done.contains(n) {
            return;
        }
        stack.push(n);
        for m in g.get(n).into_iter().flatten() {
            visit(g, m, stack, done, found);
        }
        stack.pop();
        done.insert(n);
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(graph, n, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn sources(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if e.path().is_dir() {
            sources(&e.path(), &rel, out);
        } else if name.ends_with(".rs") {
            out.push((rel, std::fs::read_to_string(e.path()).expect("read a source file")));
        }
    }
}

fn check(sources: &[(String, String)]) -> Vec<String> {
    let krate = Crate::new(sources);
    let mut problems = Vec::new();
    for c in cycles(&krate.edges(top_module)) {
        problems.push(format!("top-level modules: {c}"));
    }
    for c in cycles(&krate.edges(file_name)) {
        problems.push(format!("files: {c}"));
    }
    problems
}

#[test]
fn src_has_no_import_cycle() {
    let mut src = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut src);
    assert!(src.len() > 10, "src/ was read");
    let problems = check(&src);
    assert!(problems.is_empty(), "import cycles in src/:\n  {}", problems.join("\n  "));
}

#[test]
fn the_checker_sees_cycles() {
    let files = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
    };
    let ok = files(&[
        ("lib.rs", "mod a; mod b;\npub use a::A;\npub const V: &str = \"crate::b\";"),
        ("a/mod.rs", "mod x;\npub use x::X;\n// crate::b::B\n"),
        ("a/x.rs", "use crate::b::B; fn f() { let _ = crate::V; }"),
        ("b.rs", "pub struct B;\n#[cfg(test)]\nmod tests { use crate::a::X; }"),
    ]);
    assert_eq!(check(&ok), Vec::<String>::new());
    let inline = files(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::{self, B};"),
        ("b.rs", "fn f() { crate::a::g(); }"),
    ]);
    assert_eq!(check(&inline), ["top-level modules: a -> b -> a", "files: a -> b -> a"]);
    let through_reexport = files(&[
        ("lib.rs", "mod m;"),
        ("m/mod.rs", "mod p; mod q;\npub(crate) use q::Q;"),
        ("m/p.rs", "use super::Q;"),
        ("m/q.rs", "fn f() { super::p::go() }"),
    ]);
    assert_eq!(check(&through_reexport), ["files: m/p -> m/q -> m/p"]);
    let parent_child =
        files(&[("lib.rs", "mod s;"), ("s/mod.rs", "mod c;\nuse c::C;\npub struct L;"), ("s/c.rs", "use super::L;")]);
    assert_eq!(check(&parent_child), ["files: s -> s/c -> s"]);
}
