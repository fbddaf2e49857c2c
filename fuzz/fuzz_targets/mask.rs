//! The masker on text, JSON values and records: planted secrets never stay in clear.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::mask(data));
