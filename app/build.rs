//! tauri-build reads `tauri.conf.json` and `capabilities/` from its working
//! directory; both live at the repository root (see docs/ARCHITECTURE.md).

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Err(e) = std::env::set_current_dir(&root) {
        panic!("cannot enter the repository root {}: {e}", root.display());
    }
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../capabilities");
    // AppManifest keeps the list for the rest of the build script.
    let commands: &'static [&'static str] = Box::leak(porchlight_commands().into_boxed_slice());
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}

/// Every command the UI may call; each gets an `allow-…` permission that
/// `capabilities/default.json` grants to the main window, and nothing else
/// is reachable.
fn porchlight_commands() -> Vec<&'static str> {
    include_str!("commands.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}
