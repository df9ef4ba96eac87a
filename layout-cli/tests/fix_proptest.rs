//! Property: for random `repr(C)` structs with random intent, `fix` never makes a struct
//! larger, the result satisfies every annotation that some order can satisfy, and it
//! compiles with the same fields — checked by rustc: the fixed source is built with
//! `#[derive(CacheLayout)]` (whose const assertions are the annotations) plus
//! `size_of`/`offset_of!` assertions of every number the analysis claims, by one
//! `cargo check` per target for the whole batch.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout::target::{self, TargetInfo};
use layout_cli::analysis::{Analysis, StructReport};
use layout_cli::fix::{self, FixArgs};
use layout_cli::reorder::check_report;
use proptest::prelude::*;

/// (target row, `cfg` that selects it in the checked crate, rustc triple to check with;
/// `None` = the host).
const TARGETS: [(&str, &str, Option<&str>); 2] = [
    ("x86_64-linux", "target_os = \"linux\"", None),
    (
        "aarch64-macos",
        "target_os = \"macos\"",
        Some("aarch64-apple-darwin"),
    ),
];

const TYPES: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "bool",
    "char",
    "f64",
    "usize",
    "AtomicU64",
    "AtomicU32",
    "[u8; 3]",
    "[u16; 5]",
    "[u64; 2]",
    "[u32; 7]",
];

#[derive(Clone, Debug)]
enum Intent {
    None,
    Group(u8),
    Isolated,
    Pad(usize),
}

#[derive(Clone, Debug)]
struct Spec {
    aligned: bool,
    max_padding: Option<usize>,
    fields: Vec<(usize, Intent)>,
}

fn arb_intent() -> impl Strategy<Value = Intent> {
    prop_oneof![
        8 => Just(Intent::None),
        2 => (0u8..2).prop_map(Intent::Group),
        1 => Just(Intent::Isolated),
        2 => prop::sample::select(vec![8usize, 56, 64, 120]).prop_map(Intent::Pad),
    ]
}

fn arb_struct() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        prop::option::weighted(0.15, 0usize..16),
        prop::collection::vec((0..TYPES.len(), arb_intent()), 2..9),
        prop::bool::weighted(0.5),
    )
        .prop_map(|(aligned, max_padding, mut fields, intent)| {
            if !intent {
                // Half the structs state no field intent: betteralign's case.
                fields.retain(|f| !matches!(f.1, Intent::Pad(_)));
                fields.iter_mut().for_each(|f| f.1 = Intent::None);
            }
            Spec {
                aligned,
                max_padding,
                fields,
            }
        })
}

fn source(specs: &[Spec]) -> String {
    let mut s = String::from(
        "#![allow(dead_code)]\nuse core::sync::atomic::{AtomicU32, AtomicU64};\nuse layout::CacheLayout;\n",
    );
    for (k, spec) in specs.iter().enumerate() {
        s.push_str("\n#[derive(CacheLayout)]\n");
        s.push_str(if spec.aligned {
            "#[repr(C, align(64))]\n"
        } else {
            "#[repr(C)]\n"
        });
        if let Some(m) = spec.max_padding {
            let _ = writeln!(s, "#[layout(max_padding = {m})]");
        }
        let _ = writeln!(s, "pub struct S{k} {{");
        for (i, (ty, intent)) in spec.fields.iter().enumerate() {
            match intent {
                Intent::None => {}
                Intent::Group(g) => {
                    let _ = writeln!(s, "    #[layout(group = \"g{g}\")]");
                }
                Intent::Isolated => s.push_str("    #[layout(isolated)]\n"),
                Intent::Pad(n) => {
                    let _ = writeln!(s, "    #[layout(pad)]\n    _p{i}: [u8; {n}], // pad {i}");
                    continue;
                }
            }
            let _ = writeln!(s, "    f{i}: {}, // field {i}", TYPES[*ty]);
        }
        s.push_str("}\n");
    }
    s
}

fn rows() -> Vec<&'static TargetInfo> {
    TARGETS.iter().map(|t| target::find(t.0).unwrap()).collect()
}

type Key = (String, &'static str);

fn by_struct(a: &Analysis) -> BTreeMap<Key, &StructReport> {
    a.structs
        .iter()
        .map(|s| ((s.name.clone(), s.target.short), s))
        .collect()
}

/// name -> sorted (field, type) pairs, from the source text.
fn fields_of(text: &str) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let file = syn::parse_file(text).unwrap();
    file.items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some((
                s.ident.to_string(),
                s.fields
                    .iter()
                    .map(|f| {
                        let ty = &f.ty;
                        (
                            f.ident.as_ref().unwrap().to_string(),
                            quote::quote!(#ty).to_string(),
                        )
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

/// The crate rustc checks: the fixed source, with the derive and `#[layout]` removed
/// from structs whose intent no order satisfies (left alone by fix, they would fail
/// the derive's assertions by design), plus an assertion per claimed number.
fn checked_crate(fixed: &str, unsatisfiable: &BTreeSet<String>, after: &Analysis) -> String {
    let mut out = String::new();
    for block in fixed.split("\n\n") {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("pub struct "))
            .map(|l| l.trim_end_matches(" {").to_owned());
        if name.is_some_and(|n| unsatisfiable.contains(&n)) {
            for line in block.lines() {
                if !line.contains("#[layout") && !line.contains("derive(CacheLayout)") {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out.push('\n');
        } else {
            out.push_str(block);
            out.push_str("\n\n");
        }
    }
    for s in &after.structs {
        let cfg = TARGETS.iter().find(|t| t.0 == s.target.short).unwrap().1;
        let (Some(size), Some(align)) = (s.size, s.align) else {
            panic!("{} unknown on {}", s.name, s.target.short)
        };
        let n = &s.name;
        let _ = writeln!(
            out,
            "#[cfg({cfg})] const _: () = assert!(::core::mem::size_of::<{n}>() == {size} && ::core::mem::align_of::<{n}>() == {align}, \"{n} size/align\");"
        );
        for f in &s.fields {
            let (fname, off) = (&f.name, f.offset.unwrap());
            let _ = writeln!(
                out,
                "#[cfg({cfg})] const _: () = assert!(::core::mem::offset_of!({n}, {fname}) == {off}, \"{n}::{fname} offset\");"
            );
        }
    }
    out
}

fn cargo_check(dir: &Path, triple: Option<&str>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir)
        .args(["check", "--quiet", "--offline"])
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fix-proptest"),
        );
    if let Some(t) = triple {
        cmd.args(["--target", t]);
    }
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo check {triple:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_batch(specs: &[Spec]) {
    let dir = tempfile::tempdir().unwrap();
    let layout_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../layout");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"fix-proptest\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nlayout = {{ path = {:?} }}\n\n[workspace]\n",
            layout_dir.display().to_string()
        ),
    )
    .unwrap();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, dir.path().join("Cargo.lock")).unwrap();
    }
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let lib = src.join("lib.rs");
    let original = source(specs);
    std::fs::write(&lib, &original).unwrap();
    let paths: Vec<PathBuf> = vec![dir.path().to_path_buf()];

    let before = layout_cli::analyze(&paths, &rows());
    assert!(before.errors.is_empty(), "{:?}", before.errors);
    let out = fix::run(&FixArgs {
        paths: paths.clone(),
        targets: TARGETS.iter().map(|t| t.0.to_string()).collect(),
        dry_run: false,
        all: false,
    });
    assert!(out.errors.is_empty(), "{:?}\n{original}", out.errors);
    let fixed = std::fs::read_to_string(&lib).unwrap();
    let after = layout_cli::analyze(&paths, &rows());
    assert!(after.errors.is_empty(), "{:?}", after.errors);

    assert_eq!(
        fields_of(&fixed),
        fields_of(&original),
        "the set of fields changed"
    );
    let (b, a) = (by_struct(&before), by_struct(&after));
    assert_eq!(b.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>());
    let mut unsatisfiable = BTreeSet::new();
    for (k, sb) in &b {
        let sa = a[k];
        assert!(
            sa.size <= sb.size,
            "{k:?} grew {:?} -> {:?}",
            sb.size,
            sa.size
        );
        match check_report(sa) {
            Some(None) => {}
            Some(Some(v)) => {
                assert!(
                    check_report(sb).is_some_and(|c| c.is_some()),
                    "{k:?} broke: {v}"
                );
                let note = format!("{}: no field order satisfies", k.0);
                assert!(
                    out.notes.iter().any(|n| n.contains(&note)),
                    "{k:?} left violating ({v}) without saying why: {:?}",
                    out.notes
                );
                unsatisfiable.insert(k.0.clone());
            }
            None => panic!("{k:?} unknown after fix"),
        }
    }
    // Idempotent: a second run finds nothing to do.
    let again = fix::run(&FixArgs {
        paths: paths.clone(),
        targets: TARGETS.iter().map(|t| t.0.to_string()).collect(),
        dry_run: true,
        all: false,
    });
    assert_eq!(again.diff, "", "a second fix changed the fixed source");
    // The batch is not trivial: some structs were reordered.
    assert!(
        out.notes.iter().any(|n| n.contains("reordered")),
        "{:?}",
        out.notes
    );

    std::fs::write(&lib, checked_crate(&fixed, &unsatisfiable, &after)).unwrap();
    for (_, _, triple) in TARGETS {
        cargo_check(dir.path(), triple);
    }
}

proptest! {
    // One batch per run: the cost is the two `cargo check`s, not the cases.
    #![proptest_config(ProptestConfig { cases: 1, max_shrink_iters: 0, ..ProptestConfig::default() })]

    #[test]
    fn fixed_structs_are_no_larger_keep_their_intent_and_compile(
        specs in prop::collection::vec(arb_struct(), 60)
    ) {
        check_batch(&specs);
    }
}
