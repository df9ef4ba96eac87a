//! The oracle: every number `layout_cli::analyze` claims is checked by rustc.
//!
//! For each target row of `layout::target::TARGETS`, the test lays out a fixture crate
//! (`tests/fixtures/oracle`, and a crate of random structs), turns each claimed size,
//! alignment and offset into `const _: () = assert!(...)` appended to the source file
//! the struct lives in (so private fields and the file's own imports are in scope), and
//! runs `cargo check --target T` on the copy. A refuted claim fails the build with the
//! claim's text; unknowns are counted and listed. A target that is not installed fails
//! the test with the `rustup target add` line to run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout::target::{TARGETS, TargetInfo};
use layout_cli::analysis::{Analysis, StructReport};
use layout_cli::analyze;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle")
}

fn build_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-build")
}

/// Fails (never skips) when a target's standard library is missing.
fn require_installed(t: &TargetInfo) {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc runs");
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let lib = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(t.triple)
        .join("lib");
    assert!(
        lib.is_dir(),
        "target {} is not installed, so its claims cannot be checked: run `rustup target add {}`",
        t.triple,
        t.triple
    );
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "target" || name == "Cargo.lock" {
            continue;
        }
        let to = dst.join(&name);
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Module path of a source file under `src/` (as the engine computes it).
fn file_module(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !(parts.is_empty() && stem == "lib" || stem == "mod") {
        parts.push(stem.to_string());
    }
    parts
}

fn static_lifetimes(ty: &str) -> String {
    let mut out = String::new();
    let mut chars = ty.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            while chars
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                chars.next();
            }
            out.push_str("'static");
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct Claims {
    /// Source file (relative to the crate root) -> assertions to append.
    by_file: BTreeMap<PathBuf, String>,
    count: usize,
    unknown: Vec<String>,
    /// Generic instantiations claimed.
    instances: usize,
}

fn claim(out: &mut String, count: &mut usize, cond: String, what: String) {
    *count += 1;
    writeln!(
        out,
        "const _: () = assert!({cond}, \"claim refuted: {what}\");"
    )
    .unwrap();
}

/// Claims for the instantiations of generic structs the crate names (`Pair<u64>`): the
/// engine's `instantiations` and `struct_instance`, checked in the file that names them
/// (where the arguments are in scope) when it is named at that file's top level.
fn instance_claims(krate: &Path, t: &'static TargetInfo, c: &mut Claims) {
    let krate = krate.to_path_buf();
    let found = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut errors = Vec::new();
            let mut files = Vec::new();
            for (path, root) in
                layout_cli::source::collect(std::slice::from_ref(&krate), &mut errors)
            {
                files.push(layout_cli::source::load(&path, &root).unwrap());
            }
            let ix = layout_cli::index::Index::build(files);
            let ctx = layout_cli::engine::types::Ctx::new(&ix, t);
            let mut out = Vec::new();
            for inst in layout_cli::engine::instances::instantiations(&ctx) {
                let f = &ix.files[inst.file];
                // Nameable at the end of the file: named at its top level, with the
                // arguments' names in scope there.
                let top =
                    ix.modules[inst.module].path == f.module && inst.args_module == inst.module;
                let o = ctx.struct_instance(&inst);
                let fields: Vec<(String, Option<u64>)> = o
                    .fields
                    .iter()
                    .zip(&o.offsets)
                    .map(|(f, off)| (f.name.clone(), *off))
                    .collect();
                let layout = o.layout.as_ref().ok().map(|l| (l.size, l.align));
                let rel = f.path.strip_prefix(&krate).unwrap().to_path_buf();
                out.push((rel, top, static_lifetimes(&inst.text), layout, fields));
            }
            out
        })
        .unwrap()
        .join()
        .unwrap();
    for (rel, top, name, layout, fields) in found {
        if !top {
            c.unknown.push(format!(
                "{name}: named inside an inline module, not checked"
            ));
            continue;
        }
        c.instances += 1;
        let out = c.by_file.entry(rel).or_default();
        let what = |x: &str| format!("instance {name} {x} on {}", t.short);
        match layout {
            Some((size, align)) => {
                claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::size_of::<{name}>() == {size}"),
                    what(&format!("size {size}")),
                );
                claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::align_of::<{name}>() == {align}"),
                    what(&format!("align {align}")),
                );
            }
            None => c.unknown.push(format!("instance {name}: size unknown")),
        }
        for (field, off) in fields {
            match off {
                Some(o) => claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::offset_of!({name}, {field}) == {o}"),
                    what(&format!("field {field} offset {o}")),
                ),
                None => c
                    .unknown
                    .push(format!("instance {name}.{field}: offset unknown")),
            }
        }
    }
}

fn claims(a: &Analysis, krate: &Path, t: &'static TargetInfo) -> Claims {
    let src = krate.join("src");
    let mut c = Claims::default();
    instance_claims(krate, t, &mut c);
    for s in a.structs.iter().filter(|s| s.target.triple == t.triple) {
        let rel = s.file.strip_prefix(krate).unwrap().to_path_buf();
        let fmod = file_module(&src, &s.file);
        let segs: Vec<&str> = s.path.split("::").skip(1).collect();
        let (mod_segs, _) = segs.split_at(segs.len() - 1);
        assert!(
            mod_segs.starts_with(&fmod.iter().map(String::as_str).collect::<Vec<_>>()),
            "{}",
            s.path
        );
        let inline: Vec<&str> = mod_segs[fmod.len()..].to_vec();
        let mut name = String::from("self::");
        for m in &inline {
            name.push_str(m);
            name.push_str("::");
        }
        name.push_str(&s.name);
        if let Some(args) = instantiation(s) {
            name.push_str(&args);
        } else {
            c.unknown.push(format!(
                "{}: generic with const parameters, not checked",
                s.path
            ));
            continue;
        }
        let out = c.by_file.entry(rel).or_default();
        let what = |x: &str| format!("{} {x} on {}", s.path, t.short);
        match (s.size, s.align) {
            (Some(size), Some(align)) => {
                claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::size_of::<{name}>() == {size}"),
                    what(&format!("size {size}")),
                );
                claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::align_of::<{name}>() == {align}"),
                    what(&format!("align {align}")),
                );
            }
            _ => c.unknown.push(format!(
                "{}: size unknown ({})",
                s.path,
                s.unknown.as_deref().unwrap_or("no reason given")
            )),
        }
        for f in &s.fields {
            match f.offset {
                Some(o) => claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::offset_of!({name}, {}) == {o}", f.name),
                    what(&format!("field {} offset {o}", f.name)),
                ),
                None => c
                    .unknown
                    .push(format!("{}.{}: offset unknown", s.path, f.name)),
            }
            let checkable = inline.is_empty() && !s.generic && !f.ty.contains("Self");
            if let (Some(size), Some(align), true) = (f.size, f.align, checkable) {
                let ty = static_lifetimes(&f.ty);
                claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::size_of::<{ty}>() == {size}"),
                    what(&format!("field {} size {size}", f.name)),
                );
                claim(
                    out,
                    &mut c.count,
                    format!("::core::mem::align_of::<{ty}>() == {align}"),
                    what(&format!("field {} align {align}", f.name)),
                );
            }
        }
    }
    c
}

/// Generic arguments to name a generic struct: `'static` for lifetimes, `u8` for types.
fn instantiation(s: &StructReport) -> Option<String> {
    let text = std::fs::read_to_string(&s.file).ok()?;
    let file = syn::parse_file(&text).ok()?;
    let mut found = None;
    find_struct(&file.items, &s.name, s.line, &mut found);
    let g = found?;
    if g.params.is_empty() {
        return Some(String::new());
    }
    let mut args = Vec::new();
    for p in &g.params {
        match p {
            syn::GenericParam::Lifetime(_) => args.push("'static".to_string()),
            syn::GenericParam::Type(_) => args.push("u8".to_string()),
            syn::GenericParam::Const(_) => return None,
        }
    }
    Some(format!("<{}>", args.join(", ")))
}

fn find_struct(items: &[syn::Item], name: &str, line: usize, out: &mut Option<syn::Generics>) {
    for it in items {
        match it {
            syn::Item::Struct(s) if s.ident == name && s.ident.span().start().line == line => {
                *out = Some(s.generics.clone());
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    find_struct(items, name, line, out);
                }
            }
            _ => {}
        }
    }
}

/// Copies `krate`, appends the claims and runs `cargo check --target`. Returns the
/// refuted claims (empty on success) and panics if the build fails for another reason.
fn check(krate: &Path, t: &TargetInfo, c: &Claims) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("crate");
    copy_dir(krate, &copy);
    for (rel, text) in &c.by_file {
        let path = copy.join(rel);
        let mut src = std::fs::read_to_string(&path).unwrap();
        src.push_str("\n// ---- claims of layout_cli::analyze ----\n");
        src.push_str(text);
        std::fs::write(&path, src).unwrap();
    }
    let lock = krate.join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, copy.join("Cargo.lock")).unwrap();
    }
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--quiet", "--lib", "--target", t.triple])
        .current_dir(&copy)
        .env("CARGO_TARGET_DIR", build_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refuted: Vec<String> = stderr
        .lines()
        .filter(|l| l.starts_with("error"))
        .filter_map(|l| {
            l.split_once("claim refuted: ")
                .map(|(_, r)| r.trim_end_matches('"').to_string())
        })
        .collect();
    if !out.status.success() && refuted.is_empty() {
        panic!(
            "cargo check --target {} failed for another reason:\n{stderr}",
            t.triple
        );
    }
    refuted
}

fn run_oracle(krate: &Path, label: &str) {
    let mut failures = Vec::new();
    let mut total = 0;
    for t in TARGETS {
        require_installed(t);
    }
    for t in TARGETS {
        let a = analyze(&[krate.to_path_buf()], &[t]);
        assert!(
            a.errors.is_empty(),
            "{label}: unexpected errors on {}: {:#?}",
            t.short,
            a.errors
        );
        let c = claims(&a, krate, t);
        let refuted = check(krate, t, &c);
        eprintln!(
            "{label} {}: {} claims ({} generic instantiations), {} refuted, {} unknown",
            t.short,
            c.count,
            c.instances,
            refuted.len(),
            c.unknown.len()
        );
        for u in &c.unknown {
            eprintln!("  unknown: {u}");
        }
        total += c.count;
        failures.extend(refuted.into_iter().map(|r| format!("{}: {r}", t.short)));
    }
    assert!(total > 0);
    assert!(
        failures.is_empty(),
        "{label}: {} refuted claims:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_claims_hold_on_every_target() {
    let f = fixture();
    let structs = analyze(std::slice::from_ref(&f), &[&TARGETS[0]])
        .structs
        .len();
    assert!(
        structs >= 40,
        "the fixture should hold at least 40 structs, has {structs}"
    );
    run_oracle(&f, "fixture");
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const RANDOM_TYPES: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "i8",
    "i64",
    "bool",
    "char",
    "f32",
    "f64",
    "usize",
    "Option<bool>",
    "Option<u8>",
    "Option<u16>",
    "Option<u32>",
    "Option<u64>",
    "Option<char>",
    "Option<NonZeroU8>",
    "Option<NonZeroU32>",
    "NonZeroU64",
    "NonZeroU16",
    "Option<Option<bool>>",
    "[u8; 3]",
    "[u8; 4]",
    "[u8; 6]",
    "[u8; 16]",
    "[u16; 3]",
    "[bool; 2]",
    "[u32; 0]",
    "[u64; 0]",
    "(u8, bool)",
    "(u16, u8, u32)",
    "Option<(u8, u16)>",
    "(bool, u64)",
    "&'static u8",
    "Option<&'static u32>",
    "&'static [u8]",
    "AtomicU64",
    "AtomicBool",
    "()",
    "PhantomData<u64>",
    "Option<[u8; 2]>",
    "[Option<bool>; 2]",
    "Option<fn()>",
    "Inner0",
    "Inner1",
    "Option<Inner1>",
    "Option<[u64; 0]>",
    "Option<Option<u8>>",
    "Option<Option<u32>>",
    "Option<(bool, u16)>",
    "E3",
    "Option<E3>",
    "ERepr",
    "Option<ERepr>",
    "One",
    "Option<One>",
    "Inner2",
    "Option<Inner2>",
    "[Inner0; 2]",
    "Option<f64>",
    "Option<u128>",
    "Option<usize>",
    "isize",
    "Option<&'static [u8]>",
    "Option<Box<u8>>",
    "Box<[u8]>",
    "Option<Vec<u8>>",
    "String",
    "core::time::Duration",
    "Option<core::time::Duration>",
    "(Inner2, u8)",
    "Option<(u64, bool)>",
];

/// Random enums with data in the random crate.
const RANDOM_ENUMS: usize = 60;
/// Random instantiations of the crate's two generic types (`G2<A, B>`, `GE<A, B>`).
const RANDOM_GENERIC_USES: usize = 30;

fn random_crate(dir: &Path, seed: u64, n: usize) {
    let mut rng = Rng(seed);
    let mut src = String::from(
        "#![allow(dead_code)]\nuse core::marker::PhantomData;\nuse core::num::*;\nuse core::sync::atomic::*;\n\
         pub struct Inner0 { a: u32, b: bool, c: u8 }\n\
         #[repr(C)]\npub struct Inner1 { a: u8, b: u16, c: Option<bool> }\n\
         pub struct Inner2 { a: u16, b: bool, c: u32 }\n\
         pub enum E3 { A, B, C }\n#[repr(u16)]\npub enum ERepr { A = 7, B = 9 }\npub enum One { Only }\n",
    );
    // Random enums with data, over the same field types (no enum holds a later one).
    let mut enums: Vec<String> = Vec::new();
    for e in 0..RANDOM_ENUMS {
        let repr = [
            "",
            "",
            "",
            "",
            "#[repr(u8)]\n",
            "#[repr(C)]\n",
            "#[repr(C, u8)]\n",
            "#[repr(i32)]\n",
        ][rng.below(8)];
        let explicit = repr.contains("u8") || repr.contains("i32");
        let _ = writeln!(src, "{repr}pub enum RE{e} {{");
        let variants = 1 + rng.below(4);
        // The value the next variant without an explicit discriminant gets.
        let mut next = 0u64;
        for v in 0..variants {
            // `repr(C, u8)` is for enums with data only (E0566 otherwise).
            let least = usize::from(v == 0 && repr.contains("C, u8"));
            let nf = rng.below(4).max(least);
            let mut tys = Vec::new();
            for _ in 0..nf {
                let pick = rng.below(RANDOM_TYPES.len() + enums.len());
                tys.push(match pick.checked_sub(RANDOM_TYPES.len()) {
                    Some(k) => enums[k].clone(),
                    None => RANDOM_TYPES[pick].to_string(),
                });
            }
            let fields = if tys.is_empty() {
                String::new()
            } else {
                format!("({})", tys.join(", "))
            };
            if explicit && rng.below(2) == 0 {
                let value = next + rng.below(40) as u64;
                let _ = writeln!(src, "    V{v}{fields} = {value},");
                next = value + 1;
            } else {
                let _ = writeln!(src, "    V{v}{fields},");
                next += 1;
            }
        }
        src.push_str("}\n");
        enums.push(format!("RE{e}"));
    }
    let mut pool: Vec<String> = RANDOM_TYPES.iter().map(|t| t.to_string()).collect();
    for e in &enums {
        pool.push(e.clone());
        pool.push(format!("Option<{e}>"));
        pool.push(format!("Result<{e}, u8>"));
    }
    for _ in 0..RANDOM_GENERIC_USES {
        let a = RANDOM_TYPES[rng.below(RANDOM_TYPES.len())];
        let b = RANDOM_TYPES[rng.below(RANDOM_TYPES.len())];
        pool.push(format!("G2<{a}, {b}>"));
        pool.push(format!("GE<{a}, {b}>"));
    }
    src.push_str(
        "pub struct G2<A, B> { a: A, b: B, c: u8 }\npub enum GE<A, B> { L(A, u16), R(B), N }\n",
    );
    for i in 0..n {
        let repr = match rng.below(10) {
            0..=5 => "",
            6 | 7 => "#[repr(C)]\n",
            8 => [
                "#[repr(packed)]\n",
                "#[repr(C, packed(2))]\n",
                "#[repr(packed(4))]\n",
            ][rng.below(3)],
            _ => [
                "#[repr(align(8))]\n",
                "#[repr(C, align(16))]\n",
                "#[repr(align(32))]\n",
            ][rng.below(3)],
        };
        let fields = 1 + rng.below(8);
        let _ = writeln!(src, "{repr}pub struct S{i} {{");
        for f in 0..fields {
            let mut ty = &pool[rng.below(pool.len())];
            // A packed struct may not hold an atomic (E0588): an error, not a layout; nor
            // an enum or generic, which may hold one.
            while repr.contains("packed")
                && (ty.contains("Atomic") || ty.contains("RE") || ty.contains('G'))
            {
                ty = &pool[rng.below(pool.len())];
            }
            let _ = writeln!(src, "    f{f}: {ty},");
        }
        src.push_str("}\n");
    }
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), src).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"oracle-random\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
}

#[test]
fn random_structs_hold_on_every_target() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("random");
    random_crate(&dir, 0x5EED_CAFE_F00D_0001, 300);
    let a = analyze(std::slice::from_ref(&dir), &[&TARGETS[0]]);
    let known = a.structs.iter().filter(|s| s.size.is_some()).count();
    assert!(
        known >= 290,
        "random structs use only modelled types; known: {known} of {}",
        a.structs.len()
    );
    run_oracle(&dir, "random");
}

/// The oracle itself: a claim off by one must be refuted, or a green run proves nothing.
#[test]
fn a_wrong_claim_is_refuted() {
    let t = &TARGETS[0];
    require_installed(t);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("random");
    random_crate(&dir, 7, 3);
    let a = analyze(std::slice::from_ref(&dir), &[t]);
    let mut c = claims(&a, &dir, t);
    let text = c.by_file.values_mut().next().unwrap();
    let first = text.lines().next().unwrap().to_string();
    let (head, rest) = first.split_once(" == ").unwrap();
    let (n, tail) = rest.split_once(',').unwrap();
    let wrong = format!(
        "{head} == {}, \"claim refuted: deliberately wrong\");",
        n.parse::<usize>().unwrap() + 1
    );
    let _ = tail;
    *text = text.replacen(&first, &wrong, 1);
    let refuted = check(&dir, t, &c);
    assert_eq!(
        refuted,
        ["deliberately wrong"],
        "the off-by-one claim must be the one refuted"
    );
}
