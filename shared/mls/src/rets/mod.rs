//! RETS 1.7.2 / 1.8: the replies read tolerantly — login ([`login`]),
//! COMPACT search replies ([`compact`]), COMPACT metadata and lookup
//! decoding ([`metadata`]), `multipart/parallel` objects ([`multipart`]),
//! digest and UA authorization ([`auth`]) — and, with feature `client`,
//! the HTTP session ([`client`]) and replication into the cache
//! ([`replicate`]).

pub mod auth;
pub mod client;
pub mod compact;
pub mod login;
pub mod metadata;
pub mod multipart;
pub mod replicate;
mod text;

/// A RETS reply that says no, or is not a RETS reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("not a RETS response: {0}")]
    NotRets(String),
    #[error("the RETS server answered {code}: {text}")]
    Reply { code: u32, text: String },
    #[error("the RETS reply has data but no <COLUMNS> line")]
    NoColumns,
    #[error(
        "the RETS reply was cut off ({rows} whole rows, then {what}); nothing of this page was imported, and the next pull starts again from it"
    )]
    Truncated { rows: usize, what: &'static str },
}

#[cfg(test)]
mod never_panic {
    use proptest::prelude::*;

    proptest! {
        /// Whatever a server sends, the readers answer or say why.
        #[test]
        fn replies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..600) {
            let _ = super::login::parse(&bytes);
            let _ = super::metadata::parse(&bytes);
            let _ = super::multipart::parse(&bytes, "b");
            let _ = super::auth::Challenge::parse(&String::from_utf8_lossy(&bytes));
            let _ = super::multipart::boundary(&String::from_utf8_lossy(&bytes));
            // Mutated real replies: cut short, and with the bytes spliced in.
            let real: &[u8] = b"--b\r\nContent-Type: text/xml\r\nObject-ID: 1\r\n\r\n<RETS ReplyCode=\"20403\"/>\r\n--b\r\nLocation: http://x\r\n\r\n\r\n--b--\r\n<RETS ReplyCode=\"0\"><RETS-RESPONSE>\nSearch=/s\nInfo=A;B;C\n</RETS-RESPONSE><METADATA-TABLE Resource=\"P\" Class=\"R\"><COLUMNS>\tSystemName\t</COLUMNS><DATA>\tX\t</DATA></METADATA-TABLE></RETS>";
            let at = cut.min(real.len());
            let mut spliced = real[..at].to_vec();
            spliced.extend_from_slice(&bytes);
            spliced.extend_from_slice(&real[at..]);
            for input in [&real[..at], &spliced[..]] {
                let _ = super::login::parse(input);
                let _ = super::metadata::parse(input);
                let _ = super::multipart::parse(input, "b");
            }
        }
    }
}
