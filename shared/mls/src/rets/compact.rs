//! The RETS COMPACT format: `<COLUMNS>` and `<DATA>` lines split by a
//! delimiter, inside a `<RETS ReplyCode=…>` reply.
//!
//! Real servers bend the format, so this reader scans for the tags rather
//! than parsing XML: the delimiter is read as a hex byte (`<DELIMITER
//! value="09"/>`; tab when the tag is missing); leading and trailing
//! delimiters may be there or not; invalid character references, control
//! characters and Latin-1 / Windows-1252 bytes survive; spaces around `=`
//! in attributes are fine. ReplyCode 20201 means no records (not an
//! error). An HTML page where a reply was expected is said to be one.

use super::ReplyError;
use super::text::{attribute, delimiter, elements, find_tag, read, split, status};

/// A search reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactReply {
    pub reply_code: u32,
    pub reply_text: String,
    /// `<COUNT Records=…>`, when sent.
    pub count: Option<u64>,
    pub columns: Vec<String>,
    /// One entry per `<DATA>` line that has as many fields as there are
    /// columns.
    pub rows: Vec<Vec<String>>,
    /// `<MAXROWS/>`: the server has more than it sent (ask for the next page).
    pub max_rows: bool,
    /// `<DATA>` lines that did not fit the columns, in words.
    pub bad_rows: Vec<String>,
    /// The same lines: (data line number from 1, their fields as split).
    pub bad_lines: Vec<(usize, Vec<String>)>,
}

impl CompactReply {
    /// The rows as (column, value) pairs.
    pub fn records(&self) -> impl Iterator<Item = Vec<(&str, &str)>> {
        self.rows.iter().map(|row| {
            self.columns
                .iter()
                .map(String::as_str)
                .zip(row.iter().map(String::as_str))
                .collect()
        })
    }
}

/// Reads a COMPACT (or COMPACT-DECODED) search reply.
pub fn parse(bytes: &[u8]) -> Result<CompactReply, ReplyError> {
    let (text, lower) = read(bytes);
    let (reply_code, reply_text) = status(&text, &lower).map_err(ReplyError::NotRets)?;
    let mut reply = CompactReply {
        reply_code,
        reply_text: reply_text.clone(),
        ..CompactReply::default()
    };
    match reply_code {
        // 20208: "maximum records exceeded" — the rows sent are good and
        // there are more, as with <MAXROWS/>.
        0 | 20208 => {}
        20201 => return Ok(reply),
        code => {
            return Err(ReplyError::Reply {
                code,
                text: reply_text,
            });
        }
    }
    reply.count = find_tag(&text, &lower, "count")
        .and_then(|t| attribute(t, "Records"))
        .and_then(|r| r.trim().parse().ok());
    reply.max_rows = reply_code == 20208 || lower.contains("<maxrows");
    let (columns, rows, bad_rows) = table(&text, &lower, delimiter(&text, &lower))?;
    if !columns.is_empty() {
        complete(&lower, rows.len() + bad_rows.len())?;
    }
    reply.bad_lines = bad_rows
        .iter()
        .filter_map(|b| {
            let n: usize = b
                .strip_prefix("data line ")?
                .split(':')
                .next()?
                .parse()
                .ok()?;
            let line = elements(&text, &lower, "data").get(n - 1).copied()?;
            Some((n, split(line, delimiter(&text, &lower))))
        })
        .collect();
    reply.columns = columns;
    reply.rows = rows;
    reply.bad_rows = bad_rows;
    Ok(reply)
}

/// A page is used only when it is whole: the reply's `</RETS>` comes
/// after its last `<DATA>` line. A reply cut mid-row or mid-value (a
/// dropped connection, a proxy's limit) would otherwise lose its last row
/// silently or store a cut value as if complete — and a later `--full`
/// would delete listings that were merely unread.
fn complete(lower: &str, rows: usize) -> Result<(), ReplyError> {
    let from = lower
        .rfind("<data>")
        .or_else(|| lower.rfind("<columns>"))
        .unwrap_or(0);
    if lower[from..].contains("</rets>") {
        return Ok(());
    }
    Err(ReplyError::Truncated {
        rows: rows.saturating_sub(usize::from(lower.rfind("<data>").is_some())),
        what: "no closing </RETS>",
    })
}

/// Columns, the rows that fit them, and the lines that did not (in words).
pub(crate) type Table = (Vec<String>, Vec<Vec<String>>, Vec<String>);

/// The `<COLUMNS>` and `<DATA>` lines of `text` (a reply or one metadata
/// section): the columns, the rows that fit them, and the lines that did
/// not, in words.
pub(crate) fn table(text: &str, lower: &str, delimiter: char) -> Result<Table, ReplyError> {
    let data = elements(text, lower, "data");
    let Some(columns) = elements(text, lower, "columns")
        .first()
        .map(|c| split(c, delimiter))
    else {
        return if data.is_empty() {
            Ok((Vec::new(), Vec::new(), Vec::new()))
        } else {
            Err(ReplyError::NoColumns)
        };
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in data.iter().enumerate() {
        let fields = split(line, delimiter);
        if fields.len() == columns.len() {
            rows.push(fields);
        } else {
            bad.push(format!(
                "data line {}: {} fields where the columns are {}",
                n + 1,
                fields.len(),
                columns.len()
            ));
        }
    }
    Ok((columns, rows, bad))
}

#[cfg(test)]
mod tests;
