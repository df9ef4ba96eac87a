//! Generic instantiations as entries of their own, through the real binary on a small
//! cargo crate: `Pair<u64>` in a field, a default parameter, a const generic `[T; N]`, an
//! instantiation named only in a field `cfg`'d out (absent), one named only on Windows,
//! and two listed in `[package.metadata.layout] instantiations`. Every number claimed for
//! an instantiation is then compiled as a `const` assertion and checked by rustc on each
//! target (`cargo check`, no linker).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use layout_cli::render::json::{Document, Struct};

/// (triple, cfg that selects it).
const TARGETS: [(&str, &str); 3] = [
    (
        "x86_64-unknown-linux-gnu",
        r#"all(target_arch = "x86_64", target_os = "linux")"#,
    ),
    (
        "i686-unknown-linux-gnu",
        r#"all(target_arch = "x86", target_os = "linux")"#,
    ),
    (
        "x86_64-pc-windows-msvc",
        r#"all(target_arch = "x86_64", target_os = "windows")"#,
    ),
];

const LIB: &str = r#"#![allow(dead_code)]
pub struct Pair<T> {
    pub a: T,
    pub b: u8,
}

pub struct WithDefault<T, U = u32> {
    pub t: T,
    pub u: U,
}

#[repr(C)]
pub struct Arr<T, const N: usize> {
    pub tag: u8,
    pub items: [T; N],
}

pub struct Listed<T, const N: usize> {
    pub x: [T; N],
    pub y: u64,
}

pub mod q {
    pub struct Ring<T, const N: usize> {
        pub head: usize,
        pub buf: [T; N],
        pub tail: u8,
    }
}

pub struct Uses {
    pub p: Pair<u64>,
    pub d: WithDefault<u8>,
    pub arr: Arr<u16, 5>,
    #[cfg(any())]
    pub gone: Pair<u32>,
    #[cfg(target_os = "windows")]
    pub win: Pair<i16>,
}
"#;

const MANIFEST: &str = r#"[package]
name = "instances"
version = "0.0.0"
edition = "2021"

[workspace]

[package.metadata.layout]
instantiations = ["Listed<u16, 3>", "crate::q::Ring<u8, 4>"]
"#;

fn crate_dir(manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), LIB).unwrap();
    dir
}

fn report(dir: &Path, format: &str) -> std::process::Output {
    let mut args = vec!["report", "--format", format];
    for (t, _) in TARGETS {
        args.extend(["--target", t]);
    }
    Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn entry<'d>(doc: &'d Document, name: &str, target: &str) -> Option<&'d Struct> {
    doc.structs
        .iter()
        .find(|s| s.name == name && s.target == target)
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn instantiations_are_entries_with_rustcs_numbers() {
    let dir = crate_dir(MANIFEST);
    let out = report(dir.path(), "json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let linux = TARGETS[0].0;
    let (i686, windows) = (TARGETS[1].0, TARGETS[2].0);

    // Which instantiations exist where.
    let names = |t: &str| -> Vec<&str> {
        doc.structs
            .iter()
            .filter(|s| s.target == t && s.instance_of.is_some())
            .map(|s| s.name.as_str())
            .collect()
    };
    let mut on_linux = names(linux);
    on_linux.sort();
    assert_eq!(
        on_linux,
        [
            "Arr<u16, 5>",
            "Listed<u16, 3>",
            "Pair<u64>",
            "Ring<u8, 4>",
            "WithDefault<u8>"
        ]
    );
    assert!(
        names(windows).contains(&"Pair<i16>"),
        "{:?}",
        names(windows)
    );
    assert!(!names(linux).contains(&"Pair<i16>"));
    assert!(!doc.structs.iter().any(|s| s.name == "Pair<u32>"));

    // Where: the generic definition, and where it was named.
    let pair = entry(&doc, "Pair<u64>", linux).unwrap();
    assert_eq!(pair.path, "crate::Pair<u64>");
    assert_eq!(pair.instance_of.as_deref(), Some("crate::Pair"));
    assert!(!pair.generic);
    assert_eq!((pair.file.as_str(), pair.line), ("src/lib.rs", 2));
    let at = pair.named_at.as_ref().unwrap();
    assert_eq!(at.file, "src/lib.rs");
    assert_eq!(at.line, line_of(LIB, "pub p: Pair<u64>"));
    assert_eq!(at.column, 12);
    assert!(at.via.is_none() && !at.listed);
    assert_eq!(at.written, "Pair<u64>");
    let ring = entry(&doc, "Ring<u8, 4>", linux).unwrap();
    assert_eq!(ring.instance_of.as_deref(), Some("crate::q::Ring"));
    assert_eq!(ring.line, line_of(LIB, "pub struct Ring"));
    let at = ring.named_at.as_ref().unwrap();
    assert!(at.listed && at.file.ends_with("Cargo.toml"), "{at:?}");
    assert_eq!(at.written, "crate::q::Ring<u8, 4>");
    assert_eq!(
        (at.line, at.column),
        (line_of(MANIFEST, "instantiations"), 37)
    );

    // The generic struct's own entry: the fields that do not depend on `T`.
    let own = entry(&doc, "Pair", linux).unwrap();
    assert!(own.generic && own.instance_of.is_none() && own.named_at.is_none());
    assert_eq!(own.size, None);
    assert_eq!(own.fields[1].size, Some(1));

    // Numbers that differ by target: u64 is 4-aligned on i686.
    assert_eq!(
        (pair.size, pair.align, pair.fields[0].offset),
        (Some(16), Some(8), Some(0))
    );
    let pair32 = entry(&doc, "Pair<u64>", i686).unwrap();
    assert_eq!((pair32.size, pair32.align), (Some(12), Some(4)));
    let with = entry(&doc, "WithDefault<u8>", linux).unwrap();
    assert_eq!(with.size, Some(8));
    let arr = entry(&doc, "Arr<u16, 5>", linux).unwrap();
    assert_eq!(
        (arr.size, arr.fields[1].offset, arr.fields[1].size),
        (Some(12), Some(2), Some(10))
    );

    // Every number claimed for an instantiation, checked by rustc.
    let mut src = String::from(LIB);
    src.push_str("use core::mem::{align_of, offset_of, size_of};\n");
    let mut claims = 0;
    for s in doc.structs.iter().filter(|s| s.instance_of.is_some()) {
        let (Some(size), Some(align)) = (s.size, s.align) else {
            panic!("{} on {}: unknown: {:?}", s.name, s.target, s.unknown);
        };
        let of = s.instance_of.as_deref().unwrap();
        let ty = format!("{of}{}", &s.name[s.name.find('<').unwrap()..]);
        let cfg = TARGETS.iter().find(|(t, _)| *t == s.target).unwrap().1;
        let _ = write!(
            src,
            "\n#[cfg({cfg})]\nconst _: () = {{\n    assert!(size_of::<{ty}>() == {size});\n    assert!(align_of::<{ty}>() == {align});\n"
        );
        claims += 2;
        for f in &s.fields {
            let o = f.offset.unwrap();
            let _ = writeln!(src, "    assert!(offset_of!({ty}, {}) == {o});", f.name);
            claims += 1;
        }
        src.push_str("};\n");
    }
    assert!(claims >= 40, "only {claims} claims");
    let check = tempfile::tempdir().unwrap();
    std::fs::create_dir(check.path().join("src")).unwrap();
    std::fs::write(
        check.path().join("Cargo.toml"),
        "[package]\nname = \"claims\"\nversion = \"0.0.0\"\nedition = \"2021\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(check.path().join("src/lib.rs"), &src).unwrap();
    for (t, _) in TARGETS {
        let out = Command::new(env!("CARGO"))
            .args(["check", "-q", "--target", t])
            .current_dir(check.path())
            .env("CARGO_TARGET_DIR", check.path().join("target"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rustc refutes a claim on {t} (`rustup target add {t}` if it is missing):\n{}\n{src}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn text_points_a_generic_struct_at_its_instantiations() {
    let dir = crate_dir(MANIFEST);
    let out = report(dir.path(), "text");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("/* generic: see the instantiations below: Pair<u64>, Pair<i16> */"),
        "{text}"
    );
    assert!(
        text.contains("/* instantiation of crate::q::Ring, named at Cargo.toml:9:37 */"),
        "{text}"
    );
    // Generic structs' own entries are not unknown layouts.
    assert!(text.contains("; 0 unchecked (unknown layout)"), "{text}");
}

#[test]
fn an_unresolvable_listed_instantiation_is_an_input_error() {
    let manifest = MANIFEST.replace("\"Listed<u16, 3>\"", "\"Nope<u8>\"");
    let dir = crate_dir(&manifest);
    let out = report(dir.path(), "json");
    assert_eq!(out.status.code(), Some(2));
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let e = doc
        .errors
        .iter()
        .find(|e| e.message.contains("Nope<u8>"))
        .unwrap_or_else(|| panic!("{:?}", doc.errors));
    assert!(e.file.ends_with("Cargo.toml"), "{e:?}");
    assert_eq!(e.line, Some(line_of(&manifest, "instantiations")));
    assert!(
        e.message
            .contains("[package.metadata.layout] instantiations"),
        "{e:?}"
    );
    // The rest is still reported.
    assert!(entry(&doc, "Pair<u64>", TARGETS[0].0).is_some());
}
