//! `cargo layout`: the built `cargo-layout` binary on `PATH`, run through cargo itself,
//! is `layout-cli` (cargo passes `layout` as the first argument).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grouped")
}

fn cargo_with_layout_on_path(args: &[&str]) -> (i32, String, String) {
    cargo_with_layout_in(&fixture(), args)
}

fn cargo_with_layout_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-layout"));
    let dir = bin.parent().expect("bin dir");
    let mut path = vec![dir.to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let out = Command::new(cargo)
        .args(args)
        .env("PATH", std::env::join_paths(path).expect("PATH"))
        .current_dir(cwd)
        .output()
        .expect("run cargo");
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn cargo_layout_report_help_is_layout_cli_report_help() {
    let (code, out, err) = cargo_with_layout_on_path(&["layout", "report", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Usage: cargo layout report"), "{out}");
    assert!(
        out.contains("--quiet") && out.contains("--allow <CODE>"),
        "{out}"
    );
    let direct = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(["report", "--help"])
        .output()
        .unwrap();
    let direct = String::from_utf8(direct.stdout).unwrap();
    assert_eq!(out.replace("cargo layout", "layout-cli"), direct);
}

#[test]
fn cargo_layout_report_runs_the_report_with_the_workspace_lint_levels() {
    // A scratch copy whose Cargo.toml denies padding-waste and allows
    // possible-false-sharing in [workspace.metadata.layout.lints], read through cargo
    // metadata as a user's would be.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::copy(fixture().join("src/lib.rs"), dir.path().join("src/lib.rs")).unwrap();
    let toml = std::fs::read_to_string(fixture().join("Cargo.toml")).unwrap();
    let mut kept: Vec<&str> = toml
        .lines()
        .filter(|l| !l.starts_with("layout = "))
        .collect();
    kept.push("");
    let mut manifest = kept.join("\n");
    let args = ["layout", "report", "--summary", "--target", "x86_64-linux"];
    std::fs::write(dir.path().join("Cargo.toml"), &manifest).unwrap();
    let (code, out, err) = cargo_with_layout_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("4 structs on 1 target"), "{out}");
    assert!(
        out.contains("2 warnings (padding-waste 1, possible-false-sharing 1)"),
        "{out}"
    );
    manifest.push_str(
        "[workspace.metadata.layout.lints]\npadding-waste = \"deny\"\npossible_false_sharing = \"allow\"\n",
    );
    std::fs::write(dir.path().join("Cargo.toml"), &manifest).unwrap();
    let (code, out, err) = cargo_with_layout_in(dir.path(), &args);
    assert_eq!(code, 1, "padding-waste denied by the workspace: {err}");
    assert!(
        out.contains("1 error (padding-waste 1), 0 warnings"),
        "{out}"
    );
}
