//! `porchlight inbox` and `porchlight activity`.

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use porchlight_store::Profile;
use porchlight_store::model::InboxState;
use porchlight_store::profile::InboxFilter;

use super::print_json;
use crate::UsageError;
use crate::args::{ActivityArgs, InboxArgs, InboxCmd, InboxMarkArgs};
use crate::output;

pub fn inbox(profile: &mut Profile, args: InboxArgs, json: bool) -> Result<()> {
    if let Some(cmd) = args.cmd {
        let (marks, state, done) = match cmd {
            InboxCmd::Read(m) => (m, InboxState::Read, "read"),
            InboxCmd::Unread(m) => (m, InboxState::Unread, "unread"),
            InboxCmd::Archive(m) => (m, InboxState::Archived, "archived"),
        };
        let InboxMarkArgs { ids, all } = marks;
        let ids = if all { vec![] } else { ids };
        let marked = profile.tasks_mut().mark_inbox(&ids, state)?;
        if json {
            return print_json(&marked);
        }
        println!(
            "Marked {} item{} {done}; {} unread.",
            marked.changed,
            if marked.changed == 1 { "" } else { "s" },
            profile.tasks().unread_count()?
        );
        return Ok(());
    }
    let filter = if args.unread {
        InboxFilter::Unread
    } else if args.all {
        InboxFilter::All
    } else {
        InboxFilter::Current
    };
    let mut items = profile.tasks().inbox(filter)?;
    items.truncate(args.limit);
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        println!("Your inbox is empty.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                if i.state == InboxState::Unread {
                    "•"
                } else {
                    ""
                }
                .to_string(),
                i.at.with_timezone(profile.tz())
                    .format("%b %d %H:%M")
                    .to_string(),
                i.kind.as_str().to_string(),
                i.by.clone(),
                output::clip(&i.title, 32),
                output::clip(&i.text, 48),
            ]
        })
        .collect();
    output::table(&["ID", "", "WHEN", "WHAT", "WHO", "TASK", "TEXT"], &rows);
    println!(
        "{} unread. `porchlight inbox read ID` (or --all) marks them read.",
        profile.tasks().unread_count()?
    );
    Ok(())
}

/// "30m", "12h", "2d", "1w" before `now`, or a date (its start, UTC).
pub fn since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let t = text.trim().to_lowercase();
    let bad = || {
        UsageError(format!(
            "--since '{text}' is not a span like 30m, 12h, 2d or 1w, or a date like 2027-01-15"
        ))
    };
    if let Ok(date) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let span = match unit {
        "m" | "min" | "mins" => Duration::try_minutes(n),
        "h" | "hour" | "hours" => Duration::try_hours(n),
        "d" | "day" | "days" => Duration::try_days(n),
        "w" | "week" | "weeks" => Duration::try_weeks(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    Ok(now - span)
}

pub fn activity(profile: &mut Profile, args: ActivityArgs, json: bool) -> Result<()> {
    let from = since(&args.since, profile.now())?;
    let mut feed = profile.activity(args.board.as_deref(), from)?;
    feed.truncate(args.limit);
    if json {
        return print_json(&feed);
    }
    if feed.is_empty() {
        println!("Nothing happened since {}.", args.since);
        return Ok(());
    }
    let tz = *profile.tz();
    let mut day = String::new();
    for entry in &feed {
        let local = entry.at.with_timezone(&tz);
        let this_day = local.format("%A %b %d").to_string();
        if this_day != day {
            println!("{this_day}");
            day = this_day;
        }
        let board = if args.board.is_some() {
            String::new()
        } else {
            format!("  [{}]", entry.board_name)
        };
        println!("  {}  {}{board}", local.format("%H:%M"), entry.describe());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn since_reads_spans_and_dates_and_says_what_is_wrong() {
        let now = Utc
            .with_ymd_and_hms(2027, 1, 20, 12, 0, 0)
            .single()
            .expect("instant");
        assert_eq!(since("2d", now).expect("ok"), now - Duration::days(2));
        assert_eq!(since("30m", now).expect("ok"), now - Duration::minutes(30));
        assert_eq!(since("1w", now).expect("ok"), now - Duration::weeks(1));
        assert_eq!(
            since("2027-01-15", now).expect("ok"),
            Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0)
                .single()
                .expect("instant")
        );
        for bad in ["", "d", "2y", "yesterday", "99999999999999999999d"] {
            let err = since(bad, now).expect_err("bad").to_string();
            assert!(err.contains("30m, 12h, 2d or 1w"), "{bad}: {err}");
        }
    }
}
