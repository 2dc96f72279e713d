//! Any bytes into the CSV listing reader: a report or an error, never a
//! panic; every listing it accepts has a key, and no key twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use porchlight_store::listings::{csv, mapping::Mapping};

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = csv::read(data, &Mapping::default()) {
        let mut keys: Vec<&str> = report.listings.iter().map(|l| l.listing_key.as_str()).collect();
        assert!(keys.iter().all(|k| !k.is_empty()));
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
});
