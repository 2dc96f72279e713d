//! `porchlight mls …`: MLS connections, pulls, CSV imports and synthetic
//! listings.

use anyhow::{Context, Result};
use porchlight_store::Profile;
use porchlight_store::listings::connect::Connection;
use porchlight_store::listings::photos::PhotoCache;
use porchlight_store::listings::pull::{Progress, PullError, PullOptions, PullReport};
use porchlight_store::listings::sources::{MlsSource, RetsSettings, parse_select};
use porchlight_store::listings::{csv, mapping::Mapping, synthetic};
use porchlight_store::secrets::Secrets;

use super::print_json;
use crate::UsageError;
use crate::args::mls::*;

pub(super) fn secrets(dir: &std::path::Path) -> Result<Secrets> {
    Secrets::new(dir).map_err(|e| UsageError(e.to_string()).into())
}

pub(super) fn read_secret(prompt: &str) -> Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}: ");
    }
    let mut text = String::new();
    std::io::stdin()
        .read_line(&mut text)
        .map_err(|e| UsageError(format!("cannot read the secret from standard input: {e}")))?;
    let secret = text.trim().to_string();
    if secret.is_empty() {
        return Err(UsageError(format!(
            "no secret given: type the {}, or pipe it on standard input",
            prompt.to_lowercase()
        ))
        .into());
    }
    Ok(secret)
}

fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}", s / 60, s % 60)
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

/// A refused sign-in or a missing secret is the user's to fix (exit 2); a
/// server or network failure is not (exit 1).
pub(super) fn pull_error(e: PullError) -> anyhow::Error {
    if e.is_user_error() {
        UsageError(e.to_string()).into()
    } else {
        anyhow::Error::from(e)
    }
}

async fn pull_one(
    dir: &std::path::Path,
    profile: &mut Profile,
    source: &MlsSource,
    options: &PullOptions,
) -> Result<PullReport> {
    let mut connection = Connection::open(source, &secrets(dir)?).map_err(pull_error)?;
    let name = source.name.clone();
    let mut progress = move |p: Progress| {
        let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
        let photos = if p.photos > 0 {
            format!(", {} photos", p.photos)
        } else {
            String::new()
        };
        let eta = p
            .eta()
            .map(|e| format!(", about {} left", duration(e)))
            .unwrap_or_default();
        eprint!(
            "\r{name}: {}{total} listings{photos}, {:.0}/s{eta}   ",
            p.done,
            p.rate()
        );
    };
    let report = connection
        .pull(profile, &source.name, options, &mut progress)
        .await;
    eprintln!();
    // Either way the next pull resumes from the last whole page.
    report.map_err(pull_error)
}

pub fn run(dir: &std::path::Path, profile: &mut Profile, cmd: MlsCmd, json: bool) -> Result<()> {
    match cmd {
        MlsCmd::AddReso(args) => add_reso(dir, profile, args),
        MlsCmd::AddRets(args) => add_rets(dir, profile, args),
        MlsCmd::Test(args) => test(dir, profile, args),
        MlsCmd::List => list(profile, json),
        MlsCmd::Remove(args) => remove(dir, profile, args),
        MlsCmd::Pull(args) => pull(dir, profile, args, json),
        MlsCmd::Generate(args) => generate(profile, args),
        MlsCmd::ImportCsv(args) => import_csv(profile, args, json),
    }
}

fn add_reso(dir: &std::path::Path, profile: &mut Profile, args: AddResoArgs) -> Result<()> {
    let AddResoArgs {
        name,
        url,
        resource,
        token_url,
        client_id,
        page_size,
        media,
        select,
        net,
    } = args;
    let source = MlsSource {
        name,
        url,
        resource,
        token_url,
        client_id,
        page_size,
        expand_media: media,
        rets: None,
        select: select.as_deref().map(parse_select).unwrap_or_default(),
        net: net.resolve()?,
    }
    .normalized();
    source.validate().map_err(|e| UsageError(e.to_string()))?;
    let secret = read_secret("Secret (the bearer token, or the client secret with --client-id)")?;
    save_connection(dir, profile, &source, &secret, None)
}

/// Stores a checked connection with its secrets (in the keychain) and says
/// what comes next.
fn save_connection(
    dir: &std::path::Path,
    profile: &mut Profile,
    source: &MlsSource,
    secret: &str,
    ua_password: Option<&str>,
) -> Result<()> {
    let stored = profile
        .add_mls_connection(&secrets(dir)?, source, secret, ua_password)
        .map_err(|e| UsageError(e.to_string()))?;
    if let Some(warning) = stored.warning() {
        eprintln!("{warning}");
    }
    let kind = if source.rets.is_some() {
        "RETS"
    } else {
        "RESO"
    };
    println!(
        "Added {kind} '{}'; `porchlight mls pull {}` fetches its listings.",
        source.name, source.name
    );
    Ok(())
}

fn add_rets(dir: &std::path::Path, profile: &mut Profile, args: AddRetsArgs) -> Result<()> {
    let AddRetsArgs {
        name,
        url,
        user,
        class,
        resource,
        user_agent,
        rets_version,
        ua_password,
        page_size,
        net,
        fields,
    } = args;
    let source = MlsSource {
        name,
        url,
        resource,
        token_url: None,
        client_id: None,
        page_size,
        expand_media: false,
        rets: Some(RetsSettings {
            username: user,
            class,
            user_agent,
            version: rets_version,
            ua_password,
            fields: fields.resolve()?,
        }),
        select: Vec::new(),
        net: net.resolve()?,
    }
    .normalized();
    source.validate().map_err(|e| UsageError(e.to_string()))?;
    let password = read_secret("RETS password")?;
    let ua = if ua_password {
        Some(read_secret("User-agent password")?)
    } else {
        None
    };
    save_connection(dir, profile, &source, &password, ua.as_deref())
}

fn test(dir: &std::path::Path, profile: &mut Profile, args: TestArgs) -> Result<()> {
    let TestArgs { name } = args;
    let source = profile
        .mls_source(&name)
        .map_err(|e| UsageError(e.to_string()))?;
    let mut connection = Connection::open(&source, &secrets(dir)?).map_err(pull_error)?;
    let said = runtime()?.block_on(connection.test()).map_err(pull_error)?;
    println!("{}: {said}", source.name);
    Ok(())
}

fn list(profile: &mut Profile, json: bool) -> Result<()> {
    let sources = profile.mls_sources()?;
    if json {
        return print_json(&sources);
    }
    for s in sources {
        let mark = profile
            .listings()
            .mark(&s.name)?
            .map(|m| m.to_rfc3339())
            .unwrap_or_else(|| "never pulled".into());
        match &s.rets {
            Some(r) => println!(
                "{}  RETS {} {}:{} as {}  last change seen: {mark}",
                s.name, s.url, s.resource, r.class, r.username
            ),
            None => println!(
                "{}  RESO {}/{}{}  last change seen: {mark}",
                s.name,
                s.url,
                s.resource,
                if s.select.is_empty() {
                    String::new()
                } else {
                    format!(" ({} fields)", s.select.len())
                }
            ),
        }
    }
    Ok(())
}

fn remove(dir: &std::path::Path, profile: &mut Profile, args: RemoveArgs) -> Result<()> {
    let RemoveArgs { name } = args;
    if !profile
        .remove_mls_connection(&secrets(dir)?, &name)
        .map_err(|e| UsageError(e.to_string()))?
    {
        return Err(UsageError(format!(
            "there is no MLS connection '{name}'; `porchlight mls list` shows them"
        ))
        .into());
    }
    println!("Removed '{name}' and its secret; its listings stay in the cache.");
    Ok(())
}

fn pull(dir: &std::path::Path, profile: &mut Profile, args: PullArgs, json: bool) -> Result<()> {
    let PullArgs {
        name,
        full,
        skip_bad,
        photos,
    } = args;
    let options = PullOptions {
        full,
        skip_bad,
        photos: photos.then(|| PhotoCache::new(dir)),
    };
    let sources = match name {
        Some(n) => vec![
            profile
                .mls_source(&n)
                .map_err(|e| UsageError(e.to_string()))?,
        ],
        None => profile.mls_sources()?,
    };
    if sources.is_empty() {
        return Err(UsageError(
            "no MLS connections yet; add one with `porchlight mls add-rets` or `add-reso`".into(),
        )
        .into());
    }
    let rt = runtime()?;
    let mut reports = Vec::new();
    for s in &sources {
        let report = rt.block_on(pull_one(dir, profile, s, &options))?;
        if !json {
            println!(
                "{}: {} pages, {} new, {} updated, {} unchanged, {} removed.",
                s.name,
                report.pages,
                report.import.added,
                report.import.updated,
                report.import.unchanged,
                report.import.removed
            );
            if photos {
                println!(
                    "{}: photos of {} listings fetched ({} photos, {} skipped).",
                    s.name, report.photos.listings, report.photos.photos, report.photos.skipped
                );
            }
            for p in &report.problems {
                eprintln!("  {p}");
            }
            if report.problem_count > 0 {
                eprintln!(
                    "{}: {} problem(s): records skipped or kept in part, photos skipped (listed above{}).",
                    s.name,
                    report.problem_count,
                    if report.problem_count > report.problems.len() {
                        ", the first of them"
                    } else {
                        ""
                    }
                );
            }
        }
        reports.push(serde_json::json!({ "source": s.name, "report": report }));
    }
    if json {
        return print_json(&reports);
    }
    Ok(())
}

fn generate(profile: &mut Profile, args: GenerateArgs) -> Result<()> {
    let GenerateArgs {
        count,
        seed,
        prefix,
        output,
    } = args;
    let listings = synthetic::listings(count, seed, &prefix, profile.now());
    let bytes = csv::write(&listings).map_err(|e| UsageError(e.to_string()))?;
    std::fs::write(&output, bytes)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", output.display())))?;
    println!("Wrote {count} synthetic listings to {}.", output.display());
    Ok(())
}

fn import_csv(profile: &mut Profile, args: ImportCsvArgs, json: bool) -> Result<()> {
    let ImportCsvArgs {
        file,
        mapping,
        source,
        skip_bad,
        reconcile,
    } = args;
    let mapping = match mapping {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                UsageError(format!(
                    "cannot read the mapping file {}: {e}",
                    path.display()
                ))
            })?;
            Mapping::from_toml(&text).map_err(UsageError)?
        }
        None => Mapping::default(),
    };
    let bytes = std::fs::read(&file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let report =
        csv::read(&bytes, &mapping).map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    let skipped = report.errors.clone();
    let listings = report
        .accept(skip_bad)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    let done = profile
        .listings_mut()
        .import(&source, &listings, reconcile)?;
    if json {
        return print_json(&serde_json::json!({ "import": done, "skipped": skipped }));
    }
    for e in &skipped {
        eprintln!("skipped {e}");
    }
    println!(
        "Imported {} listings from {} into '{source}': {} new, {} updated, {} unchanged, {} removed{}.",
        listings.len(),
        file.display(),
        done.added,
        done.updated,
        done.unchanged,
        done.removed,
        if skipped.is_empty() {
            String::new()
        } else {
            format!("; {} bad records skipped", skipped.len())
        }
    );
    Ok(())
}
