//! The query parser and builder, then a search over a small index.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::query(data));
