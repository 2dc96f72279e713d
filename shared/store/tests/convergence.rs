//! Convergence: random operations on several replicas of one board, merged
//! in random orders through board files, always end identical, and each
//! replica's materialized tables equal a fresh `reindex`.

use chrono::{TimeZone, Utc};
use porchlight_store::profile::TaskChanges;
use porchlight_store::{OpenOptions, Profile, TaskQuery};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u8),
    Title(u8, u8),
    Describe(u8, u8),
    Move(u8, u8, u8),
    Done(u8),
    Reopen(u8),
    Label(u8, u8, bool),
    Comment(u8),
    Check(u8),
    Delete(u8),
    AddColumn(u8),
    /// Replica `to` imports replica `from`'s board file.
    Sync(u8, u8),
}

fn op() -> impl Strategy<Value = (u8, Op)> {
    let o = prop_oneof![
        3 => any::<u8>().prop_map(Op::Add),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(t, s)| Op::Title(t, s)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(t, s)| Op::Describe(t, s)),
        2 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(t, c, i)| Op::Move(t, c, i)),
        1 => any::<u8>().prop_map(Op::Done),
        1 => any::<u8>().prop_map(Op::Reopen),
        1 => (any::<u8>(), 0u8..4, any::<bool>()).prop_map(|(t, l, on)| Op::Label(t, l, on)),
        1 => any::<u8>().prop_map(Op::Comment),
        1 => any::<u8>().prop_map(Op::Check),
        1 => any::<u8>().prop_map(Op::Delete),
        1 => (0u8..3).prop_map(Op::AddColumn),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Sync(a, b)),
    ];
    (any::<u8>(), o)
}

fn all_tasks(p: &Profile) -> Vec<porchlight_store::model::Task> {
    p.tasks()
        .list(&TaskQuery {
            include_done: true,
            include_archived: true,
            ..TaskQuery::default()
        })
        .expect("list")
}

fn pick(p: &Profile, n: u8) -> Option<String> {
    let tasks = all_tasks(p);
    (!tasks.is_empty()).then(|| tasks[n as usize % tasks.len()].id.to_string())
}

fn sync(replicas: &mut [Profile], from: usize, to: usize) {
    if from == to {
        return;
    }
    let file = replicas[from]
        .boards_mut()
        .export("Shared")
        .expect("export");
    replicas[to]
        .boards_mut()
        .import(&file, "sync")
        .expect("import");
}

fn apply(p: &mut Profile, op: &Op) {
    const WORDS: [&str; 6] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    let word = |n: u8| WORDS[n as usize % WORDS.len()];
    // Operations on tasks another replica deleted may fail with UnknownTask;
    // that is a correct answer, not a divergence.
    let _ = match op {
        Op::Add(n) => p
            .tasks_mut()
            .quick_add("Shared", &format!("task {}", word(*n)))
            .map(|_| ()),
        Op::Title(t, s) => match pick(p, *t) {
            Some(id) => p
                .tasks_mut()
                .edit(
                    &id,
                    &TaskChanges {
                        title: Some(format!("title {}", word(*s))),
                        ..Default::default()
                    },
                )
                .map(|_| ()),
            None => Ok(()),
        },
        Op::Describe(t, s) => match pick(p, *t) {
            Some(id) => p
                .tasks_mut()
                .splice_description(&id, 0, 0, word(*s))
                .map(|_| ()),
            None => Ok(()),
        },
        Op::Move(t, c, i) => match pick(p, *t) {
            Some(id) => {
                let board = p.boards().get("Shared").expect("board");
                let col = board.columns[*c as usize % board.columns.len()]
                    .name
                    .clone();
                p.tasks_mut()
                    .move_to(&id, Some(&col), Some(*i as usize % 4))
                    .map(|_| ())
            }
            None => Ok(()),
        },
        Op::Done(t) => match pick(p, *t) {
            Some(id) => p.tasks_mut().complete(&id).map(|_| ()),
            None => Ok(()),
        },
        Op::Reopen(t) => match pick(p, *t) {
            Some(id) => p.tasks_mut().reopen(&id).map(|_| ()),
            None => Ok(()),
        },
        Op::Label(t, l, on) => match pick(p, *t) {
            Some(id) => {
                let label = vec![format!("l{l}")];
                let changes = if *on {
                    TaskChanges {
                        add_labels: label,
                        ..Default::default()
                    }
                } else {
                    TaskChanges {
                        remove_labels: label,
                        ..Default::default()
                    }
                };
                p.tasks_mut().edit(&id, &changes).map(|_| ())
            }
            None => Ok(()),
        },
        Op::Comment(t) => match pick(p, *t) {
            Some(id) => p.tasks_mut().comment(&id, "noted").map(|_| ()),
            None => Ok(()),
        },
        Op::Check(t) => match pick(p, *t) {
            Some(id) => p.tasks_mut().add_checklist_item(&id, "step").map(|_| ()),
            None => Ok(()),
        },
        Op::Delete(t) => match pick(p, *t) {
            Some(id) => p.tasks_mut().delete(&id).map(|_| ()),
            None => Ok(()),
        },
        Op::AddColumn(c) => p
            .boards_mut()
            .add_column("Shared", &format!("Extra {c}"))
            .map(|_| ()),
        Op::Sync(..) => Ok(()),
    };
}

fn replicas(n: usize) -> Vec<Profile> {
    let now = Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0).single();
    let open = |user: &str| {
        Profile::in_memory(OpenOptions {
            user: Some(user.into()),
            tz: Some("UTC".into()),
            now,
        })
        .expect("profile")
    };
    let mut first = open("r0");
    first.boards_mut().create("Shared", &[]).expect("board");
    let file = first.boards_mut().export("Shared").expect("export");
    let mut out = vec![first];
    for i in 1..n {
        let mut p = open(&format!("r{i}"));
        p.boards_mut().import(&file, "seed").expect("seed");
        out.push(p);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_tables_match_a_reindex(
        n in 2usize..=3,
        ops in proptest::collection::vec(op(), 1..40),
        order in proptest::collection::vec((any::<u8>(), any::<u8>()), 0..6),
    ) {
        let mut rs = replicas(n);
        for (who, op) in &ops {
            let i = *who as usize % n;
            match op {
                Op::Sync(a, b) => sync(&mut rs, *a as usize % n, *b as usize % n),
                other => apply(&mut rs[i], other),
            }
        }
        // Some random merges first, then everyone with everyone.
        for (a, b) in &order {
            sync(&mut rs, *a as usize % n, *b as usize % n);
        }
        for _ in 0..2 {
            for a in 0..n {
                for b in 0..n {
                    sync(&mut rs, a, b);
                }
            }
        }
        let reference = all_tasks(&rs[0]);
        let board = rs[0].boards().get("Shared").expect("board");
        for r in rs.iter_mut() {
            prop_assert_eq!(&all_tasks(r), &reference);
            prop_assert_eq!(&r.boards().get("Shared").expect("board"), &board);
            r.reindex().expect("reindex");
            prop_assert_eq!(&all_tasks(r), &reference, "tables differ from a reindex");
        }
    }
}
