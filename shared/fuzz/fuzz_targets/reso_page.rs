//! Any bytes as a RESO OData page: a page or an error that names what is
//! wrong (not UTF-8, cut off, not OData), never a panic; every listing it
//! keeps has a key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use porchlight_store::listings::reso::read_page;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = read_page("https://mls.example/odata/Property", data) {
        assert!(page.listings.iter().all(|l| !l.listing_key.trim().is_empty()));
    }
});
