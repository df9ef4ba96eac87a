//! The features the CLI computes from `cargo metadata` for each package built on each
//! target equal `cargo tree`'s, on a workspace written to exercise cargo's rules (path
//! dependencies only, so no registry is needed): `dep:` and implicit features, `d/f` and
//! `d?/f`, a weak feature on a dependency that is optional on one platform and not on
//! another, a renamed dependency, target-specific dependencies, a dev-dependency, a
//! build-dependency and a proc-macro member whose features must not leak into the
//! target's build. `report --check-features` runs `cargo tree` per target and exits 2
//! on any difference; every command-line selection below must pass it.

use std::path::Path;
use std::process::Command;

/// The four CI targets.
const TRIPLES: [&str; 4] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-pc-windows-msvc",
    "aarch64-apple-darwin",
];

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn lib(root: &Path, name: &str, features: &str, deps: &str) {
    write(
        root,
        &format!("{name}/Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\n{features}\n{deps}"
        ),
    );
    write(
        root,
        &format!("{name}/src/lib.rs"),
        "pub struct S(pub u8);\n",
    );
}

fn workspace(root: &Path) {
    write(
        root,
        "Cargo.toml",
        // Path dependencies inside the workspace dir would be members: excluded, so
        // they are dependencies as from a registry.
        "[workspace]\nresolver = \"2\"\nmembers = [\"app\", \"pm\"]\n\
         exclude = [\"common\", \"opt1\", \"opt2\", \"opt3\", \"ren\", \"winonly\", \"plat\", \"leaf\"]\n",
    );
    lib(
        root,
        "app",
        "default = [\"a\", \"w\", \"weak\"]\n\
         a = [\"dep:opt1\", \"common/x\"]\n\
         b = [\"opt2?/y\"]\n\
         c = [\"opt3/z\"]\n\
         d = [\"dep:opt2\"]\n\
         w = [\"winonly/q\"]\n\
         weak = [\"plat?/std\"]\n\
         unused = []\n",
        "[dependencies]\n\
         common = { path = \"../common\", default-features = false }\n\
         opt1 = { path = \"../opt1\", optional = true }\n\
         opt2 = { path = \"../opt2\", optional = true }\n\
         opt3 = { path = \"../opt3\", optional = true }\n\
         renamed = { package = \"ren\", path = \"../ren\", features = [\"r\"] }\n\
         pm = { path = \"../pm\" }\n\
         [target.'cfg(windows)'.dependencies]\n\
         winonly = { path = \"../winonly\", optional = true }\n\
         [target.'cfg(target_os = \"linux\")'.dependencies]\n\
         plat = { path = \"../plat\", optional = true }\n\
         [target.'cfg(not(target_os = \"linux\"))'.dependencies]\n\
         plat = { path = \"../plat\" }\n\
         [dev-dependencies]\n\
         common = { path = \"../common\", features = [\"dev\"] }\n\
         [build-dependencies]\n\
         common = { path = \"../common\", features = [\"build\"] }\n",
    );
    write(root, "app/build.rs", "fn main() {}\n");
    lib(
        root,
        "common",
        "default = [\"def\"]\ndef = []\nx = []\ndev = []\nbuild = []\nfrompm = []\n",
        "",
    );
    lib(
        root,
        "opt1",
        "default = []\n",
        "[dependencies]\nleaf = { path = \"../leaf\" }\n",
    );
    lib(root, "opt2", "y = []\n", "");
    lib(root, "opt3", "z = []\n", "");
    lib(root, "ren", "r = []\n", "");
    lib(root, "winonly", "q = []\n", "");
    lib(root, "plat", "default = [\"std\"]\nstd = []\n", "");
    lib(root, "leaf", "", "");
    write(
        root,
        "pm/Cargo.toml",
        "[package]\nname = \"pm\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\nproc-macro = true\n\n\
         [dependencies]\ncommon = { path = \"../common\", features = [\"frompm\"] }\n",
    );
    write(root, "pm/src/lib.rs", "");
}

#[test]
fn features_from_metadata_equal_cargo_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    let manifest = root.join("Cargo.toml");
    let selections: [&[&str]; 10] = [
        &[],
        &["--no-default-features"],
        &["--no-default-features", "--features", "b"],
        &["--features", "b,c"],
        &["--features", "app/d", "--features", "b"],
        &["--all-features"],
        &["--tests"],
        &["--workspace"],
        // Only `app` is a root: `common` gets `x` alone (no `default`, no `frompm`).
        &["-p", "app"],
        &["-p", "common"],
    ];
    for sel in selections {
        let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
            .arg("report")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(sel)
            .args(TRIPLES.iter().flat_map(|t| ["--target", t]))
            .args(["--check-features", "--quiet"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(2), "{sel:?}: {stderr}");
        // The report itself ran.
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(" on 4 targets"),
            "{sel:?}: {stdout}\n{stderr}"
        );
    }
}

/// The comparison behind `--check-features` finds a difference when there is one: a
/// feature dropped from, or added to, what cargo says.
#[test]
fn feature_differences_are_found() {
    use layout_cli::cargo::{Selection, cargo_tree_features, load};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    let manifest = root.join("Cargo.toml");
    let sel = Selection {
        manifest_path: Some(manifest.clone()),
        ..Selection::default()
    };
    let rows =
        layout_cli::cli::resolve_targets(&["x86_64-unknown-linux-gnu".to_string()], false).unwrap();
    let build = load(&manifest, &sel, &rows).unwrap();
    let t = &build.targets[0];
    let tree = cargo_tree_features(&build, &sel, t.row.triple).unwrap();
    assert!(layout_cli::cli::feature_differences(&build, t, &tree).is_empty());
    let common = build
        .packages
        .iter()
        .position(|p| p.name == "common")
        .unwrap();
    // cargo builds `common` with `x` (app) and `default`, `frompm` (the proc-macro member,
    // unified as a root), not `dev` or `build`.
    assert_eq!(
        tree[&common][0]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["def", "default", "frompm", "x"]
    );
    assert_eq!(tree[&common].len(), 1);
    let mut fewer = tree.clone();
    fewer.get_mut(&common).unwrap()[0].remove("x");
    let d = layout_cli::cli::feature_differences(&build, t, &fewer);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("common:"), "{d:?}");
    let mut more = tree.clone();
    more.get_mut(&common).unwrap()[0].insert("dev".into());
    assert_eq!(
        layout_cli::cli::feature_differences(&build, t, &more).len(),
        1
    );
    let mut missing = tree;
    let leaf = build
        .packages
        .iter()
        .position(|p| p.name == "leaf")
        .unwrap();
    missing.remove(&leaf);
    assert_eq!(
        layout_cli::cli::feature_differences(&build, t, &missing),
        ["leaf built here, not by cargo"]
    );
}
