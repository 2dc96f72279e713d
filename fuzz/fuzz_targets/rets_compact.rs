//! Any bytes into the RETS COMPACT reader: a reply or an error, never a
//! panic; every row it keeps has one field per column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use porchlight_core::listings::rets::compact;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = compact::parse(data) {
        assert!(reply.rows.iter().all(|row| row.len() == reply.columns.len()));
    }
});
