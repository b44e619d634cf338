//! Arbitrary bytes, in arbitrary chunkings, through the request reader,
//! parser, router and response writer. The first byte picks how many of the
//! following bytes describe the chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static TARGET: OnceLock<hams::fuzzing::Target> = OnceLock::new();
    let target = TARGET.get_or_init(hams::fuzzing::Target::default);
    let (cuts, request) = match data.split_first() {
        Some((&n, rest)) => rest.split_at((n as usize % 8).min(rest.len())),
        None => (&[][..], data),
    };
    target.feed(request, cuts);
});
