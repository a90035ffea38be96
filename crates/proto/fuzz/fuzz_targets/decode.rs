//! Decodes arbitrary bytes as a request and as a reply; whatever decodes
//! must re-encode to the same bytes and decode to the same message. The
//! property lives in `proto::testing` so `cargo test` runs it too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = proto::testing::check_roundtrip(data) {
        panic!("{violation}");
    }
});
