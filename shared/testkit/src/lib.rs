//! porchlight-testkit: what the tests of the CLI, the app and the relay
//! share — fake RESO ([`reso`]) and RETS ([`rets`]) servers with switches
//! for the failures real servers show, served over HTTP or HTTPS
//! ([`serve`]); certificates made in the test ([`certs`]); real JPEG
//! pictures ([`jpeg`]); the server side of HTTP Digest ([`digest`]); and
//! throwaway PostgreSQL and NATS servers ([`services`]).
//! Not published; nothing in production depends on it.

pub mod certs;
pub mod digest;
pub mod jpeg;
pub mod reso;
pub mod rets;
pub mod serve;
pub mod services;
