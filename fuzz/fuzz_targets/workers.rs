//! Arbitrary bytes as a chunk of the workers' shared memory, read by the parent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hams::fuzzing::workers_chunk(data);
});
