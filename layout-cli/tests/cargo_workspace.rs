//! `layout-cli report` on a real cargo workspace (`tests/fixtures/workspace`), judged by
//! rustc: the two members `app` (lib and bin) and `core-types`, crates.io dependencies
//! with default features (crossbeam-utils `CachePadded`, smallvec `SmallVec`), a
//! `#[cfg(debug_assertions)]` field, fields and modules behind default and non-default
//! features, unix- and windows-only structs, and a trybuild-style `tests/ui` dir of files
//! that are not valid Rust and belong to no cargo target.
//!
//! The fixture is copied to a scratch dir; the CLI reports it for the four CI targets in
//! cargo mode; every struct the build compiles must be reported with every number known,
//! nothing else may be reported, and each size, alignment and field offset becomes a
//! `const` assertion appended to the copy of the file declaring the struct, checked by
//! `cargo check --target T` (a struct reported but not compiled fails there too, at name
//! resolution).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout_cli::render::json::Document;

/// (triple, cfg that selects it, is it unix).
const TARGETS: [(&str, &str, bool); 4] = [
    (
        "x86_64-unknown-linux-gnu",
        r#"all(target_arch = "x86_64", target_os = "linux")"#,
        true,
    ),
    (
        "aarch64-unknown-linux-gnu",
        r#"all(target_arch = "aarch64", target_os = "linux")"#,
        true,
    ),
    (
        "x86_64-pc-windows-msvc",
        r#"all(target_arch = "x86_64", target_os = "windows")"#,
        false,
    ),
    (
        "aarch64-apple-darwin",
        r#"all(target_arch = "aarch64", target_os = "macos")"#,
        true,
    ),
];

/// Where a struct is compiled.
#[derive(Clone, Copy, PartialEq)]
enum On {
    All,
    Unix,
    Windows,
}

/// Every struct the default dev build of the fixture compiles: (file, name, path from the
/// file's module, fields in that build, targets). `Extra` (feature `extra`, off),
/// `BenchOnly` (feature `bench`, off) and `Broken` (tests/ui, no target) are not here.
const COMPILED: [(&str, &str, &str, usize, On); 14] = [
    ("core-types/src/lib.rs", "Counter", "Counter", 3, On::All),
    // debug_id is compiled: `cargo check` builds the dev profile
    ("core-types/src/lib.rs", "Header", "Header", 3, On::All),
    // total is behind the default feature `stats`
    ("core-types/src/lib.rs", "Stats", "Stats", 3, On::All),
    (
        "core-types/src/lib.rs",
        "Window",
        "window::Window",
        2,
        On::All,
    ),
    ("core-types/src/lib.rs", "UnixFd", "UnixFd", 2, On::Unix),
    (
        "core-types/src/lib.rs",
        "WinHandle",
        "WinHandle",
        2,
        On::Windows,
    ),
    ("core-types/src/wire.rs", "Frame", "Frame", 3, On::All),
    ("core-types/src/wire.rs", "Pair", "Pair", 2, On::All),
    ("core-types/src/wire.rs", "Marker", "Marker", 0, On::All),
    ("app/src/lib.rs", "Queue", "Queue", 3, On::All),
    ("app/src/lib.rs", "Entry", "Entry", 3, On::All),
    ("app/src/lib.rs", "Batch", "Batch", 2, On::All),
    // trace_id is behind the default feature `trace`
    ("app/src/lib.rs", "Request", "Request", 3, On::All),
    ("app/src/main.rs", "Settings", "Settings", 3, On::All),
];

fn compiled_on(on: On, unix: bool) -> bool {
    match on {
        On::All => true,
        On::Unix => unix,
        On::Windows => !unix,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let dst = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), dst).unwrap();
        }
    }
}

/// The fixture copied to a fresh scratch dir (never checked in place).
fn scratch_copy() -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo_workspace/ws");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    copy_dir(&fixture, &dir);
    dir.canonicalize().unwrap()
}

/// A reported path made relative to the workspace root, `/`-separated.
fn rel_file(root: &Path, file: &str) -> String {
    let p = Path::new(file);
    let p = if p.is_absolute() {
        p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
    } else {
        root.join(p)
    };
    p.strip_prefix(root)
        .unwrap_or(&p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_layout-cli"))
}

#[test]
fn every_struct_of_the_cargo_workspace_is_known_and_confirmed_by_rustc() {
    let help = cli().args(["report", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--manifest-path"),
        "layout-cli report has no cargo mode yet (no --manifest-path in `report --help`): \
         this test needs the CLI to read cargo's model (members, features, dev profile)"
    );

    let root = scratch_copy();
    let manifest = root.join("Cargo.toml");
    let mut args = vec![
        "report".to_string(),
        "--manifest-path".to_string(),
        manifest.to_string_lossy().into_owned(),
        "--format".to_string(),
        "json".to_string(),
    ];
    for (t, _, _) in TARGETS {
        args.extend(["--target".to_string(), t.to_string()]);
    }
    let out = cli().args(&args).current_dir(&root).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`layout-cli {}` gave no JSON document ({e}), exit {:?}:\n{stderr}",
            args.join(" "),
            out.status.code()
        )
    });
    assert!(
        doc.errors.is_empty(),
        "input errors (the tests/ui files are in no cargo target and must not be read): {:?}",
        doc.errors
    );

    // the workspace's own structs; a dependency's (CachePadded, SmallVec) may be
    // reported too, but the fixture makes no claim about them
    let doc = Document {
        structs: doc
            .structs
            .into_iter()
            .filter(|s| {
                let rel = rel_file(&root, &s.file);
                !Path::new(&rel).is_absolute() && !rel.starts_with("../")
            })
            .collect(),
        ..doc
    };

    // the reported set is exactly what the build compiles, each number known
    for (t, _, unix) in TARGETS {
        let want: BTreeSet<(String, String)> = COMPILED
            .iter()
            .filter(|c| compiled_on(c.4, unix))
            .map(|c| (c.0.to_string(), c.1.to_string()))
            .collect();
        let got: BTreeSet<(String, String)> = doc
            .structs
            .iter()
            .filter(|s| s.target == t)
            .map(|s| (rel_file(&root, &s.file), s.name.clone()))
            .collect();
        assert_eq!(
            got, want,
            "structs reported on {t} (left) vs compiled (right)"
        );
    }
    // unknown numbers are collected and fail the test after rustc has judged the known
    // ones, so one run shows both
    let mut unknowns = Vec::new();
    for s in &doc.structs {
        let file = rel_file(&root, &s.file);
        let (_, _, _, nfields, _) = COMPILED
            .iter()
            .find(|c| c.0 == file && c.1 == s.name)
            .unwrap();
        assert_eq!(
            s.fields.len(),
            *nfields,
            "{} on {}: fields {:?}, the build compiles {nfields}",
            s.name,
            s.target,
            s.fields.iter().map(|f| &f.name).collect::<Vec<_>>()
        );
        assert_eq!(
            (s.present.as_str(), s.present_reason.as_deref()),
            ("yes", None),
            "{} on {}: the fixture's cfgs are all known",
            s.name,
            s.target
        );
        let unknown: Vec<&str> = s
            .fields
            .iter()
            .filter(|f| f.offset.is_none())
            .map(|f| f.name.as_str())
            .collect();
        if s.size.is_none() || s.align.is_none() || !unknown.is_empty() {
            unknowns.push(format!(
                "{} on {}: size {:?}, align {:?}, unknown offsets {unknown:?} ({:?})",
                s.name, s.target, s.size, s.align, s.unknown
            ));
        }
    }

    // every number as an assertion at the end of the file declaring the struct
    let mut appended: Vec<(String, String)> = Vec::new();
    let mut claims = 0;
    for s in &doc.structs {
        let file = rel_file(&root, &s.file);
        let ty = COMPILED
            .iter()
            .find(|c| c.0 == file && c.1 == s.name)
            .unwrap()
            .2;
        let cfg = TARGETS.iter().find(|x| x.0 == s.target).unwrap().1;
        let mut text = String::new();
        let mut claim = |expr: String, value: usize, what: &str| {
            let _ = write!(
                text,
                "\n#[cfg({cfg})]\nconst _: () = assert!({expr} == {value}, \"{} on {}: {what} {value} refuted\");\n",
                s.name, s.target
            );
            claims += 1;
        };
        if let Some(size) = s.size {
            claim(format!("::core::mem::size_of::<{ty}>()"), size, "size");
        }
        if let Some(align) = s.align {
            claim(format!("::core::mem::align_of::<{ty}>()"), align, "align");
        }
        for f in &s.fields {
            if let Some(offset) = f.offset {
                claim(
                    format!("::core::mem::offset_of!({ty}, {})", f.name),
                    offset,
                    &format!("offset of {}", f.name),
                );
            }
        }
        appended.push((file, text));
    }
    // size, align and one offset per field of every struct compiled on each target
    let want_claims: usize = TARGETS
        .iter()
        .map(|(_, _, unix)| {
            COMPILED
                .iter()
                .filter(|c| compiled_on(c.4, *unix))
                .map(|c| 2 + c.3)
                .sum::<usize>()
        })
        .sum();
    let missing: usize = unknowns.len();
    assert!(
        claims <= want_claims && (claims == want_claims) == (missing == 0),
        "{claims} claims made, {want_claims} numbers in the build, {missing} structs with unknowns"
    );
    for (file, text) in &appended {
        let path = root.join(file);
        let mut src = std::fs::read_to_string(&path).unwrap();
        src.push_str(text);
        std::fs::write(&path, src).unwrap();
    }

    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo_workspace/target");
    for (t, _, _) in TARGETS {
        let out = Command::new(env!("CARGO"))
            .args(["check", "--workspace", "--locked", "--target", t])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target_dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("can't find crate for `core`"),
            "the standard library for {t} is not installed: rustup target add {t}"
        );
        assert!(
            out.status.success(),
            "rustc refutes a claim on {t} (or a reported struct is not compiled):\n{err}"
        );
    }
    assert!(
        unknowns.is_empty(),
        "rustc confirms every known number, but these are unknown:\n{}",
        unknowns.join("\n")
    );
}
