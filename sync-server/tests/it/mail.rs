//! Email: invites and password resets through a real SMTP server on
//! loopback (aiosmtpd, started by the test), read back by Python's email
//! package: headers, both parts, the code and the commands in them.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestRelay, interop_python};
use serde_json::{Value, json};

/// aiosmtpd on a free port, writing what it receives to a Maildir.
pub struct Smtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn smtp() -> Smtp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let maildir = tempfile::tempdir().expect("maildir");
    let mut child = Command::new(interop_python())
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd");
    let mut ready = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on {port}");
    }
    Smtp {
        child,
        port,
        maildir,
    }
}

impl Smtp {
    /// Every message received, as Python's email package reads it.
    pub fn messages(&self) -> Vec<Value> {
        let dir = self.maildir.path().join("mail");
        if !dir.exists() {
            return vec![];
        }
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/mail/read_mail.py");
        let out = Command::new(interop_python())
            .arg(script)
            .arg(&dir)
            .output()
            .expect("read_mail");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("json")
    }

    pub async fn wait_for(&self, to: &str) -> Value {
        for _ in 0..100 {
            if let Some(m) = self.messages().into_iter().rev().find(|m| m["to"] == to) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no mail to {to}: {:?}", self.messages());
    }
}

pub async fn relay_with_mail(smtp: &Smtp, dir: &std::path::Path) -> TestRelay {
    relay_with_mail_and(smtp, dir, |_| {}).await
}

/// [`relay_with_mail`], with more settings.
pub async fn relay_with_mail_and(
    smtp: &Smtp,
    dir: &std::path::Path,
    adjust: impl FnOnce(&mut porchlight_relay::Config),
) -> TestRelay {
    let port = smtp.port;
    TestRelay::start_with(dir, move |c| {
        c.smtp = Some(porchlight_relay::config::SmtpUrl(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.mail_from = Some("Porchlight <relay@oak.example>".into());
        c.public_url = Some("https://relay.oak.example".into());
        adjust(c);
    })
    .await
}

#[tokio::test]
async fn an_invite_is_emailed_with_both_parts_and_the_code() {
    let smtp = smtp().await;
    let dir = tempfile::tempdir().expect("dir");
    let relay = relay_with_mail(&smtp, dir.path()).await;
    let owner = relay.account("maria@oak.example", None).await;
    let (_, t) = relay
        .post(
            "/api/teams",
            Some(&owner),
            json!({ "name": "Oak <St> & Co" }),
        )
        .await;
    let team = t["id"].as_i64().expect("id");
    let (s, inv) = relay
        .post(
            &format!("/api/teams/{team}/invites"),
            Some(&owner),
            json!({ "role": "member", "email": "joe@oak.example" }),
        )
        .await;
    assert_eq!(s, 200, "{inv}");
    assert_eq!(inv["emailed"], true, "{inv}");
    let code = inv["code"].as_str().expect("code");
    let m = smtp.wait_for("joe@oak.example").await;
    assert_eq!(m["from"], "Porchlight <relay@oak.example>");
    assert_eq!(
        m["subject"],
        "maria invited you to Oak <St> & Co on Porchlight"
    );
    assert_eq!(m["content_type"], "multipart/alternative");
    assert!(
        m["message_id"].as_str().is_some_and(|id| id.contains('@')),
        "{m}"
    );
    assert!(!m["date"].as_str().unwrap_or_default().is_empty());
    let text = m["text"].as_str().expect("text part");
    let html = m["html"].as_str().expect("html part");
    assert!(text.contains(code) && html.contains(code));
    assert!(
        text.contains(&format!(
            "porchlight signup --relay https://relay.oak.example --email YOUR_EMAIL --invite {code}"
        )),
        "{text}"
    );
    assert!(html.contains("Oak &lt;St&gt; &amp; Co"), "{html}");
    assert!(!html.contains("<St>"), "{html}");

    // The code works for the person who got it.
    relay.account("joe@oak.example", Some(code)).await;

    // An invite to a bad address: the code is still made, the reason said.
    let (s, inv) = relay
        .post(
            &format!("/api/teams/{team}/invites"),
            Some(&owner),
            json!({ "role": "viewer", "email": "not an address" }),
        )
        .await;
    assert_eq!(s, 200, "{inv}");
    assert_eq!(inv["emailed"], false);
    assert!(
        inv["email_error"]
            .as_str()
            .is_some_and(|e| e.contains("not an email address")),
        "{inv}"
    );
}

#[tokio::test]
async fn a_password_is_reset_with_an_emailed_code_once() {
    let smtp = smtp().await;
    let dir = tempfile::tempdir().expect("dir");
    let relay = relay_with_mail(&smtp, dir.path()).await;
    let token = relay.account("ana@oak.example", None).await;
    // An unknown email gets the same answer, and no mail.
    let (s, body) = relay
        .post(
            "/api/password-reset",
            None,
            json!({ "email": "nobody@oak.example" }),
        )
        .await;
    assert_eq!((s, body), (200, json!(true)));
    let (s, _) = relay
        .post(
            "/api/password-reset",
            None,
            json!({ "email": "ana@oak.example" }),
        )
        .await;
    assert_eq!(s, 200);
    let m = smtp.wait_for("ana@oak.example").await;
    assert_eq!(m["subject"], "Your Porchlight password reset code");
    let text = m["text"].as_str().expect("text");
    assert!(m["html"].as_str().is_some());
    let code = text
        .lines()
        .find_map(|l| l.strip_prefix("Your code: "))
        .expect("the code")
        .to_string();
    assert!(text.contains("--code"), "{text}");
    assert_eq!(
        smtp.messages().len(),
        1,
        "mail for an unknown email was sent"
    );

    // A wrong code, then the right one; it works once.
    let (s, _) = relay
        .post("/api/password-reset/confirm", None, json!({ "email": "ana@oak.example", "code": "00000-00000", "password": "new horse battery" }))
        .await;
    assert_eq!(s, 400);
    let (s, body) = relay
        .post(
            "/api/password-reset/confirm",
            None,
            json!({ "email": "ana@oak.example", "code": code, "password": "new horse battery" }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = relay
        .post(
            "/api/password-reset/confirm",
            None,
            json!({ "email": "ana@oak.example", "code": code, "password": "another one here" }),
        )
        .await;
    assert_eq!(s, 400, "a code worked twice");
    // Every device is signed out; the new password works, the old does not.
    let (s, _) = relay
        .call(reqwest::Method::GET, "/api/me", Some(&token), None)
        .await;
    assert_eq!(s, 401);
    let (s, _) = relay
        .post(
            "/api/login",
            None,
            json!({ "email": "ana@oak.example", "password": "new horse battery" }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = relay
        .post(
            "/api/login",
            None,
            json!({ "email": "ana@oak.example", "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn without_smtp_the_relay_says_it_sends_no_email() {
    let relay = TestRelay::start().await;
    let owner = relay.account("maria@oak.example", None).await;
    let (s, body) = relay
        .post(
            "/api/password-reset",
            None,
            json!({ "email": "maria@oak.example" }),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("--smtp")),
        "{body}"
    );
    let (_, t) = relay
        .post("/api/teams", Some(&owner), json!({ "name": "Oak" }))
        .await;
    let (s, inv) = relay
        .post(
            &format!("/api/teams/{}/invites", t["id"]),
            Some(&owner),
            json!({ "role": "member", "email": "joe@oak.example" }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(inv["emailed"], false);
    assert!(
        inv["email_error"]
            .as_str()
            .is_some_and(|e| e.contains("--smtp")),
        "{inv}"
    );
}

#[tokio::test]
async fn the_owners_and_admins_are_told_when_a_webhook_is_given_up() {
    let smtp = smtp().await;
    let dir = tempfile::tempdir().expect("dir");
    let relay = relay_with_mail_and(&smtp, dir.path(), |c| {
        c.limits.webhook_private_targets = true;
    })
    .await;
    let t = common::team(&relay).await;
    let (s, made) = relay
        .post(
            &format!("/api/teams/{}/webhooks", t.id),
            Some(&t.owner),
            json!({ "url": "http://127.0.0.1:9/hook" }),
        )
        .await;
    assert_eq!(s, 200, "{made}");
    let state = relay.state();
    let hook = state
        .store
        .webhooks(t.id)
        .await
        .expect("hooks")
        .into_iter()
        .next()
        .expect("the hook");
    let d = porchlight_relay::store::Delivery {
        id: 1,
        hook,
        event_id: "msg_1".into(),
        event: "task.created".into(),
        body: "{}".into(),
        attempts: 30,
        created_at: 0,
    };
    porchlight_relay::webhooks::tell_admins(
        &state.store,
        state.mailer.as_ref().expect("mailer"),
        &d,
        "cannot connect",
    )
    .await;
    let m = smtp.wait_for("owner@example.com").await;
    assert_eq!(
        m["subject"],
        "A webhook of Oak St team stopped: deliveries failed for a day"
    );
    let text = m["text"].as_str().expect("text");
    assert!(
        text.contains("http://127.0.0.1:9/hook") && text.contains("cannot connect"),
        "{text}"
    );
    assert!(
        text.contains("porchlight webhook log --team \"Oak St team\""),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to: Vec<Value> = smtp
        .messages()
        .into_iter()
        .map(|m| m["to"].clone())
        .collect();
    assert_eq!(to, ["owner@example.com"], "only owners and admins");
}
