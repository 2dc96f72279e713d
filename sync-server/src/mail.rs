//! Email from the relay (invites, password resets, the daily digest), through the SMTP
//! server `--smtp` names, with lettre and rustls: `smtps://` is TLS from
//! the first byte, `smtp://` requires STARTTLS (a server that does not
//! offer it gets no password and no mail), except to this machine, where
//! STARTTLS is used when offered. The system's roots and
//! `PORCHLIGHT_CA_FILE` decide whom to trust. Every message has a plain
//! text and an HTML part, each from its template here.

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

/// How long one message may take to send.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The relay's way out for email.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The relay's public address, for links.
    pub public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// One message: subject, plain text and HTML, and for mail people can
/// stop (the digest) the address of its one-click unsubscribe (RFC 8058).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe: Option<String>,
}

impl Mailer {
    /// The mailer `config` asks for; `None` without `--smtp`.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.smtp else {
            return Ok(None);
        };
        let parsed = reqwest::Url::parse(&url.0)
            .map_err(|e| anyhow::anyhow!("the SMTP URL cannot be read: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("the SMTP URL has no host"))?
            .trim_matches(['[', ']'])
            .to_string();
        let implicit = parsed.scheme() == "smtps";
        let port = parsed.port().unwrap_or(if implicit { 465 } else { 587 });
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let mut params = TlsParameters::builder(host.clone());
        if let Some(ca) = std::env::var_os(porchlight_net::tls::CA_FILE_ENV) {
            let pem = std::fs::read(&ca).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read PORCHLIGHT_CA_FILE {}: {e}",
                    std::path::Path::new(&ca).display()
                )
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                anyhow::anyhow!("PORCHLIGHT_CA_FILE holds no usable certificate: {e}")
            })?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| anyhow::anyhow!("email TLS settings: {e}"))?;
        let tls = if implicit {
            Tls::Wrapper(params)
        } else if loopback {
            Tls::Opportunistic(params)
        } else {
            Tls::Required(params)
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if !parsed.username().is_empty() {
            let decode = |s: &str| {
                percent_decode(s).map_err(|_| {
                    anyhow::anyhow!(
                        "the SMTP URL's user or password is not valid UTF-8 after %-decoding"
                    )
                })
            };
            builder = builder.credentials(Credentials::new(
                decode(parsed.username())?,
                decode(parsed.password().unwrap_or_default())?,
            ));
        }
        let from_text = config.mail_from.clone().unwrap_or_else(|| {
            format!(
                "Porchlight <porchlight@{}>",
                parsed.host_str().unwrap_or("localhost")
            )
        });
        let from: Mailbox = from_text.parse().map_err(|e| {
            anyhow::anyhow!("--mail-from '{from_text}' is not an address ({e}); e.g. \"Porchlight <relay@example.com>\"")
        })?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen))
            .trim_end_matches('/')
            .to_string();
        Ok(Some(Self {
            transport: builder.build(),
            from,
            public_url,
        }))
    }

    /// Sends `mail` to `to`; why not, in words.
    pub async fn send(&self, to: &str, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("'{to}' is not an email address ({e})"))?;
        // A Message-ID in the sender's domain (spam filters mark mail
        // without one; the machine's host name means nothing outside).
        let id = format!(
            "<{}@{}>",
            porchlight_model::ids::random_hex(16),
            self.from.email.domain()
        );
        let mut builder = Message::builder();
        if let Some(url) = &mail.unsubscribe {
            // Mail programs show an "Unsubscribe" button and POST
            // `List-Unsubscribe=One-Click` to the address (RFC 8058).
            builder = builder
                .raw_header(header::HeaderValue::new(
                    header::HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(header::HeaderValue::new(
                    header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        let message = builder
            .message_id(Some(id))
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(header::UserAgent::from("Porchlight relay".to_string()))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("the mail server refused or could not be reached: {e}"))
    }
}

fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len() + 1
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out)
}

/// Text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1d2433\">{body}<p style=\"color:#6b7280;font-size:12px\">Sent by the Porchlight relay.</p></body></html>"
    )
}

/// An invitation to a team.
pub fn invite(team: &str, inviter: &str, role: &str, code: &str, relay: &str, hours: i64) -> Mail {
    let command = format!("porchlight signup --relay {relay} --email YOUR_EMAIL --invite {code}");
    let join = format!("porchlight team join {code}");
    Mail {
        subject: format!("{inviter} invited you to {team} on Porchlight"),
        text: format!(
            "{inviter} invited you to the team \"{team}\" on Porchlight as {role}.\n\n\
             Your invite code: {code}\n\n\
             New to Porchlight? Sign up with the code:\n  {command}\n\
             Already have an account on this relay? Join with:\n  {join}\n\n\
             The code works for {hours} hours.\n"
        ),
        html: page(&format!(
            "<p><b>{}</b> invited you to the team <b>{}</b> on Porchlight as {}.</p>\
             <p>Your invite code: <code style=\"font-size:18px\">{}</code></p>\
             <p>New to Porchlight? Sign up with the code:<br><code>{}</code></p>\
             <p>Already have an account on this relay? Join with:<br><code>{}</code></p>\
             <p>The code works for {} hours.</p>",
            esc(inviter),
            esc(team),
            esc(role),
            esc(code),
            esc(&command),
            esc(&join),
            hours
        )),
        unsubscribe: None,
    }
}

/// A password-reset code.
pub fn reset(code: &str, relay: &str, minutes: i64) -> Mail {
    let command =
        format!("porchlight password-reset --relay {relay} --email YOUR_EMAIL --code {code}");
    Mail {
        subject: "Your Porchlight password reset code".into(),
        text: format!(
            "Someone (we hope you) asked to reset the password of your Porchlight account.\n\n\
             Your code: {code}\n\n\
             Set a new password with:\n  {command}\n\n\
             The code works once, for {minutes} minutes. Resetting signs out every device.\n\
             If you did not ask, ignore this message: your password stays as it is.\n"
        ),
        html: page(&format!(
            "<p>Someone (we hope you) asked to reset the password of your Porchlight account.</p>\
             <p>Your code: <code style=\"font-size:18px\">{}</code></p>\
             <p>Set a new password with:<br><code>{}</code></p>\
             <p>The code works once, for {} minutes. Resetting signs out every device.</p>\
             <p>If you did not ask, ignore this message: your password stays as it is.</p>",
            esc(code),
            esc(&command),
            minutes
        )),
        unsubscribe: None,
    }
}

/// A webhook given up on after a day of failed deliveries, for the
/// team's owners and admins.
pub fn webhook_disabled(team: &str, url: &str, error: &str, hook: i64) -> Mail {
    let command = format!("porchlight webhook log --team \"{team}\" {hook}");
    Mail {
        subject: format!("A webhook of {team} stopped: deliveries failed for a day"),
        text: format!(
            "Porchlight could not deliver events to a webhook of the team \"{team}\" for a day, \
             so it stopped sending to it.\n\n\
             Address: {url}\nLast error: {error}\n\n\
             See every attempt with:\n  {command}\n\
             Once the receiver works again, add the webhook again to resume.\n"
        ),
        html: page(&format!(
            "<p>Porchlight could not deliver events to a webhook of the team <b>{}</b> for a day, \
             so it stopped sending to it.</p>\
             <p>Address: <code>{}</code><br>Last error: {}</p>\
             <p>See every attempt with:<br><code>{}</code></p>\
             <p>Once the receiver works again, add the webhook again to resume.</p>",
            esc(team),
            esc(url),
            esc(error),
            esc(&command)
        )),
        unsubscribe: None,
    }
}

/// A teammate's `@name` mention of the reader in a comment.
pub fn mention(author: &str, title: &str, place: &str, text: &str) -> Mail {
    let off = "porchlight account mail --mentions off";
    Mail {
        subject: format!("{author} mentioned you on “{title}”"),
        text: format!(
            "{author} mentioned you in a comment on \"{title}\" ({place}):\n\n{text}\n\n\
             Reply in Porchlight; the comment is in your inbox there.\n\n\
             To stop these emails: {off} (or Settings → Email in the app).\n"
        ),
        html: page(&format!(
            "<p><b>{}</b> mentioned you in a comment on <b>{}</b> ({}):</p>\
             <blockquote style=\"border-left:3px solid #9a4d00;margin:0;padding-left:10px\">{}</blockquote>\
             <p>Reply in Porchlight; the comment is in your inbox there.</p>\
             <p style=\"color:#6b7280;font-size:12px\">To stop these emails: <code>{}</code> \
             (or Settings → Email in the app).</p>",
            esc(author),
            esc(title),
            esc(place),
            esc(text).replace('\n', "<br>"),
            esc(off)
        )),
        unsubscribe: None,
    }
}

/// A task in the daily digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    pub title: String,
    /// Where: "Team / Board".
    pub place: String,
    /// When, in the reader's zone: "today 15:00", "Mon 2 Dec".
    pub when: String,
    pub overdue: bool,
}

/// The daily digest: tasks assigned to `name` that are overdue or due
/// today (`items`, overdue ones first), with the link that stops it.
pub fn digest(name: &str, day: &str, items: &[DigestItem], unsubscribe: &str) -> Mail {
    let overdue = items.iter().filter(|i| i.overdue).count();
    let today = items.len() - overdue;
    let mut counts = Vec::new();
    if today > 0 {
        counts.push(format!("{today} due today"));
    }
    if overdue > 0 {
        counts.push(format!("{overdue} overdue"));
    }
    let counts = counts.join(", ");
    let section = |late: bool| -> (String, String) {
        let (mut text, mut html) = (String::new(), String::new());
        for i in items.iter().filter(|i| i.overdue == late) {
            text.push_str(&format!("  - {} ({}; {})\n", i.title, i.when, i.place));
            html.push_str(&format!(
                "<li><b>{}</b> <span style=\"color:#6b7280\">{} · {}</span></li>",
                esc(&i.title),
                esc(&i.when),
                esc(&i.place)
            ));
        }
        (text, html)
    };
    let (late_text, late_html) = section(true);
    let (today_text, today_html) = section(false);
    let mut text = format!("Good morning {name}. Your Porchlight tasks for {day}: {counts}.\n\n");
    let mut html = format!(
        "<p>Good morning {}. Your Porchlight tasks for {}: <b>{}</b>.</p>",
        esc(name),
        esc(day),
        esc(&counts)
    );
    if overdue > 0 {
        text.push_str(&format!("Overdue:\n{late_text}\n"));
        html.push_str(&format!("<h3>Overdue</h3><ul>{late_html}</ul>"));
    }
    if today > 0 {
        text.push_str(&format!("Due today:\n{today_text}\n"));
        html.push_str(&format!("<h3>Due today</h3><ul>{today_html}</ul>"));
    }
    text.push_str(&format!(
        "You get this digest on days when tasks are due. Stop it: {unsubscribe}\n\
         (or: porchlight account mail --digest off)\n"
    ));
    html.push_str(&format!(
        "<p style=\"color:#6b7280;font-size:12px\">You get this digest on days when tasks are due. \
         <a href=\"{}\">Unsubscribe</a> (or: <code>porchlight account mail --digest off</code>).</p>",
        esc(unsubscribe)
    ));
    Mail {
        subject: format!("Porchlight: {counts}"),
        text,
        html: page(&html),
        unsubscribe: Some(unsubscribe.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_what_people_typed_in_html_and_keep_it_in_text() {
        let m = invite(
            "<Oak> & Elm",
            "maria",
            "member",
            "ab12",
            "https://relay.example",
            72,
        );
        assert!(m.subject.contains("<Oak> & Elm"));
        assert!(m.text.contains("\"<Oak> & Elm\""));
        assert!(m.html.contains("&lt;Oak&gt; &amp; Elm"));
        assert!(!m.html.contains("<Oak>"));
        assert!(m.text.contains("--invite ab12"));
    }

    #[test]
    fn the_digest_lists_overdue_tasks_first_and_links_its_unsubscribe() {
        let item = |title: &str, overdue| DigestItem {
            title: title.into(),
            place: "Oak team / Listings".into(),
            when: "today 15:00".into(),
            overdue,
        };
        let m = digest(
            "maria",
            "Mon 7 Dec",
            &[item("Call <the> seller", false), item("Order signs", true)],
            "https://relay.example/api/unsubscribe/t0k",
        );
        assert_eq!(m.subject, "Porchlight: 1 due today, 1 overdue");
        let (late, today) = (
            m.text.find("Order signs").expect("overdue listed"),
            m.text.find("Call <the> seller").expect("today listed"),
        );
        assert!(late < today, "overdue first:\n{}", m.text);
        assert!(m.html.contains("Call &lt;the&gt; seller"));
        assert!(
            m.html
                .contains("href=\"https://relay.example/api/unsubscribe/t0k\"")
        );
        assert_eq!(
            m.unsubscribe.as_deref(),
            Some("https://relay.example/api/unsubscribe/t0k")
        );
    }

    #[test]
    fn percent_escapes_in_the_url_are_decoded() {
        assert_eq!(
            percent_decode("relay%40example.com").expect("utf8"),
            "relay@example.com"
        );
        assert_eq!(percent_decode("p%3Ass%25").expect("utf8"), "p:ss%");
        assert_eq!(percent_decode("plain").expect("utf8"), "plain");
    }
}
