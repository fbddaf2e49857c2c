//! Format detection and every adapter on one record, decoded again from its stored text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlens::fuzzing::decode(data));
