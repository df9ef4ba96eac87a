//! Dependencies are read as needed: of a dependency's module-level definitions, only
//! those the names of the crates read before it reach are parsed, and the report is the
//! one reading every file whole gives (the hidden `--read-whole`).
//!
//! The workspace: its member `app` names types of `mid` and of `big` (both outside it); `mid` names types of `big`
//! (so `big` must be read after `mid`, whatever order cargo lists them in); `big` holds
//! thousands of constants and functions no layout needs, and the definitions that are
//! needed reach each other through an alias, a constant in an array length, a glob
//! re-export, a renaming `use`, a cfg'd pair, a trait's associated type, a child module
//! and a `cfg_attr(path)` file.

use std::path::Path;
use std::process::Command;

use layout_cli::cargo::Selection;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A package at `dir` (relative to the root) depending on the packages beside the
/// workspace (outside it, so they are dependencies, not members).
fn package(root: &Path, dir: &str, deps: &[&str]) {
    let name = dir.rsplit('/').next().unwrap();
    let mut toml = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"
    );
    let up = "../".repeat(dir.matches('/').count() + 1);
    for d in deps {
        toml.push_str(&format!("{d} = {{ path = \"{up}{d}\" }}\n"));
    }
    write(root, &format!("{dir}/Cargo.toml"), &toml);
}

/// The definitions of `big` the report needs, by name.
const NEEDED_IN_BIG: &[&str] = &[
    "Wide",
    "Handle",
    "RawHandle",
    "LEN",
    "BASE",
    "Inner",
    "Plat",
    "Hidden",
    "HasAssoc",
    "Assoc",
    "Deep",
    "PathChosen",
];

fn setup(root: &Path) {
    write(
        root,
        "ws/Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"app\"]\n",
    );
    package(root, "ws/app", &["mid", "big"]);
    write(
        root,
        "ws/app/src/lib.rs",
        "pub struct UsesMid { pub m: mid::Middle, pub flag: u8 }\n\
         pub struct UsesBig { pub w: big::Wide, pub r: big::Renamed, pub d: big::deep::Deep }\n\
         pub struct UsesAssoc<T: big::HasAssoc> { pub a: T::Assoc }\n\
         pub struct UsesPath { pub p: big::chosen::PathChosen }\n",
    );
    package(root, "mid", &["big"]);
    write(
        root,
        "mid/src/lib.rs",
        "pub struct Middle { pub h: big::Handle, pub p: big::Plat, pub x: u16 }\n",
    );
    package(root, "big", &[]);
    let mut lib = String::from(
        "#![allow(dead_code)]\n\
         mod imp;\n\
         pub mod deep;\n\
         #[cfg_attr(unix, path = \"chosen_unix.rs\")]\n\
         #[cfg_attr(not(unix), path = \"chosen_other.rs\")]\n\
         pub mod chosen;\n\
         pub use imp::*;\n\
         pub use imp::Hidden as Renamed;\n\
         pub type Handle = RawHandle;\n\
         pub type RawHandle = *mut core::ffi::c_void;\n\
         pub const LEN: usize = BASE * 2;\n\
         pub const BASE: usize = 3;\n\
         #[repr(C)]\n\
         pub struct Wide { pub a: [u64; LEN], pub i: Inner }\n\
         pub struct Inner { pub b: u8 }\n\
         #[cfg(unix)]\n\
         pub struct Plat { pub fd: i32 }\n\
         #[cfg(not(unix))]\n\
         pub struct Plat { pub handle: Handle }\n\
         pub trait HasAssoc { type Assoc; }\n\
         pub struct Unused { pub never: [u8; 4096] }\n\
         impl Wide { pub fn new() -> Self { loop {} } }\n\
         extern \"C\" { fn ext_fn(x: i32) -> i32; }\n\
         pub static GLOBAL: u32 = 0;\n",
    );
    for i in 0..4000 {
        lib.push_str(&format!("pub const ERROR_{i}: u32 = {i};\n"));
    }
    for i in 0..1000 {
        lib.push_str(&format!(
            "pub unsafe fn api_{i}(h: Handle) -> u32 {{ ERROR_{i} }}\n"
        ));
    }
    write(root, "big/src/lib.rs", &lib);
    write(
        root,
        "big/src/imp.rs",
        "pub struct Hidden { pub v: u32, pub w: Assoc }\npub type Assoc = u16;\npub struct NotNamed;\n",
    );
    write(
        root,
        "big/src/deep.rs",
        "pub struct Deep { pub k: super::Inner }\npub struct Shallow;\n",
    );
    write(
        root,
        "big/src/chosen_unix.rs",
        "pub struct PathChosen { pub u: u32 }\n",
    );
    write(
        root,
        "big/src/chosen_other.rs",
        "pub struct PathChosen { pub o: u64 }\n",
    );
}

const TARGETS: &[&str] = &["x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc"];

fn report(root: &Path, whole: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layout-cli"));
    cmd.arg("report")
        .arg("--manifest-path")
        .arg(root.join("ws/Cargo.toml"))
        .args(["--format", "json"]);
    for t in TARGETS {
        cmd.args(["--target", t]);
    }
    if whole {
        cmd.arg("--read-whole");
    }
    let out = cmd.output().unwrap();
    // 1: findings (UsesBig has padding); the JSON is written either way.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_report_is_the_one_reading_everything_gives() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let as_needed = report(dir.path(), false);
    let whole = report(dir.path(), true);
    assert_eq!(as_needed, whole);
    // And it says something: every struct of app is laid out on both targets.
    let doc: serde_json::Value = serde_json::from_str(&as_needed).unwrap();
    let structs = doc["structs"].as_array().unwrap();
    for name in ["UsesMid", "UsesBig", "UsesPath"] {
        for t in TARGETS {
            let s = structs
                .iter()
                .find(|s| s["name"] == name && s["target"].as_str().is_some_and(|x| x == *t))
                .unwrap_or_else(|| panic!("{name} on {t}: {as_needed}"));
            assert!(s["size"].is_u64(), "{name} on {t} has a size: {s}");
        }
    }
}

#[test]
fn only_the_definitions_names_reach_are_parsed() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let rows = layout_cli::cli::resolve_targets(
        &TARGETS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        false,
    )
    .unwrap();
    let build = layout_cli::cargo::load(
        &dir.path().join("ws/Cargo.toml"),
        &Selection::default(),
        &rows,
    )
    .unwrap();
    let mut errors = Vec::new();
    let (loaded, stats) = layout_cli::workspace::load_reading(&build, &mut errors, false);
    assert!(errors.is_empty(), "{errors:?}");
    // mid's one struct, and big's needed ones, Plat and PathChosen twice (both cfg'd
    // variants are read: cfgs are decided per target later). big sets aside its 4,000
    // constants and 10 definitions in lib.rs, 3 in imp.rs, 2 in deep.rs, 1 in each
    // path variant's file.
    let big_defs = 4000 + 10 + 3 + 2 + 2;
    assert_eq!(stats.set_aside, 1 + big_defs, "{stats:?}");
    assert_eq!(stats.parsed, 1 + NEEDED_IN_BIG.len() + 2, "{stats:?}");
    // The index holds exactly those.
    let ix = &loaded.index;
    let mut names: Vec<String> = ix
        .structs
        .iter()
        .map(|s| s.item.ident.to_string())
        .chain(ix.aliases.iter().map(|a| a.item.ident.to_string()))
        .chain(ix.consts.iter().map(|c| c.item.ident.to_string()))
        .chain(ix.traits.iter().map(|t| t.item.ident.to_string()))
        .collect();
    names.sort();
    names.dedup();
    for n in NEEDED_IN_BIG {
        assert!(names.iter().any(|x| x == n), "{n} read: {names:?}");
    }
    for n in ["Unused", "NotNamed", "Shallow", "ERROR_17"] {
        assert!(!names.iter().any(|x| x == n), "{n} not read");
    }
    let (_, whole) = layout_cli::workspace::load_reading(&build, &mut errors, true);
    assert_eq!(
        whole,
        Default::default(),
        "reading whole sets nothing aside"
    );
}
