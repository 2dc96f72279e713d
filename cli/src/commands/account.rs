//! `porchlight devices`, `porchlight password`, `porchlight apikey`,
//! `porchlight audit` and `porchlight team audit`: the account's sign-ins,
//! a team's keys for integrations, and what the relay recorded.

use std::path::Path;

use anyhow::Result;
use porchlight_client::api::apikeys::Scope;
use porchlight_client::api::audit::AuditEvent;
use porchlight_client::{Credentials, account, apikeys, load_credentials};

use super::print_json;
use super::remote::{read_secret, runtime, team_id};
use crate::UsageError;
use crate::args::relay::{AccountCmd, ApikeyCmd, DevicesCmd};

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
    let events = account::team_audit(creds, team, before, limit).await?;
    print_events(&events, limit, json)
}

/// `porchlight audit`: the relay admin's view of account events.
pub fn relay_audit(data_dir: &Path, before: Option<i64>, limit: i64, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let events = runtime()?.block_on(account::relay_audit(&creds, before, limit))?;
    print_events(&events, limit, json)
}

fn print_events(events: &[AuditEvent], limit: i64, json: bool) -> Result<()> {
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

/// Days in an expiry like `30d`, `12w`, `6m`, `1y` or a bare `30`.
pub fn expiry_days(text: &str) -> Result<u32> {
    let t = text.trim().to_lowercase();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), "d"),
    };
    let per = match unit.trim() {
        "d" | "day" | "days" => 1,
        "w" | "week" | "weeks" => 7,
        "m" | "month" | "months" => 30,
        "y" | "year" | "years" => 365,
        _ => 0,
    };
    match number.parse::<u32>() {
        Ok(n) if n > 0 && per > 0 => Ok(n.saturating_mul(per)),
        _ => Err(UsageError(format!(
            "'{text}' is not an expiry; write it as 30d, 12w, 6m or 1y (days, weeks, months, years)"
        ))
        .into()),
    }
}

pub fn apikey(data_dir: &Path, cmd: ApikeyCmd, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let rt = runtime()?;
    match cmd {
        ApikeyCmd::Create {
            team,
            scope,
            name,
            expires,
        } => {
            let scope = Scope::parse(&scope.trim().to_lowercase()).ok_or_else(|| {
                UsageError(format!("'{scope}' is not a scope; use read or write"))
            })?;
            let days = expires.as_deref().map(expiry_days).transpose()?;
            let name = name.unwrap_or_else(|| "API key".into());
            let made = rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(apikeys::create(&creds, team, &name, scope, days).await?)
            })?;
            if json {
                return print_json(&made);
            }
            println!("{}", made.key);
            eprintln!(
                "API key {} ('{}', {}) made{}. It is shown only now: keep it like a password, and send it as `Authorization: Bearer …`. Revoke it with `porchlight apikey revoke --team … {}`.",
                made.info.id,
                made.info.name,
                made.info.scope.as_str(),
                made.info
                    .expires_at
                    .map(|t| format!(", expires {}", when(t)))
                    .unwrap_or_default(),
                made.info.id
            );
            Ok(())
        }
        ApikeyCmd::List { team } => {
            let keys = rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(apikeys::list(&creds, team).await?)
            })?;
            if json {
                return print_json(&keys);
            }
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    vec![
                        k.id.to_string(),
                        k.name.clone(),
                        k.scope.as_str().to_string(),
                        k.created_by.clone().unwrap_or_default(),
                        when(k.created_at),
                        k.last_used_at.map(when).unwrap_or_else(|| "never".into()),
                        k.expires_at
                            .map(when)
                            .unwrap_or_else(|| "when revoked".into()),
                    ]
                })
                .collect();
            crate::output::table(
                &[
                    "ID",
                    "NAME",
                    "SCOPE",
                    "MADE BY",
                    "MADE",
                    "LAST USED",
                    "EXPIRES",
                ],
                &rows,
            );
            Ok(())
        }
        ApikeyCmd::Revoke { team, id } => {
            rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(apikeys::revoke(&creds, team, id).await?)
            })?;
            if json {
                return print_json(&true);
            }
            println!("API key {id} is revoked; connections it opened are closed.");
            Ok(())
        }
    }
}

pub fn account(data_dir: &Path, cmd: AccountCmd, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let rt = runtime()?;
    match cmd {
        AccountCmd::Export { output } => {
            if output.exists()
                && std::fs::read_dir(&output)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(true)
            {
                return Err(UsageError(format!(
                    "{} is not an empty folder; name a new one",
                    output.display()
                ))
                .into());
            }
            let docs_dir = output.join("documents");
            std::fs::create_dir_all(&docs_dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", docs_dir.display()))?;
            let export = rt.block_on(account::export(&creds))?;
            std::fs::write(
                output.join("account.json"),
                serde_json::to_vec_pretty(&export)?,
            )?;
            let docs: Vec<&String> = export.teams.iter().flat_map(|t| &t.documents).collect();
            let mut bytes = 0usize;
            for (i, doc) in docs.iter().enumerate() {
                let data = rt.block_on(account::export_document(&creds, doc))?;
                bytes += data.len();
                std::fs::write(docs_dir.join(format!("{doc}.automerge")), &data)?;
                if !json {
                    eprint!("\rdocuments: {} of {}", i + 1, docs.len());
                }
            }
            if json {
                return print_json(&serde_json::json!({
                    "output": output, "teams": export.teams.len(), "documents": docs.len(), "bytes": bytes,
                }));
            }
            if !docs.is_empty() {
                eprintln!();
            }
            println!(
                "Exported {} ({} teams, {} documents, {:.1} MB) to {}.",
                export.email,
                export.teams.len(),
                docs.len(),
                bytes as f64 / 1e6,
                output.display()
            );
            Ok(())
        }
        AccountCmd::Mail {
            digest,
            mentions,
            time_zone,
        } => {
            let on_off = |flag: &str, v: &str| -> Result<bool> {
                match v.trim().to_ascii_lowercase().as_str() {
                    "on" | "yes" | "true" => Ok(true),
                    "off" | "no" | "false" => Ok(false),
                    other => Err(UsageError(format!("--{flag} {other}: say on or off")).into()),
                }
            };
            let settings = rt.block_on(async {
                let mut s = account::mail_settings(&creds).await?;
                if digest.is_none() && mentions.is_none() && time_zone.is_none() {
                    return Ok::<_, anyhow::Error>(s);
                }
                if let Some(d) = &digest {
                    s.digest = on_off("digest", d)?;
                }
                if let Some(m) = &mentions {
                    s.mentions = on_off("mentions", m)?;
                }
                if let Some(z) = &time_zone {
                    s.time_zone = Some(if z.trim() == "local" {
                        porchlight_store::time::system_tz_name()
                    } else {
                        z.trim().to_string()
                    });
                }
                Ok(account::set_mail_settings(&creds, &s).await?)
            })?;
            if json {
                return print_json(&settings);
            }
            let zone = settings.time_zone.as_deref().unwrap_or("UTC");
            if settings.digest {
                println!(
                    "Daily digest: on (on days when tasks are due or overdue, in the morning of {zone})."
                );
            } else {
                println!("Daily digest: off. Time zone: {zone}.");
            }
            println!(
                "Mentions by email: {}.",
                if settings.mentions {
                    "on (a teammate's @name of you in a comment)"
                } else {
                    "off"
                }
            );
            Ok(())
        }
        AccountCmd::Delete => {
            let password = read_secret("Password (to delete the account)")?;
            let revoked = rt.block_on(account::delete(&creds, &password))?;
            porchlight_client::forget_credentials(data_dir).ok();
            if json {
                return print_json(
                    &serde_json::json!({ "deleted": true, "devices_signed_out": revoked }),
                );
            }
            println!(
                "Your account is deleted and {revoked} device(s) signed out. Your boards on this device stay; what you wrote in shared boards shows as \"deleted user\"."
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expiry_days;

    #[test]
    fn expiries_read_as_days() {
        assert_eq!(expiry_days("30d").expect("d"), 30);
        assert_eq!(expiry_days("12w").expect("w"), 84);
        assert_eq!(expiry_days("6m").expect("m"), 180);
        assert_eq!(expiry_days(" 1Y ").expect("y"), 365);
        assert_eq!(expiry_days("45").expect("bare"), 45);
        for bad in ["", "0d", "d", "3 fortnights", "-1d"] {
            let e = expiry_days(bad).expect_err(bad);
            assert!(e.to_string().contains("30d, 12w"), "{e}");
        }
    }
}
