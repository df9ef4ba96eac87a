//! `fix` with cargo's input flags: the analysis and the re-analysis are the build cargo
//! describes (features here), only selected workspace members' files are rewritten,
//! and `--exact` re-verifies with rustc, restoring a file rustc does not confirm.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_cli::analysis::{Analysis, NumberSource};
use layout_cli::cli::InputArgs;
use layout_cli::fix::{self, FixOptions};

const GATED: &str = "\
#[cfg(feature = \"x\")]
#[repr(C)]
pub struct Gated {
    a: u8,
    b: u64,
    c: u8,
}
";

const PLAIN: &str = "\
#[repr(C)]
pub struct Plain {
    a: u8,
    b: u64,
    c: u8,
}
";

/// `root/ws` (members `app`), `root/outside/dep` (a path dependency of `app` outside
/// the workspace) and `root/outside/shared.rs` (a module of `app` by `#[path]`).
fn scratch(root: &Path) -> PathBuf {
    scratch_with(root, true)
}

/// [`scratch`], with or without the `#[path]` module outside the workspace.
fn scratch_with(root: &Path, outside_module: bool) -> PathBuf {
    let ws = root.join("ws");
    let w = |p: PathBuf, text: &str| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n",
    );
    w(
        ws.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [features]\nx = []\n\n[dependencies]\ndep = { path = \"../../outside/dep\" }\n",
    );
    w(
        ws.join("app/src/lib.rs"),
        &format!(
            "{}{GATED}\n{PLAIN}\npub use dep::Dep;\n",
            if outside_module {
                "#[path = \"../../../outside/shared.rs\"]\nmod shared;\n\n"
            } else {
                ""
            }
        ),
    );
    w(
        root.join("outside/shared.rs"),
        &PLAIN.replace("Plain", "Shared"),
    );
    w(
        root.join("outside/dep/Cargo.toml"),
        "[package]\nname = \"dep\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
    );
    w(
        root.join("outside/dep/src/lib.rs"),
        &PLAIN.replace("Plain", "Dep"),
    );
    let st = Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline"])
        .current_dir(&ws)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    ws
}

fn input(manifest: PathBuf, features: &[&str], packages: &[&str]) -> InputArgs {
    InputArgs {
        manifest_path: Some(manifest),
        features: features.iter().map(|s| s.to_string()).collect(),
        packages: packages.iter().map(|s| s.to_string()).collect(),
        targets: vec!["x86_64-unknown-linux-gnu".into()],
        ..InputArgs::default()
    }
}

const ALL: FixOptions = FixOptions {
    dry_run: false,
    all: true,
    exact: false,
};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn a_struct_behind_a_feature_is_fixed_only_with_that_feature() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = scratch(tmp.path());
    let lib = ws.join("app/src/lib.rs");
    let before = read(&lib);

    let out = fix::run_input(&input(ws.join("app/Cargo.toml"), &[], &[]), ALL).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let after = read(&lib);
    assert!(
        after.contains(GATED),
        "no feature, Gated untouched:\n{after}"
    );
    assert!(!after.contains(PLAIN), "Plain is reordered:\n{after}");
    assert!(
        !out.diff.contains("Gated") && !out.notes.iter().any(|n| n.contains("Gated")),
        "{out:?}"
    );

    std::fs::write(&lib, &before).unwrap();
    let out = fix::run_input(&input(ws.join("app/Cargo.toml"), &["x"], &[]), ALL).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let after = read(&lib);
    assert!(
        after.contains(
            "#[cfg(feature = \"x\")]\n#[repr(C)]\npub struct Gated {\n    a: u8,\n    c: u8,\n    b: u64,\n}\n"
        ),
        "--features x reorders Gated:\n{after}"
    );
}

#[test]
fn sources_outside_the_selected_members_are_never_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = scratch(tmp.path());
    let dep = tmp.path().join("outside/dep/src/lib.rs");
    let shared = tmp.path().join("outside/shared.rs");
    let (dep_before, shared_before) = (
        std::fs::read(&dep).unwrap(),
        std::fs::read(&shared).unwrap(),
    );

    // The path dependency selected by name: reported, not rewritten.
    let out = fix::run_input(&input(ws.join("Cargo.toml"), &[], &["dep"]), ALL).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(std::fs::read(&dep).unwrap(), dep_before);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("dep/src/lib.rs")
                && n.contains("not in a selected workspace member")),
        "{:?}",
        out.notes
    );
    assert!(out.diff.is_empty() && out.changed.is_empty(), "{out:?}");

    // The member: its own file is fixed, the #[path] module outside it is not.
    let out = fix::run_input(&input(ws.join("Cargo.toml"), &[], &["app"]), ALL).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(std::fs::read(&shared).unwrap(), shared_before);
    assert_eq!(std::fs::read(&dep).unwrap(), dep_before);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("shared.rs") && n.contains("left untouched")),
        "{:?}",
        out.notes
    );
    assert_eq!(out.changed.len(), 1, "{out:?}");
    assert!(out.changed[0].ends_with("app/src/lib.rs"));
    assert!(!read(&ws.join("app/src/lib.rs")).contains(PLAIN));
}

#[test]
fn exact_restores_a_file_whose_struct_rustc_lays_out_differently() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = scratch(tmp.path());
    let lib = ws.join("app/src/lib.rs");
    let before = std::fs::read(&lib).unwrap();
    let args = input(ws.join("app/Cargo.toml"), &[], &[]);
    // "rustc" here: the static numbers of the written text, Plain's size off by 8.
    let disagree = || -> Result<Analysis, String> {
        let mut a = args.analyze()?.analysis;
        for s in &mut a.structs {
            s.source = NumberSource::Rustc;
            if s.name == "Plain" {
                s.size = s.size.map(|z| z + 8);
            }
        }
        Ok(a)
    };
    let opts = FixOptions { exact: true, ..ALL };
    let out = fix::run_input_with(
        &args,
        opts,
        None,
        Some(&disagree),
        &fix::write::atomic_write,
    )
    .unwrap();
    assert_eq!(
        std::fs::read(&lib).unwrap(),
        before,
        "restored byte for byte"
    );
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    let msg = &out.errors[0].message;
    assert!(
        msg.contains("Plain on x86_64-unknown-linux-gnu: rustc says size 24, fix computed 16")
            && msg.contains("file restored"),
        "{msg}"
    );
    assert!(out.changed.is_empty() && out.diff.is_empty(), "{out:?}");

    // rustc agreeing: the file stays fixed.
    let agree = || -> Result<Analysis, String> {
        let mut a = args.analyze()?.analysis;
        for s in &mut a.structs {
            s.source = NumberSource::Rustc;
        }
        Ok(a)
    };
    let out =
        fix::run_input_with(&args, opts, None, Some(&agree), &fix::write::atomic_write).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(!read(&lib).contains(PLAIN));
    assert!(
        out.notes
            .iter()
            .any(|n| n == "--exact: rustc checked 1 reordered layout(s), 0 file(s) restored"),
        "{:?}",
        out.notes
    );
}

#[test]
fn exact_with_the_real_rustc_confirms_the_new_order() {
    let tmp = tempfile::tempdir().unwrap();
    // Without the module outside the package: `--exact`'s shadow copy does not reach it.
    let ws = scratch_with(tmp.path(), false);
    let lib = ws.join("app/src/lib.rs");
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(["fix", "--exact", "--all", "--target", "x86_64-linux"])
        .current_dir(ws.join("app"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("note: --exact: rustc checked 1 reordered layout(s), 0 file(s) restored"),
        "{stderr}"
    );
    let after = read(&lib);
    assert!(
        after.contains("pub struct Plain {\n    a: u8,\n    c: u8,\n    b: u64,\n}\n"),
        "{after}"
    );
}
