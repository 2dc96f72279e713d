//! Commands that talk to a relay: signup, login, logout, team, sync, board share.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Result, anyhow};
use porchlight_store::Profile;
use reqwest::Method;
use serde_json::{Value, json};

use super::print_json;
use crate::UsageError;
use crate::args::TeamCmd;
use crate::args::relay::{LoginArgs, SignupArgs};
use porchlight_client::{
    Credentials, Endpoint, SyncEvent, call, forget_credentials, load_credentials, save_credentials,
    sync_once,
};

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The password: prompted for on a terminal, else the first line of stdin.
fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(
            UsageError("no password given (type it, or pipe it on standard input)".into()).into(),
        );
    }
    Ok(password)
}

pub fn signup(args: SignupArgs, json: bool) -> Result<()> {
    let SignupArgs {
        relay,
        email,
        name,
        invite,
        trust,
    } = args;
    let base = &Endpoint::new(&relay, trust.resolve()?)?;
    let password = read_password()?;
    let body = json!({ "email": email, "password": password, "name": name, "invite": invite });
    let out = runtime()?.block_on(call(Method::POST, base, "/api/signup", None, Some(body)))?;
    if json {
        return print_json(&out);
    }
    let admin = if out["admin"].as_bool() == Some(true) {
        " (the relay's admin)"
    } else {
        ""
    };
    println!(
        "Account created for {email}{admin}. Now: porchlight login --relay {base} --email {email}"
    );
    Ok(())
}

pub fn login(data_dir: &Path, args: LoginArgs, json: bool) -> Result<()> {
    let LoginArgs {
        relay,
        email,
        device,
        trust,
    } = args;
    let base = &Endpoint::new(&relay, trust.resolve()?)?;
    let password = read_password()?;
    let device = device.unwrap_or_else(|| {
        format!(
            "porchlight-cli on {}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "this computer".into())
        )
    });
    let body = json!({ "email": email, "password": password, "device": device });
    let out = runtime()?.block_on(call(Method::POST, base, "/api/login", None, Some(body)))?;
    let token = out["token"]
        .as_str()
        .ok_or_else(|| anyhow!("the relay sent no token"))?
        .to_string();
    let stored = save_credentials(
        data_dir,
        &Credentials {
            relay: base.base.clone(),
            token,
            email: email.to_string(),
            trust: base.trust.clone(),
        },
    )?;
    if let Some(warning) = stored.warning() {
        eprintln!("porchlight: {warning}");
    }
    if json {
        return print_json(&json!({ "relay": base.base, "device": out["device"] }));
    }
    println!("Signed in to {base} as {email}.");
    Ok(())
}

pub fn logout(data_dir: &Path) -> Result<()> {
    if forget_credentials(data_dir)? {
        println!("Signed out; the saved token is deleted.");
    } else {
        println!("Not signed in.");
    }
    Ok(())
}

pub fn token(data_dir: &Path) -> Result<()> {
    println!("{}", load_credentials(data_dir)?.token);
    Ok(())
}

/// A team by id or by name.
async fn team_id(creds: &Credentials, key: &str) -> Result<i64> {
    if let Ok(id) = key.parse::<i64>() {
        return Ok(id);
    }
    let teams = call(
        Method::GET,
        &creds.endpoint()?,
        "/api/teams",
        Some(&creds.token),
        None,
    )
    .await?;
    teams
        .as_array()
        .and_then(|list| {
            list.iter().find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(key))
            })
        })
        .and_then(|t| t["id"].as_i64())
        .ok_or_else(|| {
            UsageError(format!(
                "you are in no team named '{key}'; `porchlight team list` shows yours"
            ))
            .into()
        })
}

pub fn team(data_dir: &Path, cmd: TeamCmd, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let token = Some(creds.token.as_str());
    let base = creds.endpoint()?;
    runtime()?.block_on(async {
        let out: Value = match cmd {
            TeamCmd::Create { name } => {
                call(
                    Method::POST,
                    &base,
                    "/api/teams",
                    token,
                    Some(json!({ "name": name })),
                )
                .await?
            }
            TeamCmd::List => call(Method::GET, &base, "/api/teams", token, None).await?,
            TeamCmd::Invite { team, role, hours } => {
                let id = team_id(&creds, &team).await?;
                call(
                    Method::POST,
                    &base,
                    &format!("/api/teams/{id}/invites"),
                    token,
                    Some(json!({ "role": role, "hours": hours })),
                )
                .await?
            }
            TeamCmd::Join { code } => {
                call(
                    Method::POST,
                    &base,
                    "/api/join",
                    token,
                    Some(json!({ "code": code })),
                )
                .await?
            }
            TeamCmd::Members { team } => {
                let id = team_id(&creds, &team).await?;
                call(
                    Method::GET,
                    &base,
                    &format!("/api/teams/{id}/members"),
                    token,
                    None,
                )
                .await?
            }
            TeamCmd::Role {
                team,
                account,
                role,
            } => {
                let id = team_id(&creds, &team).await?;
                call(
                    Method::PUT,
                    &base,
                    &format!("/api/teams/{id}/members/{account}"),
                    token,
                    Some(json!({ "role": role })),
                )
                .await?
            }
            TeamCmd::Remove { team, account } => {
                let id = team_id(&creds, &team).await?;
                call(
                    Method::DELETE,
                    &base,
                    &format!("/api/teams/{id}/members/{account}"),
                    token,
                    None,
                )
                .await?
            }
        };
        if json {
            return print_json(&out);
        }
        match &out {
            Value::Array(rows) => {
                for row in rows {
                    let fields: Vec<String> = row
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| {
                                    format!(
                                        "{k}={}",
                                        v.as_str()
                                            .map(str::to_string)
                                            .unwrap_or_else(|| v.to_string())
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    println!("{}", fields.join("  "));
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    println!(
                        "{k}: {}",
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    );
                }
            }
            other => println!("{other}"),
        }
        Ok(())
    })
}

pub fn share(data_dir: &Path, profile: &mut Profile, board: &str, team: &str) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let id = runtime()?.block_on(team_id(&creds, team))?;
    let doc = profile.share_board(board, id)?;
    println!("Board {doc} is shared with team {id}; `porchlight sync` sends it.");
    Ok(())
}

pub fn share_listings(
    data_dir: &Path,
    profile: &mut Profile,
    source: &str,
    team: &str,
) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let id = runtime()?.block_on(team_id(&creds, team))?;
    let shards = profile.share_listings(source, id)?;
    if shards == 0 {
        return Err(UsageError(format!(
            "there are no listings from '{source}' to share; import some first (`porchlight mls import-csv`)"
        ))
        .into());
    }
    println!(
        "The '{source}' listings ({shards} shards) are shared with team {id}; `porchlight sync` sends them."
    );
    Ok(())
}

pub fn sync(data_dir: &Path, profile: &mut Profile, watch: bool, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    if watch {
        let mut print = |event: SyncEvent| match event {
            SyncEvent::Connected { relay, documents } => {
                println!("sync: connected to {relay}, watching {documents} documents")
            }
            SyncEvent::RemoteChange { document } => println!("sync: remote change in {document}"),
            SyncEvent::RelayMessage { message } => println!("relay: {message}"),
            SyncEvent::Disconnected { error, retry_in_ms } => {
                eprintln!("sync: {error}");
                eprintln!("sync: reconnecting in {:.1} s", retry_in_ms as f64 / 1000.0);
            }
            // The CLI views no board, so it neither sends nor hears presence.
            SyncEvent::Presence { .. } => {}
        };
        return Ok(runtime()?.block_on(porchlight_client::watch(profile, &creds, &mut print))?);
    }
    let summary = runtime()?.block_on(sync_once(profile, &creds))?;
    if json {
        return print_json(&summary);
    }
    println!(
        "Synced {} documents with {}: {} new, {} updated.",
        summary.documents, creds.relay, summary.added, summary.updated
    );
    for doc in &summary.read_only {
        println!("read-only: you are a viewer of {doc}; your changes to it stay on this device");
    }
    for doc in &summary.unavailable {
        println!("unavailable: the relay does not give you {doc}");
    }
    for e in &summary.errors {
        println!("relay: {e}");
    }
    Ok(())
}
