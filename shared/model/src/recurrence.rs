//! Recurring tasks: when the next instance is due.
//!
//! - **Schedule** (`every monday`): the next date on the rule strictly after
//!   the current due date. Missed dates are skipped: a weekly task completed
//!   three weeks late comes back on the next date that is today or later, not
//!   three times in the past.
//! - **After completion** (`every! 3 days`): one interval after the day it was
//!   completed.
//!
//! The wall-clock time and time zone of the original due date are kept.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};

use crate::board::{Due, Recurrence, RecurrenceMode, RecurrenceRule};
use crate::time::{local_date, parse_tz};

/// Safety bound on catch-up steps (about 27 years of daily recurrences).
const MAX_STEPS: usize = 10_000;

/// The next date on the rule strictly after `date`.
pub fn step(rule: &RecurrenceRule, date: NaiveDate, anchor_day: u32) -> NaiveDate {
    let add_days = |d: NaiveDate, n: u64| d.checked_add_days(Days::new(n)).unwrap_or(d);
    let add_months = |d: NaiveDate, n: u32, day: u32| {
        let first = d.with_day(1).unwrap_or(d);
        let target = first.checked_add_months(Months::new(n)).unwrap_or(first);
        // Clamp to the month's length: "on the 31st" in April is the 30th.
        (0..4)
            .find_map(|back| target.with_day(day.saturating_sub(back).max(1)))
            .unwrap_or(target)
    };
    match rule {
        RecurrenceRule::Days { every } => add_days(date, u64::from((*every).max(1))),
        RecurrenceRule::Weeks { every } => add_days(date, 7 * u64::from((*every).max(1))),
        RecurrenceRule::Weekdays => {
            let mut next = add_days(date, 1);
            while next.weekday().number_from_monday() > 5 {
                next = add_days(next, 1);
            }
            next
        }
        RecurrenceRule::OnDays { days } if !days.is_empty() => {
            let wanted: Vec<chrono::Weekday> = days.iter().map(|d| (*d).into()).collect();
            let mut next = add_days(date, 1);
            for _ in 0..7 {
                if wanted.contains(&next.weekday()) {
                    break;
                }
                next = add_days(next, 1);
            }
            next
        }
        RecurrenceRule::OnDays { .. } => add_days(date, 7),
        RecurrenceRule::Months { every, day } => {
            let day = day.map_or(anchor_day, u32::from);
            let candidate = add_months(date, 0, day);
            if *every <= 1 && candidate > date {
                // "every month on the 15th" from the 3rd: this month's 15th.
                candidate
            } else {
                add_months(date, (*every).max(1), day)
            }
        }
        RecurrenceRule::Years { every } => add_months(date, 12 * (*every).max(1), anchor_day),
        RecurrenceRule::MonthWeekday { every, week, day } => {
            // This month's, if still ahead; else the month `every` on
            // (a month without a fifth such day is passed over).
            let every = (*every).max(1);
            let first = date.with_day(1).unwrap_or(date);
            (0..=24u32)
                .filter_map(|k| {
                    let m = first.checked_add_months(Months::new(k * every))?;
                    crate::time::nth_weekday(m.year(), m.month(), (*day).into(), *week)
                })
                .find(|d| *d > date)
                .unwrap_or_else(|| add_days(date, 28))
        }
    }
}

/// When the instance after one due at `due` (completed at `completed`) is due.
/// A task without a due date recurs from the day it was completed.
pub fn next_due(
    rec: &Recurrence,
    due: Option<&Due>,
    completed: DateTime<Utc>,
    tz_name: &str,
) -> Due {
    let template = due.cloned().unwrap_or_else(|| Due {
        at: completed,
        tz: tz_name.to_string(),
        all_day: true,
        end: None,
    });
    let zone = parse_tz(&template.tz).or_else(|_| parse_tz("UTC"));
    let Ok(zone) = zone else { return template };
    let due_date = template.at.with_timezone(&zone).date_naive();
    let done_date = local_date(&zone, completed);
    let anchor_day = due_date.day();
    let date = match rec.mode {
        RecurrenceMode::AfterCompletion => step(&rec.rule, done_date, done_date.day()),
        RecurrenceMode::Schedule => {
            let base = if due.is_some() { due_date } else { done_date };
            let mut next = step(&rec.rule, base, anchor_day);
            let mut steps = 0;
            while next < done_date && steps < MAX_STEPS {
                next = step(&rec.rule, next, anchor_day);
                steps += 1;
            }
            next
        }
    };
    template.moved_to(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::WeekdayName;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn at(y: i32, m: u32, day: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, 0, 0)
            .single()
            .expect("instant")
    }

    #[test]
    fn steps_follow_each_rule() {
        let fri = d(2026, 11, 27);
        assert_eq!(
            step(&RecurrenceRule::Days { every: 1 }, fri, 27),
            d(2026, 11, 28)
        );
        assert_eq!(
            step(&RecurrenceRule::Weeks { every: 2 }, fri, 27),
            d(2026, 12, 11)
        );
        assert_eq!(step(&RecurrenceRule::Weekdays, fri, 27), d(2026, 11, 30));
        let mon_wed = RecurrenceRule::OnDays {
            days: vec![WeekdayName::Mon, WeekdayName::Wed],
        };
        assert_eq!(step(&mon_wed, d(2026, 11, 30), 30), d(2026, 12, 2));
        let first = RecurrenceRule::Months {
            every: 1,
            day: Some(1),
        };
        assert_eq!(step(&first, fri, 27), d(2026, 12, 1));
        let monthly = RecurrenceRule::Months {
            every: 1,
            day: None,
        };
        assert_eq!(step(&monthly, d(2026, 1, 31), 31), d(2026, 2, 28));
        assert_eq!(
            step(&RecurrenceRule::Years { every: 1 }, d(2028, 2, 29), 29),
            d(2029, 2, 28)
        );
        // The last Friday of the month: 27 November 2026, then 25 December.
        let last_fri = RecurrenceRule::MonthWeekday {
            every: 1,
            week: -1,
            day: WeekdayName::Fri,
        };
        assert_eq!(step(&last_fri, d(2026, 11, 20), 20), d(2026, 11, 27));
        assert_eq!(step(&last_fri, fri, 27), d(2026, 12, 25));
        // The second Tuesday, every other month.
        let second_tue = RecurrenceRule::MonthWeekday {
            every: 2,
            week: 2,
            day: WeekdayName::Tue,
        };
        assert_eq!(step(&second_tue, d(2026, 11, 10), 10), d(2027, 1, 12));
        // A fifth Monday passes over the months without one.
        let fifth_mon = RecurrenceRule::MonthWeekday {
            every: 1,
            week: 5,
            day: WeekdayName::Mon,
        };
        assert_eq!(step(&fifth_mon, d(2026, 11, 30), 30), d(2027, 3, 29));
    }

    #[test]
    fn schedule_keeps_the_time_and_skips_missed_dates() {
        let rec = Recurrence {
            mode: RecurrenceMode::Schedule,
            rule: RecurrenceRule::Weeks { every: 1 },
        };
        // Due Mon 2026-11-02 09:00 Denver, completed three weeks late.
        let due = Due::at_time(at(2026, 11, 2, 16), "America/Denver");
        let next = next_due(&rec, Some(&due), at(2026, 11, 24, 18), "America/Denver");
        assert_eq!(next.display(), "2026-11-30 09:00");
    }

    #[test]
    fn a_repeating_range_keeps_its_length() {
        let rec = Recurrence {
            mode: RecurrenceMode::Schedule,
            rule: RecurrenceRule::Weeks { every: 1 },
        };
        // Sat 2026-11-21 13:00–16:00 Denver.
        let due = Due {
            end: Some(at(2026, 11, 21, 23)),
            ..Due::at_time(at(2026, 11, 21, 20), "America/Denver")
        };
        let next = next_due(&rec, Some(&due), at(2026, 11, 21, 23), "America/Denver");
        assert_eq!(next.display(), "2026-11-28 13:00-16:00");
    }

    #[test]
    fn after_completion_counts_from_the_completion_day() {
        let rec = Recurrence {
            mode: RecurrenceMode::AfterCompletion,
            rule: RecurrenceRule::Days { every: 3 },
        };
        let due = Due::at_time(at(2026, 11, 2, 16), "America/Denver");
        let next = next_due(&rec, Some(&due), at(2026, 11, 10, 18), "America/Denver");
        assert_eq!(next.display(), "2026-11-13 09:00");
    }

    #[test]
    fn a_task_without_due_date_recurs_from_completion() {
        let rec = Recurrence {
            mode: RecurrenceMode::Schedule,
            rule: RecurrenceRule::Days { every: 1 },
        };
        let next = next_due(&rec, None, at(2026, 11, 10, 18), "UTC");
        assert!(next.all_day);
        assert_eq!(next.display(), "2026-11-11");
    }
}
