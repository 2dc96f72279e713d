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

use crate::listings::values::decode_text;

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("not a RETS response: {0}")]
    NotRets(String),
    #[error("the RETS server answered {code}: {text}")]
    Reply { code: u32, text: String },
    #[error("the RETS reply has data but no <COLUMNS> line")]
    NoColumns,
}

/// The value of attribute `name` in `tag` (`Name="v"`, `Name = 'v'`, any case).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&name.to_ascii_lowercase()) {
        let at = from + i + name.len();
        let rest = tag[at..].trim_start();
        if let Some(rest) = rest.strip_prefix('=') {
            let rest = rest.trim_start();
            let quote = rest.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &rest[1..];
                return value.find(quote).map(|end| value[..end].to_string());
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .unwrap_or(rest.len());
            return Some(rest[..end].to_string());
        }
        from = at;
    }
    None
}

/// The first `<name …>` opening tag's text, case-insensitively.
fn find_tag<'a>(text: &'a str, lower: &str, name: &str) -> Option<&'a str> {
    let start = lower.find(&format!("<{name}"))?;
    let end = lower[start..].find('>')? + start;
    Some(&text[start..=end])
}

/// Decodes entities; bad references become U+FFFD instead of failing.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // An entity is short: look for its ';' within 12 characters (by
        // char, so a multi-byte character there cannot split).
        let Some(end) = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i)
        else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => Some(
                u32::from_str_radix(&e[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| !c.is_control() || *c == '\t')
                    .unwrap_or('\u{fffd}'),
            ),
            e if e.starts_with('#') => Some(
                e[1..]
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| !c.is_control() || *c == '\t')
                    .unwrap_or('\u{fffd}'),
            ),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits a COLUMNS or DATA line, with or without the leading and
/// trailing delimiter.
fn split(line: &str, delimiter: char) -> Vec<String> {
    let inner = line.strip_prefix(delimiter).unwrap_or(line);
    let inner = inner.strip_suffix(delimiter).unwrap_or(inner);
    inner
        .split(delimiter)
        .map(|f| {
            unescape(f)
                .chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}

/// The contents of every `<name>…</name>` element, in order.
fn elements<'a>(text: &'a str, lower: &str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i + open.len();
        let Some(j) = lower[start..].find(&close) else {
            // Unclosed: to the end of the line.
            let end = lower[start..].find('\n').map_or(text.len(), |e| start + e);
            out.push(&text[start..end]);
            break;
        };
        out.push(&text[start..start + j]);
        from = start + j + close.len();
    }
    out
}

/// Reads a COMPACT (or COMPACT-DECODED) search reply.
pub fn parse(bytes: &[u8]) -> Result<CompactReply, CompactError> {
    let text = decode_text(bytes);
    let lower = text.to_ascii_lowercase();
    let Some(rets) = find_tag(&text, &lower, "rets") else {
        let what = if lower.contains("<html") {
            "an HTML page came back (a login page or an error page?)".to_string()
        } else {
            let start: String = text.chars().take(60).collect();
            format!("no <RETS> element in {start:?}")
        };
        return Err(CompactError::NotRets(what));
    };
    let reply_code: u32 = attribute(rets, "ReplyCode")
        .and_then(|c| c.trim().parse().ok())
        .ok_or_else(|| CompactError::NotRets("the <RETS> element has no ReplyCode".into()))?;
    let reply_text = attribute(rets, "ReplyText").unwrap_or_default();
    let mut reply = CompactReply {
        reply_code,
        reply_text: reply_text.clone(),
        ..CompactReply::default()
    };
    match reply_code {
        0 => {}
        20201 => return Ok(reply),
        code => {
            return Err(CompactError::Reply {
                code,
                text: reply_text,
            });
        }
    }
    reply.count = find_tag(&text, &lower, "count")
        .and_then(|t| attribute(t, "Records"))
        .and_then(|r| r.trim().parse().ok());
    let delimiter = find_tag(&text, &lower, "delimiter")
        .and_then(|t| attribute(t, "value"))
        .and_then(|v| u8::from_str_radix(v.trim(), 16).ok())
        .map(char::from)
        .unwrap_or('\t');
    reply.max_rows = lower.contains("<maxrows");
    let data = elements(&text, &lower, "data");
    let Some(columns) = elements(&text, &lower, "columns")
        .first()
        .map(|c| split(c, delimiter))
    else {
        return if data.is_empty() {
            Ok(reply)
        } else {
            Err(CompactError::NoColumns)
        };
    };
    for (n, line) in data.iter().enumerate() {
        let fields = split(line, delimiter);
        if fields.len() == columns.len() {
            reply.rows.push(fields);
        } else {
            reply.bad_rows.push(format!(
                "data line {}: {} fields where the columns are {}",
                n + 1,
                fields.len(),
                columns.len()
            ));
        }
    }
    reply.columns = columns;
    Ok(reply)
}

#[cfg(test)]
mod tests;
