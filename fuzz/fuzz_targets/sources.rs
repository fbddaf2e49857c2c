//! Plain, gzip, tar and tar.gz inputs through the whole loading pipeline (first byte: container).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::sources(data));
