//! Hostile and unusual input through the real binary: each case is a directory holding
//! one generated problem file and one ordinary file, run through `report`, `snapshot`
//! and `fix`. A problem file must never abort the process (that loses every other
//! file's report) or hang it; deep nesting is an error entry for that file only, and
//! valid Rust is never an input error. Inputs are generated, not checked in.
//!
//! How the work grows with the input is tested by counting it in the unit tests of
//! `source`, `index` and `layout::rules`; here a run only has to finish.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use layout_cli::render::json::Document;

/// `report` exits 2 when a file could not be analysed.
const INPUT_ERROR: i32 = 2;

const GOOD: &str = "#[repr(C)]\npub struct Good { a: u8, b: u64, c: u8 }\n";

/// A fresh directory with `bad.rs` holding `bad` and `good.rs` holding [`GOOD`].
fn case(name: &str, bad: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("layout-cli-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.rs"), bad).unwrap();
    std::fs::write(dir.join("good.rs"), GOOD).unwrap();
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir`. A run still going after two minutes is a hang: it is
/// killed and the test fails (no timing is asserted below that).
fn run(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run layout-cli");
    // Drain the pipes on threads so a large report cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("layout-cli {args:?} in {} did not finish", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap().expect("utf-8 stdout");
    let stderr = err.join().unwrap().expect("utf-8 stderr");
    let code = status
        .code()
        .unwrap_or_else(|| panic!("layout-cli {args:?} was killed by a signal: {stderr}"));
    Run {
        code,
        stdout,
        stderr,
    }
}

fn report_json(dir: &Path) -> (i32, Document) {
    let r = run(dir, &["report", "--format", "json", "."]);
    let doc: Document = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: exit {} stderr {}", r.code, r.stderr));
    (r.code, doc)
}

fn struct_names(doc: &Document, file: &str) -> Vec<String> {
    doc.structs
        .iter()
        .filter(|s| s.file.ends_with(file))
        .map(|s| s.name.clone())
        .collect()
}

/// The problem file is one error entry; `Good` is still reported (and reordered by
/// `fix --all`), and `snapshot` and `fix` also finish with the input-error code
/// instead of aborting.
fn assert_refused_alone(name: &str, bad: &str, message: &str) {
    let dir = case(name, bad);
    let (code, doc) = report_json(&dir);
    assert_eq!(code, INPUT_ERROR, "{name}");
    assert_eq!(struct_names(&doc, "good.rs"), ["Good"], "{name}");
    assert!(struct_names(&doc, "bad.rs").is_empty(), "{name}");
    assert_eq!(doc.errors.len(), 1, "{name}: {:?}", doc.errors);
    assert!(doc.errors[0].file.ends_with("bad.rs"), "{name}");
    assert!(
        doc.errors[0].message.contains(message),
        "{name}: {:?}",
        doc.errors
    );

    // `snapshot` reports the file and, by design, writes no partial lockfile.
    let snap = run(&dir, &["snapshot", "-o", "layouts.json", "."]);
    assert_eq!(snap.code, INPUT_ERROR, "{name}: {}", snap.stderr);
    assert!(
        snap.stderr.contains("bad.rs") && snap.stderr.contains(message),
        "{name}"
    );
    assert!(!dir.join("layouts.json").exists(), "{name}");

    for args in [
        &["fix", "--all", "--dry-run", "."][..],
        &["fix", "--dry-run", "."],
    ] {
        let fix = run(&dir, args);
        assert_eq!(fix.code, INPUT_ERROR, "{name} {args:?}: {}", fix.stderr);
        assert!(fix.stderr.contains("bad.rs"), "{name}: {}", fix.stderr);
    }
    // `--all` still reorders the good file.
    let fix = run(&dir, &["fix", "--all", "--dry-run", "."]);
    assert!(fix.stdout.contains("good.rs"), "{name}: {}", fix.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deep_nesting_through_keywords_and_lifetimes_is_one_error_entry() {
    let tail = "\n#[repr(C)] struct S { a: u8, b: u64, c: u8 }\n";
    let cases = [
        (
            "mut-refs",
            format!("type T = {}u8;{tail}", "&mut ".repeat(3000)),
        ),
        (
            "static-refs",
            format!("type T = {}u8;{tail}", "&'static ".repeat(3000)),
        ),
        (
            "const-ptrs",
            format!("type T = {}u8;{tail}", "*const ".repeat(3000)),
        ),
        (
            "fn-returns",
            format!("struct P {{ p: {}u8 }}{tail}", "fn() -> ".repeat(53_000)),
        ),
        // Found by the `shapes` fuzz target: parsed in a loop, but the tree is as
        // deep as the chain, and dropping it overflowed the stack.
        (
            "binary-chain",
            format!("const X: u32 = {}1;{tail}", "1 + ".repeat(200_000)),
        ),
        (
            "method-chain",
            format!("fn f() {{ x{}; }}{tail}", ".a()?".repeat(50_000)),
        ),
        (
            "mixed",
            format!(
                "type T = {}u8{};{tail}",
                "&'a mut Vec<*const fn() -> ".repeat(1000),
                ">".repeat(1000)
            ),
        ),
    ];
    for (name, src) in &cases {
        assert_refused_alone(name, src, "nesting deeper than");
    }
}

#[test]
fn many_globs_resolve_without_hanging() {
    // Each glob used to retry every other glob: five never finished.
    let globs: String = (0..64).map(|i| format!("use g{i}::*; ")).collect();
    let src = format!("{globs}\n#[repr(C)] pub struct S {{ v: u8, w: u64 }}\n");
    let dir = case("globs", &src);
    let (code, doc) = report_json(&dir);
    assert_eq!(code, 0, "{:?}", doc.errors);
    assert_eq!(struct_names(&doc, "bad.rs"), ["S"]);
    assert_eq!(
        doc.structs.iter().find(|s| s.name == "S").unwrap().size,
        Some(16)
    );

    // `pub use child::*` in the parent and `use super::*` in each child.
    let mut src = String::from("use ext::*;\n");
    for i in 0..200 {
        src.push_str(&format!(
            "pub mod c{i} {{ use super::*; #[repr(C)] pub struct T{i} {{ a: u8, b: Shared }} }}\n\
             pub use c{i}::*;\n"
        ));
    }
    src.push_str("#[repr(C)] pub struct Shared { x: u32 }\n");
    let dir = case("parent-child", &src);
    let (code, doc) = report_json(&dir);
    assert_eq!(code, 0, "{:?}", doc.errors);
    let names = struct_names(&doc, "bad.rs");
    assert_eq!(names.len(), 201);
    // `Shared` is found from every child through `use super::*`.
    for s in doc.structs.iter().filter(|s| s.name.starts_with('T')) {
        assert_eq!(s.size, Some(8), "{}", s.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn valid_rust_is_never_an_input_error() {
    let shifts: Vec<String> = (0..65).map(|i| format!("1 << {i}")).collect();
    let mods = 70;
    let cases = [
        // stdarch `avx512cd.rs`: 65 shifts in one statement.
        (
            "shifts",
            format!(
                "pub const M: u128 = {};\n#[repr(C)] pub struct S {{ a: u8 }}\n",
                shifts.join(" | ")
            ),
            vec!["S"],
        ),
        // signal-hook-registry: an edition-2015 bare trait object.
        (
            "bare-trait-object",
            "type Action = Fn(&u8) + Send + Sync;\n\
             pub struct S { a: u8, f: Box<FnMut(u8) + Send> }\n"
                .to_string(),
            vec!["S"],
        ),
        (
            "nested-modules",
            format!(
                "{}#[repr(C)] pub struct S {{ a: u8 }}{}\n",
                "mod m { ".repeat(mods),
                " }".repeat(mods)
            ),
            vec!["S"],
        ),
        // The standard library's vector types.
        (
            "repr-simd",
            "#[repr(simd)] pub struct V([f32; 4]);\n#[repr(C)] pub struct S { a: u8, v: V }\n"
                .to_string(),
            vec!["V", "S"],
        ),
    ];
    for (name, src, structs) in &cases {
        let dir = case(name, src);
        let (code, doc) = report_json(&dir);
        assert_eq!(code, 0, "{name}: {:?}", doc.errors);
        assert!(doc.errors.is_empty(), "{name}: {:?}", doc.errors);
        assert_eq!(&struct_names(&doc, "bad.rs"), structs, "{name}");
        assert_eq!(struct_names(&doc, "good.rs"), ["Good"], "{name}");
        let _ = std::fs::remove_dir_all(&dir);
    }
    // A `repr(simd)` type's layout is unknown, not guessed, and so is its user's.
    let dir = case("repr-simd-sizes", &cases[3].1);
    let (_, doc) = report_json(&dir);
    for s in doc.structs.iter().filter(|s| s.file.ends_with("bad.rs")) {
        assert_eq!(s.size, None, "{}", s.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_structs_and_many_fields_are_reported() {
    let many: String = (0..20_000)
        .map(|i| format!("#[repr(C)] pub struct S{i} {{ a: u8, b: u64 }}\n"))
        .collect();
    let dir = case("many-structs", &many);
    let (code, doc) = report_json(&dir);
    assert_eq!(code, 0, "{:?}", doc.errors);
    assert_eq!(struct_names(&doc, "bad.rs").len(), 20_000);
    let _ = std::fs::remove_dir_all(&dir);

    let fields: String = (0..8_000)
        .map(|i| format!("f{i}: u{}, ", [8, 16, 32, 64][i % 4]))
        .collect();
    let dir = case("many-fields", &format!("pub struct Wide {{ {fields} }}\n"));
    let (code, doc) = report_json(&dir);
    assert_eq!(code, 0, "{:?}", doc.errors);
    let wide = doc.structs.iter().find(|s| s.name == "Wide").unwrap();
    assert_eq!(wide.fields.len(), 8_000);
    // 2,000 each of 1, 2, 4 and 8 bytes: 30,000 bytes, and rustc's order packs them.
    assert_eq!(wide.size, Some(30_000));
    let _ = std::fs::remove_dir_all(&dir);
}
