//! Core benchmarks: `make bench` (or `cargo bench -p porchlight-store --bench core`).
//!
//! A profile with 10,000 tasks is built once on disk (under the system temp
//! directory) and shared by the benchmarks that need it.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use porchlight_store::{DueFilter, OpenOptions, Profile, TaskQuery};

/// Tasks in the shared profile; `PORCHLIGHT_BENCH_TASKS` overrides it for quick runs.
fn tasks() -> usize {
    std::env::var("PORCHLIGHT_BENCH_TASKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

fn options() -> OpenOptions {
    OpenOptions {
        user: Some("bench".into()),
        tz: Some("America/Denver".into()),
        now: Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0).single(),
    }
}

const WORDS: [&str; 12] = [
    "call",
    "seller",
    "inspection",
    "photos",
    "staging",
    "escrow",
    "appraisal",
    "lender",
    "flyer",
    "showing",
    "roof",
    "keys",
];

/// A directory holding a profile with 10,000 tasks spread over 60 days.
fn profile_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("porchlight-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut p = Profile::open(&dir, options()).expect("open");
        p.boards_mut().create("Bench", &[]).expect("board");
        for i in 0..tasks() {
            let text = format!(
                "{} {} {} in {} days #{} !{}",
                WORDS[i % 12],
                WORDS[(i / 12) % 12],
                i,
                1 + i % 60,
                WORDS[(i / 7) % 12],
                ["low", "medium", "high"][i % 3]
            );
            p.tasks_mut().quick_add("Bench", &text).expect("add");
        }
        dir
    })
}

fn main() {
    divan::main();
}

/// One task added to a board of 10,000, with its durable (synchronous=FULL) commit.
#[divan::bench(sample_count = 200)]
fn add_task_durable(bencher: divan::Bencher) {
    let mut p = Profile::open(profile_dir(), options()).expect("open");
    // Load the document once so the samples measure the add, not the first
    // load (and not an add kept pending because the board is not loaded).
    p.defer_writes_above(u64::MAX);
    p.tasks_mut().quick_add("Bench", "warm up").expect("warm");
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        p.tasks_mut()
            .quick_add(
                "Bench",
                &format!("Call the lender {i} tomorrow 3pm #followup !high"),
            )
            .expect("add")
    });
}

/// Opening a profile of 10,000 tasks (no document is loaded until a write).
#[divan::bench(sample_count = 50)]
fn open_profile(bencher: divan::Bencher) {
    let dir = profile_dir();
    bencher.bench(|| Profile::open(dir, options()).expect("open"));
}

/// The first write after opening, an add: kept pending, since the
/// 10,000-task board is not loaded (what `porchlight task add` does).
#[divan::bench(sample_count = 10)]
fn first_write_after_open(bencher: divan::Bencher) {
    let dir = profile_dir();
    bencher
        .with_inputs(|| Profile::open(dir, options()).expect("open"))
        .bench_local_values(|mut p| {
            p.tasks_mut()
                .quick_add("Bench", "first write")
                .expect("add")
        });
}

/// The same add made the way it was before pending writes: it loads the
/// board document first (and applies the writes pending on it).
#[divan::bench(sample_count = 10)]
fn first_write_after_open_loading(bencher: divan::Bencher) {
    let dir = profile_dir();
    bencher
        .with_inputs(|| {
            let mut p = Profile::open(dir, options()).expect("open");
            p.defer_writes_above(u64::MAX);
            p
        })
        .bench_local_values(|mut p| {
            p.tasks_mut()
                .quick_add("Bench", "first write, loading")
                .expect("add")
        });
}

/// The first edit after opening: kept pending like an add, since the
/// board is not loaded.
#[divan::bench(sample_count = 10)]
fn first_edit_after_open(bencher: divan::Bencher) {
    let dir = profile_dir();
    let key = {
        let p = Profile::open(dir, options()).expect("open");
        p.tasks()
            .search("inspection", 1)
            .expect("search")
            .first()
            .map(|t| t.id.to_string())
            .expect("a task")
    };
    let mut n = 0;
    bencher
        .with_inputs(|| Profile::open(dir, options()).expect("open"))
        .bench_local_values(|mut p| {
            n += 1;
            p.tasks_mut()
                .edit(
                    &key,
                    &porchlight_store::profile::TaskChanges {
                        title: Some(format!("edited {n}")),
                        ..Default::default()
                    },
                )
                .expect("edit")
        });
}

/// Adding a column as the first write after opening (`porchlight column
/// add`): a board-level edit, kept pending too.
#[divan::bench(sample_count = 10)]
fn first_column_add_after_open(bencher: divan::Bencher) {
    let dir = profile_dir();
    let mut n = 0;
    bencher
        .with_inputs(|| Profile::open(dir, options()).expect("open"))
        .bench_local_values(|mut p| {
            n += 1;
            p.boards_mut()
                .add_column("Bench", &format!("Stage {n}"))
                .expect("add column")
        });
}

/// Applying the 60-step template as the first write after opening
/// (`porchlight template apply`): its tasks are kept pending, one change.
#[divan::bench(sample_count = 10)]
fn first_template_apply_after_open(bencher: divan::Bencher) {
    // A copy: sixty tasks a sample would grow the board the others use.
    let dir = std::env::temp_dir().join(format!("porchlight-bench-copy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for file in std::fs::read_dir(profile_dir()).expect("profile") {
        let file = file.expect("file");
        if file.file_type().expect("type").is_file() {
            std::fs::copy(file.path(), dir.join(file.file_name())).expect("copy");
        }
    }
    let template = sixty_steps();
    let anchor = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).expect("date");
    bencher
        .with_inputs(|| Profile::open(&dir, options()).expect("open"))
        .bench_local_values(|mut p| {
            p.tasks_mut()
                .apply_template("Bench", &template, anchor, Some("48 Elm"), true)
                .expect("apply")
        });
}

/// Completing a task as the first write after opening: kept pending too.
#[divan::bench(sample_count = 10)]
fn first_complete_after_open(bencher: divan::Bencher) {
    let dir = profile_dir();
    let mut keys: Vec<String> = {
        let p = Profile::open(dir, options()).expect("open");
        p.tasks()
            .search("showing", 20)
            .expect("search")
            .into_iter()
            .map(|t| t.id.to_string())
            .collect()
    };
    bencher
        .with_inputs(|| {
            let key = keys.pop().expect("a task left to complete");
            (Profile::open(dir, options()).expect("open"), key)
        })
        .bench_local_values(|(mut p, key)| p.tasks_mut().complete(&key).expect("complete"));
}

#[divan::bench(sample_count = 200)]
fn query_due_this_week(bencher: divan::Bencher) {
    let p = Profile::open(profile_dir(), options()).expect("open");
    let q = TaskQuery {
        due: Some(DueFilter::Week),
        ..TaskQuery::default()
    };
    bencher.bench_local(|| p.tasks().list(&q).expect("query"));
}

#[divan::bench(sample_count = 200)]
fn search_full_text(bencher: divan::Bencher) {
    let p = Profile::open(profile_dir(), options()).expect("open");
    bencher.bench_local(|| p.tasks().search("inspection roof", 50).expect("search"));
}

#[divan::bench(sample_count = 1000)]
fn quick_add_parse(bencher: divan::Bencher) {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
        .single()
        .unwrap_or_default();
    bencher.bench(|| {
        porchlight_store::quickadd::parse(
            divan::black_box(
                "Call John re 12 Oak St tomorrow 3pm #followup @maria !high mls:A12345",
            ),
            now,
            "America/Denver",
        )
    });
}

/// A template of 60 steps (a label and two checklist items each).
fn sixty_steps() -> porchlight_store::template::Template {
    use porchlight_store::template::{Offset, Step, Template};
    Template {
        name: "Sixty".into(),
        anchor: "closing".into(),
        steps: (0..60)
            .map(|i| Step {
                title: format!("Step {i} of the escrow"),
                offset: Offset {
                    days: i - 45,
                    business: i % 3 == 0,
                    time: None,
                },
                assignee: None,
                labels: vec!["escrow".into()],
                checklist: vec!["Check".into(), "Sign".into()],
                priority: Default::default(),
            })
            .collect(),
    }
}

/// A 60-step template applied to a fresh board (one change, durable), as
/// `porchlight template apply` does.
#[divan::bench(sample_count = 30)]
fn apply_template_60(bencher: divan::Bencher) {
    let dir = std::env::temp_dir().join(format!("porchlight-bench-tpl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut p = Profile::open(&dir, options()).expect("open");
    p.boards_mut().create("Closings", &[]).expect("board");
    let template = sixty_steps();
    let anchor = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).expect("date");
    // Load the board once so the samples measure the apply.
    p.tasks_mut()
        .apply_template("Closings", &template, anchor, None, true)
        .expect("warm");
    bencher.bench_local(|| {
        p.tasks_mut()
            .apply_template("Closings", &template, anchor, Some("48 Elm Ave"), true)
            .expect("apply")
    });
}

/// A year of a team's work: `n` tasks made over 365 days before `now`,
/// most done after a few days (cycle times by label), the rest open and
/// due around now, spread over five people.
fn year_plan(n: usize) -> porchlight_store::profile::ImportPlan {
    use porchlight_store::model::Due;
    use porchlight_store::profile::{ImportPlan, PlannedTask};
    let now = options().now.unwrap_or_default();
    let people = ["maria", "joe", "sam", "dana", "bench"];
    let tasks = (0..n)
        .map(|i| {
            let created = now - chrono::Duration::minutes((i as i64 * 525_600) / n as i64);
            let label = WORDS[i % 12];
            let open = i % 10 == 0;
            let cycle =
                chrono::Duration::hours(6 + ((i * 7919) % 300) as i64 + (i % 12) as i64 * 12);
            PlannedTask {
                from: format!("task {i}"),
                title: format!("{} {} {i}", WORDS[(i / 12) % 12], label),
                description: String::new(),
                column: 0,
                due: Some(Due::at_time(
                    created + cycle + chrono::Duration::days(2),
                    "UTC",
                )),
                recurrence: None,
                priority: Default::default(),
                labels: vec![label.to_string()],
                assignees: vec![people[i % 5].to_string()],
                checklist: vec![],
                comments: vec![],
                created_at: Some(created),
                completed_at: (!open && created + cycle < now).then_some(created + cycle),
                archived: false,
            }
        })
        .collect();
    ImportPlan {
        format: "bench".into(),
        name: "Year".into(),
        columns: vec!["To do".into(), "Done".into()],
        tasks,
        problems: vec![],
    }
}

/// The model's tasks of `year_plan(n)` (no storage), for the pure benches.
fn year_tasks(n: usize) -> Vec<porchlight_store::model::Task> {
    let mut p = Profile::in_memory(options()).expect("profile");
    p.boards_mut()
        .import_plan(&year_plan(n), false)
        .expect("import");
    p.tasks()
        .list(&TaskQuery {
            include_done: true,
            include_archived: true,
            ..TaskQuery::default()
        })
        .expect("tasks")
}

/// Insights (throughput, overdue over time, cycle times, workload, a
/// prediction for every open task) over 20,000 tasks and a year, computed
/// from tasks in memory.
#[divan::bench(sample_count = 20)]
fn insights_20k_year_compute(bencher: divan::Bencher) {
    let tasks: Vec<porchlight_store::insights::Facts> = year_tasks(20_000)
        .iter()
        .map(porchlight_store::insights::Facts::from)
        .collect();
    let now = options().now.unwrap_or_default();
    let tz: chrono_tz::Tz = "America/Denver".parse().expect("tz");
    bencher.bench_local(|| porchlight_store::insights::insights(&tasks, now, &tz, 52));
}

/// The same as `porchlight insights --weeks 52`: 20,000 tasks read from the
/// profile's tables, then computed.
#[divan::bench(sample_count = 10)]
fn insights_20k_year_store(bencher: divan::Bencher) {
    let mut p = Profile::in_memory(options()).expect("profile");
    p.boards_mut()
        .import_plan(&year_plan(20_000), false)
        .expect("import");
    bencher.bench_local(|| p.tasks().insights(Some("Year"), 52).expect("insights"));
}

/// The inbox derived after a sync brought 1,000 changes (a teammate's
/// comments, a third mentioning the user) to a 10,000-task board the
/// teammate made, a fifth of it assigned to the user.
#[divan::bench(sample_count = 20)]
fn inbox_after_sync_of_1000_changes(bencher: divan::Bencher) {
    let mut maria = Profile::in_memory(OpenOptions {
        user: Some("maria".into()),
        ..options()
    })
    .expect("maria");
    let board = maria
        .boards_mut()
        .import_plan(&year_plan(10_000), false)
        .expect("import")
        .board
        .id;
    let mut me = Profile::in_memory(options()).expect("profile");
    let mut copy = maria.sync_copy(board).expect("copy").expect("known");
    me.absorb(board, &mut copy).expect("absorb");
    let ids: Vec<String> = maria
        .tasks()
        .list(&TaskQuery::default())
        .expect("tasks")
        .into_iter()
        .map(|t| t.id.to_string())
        .take(1_000)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let text = if i % 3 == 0 {
            format!("@bench can you look at this ({i})?")
        } else {
            format!("Update {i}: waiting on the lender")
        };
        maria.tasks_mut().comment(id, &text).expect("comment");
    }
    let mut back = maria.sync_copy(board).expect("copy").expect("known");
    me.absorb(board, &mut back).expect("absorb");
    bencher.bench_local(|| {
        me.tasks()
            .inbox(porchlight_store::profile::InboxFilter::Current)
            .expect("inbox")
    });
}
