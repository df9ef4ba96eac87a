//! `fix --dry-run` on fixtures with comments, attributes and cfgs: the proposed diffs
//! (insta snapshots, reviewed), and the file is not touched.

use std::path::{Path, PathBuf};

use layout_cli::fix::{self, FixArgs, FixOutcome};

const TARGETS: [&str; 4] = [
    "x86_64-linux",
    "aarch64-macos",
    "x86_64-windows-msvc",
    "i686-linux",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fix")
        .join(name)
}

/// Copies the fixture into a fresh dir and runs fix there.
fn dry_run(name: &str, all: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::copy(fixture(name), &file).unwrap();
    let before = std::fs::read(&file).unwrap();
    let out = fix::run(&FixArgs {
        paths: vec![file.clone()],
        targets: TARGETS.map(String::from).to_vec(),
        dry_run: true,
        all,
    });
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "--dry-run wrote the file"
    );
    assert!(out.changed.is_empty());
    render(&out, dir.path())
}

fn render(out: &FixOutcome, dir: &Path) -> String {
    let mut s = out.diff.clone();
    s.push_str("--- notes\n");
    for n in &out.notes {
        s.push_str(n);
        s.push('\n');
    }
    for e in &out.errors {
        s.push_str(&format!("error: {}: {}\n", e.file.display(), e.message));
    }
    s.replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn comments_and_attributes_move_with_their_fields() {
    insta::assert_snapshot!(dry_run("comments.rs", false));
}

#[test]
fn cfg_fields_are_ordered_for_every_target() {
    insta::assert_snapshot!(dry_run("cfgs.rs", false));
}

#[test]
fn intent_is_kept() {
    insta::assert_snapshot!(dry_run("intent.rs", false));
}

#[test]
fn what_is_left_alone() {
    insta::assert_snapshot!(dry_run("skipped.rs", false));
}

#[test]
fn all_includes_unannotated_repr_c() {
    let s = dry_run("skipped.rs", true);
    assert!(s.contains("FfiHeader: reordered"), "{s}");
    insta::assert_snapshot!(s);
}
