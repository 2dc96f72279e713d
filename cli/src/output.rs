//! Plain-text tables and task formatting for the terminal.

use porchlight_store::model::Task;

/// Prints rows under a header, columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Shortens text to `max` characters with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub fn short_id(task: &Task) -> String {
    task.id.as_str().chars().take(8).collect()
}

/// One row of a task list.
pub fn task_row(task: &Task, column: &str) -> Vec<String> {
    let mut tags: Vec<String> = task.labels.iter().map(|l| format!("#{l}")).collect();
    tags.extend(task.assignees.iter().map(|a| format!("@{a}")));
    let status = if task.is_done() {
        "done"
    } else if task.archived {
        "archived"
    } else {
        ""
    };
    vec![
        short_id(task),
        clip(&task.title, 48),
        column.to_string(),
        task.due.as_ref().map(|d| d.display()).unwrap_or_default(),
        if task.priority == porchlight_store::model::Priority::None {
            String::new()
        } else {
            task.priority.to_string()
        },
        clip(&tags.join(" "), 30),
        status.to_string(),
    ]
}

pub const TASK_HEADER: [&str; 7] = ["ID", "TITLE", "COLUMN", "DUE", "PRIORITY", "TAGS", "STATUS"];

/// A task in full.
pub fn task_detail(task: &Task, column: &str) {
    println!("{}  {}", short_id(task), task.title);
    println!("  id:        {}", task.id);
    println!("  column:    {column}");
    if let Some(due) = &task.due {
        println!("  due:       {} ({})", due.display(), due.tz);
    }
    if let Some(r) = task.reminder {
        println!("  reminder:  {}", r.to_rfc3339());
    }
    if let Some(rec) = &task.recurrence {
        println!(
            "  repeats:   {}",
            serde_json::to_string(rec).unwrap_or_default()
        );
    }
    println!("  priority:  {}", task.priority);
    if !task.labels.is_empty() {
        println!("  labels:    {}", task.labels.join(", "));
    }
    if !task.assignees.is_empty() {
        println!("  assignees: {}", task.assignees.join(", "));
    }
    if !task.listings.is_empty() {
        println!("  listings:  {}", task.listings.join(", "));
    }
    let watchers = task.watchers();
    if !watchers.is_empty() {
        let names: Vec<&str> = watchers.iter().map(String::as_str).collect();
        println!("  watchers:  {}", names.join(", "));
    }
    if let Some(done) = task.completed_at {
        println!("  completed: {}", done.to_rfc3339());
    }
    if task.archived {
        println!("  archived");
    }
    println!(
        "  created:   {} by {}",
        task.created_at.to_rfc3339(),
        task.created_by
    );
    println!(
        "  updated:   {} by {}",
        task.updated_at.to_rfc3339(),
        task.updated_by
    );
    if !task.description.is_empty() {
        println!("\n{}", task.description);
    }
    if !task.checklist.is_empty() {
        println!("\nChecklist:");
        for (i, item) in task.checklist.iter().enumerate() {
            println!(
                "  {}. [{}] {}",
                i + 1,
                if item.done { "x" } else { " " },
                item.text
            );
        }
    }
    if !task.comments.is_empty() {
        println!("\nComments:");
        for c in &task.comments {
            println!(
                "  {} {}: {}",
                c.at.format("%Y-%m-%d %H:%M"),
                c.author,
                c.text
            );
        }
    }
}

/// Quotes a CSV field when needed.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
