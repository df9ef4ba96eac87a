//! `fix` for real: the files are rewritten, nothing is lost, the result satisfies the
//! intent and is never larger, and a second run changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use layout::target::{self, TargetInfo};
use layout_cli::analysis::Analysis;
use layout_cli::fix::{self, FixArgs};
use layout_cli::reorder::check_report;

const TARGETS: [&str; 4] = [
    "x86_64-linux",
    "aarch64-macos",
    "x86_64-windows-msvc",
    "i686-linux",
];
const FIXTURES: [&str; 4] = ["comments.rs", "cfgs.rs", "intent.rs", "skipped.rs"];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix")
}

fn targets() -> Vec<&'static TargetInfo> {
    TARGETS.iter().map(|t| target::find(t).unwrap()).collect()
}

fn args(paths: Vec<PathBuf>, dry_run: bool, all: bool) -> FixArgs {
    FixArgs {
        paths,
        targets: TARGETS.map(String::from).to_vec(),
        dry_run,
        all,
    }
}

/// The file cut at every `,`, `{`, `}` and line end, pieces trimmed and sorted: a
/// reorder may move a comma and the fields between braces but must not lose, add or
/// alter anything else (comments, attributes, blank lines included).
fn piece_multiset(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .split(['\n', ',', '{', '}'])
        .map(|p| p.trim().to_owned())
        .collect();
    v.sort();
    v
}

/// (file name, line, struct, target).
type Key = (String, usize, String, &'static str);

/// (size, first violation).
type Layout = (Option<usize>, Option<Option<String>>);

fn layouts(a: &Analysis) -> BTreeMap<Key, Layout> {
    a.structs
        .iter()
        .map(|s| {
            let file = s.file.file_name().unwrap().to_string_lossy().into_owned();
            (
                (file, s.line, s.name.clone(), s.target.triple),
                (s.size, check_report(s)),
            )
        })
        .collect()
}

#[test]
fn rewrites_in_place_keeps_every_line_and_is_idempotent() {
    for all in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut originals = BTreeMap::new();
        for f in FIXTURES {
            let p = dir.path().join(f);
            std::fs::copy(fixtures_dir().join(f), &p).unwrap();
            originals.insert(p, std::fs::read_to_string(fixtures_dir().join(f)).unwrap());
        }
        let before = layout_cli::analyze(&[dir.path().to_path_buf()], &targets());

        let dry = fix::run(&args(vec![dir.path().to_path_buf()], true, all));
        let out = fix::run(&args(vec![dir.path().to_path_buf()], false, all));
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(
            out.diff, dry.diff,
            "--dry-run shows exactly what is written"
        );
        let mut changed = out.changed.clone();
        changed.sort();
        let expect: Vec<PathBuf> = ["cfgs.rs", "comments.rs", "intent.rs"]
            .iter()
            .chain(all.then_some(&"skipped.rs"))
            .map(|f| dir.path().join(f))
            .collect();
        assert_eq!(changed, expect);

        for (p, old) in &originals {
            let new = std::fs::read_to_string(p).unwrap();
            assert_eq!(
                piece_multiset(&new),
                piece_multiset(old),
                "{} lost or changed something",
                p.display()
            );
            syn::parse_file(&new).unwrap();
        }
        // No temp files left next to the sources.
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            FIXTURES.len()
        );

        // Every struct valid before is valid after; none grew; the fixed ones are valid.
        let after = layout_cli::analyze(&[dir.path().to_path_buf()], &targets());
        let (b, a) = (layouts(&before), layouts(&after));
        assert_eq!(b.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>());
        for (k, (size_b, check_b)) in &b {
            let (size_a, check_a) = &a[k];
            if let (Some(sb), Some(sa)) = (size_b, size_a) {
                assert!(sa <= sb, "{k:?} grew {sb} -> {sa}");
            }
            if *check_b == Some(None) {
                assert_eq!(*check_a, Some(None), "{k:?} was valid and is not");
            }
        }
        let violations_after = a
            .values()
            .filter(|(_, c)| matches!(c, Some(Some(_))))
            .count();
        // Only `Crowded` (two groups, no pad; on every target) still breaks its intent.
        assert_eq!(violations_after, TARGETS.len(), "{a:#?}");

        let again = fix::run(&args(vec![dir.path().to_path_buf()], false, all));
        assert_eq!(again.diff, "", "second run changed something");
        assert!(again.changed.is_empty() && again.errors.is_empty());
    }
}

#[test]
fn one_file_among_several_paths() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("comments.rs");
    let b = dir.path().join("skipped.rs");
    std::fs::copy(fixtures_dir().join("comments.rs"), &a).unwrap();
    std::fs::copy(fixtures_dir().join("skipped.rs"), &b).unwrap();
    let untouched = std::fs::read(&b).unwrap();
    let out = fix::run(&args(vec![a.clone(), b.clone()], false, false));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.changed, vec![a]);
    assert_eq!(std::fs::read(&b).unwrap(), untouched);
}

/// A reordered struct's note says what else the new order changes: derives that follow
/// the field order, and the drop order when two fields that may need dropping swap
/// (`Big` and `Small` may have a `Drop` impl anywhere; `u8`, `u64` have none).
#[test]
fn the_note_names_order_sensitive_derives_and_drop_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wire.rs");
    std::fs::write(
        &file,
        "pub struct Big {\n    x: u64,\n}\n\npub struct Small {\n    x: u8,\n}\n\n\
         #[derive(Debug, PartialEq, PartialOrd, serde::Serialize)]\n#[repr(C)]\n\
         pub struct Wire {\n    a: Big,\n    b: Small,\n    c: Big,\n    d: Small,\n}\n\n\
         #[derive(Clone, Copy)]\n#[repr(C)]\npub struct Plain {\n    a: u8,\n    b: u64,\n    c: u8,\n}\n\n\
         #[repr(C)]\npub struct OneOwner {\n    a: u8,\n    s: String,\n    c: u8,\n}\n",
    )
    .unwrap();
    let out = fix::run(&FixArgs {
        targets: vec!["x86_64-linux".into()],
        ..args(vec![file.clone()], true, true)
    });
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let note = |name: &str| {
        out.notes
            .iter()
            .find(|n| n.contains(&format!(": {name}: reordered")))
            .unwrap_or_else(|| panic!("no note for {name}: {:?}", out.notes))
            .split_once("): ")
            .unwrap()
            .1
            .to_owned()
    };
    assert_eq!(
        note("Wire"),
        "a, b, d, c; also reorders derived Debug (`{:?}` output), \
         PartialOrd (comparisons), Serialize (positional formats (bincode, postcard, ...)); \
         fields with drop glue may change drop order (now a, b, d, c)"
    );
    assert_eq!(note("Plain"), "a, c, b");
    // One field that may need dropping cannot change the drop order.
    assert_eq!(note("OneOwner"), "a, c, s");
}
