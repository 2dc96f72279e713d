//! Reading RETS replies tolerantly: servers send XML that is not quite
//! XML (bad character references, control bytes, Latin-1), so the readers
//! scan for tags instead of parsing a document.

use porchlight_model::values::{decode_declared, decode_text, xml_encoding};

/// The value of attribute `name` in `tag` (`Name="v"`, `Name = 'v'`, any case).
pub(crate) fn attribute(tag: &str, name: &str) -> Option<String> {
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
pub(crate) fn find_tag<'a>(text: &'a str, lower: &str, name: &str) -> Option<&'a str> {
    let start = lower.find(&format!("<{name}"))?;
    let end = lower[start..].find('>')? + start;
    Some(&text[start..=end])
}

/// Decodes entities; bad references become U+FFFD instead of failing.
pub(crate) fn unescape(s: &str) -> String {
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
pub(crate) fn split(line: &str, delimiter: char) -> Vec<String> {
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
pub(crate) fn elements<'a>(text: &'a str, lower: &str, name: &str) -> Vec<&'a str> {
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

/// The `<RETS ReplyCode=… ReplyText=…>` of a reply, or why it is not one.
pub(crate) fn status(text: &str, lower: &str) -> Result<(u32, String), String> {
    let Some(rets) = find_tag(text, lower, "rets") else {
        return Err(if lower.contains("<html") {
            "an HTML page came back (a login page or an error page?)".to_string()
        } else {
            let start: String = text.chars().take(60).collect();
            format!("no <RETS> element in {start:?}")
        });
    };
    let code = attribute(rets, "ReplyCode")
        .and_then(|c| c.trim().parse().ok())
        .ok_or_else(|| "the <RETS> element has no ReplyCode".to_string())?;
    let mut said = unescape(attribute(rets, "ReplyText").unwrap_or_default().trim());
    if code != 0 {
        let detail = error_detail(text, lower);
        if !detail.is_empty() && !said.contains(&detail) {
            if said.is_empty() {
                said = detail;
            } else {
                said = format!("{said} ({detail})");
            }
        }
    }
    Ok((code, said))
}

/// What a refusing reply says besides its ReplyText: the text inside
/// `<RETS>…</RETS>` (servers put the reason there, e.g. "Query field LP
/// is not valid") and the ReplyText of any `<RETS-STATUS>`, tags
/// removed, whitespace collapsed, at most 300 characters.
fn error_detail(text: &str, lower: &str) -> String {
    let Some(open) = lower.find("<rets") else {
        return String::new();
    };
    let Some(start) = lower[open..].find('>').map(|e| open + e + 1) else {
        return String::new();
    };
    if text[..start].ends_with("/>") {
        return String::new();
    }
    let end = lower[start..]
        .rfind("</rets>")
        .map_or(text.len(), |e| start + e);
    let inner = &text[start..end];
    let mut parts: Vec<String> = Vec::new();
    let mut rest = inner;
    while let Some(i) = rest.find('<') {
        parts.push(rest[..i].to_string());
        let Some(j) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[i..=i + j];
        if tag.to_ascii_lowercase().starts_with("<rets-status") {
            if let Some(t) = attribute(tag, "ReplyText") {
                parts.push(t);
            }
        }
        rest = &rest[i + j + 1..];
    }
    parts.push(rest.to_string());
    let words: Vec<&str> = parts.iter().flat_map(|p| p.split_whitespace()).collect();
    let joined = unescape(&words.join(" "));
    let mut out: String = joined.chars().take(300).collect();
    if joined.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// The reply's text (Latin-1 / Windows-1252 bytes read as such) and its
/// ASCII-lowercased copy, which has the same byte offsets.
pub(crate) fn read(bytes: &[u8]) -> (String, String) {
    // A declared charset other than UTF-8 and Latin-1 / Windows-1252
    // (ISO-8859-2, Shift_JIS, …) is honoured when the reply is not UTF-8.
    // Latin-1 declarations are read sequence by sequence, since servers
    // often declare ISO-8859-1 and send UTF-8 with a stray byte or two.
    let declared = xml_encoding(bytes)
        .and_then(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8 && *e != encoding_rs::WINDOWS_1252);
    let text = match declared {
        Some(enc) if std::str::from_utf8(bytes).is_err() => {
            decode_declared(bytes, Some(enc.name()))
        }
        _ => decode_text(bytes),
    };
    let lower = text.to_ascii_lowercase();
    (text, lower)
}

/// Every `<name …>…</name>` element: its opening tag and its contents.
pub(crate) fn sections<'a>(text: &'a str, lower: &str, name: &str) -> Vec<(&'a str, &'a str)> {
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        // `<name` must end the name: `<METADATA-TABLE` is not `<METADATA-TABLE-X`.
        let after = lower.as_bytes().get(start + open.len()).copied();
        if !matches!(after, Some(b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n')) {
            from = start + open.len();
            continue;
        }
        let Some(tag_end) = lower[start..].find('>').map(|e| start + e) else {
            break;
        };
        let tag = &text[start..=tag_end];
        if tag.ends_with("/>") {
            out.push((tag, ""));
            from = tag_end + 1;
            continue;
        }
        let body_end = lower[tag_end..]
            .find(&close)
            .map_or(text.len(), |e| tag_end + e);
        out.push((tag, &text[tag_end + 1..body_end]));
        from = body_end;
    }
    out
}

/// The delimiter a COMPACT reply declares (`<DELIMITER value="09"/>`, a hex
/// byte); tab when it declares none.
pub(crate) fn delimiter(text: &str, lower: &str) -> char {
    find_tag(text, lower, "delimiter")
        .and_then(|t| attribute(t, "value"))
        .and_then(|v| u8::from_str_radix(v.trim(), 16).ok())
        .map(char::from)
        .unwrap_or('\t')
}
