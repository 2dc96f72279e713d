//! `porchlight listings …`: searching, showing and annotating the offline
//! listing cache.

use anyhow::{Context, Result};
use porchlight_store::Profile;
use porchlight_store::doc::listing_shard::CachedListing;
use porchlight_store::listings::photos::{PhotoCache, PhotoError};
use porchlight_store::listings::{StandardStatus, csv, report};
use porchlight_store::profile::{ListingQuery, ListingSort};

use super::print_json;
use crate::UsageError;
use crate::args::listings::*;

use super::mls::{runtime, secrets};

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
    args: PhotosArgs,
    json: bool,
) -> Result<()> {
    let PhotosArgs {
        key,
        refresh,
        offline,
    } = args;
    let key = key.as_str();
    let listing = profile.listings().get(key)?;
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

pub fn run(
    dir: &std::path::Path,
    profile: &mut Profile,
    cmd: ListingsCmd,
    json: bool,
) -> Result<()> {
    match cmd {
        ListingsCmd::Search(args) => search(profile, args, json),
        ListingsCmd::Show(args) => show_listing(profile, args, json),
        ListingsCmd::Photos(args) => photos(dir, profile, args, json),
        ListingsCmd::Export(args) => export_csv(profile, args),
        ListingsCmd::Note(args) => note(profile, args, json),
        ListingsCmd::Tag(args) => tag(profile, args, json),
        ListingsCmd::Fav(args) => fav(profile, args, json),
        ListingsCmd::Showing(args) => showing(profile, args, json),
        ListingsCmd::Comps(args) => comps(profile, args, json),
        ListingsCmd::Stats(args) => stats(profile, args, json),
        ListingsCmd::Share(args) => share(dir, profile, args),
    }
}

fn search(profile: &mut Profile, args: SearchArgs, json: bool) -> Result<()> {
    let SearchArgs {
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
    } = args;
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
    let found = profile.listings().search(&query)?;
    if json {
        return print_json(&found);
    }
    print_table(&found);
    Ok(())
}

fn show_listing(profile: &mut Profile, args: ShowArgs, json: bool) -> Result<()> {
    let ShowArgs { key } = args;
    show(&profile.listings().get(&key)?, json)
}

fn export_csv(profile: &mut Profile, args: ExportArgs) -> Result<()> {
    let ExportArgs { output, .. } = args;
    let all = profile.listings().all()?;
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

fn note(profile: &mut Profile, args: NoteArgs, json: bool) -> Result<()> {
    let NoteArgs { key, text } = args;
    show(&profile.listings_mut().add_note(&key, &text)?, json)
}

fn tag(profile: &mut Profile, args: TagArgs, json: bool) -> Result<()> {
    let TagArgs { key, tag, remove } = args;
    show(&profile.listings_mut().tag(&key, &tag, !remove)?, json)
}

fn fav(profile: &mut Profile, args: FavArgs, json: bool) -> Result<()> {
    let FavArgs { key, remove } = args;
    show(&profile.listings_mut().favourite(&key, !remove)?, json)
}

fn showing(profile: &mut Profile, args: ShowingArgs, json: bool) -> Result<()> {
    let ShowingArgs { key, status, clear } = args;
    let status = if clear { None } else { status };
    show(
        &profile
            .listings_mut()
            .set_showing(&key, status.as_deref())?,
        json,
    )
}

fn comps(profile: &mut Profile, args: CompsArgs, json: bool) -> Result<()> {
    let CompsArgs { key, count, html } = args;
    let (subject, comps) = profile.listings().comps(&key, count)?;
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

fn stats(profile: &mut Profile, args: StatsArgs, json: bool) -> Result<()> {
    let StatsArgs { by, months } = args;
    let stats = profile
        .listings()
        .stats(matches!(by, StatsBy::Postal), months)?;
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

fn share(dir: &std::path::Path, profile: &mut Profile, args: ShareArgs) -> Result<()> {
    let ShareArgs { source, team } = args;
    super::remote::share_listings(dir, profile, &source, &team)
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
