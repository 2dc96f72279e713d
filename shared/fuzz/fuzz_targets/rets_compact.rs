//! Any bytes into the RETS COMPACT reader, raw and spliced into a real
//! reply (cut short at any point, stray delimiters inserted): a reply or
//! an error, never a panic; every row it keeps has one field per column;
//! a reply cut before its `</RETS>` is never taken as a page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use porchlight_store::listings::rets::compact;

const REAL: &[u8] = b"<RETS ReplyCode=\"0\" ReplyText=\"ok\">\r\n<COUNT Records=\"3\"/>\r\n<DELIMITER value=\"09\"/>\r\n<COLUMNS>\tLN\tLP\tREM\t</COLUMNS>\r\n<DATA>\tA1\t450000\tCaf\xe9 &amp; more\t</DATA>\r\n<DATA>\tA2\t510000\tN\xc3\xba\xc3\xb1ez\t</DATA>\r\n<DATA>\tA3\t1\tx\t</DATA>\r\n<MAXROWS/>\r\n</RETS>\r\n";

fn check(input: &[u8]) {
    if let Ok(reply) = compact::parse(input) {
        assert!(reply.rows.iter().all(|row| row.len() == reply.columns.len()));
        if !reply.columns.is_empty() {
            let lower = String::from_utf8_lossy(input).to_ascii_lowercase();
            let last = lower.rfind("<data>").unwrap_or(0);
            assert!(lower[last..].contains("</rets>"), "a cut reply was taken whole");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    // Cut the real reply short, then splice the rest of the input (stray
    // tabs, bad bytes) in at another point.
    let cut = usize::from(first) * REAL.len() / 256;
    check(&REAL[..cut]);
    let at = rest.first().map_or(0, |b| usize::from(*b) * REAL.len() / 256);
    let mut spliced = REAL[..at].to_vec();
    spliced.extend_from_slice(rest);
    spliced.extend_from_slice(&REAL[at..]);
    check(&spliced);
});
