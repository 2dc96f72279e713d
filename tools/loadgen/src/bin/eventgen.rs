//! `porchlight-eventgen`: webhook events at a steady rate, made the way a
//! team makes them: a synced client edits task titles on a shared board
//! (each edited task is one `task.updated` once the relay's view reads
//! the change). Makes `--tasks` tasks first (one change), then edits
//! `--rate` distinct tasks a second, in ten batches a second, for
//! `--seconds`, and prints how many edits it made.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use automerge::AutoCommit;
use chrono::Utc;
use clap::Parser;
use futures_util::StreamExt;
use porchlight_doc::{BoardDoc, ChangeNote, TaskEdit};
use porchlight_loadgen::connect;
use porchlight_model::board::Task;
use porchlight_model::ids::{ColumnId, DocumentId, TaskId};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-eventgen",
    about = "Task edits on a shared board at a steady rate"
)]
struct Args {
    /// WebSocket URL of the relay (ws://127.0.0.1:7280/sync).
    #[arg(long)]
    url: String,
    /// A write token (device token or write API key).
    #[arg(long)]
    token: String,
    /// The shared board's document id.
    #[arg(long)]
    board: String,
    /// Distinct tasks edited a second.
    #[arg(long, default_value_t = 1000)]
    rate: usize,
    /// Tasks on the board to edit in turn [default: the rate].
    #[arg(long)]
    tasks: Option<usize>,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut c = connect(&args.url, Some(&args.token), 0, &args.board).await?;
    c.open(AutoCommit::new()).await?;
    // Wait for the board itself.
    let started = Instant::now();
    loop {
        let ready = c
            .engine
            .document(&args.board)
            .is_some_and(|d| BoardDoc::from_doc(d.clone()).is_ok());
        if ready {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(anyhow!("the board never arrived"));
        }
        match tokio::time::timeout(Duration::from_secs(1), c.socket.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => {
                c.handle(&b).await?;
            }
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => return Err(anyhow!("the relay closed the connection")),
            _ => {}
        }
    }
    let board_id = DocumentId::parse(&args.board).context("board id")?;
    let edit =
        |c: &mut porchlight_loadgen::Client, f: &mut dyn FnMut(&mut BoardDoc)| -> Result<()> {
            let d = c
                .engine
                .document_mut(&args.board)
                .ok_or_else(|| anyhow!("board gone"))?;
            let mut b = BoardDoc::from_doc(std::mem::take(d))?;
            f(&mut b);
            b.commit(&ChangeNote::new("task.edit", "eventgen"), Utc::now());
            *d = b.into_doc();
            Ok(())
        };
    let column = {
        let d = c
            .engine
            .document(&args.board)
            .ok_or_else(|| anyhow!("board"))?;
        BoardDoc::from_doc(d.clone())?
            .board()?
            .columns
            .first()
            .map(|col| col.id.clone())
            .unwrap_or_else(|| ColumnId::new("todo"))
    };
    let n = args.tasks.unwrap_or(args.rate).max(1);
    let mut ids: Vec<TaskId> = Vec::with_capacity(n);
    edit(&mut c, &mut |b| {
        for i in 0..n {
            let t = Task::new(
                board_id,
                format!("Event task {i}"),
                column.clone(),
                format!("e{i:06}"),
                "eventgen",
                Utc::now(),
            );
            if b.insert_task(&t).is_ok() {
                ids.push(t.id.clone());
            }
        }
    })?;
    let effects = c.engine.local_change(&args.board);
    c.send(effects).await?;
    // Let the creation settle before the steady part.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(3) {
        if let Ok(Some(Ok(Message::Binary(b)))) =
            tokio::time::timeout(Duration::from_millis(200), c.socket.next()).await
        {
            c.handle(&b).await?;
        }
    }
    let per_tick = (args.rate / 10).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let start = Instant::now();
    let (mut next, mut edits, mut round) = (0usize, 0u64, 0u64);
    while start.elapsed() < Duration::from_secs(args.seconds) {
        tokio::select! {
            _ = tick.tick() => {
                round += 1;
                let batch: Vec<TaskId> = (0..per_tick).map(|k| ids[(next + k) % ids.len()].clone()).collect();
                next = (next + per_tick) % ids.len();
                edit(&mut c, &mut |b| {
                    for id in &batch {
                        let _ = b.edit_task(id, &[TaskEdit::Title(format!("Event task, round {round}"))], "eventgen", Utc::now());
                    }
                })?;
                edits += batch.len() as u64;
                let effects = c.engine.local_change(&args.board);
                c.send(effects).await?;
            }
            frame = c.socket.next() => {
                match frame {
                    Some(Ok(Message::Binary(b))) => { c.handle(&b).await?; }
                    Some(Err(e)) => return Err(e.into()),
                    None => return Err(anyhow!("the relay closed the connection")),
                    _ => {}
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "edited {edits} tasks in {secs:.1} s ({:.0}/s) after making {}",
        edits as f64 / secs,
        ids.len()
    );
    Ok(())
}
