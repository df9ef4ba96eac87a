//! Bytes as a recipe for the two input shapes that once took the CLI down, rather than
//! as source text (random bytes almost never spell them):
//!
//! - deep nesting: runs of prefixes and brackets (`&mut `, `&'a `, `*const `,
//!   `fn() -> `, `Vec<`, `(`, `[`, `{`, `|x| `, `!`, `else `, ...) a few hundred to a
//!   few thousand levels deep, in a type, a field, a constant or a function body;
//! - module graphs: inline modules glob-importing each other (`use super::*`,
//!   `pub use mK::*`, external globs), named re-exports and cycles, with structs whose
//!   fields name types through them.
//!
//! Each input goes through `report` (engine, diagnostics, renderers), and is parsed,
//! cloned, printed and dropped again on this (main) thread, as `fix` does. Any panic,
//! abort or stack overflow is a bug; a file nested too deeply must be an error entry.
#![no_main]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use layout_cli::render;
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("layout-cli-fuzz-shapes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

/// Prefixes (and the text that closes them, if any).
const NEST: &[(&str, &str)] = &[
    ("&mut ", ""),
    ("&'a ", ""),
    ("&'static mut ", ""),
    ("*const ", ""),
    ("*mut ", ""),
    ("fn() -> ", ""),
    ("fn(u8, &u16) -> ", ""),
    ("Box<dyn Fn() -> ", ">"),
    ("Vec<", ">"),
    ("(", ",)"),
    ("[", "; 2]"),
    ("Option<&", ">"),
];

/// Expression prefixes, for constants and function bodies.
const EXPR: &[(&str, &str)] = &[
    ("(", ")"),
    ("{", "}"),
    ("[", "]"),
    ("!", ""),
    ("-", ""),
    ("*", ""),
    ("&&", ""),
    ("|x| ", ""),
    ("|| ", ""),
    ("return ", ""),
    ("a = ", ""),
    ("if c { 1 } else ", ""),
    ("1 << ", ""),
    ("x < y && ", ""),
];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
}

fn nesting(b: &mut Bytes<'_>) -> String {
    let context = b.next().unwrap_or(0) % 4;
    let vocab = if context >= 2 { EXPR } else { NEST };
    let mut open = String::new();
    let mut close = Vec::new();
    while let (Some(t), Some(n)) = (b.next(), b.next()) {
        let (pre, post) = vocab[t as usize % vocab.len()];
        // Up to 2,040 levels per run: well past the limit, and past the stack too.
        for _ in 0..=(n as usize * 8) {
            open.push_str(pre);
            close.push(post);
        }
    }
    let leaf = if context >= 2 { "1" } else { "u8" };
    let inner = format!(
        "{open}{leaf}{}",
        close.iter().rev().copied().collect::<String>()
    );
    match context {
        0 => format!("type T<'a> = {inner};\n"),
        1 => format!("#[repr(C)] struct P<'a> {{ a: u8, p: {inner}, b: u64 }}\n"),
        2 => format!("const X: u8 = {inner};\n"),
        _ => format!("fn f() -> u8 {{ {inner} }}\n"),
    }
}

fn module_graph(b: &mut Bytes<'_>) -> String {
    let n = 1 + b.next().unwrap_or(0) as usize % 24;
    let mut bodies: Vec<String> = vec![String::new(); n];
    while let (Some(op), Some(x)) = (b.next(), b.next()) {
        let (m, k) = (op as usize % n, x as usize % n);
        let body = &mut bodies[m];
        let _ = match op / 24 % 8 {
            0 => write!(body, "use super::*; "),
            1 => write!(body, "pub use crate::m{k}::*; "),
            2 => write!(body, "use ext{}::*; ", x % 4),
            3 => write!(body, "pub use super::m{k}::T{k} as A{}; ", x % 8),
            4 => write!(body, "pub use self::A{} as A{}; ", x % 8, (x / 8) % 8),
            5 => write!(
                body,
                "#[repr(C)] pub struct T{m} {{ a: u8, b: A{}, c: T{k}, d: u64 }} ",
                x % 8
            ),
            6 => write!(body, "pub use crate::*; "),
            _ => write!(body, "pub type A{} = [T{k}; 2]; ", x % 8),
        };
    }
    let mut src = String::from("use std::sync::atomic::*;\n");
    for (i, body) in bodies.iter().enumerate() {
        let _ = writeln!(src, "pub mod m{i} {{ {body} }}\npub use m{i}::*;");
    }
    src
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let mode = b.next().unwrap_or(0);
    let mut src = if mode % 2 == 0 {
        nesting(&mut b)
    } else {
        module_graph(&mut b)
    };
    src.push_str("#[repr(C)] pub struct Good { a: u8, b: u64, c: u8 }\n");
    let file = scratch().join("input.rs");
    if std::fs::write(&file, &src).is_err() {
        return;
    }
    let targets: Vec<_> = layout::target::TARGETS.iter().take(2).collect();
    let mut analysis = layout_cli::analyze(std::slice::from_ref(&file), &targets);
    layout_cli::diag::diagnose(&mut analysis);
    let json = render::json::render(&analysis);
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    let _ = render::text::render(&analysis, render::text::Options { color: false });

    // The gate's verdict and the analysis agree: too deep is an error entry, and
    // then nothing of the file is reported.
    let deep = layout_cli::source::nesting::scan(&src, layout_cli::source::MAX_NESTING)
        .too_deep_at
        .is_some();
    if deep {
        assert!(
            analysis
                .errors
                .iter()
                .any(|e| e.message.contains("nesting deeper")),
            "{:?}",
            analysis.errors
        );
        assert!(analysis.structs.is_empty());
    } else if analysis.errors.is_empty() {
        assert!(analysis.structs.iter().any(|s| s.name == "Good"));
    }

    // `fix` parses again on the main thread (8 MiB), and clones, prints and drops
    // the tree there. `fix` itself cannot run here: under `cfg(fuzzing)` proc-macro2
    // reports every span's byte range as `0..0`, which its splicing relies on.
    if let Ok(ast) = layout_cli::source::parse(&src) {
        assert!(!deep);
        let copy = ast.clone();
        assert!(!format!("{copy:?}").is_empty());
        drop(copy);
    }
});
