use super::{NewMlsConnection, report_folder, source_from_form};
use crate::error::AppError;

#[test]
fn the_form_fills_the_clis_defaults_and_keeps_each_kind_to_its_fields() {
    let reso = source_from_form(&NewMlsConnection {
        name: " coast ".into(),
        kind: "RESO".into(),
        url: "https://api.example.com/odata/".into(),
        token_url: "https://api.example.com/token".into(),
        client_id: " porchlight ".into(),
        media: true,
        select: "core, Pool".into(),
        user: "ignored".into(),
        secret: "s".into(),
        ..NewMlsConnection::default()
    })
    .expect("reso");
    assert_eq!(reso.name, "coast");
    assert_eq!(reso.url, "https://api.example.com/odata");
    assert_eq!(reso.resource, "Property");
    assert_eq!(reso.client_id.as_deref(), Some("porchlight"));
    assert_eq!(reso.page_size, 200);
    assert!(reso.expand_media && reso.rets.is_none());
    assert_eq!(reso.select.last().map(String::as_str), Some("Pool"));
    assert!(reso.select.len() > 10);
    reso.validate().expect("valid");

    let rets = source_from_form(&NewMlsConnection {
        name: "metro".into(),
        kind: "RETS".into(),
        url: "https://rets.example.com/login".into(),
        token_url: "https://ignored".into(),
        media: true,
        user: " maria ".into(),
        ua_password: "ua".into(),
        secret: "pw".into(),
        ..NewMlsConnection::default()
    })
    .expect("rets");
    let settings = rets.rets.clone().expect("rets settings");
    assert_eq!(settings.username, "maria");
    assert_eq!(settings.class, "RES");
    assert_eq!(settings.user_agent, "Porchlight/0.1");
    assert_eq!(settings.version, "RETS/1.7.2");
    assert!(settings.ua_password);
    assert_eq!(rets.page_size, 500);
    assert!(rets.token_url.is_none() && !rets.expand_media);
    rets.validate().expect("valid");

    let wrong = source_from_form(&NewMlsConnection {
        kind: "FTP".into(),
        ..NewMlsConnection::default()
    });
    assert!(matches!(wrong, Err(AppError::Invalid(m)) if m.contains("RESO Web API or RETS")));
}

#[test]
fn reports_go_to_downloads_made_if_missing_else_to_the_profile() {
    let home = tempfile::tempdir().expect("dir");
    let downloads = home.path().join("Downloads");
    assert_eq!(
        report_folder(Some(downloads.clone()), home.path()).expect("folder"),
        downloads
    );
    assert!(downloads.is_dir());
    // A Downloads path that cannot be made (under a file).
    let file = home.path().join("file");
    std::fs::write(&file, "x").expect("file");
    let profile = home.path().join("profile");
    let folder = report_folder(Some(file.join("Downloads")), &profile).expect("fallback");
    assert_eq!(folder, profile.join("reports"));
    assert!(folder.is_dir());
    assert_eq!(
        report_folder(None, &profile).expect("none"),
        profile.join("reports")
    );
}
