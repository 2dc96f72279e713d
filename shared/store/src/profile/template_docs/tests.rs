//! Templates kept in documents: edited, deleted, their holiday list, and
//! two devices editing them offline, then syncing.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::CoreError;
use crate::ids::DocumentId;
use crate::profile::{OpenOptions, Profile};
use crate::template::{Offset, Step, Template};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 5, 15, 0, 0)
        .single()
        .unwrap_or_default()
}

fn device(user: &str) -> Profile {
    Profile::in_memory(OpenOptions {
        user: Some(user.into()),
        tz: Some("America/Chicago".into()),
        now: Some(now()),
    })
    .expect("profile")
}

fn short_sale() -> Template {
    Template {
        name: "Short sale".into(),
        anchor: "Contract".into(),
        steps: vec![
            Step {
                title: "Send the package to the lender".into(),
                offset: Offset::parse("contract + 2 business days", Some("contract"))
                    .expect("offset"),
                assignee: Some("@maria".into()),
                labels: vec!["#Lender".into()],
                checklist: vec!["Hardship letter".into()],
                priority: crate::model::Priority::High,
            },
            Step {
                title: "Lender approval".into(),
                offset: Offset::parse("contract + 30 days", Some("contract")).expect("offset"),
                assignee: None,
                labels: vec![],
                checklist: vec![],
                priority: crate::model::Priority::None,
            },
        ],
    }
}

fn names(p: &mut Profile) -> Vec<String> {
    p.templates()
        .expect("templates")
        .into_iter()
        .map(|e| e.template.name)
        .collect()
}

fn sync_doc(from: &mut Profile, to: &mut Profile, id: DocumentId) {
    let mut copy = from.sync_copy(id).expect("copy").expect("known");
    to.absorb(id, &mut copy).expect("absorb");
}

#[test]
fn templates_are_made_edited_renamed_and_deleted() {
    let mut p = device("maria");
    assert_eq!(names(&mut p).len(), 3, "the shipped three");
    assert!(p.templates().expect("t").iter().all(|e| e.doc.is_none()));
    let saved = p.save_template(short_sale(), None).expect("save");
    assert_eq!(saved.key, "short-sale");
    assert_eq!(saved.template.anchor, "contract");
    assert_eq!(saved.template.steps[0].labels, ["lender"]);
    assert_eq!(saved.template.steps[0].assignee.as_deref(), Some("maria"));
    assert_eq!(names(&mut p).len(), 4);
    let err = p.save_template(short_sale(), None).expect_err("exists");
    assert!(matches!(err, CoreError::DuplicateTemplate(_)), "{err}");

    // Edit a shipped one: rename and drop a step.
    let mut escrow = p.template("escrow").expect("escrow").template;
    let steps = escrow.steps.len();
    escrow.name = "Escrow (Texas)".into();
    escrow.steps.pop();
    p.save_template(escrow, Some("Escrow")).expect("edit");
    let got = p.template("escrow (texas)").expect("renamed");
    assert_eq!(got.template.steps.len(), steps - 1);
    assert_eq!(got.by, "maria");
    assert_eq!(names(&mut p).len(), 4, "renamed, not copied");

    let gone = p.delete_template("short").expect("delete");
    assert_eq!(gone.name, "Short sale");
    let err = p.template("short").expect_err("gone").to_string();
    assert!(
        err.contains("the templates are: Buyer under contract"),
        "{err}"
    );

    let mut bad = short_sale();
    bad.steps.clear();
    assert!(p.save_template(bad, None).is_err());
}

#[test]
fn the_holiday_list_is_editable_and_business_days_follow_it() {
    let mut p = device("maria");
    p.boards_mut().create("Escrow", &[]).expect("board");
    let mut h = p.holidays().expect("holidays");
    assert!(h.us_federal);
    // Friday 8 January 2027 is a local holiday this year.
    let day_off = NaiveDate::from_ymd_opt(2027, 1, 8).expect("date");
    h.extra.insert(day_off);
    p.set_holidays(&h).expect("save");
    assert!(p.holidays().expect("holidays").extra.contains(&day_off));
    p.save_template(short_sale(), None).expect("save");
    let t = p.template("Short sale").expect("t").template;
    // Contract Wednesday 6 January; 2 business days: Thursday, then not
    // Friday (off) but Monday 11 January.
    let anchor = NaiveDate::from_ymd_opt(2027, 1, 6).expect("date");
    let tasks = p
        .tasks_mut()
        .apply_template("Escrow", &t, anchor, None, true)
        .expect("apply");
    let due = tasks[0].due.as_ref().expect("due").display();
    assert_eq!(due, "2027-01-11");
}

#[test]
fn two_devices_edit_templates_offline_and_converge() {
    let mut a = device("maria");
    let mut b = device("joe");
    a.save_template(short_sale(), None).expect("save");
    let doc = a.share_templates(7).expect("share");
    assert!(a.boards().shared().expect("shared").contains(&(doc, 7)));
    sync_doc(&mut a, &mut b, doc);
    assert!(names(&mut b).contains(&"Short sale".to_string()));

    // Offline: maria edits the listing template, joe the escrow one; maria
    // deletes the short sale while joe adds a step to it.
    let mut listing = a.template("listing").expect("t").template;
    listing.steps[0].title = "Walk the property with the seller".into();
    a.save_template(listing, Some("listing")).expect("edit a");
    let mut escrow = b.template("escrow").expect("t").template;
    escrow.steps[0].title = "Open escrow with First American".into();
    b.save_template(escrow, Some("escrow")).expect("edit b");
    a.delete_template("Short sale").expect("delete");
    let mut short = b.template("Short sale").expect("t").template;
    short.steps.push(short.steps[1].clone());
    short.steps[2].title = "Close".into();
    b.save_template(short, Some("Short sale")).expect("edit b");

    sync_doc(&mut a, &mut b, doc);
    sync_doc(&mut b, &mut a, doc);
    for p in [&mut a, &mut b] {
        let listing = p.template("listing").expect("t").template;
        assert_eq!(listing.steps[0].title, "Walk the property with the seller");
        let escrow = p.template("escrow").expect("t").template;
        assert_eq!(escrow.steps[0].title, "Open escrow with First American");
        let short = p
            .template("Short sale")
            .expect("an edit outlives a concurrent delete");
        assert_eq!(short.template.steps.len(), 3);
    }
    assert_eq!(names(&mut a), names(&mut b));
}

#[test]
fn facts_read_from_the_tables_match_the_tasks() {
    let mut p = device("maria");
    p.boards_mut().create("Escrow", &[]).expect("board");
    let t = p.template("escrow").expect("t").template;
    let anchor = NaiveDate::from_ymd_opt(2027, 1, 29).expect("date");
    p.tasks_mut()
        .apply_template("Escrow", &t, anchor, Some("48 Elm"), true)
        .expect("apply");
    let (extra, _) = p
        .tasks_mut()
        .quick_add("Escrow", "Call lender tomorrow #lender #call @joe @ana")
        .expect("add");
    p.tasks_mut().complete(extra.id.as_str()).expect("done");
    let tasks = p
        .tasks()
        .list(&crate::TaskQuery {
            include_done: true,
            include_archived: true,
            ..Default::default()
        })
        .expect("tasks");
    let mut want: Vec<crate::insights::Facts> =
        tasks.iter().map(crate::insights::Facts::from).collect();
    let mut got = p.tasks().facts(None).expect("facts");
    want.sort_by(|a, b| a.id.cmp(&b.id));
    got.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(got, want);
    assert!(
        got.iter()
            .any(|f| f.step.as_deref() == Some("Escrow to closing#0"))
    );
}
