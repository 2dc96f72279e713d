//! Commands that talk to a relay: signup, login, logout, team, sync, board share.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::Result;
use porchlight_client::api::accounts::{LoginRequest, SignupRequest};
use porchlight_client::api::team::{MemberInfo, Role};
use porchlight_client::teams;
use porchlight_store::Profile;
use serde_json::json;

use super::print_json;
use crate::UsageError;
use crate::args::TeamCmd;
use crate::args::relay::{CalendarCmd, LoginArgs, ResetArgs, SignupArgs, WebhookCmd};
use porchlight_client::{
    Credentials, Endpoint, SyncEvent, forget_credentials, load_credentials, save_credentials,
    sync_once,
};

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The password: prompted for on a terminal, else the first line of stdin.
fn read_password() -> Result<String> {
    read_secret("Password")
}

/// A secret: prompted for (as `prompt: `) on a terminal, else the next
/// line of stdin.
pub(crate) fn read_secret(prompt: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}: ");
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

pub fn password_reset(args: ResetArgs, json: bool) -> Result<()> {
    let ResetArgs {
        relay,
        email,
        code,
        trust,
    } = args;
    let base = &Endpoint::new(&relay, trust.resolve()?)?;
    let rt = runtime()?;
    match code {
        None => {
            rt.block_on(porchlight_client::password_reset(base, &email))?;
            if json {
                return print_json(&json!({ "requested": true }));
            }
            println!(
                "If {email} has an account on {base}, a code is on its way (it works for 30 minutes). Then: porchlight password-reset --relay {base} --email {email} --code CODE"
            );
        }
        Some(code) => {
            let password = read_secret("New password")?;
            rt.block_on(porchlight_client::password_reset_confirm(
                base, &email, &code, &password,
            ))?;
            if json {
                return print_json(&json!({ "reset": true }));
            }
            println!(
                "Password changed and every device signed out. Now: porchlight login --relay {base} --email {email}"
            );
        }
    }
    Ok(())
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
    let request = SignupRequest {
        email: email.clone(),
        password,
        name,
        invite,
    };
    let out = runtime()?.block_on(porchlight_client::signup(base, &request))?;
    if json {
        return print_json(&out);
    }
    let admin = if out.admin {
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
    let request = LoginRequest {
        email: email.clone(),
        password,
        device: Some(device),
    };
    let out = runtime()?.block_on(porchlight_client::login(base, &request))?;
    let token = out.token;
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
        return print_json(&json!({ "relay": base.base, "device": out.device }));
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

/// A team by id or by name.
pub(crate) async fn team_id(creds: &Credentials, key: &str) -> Result<i64> {
    if let Ok(id) = key.parse::<i64>() {
        return Ok(id);
    }
    porchlight_client::teams::teams(creds)
        .await?
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(key))
        .map(|t| t.id)
        .ok_or_else(|| {
            UsageError(format!(
                "you are in no team named '{key}'; `porchlight team list` shows yours"
            ))
            .into()
        })
}

/// A role as typed on the command line.
fn role(text: &str) -> Result<Role> {
    Role::parse(&text.trim().to_lowercase()).ok_or_else(|| {
        UsageError(format!(
            "'{text}' is not a role; use owner, admin, member or viewer"
        ))
        .into()
    })
}

pub fn team(data_dir: &Path, cmd: TeamCmd, json: bool) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let rt = runtime()?;
    let creds = &creds;
    match cmd {
        TeamCmd::Create { name } => rt.block_on(create_team(creds, &name, json)),
        TeamCmd::List => rt.block_on(list_teams(creds, json)),
        TeamCmd::Invite {
            team,
            role,
            hours,
            email,
        } => rt.block_on(invite(creds, &team, &role, hours, email, json)),
        TeamCmd::Join { code } => rt.block_on(join(creds, &code, json)),
        TeamCmd::Members { team } => rt.block_on(members(creds, &team, json)),
        TeamCmd::Role { team, member, role } => {
            rt.block_on(set_role(creds, &team, &member, &role, json))
        }
        TeamCmd::Remove { team, member } => rt.block_on(remove(creds, &team, &member, json)),
        TeamCmd::Transfer { team, member } => rt.block_on(transfer(creds, &team, &member, json)),
        TeamCmd::Audit {
            team,
            before,
            limit,
        } => rt.block_on(async {
            let id = team_id(creds, &team).await?;
            super::account::team_audit(creds, id, before, limit, json).await
        }),
        TeamCmd::Retention {
            team,
            days,
            forever,
        } => rt.block_on(retention(creds, &team, days, forever, json)),
    }
}

async fn retention(
    creds: &Credentials,
    team: &str,
    days: Option<u32>,
    forever: bool,
    json: bool,
) -> Result<()> {
    let id = team_id(creds, team).await?;
    let r = if days.is_some() || forever {
        teams::set_retention(creds, id, days).await?
    } else {
        teams::retention(creds, id).await?
    };
    if json {
        return print_json(&r);
    }
    match r.deleted_task_days {
        Some(d) => println!(
            "Team '{team}' keeps deleted tasks {d} day(s); after that the relay removes them from its boards for good."
        ),
        None => println!("Team '{team}' keeps deleted tasks for ever (set a limit with --days N)."),
    }
    Ok(())
}

async fn create_team(creds: &Credentials, name: &str, json: bool) -> Result<()> {
    let team = teams::create_team(creds, name).await?;
    if json {
        return print_json(&team);
    }
    println!(
        "Created team '{name}' ({}); invite with `porchlight team invite`.",
        team.id
    );
    Ok(())
}

async fn list_teams(creds: &Credentials, json: bool) -> Result<()> {
    let list = teams::teams(creds).await?;
    if json {
        return print_json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| vec![t.name.clone(), t.role.as_str().into(), t.id.to_string()])
        .collect();
    crate::output::table(&["TEAM", "ROLE", "ID"], &rows);
    Ok(())
}

async fn invite(
    creds: &Credentials,
    team: &str,
    role_text: &str,
    hours: Option<i64>,
    email: Option<String>,
    json: bool,
) -> Result<()> {
    let role = role(role_text)?;
    let id = team_id(creds, team).await?;
    let invite = teams::invite_to(creds, id, role, hours, email.clone()).await?;
    if json {
        return print_json(&invite);
    }
    let expires = chrono::DateTime::from_timestamp_millis(invite.expires_at)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    println!(
        "Invite code for a {}: {}",
        invite.role.as_str(),
        invite.code
    );
    println!(
        "It works until {expires}: `porchlight team join CODE` or `porchlight signup --invite CODE`."
    );
    match (email, invite.emailed, &invite.email_error) {
        (Some(to), Some(true), _) => println!("Emailed to {to}."),
        (Some(to), _, Some(why)) => {
            eprintln!("Not emailed to {to}: {why}. Give them the code yourself.")
        }
        _ => {}
    }
    Ok(())
}

async fn join(creds: &Credentials, code: &str, json: bool) -> Result<()> {
    let joined = teams::join(creds, code).await?;
    if json {
        return print_json(&joined);
    }
    println!(
        "Joined team {} as {}; `porchlight sync` fetches its boards.",
        joined.team,
        joined.role.as_str()
    );
    Ok(())
}

async fn members(creds: &Credentials, team: &str, json: bool) -> Result<()> {
    let id = team_id(creds, team).await?;
    let members = teams::members(creds, id).await?;
    if json {
        return print_json(&members);
    }
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.email.clone(),
                m.role.as_str().into(),
                m.account.to_string(),
            ]
        })
        .collect();
    crate::output::table(&["NAME", "EMAIL", "ROLE", "ACCOUNT"], &rows);
    Ok(())
}

/// A team's member named by email (any case) or, for scripts, by the
/// account number `team members --json` shows.
async fn member(creds: &Credentials, team: i64, team_name: &str, who: &str) -> Result<MemberInfo> {
    let members = teams::members(creds, team).await?;
    let who = who.trim();
    members
        .into_iter()
        .find(|m| m.email.eq_ignore_ascii_case(who) || m.account.to_string() == who)
        .ok_or_else(|| {
            UsageError(format!(
                "'{who}' is not a member of team '{team_name}'; `porchlight team members {team_name}` lists their emails"
            ))
            .into()
        })
}

async fn set_role(
    creds: &Credentials,
    team: &str,
    who: &str,
    role_text: &str,
    json: bool,
) -> Result<()> {
    let role = role(role_text)?;
    let id = team_id(creds, team).await?;
    let m = member(creds, id, team, who).await?;
    teams::set_role(creds, id, m.account, role).await?;
    if json {
        return print_json(&true);
    }
    println!("{} is now {} of team {team}.", m.email, role.as_str());
    Ok(())
}

async fn remove(creds: &Credentials, team: &str, who: &str, json: bool) -> Result<()> {
    let id = team_id(creds, team).await?;
    let m = member(creds, id, team, who).await?;
    teams::remove_member(creds, id, m.account).await?;
    if json {
        return print_json(&true);
    }
    println!("{} is no longer in team {team}.", m.email);
    Ok(())
}

async fn transfer(creds: &Credentials, team: &str, who: &str, json: bool) -> Result<()> {
    let id = team_id(creds, team).await?;
    let m = member(creds, id, team, who).await?;
    teams::transfer_ownership(creds, id, m.account).await?;
    if json {
        return print_json(&true);
    }
    println!("{} now owns team {team}; you stay as an admin.", m.email);
    Ok(())
}

pub fn share(data_dir: &Path, profile: &mut Profile, board: &str, team: &str) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let id = runtime()?.block_on(team_id(&creds, team))?;
    let doc = profile.boards_mut().share(board, id)?;
    println!("Board {doc} is shared with team {id}; `porchlight sync` sends it.");
    Ok(())
}

pub fn calendar(data_dir: &Path, profile: &Profile, cmd: CalendarCmd, json: bool) -> Result<()> {
    let CalendarCmd::Url {
        board,
        team,
        mine,
        rotate,
    } = cmd;
    let creds = load_credentials(data_dir)?;
    let board = match board {
        Some(key) => {
            let doc = profile.boards().resolve(&key)?;
            let shared = profile.boards().shared()?;
            let Some((_, team)) = shared.into_iter().find(|(d, _)| *d == doc) else {
                return Err(UsageError(format!(
                    "the board '{key}' is not shared with a team, so the relay has no calendar for it: `porchlight board share '{key}' --team TEAM`, then `porchlight sync`"
                ))
                .into());
            };
            Some((doc.to_string(), team))
        }
        None => None,
    };
    let feed = runtime()?.block_on(async {
        let team = match (&board, team) {
            (Some((_, t)), _) => *t,
            (None, Some(t)) => team_id(&creds, &t).await?,
            (None, None) => {
                let teams = porchlight_client::teams::teams(&creds).await?;
                match teams.as_slice() {
                    [one] => one.id,
                    [] => {
                        return Err(UsageError(
                            "you are in no team yet; a calendar feed shows a team's boards (`porchlight team create NAME`)".into(),
                        )
                        .into());
                    }
                    _ => {
                        return Err(UsageError(
                            "you are in several teams: name one with --team (`porchlight team list` shows them)".into(),
                        )
                        .into());
                    }
                }
            }
        };
        Ok::<_, anyhow::Error>(
            porchlight_client::calendar::feed(&creds, team, board.map(|b| b.0), mine, rotate)
                .await?,
        )
    })?;
    let url = porchlight_client::calendar::feed_url(&creds, &feed);
    if json {
        return print_json(
            &serde_json::json!({ "url": url, "board": feed.board, "mine": feed.mine }),
        );
    }
    println!("{url}");
    eprintln!(
        "{}Subscribe to it in your calendar app (Google Calendar: Other calendars → From URL; Apple Calendar: File → New Calendar Subscription; Outlook: Add calendar → Subscribe from web). Anyone with this address can read these tasks: `porchlight calendar url --rotate` (with the same options) replaces it.",
        if rotate {
            "The old address no longer works. "
        } else {
            ""
        }
    );
    Ok(())
}

pub fn webhook(data_dir: &Path, profile: &Profile, cmd: WebhookCmd, json: bool) -> Result<()> {
    use porchlight_client::api::webhooks::CreateWebhook;
    use porchlight_client::webhooks;
    let creds = load_credentials(data_dir)?;
    let rt = runtime()?;
    let when = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    match cmd {
        WebhookCmd::Add {
            team,
            url,
            events,
            board,
            format,
        } => {
            let board = board
                .map(|b| profile.boards().resolve(&b).map(|d| d.to_string()))
                .transpose()?;
            let req = CreateWebhook {
                url,
                events: events
                    .into_iter()
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .collect(),
                board,
                format,
            };
            let made = rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(webhooks::create(&creds, team, &req).await?)
            })?;
            if json {
                return print_json(&made);
            }
            println!("{}", made.secret);
            eprintln!(
                "Webhook {} added for {}. The line above is its signing secret, shown only now: the receiver checks the webhook-signature header with it (Standard Webhooks). `porchlight webhook test --team … {}` sends a test event.",
                made.info.id,
                if made.info.events.is_empty() {
                    "every event".to_string()
                } else {
                    made.info.events.join(", ")
                },
                made.info.id
            );
            Ok(())
        }
        WebhookCmd::List { team } => {
            let hooks = rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(webhooks::list(&creds, team).await?)
            })?;
            if json {
                return print_json(&hooks);
            }
            let rows: Vec<Vec<String>> = hooks
                .iter()
                .map(|h| {
                    vec![
                        h.id.to_string(),
                        h.url.clone(),
                        if h.events.is_empty() {
                            "all".into()
                        } else {
                            h.events.join(",")
                        },
                        h.board.clone().unwrap_or_else(|| "all".into()),
                        h.format.clone(),
                        h.disabled_at
                            .map(|t| format!("disabled {}", when(t)))
                            .unwrap_or_else(|| "active".into()),
                    ]
                })
                .collect();
            crate::output::table(&["ID", "URL", "EVENTS", "BOARD", "FORMAT", "STATE"], &rows);
            Ok(())
        }
        WebhookCmd::Remove { team, id } => {
            rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(webhooks::remove(&creds, team, id).await?)
            })?;
            if json {
                return print_json(&true);
            }
            println!("Webhook {id} is removed; what it had not been sent is dropped.");
            Ok(())
        }
        WebhookCmd::Test { team, id } => {
            let event = rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(webhooks::test(&creds, team, id).await?)
            })?;
            if json {
                return print_json(&event);
            }
            println!(
                "Test event {event} is on its way; `porchlight webhook log --team … {id}` shows how it went."
            );
            Ok(())
        }
        WebhookCmd::Log { team, id, limit } => {
            let log = rt.block_on(async {
                let team = team_id(&creds, &team).await?;
                Ok::<_, anyhow::Error>(webhooks::log(&creds, team, id, limit).await?)
            })?;
            if json {
                return print_json(&log);
            }
            let rows: Vec<Vec<String>> = log
                .iter()
                .map(|d| {
                    vec![
                        when(d.created_at),
                        d.event.clone(),
                        d.state.clone(),
                        d.attempts.to_string(),
                        d.last_status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into()),
                        d.latency_ms
                            .map(|l| format!("{l} ms"))
                            .unwrap_or_else(|| "-".into()),
                        d.last_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            crate::output::table(
                &[
                    "QUEUED", "EVENT", "STATE", "ATTEMPTS", "STATUS", "LATENCY", "ERROR",
                ],
                &rows,
            );
            Ok(())
        }
    }
}

pub fn share_listings(
    data_dir: &Path,
    profile: &mut Profile,
    source: &str,
    team: &str,
) -> Result<()> {
    let creds = load_credentials(data_dir)?;
    let id = runtime()?.block_on(team_id(&creds, team))?;
    let shards = profile.listings_mut().share(source, id)?;
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
        println!("problem: {e}");
    }
    Ok(())
}
