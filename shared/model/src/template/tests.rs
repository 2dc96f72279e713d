//! Offsets as people write them, business days around US holidays, and
//! the shipped templates.

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

#[test]
fn offsets_read_as_written() {
    let nine = NaiveTime::from_hms_opt(9, 0, 0);
    let cases: &[(&str, i32, bool, Option<NaiveTime>)] = &[
        ("closing - 10 days", -10, false, None),
        ("closing − 10 days", -10, false, None),
        ("contract + 3 business days", 3, true, None),
        ("listing + 0 days 9am", 0, false, nine),
        (
            "listing date + 1 day 14:30",
            1,
            false,
            NaiveTime::from_hms_opt(14, 30, 0),
        ),
        ("-10d", -10, false, None),
        ("+3bd", 3, true, None),
        ("10 days before", -10, false, None),
        ("2 business days after 9 am", 2, true, nine),
        ("+ 2 weeks", 14, false, None),
        ("5 working days", 5, true, None),
    ];
    for (text, days, business, time) in cases {
        let got = Offset::parse(text, None).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            got,
            Offset {
                days: *days,
                business: *business,
                time: *time
            },
            "{text}"
        );
    }
    for bad in [
        "",
        "closing",
        "closing - ten days",
        "closing - 10 fortnights",
        "+3 days 25pm",
        "- 99999 days",
        "+3 days at noon",
    ] {
        let e = Offset::parse(bad, None).expect_err(bad);
        assert!(e.to_string().contains("closing - 10 days"), "{bad}: {e}");
    }
    // The anchor must be the template's when it is named.
    assert!(Offset::parse("closing - 3 days", Some("Closing")).is_ok());
    assert!(Offset::parse("contract + 3 days", Some("closing")).is_err());
    assert_eq!(
        Offset::parse("contract + 3 business days 9am", None)
            .expect("offset")
            .describe("contract"),
        "contract + 3 business days 09:00"
    );
}

#[test]
fn us_federal_holidays_as_observed() {
    let h2027 = us_federal(2027);
    for day in [
        d(2027, 1, 1),   // Friday
        d(2027, 1, 18),  // MLK: third Monday
        d(2027, 2, 15),  // Washington's Birthday
        d(2027, 5, 31),  // Memorial Day: last Monday
        d(2027, 6, 18),  // Juneteenth on a Saturday: the Friday
        d(2027, 7, 5),   // Independence Day on a Sunday: the Monday
        d(2027, 9, 6),   // Labor Day
        d(2027, 10, 11), // Columbus Day
        d(2027, 11, 11), // Veterans Day
        d(2027, 11, 25), // Thanksgiving: fourth Thursday
        d(2027, 12, 24), // Christmas on a Saturday: the Friday
    ] {
        assert!(h2027.contains(&day), "{day} missing from {h2027:?}");
    }
    assert_eq!(h2027.len(), 11);
    // New Year's Day 2028 is a Saturday: observed Friday 31 December 2027.
    let h = Holidays::us();
    assert!(h.contains(d(2027, 12, 31)));
    assert!(!h.contains(d(2027, 12, 30)));
}

#[test]
fn business_days_skip_weekends_and_holidays_in_both_directions() {
    let h = Holidays::us();
    let bd = |n| Offset {
        days: n,
        business: true,
        time: None,
    };
    // Wednesday 2027-11-24 + 3 business days: Thanksgiving (Thu), then
    // Fri, Mon, Tue → Tuesday 30 November.
    assert_eq!(shift(d(2027, 11, 24), &bd(3), &h), d(2027, 11, 30));
    // Closing Monday 2027-01-18 (MLK day) − 3 business days: Fri 15, Thu
    // 14, Wed 13.
    assert_eq!(shift(d(2027, 1, 18), &bd(-3), &h), d(2027, 1, 13));
    // Without holidays, only weekends count.
    assert_eq!(
        shift(d(2027, 11, 24), &bd(3), &Holidays::default()),
        d(2027, 11, 29)
    );
    // The office's own day off, and a federal one it works.
    let mut own = Holidays::us();
    own.extra.insert(d(2027, 11, 26));
    own.removed.insert(d(2027, 11, 25));
    assert_eq!(shift(d(2027, 11, 24), &bd(3), &own), d(2027, 11, 30));
    assert!(own.is_business_day(d(2027, 11, 25)));
    // Calendar days ignore all that.
    let cal = Offset {
        days: -10,
        business: false,
        time: None,
    };
    assert_eq!(shift(d(2027, 1, 15), &cal, &h), d(2027, 1, 5));
}

#[test]
fn a_plan_gives_each_step_its_due_in_the_zone() {
    let t = builtin::escrow_to_closing();
    let plan = t
        .plan(d(2027, 1, 15), "America/Chicago", &Holidays::us())
        .expect("plan");
    assert_eq!(plan.len(), t.steps.len());
    let due = |title: &str| {
        plan.iter()
            .find(|p| p.title == title)
            .map(|p| p.due.display())
            .unwrap_or_else(|| panic!("{title}"))
    };
    // Friday 15 January 2027; three business days before is Tuesday 12th.
    assert_eq!(due("Closing disclosure to the buyer"), "2027-01-12");
    assert_eq!(due("Closing"), "2027-01-15 10:00");
    assert_eq!(due("Final walk-through"), "2027-01-14 16:00");
    // Monday 18th is MLK day: the deed is recorded Tuesday 19th.
    assert_eq!(due("Record the deed"), "2027-01-19");
    assert!(
        t.plan(d(2027, 1, 15), "Mars/Base", &Holidays::us())
            .is_err()
    );
}

#[test]
fn the_shipped_templates_are_whole() {
    let all = builtin::all();
    assert_eq!(all.len(), 3);
    for t in &all {
        assert!(t.steps.len() >= 12, "{}: {} steps", t.name, t.steps.len());
        assert!(t.steps.iter().all(|s| !s.title.trim().is_empty()));
        // Every offset survives being written out and read back.
        for s in &t.steps {
            let text = s.offset.describe(&t.anchor);
            assert_eq!(
                Offset::parse(&text, Some(&t.anchor)).expect("reads back"),
                s.offset,
                "{text}"
            );
        }
    }
}
