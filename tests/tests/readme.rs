//! The README's Rust snippets compile as written in a crate of a new
//! user's: outside this workspace, depending on the library crates by path
//! the way the README says, with only the imports each snippet shows.
//!
//! Each ```rust block of README.md becomes a module of a fresh crate in a
//! temporary directory, which `cargo check` builds with this workspace's
//! lock file (so the same versions, from the local cache) into a target
//! directory kept under `target/`, so that later runs only check.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Rust blocks of `readme`, in order.
fn snippets(readme: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```rust") => current = Some(String::new()),
            Some(_) if line.trim_start().starts_with("```") => {
                snippets.extend(current.take());
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    snippets
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_path_buf()
}

/// What a user's Cargo.toml holds after following the README: the library
/// crates by path, sqlx, tokio, and what the axum snippet uses.
fn manifest(root: &Path) -> String {
    let path = |krate: &str| root.join(krate).display().to_string();
    format!(
        r#"[package]
name = "readme-snippets"
version = "0.0.0"
edition = "2024"
publish = false

# Not a member of the tenancy workspace: a crate of its own.
[workspace]

[dependencies]
tenancy-core = {{ path = "{core}", features = ["sqlite"] }}
tenancy-access = {{ path = "{access}", features = ["sqlite"] }}
tenancy-axum = {{ path = "{axum_crate}" }}
sqlx = {{ version = "0.9", default-features = false, features = ["sqlite", "runtime-tokio"] }}
tokio = {{ version = "1", features = ["full"] }}
axum = "0.8"
serde = {{ version = "1", features = ["derive"] }}
"#,
        core = path("tenancy-core"),
        access = path("tenancy-access"),
        axum_crate = path("tenancy-axum"),
    )
}

#[test]
fn the_readme_snippets_compile_in_a_crate_outside_the_workspace() {
    let root = workspace();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let snippets = snippets(&readme);
    assert!(
        snippets.len() >= 4,
        "the README has {} Rust blocks",
        snippets.len()
    );

    let dir = tempfile::tempdir().expect("a temporary directory");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("src/");
    std::fs::write(dir.path().join("Cargo.toml"), manifest(&root)).expect("Cargo.toml");
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("Cargo.lock");
    let mut lib =
        String::from("//! The README's snippets, one module each.\n#![allow(dead_code, unused)]\n");
    for (n, snippet) in snippets.iter().enumerate() {
        std::fs::write(src.join(format!("snippet_{n}.rs")), snippet).expect("a snippet");
        lib.push_str(&format!("mod snippet_{n};\n"));
    }
    std::fs::write(src.join("lib.rs"), lib).expect("lib.rs");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .arg("check")
        .arg("--quiet")
        .arg("--offline")
        .arg("--manifest-path")
        .arg(dir.path().join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            root.join("target").join("readme-snippets"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo check");
    assert!(
        output.status.success(),
        "the README's snippets do not compile outside the workspace:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
