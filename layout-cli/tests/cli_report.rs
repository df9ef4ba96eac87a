//! Snapshot tests of the real `layout-cli report` binary on the fixture crate in
//! `tests/fixtures/report`: grouped text, JSON and SARIF, with exit codes, colour off
//! and paths relative to the fixture. The JSON is also read back into typed values.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_cli::render::json::Document;

const FOUR: [&str; 8] = [
    "--target",
    "x86_64-unknown-linux-gnu",
    "--target",
    "aarch64-unknown-linux-gnu",
    "--target",
    "x86_64-pc-windows-msvc",
    "--target",
    "aarch64-apple-darwin",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit code and both streams, for a snapshot.
    fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run(args: &[&str]) -> Run {
    run_env(args, &[])
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layout-cli"));
    cmd.args(args).current_dir(fixture()).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run layout-cli");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn report(extra: &[&str]) -> Run {
    let mut args = vec!["report", "."];
    args.extend(FOUR);
    args.extend(["--color", "never"]);
    args.extend(extra);
    run(&args)
}

#[test]
fn text_four_targets() {
    let r = report(&[]);
    insta::assert_snapshot!("text_four_targets", r.transcript());
    assert_eq!(
        r.code, 1,
        "errors in the fixture fail the default --deny error"
    );
    assert!(!r.stdout.contains('\x1b'), "no colour with --color never");
}

#[test]
fn json_four_targets() {
    let r = report(&["--format", "json"]);
    insta::assert_snapshot!("json_four_targets", r.transcript());
    assert_eq!(r.code, 1);
    let doc: Document = serde_json::from_str(&r.stdout).expect("schema-2 document");
    assert_eq!(doc.schema, 2);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let find = |name: &str, target: &str| {
        doc.structs
            .iter()
            .find(|s| s.name == name && s.target == target)
            .unwrap_or_else(|| panic!("{name} on {target} missing"))
    };
    let x86 = "x86_64-unknown-linux-gnu";
    let arm = "aarch64-unknown-linux-gnu";
    let win = "x86_64-pc-windows-msvc";
    let mac = "aarch64-apple-darwin";
    // Every struct is there once per target.
    for name in [
        "Waste",
        "Reordered",
        "Tuple",
        "Unit",
        "Ring",
        "FastState",
        "Crowded",
        "Pair",
        "Straddle",
        "Budget",
        "Unstable",
        "Stats",
        "Foreign",
        "PerTarget",
    ] {
        for t in [x86, arm, win, mac] {
            let n = doc
                .structs
                .iter()
                .filter(|s| s.name == name && s.target == t)
                .count();
            assert_eq!(n, 1, "{name} on {t}");
        }
    }

    let w = find("Waste", x86);
    assert_eq!(
        (w.size, w.align, w.padding, w.optimal_size),
        (Some(24), Some(8), Some(14), Some(16))
    );
    assert_eq!(w.repr, "C");
    assert_eq!(w.file, "src/lib.rs");
    let offsets: Vec<_> = w
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect();
    assert_eq!(offsets, [("a", Some(0)), ("b", Some(8)), ("c", Some(16))]);
    assert_eq!(w.diagnostics.len(), 1);
    assert_eq!(w.diagnostics[0].code, "padding-waste");
    assert_eq!(w.diagnostics[0].severity, "warning");

    // repr(Rust): declaration order in the document, rustc's offsets, no finding.
    let r = find("Reordered", x86);
    let offsets: Vec<_> = r
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect();
    assert_eq!(offsets, [("a", Some(8)), ("b", Some(0)), ("c", Some(9))]);
    assert_eq!((r.size, r.padding), (Some(16), Some(6)));
    assert!(r.diagnostics.is_empty());

    let t = find("Tuple", x86);
    assert_eq!(
        t.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["0", "1"]
    );
    assert_eq!((t.size, t.fields[1].offset), (Some(8), Some(4)));
    assert_eq!(
        (find("Unit", x86).size, find("Unit", x86).align),
        (Some(0), Some(1))
    );

    let ring = find("Ring", x86);
    let codes: Vec<_> = ring
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.field.as_deref()))
        .collect();
    assert_eq!(
        codes,
        [
            ("size-mismatch", None),
            ("wrong-line", Some("tail")),
            ("false-sharing", Some("tail")),
            ("unaligned-base", None),
        ]
    );
    assert_eq!(ring.size, Some(48));

    let fast = find("FastState", mac);
    assert!(
        fast.diagnostics.iter().any(|d| d.code == "wrong-line"),
        "line 1 of 128-byte lines is offset 128"
    );
    assert!(find("FastState", x86).diagnostics.is_empty());
    assert_eq!(find("FastState", x86).size, Some(128));

    let codes = |s: &layout_cli::render::json::Struct| -> Vec<String> {
        s.diagnostics.iter().map(|d| d.code.clone()).collect()
    };
    assert_eq!(
        codes(find("Crowded", x86)),
        ["not-isolated", "unaligned-base"]
    );
    assert_eq!(codes(find("Pair", x86)), ["adjacent-line"]);
    assert_eq!(codes(find("Pair", mac)), ["false-sharing"]);
    assert_eq!(
        codes(find("Straddle", x86)),
        ["line-straddle", "not-isolated"]
    );
    assert_eq!(
        codes(find("Budget", x86)),
        ["align-mismatch", "padding-budget", "offset-mismatch"]
    );
    assert_eq!(
        codes(find("Unstable", x86)),
        ["unaligned-base", "unstable-padding"]
    );
    assert_eq!(codes(find("Stats", x86)), ["possible-false-sharing"]);

    let f = find("Foreign", x86);
    assert_eq!(
        (f.size, f.align, f.padding, f.optimal_size),
        (None, None, None, None)
    );
    assert_eq!(f.fields[0].size, Some(4));
    assert_eq!(f.fields[1].size, None);
    // It states intent (#[layout]) that the report cannot check: that is a finding.
    assert_eq!(codes(f), ["unknown-layout"]);

    // cfg'd fields: absent where cfg'd out.
    let names = |t: &str| -> Vec<String> {
        find("PerTarget", t)
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(names(x86), ["a", "fd"]);
    assert_eq!(names(arm), ["a", "fd", "extra"]);
    assert_eq!(names(win), ["a", "handle"]);
    assert_eq!(find("PerTarget", x86).size, Some(16));
    assert_eq!(find("PerTarget", arm).size, Some(24));
    assert_eq!(codes(find("PerTarget", mac)), ["size-mismatch"]);
    assert!(
        codes(find("PerTarget", arm)).is_empty(),
        "cfg_attr only on macos"
    );
    assert_eq!(find("PerTarget", mac).cache_line, 128);
}

#[test]
fn sarif_four_targets() {
    let r = report(&["--format", "sarif"]);
    insta::assert_snapshot!("sarif_four_targets", r.transcript());
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let problems = layout_cli::render::sarif::problems(&doc);
    assert!(problems.is_empty(), "{problems:#?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|x| x["ruleId"] == "false-sharing" && x["level"] == "error")
    );
    assert!(
        results
            .iter()
            .any(|x| x["ruleId"] == "padding-waste" && x["level"] == "warning")
    );
    for x in results {
        let uri = x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("src/"), "{uri}");
    }
}

#[test]
fn deny_decides_between_zero_and_one() {
    // Waste and friends: warnings only.
    let warn_only =
        |deny: &str| run(&["report", "src/lib.rs", "--color", "never", "--deny", deny]).code;
    assert_eq!(warn_only("error"), 0);
    assert_eq!(warn_only("warning"), 1);
    let r = run(&[
        "report",
        "src/lib.rs",
        "--color",
        "never",
        "--target",
        "x86_64-linux",
    ]);
    insta::assert_snapshot!("text_lib_host", r.transcript());
}

#[test]
fn unparsable_file_is_an_error_entry_and_the_rest_is_reported() {
    let r = run(&[
        "report",
        "broken",
        "--color",
        "never",
        "--target",
        "x86_64-linux",
    ]);
    insta::assert_snapshot!("text_broken", r.transcript());
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("struct Fine {"));
    let j = run(&[
        "report",
        "broken",
        "--format",
        "json",
        "--target",
        "x86_64-linux",
    ]);
    assert_eq!(j.code, 2);
    let doc: Document = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(doc.errors.len(), 1);
    assert_eq!(doc.errors[0].file, "broken/broken.rs");
    assert!(doc.errors[0].line.is_some());
    assert_eq!(doc.structs.len(), 1);
    assert_eq!(doc.structs[0].size, Some(8));
}

#[test]
fn missing_path_is_exit_two() {
    let r = run(&["report", "no/such/dir", "--format", "json"]);
    assert_eq!(r.code, 2);
    let doc: Document = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc.errors.len(), 1);
}

#[test]
fn unknown_target_is_a_usage_error_listing_targets() {
    let r = run(&["report", ".", "--target", "sparc-sun-solaris"]);
    insta::assert_snapshot!("unknown_target", r.transcript());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("aarch64-apple-darwin (aarch64-macos)"));
    assert!(r.stdout.is_empty());
}

#[test]
fn bad_flag_value_is_exit_two() {
    assert_eq!(run(&["report", ".", "--format", "xml"]).code, 2);
    assert_eq!(run(&["report", ".", "--deny", "note"]).code, 2);
}

#[test]
fn colour_follows_flag_and_no_color() {
    let args = [
        "report",
        ".",
        "--target",
        "x86_64-linux",
        "--color",
        "always",
    ];
    let on = run(&args);
    assert!(
        on.stdout.contains("\x1b[1;31merror[false-sharing]\x1b[0m"),
        "{}",
        on.stdout
    );
    let off = run_env(&args, &[("NO_COLOR", "1")]);
    assert!(!off.stdout.contains('\x1b'));
    assert_eq!(strip_ansi(&on.stdout), off.stdout);
    // Not a terminal: auto means no colour.
    let auto = run(&["report", ".", "--target", "x86_64-linux"]);
    assert_eq!(auto.stdout, off.stdout);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn all_targets_reports_every_row() {
    let r = run(&["report", "src/lib.rs", "--all-targets", "--format", "json"]);
    let doc: Document = serde_json::from_str(&r.stdout).unwrap();
    let mut targets: Vec<&str> = doc.structs.iter().map(|s| s.target.as_str()).collect();
    targets.sort();
    targets.dedup();
    assert_eq!(targets.len(), layout::target::TARGETS.len());
    let i686 = doc
        .structs
        .iter()
        .find(|s| s.name == "Waste" && s.target == "i686-unknown-linux-gnu")
        .unwrap();
    assert_eq!(
        (i686.size, i686.align),
        (Some(16), Some(4)),
        "u64 is 4-aligned on i686"
    );
}

#[test]
fn snapshot_then_baseline_reports_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ok.rs");
    std::fs::copy(fixture().join("broken/ok.rs"), &file).unwrap();
    let lock = dir.path().join("layouts.json");
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, err) = cli(&["snapshot", "ok.rs", "--all-targets", "-o", "layouts.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(lock.is_file());
    let (code, err) = cli(&["report", "ok.rs", "--baseline", "layouts.json"]);
    assert_eq!((code, err.as_str()), (0, ""), "unchanged: clean");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("pub b: u32", "pub b: u64");
    std::fs::write(&file, text).unwrap();
    let (code, err) = cli(&["report", "ok.rs", "--baseline", "layouts.json"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("layout changed:") && err.contains("Fine"),
        "{err}"
    );
    let (code, _) = cli(&["report", "ok.rs", "--baseline", "missing.json"]);
    assert_eq!(code, 2);
    // Input errors: no lockfile.
    std::fs::write(dir.path().join("bad.rs"), "struct {").unwrap();
    let (code, err) = cli(&["snapshot", ".", "-o", "second.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(!dir.path().join("second.json").exists());
}
