//! A dependency's source is not the user's input: a file of a dependency the CLI cannot
//! read (here, nested past the parser's limit) is a note on stderr, not an input error
//! (exit 2) of the user's run; the types it declares stay unknown, everything else is
//! still laid out. The same file in a workspace member is an input error.

use std::path::Path;
use std::process::Command;

use layout_cli::render::json::Document;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `app` (the workspace) depends on `dep`, a path dependency outside the workspace.
fn setup(root: &Path, bad_in_member: bool) {
    write(
        root,
        "ws/Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"app\"]\n",
    );
    write(
        root,
        "ws/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ndep = { path = \"../../dep\" }\n",
    );
    let deep = format!(
        "pub const DEEP: u8 = {}1{};\n",
        "(".repeat(300),
        ")".repeat(300)
    );
    let mut app = String::from(
        "pub struct UsesGood { pub g: dep::good::Good, pub x: u8 }\n\
         pub struct UsesBad { pub b: dep::bad::Bad }\n",
    );
    if bad_in_member {
        app.push_str("pub mod own_bad;\n");
        write(root, "ws/app/src/own_bad.rs", &deep);
    }
    write(root, "ws/app/src/lib.rs", &app);
    write(
        root,
        "dep/Cargo.toml",
        "[package]\nname = \"dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(root, "dep/src/lib.rs", "pub mod good;\npub mod bad;\n");
    write(root, "dep/src/good.rs", "pub struct Good(pub u64);\n");
    write(
        root,
        "dep/src/bad.rs",
        &format!("pub struct Bad(pub u32);\n{deep}"),
    );
}

fn report(root: &Path) -> (Option<i32>, Document, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .arg("report")
        .arg("--manifest-path")
        .arg(root.join("ws/Cargo.toml"))
        .args(["--target", "x86_64-unknown-linux-gnu", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Document = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), doc, stderr)
}

#[test]
fn an_unreadable_dependency_file_is_a_note_and_its_types_unknown() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), false);
    let (code, doc, stderr) = report(dir.path());
    assert_ne!(code, Some(2), "{stderr}");
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert!(
        stderr.contains("note: dependency file") && stderr.contains("bad.rs"),
        "{stderr}"
    );
    let get = |name: &str| {
        doc.structs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} not reported"))
    };
    let good = get("UsesGood");
    assert_eq!(good.size, Some(16));
    assert_eq!(get("UsesBad").size, None);
}

#[test]
fn the_same_file_in_a_member_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), true);
    let (code, doc, stderr) = report(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        doc.errors.iter().any(|e| e.file.ends_with("own_bad.rs")),
        "{:?}",
        doc.errors
    );
}
