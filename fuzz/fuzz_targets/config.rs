//! Arbitrary text through the YAML configuration loader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        hams::fuzzing::config(text);
    }
});
