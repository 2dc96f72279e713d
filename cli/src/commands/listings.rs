//! `porchlight mls …` and `porchlight listings …`: importing into the
//! offline listing cache, and searching and annotating it.

use anyhow::{Context, Result};
use porchlight_store::Profile;
use porchlight_store::doc::listing_shard::CachedListing;
use porchlight_store::listings::connect::Connection;
use porchlight_store::listings::photos::{PhotoCache, PhotoError};
use porchlight_store::listings::pull::{Progress, PullError, PullOptions, PullReport};
use porchlight_store::listings::sources::{MlsSource, RetsSettings, parse_select};
use porchlight_store::listings::{StandardStatus, csv, mapping::Mapping, report, synthetic};
use porchlight_store::profile::{ListingQuery, ListingSort};
use porchlight_store::secrets::Secrets;

use super::print_json;
use crate::UsageError;
use crate::args::{ListingSortArg, ListingsCmd, MlsCmd, StatsBy};

fn secrets(dir: &std::path::Path) -> Result<Secrets> {
    Secrets::new(dir).map_err(|e| UsageError(e.to_string()).into())
}

fn read_secret(prompt: &str) -> Result<String> {
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

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

/// A refused sign-in or a missing secret is the user's to fix (exit 2); a
/// server or network failure is not (exit 1).
fn pull_error(e: PullError) -> anyhow::Error {
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

pub fn mls(dir: &std::path::Path, profile: &mut Profile, cmd: MlsCmd, json: bool) -> Result<()> {
    match cmd {
        MlsCmd::AddReso {
            name,
            url,
            resource,
            token_url,
            client_id,
            page_size,
            media,
            select,
            net,
        } => {
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
            let secret =
                read_secret("Secret (the bearer token, or the client secret with --client-id)")?;
            let stored = profile
                .add_mls_connection(&secrets(dir)?, &source, &secret, None)
                .map_err(|e| UsageError(e.to_string()))?;
            if let Some(warning) = stored.warning() {
                eprintln!("{warning}");
            }
            println!(
                "Added '{}'; `porchlight mls pull {}` fetches its listings.",
                source.name, source.name
            );
            Ok(())
        }
        MlsCmd::AddRets {
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
        } => {
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
            let stored = profile
                .add_mls_connection(&secrets(dir)?, &source, &password, ua.as_deref())
                .map_err(|e| UsageError(e.to_string()))?;
            if let Some(warning) = stored.warning() {
                eprintln!("{warning}");
            }
            println!(
                "Added RETS '{}'; `porchlight mls pull {}` fetches its listings.",
                source.name, source.name
            );
            Ok(())
        }
        MlsCmd::Test { name } => {
            let source = profile
                .mls_source(&name)
                .map_err(|e| UsageError(e.to_string()))?;
            let mut connection = Connection::open(&source, &secrets(dir)?).map_err(pull_error)?;
            let said = runtime()?.block_on(connection.test()).map_err(pull_error)?;
            println!("{}: {said}", source.name);
            Ok(())
        }
        MlsCmd::List => {
            let sources = profile.mls_sources()?;
            if json {
                return print_json(&sources);
            }
            for s in sources {
                let mark = profile
                    .listing_mark(&s.name)?
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
        MlsCmd::Remove { name } => {
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
        MlsCmd::Pull {
            name,
            full,
            skip_bad,
            photos,
        } => {
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
                    "no MLS connections yet; add one with `porchlight mls add-rets` or `add-reso`"
                        .into(),
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
                            s.name,
                            report.photos.listings,
                            report.photos.photos,
                            report.photos.skipped
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
        MlsCmd::Generate {
            count,
            seed,
            prefix,
            output,
        } => {
            let listings = synthetic::listings(count, seed, &prefix, profile.now());
            let bytes = csv::write(&listings).map_err(|e| UsageError(e.to_string()))?;
            std::fs::write(&output, bytes)
                .map_err(|e| UsageError(format!("cannot write {}: {e}", output.display())))?;
            println!("Wrote {count} synthetic listings to {}.", output.display());
            Ok(())
        }
        MlsCmd::ImportCsv {
            file,
            mapping,
            source,
            skip_bad,
            reconcile,
        } => {
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
            let report = csv::read(&bytes, &mapping)
                .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
            let skipped = report.errors.clone();
            let listings = report
                .accept(skip_bad)
                .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
            let done = profile.import_listings(&source, &listings, reconcile)?;
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
    }
}

fn money(v: Option<f64>) -> String {
    v.map(|p| {
        let whole = format!("{:.0}", p);
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("${out}")
    })
    .unwrap_or_default()
}

fn print_table(found: &[CachedListing]) {
    println!(
        "{:<12} {:<12} {:>12} {:>4} {:>5} {:>7}  {:<20} {:<32}",
        "KEY", "STATUS", "PRICE", "BEDS", "BATHS", "SQFT", "CITY", "ADDRESS"
    );
    for c in found {
        let Some(l) = &c.mls else { continue };
        println!(
            "{:<12} {:<12} {:>12} {:>4} {:>5} {:>7}  {:<20} {:<32}",
            c.key,
            l.standard_status.map(|s| s.as_str()).unwrap_or("-"),
            money(l.list_price),
            l.bedrooms_total.map(|b| b.to_string()).unwrap_or_default(),
            l.bathrooms_total_integer
                .map(|b| b.to_string())
                .unwrap_or_default(),
            l.living_area.map(|a| format!("{a:.0}")).unwrap_or_default(),
            l.city.clone().unwrap_or_default(),
            l.unparsed_address.clone().unwrap_or_default(),
        );
    }
}

fn photos(
    dir: &std::path::Path,
    profile: &mut Profile,
    key: &str,
    refresh: bool,
    offline: bool,
    json: bool,
) -> Result<()> {
    let listing = profile.listing(key)?;
    let cache = PhotoCache::new(dir);
    let cached = cache.photos(&listing.source, &listing.key)?;
    let photos = match cached {
        Some(p) if !refresh => p,
        _ if offline => {
            return Err(UsageError(format!(
                "no photos of {} are cached on this device; run without --offline when online",
                listing.key
            ))
            .into());
        }
        _ => {
            let job = profile.photo_job(&secrets(dir)?, key)?;
            let rt = runtime()?;
            eprintln!("Fetching the photos of {}…", listing.key);
            let fetched = rt.block_on(job.run(&cache)).map_err(|e| match e {
                e @ PhotoError::NoSource { .. } => UsageError(e.to_string()).into(),
                e => anyhow::Error::from(e),
            })?;
            if fetched.renewed.is_some() {
                eprintln!("The stored photo links had expired; the MLS gave new ones.");
            }
            fetched.keep(profile)?
        }
    };
    if json {
        return print_json(&photos);
    }
    if photos.is_empty() {
        println!("{}: the MLS has no photos.", listing.key);
    } else {
        println!("{}: {} photos", listing.key, photos.len());
        for p in &photos {
            println!(
                "{:>3}  {}  (thumbnail {})",
                p.number,
                p.path.display(),
                p.thumbnail.display()
            );
        }
    }
    Ok(())
}

pub fn listings(
    dir: &std::path::Path,
    profile: &mut Profile,
    cmd: ListingsCmd,
    json: bool,
) -> Result<()> {
    match cmd {
        ListingsCmd::Search {
            text,
            min_price,
            max_price,
            beds,
            baths,
            city,
            postal,
            status,
            property_type,
            sort,
            limit,
        } => {
            let status = match status {
                Some(s) => Some(StandardStatus::parse(&s).ok_or_else(|| {
                    UsageError(format!(
                        "--status '{s}' is not a RESO StandardStatus; use e.g. Active, \"Active Under Contract\", Pending, Closed"
                    ))
                })?),
                None => None,
            };
            let query = ListingQuery {
                text,
                min_price,
                max_price,
                min_beds: beds,
                min_baths: baths,
                city,
                postal_code: postal,
                status,
                property_type,
                sort: match sort {
                    ListingSortArg::Relevance => ListingSort::Relevance,
                    ListingSortArg::Price => ListingSort::PriceAsc,
                    ListingSortArg::PriceDesc => ListingSort::PriceDesc,
                    ListingSortArg::Newest => ListingSort::Newest,
                },
                limit: Some(limit),
            };
            let found = profile.search_listings(&query)?;
            if json {
                return print_json(&found);
            }
            print_table(&found);
            Ok(())
        }
        ListingsCmd::Show { key } => show(&profile.listing(&key)?, json),
        ListingsCmd::Photos {
            key,
            refresh,
            offline,
        } => photos(dir, profile, &key, refresh, offline, json),
        ListingsCmd::Export { csv: _, output } => {
            let all = profile.all_listings()?;
            let bytes = csv::write(&all).map_err(|e| UsageError(e.to_string()))?;
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes)
                        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
                    eprintln!("Exported {} listings to {}.", all.len(), path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&bytes)
                        .context("cannot write the export")?;
                }
            }
            Ok(())
        }
        ListingsCmd::Note { key, text } => show(&profile.add_listing_note(&key, &text)?, json),
        ListingsCmd::Tag { key, tag, remove } => {
            show(&profile.tag_listing(&key, &tag, !remove)?, json)
        }
        ListingsCmd::Fav { key, remove } => show(&profile.favourite_listing(&key, !remove)?, json),
        ListingsCmd::Showing { key, status, clear } => {
            let status = if clear { None } else { status };
            show(&profile.set_listing_showing(&key, status.as_deref())?, json)
        }
        ListingsCmd::Comps { key, count, html } => {
            let (subject, comps) = profile.listing_comps(&key, count)?;
            if let Some(path) = &html {
                let Some(mls) = &subject.mls else {
                    return Err(UsageError(format!(
                        "{} is no longer returned by the MLS; there are no facts to report on",
                        subject.key
                    ))
                    .into());
                };
                let page = report::comps_html(mls, &comps, profile.now(), profile.user());
                std::fs::write(path, page)
                    .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
                eprintln!("Wrote the comparables report to {}.", path.display());
            }
            if json {
                return print_json(&serde_json::json!({ "subject": subject, "comps": comps }));
            }
            let cached: Vec<CachedListing> = comps
                .comparables
                .iter()
                .map(|c| CachedListing {
                    key: c.listing.listing_key.clone(),
                    source: subject.source.clone(),
                    mls: Some(c.listing.clone()),
                    team: Default::default(),
                })
                .collect();
            println!(
                "Comparable sales for {} (closed in the last 12 months, closest first):",
                subject.key
            );
            print_table(&cached);
            for c in &comps.comparables {
                println!(
                    "  {}: sold {} on {}, {} adjusted to this size; {}score {:.1}",
                    c.listing.listing_key,
                    money(c.listing.close_price),
                    c.listing
                        .close_date
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    money(Some(c.adjusted_price)),
                    c.distance_km
                        .map(|d| format!("{d:.1} km away, "))
                        .unwrap_or_default(),
                    c.score
                );
            }
            match comps.value {
                Some(v) => println!(
                    "Estimated value: {} (range {} to {})",
                    money(Some(v.estimate)),
                    money(Some(v.low)),
                    money(Some(v.high))
                ),
                None => {
                    println!("No estimate: no comparable sales, or the listing has no living area.")
                }
            }
            Ok(())
        }
        ListingsCmd::Stats { by, months } => {
            let stats = profile.listing_stats(matches!(by, StatsBy::Postal), months)?;
            if json {
                return print_json(&stats);
            }
            println!(
                "{:<16} {:>6} {:>5} {:>12} {:>12} {:>9} {:>5}",
                "AREA", "ACTIVE", "SOLD", "MEDIAN LIST", "MEDIAN SOLD", "$/SQFT", "DOM"
            );
            for s in stats {
                println!(
                    "{:<16} {:>6} {:>5} {:>12} {:>12} {:>9} {:>5}",
                    s.group,
                    s.active,
                    s.sold,
                    money(s.median_list_price),
                    money(s.median_close_price),
                    money(s.median_price_per_sqft),
                    s.median_days_on_market
                        .map(|d| format!("{d:.0}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        ListingsCmd::Share { source, team } => {
            super::remote::share_listings(dir, profile, &source, &team)
        }
    }
}

fn show(c: &CachedListing, json: bool) -> Result<()> {
    if json {
        return print_json(c);
    }
    println!("{} ({})", c.key, c.source);
    match &c.mls {
        Some(l) => {
            let value = serde_json::to_value(l).context("cannot encode the listing")?;
            if let Some(fields) = value.as_object() {
                for (name, v) in fields {
                    match v {
                        serde_json::Value::Null => {}
                        serde_json::Value::Object(o) if o.is_empty() => {}
                        serde_json::Value::Object(o) => {
                            for (k, v) in o {
                                println!("  {k}: {}", v.as_str().unwrap_or_default());
                            }
                        }
                        serde_json::Value::String(s) => println!("  {name}: {s}"),
                        other => println!("  {name}: {other}"),
                    }
                }
            }
        }
        None => println!("  (no longer returned by the MLS; the team's notes are kept)"),
    }
    if !c.team.tags.is_empty() {
        println!(
            "Tags: {}",
            c.team
                .tags
                .iter()
                .map(|t| format!("#{t}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    if c.team.favourite {
        println!("Team favourite");
    }
    if let Some(showing) = &c.team.showing {
        println!("Showing: {showing}");
    }
    for n in &c.team.notes {
        println!(
            "Note by {} at {}: {}",
            n.author,
            n.at.format("%Y-%m-%d %H:%M"),
            n.text
        );
    }
    Ok(())
}
