//! Replays the fuzzing seed corpus through the request path in every
//! chunking from whole to single bytes, checking the response invariants
//! (see `hams::fuzzing`). Regressions found by fuzzing are added to the
//! corpus and so replayed here.

use std::path::Path;

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// Masks what differs between runs: process metrics and, with them, lengths.
fn normalize(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .split('\n')
        .map(|l| {
            if l.starts_with("process_") || l.starts_with("Content-Length:") {
                l.split(' ').next().unwrap_or("")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn http_corpus_gives_the_same_answer_in_any_chunking() {
    let corpus = files("fuzz/corpus/http");
    assert!(corpus.len() >= 10);
    for (name, data) in corpus {
        // A fresh target each time: the metrics count requests.
        let feed = |cuts: &[u8]| hams::fuzzing::Target::default().feed(&data, cuts);
        let whole = feed(&[]);
        assert!(!whole.is_empty(), "{name}: no response");
        for cuts in [&[1u8][..], &[2], &[3, 7], &[64]] {
            let chunked = feed(cuts);
            assert_eq!(normalize(&chunked), normalize(&whole), "{name} cut {cuts:?}");
        }
    }
}

#[test]
fn config_corpus_loads() {
    for (name, data) in files("fuzz/corpus/config") {
        let text = String::from_utf8(data).unwrap();
        hams::config::from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        hams::fuzzing::config(&text);
    }
}

/// The workers' region reader over its seed corpus, and over every
/// single-byte change and every truncation of a real chunk: nothing a
/// worker writes makes the parent panic or serve invalid exposition.
#[test]
fn workers_corpus_is_read_safely() {
    let corpus = files("fuzz/corpus/workers");
    assert!(!corpus.is_empty());
    for (_, data) in &corpus {
        hams::fuzzing::workers_chunk(data);
    }
    let seed = hams::fuzzing::workers_seed();
    for i in 0..seed.len() {
        hams::fuzzing::workers_chunk(&seed[..i]);
        for v in [0u8, 1, 0x80, 0xff] {
            let mut d = seed.clone();
            d[i] = v;
            hams::fuzzing::workers_chunk(&d);
        }
    }
}
