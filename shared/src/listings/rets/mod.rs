//! RETS 1.7.2 / 1.8. So far: the COMPACT / COMPACT-DECODED search reply
//! ([`compact`]), read tolerantly; the HTTP client (login, digest auth,
//! paging, GetObject) is not built yet.

pub mod compact;
