//! `porchlight devices`, `porchlight password` and `porchlight team audit`:
//! the account's sign-ins and what the relay recorded.

use std::path::Path;

use anyhow::Result;
use porchlight_client::api::audit::AuditEvent;
use porchlight_client::{Credentials, account, load_credentials};

use super::print_json;
use super::remote::{read_secret, runtime};
use crate::UsageError;
use crate::args::relay::DevicesCmd;

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub fn devices(data_dir: &Path, cmd: Option<DevicesCmd>, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let rt = runtime()?;
    match cmd {
        None => rt.block_on(list(&creds, json)),
        Some(DevicesCmd::Revoke { id }) => rt.block_on(async {
            account::revoke_device(&creds, id).await?;
            if json {
                return print_json(&true);
            }
            println!("Device {id} is signed out; its token no longer works.");
            Ok(())
        }),
    }
}

async fn list(creds: &Credentials, json: bool) -> Result<()> {
    let devices = account::devices(creds).await?;
    if json {
        return print_json(&devices);
    }
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                format!("{}{}", d.name, if d.current { " (this one)" } else { "" }),
                when(d.created_at),
                when(d.last_used_at),
                when(d.expires_at),
            ]
        })
        .collect();
    crate::output::table(
        &["ID", "DEVICE", "SIGNED IN", "LAST USED", "EXPIRES"],
        &rows,
    );
    Ok(())
}

pub fn password(data_dir: &Path, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let current = read_secret("Current password")?;
    let new = read_secret("New password")?;
    if new == current {
        return Err(UsageError("the new password is the same as the current one".into()).into());
    }
    let changed = runtime()?.block_on(account::change_password(&creds, &current, &new))?;
    if json {
        return print_json(&changed);
    }
    println!(
        "Password changed; {} other device(s) signed out.",
        changed.revoked
    );
    Ok(())
}

pub async fn team_audit(
    creds: &Credentials,
    team: i64,
    before: Option<i64>,
    limit: i64,
    json: bool,
) -> Result<()> {
    let events: Vec<AuditEvent> = account::team_audit(creds, team, before, limit).await?;
    if json {
        return print_json(&events);
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                when(e.at),
                e.event.clone(),
                e.actor_email.clone().unwrap_or_default(),
                e.source.clone().unwrap_or_default(),
                e.target.clone().unwrap_or_default(),
            ]
        })
        .collect();
    crate::output::table(&["ID", "WHEN (UTC)", "EVENT", "WHO", "FROM", "WHAT"], &rows);
    if let Some(last) = events.last().filter(|_| events.len() as i64 == limit) {
        println!("More: --before {}", last.id);
    }
    Ok(())
}
