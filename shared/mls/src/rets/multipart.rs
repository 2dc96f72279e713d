//! GetObject replies: one object, or `multipart/parallel` with one part per
//! object. Each part may be the object, only its `Location` (a URL), or a
//! RETS error of its own (20403: no such photo) — one bad part does not
//! spoil the others. Parts separated by bare LF are read as well as CRLF.

use super::text::{read, status};

/// One object of a GetObject reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectPart {
    /// The listing (resource entity) the object belongs to.
    pub content_id: String,
    /// The object's number (photo 1, 2, …).
    pub object_id: Option<u32>,
    pub content_type: String,
    /// A URL instead of the bytes (`Location=1`).
    pub location: Option<String>,
    pub description: Option<String>,
    pub data: Vec<u8>,
    /// The part is a RETS error: (ReplyCode, ReplyText). 20403 means the
    /// object does not exist.
    pub error: Option<(u32, String)>,
}

impl ObjectPart {
    /// An object from its headers (name, value) and body — a whole
    /// single-object reply, or one part.
    pub fn new<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>, data: Vec<u8>) -> Self {
        let mut part = ObjectPart::default();
        for (name, value) in headers {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-id" => part.content_id = value.to_string(),
                "object-id" => part.object_id = value.parse().ok(),
                "content-type" => part.content_type = value.to_ascii_lowercase(),
                "location" if !value.is_empty() => part.location = Some(value.to_string()),
                "content-description" => part.description = Some(value.to_string()),
                _ => {}
            }
        }
        let xml = part.content_type.starts_with("text/xml")
            || part.content_type.starts_with("application/xml")
            || (part.content_type.is_empty() && data.trim_ascii_start().starts_with(b"<RETS"));
        if xml {
            let (text, lower) = read(&data);
            part.error = Some(match status(&text, &lower) {
                Ok((code, text)) => (code, text),
                Err(why) => (0, why),
            });
            // A ReplyCode 0 XML part carries no object either.
            if part.error.as_ref().is_some_and(|(code, _)| *code == 0) && part.location.is_some() {
                part.error = None;
            }
        }
        part.data = data;
        part
    }

    /// The part says the object does not exist (20403).
    pub fn is_missing(&self) -> bool {
        matches!(self.error, Some((20403, _)))
    }
}

/// The boundary of a `multipart/…; boundary=…` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.trim_start().starts_with("multipart/") {
        return None;
    }
    let i = lower.find("boundary")?;
    let rest = content_type[i + "boundary".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let b = match rest.strip_prefix('"') {
        Some(q) => &q[..q.find('"')?],
        None => rest.split(';').next().unwrap_or("").trim(),
    };
    (!b.is_empty()).then(|| b.to_string())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// The parts of a multipart body, or why it cannot be read.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<ObjectPart>, String> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    // Delimiters are at the start of the body or of a line.
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(i) = find(body, delim, from) {
        if i == 0 || body[i - 1] == b'\n' {
            starts.push(i);
        }
        from = i + delim.len();
    }
    if starts.is_empty() {
        return Err(format!(
            "the multipart reply has no part boundary \"{boundary}\""
        ));
    }
    let mut parts = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let after = start + delim.len();
        if body[after..].starts_with(b"--") {
            break;
        }
        let end = starts.get(n + 1).copied().unwrap_or(body.len());
        // The part's text: after the delimiter line, before the line break
        // that precedes the next delimiter.
        let mut content = &body[after..end];
        let line_end = content
            .iter()
            .position(|b| *b == b'\n')
            .map_or(content.len(), |i| i + 1);
        content = &content[line_end..];
        if starts.get(n + 1).is_some() {
            content = content.strip_suffix(b"\n").unwrap_or(content);
            content = content.strip_suffix(b"\r").unwrap_or(content);
        }
        let (head, data) = match (find(content, b"\r\n\r\n", 0), find(content, b"\n\n", 0)) {
            (Some(c), Some(l)) if l < c => (&content[..l], &content[l + 2..]),
            (Some(c), _) => (&content[..c], &content[c + 4..]),
            (None, Some(l)) => (&content[..l], &content[l + 2..]),
            (None, None) => (content, &[][..]),
        };
        let head = String::from_utf8_lossy(head);
        let headers: Vec<(&str, &str)> = head.lines().filter_map(|l| l.split_once(':')).collect();
        parts.push(ObjectPart::new(headers, data.to_vec()));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_parts_with_an_error_part_and_a_location_part() {
        let body = b"--simple boundary\r\nContent-Type: image/jpeg\r\nContent-ID: L1\r\nObject-ID: 1\r\n\r\n\xff\xd8JPEG\r\n\xff\xd9\r\n--simple boundary\r\nContent-Type: text/xml\r\nContent-ID: L1\r\nObject-ID: 2\r\n\r\n<RETS ReplyCode=\"20403\" ReplyText=\"No Object Found\"/>\r\n--simple boundary\r\nContent-Type: image/jpeg\r\nContent-ID: L1\r\nObject-ID: 3\r\nLocation: http://photos.example.com/L1/3.jpg\r\n\r\n\r\n--simple boundary--\r\n";
        let b = boundary("multipart/parallel; boundary=\"simple boundary\"").expect("boundary");
        let parts = parse(body, &b).expect("parts");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].object_id, Some(1));
        assert_eq!(parts[0].data, b"\xff\xd8JPEG\r\n\xff\xd9");
        assert!(parts[0].error.is_none());
        assert!(parts[1].is_missing());
        assert_eq!(
            parts[2].location.as_deref(),
            Some("http://photos.example.com/L1/3.jpg")
        );
        assert!(parts[2].data.is_empty());
    }

    #[test]
    fn lf_only_and_unquoted_boundary() {
        let b = boundary("Multipart/Parallel; Boundary=xyz; charset=x").expect("boundary");
        assert_eq!(b, "xyz");
        let body = b"preamble\n--xyz\ncontent-type: image/png\ncontent-id: K9\nobject-id: 4\n\nPNGDATA\n--xyz--\n";
        let parts = parse(body, &b).expect("parts");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].content_id, "K9");
        assert_eq!(parts[0].data, b"PNGDATA");
        assert!(boundary("image/jpeg").is_none());
        assert!(parse(b"no parts here", "xyz").is_err());
    }

    #[test]
    fn a_single_object_reply() {
        let part = ObjectPart::new(
            [("Content-Type", "text/xml"), ("Content-ID", "L1")],
            b"<RETS ReplyCode=\"20403\" ReplyText=\"No Object Found\" />".to_vec(),
        );
        assert!(part.is_missing());
        let part = ObjectPart::new(
            [("Content-Type", "image/jpeg"), ("Object-ID", "1")],
            vec![1, 2],
        );
        assert_eq!(part.error, None);
    }
}
