//! The envelope parser, the bundle and manifest verifier, and a load with its statuses.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::bundle(data));
