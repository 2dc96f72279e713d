//! Least privilege, checked: every command the app registers is listed in
//! `app/commands.txt` (which makes its `allow-…` permission) and granted to
//! the main window, nothing else is granted, and no permission is a
//! wildcard or reaches the shell, the file system or HTTP.

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn registered_listed_and_granted_commands_are_the_same_set() {
    let listed: BTreeSet<String> = read("app/commands.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let lib = read("app/src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("generate_handler in lib.rs");
    let end = start + lib[start..].find(']').expect("end of generate_handler");
    let registered: BTreeSet<String> = lib[start + "generate_handler![".len()..end]
        .split(',')
        .filter_map(|p| p.trim().rsplit("::").next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(registered, listed, "lib.rs and app/commands.txt disagree");

    let caps: serde_json::Value =
        serde_json::from_str(&read("capabilities/default.json")).expect("capability json");
    let granted: Vec<String> = caps["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    let own: BTreeSet<String> = granted
        .iter()
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(
        own, listed,
        "capabilities/default.json does not grant exactly the app's commands"
    );
    for p in &granted {
        assert!(
            p.starts_with("allow-") || p.starts_with("core:event:"),
            "unexpected permission {p}"
        );
        assert!(
            !p.contains('*') && !p.ends_with(":default"),
            "broad permission {p}"
        );
    }
}
