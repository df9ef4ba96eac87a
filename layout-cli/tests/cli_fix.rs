//! `layout-cli fix` through the binary: main's wiring of diff, notes, errors, exit code.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report"))
        .output()
        .expect("run layout-cli");
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let before = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/src/lib.rs"),
    )
    .unwrap();
    let (code, out, err) = run(&["fix", "src/lib.rs", "--dry-run", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("--- src/lib.rs\n+++ src/lib.rs\n"), "{out}");
    assert!(out.contains("+    pub c: u8,\n") && out.contains("-    pub c: u8,\n"));
    assert!(err.contains("note: ") && err.contains("Waste"), "{err}");
    let after = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/src/lib.rs"),
    )
    .unwrap();
    assert_eq!(before, after);
}

#[test]
fn errors_and_bad_targets_exit_two() {
    let (code, _, err) = run(&["fix", "missing.rs", "--dry-run"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.rs: error:"), "{err}");
    let (code, out, err) = run(&["fix", "src/lib.rs", "--dry-run", "--target", "mips"]);
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("unknown target `mips`"));
}

#[test]
fn help_says_what_happens_to_links_modes_owners_and_acls() {
    let (code, out, _) = run(&["fix", "--help"]);
    assert_eq!(code, 0);
    for words in [
        "a symlink is written through to its target and stays a link",
        "several hard links",
        "read-only by its mode bits (e.g. 0444, even for root)",
        "owner, group and mode are kept",
        "Extended attributes and ACLs are copied on Linux",
        "On Windows hard links are not detected",
        "drop order",
    ] {
        assert!(out.contains(words), "--help lacks {words:?}:\n{out}");
    }
}
