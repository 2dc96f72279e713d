//! The CLI's integration tests, one binary (each was its own binary of
//! 150 MB, linked separately): a module per subject, sharing `common` with
//! the sync benchmark (`sync_bench`, run on its own by `make bench-sync`).

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod crash;
mod interop_js;
mod interop_samod;
mod keychain;
mod listings;
mod reso;
mod rets;
mod sync;
mod tls;
