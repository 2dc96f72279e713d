//! Calendar feeds: the caller's secret feed address for a team or a board.

use porchlight_api::calendar::{CalendarFeedInfo, CalendarRequest};

use super::{Credentials, Method, Result, call};

/// The feed for `team` (one `board`, or all; only the caller's tasks with
/// `mine`); `rotate` replaces its secret. The answer's `path` is relative
/// to the relay; [`feed_url`] makes it whole.
pub async fn feed(
    creds: &Credentials,
    team: i64,
    board: Option<String>,
    mine: bool,
    rotate: bool,
) -> Result<CalendarFeedInfo> {
    let body = CalendarRequest {
        board,
        mine,
        rotate,
    };
    let path = format!("/api/teams/{team}/calendar");
    let token = Some(creds.token.as_str());
    call(Method::POST, &creds.endpoint()?, &path, token, Some(&body)).await
}

/// The feed's whole address on the relay the credentials sign in to.
pub fn feed_url(creds: &Credentials, feed: &CalendarFeedInfo) -> String {
    format!("{}{}", creds.relay.trim_end_matches('/'), feed.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_url_joins_the_relay_and_the_path() {
        let creds = Credentials {
            relay: "https://relay.example.com/".into(),
            token: "t".into(),
            email: String::new(),
            trust: Default::default(),
        };
        let feed = CalendarFeedInfo {
            path: "/ical/ab12.ics".into(),
            board: None,
            mine: false,
        };
        assert_eq!(
            feed_url(&creds, &feed),
            "https://relay.example.com/ical/ab12.ics"
        );
    }
}
