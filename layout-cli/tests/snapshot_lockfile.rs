//! Layout lockfiles: `snapshot` records every struct per target; `report --baseline`
//! reports each change in words and fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout::target::{self, TargetInfo};
use layout_cli::snapshot::{self, Change, SnapshotArgs};

/// Relative on purpose: the lockfile records paths as given (cargo runs tests in the
/// package root).
const INTENT: &str = "tests/fixtures/fix/intent.rs";
const COMMENTS: &str = "tests/fixtures/fix/comments.rs";

fn rows(names: &[&str]) -> Vec<&'static TargetInfo> {
    names.iter().map(|n| target::find(n).unwrap()).collect()
}

fn args(paths: &[&str], targets: &[&str], all: bool, output: &Path) -> SnapshotArgs {
    SnapshotArgs {
        paths: paths.iter().map(PathBuf::from).collect(),
        targets: targets.iter().map(|t| t.to_string()).collect(),
        all_targets: all,
        output: output.to_path_buf(),
    }
}

fn words(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| format!("{}: {}\n", c.subject, c.message))
        .collect()
}

#[test]
fn lockfile_of_the_intent_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("layouts.json");
    let targets = ["x86_64-linux", "aarch64-macos"];
    let n = snapshot::run(&args(&[INTENT], &targets, false, &out)).unwrap();
    assert_eq!(n, 3 * 2);
    let text = std::fs::read_to_string(&out).unwrap();
    insta::assert_snapshot!(text);
    // Same source, same targets: no change.
    let a = layout_cli::analyze(&[PathBuf::from(INTENT)], &rows(&targets));
    assert_eq!(snapshot::compare(&out, &a).unwrap(), Vec::new());
    // Running it again writes the same bytes.
    snapshot::run(&args(&[INTENT], &targets, false, &out)).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}

#[test]
fn all_targets_records_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("layouts.json");
    let n = snapshot::run(&args(&["tests/fixtures/fix"], &[], true, &out)).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let entries = v["structs"].as_array().unwrap();
    assert_eq!(entries.len(), n);
    for t in target::TARGETS {
        let count = entries.iter().filter(|e| e["target"] == t.triple).count();
        // 4 + 2 + 3 + 8 structs in the four fixture files, on every target.
        assert_eq!(count, 17, "{} has {count} entries", t.triple);
    }
    let keys: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("path"), s("name"), s("target"))
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn changes_are_reported_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("layouts.json");
    let targets = ["x86_64-linux", "aarch64-macos"];
    let copy = dir.path().join("intent.rs");
    std::fs::copy(INTENT, &copy).unwrap();
    snapshot::run(&SnapshotArgs {
        paths: vec![copy.clone()],
        ..args(&[], &targets, false, &lock)
    })
    .unwrap();

    let text = std::fs::read_to_string(&copy).unwrap();
    let edited = text
        .replace(
            "    cached_tail: usize,",
            "    cached_tail: u32,\n    spare: u16,",
        )
        .replace("_gap: [u8; 64]", "_gap: [u8; 72]")
        .replace("    waiters: u32,\n", "    waiters: u64,\n");
    assert_ne!(edited, text);
    std::fs::write(&copy, edited).unwrap();
    let a = layout_cli::analyze(&[copy], &rows(&targets));
    insta::assert_snapshot!(words(&snapshot::compare(&lock, &a).unwrap()));
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_layout-cli"))
}

#[test]
fn report_with_a_baseline_fails_on_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("layouts.json");
    let copy = dir.path().join("comments.rs");
    std::fs::copy(COMMENTS, &copy).unwrap();
    let a = layout_cli::analyze(std::slice::from_ref(&copy), &rows(&["x86_64-linux"]));
    snapshot::write(&lock, &a).unwrap();

    let report = || {
        bin()
            .args([
                "report",
                "--target",
                "x86_64-linux",
                "--color",
                "never",
                "--baseline",
            ])
            .arg(&lock)
            .arg(&copy)
            .output()
            .unwrap()
    };
    let same = report();
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );

    let text = std::fs::read_to_string(&copy).unwrap();
    std::fs::write(&copy, text.replace("    id: u16,", "    id: u64,")).unwrap();
    let changed = report();
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert_eq!(changed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("field `id` grew 2 -> 8 bytes"), "{stderr}");
}

#[test]
fn unknown_targets_and_bad_inputs_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("layouts.json");
    let e = snapshot::run(&args(&[INTENT], &["no-such-target"], false, &out)).unwrap_err();
    assert!(e.message.contains("unknown target"));
    let bad = dir.path().join("bad.rs");
    std::fs::write(&bad, "struct {").unwrap();
    let e = snapshot::run(&SnapshotArgs {
        paths: vec![bad],
        ..args(&[], &[], false, &out)
    })
    .unwrap_err();
    assert!(e.message.contains("no lockfile written"), "{e:?}");
    assert!(!out.exists());
}

/// `report --baseline LOCK FILE` through the binary: (exit code, stdout, stderr).
fn report_against(lock: &Path, file: &Path) -> (Option<i32>, String, String) {
    let out = bin()
        .args(["report", "--target", "x86_64-linux", "--color", "never"])
        .arg("--baseline")
        .arg(lock)
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A generated crate file with two structs and its lockfile, as `snapshot` writes it.
fn two_structs(dir: &Path) -> (PathBuf, PathBuf) {
    let file = dir.join("two.rs");
    std::fs::write(
        &file,
        "pub struct First { a: u8, b: u64 }\npub struct Second { c: u32 }\n",
    )
    .unwrap();
    let lock = dir.join("layouts.json");
    let a = layout_cli::analyze(std::slice::from_ref(&file), &rows(&["x86_64-linux"]));
    assert_eq!(snapshot::write(&lock, &a).unwrap(), 2);
    (file, lock)
}

#[test]
fn a_lockfile_saved_with_a_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (file, lock) = two_structs(dir.path());
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, format!("\u{feff}{text}")).unwrap();
    let (code, out, err) = report_against(&lock, &file);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("First") && out.contains("Second"), "{out}");
    assert!(!err.contains("error"), "{err}");
    // And a change is still seen through it.
    std::fs::write(
        &file,
        "pub struct First { a: u8, b: u64 }\npub struct Second { c: u64 }\n",
    )
    .unwrap();
    let (code, _, err) = report_against(&lock, &file);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "layout changed: crate::two::Second on x86_64-unknown-linux-gnu: size 4 -> 8 bytes"
        ),
        "{err}"
    );
}

#[test]
fn a_lockfile_with_a_repeated_entry_or_field_is_an_error_not_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let (file, lock) = two_structs(dir.path());
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    let structs = v["structs"].as_array_mut().unwrap();
    let dup = structs[0].clone();
    structs.push(dup);
    std::fs::write(&lock, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, out, err) = report_against(&lock, &file);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is listed twice"), "{err}");
    assert!(
        !err.contains("struct added") && !err.contains("struct removed"),
        "{err}"
    );
    // The report itself is still printed, for every struct.
    assert!(out.contains("First") && out.contains("Second"), "{out}");

    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("layouts.json")).unwrap())
            .unwrap();
    v["structs"].as_array_mut().unwrap().pop();
    let field = v["structs"][0]["fields"][0].clone();
    v["structs"][0]["fields"]
        .as_array_mut()
        .unwrap()
        .push(field);
    std::fs::write(&lock, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, out, err) = report_against(&lock, &file);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("lists field `a` twice"), "{err}");
    assert!(out.contains("First") && out.contains("Second"), "{out}");
}
