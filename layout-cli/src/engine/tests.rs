//! Engine behaviour on small sources: errors, cfg, annotations. The numbers themselves
//! are checked against rustc by `tests/oracle.rs`.

use std::path::PathBuf;

use ::layout::target::{AARCH64_MACOS, I686_LINUX, TargetInfo, X86_64_LINUX, X86_64_WINDOWS_MSVC};

use super::analyze;
use crate::analysis::{Analysis, FieldKind, StructKind, StructReport};

fn run(files: &[(&str, &str)], targets: &[&'static TargetInfo]) -> (Analysis, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"t\"\n").unwrap();
    for (name, text) in files {
        let p = src.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let a = analyze(&[dir.path().to_path_buf()], targets);
    (a, dir)
}

fn get<'a>(a: &'a Analysis, name: &str, t: &TargetInfo) -> &'a StructReport {
    a.structs
        .iter()
        .find(|s| s.name == name && s.target.triple == t.triple)
        .unwrap_or_else(|| panic!("no {name} on {}", t.short))
}

#[test]
fn recursive_type_is_an_error_not_a_crash() {
    let (a, _d) = run(
        &[(
            "lib.rs",
            "struct A { b: B, x: u8 }\nstruct B { a: A }\nstruct Ok1 { next: Option<Box<Ok1>> }\nstruct S { s: Self }\n",
        )],
        &[&X86_64_LINUX],
    );
    assert!(get(&a, "A", &X86_64_LINUX).size.is_none());
    assert!(get(&a, "S", &X86_64_LINUX).size.is_none());
    assert_eq!(get(&a, "Ok1", &X86_64_LINUX).size, Some(8));
    assert!(
        a.errors
            .iter()
            .any(|e| e.message.contains("infinite size") && e.line == Some(1)),
        "{:?}",
        a.errors
    );
    assert!(
        a.errors
            .iter()
            .any(|e| e.message.contains("infinite size") && e.line == Some(4)),
        "{:?}",
        a.errors
    );
}

#[test]
fn overflow_is_an_error_with_a_line() {
    let (a, _d) = run(
        &[(
            "lib.rs",
            "struct Fine(u8);\nstruct Huge {\n    a: [u64; usize::MAX],\n}\nstruct Big { a: [[u8; 1 << 40]; 1 << 30] }\n",
        )],
        &[&X86_64_LINUX, &I686_LINUX],
    );
    assert!(get(&a, "Huge", &X86_64_LINUX).size.is_none());
    let e = a
        .errors
        .iter()
        .find(|e| e.message.contains("size overflows"))
        .expect("overflow error");
    assert_eq!(e.line, Some(3));
    assert!(get(&a, "Big", &X86_64_LINUX).size.is_none());
    assert_eq!(get(&a, "Fine", &I686_LINUX).size, Some(1));
}

#[test]
fn bad_files_are_errors_and_others_still_reported() {
    let deep = format!(
        "const X: u8 = {}1{};\nstruct AfterDeep;",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let (a, _d) = run(
        &[
            (
                "lib.rs",
                "mod broken; mod deep;\npub struct Good { a: u32 }\n",
            ),
            ("broken.rs", "pub struct Bad {\n    a: u8,,\n}\n"),
            ("deep.rs", &deep),
            (
                "weird.rs",
                "struct W { a: [u8; 99999999999999999999999999999999999999999999] }",
            ),
        ],
        &[&X86_64_LINUX],
    );
    assert_eq!(get(&a, "Good", &X86_64_LINUX).size, Some(4));
    let broken = a
        .errors
        .iter()
        .find(|e| e.file.ends_with("broken.rs"))
        .expect("parse error");
    assert_eq!(broken.line, Some(2));
    assert!(broken.column.is_some());
    assert!(a.errors.iter().any(|e| e.file.ends_with("deep.rs")));
    assert!(get(&a, "W", &X86_64_LINUX).size.is_none());
    assert!(a.errors.iter().any(|e| e.file.ends_with("weird.rs")));
    let missing = analyze(&[PathBuf::from("/nonexistent/x.rs")], &[&X86_64_LINUX]);
    assert_eq!(missing.errors.len(), 1);
}

#[test]
fn cfg_selects_fields_structs_and_reprs_per_target() {
    let src = r#"
#[cfg_attr(target_os = "macos", repr(C, align(128)))]
pub struct S {
    a: u8,
    #[cfg(windows)]
    w: u64,
    #[cfg(target_pointer_width = "32")]
    n: u16,
    #[cfg(feature = "x")]
    f: [u8; 100],
}
#[cfg(unix)]
pub struct OnlyUnix(u8);
#[cfg(test)]
pub struct OnlyTest(u8);
"#;
    let (a, _d) = run(
        &[("lib.rs", src)],
        &[
            &X86_64_LINUX,
            &X86_64_WINDOWS_MSVC,
            &AARCH64_MACOS,
            &I686_LINUX,
        ],
    );
    let names = |t: &TargetInfo| -> Vec<String> {
        get(&a, "S", t)
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(names(&X86_64_LINUX), ["a"]);
    assert_eq!(names(&X86_64_WINDOWS_MSVC), ["a", "w"]);
    assert_eq!(names(&I686_LINUX), ["a", "n"]);
    let mac = get(&a, "S", &AARCH64_MACOS);
    assert_eq!((mac.size, mac.align), (Some(128), Some(128)));
    assert_eq!(mac.repr_text, "C, align(128)");
    assert!(mac.repr.c && mac.repr.align == Some(128));
    assert_eq!(get(&a, "S", &X86_64_LINUX).repr_text, "Rust");
    assert!(
        a.structs
            .iter()
            .any(|s| s.name == "OnlyUnix" && s.target.os == "macos")
    );
    assert!(
        !a.structs
            .iter()
            .any(|s| s.name == "OnlyUnix" && s.target.os == "windows")
    );
    assert!(!a.structs.iter().any(|s| s.name == "OnlyTest"));
    // Grouped by struct, then target order.
    let order: Vec<&str> = a
        .structs
        .iter()
        .filter(|s| s.name == "S")
        .map(|s| s.target.short)
        .collect();
    assert_eq!(
        order,
        [
            "x86_64-linux",
            "x86_64-windows-msvc",
            "aarch64-macos",
            "i686-linux"
        ]
    );
}

#[test]
fn annotations_intent_and_flags() {
    let src = r#"
use std::sync::atomic::AtomicU64;
use layout::CacheLayout;

#[derive(Debug, CacheLayout)]
#[repr(C, align(64))]
#[layout(size = 128, line = 64)]
pub struct Hot {
    #[layout(line = 0, group = "prod")]
    head: AtomicU64,
    #[layout(pad)]
    _pad: [u8; 56],
    #[layout(line = 1, isolated)]
    tail: AtomicU64,
}

// layout:ignore
#[repr(C)]
pub struct Wire { a: u8, b: u32 }

#[layout(fixed)]
pub struct Fixed(u8);

pub struct Gen<'a, T> { r: &'a T, n: u32 }

pub struct Plain { c: std::cell::Cell<u8>, m: std::sync::Mutex<u8>, v: Vec<u8> }
"#;
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    let hot = get(&a, "Hot", &X86_64_LINUX);
    assert!(hot.annotated && !hot.fixed && !hot.generic);
    assert_eq!(hot.expect.size, Some(128));
    assert_eq!(hot.line_size, 64);
    assert_eq!(hot.kind, StructKind::Named);
    assert_eq!(hot.path, "crate::Hot");
    assert_eq!((hot.line, hot.column), (8, 12));
    assert_eq!(hot.fields[0].intent.group.as_deref(), Some("prod"));
    assert!(hot.fields[1].intent.pad && hot.fields[2].intent.isolated);
    assert_eq!(hot.fields[2].offset, Some(64));
    assert_eq!(hot.fields[0].kind, FieldKind::Atomic);
    assert_eq!(hot.fields[1].ty, "[u8; 56]");
    assert_eq!((hot.fields[2].line, hot.fields[2].column), (14, 5));
    let wire = get(&a, "Wire", &X86_64_LINUX);
    assert!(wire.fixed && !wire.annotated);
    assert!(get(&a, "Fixed", &X86_64_LINUX).fixed);
    let g = get(&a, "Gen", &X86_64_LINUX);
    assert!(g.generic);
    assert_eq!(g.size, Some(16));
    let p = get(&a, "Plain", &X86_64_LINUX);
    let kinds: Vec<FieldKind> = p.fields.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FieldKind::Cell, FieldKind::Lock, FieldKind::Plain]);
    assert_eq!(get(&a, "Fixed", &X86_64_LINUX).kind, StructKind::Tuple);
}

#[test]
fn unknowns_keep_known_parts_and_give_a_reason() {
    let src = r#"
#[repr(C)]
pub struct C { a: u8, b: u32, c: other_crate::Thing, d: u8 }
pub struct R { a: u8, b: other_crate::Thing }
pub struct M { a: my_macro!() }
pub struct G<T> { t: T }
"#;
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    let c = get(&a, "C", &X86_64_LINUX);
    assert_eq!(c.size, None);
    let offs: Vec<Option<usize>> = c.fields.iter().map(|f| f.offset).collect();
    assert_eq!(offs, [Some(0), Some(4), None, None]);
    assert_eq!(c.fields[1].size, Some(4));
    assert!(c.unknown.as_deref().unwrap().contains("other_crate::Thing"));
    let r = get(&a, "R", &X86_64_LINUX);
    assert!(r.fields.iter().all(|f| f.offset.is_none()));
    assert_eq!(r.fields[0].size, Some(1));
    assert!(
        get(&a, "M", &X86_64_LINUX)
            .unknown
            .as_deref()
            .unwrap()
            .contains("macro")
    );
    assert!(
        get(&a, "G", &X86_64_LINUX)
            .unknown
            .as_deref()
            .unwrap()
            .contains("generic")
    );
    assert!(a.errors.is_empty());
}

#[test]
fn bad_discriminants_are_errors() {
    let src = "#[repr(u8)]\npub enum E { A = 0, B = 1000 }\npub struct S { e: E }\n\
               pub enum F { A = -170141183460469231731687303715884105728, B = 170141183460469231731687303715884105727 }\n\
               pub struct T { f: F }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    assert!(get(&a, "S", &X86_64_LINUX).size.is_none());
    assert!(get(&a, "T", &X86_64_LINUX).size.is_none());
    assert!(
        a.errors.iter().any(|e| e.message.contains("do not fit")),
        "{:?}",
        a.errors
    );
}

#[test]
fn packed_with_an_atomic_is_e0588() {
    let src = "#[repr(packed)]\npub struct P { a: u8, b: std::sync::atomic::AtomicU64 }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    assert!(get(&a, "P", &X86_64_LINUX).size.is_none());
    assert!(
        a.errors.iter().any(|e| e.message.contains("E0588")),
        "{:?}",
        a.errors
    );
}

#[test]
fn field_kinds_look_into_the_crates_own_structs() {
    let src = r#"
use std::sync::atomic::AtomicBool;
mod raw {
    pub struct Flag { pub set: std::sync::atomic::AtomicBool }
    pub struct Guarded { pub m: std::sync::Mutex<u8>, pub c: std::cell::Cell<u8> }
}
pub struct Lock { raw: raw::Flag, value: std::cell::UnsafeCell<u64> }
pub struct Outer { locks: [Lock; 2], n: u64 }
pub struct Held { g: raw::Guarded }
pub struct Quiet { w: Words, v: Vec<u8> }
pub struct Words { a: u64, b: u32 }
pub struct Gated {
    #[cfg(target_os = "windows")]
    a: AtomicBool,
    b: u64,
}
pub struct HoldsGated { g: Gated }
pub struct Loop1 { a: Loop2 }
pub struct Loop2 { b: Loop1 }
"#;
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX, &X86_64_WINDOWS_MSVC]);
    let kinds = |name: &str, t: &TargetInfo| -> Vec<FieldKind> {
        get(&a, name, t).fields.iter().map(|f| f.kind).collect()
    };
    let l = &X86_64_LINUX;
    // An atomic one struct down, and through an array of such structs.
    assert_eq!(kinds("Lock", l), [FieldKind::Atomic, FieldKind::Cell]);
    assert_eq!(kinds("Outer", l), [FieldKind::Atomic, FieldKind::Plain]);
    // The strongest of what the fields hold: a lock over a cell.
    assert_eq!(kinds("Held", l), [FieldKind::Lock]);
    assert_eq!(kinds("Quiet", l), [FieldKind::Plain, FieldKind::Plain]);
    // Fields absent on a target do not count there.
    assert_eq!(kinds("HoldsGated", l), [FieldKind::Plain]);
    assert_eq!(
        kinds("HoldsGated", &X86_64_WINDOWS_MSVC),
        [FieldKind::Atomic]
    );
    // A cycle (rustc rejects it) ends as plain instead of recursing.
    assert_eq!(kinds("Loop1", l), [FieldKind::Plain]);
}

#[test]
fn field_kinds_see_an_atomic_at_the_end_of_a_long_chain() {
    // C0 { next: C1 } ... C2999 { flag: AtomicBool }: every link holds the atomic,
    // whichever struct is reported first, and the walk does not recurse 3,000 deep.
    let mut src = String::new();
    for i in 0..2999 {
        src.push_str(&format!("pub struct C{i} {{ next: C{}, v: u8 }}\n", i + 1));
    }
    src.push_str("pub struct C2999 { flag: std::sync::atomic::AtomicBool }\n");
    let (a, _d) = run(&[("lib.rs", &src)], &[&X86_64_LINUX]);
    for name in ["C0", "C17", "C1500", "C2998"] {
        let s = get(&a, name, &X86_64_LINUX);
        assert_eq!(
            (s.fields[0].kind, s.fields[1].kind),
            (FieldKind::Atomic, FieldKind::Plain),
            "{name}"
        );
    }
}

#[test]
fn long_chains_do_not_overflow_the_stack() {
    let mut src = String::new();
    for i in 0..3000 {
        src.push_str(&format!("pub struct S{i} {{ next: S{}, v: u8 }}\n", i + 1));
    }
    src.push_str("pub struct S3000 { v: u64 }\n");
    src.push_str("type A0 = A1;\n");
    for i in 1..500 {
        src.push_str(&format!("type A{i} = A{};\n", i + 1));
    }
    src.push_str("type A500 = A0;\npub struct UsesAlias { a: A0 }\n");
    let (a, _d) = run(&[("lib.rs", &src)], &[&X86_64_LINUX]);
    assert_eq!(get(&a, "S2999", &X86_64_LINUX).size, Some(16));
    assert!(get(&a, "UsesAlias", &X86_64_LINUX).size.is_none());
}

#[test]
fn modules_uses_and_aliases_resolve() {
    let files = [
        (
            "lib.rs",
            "mod a;\nmod b { pub struct InB { pub x: super::a::InA } }\nuse b::InB as Renamed;\ntype Word = u64;\npub struct Top { r: Renamed, w: Word, c: crate::a::c::InC }\n",
        ),
        (
            "a/mod.rs",
            "pub mod c;\npub struct InA(pub u16, pub bool);\n",
        ),
        (
            "a/c.rs",
            "use super::super::b::InB;\npub struct InC { pub i: InB, pub z: [u8; 3] }\n",
        ),
    ];
    let (a, _d) = run(&files, &[&X86_64_LINUX]);
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    assert_eq!(get(&a, "InC", &X86_64_LINUX).path, "crate::a::c::InC");
    assert_eq!(get(&a, "InB", &X86_64_LINUX).path, "crate::b::InB");
    let top = get(&a, "Top", &X86_64_LINUX);
    assert!(top.size.is_some(), "{:?}", top.unknown);
}

/// Seeded mutation of real sources (the oracle fixture): whatever comes out, the engine
/// answers without panicking (a panic would surface as the "internal error" entry).
#[test]
fn mutated_sources_never_panic() {
    let base = [
        include_str!("../../tests/fixtures/oracle/src/lib.rs"),
        include_str!("../../tests/fixtures/oracle/src/net.rs"),
        include_str!("../../tests/fixtures/oracle/src/sync_types.rs"),
    ];
    const SNIPPETS: &[&str] = &[
        "<",
        ">",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ";",
        ",",
        "::",
        "'a",
        "!",
        "&",
        "*const ",
        "Self",
        "struct X",
        "u64",
        "[u8; usize::MAX]",
        "#[repr(packed)]",
        "#[repr(C, align(3))]",
        "#[cfg_attr(unix, repr(align(4096)))]",
        "#[cfg(any(",
        "Option<",
        "Box<dyn ",
        "= -1",
        "mod m { pub struct Y(super::Y); }",
        "type T = T;",
        "const N: usize = N;",
        "\"",
        "'",
        "r#\"",
        "/*",
        "//",
        "\u{0}",
        "é",
        "0x_ffff_ffff_ffff_ffff_ffff",
        "#![cfg(windows)]",
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let iterations = if cfg!(miri) { 2 } else { 120 };
    for _ in 0..iterations {
        let mut text = base[next(base.len())].to_string();
        for _ in 0..1 + next(4) {
            let mut at = next(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match next(3) {
                0 => text.insert_str(at, SNIPPETS[next(SNIPPETS.len())]),
                1 => {
                    let mut end = (at + next(40)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.replace_range(at..end, "");
                }
                _ => text.truncate(at),
            }
        }
        let (a, _d) = run(&[("lib.rs", &text)], &[&X86_64_LINUX, &I686_LINUX]);
        assert!(
            !a.errors
                .iter()
                .any(|e| e.message.contains("internal error")),
            "engine panicked on:\n{text}"
        );
    }
}

#[test]
fn data_enums_generics_and_std_types_lay_out() {
    let src = r#"
use std::borrow::Cow;
use std::task::{Poll, Waker};
pub enum Shape { Circle(f64), Rect(u32, u32), Empty }
pub enum Either<L, R> { Left(L), Right(R) }
pub struct Pair<T> { a: T, b: u8 }
pub struct Wrap<T = u32>(T);
pub struct Buf<const N: usize> { b: [u8; N] }
mod loom { pub mod std { pub use std::sync::Mutex; } }
pub struct S {
    shape: Shape,
    either: Either<u8, u32>,
    res: Result<u64, ()>,
    boxed: Result<Box<u8>, ()>,
    cow: Cow<'static, str>,
    waker: Option<Waker>,
    poll: Poll<u32>,
    pair: Pair<u64>,
    wrap: Wrap,
    buf: Buf<3>,
    shim: crate::loom::std::Mutex<u32>,
    layout: std::alloc::Layout,
    opt_layout: Option<std::alloc::Layout>,
}
"#;
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX, &I686_LINUX]);
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    let s = get(&a, "S", &X86_64_LINUX);
    let sizes: Vec<(&str, Option<usize>)> =
        s.fields.iter().map(|f| (f.name.as_str(), f.size)).collect();
    assert_eq!(
        sizes,
        [
            ("shape", Some(16)),
            ("either", Some(8)),
            ("res", Some(16)),
            ("boxed", Some(8)),
            ("cow", Some(24)),
            ("waker", Some(16)),
            ("poll", Some(8)),
            ("pair", Some(16)),
            ("wrap", Some(4)),
            ("buf", Some(3)),
            ("shim", Some(12)),
            ("layout", Some(16)),
            ("opt_layout", Some(16)),
        ]
    );
    assert!(s.size.is_some(), "{:?}", s.unknown);
    let s32 = get(&a, "S", &I686_LINUX);
    let cow = s32.fields.iter().find(|f| f.name == "cow").unwrap();
    assert_eq!(cow.size, Some(12));
    let res = s32.fields.iter().find(|f| f.name == "res").unwrap();
    assert_eq!((res.size, res.align), (Some(12), Some(4)));
}

#[test]
fn instantiations_are_found_and_laid_out() {
    let src = "pub struct Pair<T> { a: T, b: u8 }\n\
               pub struct Buf<const N: usize> { n: u8, b: [u16; N] }\n\
               pub struct Outer<T> { p: Pair<T> }\n\
               pub struct Uses { x: Pair<u64>, y: Option<Pair<bool>>, z: Pair<u64>, o: Outer<u8> }\n\
               mod inner { pub struct Pair2 { p: super::Pair<u32> } }\n\
               fn verify<T>() {}\n\
               fn f() { verify::<Buf<3>>(); }\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), src).unwrap();
    let mut errors = Vec::new();
    let files: Vec<_> = crate::source::collect(&[dir.path().to_path_buf()], &mut errors)
        .into_iter()
        .map(|(p, r)| crate::source::load(&p, &r).unwrap())
        .collect();
    let ix = crate::index::Index::build(files);
    let ctx = super::types::Ctx::new(&ix, &X86_64_LINUX);
    let found = super::instances::instantiations(&ctx);
    let texts: Vec<&str> = found.iter().map(|i| i.text.as_str()).collect();
    // `Pair<T>` in `Outer` mentions a parameter: it is implied by `Outer<u8>`, at the
    // field's position; the second `Pair<u64>` is the first.
    assert_eq!(
        texts,
        [
            "Pair<u64>",
            "Pair<bool>",
            "Outer<u8>",
            "Pair<u32>",
            "Buf<3>",
            "Pair<u8>"
        ]
    );
    assert_eq!(found[5].via.as_deref(), Some("Outer<u8>"));
    assert_eq!(found[5].line, 3);
    assert_eq!(
        ctx.struct_instance(&found[5]).layout.clone().unwrap().size,
        2
    );
    let pair = &found[0];
    assert_eq!((pair.line, pair.column), (4, 22));
    let size = |i: usize| {
        let o = ctx.struct_instance(&found[i]);
        let l = o.layout.clone().unwrap();
        (l.size, l.align, o.offsets.clone())
    };
    assert_eq!(size(0), (16, 8, vec![Some(0), Some(8)]));
    assert_eq!(size(1), (2, 1, vec![Some(0), Some(1)]));
    assert_eq!(size(2).0, 2);
    assert_eq!(size(4), (8, 2, vec![Some(6), Some(0)]));
    // The generic struct's own entry keeps the parameter unknown.
    let own = ctx.struct_report(found[0].id);
    assert!(own.layout.is_err());
    assert_eq!(own.fields[1].layout.clone().unwrap().size, 1);
}

#[test]
fn bare_std_trait_objects_are_fat() {
    let src = "use std::any::Any;\npub struct B { a: Box<Send>, b: &'static Any, c: Box<std::fmt::Debug>, d: Box<u8> }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    let b = get(&a, "B", &X86_64_LINUX);
    let sizes: Vec<Option<usize>> = b.fields.iter().map(|f| f.size).collect();
    assert_eq!(sizes, [Some(16), Some(16), Some(16), Some(8)]);
}

/// This repository's event loop: every generic struct it names with arguments lays out,
/// except through types of another crate (`mio`), which this engine does not read.
#[test]
fn eventloop_instantiations_lay_out() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../eventloop");
    let mut errors = Vec::new();
    let files: Vec<_> = crate::source::collect(&[dir], &mut errors)
        .into_iter()
        .filter_map(|(p, r)| crate::source::load(&p, &r).ok())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let ix = crate::index::Index::build(files);
    let ctx = super::types::Ctx::new(&ix, &X86_64_LINUX);
    let found = super::instances::instantiations(&ctx);
    let mut report = Vec::new();
    for inst in &found {
        let o = ctx.struct_instance(inst);
        match &o.layout {
            Ok(l) => report.push(format!("{} = {}", inst.text, l.size)),
            Err(w) => {
                assert!(
                    w.message().contains("mio::"),
                    "{}: {}",
                    inst.text,
                    w.message()
                );
                report.push(format!("{} = ? ({})", inst.text, w.message()));
            }
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(found.len() >= 3, "{report:?}");
}

#[test]
fn enum_layouts_for_reports() {
    let src = "pub enum Shape { Circle(f64), Rect(u32, u32), Empty }\npub enum Either<L, R> { Left(L), Right(R) }\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), src).unwrap();
    let mut errors = Vec::new();
    let files: Vec<_> = crate::source::collect(&[dir.path().to_path_buf()], &mut errors)
        .into_iter()
        .map(|(p, r)| crate::source::load(&p, &r).unwrap())
        .collect();
    let ix = crate::index::Index::build(files);
    let ctx = super::types::Ctx::new(&ix, &I686_LINUX);
    let shape = ctx.enum_report(0).unwrap();
    // i686: f64 is 4-aligned, so the tag widens to u32 and the size is 12.
    assert_eq!((shape.size, shape.align), (12, 4));
    assert!(ctx.enum_report(1).is_err());
    let args: syn::AngleBracketedGenericArguments = syn::parse_str("<u8, u64>").unwrap();
    let args: Vec<syn::GenericArgument> = args.args.into_iter().collect();
    let e = ctx.enum_with_args(1, &args, 0).unwrap();
    assert_eq!((e.size, e.align), (12, 4));
}

#[test]
fn projections_bounded_by_a_crate_trait_are_sized_pointees() {
    let src = "pub unsafe trait Link { type Handle; type Target; }\n\
               pub unsafe trait Loose { type Target: ?Sized; }\n\
               pub struct List<L: Link> { head: Option<core::ptr::NonNull<L::Target>>, tail: Option<core::ptr::NonNull<L::Target>> }\n\
               pub struct Where<L> where L: Link { p: *const L::Target }\n\
               pub struct Relaxed<L: Loose> { p: *const L::Target }\n\
               pub struct Node { next: u64 }\n\
               pub struct Entry;\n\
               unsafe impl Link for Entry { type Handle = u8; type Target = Node; }\n\
               unsafe impl Loose for Entry { type Target = [u8]; }\n\
               pub struct Holder { list: List<Entry>, w: Where<Entry> }\n\
               pub struct HolderRelaxed { r: Relaxed<Entry> }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    assert_eq!(get(&a, "Holder", &X86_64_LINUX).size, Some(24));
    // `type Target: ?Sized` may be unsized: the pointer may be fat.
    let r = get(&a, "HolderRelaxed", &X86_64_LINUX);
    assert_eq!(r.size, None);
    assert!(
        r.unknown
            .as_deref()
            .is_some_and(|u| u.contains("L::Target")),
        "{:?}",
        r.unknown
    );
}

#[test]
fn generic_aliases_behind_pointers_bind_their_arguments() {
    let src = "pub struct Wrapper<R, T: ?Sized> { r: R, data: core::cell::UnsafeCell<T> }\n\
               pub type Locked<T> = Wrapper<u8, T>;\n\
               pub struct Inner { a: u64 }\n\
               pub struct H { thin: std::sync::Arc<Locked<Inner>>, fat: Box<Locked<[u8]>> }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX, &I686_LINUX]);
    assert_eq!(get(&a, "H", &X86_64_LINUX).size, Some(24));
    assert_eq!(get(&a, "H", &I686_LINUX).size, Some(12));
}

#[test]
fn glob_imports_keep_their_cfg() {
    let src = "mod wide { pub struct T { x: u64 } }\n\
               mod narrow { pub struct T { x: u8 } }\n\
               #[cfg(windows)] pub use wide::*;\n\
               #[cfg(not(windows))] pub use narrow::*;\n\
               pub struct G { t: T }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX, &X86_64_WINDOWS_MSVC]);
    assert_eq!(get(&a, "G", &X86_64_LINUX).size, Some(1));
    assert_eq!(get(&a, "G", &X86_64_WINDOWS_MSVC).size, Some(8));
}

#[test]
fn os_handles_are_modelled_only_where_measured() {
    let src = "pub struct N { s: std::net::TcpStream, k: std::io::ErrorKind, o: std::io::Stdout }\n\
               pub struct C { c: std::process::Child }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX, &X86_64_WINDOWS_MSVC]);
    assert_eq!(get(&a, "N", &X86_64_LINUX).size, Some(16));
    assert_eq!(get(&a, "N", &X86_64_WINDOWS_MSVC).size, Some(24));
    assert_eq!(get(&a, "C", &X86_64_LINUX).size, Some(28));
    // Windows' `Child` is not tabulated: unknown, not guessed.
    assert_eq!(get(&a, "C", &X86_64_WINDOWS_MSVC).size, None);
}

#[test]
fn types_declared_inside_unexpanded_macros_name_the_macro() {
    let src = "mod sys { s! { pub struct Event { a: u32 } } pub struct Plain { b: u8 } }\n\
               pub use sys::*;\n\
               pub struct E { e: Event, p: Plain }\n\
               pub struct B { b: Box<sys::Event> }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    let e = get(&a, "E", &X86_64_LINUX);
    assert_eq!(e.size, None);
    assert_eq!(
        e.unknown.as_deref(),
        Some("field `e`: `Event` is declared by macro `s!`, which is not expanded")
    );
    let b = get(&a, "B", &X86_64_LINUX);
    assert!(
        b.unknown
            .as_deref()
            .is_some_and(|u| u.contains("declared by macro `s!`")),
        "{:?}",
        b.unknown
    );
}

/// The plain path reports each instantiation as an entry of its own, after its generic
/// struct's: one per struct and resolved arguments per target, however often it is
/// named, and two that read alike but bind different types are two (ordinals 0 and 1).
#[test]
fn instantiations_are_reported_as_entries() {
    let src = "pub struct Pair<T> { a: T, b: u8 }\n\
               pub struct Uses { x: Pair<u64>, y: Pair<u64> }\n\
               mod a { pub struct Foo; pub struct U { p: crate::Pair<Foo> } }\n\
               mod b { pub struct Foo(u64); pub struct U { p: crate::Pair<Foo> } }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX, &I686_LINUX]);
    let names: Vec<(&str, &str, u32)> = a
        .structs
        .iter()
        .filter(|s| s.target.triple == X86_64_LINUX.triple)
        .map(|s| (s.name.as_str(), s.id.name.as_str(), s.id.ordinal))
        .collect();
    assert_eq!(
        names[..4],
        [
            ("Pair", "Pair", 0),
            ("Pair<u64>", "Pair<u64>", 0),
            ("Pair<Foo>", "Pair<Foo>", 0),
            ("Pair<Foo>", "Pair<Foo>", 1),
        ]
    );
    let own = get(&a, "Pair", &X86_64_LINUX);
    assert!(own.generic && own.instance.is_none() && own.size.is_none());
    let p = get(&a, "Pair<u64>", &I686_LINUX);
    assert!(!p.generic);
    assert_eq!((p.size, p.align), (Some(12), Some(4)));
    assert_eq!((p.line, p.path.as_str()), (1, "crate::Pair<u64>"));
    let at = p.instance.as_ref().unwrap();
    assert_eq!(at.generic, "crate::Pair");
    assert_eq!((at.line, at.column, at.listed), (2, 22, false));
    assert_eq!(at.written, "Pair<u64>");
    let foo = a.structs.iter().find(|s| s.name == "Pair<Foo>").unwrap();
    assert_eq!(foo.instance.as_ref().unwrap().written, "crate::Pair<Foo>");
    assert!(at.via.is_none());
    let foos: Vec<Option<usize>> = a
        .structs
        .iter()
        .filter(|s| s.name == "Pair<Foo>" && s.target.triple == X86_64_LINUX.triple)
        .map(|s| s.size)
        .collect();
    assert_eq!(foos, [Some(1), Some(16)]);
}

/// An instantiation implied by an implied one reads with the values, not the
/// parameters: `Shared<()>` implies `Lock<()>`, which implies `Cell<()>`.
#[test]
fn implied_instantiations_read_with_the_values() {
    let src = "pub struct Cell<T> { t: T }\n\
               pub struct Lock<T> { c: Cell<T>, n: u8 }\n\
               pub struct Shared<T> { l: Lock<T> }\n\
               pub struct Sender<T> { s: Shared<T>, k: u32 }\n\
               pub struct Uses { a: Sender<()>, b: Sender<u64> }\n";
    let (a, _d) = run(&[("lib.rs", src)], &[&X86_64_LINUX]);
    let mut names: Vec<(&str, Option<usize>, Option<&str>)> = a
        .structs
        .iter()
        .filter(|s| s.instance.is_some())
        .map(|s| {
            let via = s.instance.as_ref().and_then(|i| i.via.as_deref());
            (s.name.as_str(), s.size, via)
        })
        .collect();
    names.sort();
    let lock = a.structs.iter().find(|s| s.name == "Lock<u64>").unwrap();
    assert_eq!(lock.instance.as_ref().unwrap().written, "Lock<u64>");
    assert_eq!(
        names,
        [
            ("Cell<()>", Some(0), Some("Lock<()>")),
            ("Cell<u64>", Some(8), Some("Lock<u64>")),
            ("Lock<()>", Some(1), Some("Shared<()>")),
            ("Lock<u64>", Some(16), Some("Shared<u64>")),
            ("Sender<()>", Some(8), None),
            ("Sender<u64>", Some(24), None),
            ("Shared<()>", Some(1), Some("Sender<()>")),
            ("Shared<u64>", Some(16), Some("Sender<u64>")),
        ]
    );
}
