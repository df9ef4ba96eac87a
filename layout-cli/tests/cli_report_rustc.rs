//! Every number `layout-cli report --format json` claims for the report fixture, checked
//! by rustc: the fixture's structs (annotations stripped) plus one `const` assertion per
//! size, alignment and offset, under `cargo check --target T` for the four CI targets.
//! A wrong number fails compilation with the assertion that names it.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use layout_cli::render::json::Document;

/// (triple, cfg that selects it).
const TARGETS: [(&str, &str); 4] = [
    (
        "x86_64-unknown-linux-gnu",
        r#"all(target_arch = "x86_64", target_os = "linux")"#,
    ),
    (
        "aarch64-unknown-linux-gnu",
        r#"all(target_arch = "aarch64", target_os = "linux")"#,
    ),
    (
        "x86_64-pc-windows-msvc",
        r#"all(target_arch = "x86_64", target_os = "windows")"#,
    ),
    (
        "aarch64-apple-darwin",
        r#"all(target_arch = "aarch64", target_os = "macos")"#,
    ),
];

/// The fixture's source without `#[derive(CacheLayout)]`, `#[layout]` and `mod` lines,
/// with private fields made public for `offset_of!`.
fn plain_source(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .filter(|l| {
            let t = l.trim();
            let stripped = (t.starts_with("#[derive(") && t.contains("CacheLayout"))
                || t.starts_with("#[layout(")
                || (t.starts_with("#[cfg_attr(") && t.contains("layout("))
                || t.starts_with("pub mod ")
                || t.starts_with("use layout::")
                || t.starts_with("//!");
            !stripped
        })
        .map(|l| l.replace("    _pad:", "    pub _pad:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_claimed_number_compiles_as_an_assertion() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report");
    let mut args = vec!["report", ".", "--format", "json"];
    for (t, _) in TARGETS {
        args.extend(["--target", t]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(&args)
        .current_dir(&fixture)
        .output()
        .unwrap();
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();

    let modules = [
        ("src/lib.rs", ""),
        ("src/sharing.rs", "sharing"),
        ("src/cfgd.rs", "cfgd"),
    ];
    let mut src =
        String::from("#![allow(dead_code)]\nuse core::mem::{align_of, offset_of, size_of};\n");
    for (file, module) in modules {
        let body = plain_source(&fixture.join(file));
        if module.is_empty() {
            src.push_str(&body);
        } else {
            let _ = write!(src, "\npub mod {module} {{\n{body}\n}}\n");
        }
    }
    let mut claims = 0;
    for s in &doc.structs {
        let Some(prefix) = modules.iter().find(|(f, _)| *f == s.file).map(|(_, m)| *m) else {
            continue;
        };
        let (Some(size), Some(align)) = (s.size, s.align) else {
            continue;
        };
        let cfg = TARGETS.iter().find(|(t, _)| *t == s.target).unwrap().1;
        let ty = if prefix.is_empty() {
            s.name.clone()
        } else {
            format!("{prefix}::{}", s.name)
        };
        let _ = write!(
            src,
            "\n#[cfg({cfg})]\nconst _: () = {{\n    assert!(size_of::<{ty}>() == {size});\n    assert!(align_of::<{ty}>() == {align});\n"
        );
        claims += 2;
        for f in &s.fields {
            if let Some(o) = f.offset {
                let _ = writeln!(src, "    assert!(offset_of!({ty}, {}) == {o});", f.name);
                claims += 1;
            }
        }
        src.push_str("};\n");
    }
    assert!(
        claims > 200,
        "only {claims} claims: did the engine stop reporting?"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"claims\"\nversion = \"0.0.0\"\nedition = \"2024\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), &src).unwrap();
    for (t, _) in TARGETS {
        let out = Command::new(env!("CARGO"))
            .args(["check", "-q", "--target", t])
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", dir.path().join("target"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("can't find crate for `core`") {
            eprintln!("skipping {t}: target not installed (rustup target add {t})");
            continue;
        }
        assert!(
            out.status.success(),
            "rustc refutes a claim on {t}:\n{err}\n{src}"
        );
    }
}
