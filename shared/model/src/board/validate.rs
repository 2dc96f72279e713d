//! Input limits and validation, shared by every shell so that the app, the CLI
//! and a sync peer all refuse the same things with the same words.

use crate::error::{ModelError, Result};

/// Longest task title, in characters.
pub const MAX_TITLE: usize = 500;
/// Longest description, in characters (about 25 pages of text).
pub const MAX_DESCRIPTION: usize = 100_000;
/// Longest comment or checklist item, in characters.
pub const MAX_COMMENT: usize = 10_000;
/// Longest board, column, label or person name.
pub const MAX_NAME: usize = 100;
/// Longest label.
pub const MAX_LABEL: usize = 50;

/// Trims a title and checks it is neither empty nor too long.
pub fn check_title(title: &str) -> Result<String> {
    let title = collapse_whitespace(title);
    if title.is_empty() {
        return Err(ModelError::EmptyTitle);
    }
    check_len("title", &title, MAX_TITLE)?;
    Ok(title)
}

/// Trims a name (board, column, person) and checks it.
pub fn check_name(what: &'static str, name: &str) -> Result<String> {
    let name = collapse_whitespace(name);
    if name.is_empty() {
        return Err(ModelError::EmptyName { what });
    }
    check_len(what, &name, MAX_NAME)?;
    Ok(name)
}

/// Normalizes a label: trimmed, lower case, no leading `#`, no spaces.
pub fn check_label(label: &str) -> Result<String> {
    let label = label.trim().trim_start_matches('#').to_lowercase();
    if label.is_empty() {
        return Err(ModelError::EmptyName { what: "label" });
    }
    if label.chars().any(char::is_whitespace) {
        return Err(ModelError::InvalidValue {
            what: "label",
            value: label,
            hint: "labels are single words; use - or _ to join words",
        });
    }
    check_len("label", &label, MAX_LABEL)?;
    Ok(label)
}

/// Checks free text (description, comment) against a limit; empty is allowed.
pub fn check_text(field: &'static str, text: &str, max: usize) -> Result<()> {
    check_len(field, text, max)
}

fn check_len(field: &'static str, text: &str, max: usize) -> Result<()> {
    let len = text.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    Ok(())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_checked() {
        assert_eq!(
            check_title("  Call   John ").ok().as_deref(),
            Some("Call John")
        );
        assert!(matches!(check_title("   "), Err(ModelError::EmptyTitle)));
        let long = "x".repeat(MAX_TITLE + 1);
        assert!(matches!(
            check_title(&long),
            Err(ModelError::TooLong { field: "title", .. })
        ));
        // Limits count characters, not bytes.
        assert!(check_title(&"é".repeat(MAX_TITLE)).is_ok());
    }

    #[test]
    fn labels_are_normalized() {
        assert_eq!(check_label("#FollowUp").ok().as_deref(), Some("followup"));
        assert!(check_label("#").is_err());
        assert!(check_label("two words").is_err());
    }

    #[test]
    fn names_and_text_are_limited() {
        assert!(check_name("board", "").is_err());
        assert!(check_name("board", &"b".repeat(MAX_NAME + 1)).is_err());
        assert!(check_text("comment", &"c".repeat(MAX_COMMENT), MAX_COMMENT).is_ok());
        assert!(check_text("comment", &"c".repeat(MAX_COMMENT + 1), MAX_COMMENT).is_err());
    }
}
