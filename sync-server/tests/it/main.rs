//! The relay's integration tests, one binary (each was its own binary of
//! 150 MB, linked separately): a module per subject, sharing `common`.

mod common;

mod api_v1;
mod apikeys;
mod calendar;
mod digest;
mod export;
mod kill;
mod mail;
mod mentions;
mod nodes;
mod relay;
mod scale;
mod security;
mod storage;
mod tls;
mod webhooks;
