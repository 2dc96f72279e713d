//! Time zones and the user's days.
//!
//! Instants are stored in UTC; "today", "tomorrow" and "this week" are always
//! computed in the user's IANA time zone, so a query run at 23:30 in Denver
//! means Denver's today, not UTC's.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{ModelError, Result};

/// Parses an IANA zone name ("America/Denver", "UTC").
pub fn parse_tz(name: &str) -> Result<Tz> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| ModelError::InvalidTimeZone(name.to_string()))
}

/// The user's zone as Unix programs find it: `TZ` from the environment
/// when it names an IANA zone (`America/Chicago`, or `:America/Chicago`),
/// else the machine's setting, else UTC.
pub fn system_tz_name() -> String {
    zone_from(std::env::var("TZ").ok().as_deref())
        .or_else(|| {
            iana_time_zone::get_timezone()
                .ok()
                .filter(|name| parse_tz(name).is_ok())
        })
        .unwrap_or_else(|| "UTC".to_string())
}

/// The zone a `TZ` value names, if it is an IANA name (POSIX rules such as
/// `EST5EDT,M3.2.0,M11.1.0` are left to the machine's setting).
fn zone_from(tz: Option<&str>) -> Option<String> {
    let name = tz?.trim().trim_start_matches(':');
    let name = name.strip_prefix("/usr/share/zoneinfo/").unwrap_or(name);
    parse_tz(name).ok().map(|z| z.name().to_string())
}

/// The `n`th `weekday` of a month (n from 1 to 5), or its last with `n`
/// -1; `None` when the month has no such day.
pub fn nth_weekday(year: i32, month: u32, weekday: chrono::Weekday, n: i8) -> Option<NaiveDate> {
    use chrono::Datelike;
    if n < 0 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = next.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, u8::try_from(n).ok()?)
}

/// The first instant of `date` in `zone`. Where midnight does not exist (a
/// daylight-saving jump at 00:00), the first hour that does.
pub fn local_day_start(zone: &Tz, date: NaiveDate) -> DateTime<Utc> {
    for hour in 0..4 {
        if let Some(time) = date.and_hms_opt(hour, 0, 0)
            && let Some(local) = zone.from_local_datetime(&time).earliest()
        {
            return local.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// `[start, end)` of the `days` local days beginning with `date`.
pub fn local_days(zone: &Tz, date: NaiveDate, days: u64) -> (DateTime<Utc>, DateTime<Utc>) {
    let end_date = date.checked_add_days(Days::new(days)).unwrap_or(date);
    (local_day_start(zone, date), local_day_start(zone, end_date))
}

/// The user's local date at `now`.
pub fn local_date(zone: &Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tz_variable_names_the_zone_as_unix_programs_read_it() {
        for (tz, zone) in [
            ("America/Chicago", "America/Chicago"),
            (":Europe/Berlin", "Europe/Berlin"),
            ("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo"),
            (" UTC ", "UTC"),
        ] {
            assert_eq!(zone_from(Some(tz)).as_deref(), Some(zone), "{tz}");
        }
        for other in ["", "EST5EDT,M3.2.0,M11.1.0", "Mars/Base"] {
            assert_eq!(zone_from(Some(other)), None, "{other}");
        }
        assert_eq!(zone_from(None), None);
    }

    #[test]
    fn day_boundaries_follow_the_zone() {
        let denver = parse_tz("America/Denver").expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        let (start, end) = local_days(&denver, date, 1);
        assert_eq!(start.to_rfc3339(), "2026-12-05T07:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-12-06T07:00:00+00:00");
    }

    #[test]
    fn a_day_with_a_dst_jump_is_23_hours() {
        let berlin = parse_tz("Europe/Berlin").expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        let (start, end) = local_days(&berlin, date, 1);
        assert_eq!((end - start).num_hours(), 23);
    }

    #[test]
    fn midnight_that_does_not_exist_falls_to_the_next_hour() {
        // Chile's DST starts at 00:00 local: 2026-09-06 has no midnight.
        let santiago = parse_tz("America/Santiago").expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 9, 6).expect("date");
        let start = local_day_start(&santiago, date);
        assert_eq!(start.with_timezone(&santiago).date_naive(), date);
    }

    #[test]
    fn bad_zone_names_are_refused() {
        assert!(matches!(
            parse_tz("Mars/Olympus"),
            Err(ModelError::InvalidTimeZone(_))
        ));
        assert!(parse_tz("UTC").is_ok());
    }
}
