//! The grouped report of the real binary on `tests/fixtures/grouped`, on all eight
//! targets of the table: a struct laid out alike everywhere is drawn once, one that
//! differs on Windows twice; findings are listed once with their targets; lint levels
//! from comments, flags and `[workspace.metadata.layout.lints]`; SARIF fingerprints
//! that survive line moves.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout::Severity;
use layout_cli::levels::{self, Levels, LintConfig};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grouped")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run layout-cli");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn report(extra: &[&str]) -> Run {
    let mut args = vec!["report", ".", "--all-targets", "--color", "never"];
    args.extend(extra);
    run_in(&fixture(), &args)
}

#[test]
fn text_draws_each_distinct_layout_once_with_its_targets() {
    let r = report(&[]);
    insta::assert_snapshot!("text_all_targets", r.transcript());
    assert_eq!(r.code, 0, "warnings only");
    let headers = |name: &str| -> Vec<&str> {
        r.stdout
            .lines()
            .filter(|l| l.starts_with(&format!("struct {name} {{")))
            .collect()
    };
    let same = headers("Same");
    assert_eq!(same.len(), 1, "alike on all 8 targets: one table");
    assert!(
        same[0].ends_with(
            "on x86_64-linux, aarch64-linux, x86_64-windows-msvc, aarch64-macos, \
             x86_64-windows-gnu, i686-linux, armv7-linux, s390x-linux"
        ),
        "{}",
        same[0]
    );
    let handle = headers("Handle");
    assert_eq!(handle.len(), 2, "{handle:?}");
    assert!(handle[1].ends_with("on x86_64-windows-msvc, x86_64-windows-gnu"));
    // The one padding-waste of Same is one finding line, not eight.
    assert_eq!(r.stdout.matches("warning[padding-waste]").count(), 1);
    assert!(r.stdout.contains(
        "warning[padding-waste]: src/lib.rs:11:12: Same: struct of size 12 could be 8 with the order { flag, tag, count }\n"
    ));
}

#[test]
fn quiet_prints_findings_and_the_summary_only() {
    let r = report(&["--quiet"]);
    insta::assert_snapshot!("quiet_all_targets", r.transcript());
    assert!(!r.stdout.contains("struct Same {"));
    let last = r.stdout.lines().last().unwrap();
    assert_eq!(
        last,
        "4 structs on 8 targets (5 distinct layouts): 0 errors, 2 warnings \
         (padding-waste 1, possible-false-sharing 1), 8 allowed; 0 input errors; \
         0 unchecked (unknown layout)"
    );
    let s = report(&["--summary"]);
    assert_eq!(s.stdout, format!("{last}\n"));
}

#[test]
fn markdown_lists_the_structs_with_findings() {
    let r = report(&["--format", "markdown"]);
    insta::assert_snapshot!("markdown_all_targets", r.transcript());
    assert!(r.stdout.contains(
        "| ⚠️ | `grouped-fixture::Same` | `src/lib.rs:11` | warning `padding-waste` | all |"
    ));
    assert!(!r.stdout.contains("`Ffi`"), "its finding is allowed");
}

fn fingerprints(doc: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["partialFingerprints"]["layoutFinding/v2"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sarif_has_one_result_per_finding_with_its_targets() {
    let r = report(&["--format", "sarif"]);
    insta::assert_snapshot!("sarif_all_targets", r.transcript());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let p = layout_cli::render::sarif::problems(&doc);
    assert!(p.is_empty(), "{p:?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "one per finding, not per target");
    assert_eq!(
        results[0]["properties"]["targets"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"],
        serde_json::json!({ "uri": "src/lib.rs", "uriBaseId": "%SRCROOT%" })
    );
    let f = fingerprints(&doc);
    assert_ne!(f[0].0, f[1].0, "distinct");
    let help = doc["runs"][0]["tool"]["driver"]["rules"][0]["help"]["text"]
        .as_str()
        .unwrap();
    assert!(help.starts_with("size-mismatch (error)\n\n"), "{help}");
}

#[test]
fn fingerprints_survive_unrelated_lines_inserted_above() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    copy_manifest(dir.path());
    let lib = dir.path().join("src/lib.rs");
    let text = std::fs::read_to_string(fixture().join("src/lib.rs")).unwrap();
    std::fs::write(&lib, &text).unwrap();
    let args = ["report", ".", "--all-targets", "--format", "sarif"];
    let before: serde_json::Value =
        serde_json::from_str(&run_in(dir.path(), &args).stdout).unwrap();
    std::fs::write(&lib, format!("// one\n// two\n\n{text}")).unwrap();
    let after: serde_json::Value = serde_json::from_str(&run_in(dir.path(), &args).stdout).unwrap();
    let (b, a) = (fingerprints(&before), fingerprints(&after));
    assert_eq!(b.len(), 2);
    assert_eq!(b.len(), a.len());
    for (x, y) in b.iter().zip(&a) {
        assert_eq!((&x.0, &x.1), (&y.0, &y.1), "same fingerprint, same rule");
        assert_eq!(x.2 + 3, y.2, "the line moved by three");
    }
}

#[test]
fn a_layout_allow_comment_removes_the_finding_on_every_target() {
    let r = report(&["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ffi: Vec<&serde_json::Value> = doc["structs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "Ffi")
        .collect();
    assert_eq!(ffi.len(), 8);
    assert!(
        ffi.iter()
            .all(|s| s["diagnostics"].as_array().unwrap().is_empty())
    );
    assert!(
        ffi.iter().all(|s| s["optimal_size"] == 8),
        "it would waste padding"
    );
}

#[test]
fn level_flags_change_the_exit_code() {
    assert_eq!(report(&["--summary"]).code, 0);
    let d = report(&["--summary", "-D", "padding-waste"]);
    assert_eq!(d.code, 1, "{}", d.transcript());
    assert!(
        d.stdout
            .starts_with("4 structs on 8 targets (5 distinct layouts): 1 error (padding-waste 1)"),
        "{}",
        d.stdout
    );
    assert_eq!(
        report(&["--summary", "-D", "warnings", "-A", "padding-waste"]).code,
        1,
        "-D wins"
    );
    assert_eq!(
        report(&[
            "--summary",
            "-D",
            "warnings",
            "-A",
            "possible_false_sharing",
            "-A",
            "padding-waste"
        ])
        .code,
        1
    );
    let a = report(&[
        "--summary",
        "-A",
        "possible-false-sharing",
        "-A",
        "padding-waste",
        "--deny",
        "warning",
    ]);
    assert_eq!(a.code, 0, "{}", a.transcript());
    let bad = report(&["-A", "false-sharing"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("`false-sharing` cannot be allowed"),
        "{}",
        bad.stderr
    );
}

/// The `[workspace.metadata.layout.lints]` table of a Cargo.toml as JSON: `key = "value"`
/// lines up to the next table header (all this fixture uses).
fn workspace_lints(cargo_toml: &str) -> serde_json::Value {
    let mut table = serde_json::Map::new();
    let mut inside = false;
    for line in cargo_toml.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[workspace.metadata.layout.lints]";
            continue;
        }
        if let (true, Some((k, v))) = (inside, line.split_once('=')) {
            let v = v.trim().trim_matches('"');
            table.insert(
                k.trim().to_string(),
                serde_json::Value::String(v.to_string()),
            );
        }
    }
    serde_json::json!({ "layout": { "lints": table } })
}

/// The fixture's Cargo.toml in a scratch copy, without its path dependency (which does
/// not resolve from there; the report reads the derive's attributes as source).
fn copy_manifest(dir: &Path) {
    let toml = std::fs::read_to_string(fixture().join("Cargo.toml")).unwrap();
    let kept: Vec<&str> = toml
        .lines()
        .filter(|l| !l.starts_with("layout = "))
        .collect();
    std::fs::write(dir.join("Cargo.toml"), kept.join("\n")).unwrap();
}

/// Levels as a workspace would write them (cli_cargo.rs runs the same table through
/// cargo metadata, end to end).
pub const WORKSPACE_LINTS: &str = "[workspace.metadata.layout.lints]\n\
                                   padding-waste = \"deny\"\n\
                                   possible_false_sharing = \"allow\"\n";

#[test]
fn workspace_metadata_levels_change_the_exit_code() {
    let toml = WORKSPACE_LINTS;
    let config = LintConfig {
        workspace: Levels::from_metadata(&workspace_lints(toml)).unwrap(),
        ..LintConfig::default()
    };
    assert!(!config.workspace.is_empty());
    let targets: Vec<_> = layout::target::TARGETS.iter().collect();
    let src = fixture().join("src");
    let run = |config: &LintConfig, flags: &Levels| {
        let mut a = layout_cli::analyze(std::slice::from_ref(&src), &targets);
        layout_cli::diag::diagnose(&mut a);
        let applied = levels::apply(&mut a, config, flags);
        let codes: Vec<&str> = a
            .structs
            .iter()
            .flat_map(|s| &s.diagnostics)
            .map(|d| d.code.as_str())
            .collect();
        let codes: std::collections::BTreeSet<&str> = codes.into_iter().collect();
        (
            layout_cli::exit::exit_code(&a, Severity::Error),
            codes.into_iter().map(String::from).collect::<Vec<_>>(),
            applied.allowed,
        )
    };
    // Defaults: warnings only, exit 0; the comment allows Ffi's 8.
    let (code, codes, allowed) = run(&LintConfig::default(), &Levels::default());
    assert_eq!((code, allowed), (0, 8));
    assert_eq!(codes, ["padding-waste", "possible-false-sharing"]);
    // The workspace denies padding-waste (exit 1) and allows possible-false-sharing.
    let (code, codes, allowed) = run(&config, &Levels::default());
    assert_eq!((code, allowed), (1, 16));
    assert_eq!(codes, ["padding-waste"]);
    // A flag beats the workspace; the inline comment beats the flag.
    let warn = Levels::from_flags(&[], &["padding-waste".into()], &[]).unwrap();
    let (code, _, allowed) = run(&config, &warn);
    assert_eq!((code, allowed), (0, 16));
}

#[test]
fn markdown_lists_layout_changes_against_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    copy_manifest(dir.path());
    let lib = dir.path().join("src/lib.rs");
    std::fs::copy(fixture().join("src/lib.rs"), &lib).unwrap();
    let snap = run_in(
        dir.path(),
        &[
            "snapshot",
            ".",
            "--target",
            "x86_64-linux",
            "-o",
            "layouts.json",
        ],
    );
    assert_eq!(snap.code, 0, "{}", snap.transcript());
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text.replace("pub c: u8,", "pub c: u64,")).unwrap();
    let r = run_in(
        dir.path(),
        &[
            "report",
            ".",
            "--target",
            "x86_64-linux",
            "--format",
            "markdown",
            "--baseline",
            "layouts.json",
        ],
    );
    assert_eq!(r.code, 1, "a change fails the run: {}", r.transcript());
    let rows: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("| `crate::Ffi on "))
        .collect();
    assert!(!rows.is_empty(), "{}", r.stdout);
    assert!(
        rows.iter().all(|l| l.contains("x86_64-unknown-linux-gnu")),
        "{rows:?}"
    );
    assert!(
        r.stdout.contains(&format!("{} layout changes", rows.len())),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.is_empty(),
        "markdown carries the changes: {}",
        r.stderr
    );
}
