//! The core's typed team API (what the app's team page calls), against a
//! real relay on port 0: list teams and members, invite, change roles,
//! remove — and the relay's refusals come back as plain messages.

use porchlight_client::api::accounts::{LoginRequest, SignupRequest};
use porchlight_client::api::team::Role;
use porchlight_client::{self as client, ClientError, Credentials, teams};

async fn start_relay() -> (String, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("relay dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let relay =
        porchlight_relay::Relay::start(porchlight_relay::Config::for_dir(dir.path().to_path_buf()))
            .await
            .expect("relay");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = relay
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    (url, stop, dir)
}

async fn account(url: &str, email: &str, invite: Option<&str>) -> Credentials {
    let relay = client::Endpoint::new(url, client::Trust::default()).expect("endpoint");
    let url = &relay;
    let password = "a long enough password";
    let signup = SignupRequest {
        email: email.into(),
        password: password.into(),
        name: None,
        invite: invite.map(str::to_string),
    };
    client::signup(url, &signup).await.expect("signup");
    let login = LoginRequest {
        email: email.into(),
        password: password.into(),
        device: Some("test".into()),
    };
    let login = client::login(url, &login).await.expect("login");
    Credentials {
        relay: url.base.clone(),
        token: login.token,
        email: email.to_string(),
        trust: client::Trust::default(),
    }
}

#[tokio::test]
async fn an_owner_manages_the_team_and_a_member_cannot() {
    let (url, stop, _dir) = start_relay().await;
    let owner = account(&url, "owner@example.com", None).await;
    let team = teams::create_team(&owner, "Oak St team")
        .await
        .expect("team")
        .id;

    let mine = teams::teams(&owner).await.expect("teams");
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].name.as_str(), mine[0].role),
        ("Oak St team", Role::Owner)
    );

    let invite = teams::invite(&owner, team, Role::Member, None)
        .await
        .expect("invite");
    assert_eq!(invite.role, Role::Member);
    let in_72h = chrono::Utc::now().timestamp_millis() + 72 * 3_600_000;
    assert!((invite.expires_at - in_72h).abs() < 60_000, "{invite:?}");
    let short = teams::invite(&owner, team, Role::Viewer, Some(1))
        .await
        .expect("invite");
    assert!(short.expires_at < invite.expires_at);

    let member = account(&url, "member@example.com", Some(&invite.code)).await;
    let people = teams::members(&owner, team).await.expect("members");
    let mut roles: Vec<(&str, Role)> = people.iter().map(|m| (m.email.as_str(), m.role)).collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            ("member@example.com", Role::Member),
            ("owner@example.com", Role::Owner)
        ]
    );
    let owner_id = account_of(&owner, team, "owner@example.com").await;
    let member_id = account_of(&owner, team, "member@example.com").await;

    teams::set_role(&owner, team, member_id, Role::Viewer)
        .await
        .expect("set role");
    let people = teams::members(&owner, team).await.expect("members");
    let changed = people.iter().find(|m| m.account == member_id);
    assert_eq!(changed.map(|m| m.role), Some(Role::Viewer));

    // A viewer may not change roles or invite; the relay says so.
    let refused = teams::set_role(&member, team, owner_id, Role::Viewer).await;
    assert!(
        matches!(&refused, Err(ClientError::Usage(m)) if !m.is_empty()),
        "{refused:?}"
    );
    assert!(
        teams::invite(&member, team, Role::Member, None)
            .await
            .is_err()
    );
    // Someone removed from the team can no longer ask about it.
    let former = account(&url, "former@example.com", Some(&short.code)).await;
    assert_eq!(
        teams::members(&former, team).await.expect("members").len(),
        3
    );
    let former_id = account_of(&owner, team, "former@example.com").await;
    teams::remove_member(&owner, team, former_id)
        .await
        .expect("remove");
    assert!(teams::members(&former, team).await.is_err());

    teams::remove_member(&owner, team, member_id)
        .await
        .expect("remove");
    assert_eq!(
        teams::members(&owner, team).await.expect("members").len(),
        1
    );
    // Removing someone who is not there is an error, not a silent success.
    assert!(teams::remove_member(&owner, team, member_id).await.is_err());

    // A revoked or made-up token: the user must sign in again.
    let bogus = Credentials {
        token: "not-a-token".into(),
        ..owner.clone()
    };
    let e = teams::teams(&bogus).await.expect_err("refused");
    assert!(e.is_user_error(), "{e}");
    let _ = stop.send(());
}

async fn account_of(owner: &Credentials, team: i64, email: &str) -> i64 {
    teams::members(owner, team)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.email == email)
        .map(|m| m.account)
        .expect("joined by invite")
}
