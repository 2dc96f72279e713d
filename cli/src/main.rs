//! `porchlight`: the headless Porchlight client.
//!
//! A thin shell over `porchlight-store`: parse arguments, open the profile,
//! call one operation, print a table or JSON. Bad input exits 2 with one line
//! saying what was wrong; other failures exit 1; nothing panics at a user.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;
use porchlight_store::CoreError;

/// A mistake in the command line that the core does not know about.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Quiet unless asked: errors reach the user as one line from main.
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORCHLIGHT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let user_error = err
                .downcast_ref::<CoreError>()
                .is_some_and(CoreError::is_user_error)
                // A value the person gave (a date, a priority) that is not right.
                || err.downcast_ref::<porchlight_store::ModelError>().is_some()
                || err.downcast_ref::<UsageError>().is_some()
                || err
                    .downcast_ref::<porchlight_client::ClientError>()
                    .is_some_and(porchlight_client::ClientError::is_user_error);
            eprintln!("porchlight: {err:#}");
            ExitCode::from(if user_error { 2 } else { 1 })
        }
    }
}
