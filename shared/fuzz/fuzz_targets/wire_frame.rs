//! Any bytes into the automerge-repo frame decoder: errors, never panics;
//! whatever decodes must re-encode and decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use porchlight_store::sync::WireMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = WireMessage::decode(data) {
        let again = WireMessage::decode(&message.encode());
        assert_eq!(again.ok(), Some(message));
    }
});
