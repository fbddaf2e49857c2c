//! The JSON-lines reader (bounded lines, the document fallback) over one member, each record decoded.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::json_lines(data));
