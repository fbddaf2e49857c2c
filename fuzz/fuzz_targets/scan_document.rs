//! The tolerant document scanner: record spans in order, in bounds, never overlapping.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::scan_document(data));
