//! The Login reply: the capability URLs (`Search=/rets/search`, maybe
//! relative to the login URL), session facts, and RETS 1.8 `Info=` lines.
//!
//! RETS 1.5+ puts the `key=value` lines in a `<RETS-RESPONSE>` element;
//! RETS 1.0 puts them straight in `<RETS>`. Spaces around `=` are allowed.

use std::collections::BTreeMap;

use super::ReplyError;
use super::text::{read, status, unescape};

/// The transactions a login can grant, by their canonical names.
pub const CAPABILITIES: [&str; 10] = [
    "Action",
    "ChangePassword",
    "GetMetadata",
    "GetObject",
    "GetPayloadList",
    "Login",
    "LoginComplete",
    "Logout",
    "PostObject",
    "Search",
];

/// What a successful login said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginReply {
    /// Capability name (canonical case) → URL as sent (maybe relative).
    pub capabilities: BTreeMap<String, String>,
    /// RETS 1.8 `Info=NAME;Type;Value` lines, by name.
    pub info: BTreeMap<String, String>,
    /// Every other `key=value` line (MemberName, MetadataVersion, …).
    pub other: BTreeMap<String, String>,
}

impl LoginReply {
    /// A capability's URL as sent.
    pub fn capability(&self, name: &str) -> Option<&str> {
        self.capabilities.get(name).map(String::as_str)
    }
}

/// Reads a Login reply.
pub fn parse(bytes: &[u8]) -> Result<LoginReply, ReplyError> {
    let (text, lower) = read(bytes);
    let (code, reply_text) = status(&text, &lower).map_err(ReplyError::NotRets)?;
    if code != 0 {
        return Err(ReplyError::Reply {
            code,
            text: reply_text,
        });
    }
    // The body: <RETS-RESPONSE>…</RETS-RESPONSE>, or (RETS 1.0) whatever
    // follows the <RETS …> tag.
    let body = match lower.find("<rets-response") {
        Some(i) => {
            let start = lower[i..].find('>').map_or(text.len(), |e| i + e + 1);
            let end = lower[start..]
                .find("</rets-response")
                .map_or(text.len(), |e| start + e);
            &text[start..end]
        }
        None => {
            let i = lower.find("<rets").unwrap_or(0);
            let start = lower[i..].find('>').map_or(text.len(), |e| i + e + 1);
            let end = lower[start..]
                .find("</rets")
                .map_or(text.len(), |e| start + e);
            &text[start..end]
        }
    };
    let mut reply = LoginReply::default();
    for line in body.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), unescape(value.trim()));
        if key.is_empty() {
            continue;
        }
        if key.eq_ignore_ascii_case("Info") {
            let mut parts = value.splitn(3, ';');
            if let (Some(name), Some(_kind), Some(v)) = (parts.next(), parts.next(), parts.next()) {
                reply
                    .info
                    .insert(name.trim().to_string(), v.trim().to_string());
            }
            continue;
        }
        match CAPABILITIES.iter().find(|c| c.eq_ignore_ascii_case(key)) {
            Some(cap) => {
                reply.capabilities.insert((*cap).to_string(), value);
            }
            None => {
                reply.other.insert(key.to_string(), value);
            }
        }
    }
    if !reply.capabilities.contains_key("Search") {
        return Err(ReplyError::NotRets(
            "the login reply grants no Search capability (is this account allowed to search?)"
                .into(),
        ));
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rets_17_with_rets_response_and_relative_and_absolute_urls() {
        let body = b"<?xml version=\"1.0\"?>\r\n<RETS ReplyCode=\"0\" ReplyText=\"Operation Successful\">\r\n<RETS-RESPONSE>\r\nMemberName=Maria Lopez\r\nUser=maria,1,AGENT,m1\r\nMetadataVersion=1.00.001\r\nSearch=/rets/search\r\ngetmetadata = /rets/getmetadata\r\nGetObject=http://photos.example.com/rets/getobject\r\nLogout=/rets/logout\r\nTimeoutSeconds=1800\r\n</RETS-RESPONSE>\r\n</RETS>\r\n";
        let r = parse(body).expect("login");
        assert_eq!(r.capability("Search"), Some("/rets/search"));
        assert_eq!(r.capability("GetMetadata"), Some("/rets/getmetadata"));
        assert_eq!(
            r.capability("GetObject"),
            Some("http://photos.example.com/rets/getobject")
        );
        assert_eq!(r.other["MemberName"], "Maria Lopez");
        assert_eq!(r.other["TimeoutSeconds"], "1800");
    }

    #[test]
    fn rets_10_without_rets_response_and_18_info_lines() {
        let r = parse(b"<RETS ReplyCode=\"0\" ReplyText=\"V1.0\">\nSearch = search.asp\nLogout=logout.asp\n</RETS>")
            .expect("1.0");
        assert_eq!(r.capability("Search"), Some("search.asp"));
        assert_eq!(r.capability("Logout"), Some("logout.asp"));
        let r = parse(b"<RETS ReplyCode=\"0\" ReplyText=\"ok\"><RETS-RESPONSE>\nInfo=USERID;Character;maria\nInfo=MEMBERNAME;Character;Maria L\xf3pez\nInfo=OFFICELIST;Character;O1;O2\nSearch=/s\n</RETS-RESPONSE></RETS>")
            .expect("1.8");
        assert_eq!(r.info["USERID"], "maria");
        assert_eq!(r.info["MEMBERNAME"], "Maria López");
        assert_eq!(r.info["OFFICELIST"], "O1;O2");
    }

    #[test]
    fn refusals_html_and_no_search_say_so() {
        assert_eq!(
            parse(b"<RETS ReplyCode=\"20036\" ReplyText=\"Miscellaneous server login error\"/>"),
            Err(ReplyError::Reply {
                code: 20036,
                text: "Miscellaneous server login error".into()
            })
        );
        let e = parse(b"<html><body>Please sign in</body></html>").expect_err("html");
        assert!(e.to_string().contains("HTML page"), "{e}");
        let e = parse(b"<RETS ReplyCode=\"0\"><RETS-RESPONSE>\nLogout=/l\n</RETS-RESPONSE></RETS>")
            .expect_err("no search");
        assert!(e.to_string().contains("no Search"), "{e}");
    }
}
